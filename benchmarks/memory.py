"""Peak memory of ``repvision analyze`` on a 10-minute 1080p video.

The long video is made without re-encoding: the packets of a real 1920x1080 clip from ``../shared/data``
(``videos/full_res/pushfit_correct111_1920x1080.mp4``, 10 s at 55 fps) are copied in a loop with shifted
timestamps until the wanted duration is reached. ``repvision analyze`` then runs on it in a child process
(pose cache off) and the child's peak resident set size is read from ``getrusage``.

    .venv/bin/python benchmarks/memory.py [--minutes 10] [--stride 2] [--max-size 640]
    .venv/bin/python benchmarks/memory.py --stride 1 --max-size 0      # analyze's default: every frame, full size
    .venv/bin/python benchmarks/memory.py ... --no-trim   # without returning freed heap memory to the OS
                                                          # (repvision.video.release_freed_memory), for comparison

Last line: one JSON object (duration, frames, peak RSS in MB, wall seconds, the analysis' rep count).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av

CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "full_res" / \
    "pushfit_correct111_1920x1080.mp4"


def loop_video(src: Path, dst: Path, minutes: float) -> tuple[float, int]:
    """Write ``src`` repeated until ``minutes`` long to ``dst`` by packet copy; returns (seconds, frames)."""
    with av.open(str(src)) as c:
        vs = c.streams.video[0]
        raw = [(bytes(p), p.pts, p.dts, p.is_keyframe, p.duration) for p in c.demux(vs) if p.dts is not None]
        tb = vs.time_base
        span = max(r[1] for r in raw) - min(r[1] for r in raw) + (raw[1][4] or 1)
        loops = int(minutes * 60 / float(span * tb)) + 1
        n = 0
        with av.open(str(dst), "w") as out:
            ostream = out.add_stream_from_template(vs)
            for k in range(loops):
                for data, pts, dts, key, dur in raw:
                    p = av.Packet(data)
                    p.pts, p.dts, p.duration = pts + k * span, dts + k * span, dur
                    p.is_keyframe = key
                    p.time_base = tb
                    p.stream = ostream
                    out.mux(p)
                    n += 1
    return loops * float(span * tb), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--stride", type=int, default=2)
    ap.add_argument("--max-size", type=int, default=640, help="downscale before pose estimation; 0 = full size")
    ap.add_argument("--no-trim", action="store_true", help="set REPVISION_NO_HEAP_TRIM=1 in the analysis")
    a = ap.parse_args()
    max_size = a.max_size or None
    env = {**os.environ, **({"REPVISION_NO_HEAP_TRIM": "1"} if a.no_trim else {})}
    with tempfile.TemporaryDirectory() as d:
        long = Path(d) / "long_1080p.mp4"
        seconds, frames = loop_video(CLIP, long, a.minutes)
        code = ("import json, repvision; r = repvision.analyze(%r, cache=False, stride=%d, max_size=%r); "
                "print(json.dumps({'reps': r.repetitions.count, 'frames_analysed': r.frames_analysed, "
                "'width': r.video.width, 'height': r.video.height}))" % (str(long), a.stride, max_size))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            sys.exit(f"analyze failed:\n{out.stderr[-3000:]}")
        wall = time.perf_counter() - t0
    child = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps({"video_seconds": round(seconds, 1), "frames": frames, **child, "stride": a.stride,
                      "max_size": max_size, "heap_trim": not a.no_trim, "peak_rss_mb": round(peak_mb, 1),
                      "wall_s": round(wall, 1)}))


if __name__ == "__main__":
    main()
