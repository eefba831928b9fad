"""Following the person exercising when several people are in view (repvision.tracking and its use in
repvision.pose.estimate_video)."""

from __future__ import annotations

import numpy as np
import pytest

from repvision.errors import ConfigError
from repvision.skeleton import BlazePoseLandmark as L
from repvision.tracking import (LiveFollower, PersonTracker, exerciser, same_person_share, shape_change,
                                track_people)

from conftest import DATA


def _standing(cx: float, height: float = 0.6) -> np.ndarray:
    """A (33, 4) upright pose centred at x = cx: head at the top, ankles at the bottom of a `height` box."""
    p = np.zeros((33, 4), np.float32)
    top = 0.2
    p[:, 0] = cx
    p[:, 1] = top + 0.05 * height
    p[:, 3] = 1.0
    rows = {L.LEFT_SHOULDER: 0.2, L.RIGHT_SHOULDER: 0.2, L.LEFT_ELBOW: 0.35, L.RIGHT_ELBOW: 0.35,
            L.LEFT_WRIST: 0.5, L.RIGHT_WRIST: 0.5, L.LEFT_HIP: 0.5, L.RIGHT_HIP: 0.5, L.LEFT_KNEE: 0.75,
            L.RIGHT_KNEE: 0.75, L.LEFT_ANKLE: 1.0, L.RIGHT_ANKLE: 1.0, L.LEFT_HEEL: 1.0, L.RIGHT_HEEL: 1.0,
            L.LEFT_FOOT_INDEX: 1.0, L.RIGHT_FOOT_INDEX: 1.0}
    for lm, r in rows.items():
        p[lm, 1] = top + r * height
        p[lm, 0] = cx + (0.05 if lm % 2 else -0.05)
    return p


def _raise_arms(p: np.ndarray, amount: float) -> np.ndarray:
    """The pose with both wrists and elbows lifted by `amount` (0..1) of the way to shoulder height and out."""
    q = p.copy()
    for lm, s in ((L.LEFT_WRIST, L.LEFT_SHOULDER), (L.RIGHT_WRIST, L.RIGHT_SHOULDER),
                  (L.LEFT_ELBOW, L.LEFT_SHOULDER), (L.RIGHT_ELBOW, L.RIGHT_SHOULDER)):
        q[lm, 1] = p[lm, 1] + amount * (p[s, 1] - p[lm, 1])
        q[lm, 0] = p[lm, 0] + amount * 0.2 * (1 if lm % 2 else -1)
    return q


def test_track_ids_follow_people_when_the_detector_swaps_their_order():
    t = np.arange(20) / 10.0
    left, right = _standing(0.3), _standing(0.7)
    # MediaPipe's order is not stable: the right person comes first in odd frames
    frames = [[left, right] if i % 2 == 0 else [right, left] for i in range(20)]
    tracks = track_people(frames, t)
    assert tracks.shape == (2, 20, 33, 4)
    hip_x = np.nanmean(tracks[:, :, [L.LEFT_HIP, L.RIGHT_HIP], 0], axis=(1, 2))
    assert np.sort(hip_x) == pytest.approx([0.3, 0.7], abs=1e-6)
    # every frame of a track holds the same person
    for k in range(2):
        xs = tracks[k, :, L.LEFT_HIP, 0]
        assert np.nanmax(xs) - np.nanmin(xs) < 1e-6


def test_a_person_away_too_long_gets_a_new_track_and_a_jump_starts_one():
    tracker = PersonTracker(max_gap_s=0.5)
    a = _standing(0.3)
    assert tracker.update([a], 0.0) == [0]
    assert tracker.update([a], 0.1) == [0]
    assert tracker.update([], 0.2) == []
    assert tracker.update([a], 1.0) == [1]           # unseen for 0.9 s > 0.5 s
    assert tracker.update([_standing(0.8)], 1.1) == [2]   # half a frame away in one frame: someone else
    assert tracker.tracks == {0: [0, 1], 1: [3], 2: [4]}


def test_exerciser_is_the_person_whose_body_moves_not_the_one_who_walks():
    t = np.arange(60) / 30.0
    frames = []
    for i in range(60):
        walker = _standing(0.2 + 0.005 * i)                      # walks across, body shape unchanged
        lifter = _raise_arms(_standing(0.7), 0.5 - 0.5 * np.cos(2 * np.pi * i / 30))   # two lateral raises
        frames.append([walker, lifter] if i % 3 else [lifter, walker])
    tracks = track_people(frames, t)
    assert len(tracks) == 2
    k = exerciser(tracks)
    assert np.nanmean(tracks[k, :, L.LEFT_HIP, 0]) > 0.6          # the lifter
    assert shape_change(tracks[1 - k]) < 0.01 < 0.1 < shape_change(tracks[k])


def test_shape_change_edge_cases():
    still = np.stack([_standing(0.5)] * 10)
    assert shape_change(still) == pytest.approx(0.0, abs=1e-6)
    assert shape_change(still[:2]) == 0.0                           # too few frames
    assert shape_change(np.full((10, 33, 4), np.nan, np.float32)) == 0.0
    with pytest.raises(ValueError, match="nobody"):
        exerciser(np.zeros((0, 5, 33, 4)))


def test_same_person_share_tells_whether_the_one_person_pass_stayed_on_the_exerciser():
    lifter = np.stack([_raise_arms(_standing(0.3), a) for a in np.linspace(0, 1, 10)])
    other = np.stack([_standing(0.7)] * 10)
    assert same_person_share(lifter, lifter) == 1.0
    flicks = lifter.copy()
    flicks[::2] = other[::2]                      # the one-person pass jumps to the bystander every other frame
    assert same_person_share(lifter, flicks) == 0.5
    missing = lifter.copy()
    missing[:5] = np.nan                          # the chosen person unseen in half the frames: those don't count
    assert same_person_share(missing, lifter) == 1.0
    assert same_person_share(np.full_like(lifter, np.nan), lifter) == 0.0
    with pytest.raises(ValueError, match="same frames"):
        same_person_share(lifter, lifter[:5])


def test_estimator_rejects_a_bad_number_of_people():
    from repvision.pose import PoseEstimator

    with pytest.raises(ConfigError, match="num_poses"):
        PoseEstimator("lite", num_poses=0)


def test_config_rejects_a_non_boolean_follow_setting():
    from repvision.config import AnalyzeConfig

    with pytest.raises(ConfigError, match="follow_exerciser"):
        AnalyzeConfig(follow_exerciser="yes")


def test_the_squatting_person_is_followed_not_the_one_standing_beside():
    # tests/data/two_people_squat.mp4 (benchmarks/make_two_people_clip.py): the committed 2-squat clip on the
    # left, its first frame frozen on the right (a person standing still). MediaPipe's one-person tracking
    # follows the still person; following the exerciser finds the squats.
    from repvision.config import AnalyzeConfig
    from repvision.pipeline import analyze
    from repvision.pose import estimate_video

    clip = DATA / "two_people_squat.mp4"
    res = analyze(clip, AnalyzeConfig())
    hip_x = np.nanmedian(res.pose.keypoints[:, [L.LEFT_HIP, L.RIGHT_HIP], 0])
    assert hip_x < 0.5                                             # the left person
    assert res.exercise.label == "squat" and res.repetitions.count == 2
    assert any("told 2 people apart" in w for w in res.warnings), res.warnings
    _, _, stats = estimate_video(clip, "lite")                      # cached, with the same choice
    followed = stats["followed"]
    assert stats["cached"] and followed.tracks == 2 and followed.seen_share > 0.9
    assert followed.switched and followed.same_as_one_person < 0.5   # the one-person pass was on the other

    one = analyze(clip, AnalyzeConfig(follow_exerciser=False))
    assert np.nanmedian(one.pose.keypoints[:, [L.LEFT_HIP, L.RIGHT_HIP], 0]) > 0.5   # the still person
    assert one.repetitions.count != 2
    assert any("may switch between people" in w for w in one.warnings)


def test_a_false_second_person_keeps_the_one_person_poses(shared_data):
    # pushfit wrong19: one man doing one push-up (checked by eye); the people search finds a second "person" in
    # the first two checked frames. The several-people pass keeps losing him there, so the one-person pass,
    # which stayed on him, is kept (it gave 1 repetition; the several-people track alone gave 2).
    from repvision.pipeline import analyze
    from repvision.pose import estimate_video

    clip = shared_data / "videos" / "pushfit" / "wrong" / "wrong19.mp4"
    _, _, stats = estimate_video(clip, "lite")
    assert stats["followed"] is not None and not stats["followed"].switched
    assert stats["followed"].same_as_one_person >= 0.8
    res = analyze(clip)
    assert res.exercise.label == "push_up" and res.repetitions.count == 1


def test_live_window_score_equals_shape_change_of_the_window(monkeypatch):
    """The live follower keeps running sums instead of re-stacking a track's window every frame; its shape
    change must equal :func:`shape_change` of the same poses, with frames the person is not seen in, frames
    leaving the window, and the periodic re-summing (made frequent here) included."""
    from repvision.tracking import _ShapeWindow

    monkeypatch.setattr(_ShapeWindow, "RESUM_EVERY", 25)
    rng = np.random.default_rng(3)
    w, kept = _ShapeWindow(), []
    base = _standing(0.4)
    for i in range(200):
        t = i / 30.0
        pose = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
        pose[:, :2] += 0.1 * np.sin(t)                     # the whole body drifts: no shape change from that
        pose[L.LEFT_WRIST, 1] -= 0.2 * np.sin(2 * t)       # the arm moves: shape change
        if i % 17 == 5:
            pose[L.LEFT_KNEE, 0] = np.nan                  # a frame where the person is not fully seen
        w.push(t, pose)
        kept.append((t, pose))
        w.expire(t, 1.5)
        kept = [(u, p) for u, p in kept if t - u <= 1.5]
        assert len(w.items) == len(kept)
        assert w.shape_change() == pytest.approx(shape_change(np.stack([p for _, p in kept])), rel=1e-9, abs=1e-12)


def test_live_follower_switches_to_the_person_exercising_and_holds_on():
    follower = LiveFollower(window_s=2.0)
    still, lifter_at = _standing(0.3), _standing(0.7)
    got = []
    for i in range(150):                                   # 5 s at 30 frames/s
        t = i / 30.0
        lifter = _raise_arms(lifter_at, 0.5 - 0.5 * np.cos(2 * np.pi * t))    # a lateral raise a second
        if i >= 90:
            lifter = _raise_arms(lifter_at, 0.0)           # the lifter rests from 3 s on
        pose = follower.update([still, lifter] if i % 2 else [lifter, still], t)
        got.append(pose[L.LEFT_HIP, 0])
    got = np.array(got)
    assert np.all(got[15:] > 0.6)        # the lifter from half a second on, and still while resting
    assert follower.frames == 150 and follower.frames_followed == 150


def test_live_follower_moves_on_when_the_person_leaves_and_ignores_jitter():
    follower = LiveFollower(window_s=1.0)
    a, b = _standing(0.3), _standing(0.7)
    rng = np.random.default_rng(0)
    first = None
    for i in range(60):                  # two people at rest: landmark jitter only, the choice stays put
        jitter = lambda p: p + rng.normal(0, 0.002, p.shape).astype(np.float32)   # noqa: E731
        pose = follower.update([jitter(a), jitter(b)], i / 30.0)
        first = first if first is not None else pose[L.LEFT_HIP, 0]
        assert pose[L.LEFT_HIP, 0] == pytest.approx(first, abs=0.02)
    other = 0.7 if first < 0.5 else 0.3
    for i in range(60, 100):             # the followed person walks out of view
        pose = follower.update([_standing(other)], i / 30.0)
    assert pose is not None and pose[L.LEFT_HIP, 0] == pytest.approx(other + 0.05)
    assert follower.update([], 100 / 30.0) is None


def test_the_second_pass_runs_on_parallel_stretches_and_links_them(tmp_path, monkeypatch):
    # the two-person clip three times in a row (17 s): two pose workers each take a stretch of the several-people
    # pass; the tracks are linked across the cut, and the squatting person is followed in both halves
    from clips import real_frames, write_clip
    from repvision.config import AnalyzeConfig
    from repvision.pipeline import analyze

    monkeypatch.setenv("REPVISION_CACHE_DIR", str(tmp_path / "cache"))
    frames, fps = real_frames(DATA / "two_people_squat.mp4", 10_000)
    clip = write_clip(tmp_path / "three_times.mp4", frames * 3, int(round(fps)))
    res = analyze(clip, AnalyzeConfig(pose_workers=2))
    hip_x = res.pose.keypoints[:, [L.LEFT_HIP, L.RIGHT_HIP], 0].mean(axis=1)
    half = len(hip_x) // 2
    assert np.nanmax(hip_x[:half]) < 0.5 and np.nanmax(hip_x[half:]) < 0.5   # the left person throughout
    assert res.exercise.label == "squat" and res.repetitions.count == 6
    assert any("told 2 people apart" in w for w in res.warnings), res.warnings


def test_a_person_lying_down_moving_fast_keeps_one_track():
    # a push-up seen from the side: the landmark box is long and flat. Distances are measured in the box's
    # longer side; measured in its height (0.1 here) this 0.03-per-frame bob would start a new track each frame
    lying = _standing(0.5)[:, [1, 0, 2, 3]].copy()          # x <-> y: the body runs along the image's x axis
    lying[:, 1] = 0.6 + 0.2 * (lying[:, 1] - 0.5)            # flat: 0.1 high, 0.6 long
    frames = [[lying + np.array([0, 0.03 * (i % 2), 0, 0], np.float32)] for i in range(30)]
    tracks = track_people(frames, np.arange(30) / 30.0)
    assert len(tracks) == 1


def test_the_second_pass_reports_its_own_progress_stage():
    # a program reading `--progress json` sees the second pose pass as its own stage, not "pose" starting over
    from repvision.config import AnalyzeConfig
    from repvision.pipeline import analyze

    seen = []
    analyze(DATA / "two_people_squat.mp4", AnalyzeConfig(cache=False), progress=lambda s, d, t: seen.append((s, d, t)))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "pose" and stages[-1] == "pose_people"
    assert stages.index("pose_people") > len(stages) - 1 - stages[::-1].index("pose")   # one after the other
    pose_done = [d for s, d, _ in seen if s == "pose"]
    people_done = [(d, t) for s, d, t in seen if s == "pose_people"]
    assert pose_done == sorted(pose_done) and people_done[-1][0] == people_done[-1][1] == 143
