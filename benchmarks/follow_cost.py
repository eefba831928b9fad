"""What following the person exercising costs end to end: ``repvision.analyze`` (no pose cache, default pose
workers) on the two-person test clip played 3 times in a row (17 s, 960x540), with and without
``follow_exerciser``, alternating, best of ``--repeats``.

    .venv/bin/python benchmarks/follow_cost.py [--repeats 2]

Last line: one JSON object (seconds of each setting, their ratio, the counts and exercises found).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from repvision.config import AnalyzeConfig
from repvision.pipeline import analyze

CLIP = Path(__file__).resolve().parents[1] / "tests" / "data" / "two_people_squat.mp4"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    with av.open(str(CLIP)) as c:
        vs = c.streams.video[0]
        rate = vs.average_rate
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(vs)]
    with tempfile.TemporaryDirectory() as d:
        clip = Path(d) / "three_times.mp4"
        with av.open(str(clip), "w") as out:
            st = out.add_stream("libx264", rate=rate)
            st.width, st.height, st.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
            for img in frames * 3:
                out.mux(st.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")))
            out.mux(st.encode())
        best: dict[bool, float] = {}
        found: dict[bool, tuple] = {}
        for _ in range(a.repeats):
            for follow in (False, True):
                t0 = time.perf_counter()
                res = analyze(clip, AnalyzeConfig(cache=False, follow_exerciser=follow))
                best[follow] = min(best.get(follow, np.inf), time.perf_counter() - t0)
                found[follow] = (res.exercise.label, res.repetitions.count)
    for follow in (False, True):
        print(f"follow_exerciser={follow}: {best[follow]:.2f} s, {found[follow][0]}, {found[follow][1]} repetitions")
    print(json.dumps({"benchmark": "follow_cost", "clip": "tests/data/two_people_squat.mp4 x3", "frames": 3 * len(frames),
                      "repeats": a.repeats, "seconds_one_person": round(best[False], 2),
                      "seconds_following": round(best[True], 2), "ratio": round(best[True] / best[False], 2),
                      "one_person": found[False], "following": found[True]}))


if __name__ == "__main__":
    main()
