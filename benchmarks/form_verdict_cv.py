"""Which rule-based video verdict to use, chosen by grouped cross-validation (labelled ``videos/`` rows).

``repvision bench form`` calls a video's form incorrect from its rule report (``repvision.form.assess_form``).
Three verdicts are compared: a *major fault* (an issue from a check weighing >= 20 points in the exercise's rule
file; the shipped verdict), a mean repetition score below 80 (the earlier verdict), and any issue at all. For 5
shuffles of a 5-fold split grouped by ``group_id`` (scikit-learn ``StratifiedGroupKFold``), each fold takes the
verdict with the best accuracy on the other folds (ties: the earlier verdict first) and applies it to the
held-out videos; the pooled held-out accuracy is what the choice is worth on videos it was not made on.

    .venv/bin/python benchmarks/form_verdict_cv.py [--data ../shared/data]

Last line: one JSON object (in-sample accuracy of each verdict, the choice per fold, held-out accuracy, and per
exercise how many correct / incorrect videos each check fires on).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from repvision.bench import choose_binary_verdict, mean_held_out_accuracy
from repvision.bench.form import RULE_SCORE_THRESHOLD, rule_report, score_verdict, major_fault
from repvision.form_models import binary_metrics, load_labelled_videos


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    a = ap.parse_args()
    items = load_labelled_videos(a.data)
    reports = [rule_report(it) for it in items]
    y = np.array([int(it.is_bad) for it in items])
    groups = np.array([it.group for it in items])
    judged = [r.mode in ("reps", "hold") for r in reports]
    verdicts = {   # order = tie-break preference
        f"mean_score_below_{RULE_SCORE_THRESHOLD:g}": np.array([score_verdict(r) for r in reports]),
        "major_fault": np.array([int(major_fault(r)) for r in reports]),   # no verdict where nothing was judged
        "any_issue": np.array([int(j and bool(r.issues)) for j, r in zip(judged, reports)]),
    }
    names = list(verdicts)
    runs = choose_binary_verdict([verdicts[n] for n in names], names, y, groups)
    for r in runs:
        print(f"seed {r['seed']}: chosen {r['chosen']}; held-out accuracy {r['held_out']['accuracy']:.4f}")
    in_sample = {n: binary_metrics(y, v) for n, v in verdicts.items()}
    push = np.array([it.exercise == "push_up" for it in items])
    for n, m in in_sample.items():
        print(f"{n:28s} in-sample accuracy {m['accuracy']:.4f}  F1 {m['f1']:.4f}  "
              f"(push-ups {np.mean(verdicts[n][push] == y[push]):.4f})")
    # which checks fire on correct and on incorrect videos (a check firing as often on both cannot tell them apart)
    fired: dict[str, dict[str, list[int]]] = {}
    for it, r, bad in zip(items, reports, y):
        by_check = fired.setdefault(it.exercise, {})
        for check in sorted({i.check for i in r.issues}):
            by_check.setdefault(check, [0, 0])[int(bad)] += 1
    n_by = {ex: [int(np.sum((y == b) & np.array([it.exercise == ex for it in items]))) for b in (0, 1)]
            for ex in fired}
    checks_fired = {ex: {c: {"correct": v[0], "incorrect": v[1]} for c, v in sorted(d.items())}
                    for ex, d in sorted(fired.items())}
    for ex, d in checks_fired.items():
        print(f"{ex} ({n_by[ex][0]} correct, {n_by[ex][1]} incorrect videos): checks firing at least once -- "
              + ", ".join(f"{c} {v['correct']}/{v['incorrect']}" for c, v in d.items()))
    print(json.dumps({"benchmark": "form_verdict_cv", "n_videos": len(items),
                      "checks_fired": checks_fired, "videos_per_exercise": n_by,
                      "held_out_accuracy_mean": mean_held_out_accuracy(runs),
                      "in_sample": in_sample, "runs": runs,
                      "cv_scheme": "StratifiedGroupKFold(5) by group_id, seeds 0-4; per fold the verdict with the "
                                   "best training-fold accuracy"}, default=float))


if __name__ == "__main__":
    main()
