"""The data contract: frozen dataclasses passed between pipeline stages.

``video`` -> :class:`VideoInfo`; ``pose`` -> :class:`PoseSequence`; ``classify`` -> :class:`ExercisePrediction`,
``classify.segment_exercises`` -> :class:`ExerciseSegment`; ``reps`` -> :class:`RepetitionCount` of
:class:`Repetition`; ``muscles`` -> :class:`MuscleGroups`; ``pipeline.analyze`` -> :class:`Analysis`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from repvision.skeleton import BLAZEPOSE_33, JOINTS_13, SKELETONS, Skeleton, to_joints13

if TYPE_CHECKING:  # form.py imports this module; the annotation only
    from repvision.form import FormReport

#: Coordinate spaces of :attr:`PoseSequence.keypoints` x/y channels.
#: ``image``: normalised image coordinates (0..1 of width and height, y down; MediaPipe's convention);
#: ``pixels``: pixels, y down; ``box``: min-max rescaled per frame to the person's keypoint box (RepCount-A poses).
COORDINATE_SPACES = ("image", "pixels", "box")


@dataclass(frozen=True)
class VideoInfo:
    """Metadata of a video file, as read from its container.

    ``width``/``height`` are in pixels **after** applying ``rotation_deg`` (what a viewer shows).
    ``fps`` is the stream's average frame rate (frames per second); ``n_frames`` the container's
    frame count (0 when the container does not say); ``duration_s`` seconds.
    """

    path: str
    width: int
    height: int
    fps: float
    n_frames: int
    duration_s: float
    codec: str
    container: str
    rotation_deg: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "width": self.width, "height": self.height, "fps": round(self.fps, 4),
            "n_frames": self.n_frames, "duration_s": round(self.duration_s, 4), "codec": self.codec,
            "container": self.container, "rotation_deg": self.rotation_deg,
        }


@dataclass(frozen=True, eq=False)
class PoseSequence:
    """Keypoints of one person over time.

    Attributes
    ----------
    keypoints:
        ``(T, V, 4)`` float32: x, y, z, visibility. x/y in :attr:`coordinates` space; z is MediaPipe's
        relative depth (same scale as x, NaN when the source has none); visibility in [0, 1] (detector
        confidence for OpenPose/Penn Action). A frame without a person is all NaN.
    timestamps:
        ``(T,)`` float64 seconds from the start of the video (true presentation times where known).
    skeleton:
        The keypoint layout (``V == skeleton.num_keypoints``).
    coordinates:
        One of :data:`COORDINATE_SPACES`.
    world:
        ``(T, V, 3)`` float32 metric 3-D landmarks in metres (hip-centred, MediaPipe world landmarks), or None.
    image_size:
        ``(width, height)`` in pixels of the frames the pose was estimated on, or None if unknown.
    source:
        Free text naming where the sequence came from (file path, dataset key).
    """

    keypoints: np.ndarray
    timestamps: np.ndarray
    skeleton: Skeleton = BLAZEPOSE_33
    coordinates: str = "image"
    world: np.ndarray | None = None
    image_size: tuple[int, int] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        k = np.asarray(self.keypoints, dtype=np.float32)
        t = np.asarray(self.timestamps, dtype=np.float64)
        if k.ndim != 3 or k.shape[1] != self.skeleton.num_keypoints or k.shape[2] != 4:
            raise ValueError(
                f"keypoints must have shape (T, {self.skeleton.num_keypoints}, 4) for {self.skeleton.name}, "
                f"got {k.shape}"
            )
        if t.shape != (k.shape[0],):
            raise ValueError(f"timestamps must have shape ({k.shape[0]},), got {t.shape}")
        if self.coordinates not in COORDINATE_SPACES:
            raise ValueError(f"coordinates must be one of {COORDINATE_SPACES}, got {self.coordinates!r}")
        object.__setattr__(self, "keypoints", k)
        object.__setattr__(self, "timestamps", t)
        if self.world is not None:
            w = np.asarray(self.world, dtype=np.float32)
            if w.shape != (k.shape[0], k.shape[1], 3):
                raise ValueError(f"world must have shape {(k.shape[0], k.shape[1], 3)}, got {w.shape}")
            object.__setattr__(self, "world", w)

    def __len__(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def present(self) -> np.ndarray:
        """``(T,)`` bool: a person was found in the frame."""
        return np.isfinite(self.keypoints[:, :, 0]).any(axis=1)

    @property
    def fps(self) -> float:
        """Median frame rate in frames per second, from the timestamps (0 if fewer than 2 frames)."""
        if len(self) < 2:
            return 0.0
        dt = np.diff(self.timestamps)
        dt = dt[dt > 0]
        return float(1.0 / np.median(dt)) if dt.size else 0.0

    @property
    def duration_s(self) -> float:
        return float(self.timestamps[-1] - self.timestamps[0]) if len(self) else 0.0

    def xy_pixels(self) -> np.ndarray:
        """``(T, V, 2)`` x/y in pixels (image coordinates times image size); unchanged for other spaces."""
        xy = self.keypoints[..., :2].copy()
        if self.coordinates == "image" and self.image_size is not None:
            xy[..., 0] *= self.image_size[0]
            xy[..., 1] *= self.image_size[1]
        return xy

    def to_joints13(self) -> "PoseSequence":
        """The same sequence in the common 13-joint layout (:class:`repvision.skeleton.Joint`)."""
        if self.skeleton is JOINTS_13:
            return self
        world = None if self.world is None else to_joints13(self.world, self.skeleton)
        return PoseSequence(
            to_joints13(self.keypoints, self.skeleton), self.timestamps, JOINTS_13, self.coordinates,
            world, self.image_size, self.source,
        )

    def slice(self, start: int, stop: int) -> "PoseSequence":
        """Frames ``start:stop`` as a new sequence."""
        return PoseSequence(
            self.keypoints[start:stop], self.timestamps[start:stop], self.skeleton, self.coordinates,
            None if self.world is None else self.world[start:stop], self.image_size, self.source,
        )

    def save(self, path: str) -> None:
        """Write to a compressed ``.npz`` file (see :meth:`load`)."""
        arrays = {
            "keypoints": self.keypoints, "timestamps": self.timestamps,
            "meta": np.array([self.skeleton.name, self.coordinates, self.source]),
            "image_size": np.array(self.image_size if self.image_size else (0, 0), dtype=np.int64),
        }
        if self.world is not None:
            arrays["world"] = self.world
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str) -> "PoseSequence":
        """Read a sequence written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            name, coords, source = (str(v) for v in z["meta"])
            size = tuple(int(v) for v in z["image_size"])
            return cls(
                z["keypoints"], z["timestamps"], SKELETONS[name], coords,
                z["world"] if "world" in z.files else None, size if size != (0, 0) else None, source,
            )


@dataclass(frozen=True)
class Repetition:
    """One repetition.

    Frames are indices into the analysed pose sequence; times are seconds from the start of the video.
    ``turn`` is the turning point (bottom of a squat, top of a pull-up: the extreme of the driving signal).
    ``concentric_s``/``eccentric_s`` are the durations of the two phases (tempo); which half is concentric
    depends on the exercise (None when unknown). ``range_of_motion_deg`` is the range of the driving joint
    angle in degrees within the repetition (None when no joint angle drives the exercise).
    ``partial`` marks a repetition whose amplitude was clearly smaller than the set's typical one.
    """

    index: int
    start_frame: int
    turn_frame: int
    end_frame: int
    start_s: float
    turn_s: float
    end_s: float
    range_of_motion_deg: float | None = None
    joint: str | None = None
    concentric_s: float | None = None
    eccentric_s: float | None = None
    partial: bool = False

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        r = lambda v: None if v is None else round(float(v), 4)  # noqa: E731
        return {
            "index": self.index, "start_frame": self.start_frame, "turn_frame": self.turn_frame,
            "end_frame": self.end_frame, "start_s": r(self.start_s), "turn_s": r(self.turn_s),
            "end_s": r(self.end_s), "duration_s": r(self.duration_s),
            "range_of_motion_deg": r(self.range_of_motion_deg), "joint": self.joint,
            "concentric_s": r(self.concentric_s), "eccentric_s": r(self.eccentric_s), "partial": self.partial,
        }


@dataclass(frozen=True)
class RepetitionCount:
    """The repetitions found in a sequence: ``count`` full repetitions plus ``partial`` ones listed apart."""

    repetitions: tuple[Repetition, ...] = ()
    signal: str = ""
    method: str = ""

    @property
    def full(self) -> tuple[Repetition, ...]:
        return tuple(r for r in self.repetitions if not r.partial)

    @property
    def partials(self) -> tuple[Repetition, ...]:
        return tuple(r for r in self.repetitions if r.partial)

    @property
    def count(self) -> int:
        """Number of full repetitions."""
        return len(self.full)

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count, "partial_count": len(self.partials), "signal": self.signal,
            "method": self.method, "repetitions": [r.to_dict() for r in self.repetitions],
        }

    def shifted(self, frames: int) -> "RepetitionCount":
        """The same repetitions with every frame index moved by ``frames`` (e.g. counted on
        ``seq.slice(a, b)``, reported in the frames of ``seq``: ``frames = a``); times are unchanged."""
        return dataclasses.replace(self, repetitions=tuple(
            dataclasses.replace(r, start_frame=r.start_frame + frames, turn_frame=r.turn_frame + frames,
                                end_frame=r.end_frame + frames) for r in self.repetitions))


@dataclass(frozen=True)
class ExerciseSet:
    """A set: repetitions done one after another, apart from the next set by a rest
    (:func:`repvision.reps.split_sets`).

    ``index`` 0-based; ``start_s``/``end_s`` seconds from the start of the video (start of its first repetition,
    end of its last); ``rep_indices`` the :attr:`Repetition.index` values of its repetitions, partial ones
    included; ``count`` full repetitions, ``partial_count`` partial ones; ``rest_before_s`` seconds since the
    previous set ended (None for the first set).
    """

    index: int
    start_s: float
    end_s: float
    rep_indices: tuple[int, ...]
    count: int
    partial_count: int = 0
    rest_before_s: float | None = None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "start_s": round(float(self.start_s), 4), "end_s": round(float(self.end_s), 4),
                "duration_s": round(float(self.duration_s), 4), "rep_indices": list(self.rep_indices),
                "count": self.count, "partial_count": self.partial_count,
                "rest_before_s": None if self.rest_before_s is None else round(float(self.rest_before_s), 4)}


@dataclass(frozen=True)
class ExercisePrediction:
    """Exercise label for a clip.

    ``label`` is ``"unknown"`` when the top probability is below the classifier's threshold;
    ``top`` lists the best classes as ``(label, probability)``, best first (probabilities in [0, 1]).
    """

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...] = ()
    threshold: float = 0.0

    @property
    def is_unknown(self) -> bool:
        return self.label == "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label, "confidence": round(float(self.confidence), 4),
            "top": [{"label": lab, "probability": round(float(p), 4)} for lab, p in self.top],
            "unknown_threshold": self.threshold,
        }


@dataclass(frozen=True)
class ExerciseSegment:
    """A stretch of a video showing one exercise (or ``"unknown"``), from
    :func:`repvision.classify.segment_exercises`.

    ``start_frame``/``end_frame`` index the analysed pose sequence like a slice (``end_frame`` exclusive, so
    ``seq.slice(seg.start_frame, seg.end_frame)`` is the segment); ``start_s``/``end_s`` are seconds on the
    sequence's timestamps (``end_s`` is the start of the next segment, or one frame period after the last
    frame). ``confidence`` in [0, 1] is the mean smoothed window probability of ``label`` over the segment (for
    ``"unknown"``: of the best class, 0 where no person was seen).
    """

    label: str
    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    confidence: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def is_unknown(self) -> bool:
        return self.label == "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start_s": round(float(self.start_s), 4), "end_s": round(float(self.end_s), 4),
                "duration_s": round(float(self.duration_s), 4), "start_frame": int(self.start_frame),
                "end_frame": int(self.end_frame), "confidence": round(float(self.confidence), 4)}


@dataclass(frozen=True)
class MuscleGroups:
    """Muscle groups worked by an exercise, with the reference they come from."""

    exercise: str
    primary: tuple[str, ...]
    secondary: tuple[str, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "primary": list(self.primary), "secondary": list(self.secondary),
                "source": self.source}


@dataclass(frozen=True)
class MuscleActivation:
    """Estimated activation of the 11 muscle groups of :data:`repvision.muscles.MUSCLE_GROUPS` in one video.

    ``activation``: group -> value in [0, 1] (1 = the most worked group; every group of the 11 is present);
    ``exercises``: the ``(label, probability)`` pairs of the classifier that were weighted in;
    ``method``: how the values were computed, in words; ``source``: the reference of the muscle assignments.
    """

    activation: dict[str, float]
    exercises: tuple[tuple[str, float], ...]
    method: str
    source: str

    def ranked(self, min_value: float = 0.01) -> list[tuple[str, float]]:
        """``(group, activation)`` pairs, most active first; groups below ``min_value`` left out."""
        return sorted(((g, v) for g, v in self.activation.items() if v >= min_value), key=lambda kv: -kv[1])

    def to_dict(self) -> dict[str, Any]:
        return {
            "activation": {g: round(float(v), 4) for g, v in self.activation.items()},
            "exercises": [{"label": lab, "probability": round(float(p), 4)} for lab, p in self.exercises],
            "method": self.method, "source": self.source,
        }


@dataclass(frozen=True)
class ExercisePart:
    """One exercise of a clip that shows several one after another, analysed on its own: the exercise segment
    (:class:`ExerciseSegment`, from :func:`repvision.classify.segment_exercises`), its repetitions (those
    turning inside the segment, counted on it plus ``repvision.pipeline.PART_MARGIN_S`` seconds of its
    neighbours, so a repetition may start or end that much outside it) and their ``sets``, their form judged
    with the segment's exercise's rules (``form``, a :class:`repvision.form.FormReport`; ``mode == "none"``
    with a message for an exercise without rules) and the exercise's muscle groups. Frame indices (the
    segment's, the repetitions' and the form's) index the analysed frames of the whole clip, times are seconds
    of the video, as everywhere in an :class:`Analysis`.
    """

    segment: ExerciseSegment
    repetitions: RepetitionCount
    form: "FormReport | None" = None
    muscles: MuscleGroups | None = None
    sets: tuple[ExerciseSet, ...] = ()

    @property
    def label(self) -> str:
        return self.segment.label

    def to_dict(self) -> dict[str, Any]:
        return {**self.segment.to_dict(), "repetitions": self.repetitions.to_dict(),
                "sets": [st.to_dict() for st in self.sets],
                "form": None if self.form is None else self.form.to_dict(),
                "muscles": None if self.muscles is None else self.muscles.to_dict()}


@dataclass(frozen=True)
class WorkoutSummary:
    """A workout of several exercises one after another (:attr:`Analysis.parts`) in brief, as a person reads
    it: what was done and how many times, and how well.

    ``exercises``: the parts' labels in time order (an exercise done twice appears twice); ``counts``: full
    repetitions of each part; ``repetitions``: their sum; ``partials``: partial repetitions of all parts;
    ``sets``: sets of all parts (:func:`repvision.reps.split_sets` within each part); ``form_score``: 0-100,
    the mean over the judged repetitions of every part (a judged hold weighs as one repetition), None when no
    part was judged; ``verdict``: ``"incorrect"`` when a judged part shows a major fault, ``"correct"`` when
    every judged part is without one, None when none was judged; ``major_faults``: ``"exercise: fault"``
    strings of the parts judged incorrect.
    """

    exercises: tuple[str, ...]
    counts: tuple[int, ...]
    repetitions: int
    partials: int
    sets: int
    form_score: float | None
    verdict: str | None
    major_faults: tuple[str, ...] = ()

    @classmethod
    def from_parts(cls, parts: "tuple[ExercisePart, ...]") -> "WorkoutSummary":
        judged = [(pt.form, max(len(pt.form.reps), 1), pt.label) for pt in parts
                  if pt.form is not None and pt.form.verdict is not None]
        weight = sum(w for _, w, _ in judged)
        return cls(
            exercises=tuple(pt.label for pt in parts),
            counts=tuple(pt.repetitions.count for pt in parts),
            repetitions=sum(pt.repetitions.count for pt in parts),
            partials=sum(len(pt.repetitions.partials) for pt in parts),
            sets=sum(len(pt.sets) for pt in parts),
            form_score=None if not judged else float(sum(f.score * w for f, w, _ in judged) / weight),
            verdict=None if not judged else ("incorrect" if any(f.verdict == "incorrect" for f, _, _ in judged)
                                             else "correct"),
            major_faults=tuple(f"{label.replace('_', ' ')}: {f.major_faults_in_words}"
                               for f, _, label in judged if f.verdict == "incorrect"),
        )

    @property
    def major_faults_in_words(self) -> str:
        """The major faults for people, e.g. ``"squat: depth; push up: hip sag"`` (empty without any)."""
        return "; ".join(self.major_faults)

    def in_words(self) -> str:
        """Each exercise with its count, e.g. ``"pull up 3, squat 2 repetitions"``."""
        return ", ".join(f"{lab.replace('_', ' ')} {n}" for lab, n in zip(self.exercises, self.counts)) \
            + " repetitions"

    def to_dict(self) -> dict[str, Any]:
        return {"exercises": list(self.exercises), "counts": list(self.counts), "repetitions": self.repetitions,
                "partials": self.partials, "sets": self.sets,
                "form_score": None if self.form_score is None else round(self.form_score, 1),
                "verdict": self.verdict, "major_faults": list(self.major_faults)}


@dataclass(frozen=True)
class Analysis:
    """Everything ``repvision.analyze`` found in one video.

    ``form`` is the :class:`repvision.form.FormReport` of the set (``mode == "none"`` with a message when the
    exercise has no form rules or was not recognised; None only when form was not assessed at all);
    ``muscle_activation`` the per-group estimate of :func:`repvision.muscles.activation_from_prediction`;
    ``segments`` the exercises found one after another (:func:`repvision.classify.segment_exercises`; empty
    when not computed); ``sets`` the repetitions grouped into sets (:func:`repvision.reps.split_sets`; empty
    without full repetitions). ``exercise`` and ``repetitions`` always describe the whole clip, or the part
    analysed: ``time_range_s`` = (first, last analysed timestamp) in seconds of the video when only a part
    was asked for (``AnalyzeConfig.start_s`` / ``end_s``), else None. ``settings``: the settings the result
    depends on (``AnalyzeConfig.result_settings``; empty when the analysis was not made by ``analyze``).
    ``parts``: when ``segments`` holds several exercises one after another, each of them analysed on its own
    (:class:`ExercisePart`: its repetitions, form and muscles); empty otherwise. :attr:`workout` sums them up
    (None without parts); for such a workout it, not the whole-clip ``repetitions``, is the count to read: the
    whole-clip count follows one counting signal through movements of different exercises.
    """

    video: VideoInfo
    pose_model: str
    frames_analysed: int
    frames_with_person: int
    exercise: ExercisePrediction
    repetitions: RepetitionCount
    muscles: MuscleGroups | None
    timings_s: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    pose: PoseSequence | None = field(default=None, repr=False, compare=False)
    form: "FormReport | None" = None
    muscle_activation: MuscleActivation | None = None
    segments: tuple[ExerciseSegment, ...] = ()
    sets: tuple[ExerciseSet, ...] = ()
    time_range_s: tuple[float, float] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    parts: tuple[ExercisePart, ...] = ()

    @functools.cached_property
    def workout(self) -> WorkoutSummary | None:
        """The parts summed up (:class:`WorkoutSummary`), None for a clip of one exercise (computed once)."""
        return WorkoutSummary.from_parts(self.parts) if self.parts else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON report (see ``repvision.report.REPORT_SCHEMA``)."""
        from repvision.report import SCHEMA_VERSION

        return {
            "schema_version": SCHEMA_VERSION,
            "video": self.video.to_dict(),
            "pose": {"model": self.pose_model, "frames_analysed": self.frames_analysed,
                     "frames_with_person": self.frames_with_person,
                     "time_range_s": None if self.time_range_s is None else [round(v, 4) for v in self.time_range_s]},
            "exercise": self.exercise.to_dict(),
            "repetitions": self.repetitions.to_dict(),
            "sets": [st.to_dict() for st in self.sets],
            "muscles": None if self.muscles is None else self.muscles.to_dict(),
            "muscle_activation": None if self.muscle_activation is None else self.muscle_activation.to_dict(),
            "form": None if self.form is None else self.form.to_dict(),
            "segments": [seg.to_dict() for seg in self.segments],
            "parts": [pt.to_dict() for pt in self.parts],
            "workout": None if self.workout is None else self.workout.to_dict(),
            "timings_s": {k: round(v, 4) for k, v in self.timings_s.items()},
            "warnings": list(self.warnings),
            "settings": dict(self.settings),
        }
