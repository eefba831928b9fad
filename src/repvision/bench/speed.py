"""``repvision bench speed``: repvision's throughput against a bare MediaPipe loop, in one run.

The bare loop is the least any MediaPipe-based tool must do: decode each frame with PyAV, convert it to RGB and
call ``PoseLandmarker.detect_for_video`` (VIDEO mode), one after the other. ``analyze`` is the whole pipeline
(decoding in a background thread, pose, classification, repetition counting) with the pose cache off, timed
twice: with one pose worker (one sequential pass, like the bare loop: the ratio of the two is repvision's
overhead; above 1 means faster, since decoding overlaps with pose estimation) and with the default pose workers
(one per core, each on its own stretch of the video: the real-time factor users get).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np


def bare_loop_fps(path: str | Path, model: str = "lite", max_frames: int | None = None) -> tuple[float, int]:
    """Frames per second of a plain decode + ``detect_for_video`` loop; returns ``(fps, frames)``."""
    import av
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from repvision.pose import _quiet_native_logs, model_path

    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(model_path(model))),
                                        running_mode=vision.RunningMode.VIDEO, num_poses=1)
    with _quiet_native_logs():
        landmarker = vision.PoseLandmarker.create_from_options(opts)
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        t0 = time.perf_counter()
        last = -1
        for f in c.decode(s):
            img = np.ascontiguousarray(f.to_ndarray(format="rgb24"))
            ms = max(last + 1, int(round(float(f.time or 0) * 1000)))
            last = ms
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=img), ms)
            n += 1
            if max_frames and n >= max_frames:
                break
        dt = time.perf_counter() - t0
    landmarker.close()
    return n / dt, n


def run_speed_benchmark(path: str | Path, model: str = "lite", stride: int = 1, max_size: int | None = None,
                        console=None, repeats: int = 3, pose_workers: int | None = None) -> dict[str, Any]:
    """Measure the bare loop and ``analyze`` on the same file, same machine, same run.

    Three loops are run alternately ``repeats`` times and each keeps its best run (the usual best-of-n
    timing, which discounts moments when other processes held the CPU): the bare loop; ``analyze`` with one
    pose worker (one sequential pass like the bare loop: its ratio to the bare loop is repvision's overhead);
    and ``analyze`` with ``pose_workers`` (None: the default, one per core; skipped when that is 1).

    Returns figures: ``bare_fps``; ``analyze_1worker_fps`` and ``ratio`` (it / bare); ``analyze_fps`` and
    ``pose_workers`` (the default setting; frames of the video per second of wall time, so a stride of 2
    counts the skipped frames as processed); ``video_fps``; ``realtime_factor`` (analyze_fps / video_fps);
    ``peak_rss_mb``.
    """
    from rich.console import Console
    from rich.table import Table

    from repvision.pipeline import analyze
    from repvision.pose import default_pose_workers

    console = console or Console()
    if repeats < 1:
        from repvision.errors import ConfigError

        raise ConfigError("repeats >= 1", f"repeats={repeats}", "Pass --repeats 1 or more.")
    workers = pose_workers or default_pose_workers()

    def timed(w: int) -> tuple[float, Any]:
        t0 = time.perf_counter()
        a = analyze(path, pose_model=model, cache=False, stride=stride, max_size=max_size, pose_workers=w)
        dt = time.perf_counter() - t0
        return (a.video.n_frames / dt if a.video.n_frames else a.frames_analysed * stride / dt), a

    bare_runs, one_runs, many_runs = [], [], []
    for _ in range(repeats):
        fps, n = bare_loop_fps(path, model)
        bare_runs.append(fps)
        fps1, a = timed(1)
        one_runs.append(fps1)
        if workers > 1:
            many_runs.append(timed(workers)[0])
    bare_fps, one_fps = max(bare_runs), max(one_runs)
    analyze_fps = max(many_runs) if many_runs else one_fps
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    figures = {
        "video": os.fspath(path), "width": a.video.width, "height": a.video.height, "frames": n,
        "model": model, "stride": stride, "max_size": max_size, "pose_workers": workers,
        "bare_fps": round(bare_fps, 2), "analyze_1worker_fps": round(one_fps, 2),
        "ratio": round(one_fps / bare_fps, 3), "analyze_fps": round(analyze_fps, 2),
        "video_fps": round(a.video.fps, 3),
        "realtime_factor": round(analyze_fps / a.video.fps, 2) if a.video.fps else None,
        "cpu_count": os.cpu_count(), "peak_rss_mb": round(peak, 1), "repeats": repeats,
        "bare_fps_runs": [round(x, 2) for x in bare_runs], "analyze_1worker_fps_runs": [round(x, 2) for x in one_runs],
        "analyze_fps_runs": [round(x, 2) for x in (many_runs or one_runs)],
    }
    t = Table(title=f"speed: {Path(path).name} ({a.video.width}x{a.video.height}, {n} frames)", title_justify="left")
    t.add_column("loop")
    t.add_column("frames/s", justify="right")
    t.add_row("bare MediaPipe loop (decode + detect)", f"{bare_fps:.1f}")
    t.add_row(f"repvision analyze, 1 pose worker (stride {stride}, max size {max_size})", f"{one_fps:.1f}")
    t.add_row("ratio (our overhead: 1 pose worker / bare loop)", f"{one_fps / bare_fps:.2f}")
    if workers > 1:
        t.add_row(f"repvision analyze, {workers} pose workers (default)", f"{analyze_fps:.1f}")
    if a.video.fps:
        t.add_row("real time factor (analyze frames/s / video frames/s)", f"{analyze_fps / a.video.fps:.2f}")
    console.print(t)
    return figures
