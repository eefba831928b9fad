"""``analyze``: video -> pose -> exercise / repetitions / form / muscles -> :class:`repvision.types.Analysis`."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from repvision.config import AnalyzeConfig
from repvision.errors import ClipTooShortError, NoPersonError, TooFewDetectionsError
from repvision.muscles import activation_from_prediction, muscles_for
from repvision.pose import estimate_video, several_people
from repvision.types import (Analysis, ExercisePart, ExercisePrediction, ExerciseSegment, ExerciseSet, PoseSequence,
                             RepetitionCount, VideoInfo)

if TYPE_CHECKING:
    from repvision.form import FormReport

ProgressCallback = Callable[[str, int, int], None]

#: The stages :func:`analyze` reports to its ``progress`` callback, in words for a person (the CLI's progress bar
#: and the web UI's page show them).
PROGRESS_STAGES: dict[str, str] = {"pose": "finding the body in each frame",
                                   "pose_people": "finding each person in each frame"}


def analyze(path: str | os.PathLike, config: AnalyzeConfig | dict | None = None, *,
            progress: ProgressCallback | None = None, **overrides: Any) -> Analysis:
    """Analyse a workout video: exercise, repetitions, per-repetition form, muscle groups and their activation.

    Parameters
    ----------
    path:
        Video file (mp4, mov, avi, webm, mkv).
    config:
        :class:`AnalyzeConfig`, a mapping of its keys, or None for the defaults.
    progress:
        Called as ``progress(stage, done, total)`` while frames are processed (stage ``"pose"``, then
        ``"pose_people"`` for the second pose pass when several people are in view and the exerciser is followed;
        :data:`PROGRESS_STAGES` says them in words).
    **overrides:
        Individual settings, e.g. ``pose_model="full"``, ``stride=2``.

    Returns
    -------
    :class:`Analysis` (``.exercise.label``, ``.exercise.confidence``, ``.repetitions.count``, ...). Problems
    that do not stop the analysis are listed in ``.warnings``: a damaged file, a person in few frames, several
    exercises, several people in view (checked on one frame every 2 s, :func:`repvision.pose.several_people`).

    Raises
    ------
    VideoNotFoundError, NotAVideoError, UnsupportedCodecError, NoDecodableFramesError
        Bad video file.
    ClipTooShortError
        Shorter than ``config.min_duration_s`` (the part between ``start_s`` and ``end_s`` when given).
    NoPersonError
        No person in any frame.
    TooFewDetectionsError
        A person in too few frames (see ``min_person_fraction`` and ``min_person_frames``).
    ConfigError
        Unknown or invalid settings.
    ManifestError
        ``config.classifier`` names a missing or unreadable classifier file (raised before pose estimation).
    ConfigError
        Also for a malformed rule file in ``config.form_rules`` (raised before pose estimation).
    """
    if config is None:
        cfg = AnalyzeConfig()
    elif isinstance(config, dict):
        cfg = AnalyzeConfig.from_dict(config)
    else:
        cfg = config
    if overrides:
        cfg = cfg.replace(**overrides)

    check_files(cfg)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cb = None if progress is None else (lambda done, total: progress("pose", done, total))
    cb_people = None if progress is None else (lambda done, total: progress("pose_people", done, total))
    info, pose, stats = estimate_video(path, cfg.pose_model, max_size=cfg.max_size, stride=cfg.stride,
                                       cache=cfg.cache, progress=cb, workers=cfg.pose_workers,
                                       follow_exerciser=cfg.follow_exerciser, follow_progress=cb_people)
    timings["pose_s"] = time.perf_counter() - t0
    timings["pose_cached"] = float(stats["cached"])
    warnings: list[str] = []
    if stats.get("decode_error"):
        warnings.append(f"The video is damaged: {stats['decode_error']}. Frames that could not be decoded were "
                        "left out of the analysis.")
    crowd = several_people(stats.get("people"), followed=stats.get("followed"))
    if crowd:
        warnings.append(crowd)
    if cfg.start_s is not None or cfg.end_s is not None:
        pose = time_range(pose, cfg.start_s, cfg.end_s, cfg.min_duration_s)

    return analyze_poses(pose, info, cfg, timings=timings, warnings=warnings, t_start=t0)


def check_files(config: AnalyzeConfig) -> None:
    """Read the files ``config`` names -- its classifier and its own rule files -- so that a missing or
    malformed one fails before any pose estimation (once for a whole batch or live session), not after it.

    Raises
    ------
    ManifestError
        The classifier file is missing or unreadable.
    ConfigError
        A rule file in ``config.form_rules`` is malformed.
    """
    if config.classifier is not None:
        from repvision.classify import load_classifier

        load_classifier(config.classifier)
    if config.form_rules is not None:
        from repvision.form import available_exercises, load_rules

        for name in available_exercises(config.form_rules):
            load_rules(name, config.form_rules)


def time_range(pose: PoseSequence, start_s: float | None, end_s: float | None,
               min_duration_s: float = 0.0) -> PoseSequence:
    """The frames of ``pose`` with ``start_s <= timestamp <= end_s`` (seconds; None: no bound), timestamps
    unchanged (those of the whole video).

    Raises
    ------
    ClipTooShortError
        The range holds fewer than 2 frames, or lasts less than ``min_duration_s`` (the message gives the
        video's length).
    """
    t = pose.timestamps
    frame_s = 1.0 / pose.fps if pose.fps else 0.0
    keep = np.ones(len(pose), bool)
    if start_s is not None:
        keep &= t >= start_s - 1e-9
    if end_s is not None:
        keep &= t <= end_s + 1e-9
    idx = np.flatnonzero(keep)
    lo = 0.0 if start_s is None else start_s
    hi = f"{end_s:g} s" if end_s is not None else "the end"
    length = f"{t[-1] + frame_s:.2f} s" if len(t) else "0 s"
    if idx.size < 2 or t[idx[-1]] - t[idx[0]] + frame_s < min_duration_s:
        raise ClipTooShortError(
            f"at least {max(min_duration_s, 0):g} s of video between {lo:g} s and {hi}",
            f"{idx.size} frames there (the video lasts {length})",
            "Check --start/--end (seconds from the start of the video).")
    return pose.slice(int(idx[0]), int(idx[-1]) + 1)


def analyze_poses(pose: PoseSequence, info: VideoInfo, config: AnalyzeConfig | None = None, *,
                  timings: dict[str, float] | None = None, warnings: list[str] | None = None,
                  t_start: float | None = None) -> Analysis:
    """The analysis stages after pose estimation: checks, exercise, exercise segments, repetitions, form,
    muscles.

    Segments come from :func:`repvision.classify.segment_exercises` (default settings, the configured unknown
    threshold); when segments of more than one exercise are found a warning says so, and each of those
    segments is counted and judged on its own (``Analysis.parts``, :class:`repvision.types.ExercisePart`, summed up in
    ``Analysis.workout``), while the exercise, repetitions and form still describe the whole clip.

    Form is judged with :func:`repvision.form.assess_form` for the chosen exercise; an exercise without a rule
    file, or one that was not recognised, gives a :class:`~repvision.form.FormReport` with ``mode == "none"``
    and a message saying why (never an error).

    Parameters
    ----------
    pose:
        BlazePose-33 :class:`PoseSequence` (``keypoints`` ``(T, 33, 4)``, NaN where no person).
    info:
        Metadata of the video the poses come from.

    Raises
    ------
    ClipTooShortError, NoPersonError, TooFewDetectionsError
        As :func:`analyze`.
    """
    cfg = config or AnalyzeConfig()
    timings = {} if timings is None else timings
    warnings = [] if warnings is None else warnings
    t0 = time.perf_counter() if t_start is None else t_start
    duration = pose.duration_s + (1.0 / pose.fps if pose.fps else 0.0)
    if duration < cfg.min_duration_s or len(pose) < 2:
        raise ClipTooShortError(
            f"a clip of at least {cfg.min_duration_s:g} s", f"{duration:.2f} s ({len(pose)} frames)",
            "Record the whole set, from the starting position to the last repetition.",
        )
    present = pose.present
    n_person = int(present.sum())
    if n_person == 0:
        raise NoPersonError(
            "a person in view", f"no person in any of the {len(pose)} analysed frames",
            "Make sure the whole body is in the picture, well lit, and not too small; "
            "try --pose-model full for small or distant people.",
        )
    frac = n_person / len(pose)
    if n_person < cfg.min_person_frames or frac < cfg.min_person_fraction:
        raise TooFewDetectionsError(
            f"a person in at least {cfg.min_person_fraction:.0%} of the frames (and {cfg.min_person_frames} frames)",
            f"a person in {n_person} of {len(pose)} frames ({frac:.0%})",
            "Keep the whole body in the picture for the whole set, or analyse only the exercise (--start/--end); "
            "try --pose-model full.",
        )
    if frac < 0.6:
        warnings.append(f"A person was found in only {frac:.0%} of the frames; results may be unreliable.")

    t1 = time.perf_counter()
    from repvision.classify import load_classifier, segment_exercises

    clf = load_classifier(cfg.classifier)
    if cfg.exercise is not None:
        exercise = ExercisePrediction(cfg.exercise, 1.0, ((cfg.exercise, 1.0),), 0.0)
    else:
        exercise = clf.predict_sequence(pose, top_k=3, threshold=cfg.unknown_threshold)
    timings["classify_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    segments = segment_exercises(pose, clf, threshold=cfg.unknown_threshold)
    timings["segments_s"] = time.perf_counter() - t1
    known = [s for s in segments if not s.is_unknown]
    # one exercise found twice, with a stretch of no exercise between (a rest), is one exercise: its sets
    # are told apart by split_sets
    if len({s.label for s in known}) < 2:
        known = []
    if known:
        listing = ", ".join(f"{s.label} {s.start_s:.1f}-{s.end_s:.1f} s" for s in known)
        warnings.append(f"Several exercises were found one after another ({listing}); each is counted and judged "
                        "on its own (the workout above; 'parts' and 'workout' in the JSON report, whose top-level "
                        "exercise, repetitions and form describe the whole clip as if it were one exercise). To "
                        "analyse one stretch only, use --start/--end (seconds).")

    from repvision.form import own_muscles

    repetitions, sets, form = _count_and_judge(pose, None if exercise.is_unknown else exercise.label, cfg,
                                               timings)
    t4 = time.perf_counter()
    parts = tuple(_part(pose, seg, cfg) for seg in known)
    if parts:
        timings["parts_s"] = time.perf_counter() - t4
    # muscle groups of the candidate exercises declared in one's own rule files (--form-rules)
    extra = own_muscles([lab for lab, _ in exercise.top] + [exercise.label], cfg.form_rules)
    timings["total_s"] = time.perf_counter() - t0

    return Analysis(
        video=info, pose_model=cfg.pose_model, frames_analysed=len(pose), frames_with_person=n_person,
        exercise=exercise, repetitions=repetitions,
        muscles=None if exercise.is_unknown else muscles_for(exercise.label, extra),
        timings_s=timings, warnings=tuple(warnings), pose=pose, form=form,
        muscle_activation=activation_from_prediction(exercise, extra), segments=segments, sets=sets,
        time_range_s=None if cfg.start_s is None and cfg.end_s is None
        else (float(pose.timestamps[0]), float(pose.timestamps[-1])),
        settings=cfg.result_settings(), parts=parts,
    )


def _count_and_judge(pose: PoseSequence, label: str | None, cfg: AnalyzeConfig,
                     timings: dict[str, float] | None = None, keep: tuple[int, int] | None = None
                     ) -> tuple[RepetitionCount, tuple[ExerciseSet, ...], FormReport]:
    """Repetitions, sets and form of ``pose`` done as exercise ``label`` (None: not recognised), as
    :func:`analyze_poses` reports them for a whole clip or one of its parts; ``keep = (a, b)``: only the
    repetitions turning in frames ``a:b`` are kept (renumbered from 0) and judged; ``timings`` gets ``reps_s``
    and ``form_s`` when given."""
    from repvision.form import FormReport, assess_form, exercises_with_rules, rules_for
    from repvision.reps import count_repetitions, split_sets

    t0 = time.perf_counter()
    rules = None if label is None else rules_for(label, cfg.form_rules)
    repetitions = count_repetitions(pose, exercise=label, joint=_own_joint(label, rules))
    if keep is not None:
        kept = [r for r in repetitions.repetitions if keep[0] <= r.turn_frame < keep[1]]
        repetitions = dataclasses.replace(repetitions, repetitions=tuple(
            dataclasses.replace(r, index=i) for i, r in enumerate(kept)))
    sets = split_sets(repetitions, cfg.set_gap_s)
    t1 = time.perf_counter()
    if label is None:
        form = FormReport("unknown", "none", None,
                          message="Form was not judged: the exercise was not recognised with enough confidence "
                                  "(pass --exercise to name it).")
    elif rules is None:
        form = FormReport(label, "none", None,
                          message=f"No form rules for {label}; form was not judged (rules exist for: "
                                  f"{', '.join(exercises_with_rules(cfg.form_rules))}; add your own with "
                                  f"--form-rules DIR holding {label}.toml).")
    else:
        form = assess_form(pose, label, repetitions, rules=rules)
    if timings is not None:
        timings["reps_s"] = t1 - t0
        timings["form_s"] = time.perf_counter() - t1
    return repetitions, sets, form


def _own_joint(label: str | None, rules) -> str | None:
    """The joint whose range of motion is reported for an exercise outside repvision's vocabulary: its rule
    file's driving joint (None otherwise: :data:`repvision.reps.EXERCISE_JOINTS` or the counter decides)."""
    from repvision.reps import EXERCISE_JOINTS

    return rules.driving_joint if rules is not None and label not in EXERCISE_JOINTS else None


#: Seconds of the neighbouring segments that a part's repetitions are counted with (:func:`_part`): a segment
#: boundary is often off by some tenths of a second (``repvision bench segments``: median boundary error 0.6 s
#: in sample, ``benchmarks/results/segments_folds5.json``), and a repetition it cuts would be lost. Not fitted: on
#: the committed clips joined two by two, 0.5 s gives each exercise the count of its clip alone, where without a
#: margin a squat cut 0.44 s before its end was lost (``tests/test_segments.py``); a wider margin lets more of the
#: neighbour's movement into the counting signal (1 s, tried once, moved repetition times into the neighbour).
PART_MARGIN_S = 0.5


def _part(pose: PoseSequence, seg: ExerciseSegment, cfg: AnalyzeConfig) -> ExercisePart:
    """One exercise segment of ``pose`` counted and judged on its own (:class:`ExercisePart`), in the frames of
    ``pose``. The counter runs on the segment plus :data:`PART_MARGIN_S` seconds on each side, and the
    repetitions turning inside the segment are kept, so a repetition that a boundary placed a little early
    cuts still counts, and none counts in two parts."""
    from repvision.form import own_muscles

    m = int(round(PART_MARGIN_S * pose.fps)) if pose.fps > 0 else 0
    a = max(0, seg.start_frame - m)
    b = min(len(pose), seg.end_frame + m)
    reps, sets, form = _count_and_judge(pose.slice(a, b), seg.label, cfg,
                                        keep=(seg.start_frame - a, seg.end_frame - a))
    # sets hold times and repetition numbers only, which the shift leaves as they are
    return ExercisePart(seg, reps.shifted(a), form.shifted(a),
                        muscles_for(seg.label, own_muscles([seg.label], cfg.form_rules)), sets)


def supported_exercises(classifier: str | os.PathLike | None = None,
                        form_rules: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """What repvision can do per exercise: every label the exercise classifier answers with (the shipped one, or
    the ``.npz`` at ``classifier``) and every exercise with a rule file (shipped, or in the folder
    ``form_rules``), sorted by name.

    Returns one dict per exercise: ``exercise``; ``recognised`` (the classifier may answer it; an exercise with
    rules only is judged when named, ``--exercise``); ``form`` (``reps`` or ``hold``, None without rules);
    ``checks`` (names of the form checks); ``driving_joint`` (the joint whose range of motion is reported, None
    when not known); ``primary_muscles`` / ``secondary_muscles`` (empty when not known). Raises the errors of
    :func:`check_files` for a bad classifier or rule file.
    """
    from repvision.classify import load_classifier
    from repvision.form import exercises_with_rules, own_muscles, rules_for
    from repvision.reps import EXERCISE_JOINTS

    check_files(AnalyzeConfig(classifier=None if classifier is None else str(classifier),
                              form_rules=None if form_rules is None else str(form_rules)))
    recognised = load_classifier(classifier).answerable()
    labels = sorted(set(recognised) | set(exercises_with_rules(form_rules)))
    extra = own_muscles(labels, form_rules)
    out = []
    for lab in labels:
        rules = rules_for(lab, form_rules)
        muscles = muscles_for(lab, extra)
        joint = EXERCISE_JOINTS[lab][0] if lab in EXERCISE_JOINTS else _own_joint(lab, rules)
        out.append({"exercise": lab, "recognised": lab in recognised,
                    "form": None if rules is None else rules.mode,
                    "checks": [] if rules is None else list(rules.checks),
                    "driving_joint": joint,
                    "primary_muscles": [] if muscles is None else list(muscles.primary),
                    "secondary_muscles": [] if muscles is None else list(muscles.secondary)})
    return out

