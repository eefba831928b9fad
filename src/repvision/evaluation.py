"""Honest evaluation of exercise classifiers: the default window-feature MLP and the PyTorch sequence models.

Protocols
---------
* ``penn_action``: the **official** train/test split of Penn Action (Zhang et al., ICCV 2013); all 15 classes
  (8 exercises + 7 sports negatives) are trained; the model is trained on the train split only (its own
  validation split for early stopping is drawn from the train split) and scored once on the test split.
  ``top1_8`` = top-1 (argmax over all 15 classes) on the exercise test clips, ``top1`` = over all test clips.
* ``penn_action_8``: the 8-class exercise task of Penn Action -- the same official split, restricted to the
  clips of the 8 exercise classes (:data:`PENN_EXERCISES`, 1163 clips: 574 train, 589 test); the model is
  trained on those 8 classes only, so ``top1`` is the 8-class top-1 (the sports clips play no part).
* every other dataset (``videos``, ``repcount_a``, ``pose_trainer``): stratified k-fold cross-validation
  **grouped** by ``group_id`` (scikit-learn ``StratifiedGroupKFold``, seed :data:`SEED`), so clips of one
  source video / person never sit on both sides; figures over the out-of-fold clips.

Metrics: top-1 accuracy, balanced accuracy (mean per-class recall), macro-F1, the confusion matrix (CSV and
PNG) and, for the torch models, the training curves (PNG). Figures are written to ``OUT/metrics.json``.

Settings used (documented for the 2-core CPU budget): windows of 4 s resampled to 32 instants
(:mod:`repvision.seq_models`), at most :data:`EPOCHS` epochs with early stopping (patience 6) on a 15 %
grouped validation split, batch 64, OneCycle peak LR 3e-3, one torch thread.

Needs scikit-learn, SciPy, PyTorch and matplotlib (``pip install 'repvision[train]'``).
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from repvision.classify import UNKNOWN
from repvision.datasets.base import Sample
from repvision.errors import ManifestError, TooFewDetectionsError

#: Seed of folds and models.
SEED: int = 20261122
#: Model names of ``repvision evaluate --model``.
MODEL_NAMES: tuple[str, ...] = ("default", "mlp", "lstm", "conv1d_lstm", "stgcn", "ensemble")
#: Dataset names of ``repvision evaluate --dataset`` and the folder each one needs under the data folder.
DATASETS: dict[str, str] = {"penn_action": "penn_action/labels", "penn_action_8": "penn_action/labels",
                            "videos": "videos/manifest.csv", "repcount_a": "repcount_a/poses.npz",
                            "pose_trainer": "pose_trainer/poses.npz"}
#: The Penn Action datasets: read from the same files and scored on the official train/test split rather than by
#: grouped cross-validation; ``penn_action_8`` is a subset of ``penn_action``, so :func:`train_model` skips it.
PENN_DATASETS: tuple[str, ...] = ("penn_action", "penn_action_8")
#: Maximum epochs per torch model (early stopping usually ends sooner).
EPOCHS: dict[str, int] = {"mlp": 30, "lstm": 30, "conv1d_lstm": 30, "stgcn": 20}
EPOCHS["ensemble"] = EPOCHS["stgcn"] + EPOCHS["conv1d_lstm"]   # its members, one after the other
PENN_EXERCISES: tuple[str, ...] = ("bench_press", "clean_and_jerk", "jump_rope", "jumping_jack", "pull_up",
                                   "push_up", "sit_up", "squat")


def available_datasets(data: str | Path) -> list[str]:
    """Names of :data:`DATASETS` whose files exist under ``data``."""
    d = Path(data)
    return [k for k, rel in DATASETS.items() if (d / rel).exists()]


def _no_datasets(data: str | Path) -> ManifestError:
    """The error for a ``--data`` folder holding none of the datasets and no videos of one's own."""
    return ManifestError(f"datasets ({', '.join(dict.fromkeys(DATASETS.values()))}) under {data}", "none",
                         "Pass --data pointing at a folder with the layout of shared/data, or at your own "
                         "videos (a root/<exercise>/*.mp4 folder or a manifest CSV).")


def load_dataset(data: str | Path, name: str, progress: Callable[[int, int, str], None] | None = None,
                 skipped: list[tuple[str, str]] | None = None) -> list[Sample]:
    """Samples of one dataset under the data folder (layout of ``shared/data``; ``videos`` also accepts a
    manifest CSV or a ``root/<exercise>/*.mp4`` folder given directly as ``data``). ``skipped``: for
    ``videos``, unreadable files are left out and listed there (:func:`repvision.datasets.videos.load_videos`).

    Raises
    ------
    ManifestError
        Unknown dataset name, or its files are missing.
    """
    d = Path(data)
    if name not in DATASETS:
        raise ManifestError(f"a dataset name among {', '.join(DATASETS)}", repr(name), "Pick one of those.")
    if name in PENN_DATASETS:
        from repvision.datasets.penn_action import load_penn_action

        penn = load_penn_action(d / "penn_action" if (d / "penn_action").is_dir() else d)
        return penn if name == "penn_action" else [s for s in penn if s.label in PENN_EXERCISES]
    if name == "videos":
        from repvision.datasets.videos import load_videos

        src = d / "videos" / "manifest.csv" if (d / "videos" / "manifest.csv").is_file() else d
        return load_videos(src, progress=progress, skipped=skipped)
    if name == "repcount_a":
        from repvision.datasets.repcount import repcount_samples

        return repcount_samples(d / "repcount_a" if (d / "repcount_a").is_dir() else d)
    from repvision.datasets.pose_trainer import load_pose_trainer

    return load_pose_trainer(d / "pose_trainer" if (d / "pose_trainer").is_dir() else d)


# --------------------------------------------------------------------------------------------- metrics
def classification_metrics(y_true: list[str], y_pred: list[str], labels: list[str] | None = None) -> dict[str, Any]:
    """Top-1 accuracy, balanced accuracy (mean recall over the true classes present), macro-F1 (over the
    ``labels``, default the classes seen in ``y_true`` or ``y_pred``), and the confusion matrix
    ``[true][pred]`` over ``labels``. A prediction outside ``labels`` (e.g. ``"unknown"``) is wrong and counts in
    its true class's recall, but has no column in the matrix."""
    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    labels = labels or sorted(set(yt.tolist()) | set(yp.tolist()))
    idx = {c: i for i, c in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=int)
    for a, b in zip(yt, yp):
        if a in idx and b in idx:
            cm[idx[a], idx[b]] += 1
    tp = np.diag(cm).astype(float)
    support = np.array([int(np.sum(yt == c)) for c in labels])   # also the clips answered outside ``labels``
    predicted = cm.sum(0)
    present = support > 0
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    prec = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    f1 = np.divide(2 * prec * recall, prec + recall, out=np.zeros_like(tp), where=(prec + recall) > 0)
    f1_classes = present | (predicted > 0)
    return {
        "n": int(len(yt)),
        "top1": round(float(np.mean(yt == yp)), 4) if len(yt) else None,
        "balanced_accuracy": round(float(recall[present].mean()), 4) if present.any() else None,
        "macro_f1": round(float(f1[f1_classes].mean()), 4) if f1_classes.any() else None,
        "labels": list(labels),
        "confusion": cm.tolist(),
    }


def write_confusion(metrics: dict[str, Any], out: Path, title: str) -> None:
    """``confusion.csv`` (rows = true, columns = predicted) and ``confusion.png`` under ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, cm = metrics["labels"], np.asarray(metrics["confusion"])
    with open(out / "confusion.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["true\\predicted", *labels])
        for lab, row in zip(labels, cm):
            w.writerow([lab, *row.tolist()])
    n = len(labels)
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n, 0.8 + 0.45 * n))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "confusion.png", dpi=110)
    plt.close(fig)


def write_curves(histories: list[list[Any]], out: Path, title: str) -> None:
    """``training_curves.png``: training loss, validation loss and validation accuracy per epoch, one line
    per fit (fold)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for k, h in enumerate(histories):
        ep = [r.epoch for r in h]
        axes[0].plot(ep, [r.train_loss for r in h], label=f"fit {k + 1}")
        axes[1].plot(ep, [r.val_loss for r in h])
        axes[2].plot(ep, [r.val_acc for r in h])
    for ax, name in zip(axes, ("training loss (weighted CE)", "validation loss (clip NLL)", "validation top-1")):
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("epoch")
    if histories:
        axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "training_curves.png", dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------- model fits
class _DefaultAdapter:
    """The default classifier's recipe (:mod:`repvision.training`: window features + MLP, mirrored windows,
    clip = mean of window probabilities) behind the same fit/predict_proba interface as the torch models."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.history_: list[Any] = []

    def fit(self, clips: list[Any], y: np.ndarray, groups: np.ndarray | None = None,
            progress: Callable[[Any], None] | None = None) -> "_DefaultAdapter":
        from repvision.training import fit_clips

        self.clf = fit_clips(list(clips), self.seed)
        self.classes_ = self.clf.classes_
        return self

    def predict_proba(self, clips: list[Any]) -> np.ndarray:
        return np.stack([self.clf.windows_proba(c.X, c.Xm) for c in clips])


def prepare_clips(model: str, samples: list[Sample], source: str) -> tuple[list[Any], list[int]]:
    """Per-clip model input and the indices of the samples kept (clips without any person are dropped):
    :class:`repvision.training.ClipFeatures` window features for ``default`` (with the rotated and any turned training
    copies, except for samples of an official test split, which are never trained on), ``(K, T, 13, C)`` windows
    otherwise."""
    out, keep = [], []
    if model == "default":
        from repvision.training import clip_features, predicted_clip_features

        for i, s in enumerate(samples):
            test_only = source in PENN_DATASETS and s.meta.get("split") == "test"
            c = predicted_clip_features(s, source) if test_only else clip_features(s, source)
            if c is not None:
                out.append(c)
                keep.append(i)
        return out, keep
    from repvision.seq_models import sequence_tensor

    for i, s in enumerate(samples):
        try:
            out.append(sequence_tensor(s.pose))
            keep.append(i)
        except TooFewDetectionsError:
            continue
    return out, keep


def make_model(model: str, seed: int = SEED, epochs: int | None = None) -> Any:
    """A fresh classifier for ``model`` (:data:`MODEL_NAMES`)."""
    if model == "default":
        return _DefaultAdapter(seed)
    from repvision.seq_models import ENSEMBLE_MEMBERS, SkeletonEnsemble, TorchSequenceClassifier

    if model == "ensemble":
        return SkeletonEnsemble(epochs={m: epochs or EPOCHS[m] for m in ENSEMBLE_MEMBERS},
                                seed=seed % (2 ** 31), threads=1)

    return TorchSequenceClassifier(model=model, epochs=epochs or EPOCHS[model], seed=seed % (2 ** 31), threads=1)


def evaluate(model: str, data: str | Path, dataset: str, folds: int = 5, out: str | Path | None = None,
             console: Any = None, epochs: int | None = None, samples: list[Sample] | None = None
             ) -> dict[str, Any]:
    """Evaluate one model on one dataset (protocols in the module docstring).

    Parameters
    ----------
    model:
        One of :data:`MODEL_NAMES`.
    data:
        The data folder (layout of ``shared/data``).
    dataset:
        One of :data:`DATASETS`.
    folds:
        Folds of the grouped cross-validation (ignored for ``penn_action`` and ``penn_action_8``).
    out:
        Folder for ``metrics.json``, ``confusion.csv/png`` and ``training_curves.png`` (None: nothing written).
    console:
        A ``rich.console.Console`` for the progress bar (a new one if None).
    epochs:
        Override of the maximum epochs of a torch model.
    samples:
        Already loaded samples of ``dataset`` (skips loading).

    Returns
    -------
    dict: ``model``, ``dataset``, ``protocol``, ``top1``, ``balanced_accuracy``, ``macro_f1``, ``n``,
    (Penn Action: ``top1_8`` and the 8-exercise-class metrics), ``seconds``, ``labels``, ``confusion``,
    ``n_dropped_no_person`` (clips without any frame with a person: never trained on; a tested one counts as a
    wrong "unknown" answer, so ``n`` is every tested clip).

    Raises
    ------
    ManifestError
        Unknown model or dataset, or missing data.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from repvision.training import print_left_out

    if model not in MODEL_NAMES:
        raise ManifestError(f"a model among {', '.join(MODEL_NAMES)}", repr(model), "Pick one of those.")
    if folds < 2:
        raise ManifestError("at least 2 folds", str(folds), "Pass --folds 2 or more.")
    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    unreadable: list[tuple[str, str]] = []
    if samples is None:
        samples = load_dataset(data, dataset, skipped=unreadable)
    print_left_out(console, unreadable)
    clips, keep = prepare_clips(model, samples, dataset)
    kept = [samples[i] for i in keep]
    labels = np.array([s.label for s in kept])
    groups = np.array([f"{dataset}:{s.group_id}" for s in kept])
    if dataset in PENN_DATASETS:
        split = np.array([s.meta.get("split") for s in kept])
        plan = [(np.flatnonzero(split == "train"), np.flatnonzero(split == "test"))]
        protocol = "official train/test split"
    else:
        import warnings

        from sklearn.model_selection import StratifiedGroupKFold

        if len(np.unique(groups)) < folds:
            raise ManifestError(f"at least {folds} source groups", f"{len(np.unique(groups))}", "Lower --folds.")
        cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=SEED % (2 ** 31))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # classes with fewer groups than folds
            plan = list(cv.split(np.zeros(len(labels)), labels, groups))
        protocol = f"stratified {folds}-fold CV grouped by group_id"
    pred = np.empty(len(labels), dtype=object)
    histories = []
    ep_max = epochs or EPOCHS.get(model, 1)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(f"{model} on {dataset}", total=len(plan) * (ep_max if model != "default" else 1))
        for k, (tr, te) in enumerate(plan):
            bar.update(task, description=f"{model} on {dataset}: fit {k + 1}/{len(plan)}")
            clf = make_model(model, SEED + k, epochs)
            done0 = k * (ep_max if model != "default" else 1)
            clf.fit([clips[i] for i in tr], labels[tr], groups[tr],
                    progress=lambda r, d=done0: bar.update(task, completed=d + r.epoch))
            bar.update(task, completed=(k + 1) * (ep_max if model != "default" else 1))
            p = clf.predict_proba([clips[i] for i in te])
            pred[te] = clf.classes_[p.argmax(1)]
            histories.append(getattr(clf, "history_", []))
    test = np.concatenate([te for _, te in plan])
    yt, yp = labels[test].tolist(), [str(v) for v in pred[test]]
    # a test clip without any person gets no answer: it counts as wrong ("unknown"), not as left out
    kept_idx = set(keep)
    dropped = [s for i, s in enumerate(samples) if i not in kept_idx
               and (dataset not in PENN_DATASETS or s.meta.get("split") == "test")]
    yt += [s.label for s in dropped]
    yp += [UNKNOWN] * len(dropped)
    m = classification_metrics(yt, yp, sorted(set(labels.tolist())))
    fig: dict[str, Any] = {"model": model, "dataset": dataset, "protocol": protocol, **m,
                           "n_dropped_no_person": len(samples) - len(kept), "n_unreadable_videos": len(unreadable)}
    if dataset == "penn_action":
        ex = [i for i, y in enumerate(yt) if y in PENN_EXERCISES]
        m8 = classification_metrics([yt[i] for i in ex], [yp[i] for i in ex], list(PENN_EXERCISES))
        fig.update({"top1_8": m8["top1"], "balanced_accuracy_8": m8["balanced_accuracy"],
                    "macro_f1_8": m8["macro_f1"]})
    if histories and histories[0]:
        fig["epochs_run"] = [len(h) for h in histories]
    fig["seconds"] = round(time.perf_counter() - t0, 1)
    if out is not None:
        o = Path(out)
        o.mkdir(parents=True, exist_ok=True)
        write_confusion(m, o, f"{model} on {dataset} ({protocol}): top-1 {m['top1']}")
        if any(histories):
            write_curves(histories, o, f"{model} on {dataset}")
        (o / "metrics.json").write_text(json.dumps(fig, indent=2))
    return fig


def train_model(model: str, data: str | Path, out: str | Path, console: Any = None,
                epochs: int | None = None) -> dict[str, Any]:
    """Train one torch model on every dataset present under ``data`` (Penn Action: train split only, so its
    test split stays usable for evaluation), or on one's own videos when ``data`` is a ``root/<exercise>/*.mp4``
    folder or a manifest CSV (:func:`repvision.training.own_videos`), and save it with
    :meth:`repvision.seq_models.TorchSequenceClassifier.save`. Returns a small dict of figures."""
    from rich.console import Console

    from repvision.training import load_own_videos, own_videos, print_left_out

    if model not in MODEL_NAMES or model == "default":
        raise ManifestError(f"a torch model among {', '.join(MODEL_NAMES[1:])}", repr(model),
                            "Use 'repvision train' without --model for the default classifier.")
    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    clips, labels, groups = [], [], []
    present = [n for n in available_datasets(data) if n != "penn_action_8"]   # a subset of penn_action
    own = None if present else own_videos(data)   # one's own root/<exercise>/*.mp4 folder or manifest CSV
    if own is not None:
        present = ["videos"]
    if not present:
        raise _no_datasets(data)
    for name in present:
        with console.status(f"loading {name}"):
            unreadable: list[tuple[str, str]] = []
            samples = (load_dataset(data, name, skipped=unreadable) if own is None
                       else load_own_videos(own, skipped=unreadable))
        print_left_out(console, unreadable)
        with console.status(f"preparing {name}"):
            if name == "penn_action":
                samples = [s for s in samples if s.meta.get("split") == "train"]
            c, keep = prepare_clips(model, samples, name)
        clips += c
        labels += [samples[i].label for i in keep]
        groups += [f"{name}:{samples[i].group_id}" for i in keep]
    clf = make_model(model, SEED, epochs)
    with console.status(f"training {model}") as st:
        clf.fit(clips, np.array(labels), np.array(groups),
                progress=lambda r: st.update(f"training {model}: epoch {r.epoch}, loss {r.train_loss:.3f}, "
                                             f"val top-1 {r.val_acc:.3f}"))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    clf.save(str(out))
    return {"model": model, "datasets": present, "n_clips": len(labels), "classes": clf.classes_.tolist(),
            "best_epoch": clf.best_epoch_, "out": str(out), "seconds": round(time.perf_counter() - t0, 1)}


def bench_classify(data: str | Path, models: tuple[str, ...] = MODEL_NAMES, datasets: list[str] | None = None,
                   folds: int = 5, out: str | Path | None = None, console: Any = None) -> dict[str, Any]:
    """Every model on every dataset present (see :func:`evaluate`); prints a rich table and returns
    ``{"results": [figures...], "seconds": ...}`` (confusion matrices left out).

    With ``out``, each run writes ``out/<dataset>_<model>/metrics.json`` as soon as it finishes, and a run whose
    file is already there is read back instead of being repeated, so an interrupted benchmark resumes. Raises
    :class:`repvision.errors.ManifestError` when ``data`` holds none of the datasets."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t0 = time.perf_counter()
    names = datasets or available_datasets(data)
    if not names:
        raise _no_datasets(data)
    rows = []
    for ds in names:
        samples = None
        for m in models:
            sub = None if out is None else Path(out) / f"{ds}_{m}"
            done = None if sub is None else sub / "metrics.json"
            if done is not None and done.is_file():
                f = json.loads(done.read_text())
                console.print(f"{m} on {ds}: read from {done} (finished earlier)", soft_wrap=True, markup=False)
            else:
                if samples is None:
                    with console.status(f"loading {ds}"):
                        samples = load_dataset(data, ds)
                f = evaluate(m, data, ds, folds=folds, out=sub, console=console, samples=samples)
            f = {k: v for k, v in f.items() if k not in ("confusion", "labels")}
            rows.append(f)
            console.print(f"{m} on {ds}: top-1 {f['top1']}, balanced {f['balanced_accuracy']}, "
                          f"macro-F1 {f['macro_f1']} ({f['seconds']} s)", soft_wrap=True)
    tab = Table(title="Exercise classification (Penn Action: official split; others: grouped CV)")
    for col in ("dataset", "model", "clips", "top-1", "balanced acc.", "macro-F1", "top-1 (8 ex.)", "seconds"):
        tab.add_column(col)
    for f in rows:
        tab.add_row(f["dataset"], f["model"], str(f["n"]), str(f["top1"]), str(f["balanced_accuracy"]),
                    str(f["macro_f1"]), str(f.get("top1_8", "")), str(f["seconds"]))
    console.print(tab)
    return {"results": rows, "seconds": round(time.perf_counter() - t0, 1)}
