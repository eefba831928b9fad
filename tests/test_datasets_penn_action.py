"""Penn Action loader on the real label files (skipped when the exercise data folder is absent)."""

from pathlib import Path

import numpy as np
import pytest

from repvision.errors import ManifestError
from repvision.skeleton import JOINTS_13

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PENN = DATA / "penn_action"


def test_missing_folder_raises_manifest_error(tmp_path):
    pytest.importorskip("scipy")
    from repvision.datasets.penn_action import load_penn_action

    with pytest.raises(ManifestError):
        load_penn_action(tmp_path / "nope")


def test_bad_split_is_rejected(tmp_path):
    from repvision.datasets.penn_action import load_penn_action

    with pytest.raises(ValueError):
        load_penn_action(tmp_path, split="validation")


def test_one_clip_matches_the_file():
    pytest.importorskip("scipy")
    if not PENN.is_dir():
        pytest.skip("exercise data not available")
    import scipy.io

    from repvision.datasets.penn_action import PENN_FPS, read_penn_mat

    f = PENN / "labels" / "0001.mat"
    s = read_penn_mat(f)
    m = scipy.io.loadmat(str(f))
    assert s.label == "baseball_pitch" and s.meta["split"] == "test" and s.meta["view"] == "back"
    assert s.pose.skeleton is JOINTS_13 and s.pose.coordinates == "pixels"
    assert s.pose.keypoints.shape == (m["x"].shape[0], 13, 4)
    np.testing.assert_allclose(s.pose.keypoints[..., 0], m["x"], rtol=1e-6)
    np.testing.assert_allclose(s.pose.keypoints[..., 3], m["visibility"])
    assert np.isnan(s.pose.keypoints[..., 2]).all()
    np.testing.assert_allclose(np.diff(s.pose.timestamps), 1.0 / PENN_FPS)


def test_official_split_counts_and_labels():
    pytest.importorskip("scipy")
    if not PENN.is_dir():
        pytest.skip("exercise data not available")
    from repvision.datasets.penn_action import load_penn_action

    train = load_penn_action(PENN, split="train")
    test = load_penn_action(PENN, split="test")
    assert len(train) + len(test) == 2326
    assert sum(s.label == "squat" for s in train) == 114 and sum(s.label == "squat" for s in test) == 117
    labels = {s.label for s in train}
    assert {"push_up", "pull_up", "jumping_jack", "sit_up", "golf_swing"} <= labels
    assert "pushup" not in labels


def test_joints_that_were_not_annotated_are_missing():
    # regression: Penn Action puts every joint it did not annotate at the image's top-left corner with visibility
    # 0; read as positions they stretched the person's box to the corner in 70% of the squat clips
    pytest.importorskip("scipy")
    if not PENN.is_dir():
        pytest.skip("exercise data not available")
    import scipy.io

    from repvision.datasets.penn_action import read_penn_mat

    f = PENN / "labels" / "1661.mat"   # a squat whose arms were not annotated in its first frames
    s = read_penn_mat(f)
    m = scipy.io.loadmat(str(f))
    corner = (m["visibility"] == 0) & (m["x"] < 3) & (m["y"] < 3)
    assert s.label == "squat" and corner[0, 1] and 0 < corner.mean() < 1
    xy = s.pose.keypoints[..., :2]
    assert np.isnan(xy[corner]).all() and np.isfinite(xy[~corner]).all()
    np.testing.assert_allclose(xy[~corner][:, 0], m["x"][~corner], rtol=1e-6)
    np.testing.assert_allclose(s.pose.keypoints[..., 3], m["visibility"])   # visibility as in the file
    hidden = (m["visibility"] == 0) & ~corner   # occluded joints with an annotated position keep it
    if hidden.any():
        assert np.isfinite(xy[hidden]).all()
