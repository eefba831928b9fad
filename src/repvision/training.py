"""Training and honest evaluation of the default exercise classifier (:mod:`repvision.classify`).

Training data (all from the exercise data folder, see its README):

* Penn Action official **train** split (Zhang et al., ICCV 2013): 8 exercise classes + 7 sports classes, each
  sports class kept as its own (non-vocabulary) class;
* RepCount-A poses (TransRAC, Hu et al., CVPR 2022; poses from Chen et al., arXiv:2308.08632);
* Pose Trainer (Chen & Yang, 2018) OpenPose sequences;
* MediaPipe poses extracted from the ``main`` rows of ``videos/manifest.csv`` (cached pose files).

Evaluation (printed as rich tables and returned):

* Penn Action official **test** split, top-1 over the 8 exercise classes and over all 15 classes (model trained
  on everything above; the test split is never used for training or for choosing anything);
* grouped, stratified 5-fold cross-validation over the whole training pool, grouped by ``group_id`` (videos,
  RepCount-A) or by clip (Penn Action train, Pose Trainer) -- never split by frame or window; the
  out-of-fold clip probabilities give the video and RepCount-A figures and choose the unknown threshold.

Run as ``python -m repvision.training --data ../shared/data --out src/repvision/models/exercise_classifier.npz``.
Needs scikit-learn and SciPy (``pip install repvision[train]``).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from repvision.classify import EXERCISES, N_BOX_FEATURES, UNKNOWN, ExerciseClassifier, feature_names, \
    open_set_answers, sequence_windows_ori, window_features_and_mirror
from repvision.datasets.base import Sample
from repvision.errors import ManifestError, TooFewDetectionsError
from repvision.features import can_turn, rotate_sequence, turn_sequence

#: Seed of every random choice (folds, MLP initialisation and batches).
SEED: int = 20261122
#: Folds of the grouped cross-validation.
N_FOLDS: int = 5
#: At most this many windows (evenly spaced) per sequence enter training, so long RepCount-A clips do not
#: dominate; each sequence then gets the same total weight.
MAX_TRAIN_WINDOWS: int = 12
#: Share of training windows whose orientation and motion features (the columns that need equal-scale
#: coordinates) are blanked (NaN), so the model also works for sources without them (RepCount-A box poses),
#: where they are always NaN.
CUE_DROPOUT: float = 0.3
#: Class weights of the shipped recipe: each clip's total weight is multiplied by (clips of its class) ** -power,
#: so 0 = none (every clip weighs the same) and 1 = every class weighs the same in total. 0, because class weights
#: did not help on the whole (measured before :data:`ROTATIONS_DEG` came in): ``videos/`` grouped CV 93.5% -> 92.8% with 0.5 and with 1 (the same 9 clips missed,
#: plus the push-up clip wrong79), Penn Action test 8 / 15 classes 95.4 / 95.6% -> 95.6 / 95.5% and 95.1 / 95.4%,
#: RepCount-A poses out of fold 64.0% -> 65.3% and 66.7% (``python -m repvision.training --class-weight-power P``,
#: ``benchmarks/results/training_class_weight_power_*.json``).
CLASS_WEIGHT_POWER: float = 0.0
#: Training augmentation: every training clip is added again seen by a camera rolled by each of these angles
#: (degrees, :func:`repvision.features.rotate_sequence`), same label and cross-validation group. Small rotations
#: are the usual skeleton augmentation (the sequence models here draw +-10 degrees,
#: :func:`repvision.seq_models.augment`); the two fixed angles keep the recipe deterministic. Measured
#: (``python -m repvision.training``, same seeds and folds, against ``benchmarks/results/training_no_rotations.json``,
#: both before Penn Action's unannotated joints became missing): see docs/results.md, "Exercise classification".
ROTATIONS_DEG: tuple[float, ...] = (-12.0, 12.0)
#: Optional training augmentation for clips with depth (MediaPipe poses with world landmarks: ``videos/`` and
#: one's own videos; :func:`repvision.features.can_turn`): each is added again as seen by a camera moved this many
#: degrees around the person (:func:`repvision.features.turn_sequence`), same label and group, each copy weighing
#: as a clip; Penn Action, Pose Trainer and RepCount-A poses have no depth and get none. Empty in the shipped
#: recipe: copies at -45 and +45 degrees did not help (measured before Penn Action's unannotated joints became
#: missing: ``videos/`` grouped CV 94.2% -> 93.5%, Penn Action test
#: 95.9 / 96.1% -> 95.6 / 95.8%: ``python -m repvision.training --turns=-45,45``,
#: ``benchmarks/results/training_turns_45.json``; per seed: ``benchmarks/classifier_features.py --turns=-45,45``);
#: see docs/results.md, "Exercise classification".
TURNS_DEG: tuple[float, ...] = ()
#: Wrong-label penalty of the threshold choice: the threshold maximises
#: (#correct answers, "unknown" being correct for non-exercise clips) - PENALTY * (#wrong exercise labels),
#: averaged with the scores of the two neighbouring thresholds (:func:`choose_unknown_threshold`).
WRONG_PENALTY: float = 2.0
#: MLP settings of the shipped model (5 seeds, logits averaged: :class:`repvision.classify.ExerciseClassifier`).
MODEL_PARAMS: dict[str, Any] = {"hidden_layer_sizes": (128,), "alpha": 1e-3, "max_iter": 200, "n_members": 5}
PENN_EXERCISES: tuple[str, ...] = ("bench_press", "clean_and_jerk", "jump_rope", "jumping_jack", "pull_up",
                                   "push_up", "sit_up", "squat")


@dataclass
class ClipFeatures:
    """Window features of one labelled clip, the unit the default classifier is trained and evaluated on.

    Attributes
    ----------
    name, label:
        The sample's name and exercise (or non-exercise class) label.
    group:
        Cross-validation group (:func:`group_key`, or a shared group from :func:`shared_video_groups`); clips of
        one group stay on the same side of every split.
    source:
        Dataset name (``penn_action``, ``repcount_a``, ``pose_trainer``, ``videos``, ``penn_test``).
    X, Xm:
        ``(K, F)`` :func:`repvision.classify.window_features` of the clip's K windows and of their left/right
        mirror images.
    augmented:
        ``(X, Xm)`` of each rotated copy of the clip (:data:`ROTATIONS_DEG`), then of each turned copy
        (:data:`TURNS_DEG`, clips with depth only); used only when the clip is trained on (:func:`fit_clips`),
        never to predict.
    """

    name: str
    label: str
    group: str
    source: str
    X: np.ndarray
    Xm: np.ndarray
    augmented: tuple[tuple[np.ndarray, np.ndarray], ...] = ()


def group_key(source: str, group_id: str) -> str:
    """Cross-validation group of a clip of ``source`` with the dataset's ``group_id``: ``"<source>:<group_id>"``
    (group ids are only unique within one dataset)."""
    return f"{source}:{group_id}"


def clip_features(s: Sample, source: str, group: str | None = None,
                  rotations: tuple[float, ...] = ROTATIONS_DEG,
                  turns: tuple[float, ...] = TURNS_DEG) -> ClipFeatures | None:
    """Window features of one sample of dataset ``source``, of its copies rotated by ``rotations`` (degrees)
    and, when its poses have depth (:func:`repvision.features.can_turn`), of its copies seen from cameras
    turned by ``turns`` (degrees; ``()`` for both for clips only ever predicted, such as a test split); its
    cross-validation group is ``group`` or :func:`group_key`. None when no frame of the sample has a person."""
    try:
        X, Xm = window_features_and_mirror(*sequence_windows_ori(s.pose))
    except TooFewDetectionsError:
        return None
    copies = [rotate_sequence(s.pose, a) for a in rotations]
    if can_turn(s.pose):
        copies += [turn_sequence(s.pose, a) for a in turns]
    augmented = tuple(window_features_and_mirror(*sequence_windows_ori(c)) for c in copies)
    return ClipFeatures(s.name, s.label, group or group_key(source, s.group_id), source, X, Xm, augmented)


def predicted_clip_features(s: Sample, source: str) -> ClipFeatures | None:
    """:func:`clip_features` of a clip that is only ever predicted, never trained on (an official test split):
    no augmented copies."""
    return clip_features(s, source, rotations=(), turns=())


def shared_video_groups(sources: dict[str, list[Sample]]) -> dict[tuple[str, str], str]:
    """Cross-validation groups of sources that hold the same recording twice.

    Two RepCount-A test videos (test2021, test2315) are also in ``videos/`` (manifest rows with source
    ``repcount_a``): the same frames, once as RepCount-A's own box-normalised poses and once as our MediaPipe
    poses. Their group ids differ between the two manifests (``rc_test2315`` / ``g_rc_test2315``), so a grouped
    split could hold out one copy and train on the other. Returns ``{(source, group_id): group}`` sending every
    RepCount-A group that holds such a video (with all its other clips, e.g. test2320 in ``rc_test2315``) to the
    group of the ``videos/`` clip (:func:`group_key`); an empty dict when either source is absent.
    """
    videos = sources.get("videos") or []
    repcount = {s.name: s.group_id for s in sources.get("repcount_a") or []}
    out: dict[tuple[str, str], str] = {}
    for v in videos:
        if str(v.meta.get("source", "")).strip() != "repcount_a":
            continue
        rc_group = repcount.get(Path(str(v.name)).stem)
        if rc_group is not None:
            out[("repcount_a", rc_group)] = group_key("videos", v.group_id)
    return out


def _training_matrix(clips: list[ClipFeatures], class_weight_power: float = CLASS_WEIGHT_POWER
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack at most MAX_TRAIN_WINDOWS windows per clip (+ mirrors), the clips first, then their rotated copies
    (:attr:`ClipFeatures.augmented`, each weighing as a clip); each clip's weights sum to (clips of its class) **
    -class_weight_power (1 with the default 0); the orientation and motion features of CUE_DROPOUT of the
    windows are blanked (seeded)."""
    xs, ys, ws = [], [], []
    n_class = Counter(c.label for c in clips)
    units = [(c.label, c.X, c.Xm) for c in clips] + [(c.label, X, Xm) for c in clips for X, Xm in c.augmented]
    for label, cX, cXm in units:
        k = len(cX)
        idx = np.unique(np.round(np.linspace(0, k - 1, min(k, MAX_TRAIN_WINDOWS))).astype(int))
        x = np.concatenate([cX[idx], cXm[idx]])
        xs.append(x)
        ys += [label] * len(x)
        ws.append(np.full(len(x), n_class[label] ** -class_weight_power / len(x)))
    w = np.concatenate(ws)
    X = np.concatenate(xs)
    drop = np.random.default_rng(SEED).random(len(X)) < CUE_DROPOUT
    X[drop, N_BOX_FEATURES:] = np.nan
    return X, np.asarray(ys), w / w.mean()


def fit_clips(clips: list[ClipFeatures], seed: int = SEED, unknown_threshold: float = 0.5,
              params: dict[str, Any] | None = None, class_weight_power: float = CLASS_WEIGHT_POWER
              ) -> ExerciseClassifier:
    """The shipped recipe: :func:`_training_matrix` of ``clips`` (class weights: :data:`CLASS_WEIGHT_POWER`) and
    an :class:`ExerciseClassifier` with :data:`MODEL_PARAMS` (updated by ``params``) fitted on it (needs
    scikit-learn)."""
    X, y, w = _training_matrix(clips, class_weight_power)
    clf = ExerciseClassifier(**{**MODEL_PARAMS, **(params or {})}, random_state=seed % (2 ** 31),
                             unknown_threshold=unknown_threshold)
    return clf.fit(X, y, sample_weight=w)


def _answer(classes: np.ndarray, p: np.ndarray, thr: float, exercises: frozenset[str] = EXERCISES) -> str:
    """The answer to one clip's probabilities ``p`` ``(C,)`` (:func:`repvision.classify.open_set_answers`)."""
    i = int(open_set_answers(p, classes, exercises, thr)[0])
    return UNKNOWN if i < 0 else str(classes[i])


def choose_unknown_threshold(labels: list[str], probs: np.ndarray, classes: np.ndarray,
                             exercises: frozenset[str] = EXERCISES) -> tuple[float, dict]:
    """Unknown threshold on a 0.05 grid from 0.20 to 0.95 maximising the score (#correct - WRONG_PENALTY *
    #wrong, "unknown" correct for non-exercise clips) averaged with its two neighbours on the grid (one at the
    ends): the score curve is flat near its top, and a lone spike is more likely out-of-fold luck than a
    better threshold.

    ``labels``: the N clips' true labels; ``probs``: ``(N, C)`` out-of-fold clip probabilities whose columns
    follow ``classes`` ``(C,)``; ``exercises``: the labels that are exercises (the model's answers; any other
    label is a non-exercise clip). Returns ``(threshold, {threshold: raw score})``."""
    grid = np.round(np.arange(0.20, 0.951, 0.05), 2)
    raw = []
    for thr in grid:
        ans = [_answer(classes, p, thr, exercises) for p in probs]
        correct = sum(a == y or (a == UNKNOWN and y not in exercises) for a, y in zip(ans, labels))
        wrong = sum(a != UNKNOWN and a != y for a, y in zip(ans, labels))
        raw.append(correct - WRONG_PENALTY * wrong)
    return _smoothed_pick(grid, np.asarray(raw)), {float(t): float(v) for t, v in zip(grid, raw)}


def _smoothed_pick(grid: np.ndarray, raw: np.ndarray) -> float:
    """The grid value whose score, averaged with its two neighbours (one at the ends), is highest (lowest
    such value on ties)."""
    raw = np.asarray(raw, dtype=np.float64)
    smooth = np.array([raw[max(0, i - 1): i + 2].mean() for i in range(len(raw))])
    return float(grid[int(np.flatnonzero(smooth >= smooth.max() - 1e-9)[0])])


def _rate(x: list[bool]) -> float | None:
    return round(float(np.mean(x)), 4) if x else None


def figures_at_threshold(labels: list[str], probs: np.ndarray, classes: np.ndarray, thr: float,
                         restrict: tuple[str, ...] | None = None,
                         exercises: frozenset[str] = EXERCISES) -> dict[str, Any]:
    """Figures of ``(N, C)`` clip probabilities ``probs`` (columns follow ``classes``) against the N true
    ``labels`` at unknown threshold ``thr``: top-1 (argmax over all classes) on the clips of an exercise of
    the vocabulary (only those in ``restrict`` when given), accuracy with the unknown rule, the shares of
    those clips called "unknown" or another exercise, and the share of non-exercise clips called "unknown".
    Rates are None where there are no clips. ``exercises``: the labels that are exercises (as in
    :func:`choose_unknown_threshold`)."""
    top1 = [str(classes[int(np.argmax(p))]) for p in probs]
    ans = [_answer(classes, p, thr, exercises) for p in probs]
    pos = [i for i, y in enumerate(labels) if y in exercises and (restrict is None or y in restrict)]
    neg = [i for i, y in enumerate(labels) if y not in exercises]
    return {
        "n_exercise_clips": len(pos),
        "top1": _rate([top1[i] == labels[i] for i in pos]),
        "accuracy_with_unknown": _rate([ans[i] == labels[i] for i in pos]),
        "unknown_rate_exercise": _rate([ans[i] == UNKNOWN for i in pos]),
        "wrong_label_rate_exercise": _rate([ans[i] not in (UNKNOWN, labels[i]) for i in pos]),
        "n_negative_clips": len(neg),
        "unknown_rate_negatives": _rate([ans[i] == UNKNOWN for i in neg]),
    }


def training_sources(data_dir: str | Path, console: Any = None, extract_video_poses: bool = True,
                     videos: list[Sample] | None = None) -> tuple[dict[str, list[Sample]], list[Sample]]:
    """The samples the shipped classifier is trained and tested on.

    Parameters
    ----------
    data_dir:
        The exercise data folder (``penn_action/``, ``repcount_a/``, ``pose_trainer/``, ``videos/``).
    console:
        A ``rich.console.Console`` for progress (a new one if None).
    extract_video_poses:
        Run MediaPipe on the ``videos/manifest.csv`` main rows (cached); False leaves the videos out.
    videos:
        Those rows already loaded (:func:`repvision.datasets.videos.load_videos`), used instead of loading them
        again (a caller that has them saves hashing and reading every video's cached poses once more).

    Returns
    -------
    ``(sources, penn_test)``: ``{dataset name: samples}`` of the training sources (Penn Action train split,
    RepCount-A, Pose Trainer, videos) and the Penn Action official test samples.

    Raises
    ------
    ManifestError
        A dataset folder is missing or malformed.
    """
    from rich.console import Console

    from repvision.datasets.penn_action import load_penn_action
    from repvision.datasets.pose_trainer import load_pose_trainer
    from repvision.datasets.repcount import repcount_samples
    from repvision.datasets.videos import load_videos

    console = console or Console()
    d = Path(data_dir)
    if not d.is_dir():
        raise ManifestError(f"the exercise data folder {d}", "no such folder", "Pass --data pointing at shared/data.")
    console.print("[bold]Loading datasets[/]")
    penn = load_penn_action(d / "penn_action")
    sources: dict[str, list[Sample]] = {
        "penn_action": [s for s in penn if s.meta["split"] == "train"],
        "repcount_a": repcount_samples(d / "repcount_a"),
        "pose_trainer": load_pose_trainer(d / "pose_trainer"),
    }
    if videos is not None:
        sources["videos"] = list(videos)
    elif extract_video_poses:
        sources["videos"] = with_pose_status(console, lambda progress: load_videos(
            d / "videos" / "manifest.csv", progress=progress))
    return sources, [s for s in penn if s.meta["split"] == "test"]


def with_pose_status(console: Any, load: Callable[[Callable[[int, int, str], None]], list[Sample]]
                     ) -> list[Sample]:
    """``load(progress)`` -- a video loader taking a ``progress(i, n, path)`` callback -- with a status line on
    ``console`` naming the video whose poses are being estimated."""
    from rich.markup import escape

    with console.status("Extracting video poses (cached after the first run)") as st:
        return load(lambda i, n, p: st.update(escape(f"Video poses {i + 1}/{n}: {Path(p).name}")))


def print_left_out(console: Any, skipped: list[tuple[str, str]]) -> None:
    """One line per video a loader left out (``skipped`` of :func:`repvision.datasets.videos.load_videos`)."""
    for path, why in skipped:
        console.print(f"left out {path}: {why}", markup=False)


def pool_from_sources(sources: dict[str, list[Sample]], penn_test: list[Sample],
                      rotations: tuple[float, ...] = ROTATIONS_DEG, turns: tuple[float, ...] = TURNS_DEG
                      ) -> tuple[list[ClipFeatures], list[ClipFeatures], dict[str, int], dict[str, int]]:
    """Window features of the samples of :func:`training_sources`: ``(clips, penn_test, n_clips, dropped)`` as
    :func:`training_pool` returns them; ``rotations``: angles (degrees) of the rotated copies of every training
    clip (:data:`ROTATIONS_DEG`; ``()``: none; the test clips never get any); ``turns``: those of the copies
    seen from turned cameras of the clips with depth (:data:`TURNS_DEG`; ``()``: none)."""
    clips: list[ClipFeatures] = []
    dropped: dict[str, int] = {}
    linked = shared_video_groups(sources)
    for src, samples in sources.items():
        for s in samples:
            c = clip_features(s, src, linked.get((src, s.group_id)), rotations, turns)
            if c is None:
                dropped[src] = dropped.get(src, 0) + 1
            else:
                clips.append(c)
    test: list[ClipFeatures] = []
    for s in penn_test:
        c = predicted_clip_features(s, "penn_test")
        if c is None:   # kept without windows: penn_test_figures counts it as a wrong answer
            dropped["penn_test"] = dropped.get("penn_test", 0) + 1
            none = np.empty((0, len(feature_names())))
            c = ClipFeatures(s.name, s.label, group_key("penn_test", s.group_id), "penn_test", none, none)
        test.append(c)
    n_clips = {src: sum(c.source == src for c in clips) for src in sources}
    return clips, test, n_clips, dropped


def training_pool(data_dir: str | Path, console: Any = None, extract_video_poses: bool = True,
                  videos: list[Sample] | None = None, rotations: tuple[float, ...] = ROTATIONS_DEG,
                  turns: tuple[float, ...] = TURNS_DEG
                  ) -> tuple[list[ClipFeatures], list[ClipFeatures], dict[str, int], dict[str, int]]:
    """Window features of every training clip and of the Penn Action official test clips:
    :func:`pool_from_sources` of :func:`training_sources` (parameters as there).

    Returns
    -------
    ``(clips, penn_test, n_clips, dropped)``: training clips (Penn Action train split, RepCount-A, Pose
    Trainer, videos), Penn Action test clips, clips per source, and clips per source dropped for having no
    frame with a person. A test clip without a person is not dropped but kept without windows (``X`` of shape
    ``(0, F)``), so that :func:`penn_test_figures` counts it as a wrong answer; ``dropped["penn_test"]`` says how
    many.

    Raises
    ------
    ManifestError
        A dataset folder is missing or malformed.
    """
    return pool_from_sources(*training_sources(data_dir, console, extract_video_poses, videos), rotations, turns)


def cv_folds(clips: list[ClipFeatures], seed: int = SEED, n_folds: int = N_FOLDS
             ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of :func:`cross_validated_proba`: ``n_folds`` ``(train indices, test indices)`` pairs of
    scikit-learn's ``StratifiedGroupKFold`` (shuffled with ``seed``), stratified by label and grouped by
    ``ClipFeatures.group``, so that other models can be compared with the shipped recipe on the same splits."""
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    labels = np.array([c.label for c in clips])
    groups = np.array([c.group for c in clips])
    cv = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed % (2 ** 31))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes with fewer clips or groups than folds
        return list(cv.split(np.zeros(len(clips)), labels, groups))


def cross_validated_proba(clips: list[ClipFeatures], seed: int = SEED, n_folds: int = N_FOLDS,
                          console: Any = None, params: dict[str, Any] | None = None,
                          class_weight_power: float = CLASS_WEIGHT_POWER) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold clip probabilities of the shipped recipe (:func:`fit_clips`, ``params`` overriding
    :data:`MODEL_PARAMS`, ``class_weight_power`` as there) under stratified k-fold cross-validation grouped by
    ``ClipFeatures.group`` (never split by frame or window); the folds depend on ``seed`` only, not on the model
    settings.

    Returns ``(proba (N, C), classes (C,))``; the columns follow ``classes``, all labels of ``clips`` sorted."""
    from rich.console import Console

    console = console or Console()
    t0 = time.perf_counter()
    all_classes = np.unique([c.label for c in clips])
    oof = np.zeros((len(clips), len(all_classes)))
    for k, (tr, te) in enumerate(cv_folds(clips, seed, n_folds)):
        with console.status(f"Cross-validation fold {k + 1}/{n_folds}"):
            clf = fit_clips([clips[i] for i in tr], seed, params=params, class_weight_power=class_weight_power)
            cols = np.searchsorted(all_classes, clf.classes_)
            for i in te:
                oof[i, cols] = clf.windows_proba(clips[i].X, clips[i].Xm)
        console.print(f"fold {k + 1}/{n_folds} done ({time.perf_counter() - t0:.0f} s)")
    return oof, all_classes


def penn_test_figures(clf: ExerciseClassifier, penn_test: list[ClipFeatures], thr: float) -> dict[str, Any]:
    """Top-1 of ``clf`` on the Penn Action official test clips over the 8 exercise classes and over all 15,
    plus the unknown-rule figures of :func:`figures_at_threshold` at threshold ``thr``. A clip without windows
    (no frame with a person, :func:`pool_from_sources`) counts as a wrong answer ("unknown" under the unknown
    rule); ``n_without_person`` says how many."""
    has = [len(c.X) > 0 for c in penn_test]
    tp = np.stack([clf.windows_proba(c.X, c.Xm) if ok else np.zeros(len(clf.classes_))
                   for c, ok in zip(penn_test, has)])
    tl = [c.label for c in penn_test]
    top1 = [str(clf.classes_[int(np.argmax(p))]) if ok else UNKNOWN for p, ok in zip(tp, has)]
    return {
        "top1_8_exercise_classes": _rate([a == b for a, b in zip(top1, tl) if b in PENN_EXERCISES]),
        "top1_15_classes": _rate([a == b for a, b in zip(top1, tl)]),
        **{k: v for k, v in figures_at_threshold(tl, tp, clf.classes_, thr).items() if k != "top1"},
        "n_clips": len(tl), "n_without_person": int(len(has) - sum(has)),
    }


#: Labels of one's own videos that are not exercises: clips filed under these names (``root/other/*.mp4``)
#: teach a model trained by :func:`train_default_classifier` to answer "unknown" (the part that ``other`` and
#: Penn Action's sports play for the shipped model).
NON_EXERCISE_LABELS: frozenset[str] = frozenset({"other", "unknown", "background", "none"})
#: Sub-folders or files that mark the exercise data layout (``shared/data``) rather than one's own videos.
_DATA_LAYOUT = ("penn_action", "repcount_a", "pose_trainer", "videos/manifest.csv")


def own_videos(data: str | Path) -> Path | None:
    """``data`` when it holds one's own labelled videos rather than the exercise data layout: a manifest CSV
    file, or a folder without ``penn_action/``, ``repcount_a/``, ``pose_trainer/`` and ``videos/manifest.csv``
    (a ``root/<exercise>/*.mp4`` folder, or one with its own ``manifest.csv``; read by
    :func:`repvision.datasets.videos.load_videos`). None for the exercise data layout (or a missing path)."""
    d = Path(data)
    if d.is_file():
        return d
    if d.is_dir() and not any((d / rel).exists() for rel in _DATA_LAYOUT):
        return d
    return None


def load_own_videos(source: Path, progress: Any = None,
                    skipped: list[tuple[str, str]] | None = None) -> list[Sample]:
    """:func:`repvision.datasets.videos.load_videos` of one's own videos (:func:`own_videos`); when ``source``
    holds no labelled video at all, the :class:`ManifestError` also names the exercise data layout, since the
    folder may have been meant as that."""
    from repvision.datasets.videos import NoVideosError, load_videos

    try:
        return load_videos(source, progress=progress, skipped=skipped)
    except NoVideosError as exc:
        raise ManifestError(
            f"your own videos in {source} (root/<exercise>/*.mp4 or a manifest CSV), or the exercise data layout "
            "(penn_action/, repcount_a/, pose_trainer/, videos/manifest.csv)", exc.found,
            "Pass the folder that holds one sub-folder of clips per exercise, or the shared data folder itself "
            "(e.g. ../shared/data).") from None


def _check_own_videos(source: Path, clips: list[ClipFeatures], exercises: frozenset[str]) -> None:
    """Raise :class:`ManifestError` unless one's own videos can train and cross-validate a classifier."""
    labels = sorted({c.label for c in clips})
    if len(exercises) < 2:
        raise ManifestError(
            f"videos of at least two exercises in {source} (root/<exercise>/*.mp4, a folder per exercise)",
            f"{len(clips)} usable clips labelled {', '.join(labels) or '(none)'}",
            "Add a folder of clips for each exercise the model should tell apart.")
    if len({c.group for c in clips}) < 2:
        raise ManifestError(f"at least two video groups in {source} for the cross-validation",
                            "one group", "Add videos, or give them different group_id values in the manifest.")


def cv_table(cv_fig: dict[str, dict[str, Any]], n_folds: int, thr: float) -> Any:
    """A ``rich.table.Table`` of the cross-validated figures per source (``cv`` of the training figures) at
    unknown threshold ``thr``; it fits 80 columns (a log file, a narrow terminal) without cutting a word."""
    from rich.table import Table

    tab = Table(title=f"Grouped {n_folds}-fold cross-validation (out-of-fold clips), unknown threshold {thr:.2f}",
                caption="ex. = exercise clips, neg. = clips of other activities, unk. = answered unknown")
    for col in ("source", "ex. clips", "top-1", "acc. (unk.)", "unk. (ex.)", "wrong (ex.)", "neg. clips",
                "unk. (neg.)"):
        tab.add_column(col, no_wrap=col == "source")
    for src, f in cv_fig.items():
        tab.add_row(src, str(f["n_exercise_clips"]), str(f["top1"]), str(f["accuracy_with_unknown"]),
                    str(f["unknown_rate_exercise"]), str(f["wrong_label_rate_exercise"]),
                    str(f["n_negative_clips"]), str(f["unknown_rate_negatives"]))
    return tab


def train_default_classifier(data_dir: str | Path, out_path: str | Path, console: Any = None,
                             extract_video_poses: bool = True, class_weight_power: float = CLASS_WEIGHT_POWER,
                             rotations: tuple[float, ...] = ROTATIONS_DEG,
                             turns: tuple[float, ...] = TURNS_DEG) -> dict[str, Any]:
    """Build the training set, cross-validate, train the shipped classifier and write it to ``out_path``.

    Parameters
    ----------
    data_dir:
        The exercise data folder (``penn_action/``, ``repcount_a/``, ``pose_trainer/``, ``videos/``): the
        shipped model's recipe. Or one's own videos (:func:`own_videos`): a ``root/<exercise>/*.mp4`` folder
        or a manifest CSV; the model then learns those labels (any name; clips under
        :data:`NON_EXERCISE_LABELS` teach it to answer "unknown") with the same recipe, cross-validated with
        each video its own group (manifest: by ``group_id``), and answers with them
        (``ExerciseClassifier.exercise_classes``). Use it with ``repvision analyze VIDEO --classifier FILE``.
    out_path:
        Where to write the ``.npz`` model (see :meth:`ExerciseClassifier.save`).
    console:
        A ``rich.console.Console`` for progress and result tables (a new one if None).
    extract_video_poses:
        Run MediaPipe on the ``videos/manifest.csv`` main rows (cached); False skips the videos.
    class_weight_power:
        Class weights of the training windows (:data:`CLASS_WEIGHT_POWER`), in the cross-validation and the
        final model alike.
    rotations:
        Angles (degrees) of the rotated training copies of every clip (:data:`ROTATIONS_DEG`; ``()``: none),
        in the cross-validation and the final model alike.
    turns:
        Angles (degrees) of the training copies seen from turned cameras of every clip with depth
        (:data:`TURNS_DEG`; ``()``: none), likewise.

    Returns
    -------
    dict of figures (JSON-serialisable): ``penn_test`` (8-class and 15-class top-1, unknown rates),
    ``cv`` per source (top-1 on in-vocabulary clips, accuracy with the unknown rule, unknown rates),
    ``cv_wrong_non_penn`` (out-of-fold top-1 errors outside Penn Action), ``threshold``, ``n_clips`` per
    source, ``seconds``. ``penn_test`` is None when training on one's own videos.

    Raises
    ------
    ManifestError
        A dataset folder is missing or malformed; one's own videos hold fewer than two exercise labels or
        fewer than two groups.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t0 = time.perf_counter()
    own = own_videos(data_dir)
    if own is None:
        clips, penn_test, n_clips, dropped = training_pool(data_dir, console, extract_video_poses,
                                                           rotations=rotations, turns=turns)
        exercises, answers = EXERCISES, None
    else:
        unreadable: list[tuple[str, str]] = []
        videos = with_pose_status(console, lambda progress: load_own_videos(own, progress, unreadable))
        print_left_out(console, unreadable)
        clips, penn_test, n_clips, dropped = pool_from_sources({"videos": videos}, [], rotations, turns)
        exercises = frozenset(c.label for c in clips) - NON_EXERCISE_LABELS
        answers = tuple(sorted(exercises))
        _check_own_videos(own, clips, exercises)
    sources = list(n_clips)
    console.print(f"clips: {n_clips}; without any person (dropped): {dropped or 'none'}; "
                  f"Penn test clips: {len(penn_test)}")

    # ---- grouped cross-validation over the training pool (out-of-fold clip probabilities)
    labels = np.array([c.label for c in clips])
    # fewer folds where there are fewer groups, or fewer clips in the largest class (scikit-learn's limit)
    n_folds = min(N_FOLDS, len({c.group for c in clips}), max(Counter(c.label for c in clips).values()))
    oof, all_classes = cross_validated_proba(clips, SEED, n_folds, console, class_weight_power=class_weight_power)
    thr, thr_table = choose_unknown_threshold(list(labels), oof, all_classes, exercises)

    # ---- final model on the whole pool, evaluated on the Penn Action official test split
    with console.status("Training the final model"):
        final = fit_clips(clips, SEED, unknown_threshold=thr, class_weight_power=class_weight_power,
                          params=None if answers is None else {"exercise_classes": answers})
    penn_fig = penn_test_figures(final, penn_test, thr) if penn_test else None
    cv_fig = {}
    for src in sources + ["all"]:
        idx = [i for i, c in enumerate(clips) if src == "all" or c.source == src]
        cv_fig[src] = figures_at_threshold([clips[i].label for i in idx], oof[idx], all_classes, thr,
                                           exercises=exercises)
    per_class = {}
    for lab in all_classes:
        idx = [i for i, c in enumerate(clips) if c.label == lab and c.source != "penn_action"]
        if idx:
            per_class[str(lab)] = {"n": len(idx), "top1": _rate(
                [all_classes[int(np.argmax(oof[i]))] == lab for i in idx])}
    wrong = [{"clip": c.name, "source": c.source, "label": c.label,
              "predicted": str(all_classes[int(np.argmax(oof[i]))]), "p": round(float(oof[i].max()), 3)}
             for i, c in enumerate(clips) if c.source != "penn_action" and c.label in exercises
             and all_classes[int(np.argmax(oof[i]))] != c.label]
    figures: dict[str, Any] = {
        "penn_test": penn_fig, "cv": cv_fig, "cv_per_class_non_penn": per_class, "cv_wrong_non_penn": wrong,
        "threshold": thr, "threshold_scores": thr_table, "n_clips": n_clips, "n_folds": n_folds, "seed": SEED,
        "class_weight_power": class_weight_power, "rotations_deg": [float(a) for a in rotations],
        "turns_deg": [float(a) for a in turns],
        "classes": [str(c) for c in final.classes_],
    }
    final.metadata_ = {"figures": figures, "trained_on": sorted(sources), "model_params": {
        k: list(v) if isinstance(v, tuple) else v for k, v in MODEL_PARAMS.items()}}
    if own is not None:
        final.metadata_["own_videos"] = str(own)
        figures["unreadable_videos"] = [{"path": p, "error": why} for p, why in unreadable]
    out_path = Path(out_path)
    final.save(out_path)
    figures["model_bytes"] = out_path.stat().st_size
    figures["seconds"] = round(time.perf_counter() - t0, 1)

    if penn_fig is not None:
        tab = Table(title="Penn Action official test split (trained on the train split + other sources)")
        for col in ("figure", "value"):
            tab.add_column(col)
        for k, v in penn_fig.items():
            tab.add_row(k, str(v))
        console.print(tab)
    console.print(cv_table(cv_fig, n_folds, thr))
    tab = Table(title="Cross-validated top-1 per class (non-Penn clips)")
    tab.add_column("class")
    tab.add_column("clips")
    tab.add_column("top-1")
    for lab, f in per_class.items():
        tab.add_row(lab, str(f["n"]), str(f["top1"]))
    console.print(tab)
    console.print(f"model written to {out_path} ({figures['model_bytes']} bytes) in {figures['seconds']} s; "
                  f"use it with: repvision analyze VIDEO --classifier {out_path}", markup=False)
    return figures


def _angles(text: str) -> tuple[float, ...]:
    """``"-45,45"`` -> ``(-45.0, 45.0)`` (argparse type of ``--turns``; ``""`` -> none)."""
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected angles in degrees separated by commas, e.g. -45,45; got {text!r}")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m repvision.training --data DIR --out FILE [--no-videos] [--json FILE]
    [--class-weight-power P] [--no-rotations] [--turns=DEG,DEG]``."""
    import json

    ap = argparse.ArgumentParser(description="Train the default repvision exercise classifier.")
    ap.add_argument("--data", required=True, help="exercise data folder (layout of shared/data), or your own videos "
                    "(a root/<exercise>/*.mp4 folder or a manifest CSV)")
    ap.add_argument("--out", default="src/repvision/models/exercise_classifier.npz", help="model file to write")
    ap.add_argument("--no-videos", action="store_true", help="skip pose extraction from videos/manifest.csv")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--class-weight-power", type=float, default=CLASS_WEIGHT_POWER,
                    help="class weights: each clip weighs (clips of its class) ** -P; 0 = none (the shipped recipe), "
                         "1 = every class the same in total")
    ap.add_argument("--no-rotations", action="store_true",
                    help="train without the rotated copies of the clips (ROTATIONS_DEG); about half the time")
    ap.add_argument("--turns", type=_angles, default=TURNS_DEG, metavar="DEG,DEG",
                    help="also train on copies of the clips with depth (MediaPipe poses of videos) seen from a "
                         "camera moved by these angles around the person, e.g. --turns=-45,45 (not in the shipped "
                         "recipe: it did not help)")
    a = ap.parse_args(argv)
    if a.class_weight_power < 0:
        ap.error(f"--class-weight-power must be >= 0 (0 = no class weights), got {a.class_weight_power}")
    figures = train_default_classifier(a.data, a.out, extract_video_poses=not a.no_videos,
                                       class_weight_power=a.class_weight_power,
                                       rotations=() if a.no_rotations else ROTATIONS_DEG,
                                       turns=a.turns)
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
