"""Outputs of an analysis: the JSON report (versioned schema), a terminal summary, an annotated MP4."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from repvision.types import Analysis

#: Version of the JSON report layout; bumped on any incompatible change (semantic versioning).
SCHEMA_VERSION = "1.0.0"

_num = {"type": "number"}
_num_or_null = {"type": ["number", "null"]}
_rep = {
    "type": "object",
    "required": ["index", "start_frame", "turn_frame", "end_frame", "start_s", "turn_s", "end_s", "duration_s",
                 "range_of_motion_deg", "joint", "concentric_s", "eccentric_s", "partial"],
    "properties": {
        "index": {"type": "integer", "minimum": 0},
        "start_frame": {"type": "integer", "minimum": 0}, "turn_frame": {"type": "integer", "minimum": 0},
        "end_frame": {"type": "integer", "minimum": 0},
        "start_s": _num, "turn_s": _num, "end_s": _num, "duration_s": _num,
        "range_of_motion_deg": _num_or_null, "joint": {"type": ["string", "null"]},
        "concentric_s": _num_or_null, "eccentric_s": _num_or_null, "partial": {"type": "boolean"},
    },
}

#: JSON Schema (draft 2020-12) of the report written by :func:`write_json`. Units: seconds (``*_s``),
#: frames (``*_frame``, indices into the analysed frames), degrees (``*_deg``), pixels (video size).
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "repvision analysis report",
    "type": "object",
    "required": ["schema_version", "video", "pose", "exercise", "repetitions", "muscles", "timings_s", "warnings"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "video": {
            "type": "object",
            "required": ["path", "width", "height", "fps", "n_frames", "duration_s", "codec", "container",
                         "rotation_deg"],
            "properties": {
                "path": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
                "fps": _num, "n_frames": {"type": "integer"}, "duration_s": _num, "codec": {"type": "string"},
                "container": {"type": "string"}, "rotation_deg": {"type": "integer"},
            },
        },
        "pose": {
            "type": "object", "required": ["model", "frames_analysed", "frames_with_person"],
            "properties": {"model": {"type": "string"}, "frames_analysed": {"type": "integer"},
                           "frames_with_person": {"type": "integer"}},
        },
        "exercise": {
            "type": "object", "required": ["label", "confidence", "top", "unknown_threshold"],
            "properties": {
                "label": {"type": "string"}, "confidence": _num, "unknown_threshold": _num,
                "top": {"type": "array", "maxItems": 3, "items": {
                    "type": "object", "required": ["label", "probability"],
                    "properties": {"label": {"type": "string"}, "probability": _num}}},
            },
        },
        "repetitions": {
            "type": "object", "required": ["count", "partial_count", "signal", "method", "repetitions"],
            "properties": {"count": {"type": "integer", "minimum": 0}, "partial_count": {"type": "integer"},
                           "signal": {"type": "string"}, "method": {"type": "string"},
                           "repetitions": {"type": "array", "items": _rep}},
        },
        "muscles": {
            "type": ["object", "null"], "required": ["exercise", "primary", "secondary", "source"],
            "properties": {"exercise": {"type": "string"}, "primary": {"type": "array", "items": {"type": "string"}},
                           "secondary": {"type": "array", "items": {"type": "string"}},
                           "source": {"type": "string"}},
        },
        "timings_s": {"type": "object", "additionalProperties": _num},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}


def to_json(analysis: Analysis) -> str:
    """The report as a JSON string (layout: :data:`REPORT_SCHEMA`)."""
    return json.dumps(analysis.to_dict(), indent=2)


def write_json(analysis: Analysis, path: str | os.PathLike) -> Path:
    """Write the JSON report; returns the path written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(to_json(analysis), encoding="utf-8")
    os.replace(tmp, p)
    return p


def print_summary(analysis: Analysis, console=None) -> None:
    """Print a summary table (exercise, repetitions, muscles) with rich."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    ex = analysis.exercise
    v = analysis.video
    head = Table(title=f"repvision: {Path(v.path).name}", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    top = ", ".join(f"{lab} {p:.0%}" for lab, p in ex.top)
    head.add_row("Exercise", f"{ex.label} ({ex.confidence:.0%})   top-3: {top}")
    reps = analysis.repetitions
    head.add_row("Repetitions", f"{reps.count}" + (f"  (+{len(reps.partials)} partial)" if reps.partials else ""))
    if analysis.muscles is not None:
        head.add_row("Primary muscles", ", ".join(analysis.muscles.primary))
        head.add_row("Secondary muscles", ", ".join(analysis.muscles.secondary))
    head.add_row("Video", f"{v.width}x{v.height} px, {v.fps:.2f} fps, {v.duration_s:.1f} s"
                 + (f", rotated {v.rotation_deg} deg" if v.rotation_deg else ""))
    head.add_row("Pose", f"{analysis.pose_model} model, person in {analysis.frames_with_person}/"
                 f"{analysis.frames_analysed} frames")
    t = analysis.timings_s
    head.add_row("Time", f"{t.get('total_s', 0):.1f} s" + (" (poses from cache)" if t.get("pose_cached") else ""))
    console.print(head)
    if reps.repetitions:
        table = Table(title="Repetitions", title_justify="left")
        for col in ("#", "start s", "turn s", "end s", "duration s", "ROM deg", "joint", "note"):
            table.add_column(col, justify="right" if col not in ("joint", "note") else "left")
        for r in reps.repetitions:
            rom = "-" if r.range_of_motion_deg is None else f"{r.range_of_motion_deg:.0f}"
            table.add_row(str(r.index + 1), f"{r.start_s:.2f}", f"{r.turn_s:.2f}", f"{r.end_s:.2f}",
                          f"{r.duration_s:.2f}", rom, r.joint or "-", "partial" if r.partial else "")
        console.print(table)
    for w in analysis.warnings:
        console.print(f"[yellow]warning:[/] {w}")


def write_annotated_video(analysis: Analysis, video_path: str | os.PathLike, out_path: str | os.PathLike,
                          progress=None) -> Path:
    """Write an MP4 (H.264 via PyAV) of the video with the skeleton, exercise label and a live rep counter.

    Frames are re-decoded from ``video_path`` one at a time (never held in memory). Drawing uses OpenCV
    (installed with MediaPipe).

    Raises
    ------
    ValueError
        ``analysis`` has no pose sequence attached.
    """
    import av

    from repvision.video import VideoReader

    pose = analysis.pose
    if pose is None:
        raise ValueError("the analysis carries no pose sequence; run analyze() again")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    rep_ends = np.array([r.end_s for r in analysis.repetitions.full])
    label = analysis.exercise.label.replace("_", " ")
    conf = analysis.exercise.confidence
    with VideoReader(video_path) as reader:
        w, h = reader.info.width, reader.info.height
        w2, h2 = w - (w % 2), h - (h % 2)
        fps = reader.info.fps or 30.0
        container = av.open(str(out), mode="w")
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        from fractions import Fraction

        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "23", "preset": "veryfast"}
        j = 0
        for frame in reader:
            img = np.ascontiguousarray(frame.image[:h2, :w2])
            # pose row for this frame: the last analysed frame at or before this time
            while j + 1 < len(pose) and pose.timestamps[j + 1] <= frame.timestamp_s + 1e-6:
                j += 1
            count = int((rep_ends <= frame.timestamp_s + 1e-6).sum())
            img = draw_overlay(img, pose.keypoints[j], f"{label} ({conf:.0%})", f"reps: {count}")
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(vf):
                container.mux(packet)
            if progress is not None:
                progress(frame.index + 1, reader.info.n_frames)
        for packet in stream.encode():
            container.mux(packet)
        container.close()
    return out


def draw_overlay(image: np.ndarray, keypoints: np.ndarray | None, title: str, counter: str,
                 lines: tuple[str, ...] = (), min_visibility: float = 0.3) -> np.ndarray:
    """Draw the skeleton, a title (exercise) and a counter line on a frame (OpenCV).

    Parameters
    ----------
    image:
        ``(H, W, 3)`` uint8 RGB; not modified (a new array is returned).
    keypoints:
        ``(33, 4)`` BlazePose landmarks (x, y normalised image coords, z, visibility) or None / all NaN.
    lines:
        Extra text lines (e.g. form cues), drawn under the header.
    """
    import cv2

    from repvision.skeleton import BLAZEPOSE_CONNECTIONS

    img = np.ascontiguousarray(image).copy()
    h, w = img.shape[:2]
    scale = max(0.6, min(w, h) / 480)
    thick = max(1, int(round(2 * scale)))
    if keypoints is not None and np.isfinite(keypoints[:, 0]).any():
        pts = np.nan_to_num(np.stack([keypoints[:, 0] * w, keypoints[:, 1] * h], axis=1)).astype(int)
        vis = np.nan_to_num(keypoints[:, 3])
        for a, b in BLAZEPOSE_CONNECTIONS:
            if a < 11 or b < 11:  # face landmarks: left out for a cleaner picture
                continue
            if vis[a] > min_visibility and vis[b] > min_visibility:
                pa, pb = (int(pts[a, 0]), int(pts[a, 1])), (int(pts[b, 0]), int(pts[b, 1]))
                cv2.line(img, pa, pb, (255, 255, 255), thick + 1, cv2.LINE_AA)
                cv2.line(img, pa, pb, (0, 200, 255), thick, cv2.LINE_AA)
        for i in range(11, 33):
            if vis[i] > min_visibility:
                cv2.circle(img, (int(pts[i, 0]), int(pts[i, 1])), thick + 2, (255, 80, 0), -1, cv2.LINE_AA)
    box_h = int((70 + 26 * len(lines)) * scale)
    overlay = img.copy()
    cv2.rectangle(overlay, (0, 0), (w, box_h), (0, 0, 0), -1)
    img = cv2.addWeighted(overlay, 0.55, img, 0.45, 0)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, title, (int(10 * scale), int(28 * scale)), font, 0.7 * scale, (255, 255, 255),
                max(1, thick - 1), cv2.LINE_AA)
    cv2.putText(img, counter, (int(10 * scale), int(60 * scale)), font, 0.9 * scale, (80, 255, 80), thick,
                cv2.LINE_AA)
    for k, line in enumerate(lines):
        cv2.putText(img, line, (int(10 * scale), int((88 + 26 * k) * scale)), font, 0.6 * scale, (255, 220, 80),
                    max(1, thick - 1), cv2.LINE_AA)
    return img
