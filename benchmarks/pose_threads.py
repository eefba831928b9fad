"""Frames per second of the pose model alone on pre-decoded frames: one landmarker on one thread against
``--threads`` landmarkers on as many threads, each on its own contiguous part of the clip (the way
``estimate_video`` splits a video into stretches). Tells how much of the machine the pose model can use
when decoding is out of the way.

Usage: ``.venv/bin/python benchmarks/pose_threads.py [VIDEO] [--threads 2] [--max-size PIXELS]``
Last line: one JSON object ``{"one_thread_fps", "threads_fps", "threads", "frames", ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from repvision.pose import PoseEstimator
from repvision.video import VideoReader

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "full_res" / "calimiro_pull-up_9_1280x720.mp4"


def _run(frames, out: list) -> None:
    with PoseEstimator("lite") as est:
        for t, img in frames:
            out.append(est.process(img, t).found)


def main() -> None:
    import threading

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=DEFAULT)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-size", type=int, default=None)
    a = ap.parse_args()
    with VideoReader(a.video, max_size=a.max_size) as r:
        frames = [(f.timestamp_s, f.image) for f in r]
    found: list = []
    t0 = time.perf_counter()
    _run(frames, found)
    one = len(frames) / (time.perf_counter() - t0)
    k = max(1, a.threads)
    cuts = [len(frames) * i // k for i in range(k + 1)]
    outs: list[list] = [[] for _ in range(k)]
    threads = [threading.Thread(target=_run, args=(frames[cuts[i]:cuts[i + 1]], outs[i])) for i in range(k)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    many = len(frames) / (time.perf_counter() - t0)
    print(f"pose model alone: {one:.1f} frames/s on 1 thread, {many:.1f} on {k} threads "
          f"({len(frames)} frames of {os.path.basename(a.video)}, landmarker creation included)")
    print(json.dumps({"video": str(a.video), "frames": len(frames), "max_size": a.max_size, "threads": k,
                      "one_thread_fps": round(one, 2), "threads_fps": round(many, 2),
                      "found_one": int(sum(found)), "found_threads": int(sum(map(sum, outs))),
                      "cpu_count": os.cpu_count()}))


if __name__ == "__main__":
    main()
