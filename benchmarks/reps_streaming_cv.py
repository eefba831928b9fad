"""Choose a streaming-counter setting by grouped cross-validation (RepCount-A).

``benchmarks/reps_streaming.py --out FILE`` runs the streaming counter with one setting and writes its per-video
counts. This script takes several such files (one per setting, same data), and for each of 5 folds grouped by
``group_id`` (the folds of ``repvision bench reps``, :func:`repvision.bench.reps.grouped_folds`) picks, on the
other 4 folds, the setting with the lowest MAE (``--criterion live``: of the count reported live, before
``finish()`` -- what ``repvision live`` shows during a session, whose final report comes from the offline
analysis; ``--criterion final``: of the streaming counter's final count) among those whose median report latency
stays within
``--latency-goal`` (issue 3: a repetition reported at most 0.5 s after it ends; the lowest MAE overall when no
setting keeps it), and applies it to the held-out fold (ties: the file listed first). The pooled held-out figures
are what that choice is worth on videos it was not chosen on.

    .venv/bin/python benchmarks/reps_streaming_cv.py A.json B.json [...] [--latency-goal 0.5] [--criterion live]

Last line: one JSON object (per-setting in-sample figures, the choice per fold, held-out figures).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from repvision.bench import choose_per_fold
from repvision.bench.reps import count_errors, grouped_folds


def _figures(rows: list[dict]) -> dict:
    """Final streaming and live MAE/OBO, agreement with the offline count within 1, latency p50/p95 of ``rows``."""
    mae, obo = count_errors([r["streaming"] for r in rows], [r["true"] for r in rows])
    lmae, lobo = count_errors([r["live"] for r in rows], [r["true"] for r in rows])
    lat = np.asarray([x for r in rows for x in r["latencies_s"]], dtype=np.float64)
    return {"streaming_mae": round(mae, 4), "streaming_obo": round(obo, 4),
            "live_mae": round(lmae, 4), "live_obo": round(lobo, 4),
            "streaming_agree_within_1": round(float(np.mean([abs(r["streaming"] - r["offline"]) <= 1
                                                             for r in rows])), 4),
            "latency_p50_s": round(float(np.median(lat)), 3) if lat.size else None,
            "latency_p95_s": round(float(np.percentile(lat, 95)), 3) if lat.size else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path, help="files written by reps_streaming.py --out")
    ap.add_argument("--latency-goal", type=float, default=0.5,
                    help="largest median report latency (s) a setting may have on the training folds")
    ap.add_argument("--criterion", choices=("live", "final"), default="live",
                    help="MAE of the live-reported count (default) or of the final streaming count")
    a = ap.parse_args()
    runs = [json.loads(p.read_text()) for p in a.results]
    names = [json.dumps(r["settings"], sort_keys=True) for r in runs]
    videos = [v["video"] for v in runs[0]["per_video"]]
    for p, r in zip(a.results, runs):
        if [v["video"] for v in r["per_video"]] != videos:
            raise SystemExit(f"{p}: not the same videos in the same order as {a.results[0]}")
    folds = grouped_folds([v["group"] for v in runs[0]["per_video"]])
    key = "live" if a.criterion == "live" else "streaming"

    def train_loss(j: int, train: np.ndarray) -> tuple[bool, float]:
        """(median latency past the goal, MAE of the criterion's count) of setting ``j`` on the training folds."""
        rows = [v for v, t in zip(runs[j]["per_video"], train) if t]
        p50 = np.median([x for v in rows for x in v["latencies_s"]] or [np.inf])
        return bool(p50 > a.latency_goal), count_errors([v[key] for v in rows], [v["true"] for v in rows])[0]

    choice = choose_per_fold(folds, len(runs), train_loss)
    chosen = [runs[j]["settings"] for j in choice.values()]
    held_out = [runs[choice[int(f)]]["per_video"][i] for i, f in enumerate(folds)]
    out = {"benchmark": "reps_streaming_cv", "n_videos": len(videos),
           "in_sample": {n: _figures(r["per_video"]) for n, r in zip(names, runs)},
           "chosen_per_fold": chosen, "held_out": _figures(held_out),
           "latency_goal_s": a.latency_goal, "criterion": a.criterion,
           "cv_scheme": "5 folds grouped by group_id (repvision.bench.reps.grouped_folds); per fold the setting "
                        "with the lowest training-fold MAE of the criterion's count (live: reported before finish(); "
                        "final: after it) among those with training-fold median latency <= latency_goal_s"}
    for n, f in out["in_sample"].items():
        print(f"{n:50s} {f}")
    print(f"chosen per fold: {chosen}")
    print(f"held out: {out['held_out']}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
