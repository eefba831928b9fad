"""Penn Action loader (Zhang, Zhu, Derpanis, "From Actemes to Action: A Strongly-supervised Representation for
Detailed Action Understanding", ICCV 2013).

Folder layout (see the data README, section ``penn_action/``)::

    DIR/labels/NNNN.mat   MATLAB v5 files: action, pose (view), x, y (T x 13 pixels), visibility (T x 13),
                          bbox, dimensions, nframes, train (1 = official train, -1 = official test)
    DIR/manifest.csv      optional; not needed by this loader

The 13 joints are in :data:`repvision.skeleton.JOINTS_13` order. Reading ``.mat`` files needs SciPy
(``scipy.io.loadmat``), an optional dependency (``pip install repvision[train]``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repvision.datasets.base import Sample
from repvision.errors import ManifestError
from repvision.skeleton import JOINTS_13
from repvision.types import PoseSequence

#: Frame rate assumed for Penn Action clips (frames per second). The label files carry no frame rate; the
#: clips are YouTube videos that the dataset distributes as frame sequences, conventionally treated as
#: 30 fps. Timestamps are ``frame / PENN_FPS``; the classifier resamples windows by time, so an error of a
#: few fps only rescales the velocity features slightly.
PENN_FPS: float = 30.0

#: Penn Action action name -> repvision exercise label (data README). Sports classes keep their names.
PENN_LABELS: dict[str, str] = {
    "squat": "squat", "pushup": "push_up", "pullup": "pull_up", "bench_press": "bench_press",
    "jumping_jacks": "jumping_jack", "situp": "sit_up", "clean_and_jerk": "clean_and_jerk",
    "jump_rope": "jump_rope",
}

#: The 7 non-exercise sports classes of Penn Action (negatives).
PENN_SPORTS: tuple[str, ...] = (
    "baseball_pitch", "baseball_swing", "bowl", "golf_swing", "strum_guitar", "tennis_forehand", "tennis_serve",
)


def _scalar(v) -> object:
    a = np.asarray(v).ravel()
    return a[0].item() if a.size else None


#: A Penn Action joint placed within this many pixels of the image's top-left corner with visibility 0 was not
#: annotated: the label files put every such joint at (c, c) with c between 0 and 1.52 px (the same pixel scaled
#: with the frame). Counted over the 2326 label files: 8.8% of all joints, in 70% of the squat clips, 79% of the
#: push-up and 92% of the bench-press clips (``benchmarks/penn_unlabelled_joints.py``,
#: ``benchmarks/results/penn_unlabelled_joints.json``). Read as positions they stretch the person's box to the corner.
PENN_UNLABELLED_PX: float = 3.0


def unlabelled_joints(x: np.ndarray, y: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """Bool mask (shape of ``x``) of the Penn Action joints that were not annotated: invisible and placed at the
    image's top-left corner (:data:`PENN_UNLABELLED_PX`). Other invisible joints keep their annotated
    (occluded) position."""
    return (np.asarray(visibility) == 0) & (np.asarray(x) < PENN_UNLABELLED_PX) & (np.asarray(y) < PENN_UNLABELLED_PX)


def read_penn_mat(path: str | Path, fps: float = PENN_FPS) -> Sample:
    """Read one Penn Action ``.mat`` label file.

    Returns a :class:`Sample` whose pose is ``(T, 13, 4)`` in ``"pixels"`` coordinates (x, y from the file,
    z NaN, visibility 0/1 from the file -- invisible joints keep their annotated position, except the ones that
    were not annotated at all (:func:`unlabelled_joints`), whose x, y are NaN), timestamps
    ``frame / fps`` seconds; ``meta`` has ``action`` (original), ``view``, ``split`` (``train``/``test``),
    ``width``, ``height``.

    Raises
    ------
    ManifestError
        The file cannot be read or lacks the ``action``, ``x``, ``y`` or ``train`` fields.
    """
    import scipy.io

    path = Path(path)
    try:
        m = scipy.io.loadmat(str(path))
    except Exception as e:  # noqa: BLE001 - any read failure is a data problem
        raise ManifestError(
            expected=f"a MATLAB v5 Penn Action label file at {path}", found=f"an unreadable file ({e})",
            fix="Re-download the Penn Action labels/*.mat files.",
        ) from e
    lacking = [k for k in ("action", "x", "y", "train") if k not in m]
    if lacking:
        raise ManifestError(
            expected="Penn Action fields action, x, y, train", found=f"{path.name} without {', '.join(lacking)}",
            fix="Use the unchanged Penn Action label files.",
        )
    x = np.asarray(m["x"], dtype=np.float32)
    y = np.asarray(m["y"], dtype=np.float32)
    t = x.shape[0]
    vis = np.asarray(m["visibility"], dtype=np.float32) if "visibility" in m else np.ones_like(x)
    kp = np.full((t, 13, 4), np.nan, dtype=np.float32)
    kp[..., 0], kp[..., 1], kp[..., 3] = x, y, vis
    kp[unlabelled_joints(x, y, vis), :2] = np.nan
    action = str(_scalar(m["action"]))
    view = str(_scalar(m["pose"])) if "pose" in m else ""
    split = "train" if int(_scalar(m["train"])) == 1 else "test"
    dims = np.asarray(m.get("dimensions", np.zeros((1, 3)))).ravel()
    height, width = (int(dims[0]), int(dims[1])) if dims.size >= 2 else (0, 0)
    pose = PoseSequence(kp, np.arange(t, dtype=np.float64) / fps, JOINTS_13, "pixels",
                        image_size=(width, height) if width and height else None, source=str(path))
    return Sample(
        name=path.stem, label=PENN_LABELS.get(action, action), group_id=f"penn_{path.stem}", pose=pose,
        meta={"action": action, "view": view, "split": split, "width": width, "height": height,
              "is_exercise": action in PENN_LABELS},
    )


def load_penn_action(data_dir: str | Path, split: str | None = None, fps: float = PENN_FPS) -> list[Sample]:
    """Load Penn Action clips, sorted by file name.

    Parameters
    ----------
    data_dir:
        The ``penn_action/`` folder (holding ``labels/``), or the ``labels/`` folder itself.
    split:
        ``None`` (all 2326 clips), ``"train"`` or ``"test"`` (the official split flag of each file).
    fps:
        Frame rate for the timestamps (:data:`PENN_FPS`).

    Returns
    -------
    list of :class:`Sample`; ``label`` is the repvision exercise label for the 8 exercise classes and the
    original action name for the 7 sports classes; ``group_id`` is per clip (the dataset gives no source
    grouping); ``meta["view"]`` is the camera view (front/back/left/right).

    Raises
    ------
    ManifestError
        No ``.mat`` files found, or an unreadable file. ``ValueError`` for an unknown ``split``.
    """
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be None, 'train' or 'test', got {split!r}")
    d = Path(data_dir)
    labels = d / "labels" if (d / "labels").is_dir() else d
    files = sorted(labels.glob("*.mat")) if labels.is_dir() else []
    if not files:
        raise ManifestError(
            expected=f"Penn Action label files labels/NNNN.mat under {d}",
            found="no .mat files" + ("" if d.is_dir() else " (the folder does not exist)"),
            fix="Pass the penn_action/ folder of the exercise data (see the data README).",
        )
    out = [read_penn_mat(f, fps) for f in files]
    return out if split is None else [s for s in out if s.meta["split"] == split]
