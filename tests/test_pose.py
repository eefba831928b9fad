from __future__ import annotations

import numpy as np
import pytest

from repvision.errors import ConfigError, PoseModelError
from repvision.pose import PoseEstimator, estimate_video, model_path
from repvision.skeleton import BlazePoseLandmark as L
from repvision.video import VideoReader

from conftest import DATA


def test_shipped_models_exist():
    for name in ("lite", "full"):
        assert model_path(name).stat().st_size > 1_000_000


def test_bad_model_names():
    with pytest.raises(ConfigError, match="lite"):
        model_path("heavy")
    with pytest.raises(PoseModelError):
        model_path("/nonexistent/model.task")


def test_squat_clip_pose(squat_pose):
    info, seq, stats = squat_pose
    assert len(seq) == 143
    assert seq.keypoints.shape == (143, 33, 4) and seq.world.shape == (143, 33, 3)
    assert seq.present.mean() > 0.95
    assert seq.image_size == (960, 540)
    k = seq.keypoints[seq.present]
    # normalised image coordinates, the head above the ankles (y grows downwards)
    assert np.nanmedian(k[:, L.NOSE, 1]) < np.nanmedian(k[:, L.LEFT_ANKLE, 1])
    assert 0.0 <= np.nanmin(k[:, 11:29, :2]) and np.nanmax(k[:, 11:29, :2]) <= 1.0
    # world landmarks in metres: shoulder width of an adult
    w = seq.world[seq.present]
    shoulder = np.linalg.norm(w[:, L.LEFT_SHOULDER] - w[:, L.RIGHT_SHOULDER], axis=1)
    assert 0.2 < np.median(shoulder) < 0.6
    assert np.allclose(np.diff(seq.timestamps), 0.04, atol=1e-3)


def test_cache_hit_returns_same_poses(squat_pose):
    _, first, _ = squat_pose
    _, again, stats = estimate_video(DATA / "calimiro_squat_19.mp4", "lite")
    assert stats["cached"] is True
    np.testing.assert_array_equal(first.keypoints, again.keypoints)


def test_no_person_is_an_empty_result():
    with PoseEstimator("lite") as est:
        r = est.process(np.zeros((240, 320, 3), np.uint8), 0.0)
        assert not r.found and r.landmarks is None
        # timestamps that do not increase are nudged, not fatal
        r2 = est.process(np.full((240, 320, 3), 128, np.uint8), 0.0)
        assert not r2.found


def test_an_estimator_closed_early_can_be_closed_again():
    """run_live closes its one-person estimator when it switches to several people and leaves the closing at
    the end to its ExitStack, which closes it a second time: that must be harmless."""
    import contextlib

    with contextlib.ExitStack() as stack:
        est = stack.enter_context(PoseEstimator("lite"))
        assert not est.process(np.zeros((240, 320, 3), np.uint8), 0.0).found
        est.close()
        est = stack.enter_context(PoseEstimator("lite", num_poses=2))
        assert est.process_all(np.zeros((240, 320, 3), np.uint8), 0.0) == []
    assert est._landmarker is None


def test_odd_width_video_finds_person():
    # Regression for padded PyAV rows (see test_video): most frames of this 568-px clip show the person.
    _, seq, _ = estimate_video(DATA / "repcount_test2315_squat.mp4", "lite", stride=3)
    assert seq.present.mean() > 0.5


def test_resume_from_partial(tmp_path, monkeypatch):
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path))
    calls = {"n": 0}

    def boom(done, total):
        calls["n"] = done
        if done == 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        estimate_video(DATA / "repcount_test2021_sit_up.mp4", "lite", progress=boom, checkpoint_every=20, workers=1)
    partials = list(tmp_path.glob("*.partial.npz"))
    assert len(partials) == 1
    seen = []
    _, seq, stats = estimate_video(DATA / "repcount_test2021_sit_up.mp4", "lite", progress=lambda d, t: seen.append(d),
                                   workers=1)
    assert len(seq) == 140 and not stats["cached"]
    assert seen[0] == 41  # the first 40 frames came from the partial file
    assert not list(tmp_path.glob("*.partial.npz"))


# ------------------------------------------------------------------------------------- parallel stretches

def test_stretches_split_long_clips_only():
    from repvision.pose import stretches

    assert stretches(5.7, 2) == [(0.0, None)]          # two stretches would be under 3 s each
    assert stretches(0.0, 4) == [(0.0, None)]          # duration unknown
    assert stretches(7.34, 2) == [(0.0, 3.67), (3.67, None)]
    assert len(stretches(600.0, 4)) == 4 and stretches(9.0, 8)[-1] == (6.0, None)


def test_parallel_stretches_match_one_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path))
    clip = DATA / "calimiro_pull_up_11.mp4"   # 7.3 s: two stretches of 3.7 s
    _, one, s1 = estimate_video(clip, "lite", workers=1, cache=False)
    _, two, s2 = estimate_video(clip, "lite", workers=2, cache=False)
    assert (s1["workers"], s2["workers"]) == (1, 2)
    np.testing.assert_allclose(one.timestamps, two.timestamps)
    cut = int(np.searchsorted(one.timestamps, 3.67 - 1e-6))
    # before the cut the same landmarker sees the same frames; after it a fresh one starts from the detector
    np.testing.assert_array_equal(one.keypoints[:cut], two.keypoints[:cut])
    both = one.present & two.present
    assert both.mean() > 0.95
    d = np.abs(one.keypoints[both][:, 11:29, :2] - two.keypoints[both][:, 11:29, :2])
    assert np.median(d) < 0.01 and d.max() < 0.1    # normalised image coordinates
    # the several-people search still covers the whole clip, once
    assert [n for _, n in s2["people"]] == [1] * len(s1["people"])
    assert max(t for t, _ in s2["people"]) > 3.67


def test_cache_key_includes_the_number_of_stretches(tmp_path, monkeypatch):
    """Regression: poses cached by a 2-worker run were returned to a 1-worker run, whose poses differ after
    the stretch cut."""
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path))
    clip = DATA / "calimiro_pull_up_11.mp4"   # 7.3 s: two stretches with 2 workers
    _, two, s2 = estimate_video(clip, "lite", workers=2, people_every_s=None)
    _, one, s1 = estimate_video(clip, "lite", workers=1, people_every_s=None)
    assert (s2["cached"], s1["cached"]) == (False, False)
    assert not np.array_equal(one.keypoints, two.keypoints, equal_nan=True)
    _, again, s = estimate_video(clip, "lite", workers=1, people_every_s=None)
    assert s["cached"] and np.array_equal(again.keypoints, one.keypoints, equal_nan=True)
    _, again2, s = estimate_video(clip, "lite", workers=2, people_every_s=None)
    assert s["cached"] and np.array_equal(again2.keypoints, two.keypoints, equal_nan=True)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_parallel_stretches_resume_after_interruption(tmp_path, monkeypatch):
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path))
    clip = DATA / "calimiro_pull_up_11.mp4"

    def boom(done, total):
        if done == 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        estimate_video(clip, "lite", progress=boom, checkpoint_every=10, workers=2)
    partials = sorted(p.name.split(".")[-2] for p in tmp_path.glob("*.partial*.npz"))
    assert partials == ["partial1of2", "partial2of2"]   # each stretch kept what it had
    seen = []
    _, seq, stats = estimate_video(clip, "lite", progress=lambda d, t: seen.append(d), workers=2)
    assert len(seq) == 220 and not stats["cached"] and seen[0] > 40
    assert np.all(np.diff(seq.timestamps) > 0)
    assert not list(tmp_path.glob("*.partial*.npz"))
    with pytest.raises(ConfigError, match="workers"):
        estimate_video(clip, "lite", workers=0)


def test_truncated_file_in_stretches_reports_damage(tmp_path, monkeypatch):
    # the header announces 7.3 s (two stretches); the second half of the bytes is gone
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path))
    src = (DATA / "calimiro_pull_up_11.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src[: len(src) // 2])
    _, seq, stats = estimate_video(cut, "lite", workers=2, cache=False, people_every_s=None)
    assert stats["workers"] == 2 and 0 < len(seq) < 220
    assert "truncated" in stats["decode_error"]


# ------------------------------------------------------------------------------------------ several people

def test_several_people_rule():
    from repvision.pose import several_people

    assert several_people(None) is None and several_people([]) is None
    assert several_people([(t, 1) for t in range(10)]) is None
    assert several_people([(0.0, 2)] + [(t, 1) for t in range(1, 10)]) is None   # one frame: a passer-by
    msg = several_people([(0.0, 1), (0.5, 2), (1.0, 3), (1.5, 2), (2.0, 1)])
    assert msg is not None and "3 at most" in msg and "3 of the 5 frames" in msg and "0.5 s" in msg


def test_people_counted_on_sampled_frames(squat_pose):
    # the committed squat clip shows one person; the counts come back from the cache too
    info, _, stats = squat_pose
    counts = [n for _, n in stats["people"]]
    assert len(counts) >= 8 and set(counts) == {1}
    _, _, cached = estimate_video(DATA / "calimiro_squat_19.mp4", "lite")
    assert cached["cached"] and cached["people"] == stats["people"]


def test_two_people_in_view_are_reported(shared_data):
    # kaiakol squat_correct_012: a man stands beside the woman who squats (checked by eye)
    from repvision.pipeline import analyze

    res = analyze(shared_data / "videos" / "kaiakol" / "squat" / "correct" / "squat_correct_012.mp4")
    assert any(w.startswith("Several people are in view") for w in res.warnings), res.warnings
    # the woman squatting is followed (hips at x ~ 0.5), not the man on the left (x ~ 0.3), whom MediaPipe's
    # one-person tracking followed before repvision.tracking existed
    assert np.nanmedian(res.pose.keypoints[:, [L.LEFT_HIP, L.RIGHT_HIP], 0]) > 0.42
    assert res.exercise.label == "squat"
    single = analyze(DATA / "calimiro_squat_19.mp4")
    assert not any("Several people" in w for w in single.warnings)


def test_people_watch_searches_due_frames_and_never_blocks_when_asked():
    from repvision.pose import PeopleWatch

    with VideoReader(DATA / "calimiro_squat_19.mp4") as r:
        frames = [(f.image, f.timestamp_s) for f in r]
    # waiting (files): every due frame is searched, one every second of video
    with PeopleWatch("lite", 1.0) as w:
        for image, t in frames:
            w.offer(image, t)
        w.finish()
    due = [0.0] + [t for t in np.arange(1.0, frames[-1][1] + 1e-9, 1.0)]
    assert [round(t) for t, _ in w.people] == [round(t) for t in due] and {n for _, n in w.people} == {1}
    # not waiting (live): frames offered while a search runs are skipped, so at most as many searches happen,
    # each at or after its due time, and offer() hands back each finished search once
    got = []
    with PeopleWatch("lite", 0.25, wait=False) as w:
        for image, t in frames:
            got += w.offer(image, t)
        got += w.finish()
    assert got == w.people and 1 <= len(w.people) <= len(np.arange(0.0, frames[-1][1] + 1e-9, 0.25))
    assert all(b - a >= 0.25 - 1e-6 for (a, _), (b, _) in zip(w.people, w.people[1:]))


def _stderr_target() -> tuple[int, int]:
    import os

    st = os.fstat(2)
    return st.st_dev, st.st_ino


def test_overlapping_quiet_logs_restore_stderr():
    # Regression: landmarkers created on two threads at once (pose stretches, the people search) each saved
    # fd 2 and put it back; when their quiet spans overlapped, the second saved /dev/null and restored it
    # last, so stderr -- the CLI's error messages included -- stayed silenced for the rest of the process.
    import os
    import threading

    from repvision.pose import _quiet_native_logs

    before = _stderr_target()
    devnull = os.stat(os.devnull)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with _quiet_native_logs():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with _quiet_native_logs():
            b_in.set()
            a_out.wait(5)
            seen["b_after_a_left"] = _stderr_target()

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start(), tb.start()
    ta.join(10), tb.join(10)
    assert seen["b_after_a_left"] == (devnull.st_dev, devnull.st_ino)   # still quiet while b is inside
    assert _stderr_target() == before                                  # and restored once both left


def test_parallel_stretches_leave_stderr_working(tmp_path, monkeypatch):
    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path))
    before = _stderr_target()
    for _ in range(3):   # the landmarkers of both stretches start at the same moment on their threads
        estimate_video(DATA / "calimiro_pull_up_11.mp4", "lite", workers=2, cache=False)
        assert _stderr_target() == before


def test_stderr_after_parallel_estimation_is_clean_and_working(tmp_path):
    # A fresh process: estimation on two stretches, then a message of our own on stderr. The message must get
    # through (stderr restored) and MediaPipe's start-up and shut-down chatter must not.
    import os
    import subprocess
    import sys

    code = ("import sys; from repvision.pose import estimate_video; "
            f"estimate_video({str(DATA / 'calimiro_pull_up_11.mp4')!r}, 'lite', workers=2, cache=False); "
            "print('still here', file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "REPVISION_CACHE_DIR": str(tmp_path)})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "still here" in r.stderr
    assert "DestroyAccelerator" not in r.stderr and "INFO:" not in r.stderr, r.stderr[-2000:]
