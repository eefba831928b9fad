"""RepCount-A pose loader: its errors on malformed folders (hand-built files, no exercise data needed)."""

import numpy as np
import pytest

from repvision.datasets.repcount import load_repcount_a
from repvision.errors import ManifestError

HEADER = "name,exercise,count,rep_boundaries,group_id\n"


def _rows(t: int = 4) -> np.ndarray:
    """``(t, 33*4 + 5)`` rows in the RepCount-A pose layout (landmarks then 5 angles), nonzero so detected."""
    return np.full((t, 33 * 4 + 5), 0.5, np.float32)


def test_missing_files_name_what_is_missing(tmp_path):
    with pytest.raises(ManifestError, match="poses.npz, annotations.csv"):
        load_repcount_a(tmp_path)
    with pytest.raises(ManifestError, match="does not exist"):
        load_repcount_a(tmp_path / "nowhere")


def test_missing_column_is_named(tmp_path):
    np.savez(tmp_path / "poses.npz", v1=_rows())
    (tmp_path / "annotations.csv").write_text("name,exercise,count,group_id\nv1,squat,2,g1\n")
    with pytest.raises(ManifestError, match="missing rep_boundaries"):
        load_repcount_a(tmp_path)


def test_row_without_poses_and_bad_count_raise(tmp_path):
    np.savez(tmp_path / "poses.npz", v1=_rows())
    (tmp_path / "annotations.csv").write_text(HEADER + "v2,squat,2,,g1\n")
    with pytest.raises(ManifestError, match="'v2'"):
        load_repcount_a(tmp_path)
    (tmp_path / "annotations.csv").write_text(HEADER + "v1,squat,two,,g1\n")
    with pytest.raises(ManifestError, match="integer count"):
        load_repcount_a(tmp_path)


def test_well_formed_folder_loads(tmp_path):
    np.savez(tmp_path / "poses.npz", v1=_rows(6))
    (tmp_path / "annotations.csv").write_text(HEADER + "v1,squat,2,,g1\n")
    (s,) = load_repcount_a(tmp_path)
    assert (s.name, s.exercise, s.count, s.group_id) == ("v1", "squat", 2, "g1")
    assert s.pose.keypoints.shape == (6, 33, 4)
