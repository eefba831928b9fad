"""Build bad-input clips for tests from the committed real clips (re-encoded with PyAV)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from repvision.video import VideoReader


def write_clip(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    h, w = frames[0].shape[:2]
    c = av.open(str(path), "w")
    s = c.add_stream("libx264", rate=fps)
    s.width, s.height, s.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
    for img in frames:
        for pkt in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img[: s.height, : s.width]), format="rgb24")):
            c.mux(pkt)
    for pkt in s.encode():
        c.mux(pkt)
    c.close()
    return path


def real_frames(src: Path, n: int) -> tuple[list[np.ndarray], float]:
    out = []
    with VideoReader(src) as v:
        fps = v.info.fps
        for f in v:
            if len(out) >= n:
                break
            out.append(f.image)
    return out, fps
