"""Video datasets: manifest and folder layouts (pose extraction on real data only where cached or small)."""

from pathlib import Path

import pytest

from repvision.errors import ManifestError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


def test_missing_manifest_and_columns(tmp_path):
    from repvision.datasets.videos import list_videos

    with pytest.raises(ManifestError):
        list_videos(tmp_path / "missing.csv")
    bad = tmp_path / "m.csv"
    bad.write_text("file,label\na.mp4,squat\n")
    with pytest.raises(ManifestError, match="path"):
        list_videos(bad)
    missing = tmp_path / "m2.csv"
    missing.write_text("path,exercise,variant\nnope.mp4,squat,main\n")
    with pytest.raises(ManifestError, match="missing"):
        list_videos(missing)


def test_manifest_relative_paths_and_variants(tmp_path):
    from repvision.datasets.videos import list_videos

    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"x")
    (tmp_path / "clips" / "b.mp4").write_bytes(b"x")
    m = tmp_path / "manifest.csv"
    m.write_text("path,exercise,rep_count,form_label,group_id,variant\n"
                 "clips/a.mp4,squat,3,,g1,main\nclips/b.mp4,squat,3,,g1,full_res_copy\n")
    rows = list_videos(m)
    assert len(rows) == 1 and rows[0]["path"] == str((tmp_path / "clips" / "a.mp4").resolve())
    assert rows[0]["group_id"] == "g1"


def test_folder_layout(tmp_path):
    from repvision.datasets.videos import list_videos

    (tmp_path / "Push-Up").mkdir()
    (tmp_path / "Push-Up" / "c1.mp4").write_bytes(b"x")
    (tmp_path / "squat").mkdir()
    (tmp_path / "squat" / "c2.MP4").write_bytes(b"x")
    (tmp_path / "squat" / "notes.txt").write_text("x")
    rows = list_videos(tmp_path)
    assert [(r["exercise"], Path(r["path"]).name) for r in rows] == [("push_up", "c1.mp4"), ("squat", "c2.MP4")]
    with pytest.raises(ManifestError):
        list_videos(tmp_path / "squat" / "c2.MP4".replace("MP4", "none"))


def test_real_manifest_main_rows():
    if not (DATA / "videos" / "manifest.csv").is_file():
        pytest.skip("exercise data not available")
    from repvision.datasets.videos import list_videos

    rows = list_videos(DATA / "videos" / "manifest.csv")
    assert len(rows) == 138
    assert all(Path(r["path"]).is_file() for r in rows)
    assert all(r.get("variant", "main") == "main" for r in rows)


def test_load_videos_folder_with_one_clip(tmp_path):
    """End-to-end on one committed clip: the folder layout gives a BlazePose sample with its label."""
    clip = TEST_DATA / "repcount_test2315_squat.mp4"
    if not clip.is_file():
        pytest.skip("test clip not available")
    from repvision.datasets.videos import load_videos

    (tmp_path / "squat").mkdir()
    (tmp_path / "squat" / clip.name).symlink_to(clip)
    [s] = load_videos(tmp_path)
    assert s.label == "squat" and s.pose.keypoints.shape[1] == 33 and s.pose.coordinates == "image"
    assert s.meta["rep_count"] is None and s.pose.present.any()
