"""What following costs per frame in live mode, apart from pose estimation: ``LiveFollower.update`` timed on
the poses of a real two-person clip.

The clip (default ``tests/data/two_people_squat.mp4``: a squatting person and a still one) is run once through
``PoseEstimator(num_poses=2).process_all``; the poses found in each frame are then fed to a fresh
:class:`repvision.tracking.LiveFollower` ``--loops`` times in a row (timestamps continuing), as ``run_live``
does once following has started, and every ``update`` is timed. Best of ``--repeats`` runs.

    .venv/bin/python benchmarks/live_follow_cost.py [--clip PATH] [--loops 6] [--repeats 3]

Last line: one JSON object (p50/p95 milliseconds per update, frames, people found per frame, and what was
followed: the track id chosen in each frame, run-length coded, so two versions of the follower can be compared).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from repvision.pose import PoseEstimator
from repvision.tracking import LiveFollower
from repvision.video import VideoReader

CLIP = Path(__file__).resolve().parents[1] / "tests" / "data" / "two_people_squat.mp4"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--loops", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    frames: list[tuple[float, list[np.ndarray]]] = []
    with VideoReader(a.clip) as reader, PoseEstimator("lite", num_poses=2) as est:
        for f in reader:
            frames.append((f.timestamp_s, [p.landmarks for p in est.process_all(f.image, f.timestamp_s)]))
    span = frames[-1][0] + (frames[1][0] - frames[0][0])
    runs = []
    for _ in range(a.repeats):
        follower, ms, chosen = LiveFollower(), [], []
        for k in range(a.loops):
            for t, poses in frames:
                t0 = time.perf_counter()
                follower.update(poses, t + k * span)
                ms.append((time.perf_counter() - t0) * 1000.0)
                chosen.append(follower.followed)
        runs.append(np.asarray(ms))
    followed: list[list] = []   # [[track id, frames], ...] in order
    for tid in chosen:
        if followed and followed[-1][0] == tid:
            followed[-1][1] += 1
        else:
            followed.append([tid, 1])
    best = min(runs, key=lambda m: float(np.median(m)))
    people = float(np.mean([len(p) for _, p in frames]))
    print(json.dumps({"benchmark": "live_follow_cost", "clip": os.path.relpath(a.clip), "loops": a.loops, "repeats": a.repeats,
                      "updates": int(best.size), "people_per_frame": round(people, 2),
                      "update_ms_p50": round(float(np.median(best)), 3),
                      "update_ms_p95": round(float(np.percentile(best, 95)), 3), "followed": followed}))


if __name__ == "__main__":
    main()
