"""Exercise classifier: features, the scikit-learn contract, numpy forward pass, persistence, shipped model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from repvision.classify import (
    EXERCISES, ExerciseClassifier, feature_names, load_default_classifier, mirror_windows, sequence_features,
    sequence_windows, window_features,
)
from repvision.errors import NotFittedError, TooFewDetectionsError
from repvision.skeleton import BLAZEPOSE_33, JOINT_MIRROR, JOINTS_13
from repvision.types import PoseSequence

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _synthetic(T=90, fps=30.0, coords="pixels", seed=0) -> PoseSequence:
    """A standing figure bobbing up and down (squat-like), 13 joints."""
    rng = np.random.default_rng(seed)
    base = np.array([[0, -4], [-1, -3], [1, -3], [-1.3, -2], [1.3, -2], [-1.4, -1], [1.4, -1],
                     [-.6, 0], [.6, 0], [-.6, 1.5], [.6, 1.5], [-.6, 3], [.6, 3]], float)
    t = np.arange(T) / fps
    kp = np.zeros((T, 13, 4), np.float32)
    kp[..., :2] = base[None] * 50 + 300
    kp[:, :9, 1] += (30 * np.sin(2 * np.pi * 0.5 * t))[:, None]
    kp[..., :2] += rng.normal(0, 1, kp[..., :2].shape)
    kp[..., 2] = np.nan
    kp[..., 3] = 1
    return PoseSequence(kp, t, JOINTS_13, coords)


def _toy_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "squat", np.where(X[:, 2] > 0, "push_up", "golf_swing"))
    return X, y


# ---------------------------------------------------------------------------------------------- features
def test_features_shape_and_invariance():
    seq = _synthetic()
    f = sequence_features(seq)
    assert f.shape == (2, len(feature_names())) and np.isfinite(f).all()
    # per-axis affine change of coordinates (pixels -> normalised image -> box) gives the same features
    k = seq.keypoints.copy()
    k[..., 0] = k[..., 0] / 640.0
    k[..., 1] = k[..., 1] / 480.0 + 0.1
    g = sequence_features(PoseSequence(k, seq.timestamps, JOINTS_13, "image", image_size=(640, 480)))
    np.testing.assert_allclose(f, g, rtol=1e-3, atol=1e-4)  # float32 keypoints
    # without equal-scale coordinates (box / unknown image size) only the orientation cues are missing
    h = sequence_features(PoseSequence(k, seq.timestamps, JOINTS_13, "box"))
    np.testing.assert_allclose(f[:, :165], h[:, :165], rtol=1e-3, atol=1e-4)
    assert np.isnan(h[:, 165:]).all() and np.isfinite(f[:, 165:]).all()
    assert f[0, 165] < -0.9  # upright torso


def test_windows_resampled_by_time_not_frames():
    a = _synthetic(T=90, fps=30.0)
    b = _synthetic(T=180, fps=60.0)
    wa, dta = sequence_windows(a)
    wb, dtb = sequence_windows(b)
    assert wa.shape == wb.shape and np.allclose(dta, dtb)
    np.testing.assert_allclose(wa, wb, atol=0.05)


def test_short_and_nan_sequences():
    seq = _synthetic(T=12)  # 0.4 s, shorter than one window
    w, dt = sequence_windows(seq)
    assert w.shape[0] == 1 and np.isfinite(w).all()
    k = _synthetic(T=60).keypoints.copy()
    k[10:20] = np.nan  # frames without a person
    k[:, 5] = np.nan  # a joint never seen
    f = sequence_features(PoseSequence(k, np.arange(60) / 30.0, JOINTS_13, "pixels"))
    assert f.shape[0] >= 1 and np.isfinite(f[:, :5]).all()
    with pytest.raises(TooFewDetectionsError):
        sequence_features(PoseSequence(np.full((5, 13, 4), np.nan), np.arange(5) / 30.0, JOINTS_13, "pixels"))


def test_mirror_is_an_involution():
    w, _ = sequence_windows(_synthetic())
    np.testing.assert_allclose(mirror_windows(mirror_windows(w)), w)
    assert not np.allclose(mirror_windows(w), w)


# ------------------------------------------------------------------------------------------ sklearn contract
def test_not_fitted_error():
    clf = ExerciseClassifier()
    with pytest.raises(NotFittedError):
        clf.predict_proba(np.zeros((1, 6)))
    with pytest.raises(NotFittedError):
        clf.predict_sequence(_synthetic())
    with pytest.raises(NotFittedError):
        clf.save("x.npz")
    assert isinstance(NotFittedError("a", "b", "c"), AttributeError)


def test_params_fit_returns_self_and_classes_order():
    pytest.importorskip("sklearn")
    clf = ExerciseClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=1)
    assert clf.get_params()["hidden_layer_sizes"] == (16,)
    assert not hasattr(clf, "classes_")
    X, y = _toy_data()
    assert clf.fit(X, y) is clf
    assert list(clf.classes_) == sorted(set(y))
    p = clf.predict_proba(X)
    assert p.shape == (len(X), 3) and np.allclose(p.sum(1), 1)
    assert (clf.predict(X) == clf.classes_[p.argmax(1)]).all()
    assert np.mean(clf.predict(X) == y) > 0.8


def test_numpy_forward_equals_sklearn_and_survives_save_load(tmp_path):
    pytest.importorskip("sklearn")
    X, y = _toy_data(seed=3)
    X[0, 2] = np.nan  # imputed identically
    clf = ExerciseClassifier(hidden_layer_sizes=(16, 8), max_iter=200, random_state=0).fit(X, y)
    Z = np.nan_to_num((X - clf.mean_) / clf.scale_)
    ref = clf.estimator_.predict_proba(Z)
    np.testing.assert_allclose(clf.predict_proba(X), ref, atol=1e-6)
    clf.save(tmp_path / "m.npz")
    loaded = ExerciseClassifier.load(tmp_path / "m.npz")
    np.testing.assert_allclose(loaded.predict_proba(X), ref, atol=1e-6)
    assert list(loaded.classes_) == list(clf.classes_) and loaded.get_params() == clf.get_params()
    # binary problems use a logistic output unit
    yb = np.where(X[:, 0] > 0, "a", "b")
    b = ExerciseClassifier(hidden_layer_sizes=(8,), max_iter=100).fit(np.nan_to_num(X), yb)
    np.testing.assert_allclose(b.predict_proba(np.nan_to_num(X)),
                               b.estimator_.predict_proba((np.nan_to_num(X) - b.mean_) / b.scale_), atol=1e-6)


# --------------------------------------------------------------------------------------------- shipped model
def test_shipped_model_is_small_and_numpy_only():
    from repvision.classify import default_model_path

    assert default_model_path().stat().st_size < 2_000_000
    clf = load_default_classifier()
    assert 0.0 < clf.unknown_threshold < 1.0
    assert clf.n_features_in_ <= len(feature_names())
    assert {"squat", "push_up", "pull_up", "sit_up"} <= set(clf.classes_)
    assert "sklearn" not in type(clf).__module__
    # the forward pass does not touch scikit-learn
    mods = {m for m in sys.modules if m.startswith("sklearn")}
    clf.predict_sequence(_synthetic())
    assert {m for m in sys.modules if m.startswith("sklearn")} == mods


@pytest.fixture(scope="module")
def clip_poses():
    """MediaPipe poses of the committed real clips (estimated once per test module)."""
    from repvision.pose import estimate_video

    out = {}
    for name, label in [("calimiro_squat_19.mp4", "squat"), ("calimiro_pull_up_11.mp4", "pull_up"),
                        ("repcount_test2021_sit_up.mp4", "sit_up"), ("repcount_test2315_squat.mp4", "squat")]:
        if (DATA / name).is_file():
            out[name] = (label, estimate_video(DATA / name, "lite")[1])
    if not out:
        pytest.skip("test clips not available")
    return out


def test_shipped_model_on_real_clips(clip_poses):
    clf = load_default_classifier()
    for name, (label, pose) in clip_poses.items():
        pred = clf.predict_sequence(pose, top_k=3)
        assert len(pred.top) == 3 and pred.top[0][1] >= pred.top[1][1] >= pred.top[2][1]
        assert pred.top[0][0] == label, (name, pred)
        assert pred.label in (label, "unknown"), (name, pred)


def test_shipped_model_on_penn_action_test_clips():
    pytest.importorskip("scipy")
    if not (SHARED / "penn_action").is_dir():
        pytest.skip("exercise data not available")
    from repvision.datasets.penn_action import read_penn_mat

    clf = load_default_classifier()
    # official test clips (train flag -1): exercises are recognised, a golf swing is "unknown"
    labels = SHARED / "penn_action" / "labels"
    import csv

    with open(SHARED / "penn_action" / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    picks = {}
    for r in rows:
        if r["split"] == "test" and r["label"] not in picks and r["label"] in ("squat", "push_up", "pull_up",
                                                                                 "jumping_jack", "golf_swing"):
            picks[r["label"]] = r["file"]
    for label, f in picks.items():
        s = read_penn_mat(labels / Path(f).name)
        assert s.meta["split"] == "test"
        pred = clf.predict_sequence(s.pose)
        if label in EXERCISES:
            assert pred.top[0][0] == label, (f, pred)
        else:
            assert pred.label == "unknown", (f, pred)


def _with_rest(pose: PoseSequence, rest_s: float, seed: int = 0) -> PoseSequence:
    """The clip, then ``rest_s`` seconds standing still (its last pose with 0.1% jitter), then the clip again."""
    import dataclasses

    rng = np.random.default_rng(seed)
    hold = np.repeat(pose.keypoints[-1:], int(rest_s * pose.fps), axis=0).copy()
    hold[..., :2] += rng.normal(0, 0.001, hold[..., :2].shape)
    kp = np.concatenate([pose.keypoints, hold, pose.keypoints]).astype(np.float32)
    return dataclasses.replace(pose, keypoints=kp, timestamps=np.arange(len(kp)) / pose.fps, world=None)


def test_a_rest_between_sets_does_not_change_the_exercise(clip_poses):
    # regression: two sets of the 2-squat clip with a 20 s rest standing still between them were called
    # shoulder_shrug (61%, squat 38%): the still windows outnumbered the squatting ones and averaged in equally.
    # Windows are now weighted by how much the person moves (window_weights).
    from repvision.classify import sequence_windows_ori, window_weights

    _, pose = clip_poses["calimiro_squat_19.mp4"]
    two = _with_rest(pose, 20.0)
    pred = load_default_classifier().predict_sequence(two, top_k=3)
    assert pred.label == "squat" and pred.confidence > 0.5, pred
    w, dt, ori = sequence_windows_ori(two)
    weights = window_weights(window_features(w, dt, ori))
    assert weights.max() == 1.0 and np.sort(weights)[len(weights) // 3] < 0.1   # the rest weighs little
    # a clip where nothing moves keeps equal weights
    assert np.all(window_weights(np.zeros((4, len(feature_names())))) == 1.0)


def test_predict_sequence_accepts_blazepose_with_gaps():
    seq = _synthetic()
    k = np.full((len(seq), 33, 4), np.nan, np.float32)
    k[:, list(BLAZEPOSE_33.to_joints)] = seq.keypoints
    k[5:15] = np.nan
    pred = load_default_classifier().predict_sequence(PoseSequence(k, seq.timestamps, BLAZEPOSE_33, "pixels"))
    assert pred.label in EXERCISES | {"unknown"} and 0 <= pred.confidence <= 1
    with pytest.raises(TooFewDetectionsError):
        load_default_classifier().predict_sequence(
            PoseSequence(np.full((4, 33, 4), np.nan), np.arange(4) / 30.0, BLAZEPOSE_33, "image"))


def _motion(pose, name):
    """Median over windows of the range (max - min) of motion position ``name``, in torso lengths."""
    from repvision.classify import MOTION_NAMES

    col = feature_names().index(f"motion_range_{name}")
    assert name in MOTION_NAMES
    return float(np.median(sequence_features(pose)[:, col]))


def test_motion_cues_on_real_clips(clip_poses):
    """Feature version 3: a pull-up moves the hips under still hands; a sit-up the shoulders over still hips."""
    _, pull = clip_poses["calimiro_pull_up_11.mp4"]
    assert _motion(pull, "hip_y") > 0.6 and _motion(pull, "wrist_y") < 0.25
    _, sit = clip_poses["repcount_test2021_sit_up.mp4"]
    assert _motion(sit, "shoulder_y") > 0.5 and _motion(sit, "hip_y") < 0.3
    # mirror invariant (training reuses a clip's cues for its mirrored windows): the mirror image of the video
    # (x -> 1 - x, left <-> right joints) gives the same motion columns
    j = pull.to_joints13()
    k = np.asarray(j.keypoints)[:, list(JOINT_MIRROR)].copy()
    k[..., 0] = 1.0 - k[..., 0]
    mirrored = PoseSequence(k, j.timestamps, JOINTS_13, j.coordinates, image_size=j.image_size)
    assert j.coordinates == "image" and not np.allclose(np.nan_to_num(k), np.nan_to_num(j.keypoints))
    np.testing.assert_allclose(sequence_features(mirrored)[:, -10:], sequence_features(j)[:, -10:], atol=1e-6)


def test_window_features_rejects_wrong_cue_shape():
    w, dt = sequence_windows(_synthetic())
    with pytest.raises(ValueError, match="cues must be"):
        window_features(w, dt, np.zeros((len(w), w.shape[1], 3)))


def test_seed_ensemble_averages_member_logits(tmp_path):
    pytest.importorskip("sklearn")
    X, y = _toy_data(seed=5)
    clf = ExerciseClassifier(hidden_layer_sizes=(16, 8), max_iter=150, random_state=3, n_members=3).fit(X, y)
    assert len(clf.estimators_) == 3 and clf.estimator_ is clf.estimators_[0]
    assert [m.random_state for m in clf.estimators_] == [3, 4, 5]
    Z = np.nan_to_num((X - clf.mean_) / clf.scale_)
    logp = np.mean([np.log(m.predict_proba(Z)) for m in clf.estimators_], axis=0)
    ref = np.exp(logp) / np.exp(logp).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), ref, atol=1e-6)
    assert not np.allclose(clf.predict_proba(X), clf.estimators_[0].predict_proba(Z), atol=1e-3)
    clf.save(tmp_path / "e.npz")
    loaded = ExerciseClassifier.load(tmp_path / "e.npz")
    np.testing.assert_allclose(loaded.predict_proba(X), ref, atol=1e-6)
    assert loaded.get_params()["n_members"] == 3
    with pytest.raises(ValueError, match="n_members"):
        ExerciseClassifier(n_members=0).fit(X, y)


def test_unknown_threshold_prefers_a_plateau_to_a_spike():
    """The score at each threshold is averaged with its neighbours: a one-point spike loses to a plateau."""
    from repvision.training import _smoothed_pick

    grid = np.round(np.arange(0.20, 0.951, 0.05), 2)
    raw = np.full(len(grid), 10.0)
    raw[np.isin(grid, [0.45, 0.5, 0.55])] = 14.0
    raw[grid == 0.85] = 15.0  # best raw score, alone
    assert grid[int(np.argmax(raw))] == 0.85
    assert _smoothed_pick(grid, raw) == 0.5
    raw[np.isin(grid, [0.8, 0.9])] = 14.5  # the spike now sits on a plateau of its own
    assert _smoothed_pick(grid, raw) == 0.85


def test_unknown_threshold_and_figures_on_known_probabilities():
    """Exercise clips answered at 0.9 and sports clips whose best class reaches 0.6: any threshold from 0.65 to
    0.9 scores all clips right; the pick is 0.7, the lowest threshold whose two neighbours do too, and the
    figures count one wrong exercise clip."""
    from repvision.training import choose_unknown_threshold, figures_at_threshold

    classes = np.array(["golf_swing", "push_up", "squat"])
    labels = ["squat"] * 4 + ["push_up"] * 4 + ["golf_swing"] * 4
    probs = np.array([[0.05, 0.05, 0.9]] * 4 + [[0.05, 0.9, 0.05]] * 4 + [[0.2, 0.6, 0.2]] * 4)
    thr, scores = choose_unknown_threshold(labels, probs, classes)
    assert thr == 0.7 and scores[0.65] == scores[0.9] == 12.0 and scores[0.6] < 12.0
    probs[0] = [0.05, 0.9, 0.05]  # one squat called a push-up
    f = figures_at_threshold(labels, probs, classes, thr)
    assert f["n_exercise_clips"] == 8 and f["top1"] == 0.875 and f["wrong_label_rate_exercise"] == 0.125
    assert f["n_negative_clips"] == 4 and f["unknown_rate_negatives"] == 1.0
    assert figures_at_threshold(labels, probs, classes, thr, restrict=("push_up",))["top1"] == 1.0


def test_class_weights_of_the_training_windows():
    """Every clip weighs the same with power 0 (the shipped recipe), every class the same with power 1, whatever
    the number of windows of each clip."""
    from repvision.classify import N_BOX_FEATURES
    from repvision.training import ClipFeatures, _training_matrix

    rng = np.random.default_rng(0)

    def clip(label: str, k: int) -> "ClipFeatures":
        x = rng.random((k, N_BOX_FEATURES + 4))
        return ClipFeatures(f"{label}{k}", label, label, "test", x, x.copy())

    clips = [clip("squat", 3), clip("squat", 12), clip("squat", 5), clip("dip", 7)]
    for power, dip_share in ((0.0, 0.25), (1.0, 0.5), (0.5, 1 / (1 + 3 ** 0.5))):
        _, y, w = _training_matrix(clips, power)
        assert w.mean() == pytest.approx(1.0)
        assert w[y == "dip"].sum() / w.sum() == pytest.approx(dip_share)
        squat = w[y == "squat"]
        sizes = [2 * 3, 2 * 12, 2 * 5]   # windows and their mirror images, clip by clip
        per_clip = [squat[a:a + n].sum() for a, n in zip(np.cumsum([0] + sizes[:-1]), sizes)]
        assert per_clip == pytest.approx([per_clip[0]] * 3)


def test_cv_folds_keep_groups_together():
    """The folds of the shipped recipe's cross-validation: every clip is tested exactly once, the clips of one
    group are always on the same side, each fold has both classes, and the same seed gives the same folds."""
    from repvision.training import ClipFeatures, cv_folds

    x = np.zeros((1, 3))
    clips = [ClipFeatures(f"c{i}", "squat" if i % 2 else "push_up", f"g{i // 3}", "test", x, x)
             for i in range(30)]
    folds = cv_folds(clips, seed=1, n_folds=5)
    assert len(folds) == 5
    tested = np.concatenate([te for _, te in folds])
    assert sorted(tested.tolist()) == list(range(30))
    for trn, te in folds:
        assert set(trn.tolist()).isdisjoint(te.tolist())
        assert {clips[i].group for i in trn}.isdisjoint({clips[i].group for i in te})
        assert {clips[i].label for i in te} == {"squat", "push_up"}
    again = cv_folds(clips, seed=1, n_folds=5)
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(folds, again))


def test_rotated_training_copies(squat_pose):
    """Each training clip carries one copy per angle of ROTATIONS_DEG: same windows, the torso tilted by the
    angle (orientation cue), then, asked for and for poses with depth, one per turned camera (TURNS_DEG is
    empty in the shipped recipe); those copies enter the training matrix after the clips, each weighing as a
    clip; a clip made for prediction only has none, and a clip without depth no turned copy."""
    from repvision.classify import N_BOX_FEATURES, feature_names
    from repvision.datasets.base import Sample
    from repvision.features import rotate_sequence
    from repvision.training import ROTATIONS_DEG, TURNS_DEG, _training_matrix, clip_features

    _, seq, _ = squat_pose
    s = Sample("squat_19", "squat", "g", seq, {})
    assert len(clip_features(s, "videos").augmented) == 2 and TURNS_DEG == ()
    c = clip_features(s, "videos", turns=(-45.0, 45.0))
    assert len(ROTATIONS_DEG) == 2 and len(c.augmented) == 4
    assert clip_features(s, "videos", rotations=(), turns=()).augmented == ()
    flat = Sample("squat_19", "squat", "g", rotate_sequence(seq, 0.0), {})   # no world landmarks: no depth
    assert len(clip_features(flat, "videos", turns=(-45.0, 45.0)).augmented) == len(ROTATIONS_DEG)
    torso = feature_names().index("mean_torso_up")
    upright = c.X[:, torso]          # about -1: standing
    for (X, Xm), deg in zip(c.augmented, ROTATIONS_DEG):
        assert X.shape == Xm.shape == c.X.shape
        # the torso's vertical component after a roll of `deg` is about -cos(deg)
        np.testing.assert_allclose(X[:, torso], upright * np.cos(np.radians(deg)), atol=0.02)
        assert not np.allclose(X[:, :N_BOX_FEATURES], c.X[:, :N_BOX_FEATURES], equal_nan=True)
    for X, Xm in c.augmented[len(ROTATIONS_DEG):]:
        # a turned camera leaves the body upright but changes the box-normalised pose
        assert X.shape == c.X.shape
        np.testing.assert_allclose(X[:, torso], upright, atol=0.05)
        assert not np.allclose(X[:, :N_BOX_FEATURES], c.X[:, :N_BOX_FEATURES], equal_nan=True)
    X, y, w = _training_matrix([c])
    k = min(len(c.X), 12)
    assert len(X) == 5 * 2 * k and (y == "squat").all()
    assert all(w[: 2 * k].sum() == pytest.approx(w[i * 2 * k: (i + 1) * 2 * k].sum()) for i in range(1, 5))


def test_repcount_copies_of_videos_clips_share_their_group():
    """Regression: test2021 and test2315 are in RepCount-A (its poses) and in videos/ (ours) under different group
    ids, so the grouped cross-validation could train on one copy of a recording and test on the other."""
    import csv

    from repvision.datasets.base import Sample
    from repvision.training import shared_video_groups

    vman, rman = SHARED / "videos" / "manifest.csv", SHARED / "repcount_a" / "annotations.csv"
    if not (vman.is_file() and rman.is_file()):
        pytest.skip("shared data not available")
    with vman.open(newline="") as f:
        videos = [Sample(r["path"], r["exercise"], r["group_id"], None, {"source": r["source"]})
                  for r in csv.DictReader(f) if r["variant"] == "main"]
    with rman.open(newline="") as f:
        repcount = [Sample(r["name"], r["exercise"], r["group_id"], None, {}) for r in csv.DictReader(f)]
    links = shared_video_groups({"videos": videos, "repcount_a": repcount})
    in_videos = {Path(v.name).stem: v.group_id for v in videos if v.meta["source"] == "repcount_a"}
    assert {"test2021", "test2315"} <= set(in_videos)
    for r in repcount:
        if r.name in in_videos:   # the same recording: one group
            assert links[("repcount_a", r.group_id)] == f"videos:{in_videos[r.name]}"
    # every other clip of such a RepCount-A group follows (test2320 is cut from the same video as test2315)
    rc2315 = next(r.group_id for r in repcount if r.name == "test2315")
    assert any(r.name == "test2320" and r.group_id == rc2315 for r in repcount)
    assert len(links) == len({r.group_id for r in repcount if r.name in in_videos})
    assert shared_video_groups({"repcount_a": repcount}) == {}


def test_open_set_answers():
    # the one open-set rule: the best class if it is answerable and confident enough, else -1 ("unknown")
    from repvision.classify import open_set_answers

    classes = np.array(["squat", "tennis_serve", "push_up"])
    p = np.array([[0.7, 0.2, 0.1],     # squat, above the threshold
                  [0.2, 0.7, 0.1],     # a sport is never answered
                  [0.5, 0.1, 0.4],     # squat, below the threshold
                  [0.45, 0.1, 0.45]])  # a tie goes to the first class
    assert open_set_answers(p, classes, {"squat", "push_up"}, 0.6).tolist() == [0, -1, -1, -1]
    assert open_set_answers(p, classes, {"squat", "push_up"}, 0.45).tolist() == [0, -1, 0, 0]
    assert open_set_answers(p[0], classes, {"push_up"}, 0.1).tolist() == [-1]
