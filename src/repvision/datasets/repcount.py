"""RepCount-A pose sequences (TransRAC, Hu et al., CVPR 2022; poses from PoseRAC's joint-angle follow-up,
Chen et al., arXiv:2308.08632, repository ``DanielC-MST/RepCount-Using-Skeleton-Information``).

Folder layout (see ``/work/shared/data/README.md``, section ``repcount_a/``)::

    DIR/poses.npz        one float32 (T, 104) array per video, key = video name
    DIR/annotations.csv  name, exercise, count, rep_boundaries, group_id, ... (one row per video)

Columns 0-98 of a pose row are the 33 BlazePose landmarks, x, y, z interleaved (col = 3*landmark + axis),
min-max rescaled per frame and per axis over the 33 landmarks ("box" coordinates); columns 99-103 are five
rescaled joint angles (not used here); an all-zero row means no person was detected.

Frame rate: the files do not give it. RepCount videos are mostly 25-30 fps; timestamps are set to
``frame / fps`` with ``fps = 30`` by default (:data:`REPCOUNT_FPS`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repvision.datasets.base import Sample, read_table, require_files
from repvision.errors import ManifestError
from repvision.skeleton import BLAZEPOSE_33
from repvision.types import PoseSequence

#: Assumed frame rate of RepCount-A videos (frames per second); the dataset does not state one and its
#: videos are mostly 25-30 fps.
REPCOUNT_FPS: float = 30.0

#: Columns ``annotations.csv`` must have.
REQUIRED_COLUMNS: tuple[str, ...] = ("name", "exercise", "count", "rep_boundaries", "group_id")


@dataclass(frozen=True, eq=False)
class RepCountSample:
    """One RepCount-A video.

    ``count``: annotated number of repetitions; ``boundaries``: ``(K, 2)`` int64 start/end frame of each
    annotated repetition (K may differ from ``count`` where the annotation is inconsistent);
    ``pose``: ``(T, 33, 4)`` :class:`PoseSequence` in ``"box"`` coordinates (x, y, z, visibility; frames
    without a person are NaN, visibility 1 where detected), timestamps ``frame / fps`` seconds.
    """

    name: str
    exercise: str
    count: int
    boundaries: np.ndarray
    group_id: str
    pose: PoseSequence


def rows_to_pose(rows: np.ndarray, name: str = "", fps: float = REPCOUNT_FPS) -> PoseSequence:
    """Turn a RepCount-A ``(T, >=99)`` pose array into a :class:`PoseSequence` (box coordinates).

    Raises ``ValueError`` if ``rows`` is not 2-D with at least 99 columns.
    """
    a = np.asarray(rows, dtype=np.float32)
    if a.ndim != 2 or a.shape[1] < 99:
        raise ValueError(f"expected a (T, >=99) RepCount-A pose array, got shape {a.shape}")
    t = a.shape[0]
    xyz = a[:, :99].reshape(t, 33, 3)
    missing = ~np.any(a[:, :99] != 0, axis=1) | ~np.all(np.isfinite(a[:, :99]), axis=1)
    kp = np.empty((t, 33, 4), dtype=np.float32)
    kp[..., :3] = xyz
    kp[..., 3] = 1.0
    kp[missing] = np.nan
    return PoseSequence(kp, np.arange(t, dtype=np.float64) / fps, BLAZEPOSE_33, "box", source=name)


def _parse_boundaries(text: str) -> np.ndarray:
    vals = [int(float(v)) for v in str(text or "").split()]
    if len(vals) % 2:
        vals = vals[:-1]
    return np.asarray(vals, dtype=np.int64).reshape(-1, 2)


def load_repcount_a(data_dir: str | Path, fps: float = REPCOUNT_FPS) -> list[RepCountSample]:
    """Load every video of a RepCount-A-layout folder, in ``annotations.csv`` order.

    Parameters
    ----------
    data_dir:
        Folder holding ``poses.npz`` and ``annotations.csv``.
    fps:
        Frame rate used for the timestamps (the data do not give one).

    Raises
    ------
    ManifestError
        If a file or a required column is missing, or a row names a key absent from ``poses.npz``.
    """
    d = Path(data_dir)
    npz_path, csv_path = d / "poses.npz", d / "annotations.csv"
    require_files(d, (npz_path.name, csv_path.name),
                  expected=f"a RepCount-A folder with poses.npz and annotations.csv in {d}",
                  fix="Pass --data pointing at the repcount_a/ folder of the exercise data (see data README).")
    rows = read_table(csv_path, REQUIRED_COLUMNS,
                      expected=f"annotations.csv columns {', '.join(REQUIRED_COLUMNS)}",
                      fix="Use the annotations.csv shipped with the RepCount-A pose data.")
    out: list[RepCountSample] = []
    with np.load(npz_path, allow_pickle=False) as z:
        keys = set(z.files)
        for r in rows:
            name = r["name"].strip()
            if name not in keys:
                raise ManifestError(
                    expected=f"a pose array named {name!r} in poses.npz (listed in annotations.csv)",
                    found=f"{len(keys)} arrays without that key",
                    fix="Use the poses.npz and annotations.csv that were published together.",
                )
            try:
                count = int(float(r["count"]))
            except ValueError as e:
                raise ManifestError(
                    expected="an integer count", found=f"{r['count']!r} for {name}",
                    fix="Fix the count column of annotations.csv.",
                ) from e
            out.append(RepCountSample(
                name=name, exercise=r["exercise"].strip(), count=count,
                boundaries=_parse_boundaries(r["rep_boundaries"]), group_id=r["group_id"].strip(),
                pose=rows_to_pose(z[name], name, fps),
            ))
    return out


def repcount_samples(data_dir: str | Path, fps: float = REPCOUNT_FPS) -> list[Sample]:
    """The videos of :func:`load_repcount_a` as exercise-classification :class:`Sample` s: label = the exercise,
    ``group_id`` as annotated, ``meta = {"count": annotated repetitions}``; same errors as :func:`load_repcount_a`."""
    return [Sample(r.name, r.exercise, r.group_id, r.pose, {"count": r.count}) for r in load_repcount_a(data_dir, fps)]


def cut_repetition(pose: PoseSequence, start: int, end: int, hold_s: float = 0.5) -> PoseSequence:
    """One annotated repetition on its own: frames ``start..end`` (inclusive) of ``pose``, with the first and last
    frame held ``hold_s`` seconds before and after (a person standing still around it; timestamps continue at the
    median frame interval and start at 0 s). For counting single repetitions (``benchmarks/reps_single.py``)."""
    rep = pose.slice(start, end + 1)
    dt = float(np.median(np.diff(pose.timestamps))) if len(pose) > 1 else 1 / REPCOUNT_FPS
    n = int(round(hold_s / dt))
    kp = np.concatenate([np.repeat(rep.keypoints[:1], n, axis=0), rep.keypoints,
                         np.repeat(rep.keypoints[-1:], n, axis=0)])
    t = np.concatenate([rep.timestamps[0] - dt * np.arange(n, 0, -1), rep.timestamps,
                        rep.timestamps[-1] + dt * np.arange(1, n + 1)])
    return dataclasses.replace(rep, keypoints=kp, timestamps=t - t[0], world=None)
