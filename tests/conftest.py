"""Shared fixtures: committed real clips, the optional shared data folder, an isolated pose cache."""

from __future__ import annotations

import os

# Small matrices: multithreaded BLAS only adds contention on a 2-core machine (measured 5x slower under load).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _pose_cache(tmp_path_factory):
    """Keep the pose cache of the test run apart from the user's (one cache for the whole session)."""
    import os

    d = tmp_path_factory.mktemp("pose_cache")
    old = os.environ.get("REPVISION_CACHE_DIR")
    os.environ["REPVISION_CACHE_DIR"] = str(d)
    yield d
    if old is None:
        os.environ.pop("REPVISION_CACHE_DIR", None)
    else:
        os.environ["REPVISION_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


@pytest.fixture(scope="session")
def squat_pose():
    """Real poses of the committed calimiro squat clip (2 repetitions), estimated once per session."""
    from repvision.pose import estimate_video

    return estimate_video(DATA / "calimiro_squat_19.mp4", "lite")


#: Labels of one's own (outside repvision's vocabulary) -> committed clips of that movement: a tiny
#: ``root/<exercise>/*.mp4`` folder for training and evaluating on one's own videos.
OWN_VIDEOS = {"goblet_squat": ("calimiro_squat_19.mp4", "repcount_test2315_squat.mp4"),
              "crunch": ("repcount_test2021_sit_up.mp4", "phone_portrait_rotated_sit_up.mp4")}


def make_own_videos(root: Path, layout: dict[str, tuple[str, ...]] = OWN_VIDEOS) -> Path:
    """Lay out committed clips as ``root/<label>/<clip>`` (symbolic links); returns ``root``."""
    for label, clips in layout.items():
        (root / label).mkdir(parents=True)
        for c in clips:
            os.symlink(DATA / c, root / label / c)
    return root
