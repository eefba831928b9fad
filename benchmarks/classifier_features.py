"""Feature version 2 vs 3 of the exercise classifier, same recipe, several seeds (with or without the rotated
training copies).

Feature version 3 adds the whole-body motion cues (``repvision.classify.MOTION_NAMES``) to version 2's
columns; a version-2 model is the same recipe on the leading columns. For each version and seed this runs the
grouped 5-fold cross-validation of ``repvision.training`` (folds and MLP initialisation from the seed) and
trains a final model on the whole pool for the Penn Action official test split, so the effect of the features
can be told from seed luck.

    python benchmarks/classifier_features.py --data ../shared/data --members 1 --seeds 5 \
        --json benchmarks/results/classifier_features_members1_seeds5.json

``--versions 3`` runs one version only; ``--no-rotations`` trains without the rotated copies of the clips
(``repvision.training.ROTATIONS_DEG``), and ``--turns=-45,45`` adds copies of the clips with depth seen from
cameras moved by those angles around the person (``repvision.features.turn_sequence``; not in the shipped
recipe), so their effect can be told from seed luck the same way.

Prints one table per version and, last, one JSON line with every figure (also written to ``--json``).
Needs scikit-learn (``pip install -e '.[train]'``); video poses come from the pose cache (extracted on the
first run).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from repvision import training as tr
from repvision.classify import N_BOX_FEATURES, ORIENTATION_NAMES, feature_names

VERSIONS = {2: N_BOX_FEATURES + 4 * len(ORIENTATION_NAMES), 3: len(feature_names())}
SOURCES = ("penn_action", "repcount_a", "pose_trainer", "videos")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--members", type=int, default=1, help="MLPs per model (n_members)")
    ap.add_argument("--seeds", type=int, default=5, help="seeds SEED, SEED+1, ...")
    ap.add_argument("--versions", default="2,3", help="comma-separated feature versions to run")
    ap.add_argument("--no-rotations", action="store_true", help="train without the rotated copies of the clips")
    ap.add_argument("--turns", type=tr._angles, default=tr.TURNS_DEG, metavar="DEG,DEG",
                    help="also train on copies of the clips with depth seen from turned cameras, e.g. --turns=-45,45")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    versions = {int(v): VERSIONS[int(v)] for v in a.versions.split(",")}
    console = Console()
    t0 = time.perf_counter()
    rotations = () if a.no_rotations else tr.ROTATIONS_DEG
    turns = a.turns
    clips, penn_test, n_clips, _ = tr.training_pool(a.data, console, rotations=rotations, turns=turns)
    params = {"n_members": a.members}
    out: dict = {"members": a.members, "seeds": a.seeds, "n_clips": n_clips, "rotations_deg": list(rotations),
                 "turns_deg": list(turns),
                 "versions": {}}
    for version, n_cols in versions.items():
        cut = [replace(c, X=c.X[:, :n_cols], Xm=c.Xm[:, :n_cols],
                       augmented=tuple((X[:, :n_cols], Xm[:, :n_cols]) for X, Xm in c.augmented)) for c in clips]
        cut_test = [replace(c, X=c.X[:, :n_cols], Xm=c.Xm[:, :n_cols]) for c in penn_test]
        labels = [c.label for c in cut]
        runs = []
        for k in range(a.seeds):
            seed = tr.SEED + k
            oof, classes = tr.cross_validated_proba(cut, seed, console=console, params=params)
            thr, _ = tr.choose_unknown_threshold(labels, oof, classes)
            run = {"seed": seed, "threshold": thr}
            for src in SOURCES:
                idx = [i for i, c in enumerate(cut) if c.source == src]
                if idx:
                    run[f"cv_top1_{src}"] = tr.figures_at_threshold(
                        [labels[i] for i in idx], oof[idx], classes, thr)["top1"]
            final = tr.fit_clips(cut, seed, thr, params=params)
            pf = tr.penn_test_figures(final, cut_test, thr)
            run["penn_test_top1_8"] = pf["top1_8_exercise_classes"]
            run["penn_test_top1_15"] = pf["top1_15_classes"]
            runs.append(run)
            console.print(f"version {version} seed {seed}: {run} ({time.perf_counter() - t0:.0f} s)")
        keys = [k for k in runs[0] if k not in ("seed", "threshold")]
        summary = {k: {"mean": round(float(np.mean([r[k] for r in runs])), 4),
                       "min": min(r[k] for r in runs), "max": max(r[k] for r in runs)} for k in keys}
        out["versions"][str(version)] = {"n_features": n_cols, "runs": runs, "summary": summary}
        tab = Table(title=f"feature version {version} ({n_cols} columns), {a.members} member(s), {a.seeds} seed(s)")
        for col in ("figure", "mean", "min", "max"):
            tab.add_column(col)
        for k, v in summary.items():
            tab.add_row(k, f"{v['mean']:.4f}", f"{v['min']:.4f}", f"{v['max']:.4f}")
        console.print(tab)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=2))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
