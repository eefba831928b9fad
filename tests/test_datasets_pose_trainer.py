"""Pose Trainer loader (skipped when the exercise data folder is absent)."""

from pathlib import Path

import numpy as np
import pytest

from repvision.errors import ManifestError
from repvision.skeleton import OPENPOSE_18

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_zero_keypoints_become_nan():
    from repvision.datasets.pose_trainer import keypoints_from_openpose

    a = np.ones((2, 18, 3))
    a[0, 4] = 0.0
    kp = keypoints_from_openpose(a)
    assert kp.shape == (2, 18, 4)
    assert np.isnan(kp[0, 4]).all() and np.isfinite(kp[0, 3, [0, 1, 3]]).all()
    with pytest.raises(ValueError):
        keypoints_from_openpose(np.ones((2, 17, 3)))


def test_missing_files_raise_manifest_error(tmp_path):
    from repvision.datasets.pose_trainer import load_pose_trainer

    with pytest.raises(ManifestError):
        load_pose_trainer(tmp_path)
    (tmp_path / "poses.npz").write_bytes(b"")
    (tmp_path / "manifest.csv").write_text("file,exercise\n")
    with pytest.raises(ManifestError, match="form_label"):
        load_pose_trainer(tmp_path)


def test_real_files():
    if not (DATA / "pose_trainer").is_dir():
        pytest.skip("exercise data not available")
    from repvision.datasets.pose_trainer import POSE_TRAINER_FPS, load_pose_trainer

    s = load_pose_trainer(DATA / "pose_trainer")
    assert len(s) == 112
    assert {x.label for x in s} == {"bicep_curl", "front_raise", "shoulder_press", "shoulder_shrug"}
    assert {x.meta["form_label"] for x in s} == {"good", "bad"}
    x = s[0]
    assert x.pose.skeleton is OPENPOSE_18 and x.pose.coordinates == "pixels"
    with np.load(DATA / "pose_trainer" / "poses.npz") as z:
        raw = z[x.name]
    assert x.pose.keypoints.shape == (raw.shape[0], 18, 4)
    zero = np.all(raw == 0, axis=-1)
    assert np.isnan(x.pose.keypoints[zero]).all()
    assert np.allclose(np.diff(x.pose.timestamps), 1.0 / POSE_TRAINER_FPS)
    assert x.pose.to_joints13().keypoints.shape[1] == 13
