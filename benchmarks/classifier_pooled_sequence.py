"""Would the PyTorch sequence ensemble do better than the shipped numpy MLP when trained on the same pool?

The shipped exercise classifier (``python -m repvision.training``) is a numpy MLP on window features, trained on
every labelled clip here together: Penn Action train split, RepCount-A poses, Pose Trainer and ``videos/``, with
rotated copies. ``repvision bench classify`` trains the PyTorch models (ST-GCN, Conv1D+LSTM, their ensemble) on
one dataset at a time. This script trains the ensemble (``repvision.seq_models.SkeletonEnsemble``: ST-GCN +
Conv1D+LSTM, mirror test-time augmentation, its own +-10 degree rotation and speed augmentation) on the
shipped model's pool, on the shipped model's cross-validation folds (``repvision.training.cv_folds``: stratified
5-fold, grouped by source group), and compares their out-of-fold clip probabilities, alone and averaged with
weight ``w`` on the ensemble (``(1 - w) * MLP + w * ensemble``), with the unknown threshold chosen for each
as the shipped recipe chooses it (``repvision.training.choose_unknown_threshold``), and with the weight chosen
inside each fold on the other folds' clips (so the figure is not picked on the clips it is scored on). It also
trains both on the whole pool and scores the Penn Action official test split. The out-of-fold probabilities are
written beside the JSON (``<json>.npz``: ``mlp``, ``ensemble``, ``classes``, ``labels``, ``sources``).

    .venv/bin/python benchmarks/classifier_pooled_sequence.py [--data ../shared/data] [--json OUT]

About 20 min on 2 CPU cores (5 folds + the final fit of each model). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console

from repvision import training as tr
from repvision.bench import choose_per_fold
from repvision.evaluation import EPOCHS as MODEL_EPOCHS
from repvision.seq_models import ENSEMBLE_MEMBERS, SkeletonEnsemble, sequence_tensor

EPOCHS = {m: MODEL_EPOCHS[m] for m in ENSEMBLE_MEMBERS}   # those `repvision evaluate --model ensemble` trains with
WEIGHTS = tuple(float(round(w, 1)) for w in np.arange(0.0, 1.01, 0.1))   # plain floats: they are printed


def _figures(clips: list[tr.ClipFeatures], proba: np.ndarray, classes: np.ndarray) -> dict:
    labels = [c.label for c in clips]
    thr, _ = tr.choose_unknown_threshold(labels, proba, classes)
    out = {"threshold": thr}
    for src in ("videos", "repcount_a", "penn_action", "pose_trainer", None):
        idx = [i for i, c in enumerate(clips) if src is None or c.source == src]
        f = tr.figures_at_threshold([labels[i] for i in idx], proba[idx], classes, thr)
        out[src or "all"] = {"top1": f["top1"], "n": f["n_exercise_clips"],
                             "unknown_rate_negatives": f["unknown_rate_negatives"]}
    return out


def _nested_choice(clips: list[tr.ClipFeatures], fold: np.ndarray, mlp_oof: np.ndarray, ens_oof: np.ndarray,
                   classes: np.ndarray) -> dict:
    """The blend weight as it would be chosen without looking at the clips it is scored on
    (:func:`repvision.bench.choose_per_fold` over ``fold``, the ``(N,)`` fold of every clip): for each fold, the
    weight of :data:`WEIGHTS` with the best top-1 over the exercise clips of the other folds (ties: the smaller
    weight) is applied to that fold's clips; top-1 of those held-out answers per source."""
    labels = np.array([c.label for c in clips])
    src = np.array([c.source for c in clips])
    ex = np.isin(labels, list(tr.EXERCISES))
    hit = [classes[((1 - w) * mlp_oof + w * ens_oof).argmax(1)] == labels for w in WEIGHTS]
    choice = choose_per_fold(fold, len(WEIGHTS), lambda j, train: -float(hit[j][train & ex].mean()))
    held = np.zeros(len(clips), dtype=bool)
    for k, j in choice.items():
        held[fold == k] = hit[j][fold == k]
    out: dict = {"chosen": [WEIGHTS[j] for j in choice.values()]}
    for s in ("videos", "repcount_a", "penn_action", "pose_trainer"):
        out[s] = round(float(held[ex & (src == s)].mean()), 4)
    out["all"] = round(float(held[ex].mean()), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--json", type=Path, default=None, help="also write the last line's object here")
    a = ap.parse_args()
    console = Console(stderr=True)
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    t0 = time.perf_counter()
    sources, penn_samples = tr.training_sources(a.data, console)
    clips, penn_test, _, _ = tr.pool_from_sources(sources, penn_samples)
    penn_test = [c for c in penn_test if len(c.X)]   # those with a person (the others have no windows)
    by_name = {(src, s.name): s for src, samples in sources.items() for s in samples}
    X = [sequence_tensor(by_name[(c.source, c.name)].pose) for c in clips]
    test_names = {c.name for c in penn_test}   # the test clips with a person, in order
    penn = [s for s in penn_samples if s.name in test_names]
    X_test = [sequence_tensor(s.pose) for s in penn]
    y_test = np.array([s.label for s in penn])
    labels = np.array([c.label for c in clips])
    groups = np.array([c.group for c in clips])
    classes = np.unique(labels)

    console.print("[bold]Shipped recipe (numpy MLP), out of fold[/]")
    mlp_oof, mlp_classes = tr.cross_validated_proba(clips, console=console)
    ens_oof = np.zeros_like(mlp_oof)
    folds = tr.cv_folds(clips)   # the folds cross_validated_proba used
    fold = np.zeros(len(clips), dtype=int)
    for k, (trn, te) in enumerate(folds):
        fold[te] = k
        with console.status(f"Ensemble fold {k + 1}/{tr.N_FOLDS}"):
            m = SkeletonEnsemble(epochs=EPOCHS, seed=(tr.SEED + k) % (2 ** 31), threads=torch.get_num_threads())
            m.fit([X[i] for i in trn], labels[trn], groups[trn])
            ens_oof[np.ix_(te, np.searchsorted(classes, m.classes_))] = m.predict_proba([X[i] for i in te])
        console.print(f"ensemble fold {k + 1}/{tr.N_FOLDS} done ({time.perf_counter() - t0:.0f} s)")
    blends = {str(w): _figures(clips, (1 - w) * mlp_oof + w * ens_oof, classes) for w in WEIGHTS}
    nested = _nested_choice(clips, fold, mlp_oof, ens_oof, classes)
    console.print(f"weight chosen inside each fold (top-1 of the other folds' exercise clips): {nested['chosen']}; "
                  f"held out: videos/ {nested['videos']}, RepCount-A {nested['repcount_a']}, all {nested['all']}")
    for w, f in blends.items():
        console.print(f"w = {w}: videos/ {f['videos']['top1']}, RepCount-A {f['repcount_a']['top1']}, "
                      f"Penn Action train {f['penn_action']['top1']}, all {f['all']['top1']} "
                      f"(threshold {f['threshold']})")

    with console.status("Final fits on the whole pool"):
        mlp = tr.fit_clips(clips, tr.SEED)
        ens = SkeletonEnsemble(epochs=EPOCHS, seed=tr.SEED % (2 ** 31), threads=torch.get_num_threads())
        ens.fit(X, labels, groups)
    p_mlp = np.stack([mlp.windows_proba(c.X, c.Xm) for c in penn_test])
    p_ens = ens.predict_proba(X_test)
    ex = np.isin(y_test, tr.PENN_EXERCISES)
    penn_figs = {}
    for w in WEIGHTS:
        p = (1 - w) * p_mlp + w * p_ens[:, np.searchsorted(ens.classes_, mlp.classes_)]
        pred = mlp.classes_[p.argmax(1)]
        penn_figs[str(w)] = {"top1_15_classes": round(float(np.mean(pred == y_test)), 4),
                             "top1_8_exercise_classes": round(float(np.mean(pred[ex] == y_test[ex])), 4)}
    console.print(f"Penn Action test, MLP: {penn_figs['0.0']}; ensemble: {penn_figs['1.0']}")
    print(json.dumps(out := {
        "benchmark": "classifier_pooled_sequence", "n_clips": len(clips), "n_penn_test": len(penn_test),
        "folds": f"repvision.training.cv_folds (StratifiedGroupKFold({tr.N_FOLDS}), seed {tr.SEED})",
        "ensemble": {"members": list(EPOCHS), "epochs": EPOCHS}, "rotations_deg": list(tr.ROTATIONS_DEG),
        "weights_on_ensemble": list(WEIGHTS), "cross_validated": blends, "weight_chosen_per_fold": nested,
        "penn_test": penn_figs,
        "mlp_classes_equal": bool(np.array_equal(mlp_classes, classes)),
        "seconds": round(time.perf_counter() - t0, 1)}))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1))
        np.savez_compressed(a.json.with_suffix(".npz"), mlp=mlp_oof.astype(np.float32),
                            ensemble=ens_oof.astype(np.float32), classes=classes, labels=labels,
                            sources=np.array([c.source for c in clips]))


if __name__ == "__main__":
    main()
