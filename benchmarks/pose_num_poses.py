"""Pose estimation speed with one person looked for per frame vs several (MediaPipe ``num_poses``), the cost of
the second pass that follows the person exercising when several people are in view (repvision.tracking).

    .venv/bin/python benchmarks/pose_num_poses.py [--clip tests/data/two_people_squat.mp4] [--repeats 3]

Frames are decoded once beforehand; each setting runs a fresh VIDEO-mode PoseEstimator over them, alternating
settings, best of ``--repeats``. Last line: one JSON object (frames/s per num_poses, people found per frame).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from repvision.pose import PoseEstimator
from repvision.video import VideoReader

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=ROOT / "tests" / "data" / "two_people_squat.mp4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", default="lite")
    a = ap.parse_args()
    with VideoReader(a.clip) as r:
        frames = [(f.image, f.timestamp_s) for f in r]
    best: dict[int, float] = {}
    found: dict[int, float] = {}
    for _ in range(a.repeats):
        for k in (1, 2, 4):
            with PoseEstimator(a.model, num_poses=k) as est:
                t0 = time.perf_counter()
                n = [len(est.process_all(img, ts)) for img, ts in frames]
                fps = len(frames) / (time.perf_counter() - t0)
            best[k] = max(best.get(k, 0.0), fps)
            found[k] = float(np.mean(n))
    for k in best:
        print(f"num_poses={k}: {best[k]:.1f} frames/s, {found[k]:.2f} people a frame")
    clip = str(a.clip.resolve().relative_to(ROOT)) if a.clip.resolve().is_relative_to(ROOT) else str(a.clip)
    print(json.dumps({"benchmark": "pose_num_poses", "clip": clip, "frames": len(frames), "model": a.model, "repeats": a.repeats,
                      "fps": {str(k): round(v, 1) for k, v in best.items()},
                      "people_per_frame": {str(k): round(v, 2) for k, v in found.items()}}))


if __name__ == "__main__":
    main()
