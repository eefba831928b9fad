"""``repvision bench reps``: repetition counting on a RepCount-A-layout folder.

Metrics as defined by TransRAC (Hu et al., CVPR 2022) and used by RepNet/PoseRAC comparisons:
MAE = mean over videos of ``|pred - true| / true``; OBO = share of videos with ``|pred - true| <= 1``.
A video annotated with 0 repetitions would make the MAE infinite; its error is divided by 1 instead
(``|pred - true| / max(true, 1)``) and the figure is reported as is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from repvision.datasets.repcount import load_repcount_a
from repvision.reps import RepCounterConfig, StreamingRepCounter, count_repetitions


def count_errors(pred: list[int] | np.ndarray, true: list[int] | np.ndarray) -> tuple[float, float]:
    """(MAE, OBO) of predicted vs true counts (module docstring); (nan, nan) for no videos."""
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    if p.size == 0:
        return float("nan"), float("nan")
    return float(np.mean(np.abs(p - t) / np.maximum(t, 1.0))), float(np.mean(np.abs(p - t) <= 1))


def stream_count(pose, exercise: str | None = None, config: RepCounterConfig | None = None) -> int:
    """Feed a :class:`PoseSequence` frame by frame to a :class:`StreamingRepCounter`; final full count."""
    c = StreamingRepCounter(exercise=exercise, config=config, skeleton=pose.skeleton,
                            coordinates=pose.coordinates, image_size=pose.image_size)
    kp, ts = pose.keypoints, pose.timestamps
    present = pose.present
    for i in range(len(pose)):
        c.update(kp[i] if present[i] else None, float(ts[i]))
    return c.finish().count


def run_reps_benchmark(data_dir: str | Path, console: Any | None = None, streaming: bool = True,
                       config: RepCounterConfig | None = None) -> dict[str, Any]:
    """Run the offline and streaming counters on every video of a RepCount-A-layout folder.

    Prints a per-video and a per-exercise table (``rich``) to ``console`` (a new one when None) and returns
    ``{"n_videos", "offline_mae", "offline_obo", "streaming_mae", "streaming_obo", "per_exercise", ...}``.
    The counter is class-agnostic (no exercise hint is passed) and uses one fixed configuration.

    Raises :class:`repvision.errors.ManifestError` when the folder lacks the expected files/columns.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    cfg = config or RepCounterConfig()
    samples = load_repcount_a(data_dir)
    rows = []
    t0 = time.perf_counter()
    t_off = t_str = 0.0
    for s in samples:
        a = time.perf_counter()
        off = count_repetitions(s.pose, None, cfg).count
        b = time.perf_counter()
        st = stream_count(s.pose, None, cfg) if streaming else off
        c = time.perf_counter()
        t_off += b - a
        t_str += c - b
        rows.append((s.name, s.exercise, s.count, off, st))

    table = Table(title="RepCount-A: repetition counts per video")
    for col in ("video", "exercise", "true", "offline", "streaming"):
        table.add_column(col, justify="right" if col in ("true", "offline", "streaming") else "left")
    for name, ex, true, off, st in rows:
        mark = "" if abs(off - true) <= 1 else " *"
        table.add_row(name, ex, str(true), f"{off}{mark}", str(st))
    console.print(table)

    per_ex: dict[str, dict[str, float]] = {}
    ext = Table(title="Per exercise (MAE lower is better, OBO higher is better)")
    for col in ("exercise", "n", "offline MAE", "offline OBO", "streaming MAE", "streaming OBO"):
        ext.add_column(col)
    for ex in sorted({r[1] for r in rows}):
        sub = [r for r in rows if r[1] == ex]
        om, oo = count_errors([r[3] for r in sub], [r[2] for r in sub])
        sm, so = count_errors([r[4] for r in sub], [r[2] for r in sub])
        per_ex[ex] = {"n": len(sub), "offline_mae": round(om, 4), "offline_obo": round(oo, 4),
                      "streaming_mae": round(sm, 4), "streaming_obo": round(so, 4)}
        ext.add_row(ex, str(len(sub)), f"{om:.3f}", f"{oo:.3f}", f"{sm:.3f}", f"{so:.3f}")
    console.print(ext)

    true = [r[2] for r in rows]
    om, oo = count_errors([r[3] for r in rows], true)
    sm, so = count_errors([r[4] for r in rows], true)
    console.print(f"offline:   MAE {om:.4f}  OBO {oo:.4f}")
    console.print(f"streaming: MAE {sm:.4f}  OBO {so:.4f}")
    console.print("published (RepCount-A test): RepNet 0.33/0.53, TransRAC 0.443/0.291, PoseRAC 0.236/0.560, "
                  "joint-angle PoseRAC 0.211/0.599")
    return {
        "benchmark": "reps", "data_dir": str(data_dir), "n_videos": len(rows),
        "offline_mae": round(om, 4), "offline_obo": round(oo, 4),
        "streaming_mae": round(sm, 4), "streaming_obo": round(so, 4),
        "streaming_agree_within_1": round(float(np.mean([abs(r[3] - r[4]) <= 1 for r in rows])), 4)
        if rows else float("nan"),
        "offline_seconds": round(t_off, 2), "streaming_seconds": round(t_str, 2),
        "total_seconds": round(time.perf_counter() - t0, 2),
        "per_exercise": per_ex,
        "config": cfg.to_dict(),
        "fps_assumed": 30.0,
    }
