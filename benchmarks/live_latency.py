"""Live-mode latency at 640x480 with the lite model, without a camera.

A real clip from ``../shared/data/videos`` (854x480, 30 fps) is centre-cropped to 640x480 and written to a
temporary MP4; ``repvision.live.run_live`` then plays it at its real frame rate as a live source (headless) and
reports the time from frame capture to finished overlay for every processed frame, and how many frames the
latest-frame grabber dropped instead of queueing.

    .venv/bin/python benchmarks/live_latency.py [--clip PATH] [--loops N] [--no-people-check] [--pose-only]
                                                [--no-follow]

Last line: one JSON object (p50/p95/max latency in ms, frames processed and dropped). ``--pose-only`` instead
times the lite pose model alone on the same 640x480 frames, one after another (no playback, no threads): the
floor under the live latency, in ms per frame.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from repvision.live import PEOPLE_CHECK_S, run_live

DEFAULT_CLIP = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos" / "pushfit" / "wrong" / "wrong106.mp4"


def crop_to_640x480(src: Path, dst: Path, loops: int = 1) -> None:
    """Centre-crop (and pad if needed) every frame of ``src`` to 640x480 and write H.264 to ``dst``."""
    with av.open(str(dst), "w") as out:
        stream = None
        for _ in range(loops):
            with av.open(str(src)) as c:
                vs = c.streams.video[0]
                rate = vs.average_rate or 30
                if stream is None:
                    stream = out.add_stream("libx264", rate=rate)
                    stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
                for f in c.decode(vs):
                    img = f.to_ndarray(format="rgb24")
                    h, w = img.shape[:2]
                    canvas = np.zeros((480, 640, 3), np.uint8)
                    y0, x0 = max(0, (h - 480) // 2), max(0, (w - 640) // 2)
                    crop = img[y0:y0 + 480, x0:x0 + 640]
                    canvas[:crop.shape[0], :crop.shape[1]] = crop
                    for p in stream.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                        out.mux(p)
        for p in stream.encode():
            out.mux(p)


def pose_only(clip: Path) -> dict:
    """Milliseconds per frame of :class:`repvision.pose.PoseEstimator` (lite, VIDEO mode) on every frame of
    ``clip``, decoded beforehand."""
    from repvision.pose import PoseEstimator
    from repvision.video import VideoReader

    with VideoReader(clip) as reader:
        frames = [(f.image, f.timestamp_s) for f in reader]
    ms = []
    with PoseEstimator("lite") as est:
        for image, t in frames:
            t0 = time.perf_counter()
            est.process(image, t)
            ms.append((time.perf_counter() - t0) * 1000.0)
    ms = np.asarray(ms[1:])  # the first call sets the graph up
    return {"pose_ms_p50": round(float(np.percentile(ms, 50)), 1),
            "pose_ms_p95": round(float(np.percentile(ms, 95)), 1), "frames": int(ms.size + 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--loops", type=int, default=3, help="play the clip this many times in a row")
    ap.add_argument("--no-people-check", action="store_true", help="turn off the several-people search")
    ap.add_argument("--pose-only", action="store_true", help="time the pose model alone on the same frames")
    ap.add_argument("--no-follow", action="store_true",
                    help="follow one person even when several are in view (no switch to several poses a frame)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        clip = Path(d) / "live_640x480.mp4"
        crop_to_640x480(a.clip, clip, a.loops)
        if a.pose_only:
            print(json.dumps({"clip": str(a.clip), "resolution": "640x480", "model": "lite", **pose_only(clip)}))
            return
        r = run_live(str(clip), pose_model="lite", window=False, countdown_s=0.0, realtime=True, max_size=None,
                     people_check_s=None if a.no_people_check else PEOPLE_CHECK_S, follow_exerciser=not a.no_follow)
    lat = np.asarray(r.latencies_ms)
    fig = {"clip": str(a.clip), "resolution": "640x480", "model": "lite",
           "people_check_s": None if a.no_people_check else PEOPLE_CHECK_S, "follow_exerciser": not a.no_follow,
           "reps_live": r.reps_live, "people_max": max((n for _, n in r.people), default=0),
           "latency_ms_p50": round(float(np.percentile(lat, 50)), 1),
           "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
           "latency_ms_max": round(float(lat.max()), 1),
           "frames_processed": r.frames_processed, "frames_dropped": r.frames_dropped}
    print(json.dumps(fig))


if __name__ == "__main__":
    main()
