"""Push-up rule thresholds chosen by grouped cross-validation (labelled ``videos/`` push-up rows).

The push-up rule file (``src/repvision/form_rules/push_up.toml``) bounds, among others, the elbow angle at the
bottom (``depth``: elbows bent to at most ``max`` degrees) and, in a front view, how far the elbows flare out from
the torso (``elbow_flare``), and weighs each check in points of 100; ``repvision bench form`` calls a video
incorrect when a check weighing >= 20 points fires (``repvision.form.MAJOR_FAULT_WEIGHT``). This script
compares settings of those three numbers on the PushFit / kaiakol push-up videos, end to end from their poses
(repetitions counted once per video, then judged with each setting):

* ``depth.max``: 100 (shipped), 95, 90 (ACE: lower until the elbows reach about 90 degrees);
* ``elbow_flare.max``: 60 (shipped), 55, 50, 45 (the coaching cue: elbows about 45 degrees from the torso);
* ``elbow_flare.weight``: 15 (shipped, a minor cue) or 20 (a major fault).

For 5 shuffles of a 5-fold split grouped by ``group_id`` (scikit-learn ``StratifiedGroupKFold``), each fold takes
the setting with the best accuracy on the other folds (ties: the shipped setting, then the listed order) and
applies it to the held-out videos; the pooled held-out accuracy is what the choice is worth on videos it was not
made on.

    .venv/bin/python benchmarks/form_thresholds_cv.py [--data ../shared/data]

Last line: one JSON object (in-sample accuracy of each setting, the choice per fold, held-out accuracy).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
from repvision.bench import choose_binary_verdict, mean_held_out_accuracy
from repvision.form import assess_form, load_rules
from repvision.form_models import binary_metrics, load_labelled_videos
from repvision.reps import count_repetitions

DEPTH = (100.0, 95.0, 90.0)
FLARE = (60.0, 55.0, 50.0, 45.0)
FLARE_WEIGHT = (15.0, 20.0)


def _rules(base, depth: float, flare: float, flare_weight: float):
    checks = dict(base.checks)
    checks["depth"] = dataclasses.replace(checks["depth"], max=depth)
    checks["elbow_flare"] = dataclasses.replace(checks["elbow_flare"], max=flare, weight=flare_weight)
    return dataclasses.replace(base, checks=checks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    a = ap.parse_args()
    items = [it for it in load_labelled_videos(a.data) if it.exercise == "push_up"]
    base = load_rules("push_up")
    shipped = (base.checks["depth"].max, base.checks["elbow_flare"].max, base.checks["elbow_flare"].weight)
    points = [shipped] + [p for p in itertools.product(DEPTH, FLARE, FLARE_WEIGHT) if p != shipped]
    reps = [count_repetitions(it.pose, it.exercise) for it in items]
    y = np.array([int(it.is_bad) for it in items])
    groups = np.array([it.group for it in items])
    verdicts = []
    for p in points:
        rs = _rules(base, *p)
        verdicts.append(np.array([int(assess_form(it.pose, it.exercise, r, rules=rs).verdict == "incorrect")
                                  for it, r in zip(items, reps)]))
    name = [f"depth<={d:g} flare<={f:g} flare_weight={w:g}" for d, f, w in points]
    in_sample = {n: binary_metrics(y, v) for n, v in zip(name, verdicts)}
    for n, m in in_sample.items():
        print(f"{n:45s} in-sample accuracy {m['accuracy']:.4f}  F1 {m['f1']:.4f}")
    runs = choose_binary_verdict(verdicts, name, y, groups)
    for r in runs:
        print(f"seed {r['seed']}: chosen {r['chosen']}; held-out accuracy {r['held_out']['accuracy']:.4f}")
    print(json.dumps({"benchmark": "form_thresholds_cv", "exercise": "push_up", "n_videos": len(items),
                      "shipped": name[0],
                      "held_out_accuracy_mean": mean_held_out_accuracy(runs),
                      "in_sample": in_sample, "runs": runs,
                      "cv_scheme": "StratifiedGroupKFold(5) by group_id, seeds 0-4; per fold the setting with the "
                                   "best training-fold accuracy (ties: shipped first)"}, default=float))


if __name__ == "__main__":
    main()
