from __future__ import annotations

from pathlib import Path

import pytest

from repvision.config import AnalyzeConfig
from repvision.errors import ConfigError


def test_unknown_key_is_named_with_suggestion():
    with pytest.raises(ConfigError) as e:
        AnalyzeConfig.from_dict({"pose_modle": "full"})
    assert "pose_modle" in str(e.value) and "pose_model" in str(e.value)


def test_bad_values():
    with pytest.raises(ConfigError, match="stride"):
        AnalyzeConfig(stride=0)
    with pytest.raises(ConfigError, match="max_size"):
        AnalyzeConfig(max_size=10)
    with pytest.raises(ConfigError, match="pose_workers"):
        AnalyzeConfig(pose_workers=0)
    for gap in (0, -5.0, "long", True):
        with pytest.raises(ConfigError, match="set_gap_s"):
            AnalyzeConfig(set_gap_s=gap)
    assert AnalyzeConfig(set_gap_s=30).set_gap_s == 30


def test_toml_file(tmp_path):
    p = tmp_path / "rv.toml"
    p.write_text('[analyze]\npose_model = "full"\nstride = 2\n')
    cfg = AnalyzeConfig.from_file(p)
    assert cfg.pose_model == "full" and cfg.stride == 2
    p.write_text('posemodel = "full"\n')
    with pytest.raises(ConfigError, match="posemodel"):
        AnalyzeConfig.from_file(p)
    p.write_text("stride = [\n")
    with pytest.raises(ConfigError, match="TOML"):
        AnalyzeConfig.from_file(p)


def test_replace_rejects_unknown():
    with pytest.raises(ConfigError, match="colour"):
        AnalyzeConfig().replace(colour="red")
    assert AnalyzeConfig().replace(stride=3).stride == 3


def test_user_folders_follow_their_environment_variables(monkeypatch, tmp_path):
    # the pose cache and the web UI's jobs: the variable when set, else their own folder in the user cache
    from platformdirs import user_cache_dir

    from repvision.config import user_folder
    from repvision.pose import cache_dir
    from repvision.web import default_work_dir

    monkeypatch.delenv("REPVISION_TEST_DIR", raising=False)
    assert user_folder("things", "REPVISION_TEST_DIR") == Path(user_cache_dir("repvision")) / "things"
    monkeypatch.setenv("REPVISION_TEST_DIR", str(tmp_path))
    assert user_folder("things", "REPVISION_TEST_DIR") == tmp_path
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path / "poses_here"))
    assert cache_dir() == tmp_path / "poses_here"
    monkeypatch.delenv("REPVISION_CACHE_DIR")
    assert cache_dir() == Path(user_cache_dir("repvision")) / "poses"
    monkeypatch.setenv("REPVISION_WEB_DIR", str(tmp_path / "jobs"))
    assert default_work_dir() == tmp_path / "jobs"
    monkeypatch.delenv("REPVISION_WEB_DIR")
    assert default_work_dir() == Path(user_cache_dir("repvision")) / "web"
