"""Pose Trainer loader (Chen & Yang, "Pose Trainer: Correcting Exercise Posture using Pose Estimation", 2018;
repository ``stevenzchen/pose-trainer``, ``poses_compressed/<exercise>/*.npy``, GPL-3.0).

Folder layout (see the data README, section ``pose_trainer/``)::

    DIR/poses.npz      one (T, 18, 3) array per sequence: OpenPose COCO-18 x, y (pixels), confidence;
                       a (0, 0, 0) keypoint = not detected
    DIR/manifest.csv   file (npz key), source_file, exercise, form_label (good/bad), n_frames
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from repvision.datasets.base import Sample, read_table, require_files
from repvision.errors import ManifestError
from repvision.skeleton import OPENPOSE_18
from repvision.types import PoseSequence

#: Frame rate assumed for Pose Trainer sequences (frames per second). Neither the repository nor the paper
#: states the frame rate of the recorded videos; they are phone/webcam recordings, for which 30 fps is the
#: usual rate, so timestamps are ``frame / POSE_TRAINER_FPS``. (An assumption, not a measured value.)
POSE_TRAINER_FPS: float = 30.0

#: Columns ``manifest.csv`` must have.
REQUIRED_COLUMNS: tuple[str, ...] = ("file", "exercise", "form_label")


def keypoints_from_openpose(arr: np.ndarray) -> np.ndarray:
    """``(T, 18, 3)`` OpenPose x, y, confidence -> ``(T, 18, 4)`` float32 x, y, z (NaN), visibility.

    Keypoints equal to (0, 0, 0) (OpenPose's "not detected") become NaN in every channel.
    """
    a = np.asarray(arr, dtype=np.float32)
    if a.ndim != 3 or a.shape[1:] != (18, 3):
        raise ValueError(f"expected an OpenPose (T, 18, 3) array, got shape {a.shape}")
    kp = np.full(a.shape[:2] + (4,), np.nan, dtype=np.float32)
    kp[..., 0], kp[..., 1], kp[..., 3] = a[..., 0], a[..., 1], a[..., 2]
    missing = np.all(a == 0, axis=-1) | ~np.all(np.isfinite(a), axis=-1)
    kp[missing] = np.nan
    return kp


def load_pose_trainer(data_dir: str | Path, fps: float = POSE_TRAINER_FPS) -> list[Sample]:
    """Load every Pose Trainer sequence, in ``manifest.csv`` order.

    Returns
    -------
    list of :class:`Sample`: ``pose`` ``(T, 18, 4)`` :data:`repvision.skeleton.OPENPOSE_18` in ``"pixels"``
    coordinates (undetected keypoints NaN), timestamps ``frame / fps`` s (see :data:`POSE_TRAINER_FPS`);
    ``label`` the exercise (bicep_curl, front_raise, shoulder_press, shoulder_shrug); ``meta["form_label"]``
    ``good``/``bad``. ``group_id`` is the file key (the dataset gives no person grouping).

    Raises
    ------
    ManifestError
        ``poses.npz`` or ``manifest.csv`` missing, a required column missing, or a key absent from the npz.
    """
    d = Path(data_dir)
    npz_path, csv_path = d / "poses.npz", d / "manifest.csv"
    require_files(d, (npz_path.name, csv_path.name),
                  expected=f"a Pose Trainer folder with poses.npz and manifest.csv in {d}",
                  fix="Pass the pose_trainer/ folder of the exercise data (see the data README).")
    rows = read_table(csv_path, REQUIRED_COLUMNS, expected=f"manifest.csv columns {', '.join(REQUIRED_COLUMNS)}",
                      fix="Use the manifest.csv shipped with the Pose Trainer poses.")
    out: list[Sample] = []
    with np.load(npz_path, allow_pickle=False) as z:
        for r in rows:
            key = r["file"].strip()
            if key not in z.files:
                raise ManifestError(
                    expected=f"an array named {key!r} in poses.npz (listed in manifest.csv)",
                    found=f"{len(z.files)} arrays without that key",
                    fix="Use the poses.npz and manifest.csv that were published together.",
                )
            kp = keypoints_from_openpose(z[key])
            pose = PoseSequence(kp, np.arange(len(kp), dtype=np.float64) / fps, OPENPOSE_18, "pixels",
                                source=f"pose_trainer/{key}")
            out.append(Sample(
                name=key, label=r["exercise"].strip(), group_id=f"pose_trainer_{key}", pose=pose,
                meta={"form_label": r["form_label"].strip(), "source_file": r.get("source_file", "")},
            ))
    return out
