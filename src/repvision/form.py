"""Per-repetition form feedback: rule-based checks of the quantities a coach judges.

Overview
--------
:func:`assess_form` takes one person's :class:`~repvision.types.PoseSequence`, the exercise label and the
repetitions found by :func:`repvision.reps.count_repetitions`, and returns a :class:`FormReport`:

* one :class:`RepForm` per repetition with a 0-100 score and the :class:`FormIssue` s found in it (a plain-words
  cue with numbers, tied to the repetition index and the frame / second where it was measured);
* the checks that the camera view cannot support (e.g. knee valgus from the side, squat depth from the front),
  each with the reason and where to put the camera;
* for holds (plank) the hold time and the form over time instead of repetitions.

Rules
-----
Every threshold lives in a readable TOML file per exercise, ``repvision/form_rules/<exercise>.toml``, with the
source it comes from (coaching literature such as NSCA's *Essentials of Strength Training and Conditioning* and
ACE's exercise library, the thresholds of Pose Trainer (Chen & Yang, 2018), or statistics of the labelled data in
``shared/data/form_frames``). A check names a **measure** (a per-frame series computed here, e.g. the knee angle
or how far the hips are above parallel), a **reduce** over the repetition (``min``, ``max``, ``range``,
``at_turn``) and a bound (``min`` and/or ``max``). Files are loaded with a typed check: an unknown key raises
:class:`repvision.errors.ConfigError` naming it.

Measures are pure functions of ``(T, 33, 4)`` / ``(T, 13, 4)`` keypoint arrays (see :func:`measure_series`), so
each rule is testable on hand-built arrays. Coordinates are converted to an equal-scale frame (pixels when the
image size is known) before any angle is taken. A landmark with visibility below ``min_visibility`` (0.5,
MediaPipe's own default presence threshold) makes every measure that uses it NaN in that frame, and a NaN
value never produces a cue.

Camera view
-----------
:func:`detect_view` classifies the view as ``front`` (front or back), ``side`` or ``oblique`` from the ratio of
the body's width in the image (mean of shoulder and hip widths) to its torso length (shoulder-hip midpoint
distance): a person facing the camera shows a shoulder width about 0.7-0.9 of the torso length (biacromial
breadth ~40 cm vs. ~50 cm torso, anthropometric tables), one seen from the side close to 0. Where the 2-D
ratio is ambiguous, the depth (z) difference of the shoulders decides (MediaPipe's relative z).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from repvision.errors import ConfigError
from repvision.skeleton import BLAZEPOSE_33, BlazePoseLandmark, Joint
from repvision.types import PoseSequence, Repetition, RepetitionCount

__all__ = [
    "FormIssue", "RepForm", "SkippedCheck", "HoldSummary", "FormReport", "CheckRule", "RuleSet",
    "ViewEstimate", "assess_form", "load_rules", "parse_rules", "available_exercises", "detect_view",
    "measure_series", "moving_median", "whole_sequence_repetition", "MEASURES", "RULES_DIR", "MIN_VISIBILITY",
    "MAJOR_FAULT_WEIGHT",
]

#: Folder of the per-exercise rule files.
RULES_DIR = Path(__file__).with_name("form_rules")

#: Landmarks below this visibility are treated as missing (MediaPipe Pose's default presence threshold).
MIN_VISIBILITY = 0.5

#: Per-skeleton visibility threshold used when none is given: MediaPipe visibility for BlazePose; OpenPose
#: part confidences run lower (Pose Trainer counts any detected part as present; OpenPose's own rendering
#: threshold is 0.05), so 0.1 is used for OpenPose-18.
SKELETON_MIN_VISIBILITY = {"blazepose33": MIN_VISIBILITY, "openpose18": 0.1}


def _min_vis(seq: PoseSequence, min_visibility: float | None) -> float:
    if min_visibility is not None:
        return float(min_visibility)
    return SKELETON_MIN_VISIBILITY.get(seq.skeleton.name, MIN_VISIBILITY)

#: Where to put the camera for each view a check may need.
VIEW_ADVICE = {
    "side": "film from the side: camera perpendicular to your line of motion, about hip height, 2-4 m away, "
            "whole body in the frame",
    "front": "film from the front: camera facing you, about hip height, 2-4 m away, whole body in the frame",
    "oblique": "film at about 45 degrees to your front, about hip height, whole body in the frame",
}

#: Measures, with unit and a short description (what a coach judges). Angles in degrees, times in seconds,
#: lengths as fractions of the torso length (shoulder-midpoint to hip-midpoint) unless stated.
MEASURES: dict[str, tuple[str, str]] = {
    "knee_angle": ("deg", "hip-knee-ankle angle (180 = straight leg)"),
    "front_knee_angle": ("deg", "the more bent of the two knee angles (lunge front leg)"),
    "elbow_angle": ("deg", "shoulder-elbow-wrist angle (180 = straight arm)"),
    "hip_angle": ("deg", "shoulder-hip-knee angle (180 = hip fully extended)"),
    "shoulder_angle": ("deg", "hip-shoulder-elbow angle: upper-arm elevation relative to the trunk"),
    "arm_raise": ("deg", "hip-shoulder-wrist angle: whole-arm elevation relative to the trunk (Pose Trainer)"),
    "thigh_above_parallel": ("deg", "angle of the hip-knee line above horizontal; > 0 hips above the knees"),
    "trunk_lean": ("deg", "angle of the hip->shoulder line from vertical (0 = upright)"),
    "trunk_shift": ("torso", "horizontal position of the neck relative to the hip, in torso lengths "
                              "(its range is Pose Trainer's back-movement measure)"),
    "body_line": ("deg", "bend of the shoulder-hip-ankle line at the hip; > 0 hips piked up, < 0 sagging"),
    "knee_ratio": ("ratio", "distance between the knees / distance between the ankles (< 1 knees caving in)"),
    "knee_over_toe": ("torso", "how far the knee is in front of the toes, in torso lengths (> 0 past the toes)"),
    "elbow_flare": ("deg", "abduction of the upper arms away from the trunk seen from the front"),
    "upper_arm_torso": ("deg", "angle between upper arm and trunk (its range is upper-arm drift / swinging)"),
    "asymmetry": ("deg", "|left - right| difference of the exercise's driving joint angle"),
    "chin_over_bar": ("torso", "height of the nose below the hands, in torso lengths (> 0 chin under the bar)"),
    "feet_width": ("ratio", "distance between the ankles / shoulder width"),
    "rep_duration": ("s", "duration of the repetition"),
    "eccentric_s": ("s", "duration of the lowering (eccentric) phase"),
    "concentric_s": ("s", "duration of the lifting (concentric) phase"),
}

REDUCES = ("min", "max", "range", "at_turn", "mean")
VIEWS = ("front", "side", "oblique")
_DEFAULT_SCALE = {"deg": 15.0, "torso": 0.15, "ratio": 0.2, "s": 0.5}

_B = BlazePoseLandmark


# ----------------------------------------------------------------------------------------------- rule files


@dataclass(frozen=True)
class CheckRule:
    """One form check, as written in a rule file ``[checks.<name>]`` table.

    Attributes
    ----------
    measure: a key of :data:`MEASURES`.
    reduce: how the per-frame measure becomes one value per repetition: ``min``, ``max``, ``range``
        (max - min), ``at_turn`` (value at the repetition's turning point), ``mean``.
    min, max: the value must be >= ``min`` and <= ``max`` (either may be omitted); units of the measure.
    cue: the cue shown when the bound is broken; a ``str.format`` template with ``{value}`` (measured),
        ``{limit}`` (the broken bound), ``{excess}`` (how far past it, positive) and ``{abs_value}``.
    source: where the threshold comes from (literature, Pose Trainer, or a dataset statistic).
    views: camera views in which the measure is valid (``front``, ``side``, ``oblique``); empty = any.
    weight: points (of 100) a repetition loses for a clear failure of this check.
    scale: excess (measure units) at which the full weight is lost; default per unit (15 deg, 0.15 torso,
        0.2 ratio, 0.5 s). A just-failing check loses half the weight.
    min_duration_s: for holds only: shortest violation (seconds) reported.
    """

    measure: str
    cue: str
    source: str
    reduce: str = "min"
    min: float | None = None
    max: float | None = None
    views: tuple[str, ...] = ()
    weight: float = 20.0
    scale: float | None = None
    min_duration_s: float = 0.5

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ConfigError(f"measure: one of {', '.join(MEASURES)}", f"measure = {self.measure!r}",
                              "Use one of the listed measures.")
        if self.reduce not in REDUCES:
            raise ConfigError(f"reduce: one of {', '.join(REDUCES)}", f"reduce = {self.reduce!r}",
                              "Use one of the listed reductions.")
        if self.min is None and self.max is None:
            raise ConfigError("a 'min' or 'max' bound", "neither", "Add min = ... or max = ... to the check.")
        views = tuple(self.views)
        bad = [v for v in views if v not in VIEWS]
        if bad:
            raise ConfigError(f"views among {', '.join(VIEWS)}", f"views = {list(views)}", "Fix the view names.")
        object.__setattr__(self, "views", views)
        for k in ("min", "max", "scale"):
            v = getattr(self, k)
            if v is not None:
                object.__setattr__(self, k, float(v))
        object.__setattr__(self, "weight", float(self.weight))

    @property
    def unit(self) -> str:
        return MEASURES[self.measure][0]

    def excess(self, value: float) -> tuple[float, float | None]:
        """``(excess, broken_bound)``: how far ``value`` lies outside the bounds (0 and None when inside)."""
        if not np.isfinite(value):
            return 0.0, None
        if self.min is not None and value < self.min:
            return self.min - value, self.min
        if self.max is not None and value > self.max:
            return value - self.max, self.max
        return 0.0, None

    def penalty(self, excess: float) -> float:
        """Points lost: half the weight for any failure, rising linearly to the full weight at ``scale``."""
        if excess <= 0:
            return 0.0
        scale = self.scale or _DEFAULT_SCALE.get(self.unit, 1.0)
        return self.weight * min(1.0, 0.5 + 0.5 * excess / scale)


@dataclass(frozen=True)
class RuleSet:
    """The rules of one exercise (one rule file).

    ``mode``: ``reps`` (judged per repetition) or ``hold`` (judged over time, e.g. plank). ``driving_joint``:
    the joint whose left/right angles feed the ``asymmetry`` measure (``knee``, ``elbow``, ``hip``,
    ``shoulder``). ``checks``: name -> :class:`CheckRule`, in file order. ``primary_muscles`` /
    ``secondary_muscles``: optional, for an exercise of your own (the shipped files leave them out: their
    muscles are in :mod:`repvision.muscles`); group names of :data:`repvision.muscles.KNOWN_GROUPS`.
    """

    exercise: str
    description: str = ""
    mode: str = "reps"
    driving_joint: str = "knee"
    checks: dict[str, CheckRule] = field(default_factory=dict)
    primary_muscles: tuple[str, ...] = ()
    secondary_muscles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from repvision.muscles import KNOWN_GROUPS

        for key in ("primary_muscles", "secondary_muscles"):
            groups = getattr(self, key)
            if isinstance(groups, str) or not all(isinstance(g, str) for g in groups):
                raise ConfigError(f"{key}: a list of muscle group names", repr(groups),
                                  f'Write e.g. {key} = ["quads", "glutes"].')
            unknown = sorted(set(groups) - KNOWN_GROUPS)
            if unknown:
                raise ConfigError(f"{key} among {', '.join(sorted(KNOWN_GROUPS))}", f"'{unknown[0]}'",
                                  "Use one of those names.")
            object.__setattr__(self, key, tuple(groups))
        if self.mode not in ("reps", "hold"):
            raise ConfigError("mode: 'reps' or 'hold'", f"mode = {self.mode!r}", "Fix the rule file.")
        if self.driving_joint not in ("knee", "elbow", "hip", "shoulder"):
            raise ConfigError("driving_joint: knee, elbow, hip or shoulder", f"{self.driving_joint!r}",
                              "Fix the rule file.")


def _from_table(cls, data: Any, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"a table of {cls.__name__} keys in {where}", type(data).__name__,
                          "Write key = value pairs.")
    valid = {f.name for f in fields(cls)}
    unknown = [k for k in data if k not in valid]
    if unknown:
        raise ConfigError(f"keys of {cls.__name__} in {where}: {', '.join(sorted(valid))}",
                          f"unknown key '{unknown[0]}'", f"Remove or rename '{unknown[0]}'.")
    try:
        return cls(**data)
    except TypeError as exc:  # missing required key
        raise ConfigError(f"every required key of {cls.__name__} in {where}", str(exc), "Add the key.") from None


def parse_rules(data: dict[str, Any], where: str = "rules") -> RuleSet:
    """Build a :class:`RuleSet` from a parsed TOML mapping.

    Raises
    ------
    ConfigError
        Unknown keys (named in the message), missing required keys, unknown measures/reductions/views.
    """
    data = dict(data)
    checks_raw = data.pop("checks", {})
    if not isinstance(checks_raw, dict):
        raise ConfigError(f"a [checks] table in {where}", type(checks_raw).__name__, "Write [checks.<name>].")
    checks = {name: _from_table(CheckRule, tbl, f"{where} [checks.{name}]") for name, tbl in checks_raw.items()}
    return _from_table(RuleSet, {**data, "checks": checks}, where)


@lru_cache(maxsize=64)
def _load_file(path: str) -> RuleSet:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError("a valid TOML rule file", f"a syntax error in '{p}': {exc}", "Fix the file.") from None
    return parse_rules(data, where=str(p))


def load_rules(exercise: str, rules_dir: str | Path | None = None) -> RuleSet | None:
    """The :class:`RuleSet` of ``exercise`` from ``<rules_dir>/<exercise>.toml`` (default :data:`RULES_DIR`);
    None when no file exists. Raises :class:`ConfigError` for a malformed file."""
    p = Path(rules_dir or RULES_DIR) / f"{exercise}.toml"
    if not p.is_file():
        return None
    return _load_file(str(p.resolve()))


def available_exercises(rules_dir: str | Path | None = None) -> tuple[str, ...]:
    """Exercise labels that have a rule file."""
    return tuple(sorted(p.stem for p in Path(rules_dir or RULES_DIR).glob("*.toml")))


def rules_for(exercise: str, extra_dir: str | Path | None = None) -> RuleSet | None:
    """The rules of ``exercise``: ``<extra_dir>/<exercise>.toml`` when that file exists (your own rules, e.g.
    for an exercise of your own classifier, or stricter thresholds), else the shipped file; None when neither
    exists. The file name decides the exercise (a copy of ``squat.toml`` saved as ``goblet_squat.toml`` judges
    ``goblet_squat``). Raises :class:`ConfigError` for a malformed file."""
    rs = load_rules(exercise, extra_dir) if extra_dir is not None else None
    if rs is None:
        return load_rules(exercise)
    return rs if rs.exercise == exercise else replace(rs, exercise=exercise)


def own_muscles(labels: Iterable[str], extra_dir: str | Path | None) -> dict[str, tuple[tuple[str, ...],
                                                                                      tuple[str, ...]]]:
    """Muscle groups declared in the rule files of ``extra_dir`` for these exercise labels: label ->
    (primary, secondary), for :func:`repvision.muscles.muscles_for` / ``activation_from_prediction``; labels
    whose file declares none are left out. Empty without ``extra_dir``."""
    out = {}
    for lab in labels if extra_dir is not None else ():
        rs = load_rules(lab, extra_dir)
        if rs is not None and (rs.primary_muscles or rs.secondary_muscles):
            out[lab] = (rs.primary_muscles, rs.secondary_muscles)
    return out


def exercises_with_rules(extra_dir: str | Path | None = None) -> tuple[str, ...]:
    """Labels with a rule file, shipped or in ``extra_dir``."""
    extra = available_exercises(extra_dir) if extra_dir is not None else ()
    return tuple(sorted(set(available_exercises()) | set(extra)))


# ----------------------------------------------------------------------------------------------- geometry


class _Body:
    """Equal-scale coordinates and visibility-masked landmark access for one sequence."""

    def __init__(self, seq: PoseSequence, min_visibility: float = MIN_VISIBILITY,
                 check_tracking: bool = True) -> None:
        self.skeleton = seq.skeleton
        # equal-scale x/y (pixels) when the image size is known; normalised coordinates without a size keep the
        # frame's aspect distortion in every angle
        xy = seq.xy_pixels().astype(np.float64)
        vis = seq.keypoints[..., 3].astype(np.float64)
        vis = np.where(np.isfinite(vis), vis, 0.0)
        ok = (vis >= min_visibility) & np.isfinite(xy).all(-1)
        if check_tracking:
            ok &= _tracking_ok(xy, seq.skeleton, seq.fps)[:, None]
        self.xy = np.where(ok[..., None], xy, np.nan)
        z = seq.keypoints[..., 2].astype(np.float64)
        if seq.coordinates == "image" and seq.image_size is not None:
            z = z * seq.image_size[0]
        self.z = np.where(ok, z, np.nan)
        self.vis = vis
        self.T = len(seq)
        self.is_blaze = seq.skeleton is BLAZEPOSE_33
        self._idx = {j.name.lower(): seq.skeleton.to_joints[int(j)] for j in Joint}

    def p(self, name: str) -> np.ndarray:
        """``(T, 2)`` of a joint named as in :class:`Joint` (lower case) or a BlazePose landmark."""
        if name in self._idx:
            return self.xy[:, self._idx[name]]
        if self.is_blaze:
            return self.xy[:, int(_B[name.upper()])]
        return np.full((self.T, 2), np.nan)

    def v(self, name: str) -> np.ndarray:
        if name in self._idx:
            return self.vis[:, self._idx[name]]
        if self.is_blaze:
            return self.vis[:, int(_B[name.upper()])]
        return np.zeros(self.T)

    def mid(self, a: str, b: str) -> np.ndarray:
        return 0.5 * (self.p(a) + self.p(b))

    def torso(self) -> np.ndarray:
        """``(T,)`` torso length (shoulder midpoint to hip midpoint); one side's length if the other is hidden."""
        both = np.linalg.norm(self.mid("left_shoulder", "right_shoulder") - self.mid("left_hip", "right_hip"),
                              axis=-1)
        l_ = np.linalg.norm(self.p("left_shoulder") - self.p("left_hip"), axis=-1)
        r_ = np.linalg.norm(self.p("right_shoulder") - self.p("right_hip"), axis=-1)
        one = _nanmean2(l_, r_)
        out = np.where(np.isfinite(both), both, one)
        return np.where(out > 1e-9, out, np.nan)

    @property
    def better_side(self) -> str:
        """``left`` or ``right``: the side whose shoulder, elbow, wrist, hip and knee are seen best overall."""
        names = ("shoulder", "elbow", "wrist", "hip", "knee")
        vl = sum(float(np.nanmean(self.v(f"left_{n}"))) for n in names)
        vr = sum(float(np.nanmean(self.v(f"right_{n}"))) for n in names)
        return "left" if vl >= vr else "right"

    def _trunk_point(self, joint: str, view: str) -> np.ndarray:
        left, right = self.p(f"left_{joint}"), self.p(f"right_{joint}")
        if view == "front":
            return _mid_or_one(left, right)
        first, second = (left, right) if self.better_side == "left" else (right, left)
        return np.where(np.isfinite(first), first, second)

    def shoulder(self, view: str = "front") -> np.ndarray:
        """``(T, 2)`` shoulder midpoint (front view) or the better-seen shoulder (other views)."""
        return self._trunk_point("shoulder", view)

    def hip(self, view: str = "front") -> np.ndarray:
        return self._trunk_point("hip", view)


#: Tracking glitches: a frame is dropped when the hip midpoint jumps more than this many torso lengths per
#: second relative to its neighbours (no exercise moves the pelvis that fast), or when the torso length is
#: outside this factor of the sequence median (a skeleton snapped onto another body part / person).
MAX_HIP_SPEED = 8.0
TORSO_RANGE = (0.5, 2.0)


def _tracking_ok(xy: np.ndarray, skeleton, fps: float) -> np.ndarray:
    """``(T,)`` bool: frames whose skeleton is consistent with its neighbours (see :data:`MAX_HIP_SPEED`)."""
    T = xy.shape[0]
    if T < 3:
        return np.ones(T, bool)
    j = skeleton.to_joints
    hip = 0.5 * (xy[:, j[Joint.LEFT_HIP]] + xy[:, j[Joint.RIGHT_HIP]])
    sho = 0.5 * (xy[:, j[Joint.LEFT_SHOULDER]] + xy[:, j[Joint.RIGHT_SHOULDER]])
    torso = np.linalg.norm(sho - hip, axis=-1)
    fin = np.isfinite(torso) & (torso > 0)
    if fin.sum() < 3:
        return np.ones(T, bool)
    med = float(np.median(torso[fin]))
    with np.errstate(invalid="ignore"):
        ok = ~fin | ((torso >= TORSO_RANGE[0] * med) & (torso <= TORSO_RANGE[1] * med))
    step = np.full(T, np.nan)
    step[1:] = np.linalg.norm(np.diff(hip, axis=0), axis=-1) / med
    limit = MAX_HIP_SPEED / max(fps, 1.0)
    with np.errstate(invalid="ignore"):
        jump = step > limit
    # a glitch frame jumps away and back: both its incoming and outgoing steps are large
    spike = np.zeros(T, bool)
    spike[:-1] |= jump[:-1] & jump[1:]
    spike[-1] |= bool(jump[-1])
    spike[0] |= bool(jump[1])
    return ok & ~spike


def _mid_or_one(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = 0.5 * (a + b)
    m = np.where(np.isfinite(m), m, a)
    return np.where(np.isfinite(m), m, b)


def _nanmean2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    s = np.stack([a, b])
    with np.errstate(all="ignore"):
        cnt = np.isfinite(s).sum(0)
        tot = np.nansum(s, 0)
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at ``b`` (degrees, 0..180) between b->a and b->c; ``(T, 2)`` inputs, NaN where missing."""
    u, w = a - b, c - b
    nu, nw = np.linalg.norm(u, axis=-1), np.linalg.norm(w, axis=-1)
    with np.errstate(all="ignore"):
        cos = np.sum(u * w, axis=-1) / (nu * nw)
    cos = np.where((nu > 0) & (nw > 0), cos, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _sided(body: _Body, fn: Callable[[str], np.ndarray], view: str) -> np.ndarray:
    """Combine a per-side measure: mean of the visible sides (front views), the better-seen side otherwise."""
    left, right = fn("left"), fn("right")
    if view == "front":
        return _nanmean2(left, right)
    first, second = (left, right) if body.better_side == "left" else (right, left)
    return np.where(np.isfinite(first), first, second)


def _joint_angle(body: _Body, joint: str, side: str) -> np.ndarray:
    s = side
    if joint == "knee":
        return _angle(body.p(f"{s}_hip"), body.p(f"{s}_knee"), body.p(f"{s}_ankle"))
    if joint == "elbow":
        return _angle(body.p(f"{s}_shoulder"), body.p(f"{s}_elbow"), body.p(f"{s}_wrist"))
    if joint == "hip":
        return _angle(body.p(f"{s}_shoulder"), body.p(f"{s}_hip"), body.p(f"{s}_knee"))
    if joint == "shoulder":
        return _angle(body.p(f"{s}_hip"), body.p(f"{s}_shoulder"), body.p(f"{s}_elbow"))
    if joint == "arm":
        return _angle(body.p(f"{s}_hip"), body.p(f"{s}_shoulder"), body.p(f"{s}_wrist"))
    raise ValueError(joint)


def _body_line(body: _Body, side: str) -> np.ndarray:
    """Signed bend at the hip of the shoulder-hip-ankle line (deg): + hips above the line (pike), - below."""
    s, h, a = body.p(f"{side}_shoulder"), body.p(f"{side}_hip"), body.p(f"{side}_ankle")
    bend = 180.0 - _angle(s, h, a)
    d = a - s
    u = h - s
    cross = d[:, 0] * u[:, 1] - d[:, 1] * u[:, 0]
    # image y grows downwards; "up" is -y. The hip lies above the line when its offset from the line points up.
    normal = np.stack([-d[:, 1], d[:, 0]], axis=-1)  # perpendicular to the line
    up_sign = np.sign(-normal[:, 1])  # +1 when this normal points up in the image
    above = np.sign(cross) * up_sign
    return np.where(np.isfinite(bend), np.where(above >= 0, bend, -bend), np.nan)


def measure_series(seq: PoseSequence, measure: str, view: str = "side", driving_joint: str = "knee",
                   min_visibility: float | None = None, body: _Body | None = None,
                   check_tracking: bool = True) -> np.ndarray:
    """One form measure per frame.

    Parameters
    ----------
    seq:
        ``(T, V, 4)`` keypoints (BlazePose-33, or any layout with a 13-joint mapping: then measures needing
        feet or the nose use the 13 joints only, or are NaN).
    measure:
        A key of :data:`MEASURES` (frame-wise measures only; ``rep_duration``/``eccentric_s``/``concentric_s``
        come from the :class:`Repetition` and are NaN here).
    view:
        ``front`` averages the visible left and right sides; other views use the better-seen side.
    driving_joint:
        Joint of the ``asymmetry`` measure.
    check_tracking:
        Drop frames whose skeleton jumps away from its neighbours (:data:`MAX_HIP_SPEED`); turn off for
        independent still images stacked as frames.
    min_visibility:
        Landmarks below it are missing (NaN propagates: no value, never a cue); None: per skeleton
        (:data:`SKELETON_MIN_VISIBILITY`, 0.5 for BlazePose).

    Returns
    -------
    ``(T,)`` float64 in the measure's unit (:data:`MEASURES`), NaN where it cannot be measured.

    Raises
    ------
    KeyError for an unknown measure.
    """
    if measure not in MEASURES:
        raise KeyError(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}")
    b = body or _Body(seq, _min_vis(seq, min_visibility), check_tracking)
    T = b.T
    nan = np.full(T, np.nan)
    torso = b.torso()
    if measure in ("knee_angle", "elbow_angle", "hip_angle", "shoulder_angle"):
        j = measure.split("_")[0]
        return _sided(b, lambda s: _joint_angle(b, j, s), view)
    if measure == "front_knee_angle":
        left, right = _joint_angle(b, "knee", "left"), _joint_angle(b, "knee", "right")
        with np.errstate(all="ignore"):
            return np.where(np.isfinite(left) | np.isfinite(right), np.fmin(left, right), np.nan)
    if measure == "arm_raise":
        return _sided(b, lambda s: _joint_angle(b, "arm", s), view)
    if measure == "upper_arm_torso":
        return _sided(b, lambda s: _joint_angle(b, "shoulder", s), view)
    if measure == "thigh_above_parallel":
        def thigh(s: str) -> np.ndarray:
            h, k = b.p(f"{s}_hip"), b.p(f"{s}_knee")
            return np.degrees(np.arctan2(k[:, 1] - h[:, 1], np.abs(h[:, 0] - k[:, 0])))
        return _sided(b, thigh, view)
    if measure == "trunk_lean":
        d = b.shoulder(view) - b.hip(view)
        return np.degrees(np.arctan2(np.abs(d[:, 0]), -d[:, 1]))
    if measure == "trunk_shift":
        d = b.shoulder(view) - b.hip(view)
        return d[:, 0] / np.nanmedian(torso) if np.isfinite(torso).any() else nan
    if measure == "body_line":
        return _sided(b, lambda s: _body_line(b, s), view)
    if measure == "knee_ratio":
        kw = np.abs(b.p("left_knee")[:, 0] - b.p("right_knee")[:, 0])
        aw = np.abs(b.p("left_ankle")[:, 0] - b.p("right_ankle")[:, 0])
        with np.errstate(all="ignore"):
            return np.where(aw > 0.05 * torso, kw / aw, np.nan)
    if measure == "knee_over_toe":
        if not b.is_blaze:
            return nan

        # facing direction from heel->toe of both feet; the front leg is the one whose ankle is farther
        # forward (in a lunge the back knee is in front of its own toes, so it must not be used)
        facing = np.sign(np.nansum(np.stack([
            b.p(f"{s}_foot_index")[:, 0] - b.p(f"{s}_heel")[:, 0] for s in ("left", "right")]), axis=0))
        fwd = {s: b.p(f"{s}_ankle")[:, 0] * facing for s in ("left", "right")}
        kot = {s: (b.p(f"{s}_knee")[:, 0] - b.p(f"{s}_foot_index")[:, 0]) * facing / torso
               for s in ("left", "right")}
        with np.errstate(invalid="ignore"):
            left_front = fwd["left"] >= fwd["right"]
        one = np.where(np.isfinite(kot["left"]), kot["left"], kot["right"])
        both = np.where(left_front, kot["left"], kot["right"])
        ok_both = np.isfinite(fwd["left"]) & np.isfinite(fwd["right"])
        return np.where(facing != 0, np.where(ok_both, both, one), np.nan)
    if measure == "elbow_flare":
        sh_w = np.abs(b.p("left_shoulder")[:, 0] - b.p("right_shoulder")[:, 0])
        el_w = np.abs(b.p("left_elbow")[:, 0] - b.p("right_elbow")[:, 0])
        upper = _nanmean2(np.linalg.norm(b.p("left_shoulder") - b.p("left_elbow"), axis=-1),
                          np.linalg.norm(b.p("right_shoulder") - b.p("right_elbow"), axis=-1))
        ref = np.nanpercentile(upper, 90) if np.isfinite(upper).any() else np.nan
        with np.errstate(all="ignore"):
            lateral = np.clip(0.5 * (el_w - sh_w) / ref, -1.0, 1.0)
        return np.degrees(np.arcsin(lateral))
    if measure == "asymmetry":
        return np.abs(_joint_angle(b, driving_joint, "left") - _joint_angle(b, driving_joint, "right"))
    if measure == "chin_over_bar":
        nose = b.p("nose") if b.is_blaze else b.p("head")
        hands = _mid_or_one(b.p("left_wrist"), b.p("right_wrist"))
        return (nose[:, 1] - hands[:, 1]) / torso
    if measure == "feet_width":
        aw = np.abs(b.p("left_ankle")[:, 0] - b.p("right_ankle")[:, 0])
        sw = np.abs(b.p("left_shoulder")[:, 0] - b.p("right_shoulder")[:, 0])
        ref = np.nanmedian(sw) if np.isfinite(sw).any() else np.nan
        return aw / ref if ref and ref > 0 else nan
    return nan  # rep-level timing measures


# ----------------------------------------------------------------------------------------------- view


@dataclass(frozen=True)
class ViewEstimate:
    """Camera view of a sequence: ``view`` (front / side / oblique / unknown), ``width_ratio`` (median body
    width / torso length in the image), ``depth_yaw_deg`` (angle of the shoulder line out of the image plane
    from MediaPipe z, NaN when unknown)."""

    view: str
    width_ratio: float
    depth_yaw_deg: float

    def to_dict(self) -> dict[str, Any]:
        f = lambda v: None if not np.isfinite(v) else round(float(v), 3)  # noqa: E731
        return {"view": self.view, "width_ratio": f(self.width_ratio), "depth_yaw_deg": f(self.depth_yaw_deg)}


#: Width ratio at or above which the view is ``front`` and at or below which it is ``side``.
FRONT_RATIO = 0.45
SIDE_RATIO = 0.25


def detect_view(seq: PoseSequence, min_visibility: float | None = None) -> ViewEstimate:
    """Classify the camera view from the pose (module docstring).

    Returns a :class:`ViewEstimate`; ``unknown`` when shoulders and hips are never visible together.
    Visibility is deliberately not required for the far side here (MediaPipe marks it low in a side view,
    which is itself evidence): landmarks are used with visibility >= 0.1.
    """
    b = _Body(seq, min(_min_vis(seq, min_visibility), 0.1))
    sw = np.linalg.norm(b.p("left_shoulder") - b.p("right_shoulder"), axis=-1)
    hw = np.linalg.norm(b.p("left_hip") - b.p("right_hip"), axis=-1)
    torso = b.torso()
    with np.errstate(all="ignore"):
        ratio = _nanmean2(sw, hw) / torso
    ratio = ratio[np.isfinite(ratio)]
    yaw = float("nan")
    if np.isfinite(b.z).any():
        dz = b.z[:, b._idx["left_shoulder"]] - b.z[:, b._idx["right_shoulder"]]
        dx = b.xy[:, b._idx["left_shoulder"]] - b.xy[:, b._idx["right_shoulder"]]
        y = np.degrees(np.arctan2(np.abs(dz), np.linalg.norm(dx, axis=-1)))
        y = y[np.isfinite(y)]
        if y.size:
            yaw = float(np.median(y))
    if ratio.size == 0:
        return ViewEstimate("unknown", float("nan"), yaw)
    r = float(np.median(ratio))
    if r >= FRONT_RATIO:
        view = "front"
    elif r <= SIDE_RATIO:
        view = "side"
    elif np.isfinite(yaw) and yaw >= 60:
        view = "side"
    elif np.isfinite(yaw) and yaw <= 25:
        view = "front"
    else:
        view = "oblique"
    return ViewEstimate(view, r, yaw)


# ----------------------------------------------------------------------------------------------- report types


@dataclass(frozen=True)
class FormIssue:
    """One form problem.

    ``check``: rule name (e.g. ``depth``); ``cue``: plain-words advice with numbers; ``rep_index``: index of
    the :class:`Repetition` (None for holds); ``frame``: frame index in the sequence where it was measured;
    ``time_s``: that frame's time in seconds; ``value``/``limit``: the measured value and the broken bound in
    ``unit`` (``deg``, ``s``, ``torso`` = torso lengths, ``ratio``); ``severity``: 0..1 (share of the check's
    weight lost); ``source``: where the threshold comes from; ``duration_s``: for holds, how long it lasted.
    """

    check: str
    cue: str
    rep_index: int | None
    frame: int
    time_s: float
    value: float
    limit: float
    unit: str
    severity: float
    source: str
    duration_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "cue": self.cue, "rep_index": self.rep_index, "frame": self.frame,
            "time_s": round(self.time_s, 3), "value": round(self.value, 3), "limit": round(self.limit, 3),
            "unit": self.unit, "severity": round(self.severity, 3), "source": self.source,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
        }


@dataclass(frozen=True)
class RepForm:
    """Form of one repetition: 0-100 ``score``, its ``issues``, and every ``measurements[check]`` value
    (None where the landmarks were not visible enough)."""

    index: int
    start_frame: int
    turn_frame: int
    end_frame: int
    start_s: float
    end_s: float
    score: float
    issues: tuple[FormIssue, ...]
    measurements: dict[str, float | None]
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "start_frame": self.start_frame, "turn_frame": self.turn_frame,
            "end_frame": self.end_frame, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
            "score": round(self.score, 1), "partial": self.partial,
            "issues": [i.to_dict() for i in self.issues],
            "measurements": {k: None if v is None else round(v, 3) for k, v in self.measurements.items()},
        }


@dataclass(frozen=True)
class SkippedCheck:
    """A check that was not run: ``reason`` in words and ``camera`` advice (empty when not a view problem)."""

    check: str
    reason: str
    camera: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "reason": self.reason, "camera": self.camera}


@dataclass(frozen=True)
class HoldSummary:
    """A hold (plank): ``hold_s`` seconds in position (frames with a measurable, horizontal body),
    ``good_s`` seconds of those without any issue, and the frame range ``start_frame``..``end_frame``."""

    hold_s: float
    good_s: float
    start_frame: int
    end_frame: int

    def to_dict(self) -> dict[str, Any]:
        return {"hold_s": round(self.hold_s, 2), "good_s": round(self.good_s, 2),
                "start_frame": self.start_frame, "end_frame": self.end_frame}


#: A check weighing at least this many points (of 100) in its rule file is a *major fault*: one repetition (or
#: hold segment) failing it makes the set's verdict "incorrect" (:attr:`FormReport.verdict`); lighter checks
#: (push-up: lockout 15, elbow flare 15, symmetry 10, tempo 10) are cues only. Chosen by grouped 5-fold
#: cross-validation on the labelled push-up / squat / plank videos of ``../shared/data/videos`` among three set
#: verdicts (a major fault, a mean repetition score below 80, any issue): the major fault won in every fold, 77.1%
#: held out when chosen, 78.0% once clips with several people in view were analysed on the person exercising,
#: 77.1% since the repetition counter joins half cycles (one push-up clip counted as 3 cycles; the choice is the
#: same in every fold) (``benchmarks/form_verdict_cv.py``, ``benchmarks/results/form_verdict_cv.json``).
MAJOR_FAULT_WEIGHT = 20.0


@dataclass(frozen=True)
class FormReport:
    """Form of a whole set.

    ``exercise``; ``mode`` (``reps``, ``hold`` or ``none`` when no rules exist); ``view``
    (:class:`ViewEstimate`); ``reps`` (:class:`RepForm` per repetition); ``issues`` (all, in time order);
    ``skipped`` (:class:`SkippedCheck`); ``hold`` (:class:`HoldSummary` for holds); ``score`` (mean rep score,
    or the hold score; None when nothing was judged); ``message`` (one-line summary in words); ``checks_run``;
    ``major_faults`` (checks weighing >= :data:`MAJOR_FAULT_WEIGHT` that failed at least once, in rule-file
    order) and from them :attr:`verdict`.
    """

    exercise: str
    mode: str
    view: ViewEstimate | None
    reps: tuple[RepForm, ...] = ()
    issues: tuple[FormIssue, ...] = ()
    skipped: tuple[SkippedCheck, ...] = ()
    hold: HoldSummary | None = None
    score: float | None = None
    message: str = ""
    checks_run: tuple[str, ...] = ()
    major_faults: tuple[str, ...] = ()

    @property
    def verdict(self) -> str | None:
        """The set's form: ``"incorrect"`` when it shows a major fault (:data:`MAJOR_FAULT_WEIGHT`),
        ``"correct"`` when it was judged without one, None when nothing was judged (no rules, no repetitions,
        no hold)."""
        if self.mode == "none" or self.score is None:
            return None
        return "incorrect" if self.major_faults else "correct"

    @property
    def major_faults_in_words(self) -> str:
        """The major faults for people, e.g. ``"depth, hip sag"`` (empty without any)."""
        return _faults_in_words(self.major_faults)

    @property
    def issue_counts(self) -> dict[str, int]:
        """Check name -> number of repetitions (or hold segments) where it failed."""
        out: dict[str, int] = {}
        for i in self.issues:
            out[i.check] = out.get(i.check, 0) + 1
        return out

    def shifted(self, frames: int) -> "FormReport":
        """The same report with every frame index (repetitions, issues, hold) moved by ``frames``, for a report
        made on ``seq.slice(a, b)`` and read in the frames of ``seq`` (``frames = a``); times are unchanged."""
        def issue(i: FormIssue) -> FormIssue:
            return replace(i, frame=i.frame + frames)

        reps = tuple(replace(r, start_frame=r.start_frame + frames, turn_frame=r.turn_frame + frames,
                             end_frame=r.end_frame + frames, issues=tuple(issue(i) for i in r.issues))
                     for r in self.reps)
        hold = None if self.hold is None else replace(self.hold, start_frame=self.hold.start_frame + frames,
                                                      end_frame=self.hold.end_frame + frames)
        return replace(self, reps=reps, issues=tuple(issue(i) for i in self.issues), hold=hold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise, "mode": self.mode,
            "view": None if self.view is None else self.view.to_dict(),
            "score": None if self.score is None else round(self.score, 1),
            "verdict": self.verdict, "major_faults": list(self.major_faults),
            "message": self.message, "checks_run": list(self.checks_run),
            "issue_counts": self.issue_counts,
            "reps": [r.to_dict() for r in self.reps],
            "issues": [i.to_dict() for i in self.issues],
            "skipped": [s.to_dict() for s in self.skipped],
            "hold": None if self.hold is None else self.hold.to_dict(),
        }


# ----------------------------------------------------------------------------------------------- assessment


def _fmt_cue(rule: CheckRule, value: float, limit: float, excess: float) -> str:
    try:
        return rule.cue.format(value=value, limit=limit, excess=excess, abs_value=abs(value))
    except (KeyError, ValueError, IndexError):
        return f"{rule.cue} ({rule.measure} = {value:.1f} {rule.unit}, limit {limit:.1f})"


def _reduce(series: np.ndarray, rule: CheckRule, rep: Repetition) -> tuple[float, int]:
    """``(value, frame)`` of a rule's reduction over a repetition's frames (NaN, turn when unmeasurable)."""
    s0, e0 = rep.start_frame, rep.end_frame + 1
    seg = series[s0:e0]
    ok = np.isfinite(seg)
    if rule.reduce == "at_turn":
        # robust: median within +-2 frames of the turn
        lo, hi = max(rep.turn_frame - 2, 0), rep.turn_frame + 3
        w = series[lo:hi]
        w = w[np.isfinite(w)]
        return (float(np.median(w)), rep.turn_frame) if w.size else (float("nan"), rep.turn_frame)
    if ok.sum() < max(2, int(0.3 * len(seg))):
        return float("nan"), rep.turn_frame
    idx = np.flatnonzero(ok)
    vals = seg[ok]
    if rule.reduce == "min":
        k = int(np.argmin(vals))
        return float(vals[k]), s0 + int(idx[k])
    if rule.reduce == "max":
        k = int(np.argmax(vals))
        return float(vals[k]), s0 + int(idx[k])
    if rule.reduce == "mean":
        return float(vals.mean()), rep.turn_frame
    # range: the frame farthest from the rep's first measured value
    k = int(np.argmax(np.abs(vals - vals[0])))
    return float(vals.max() - vals.min()), s0 + int(idx[k])


def moving_median(x: np.ndarray, n: int) -> np.ndarray:
    """``(T,)`` centred moving median of ``x`` ``(T,)`` over ``n`` frames, ignoring NaN (NaN where the window
    holds nothing finite); ``n <= 1`` returns ``x`` unchanged."""
    if n <= 1 or x.size == 0:
        return x
    h = n // 2
    pad = np.pad(x, h, mode="constant", constant_values=np.nan)
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * h + 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(win, axis=1)


def _view_ok(rule: CheckRule, view: str) -> bool:
    return not rule.views or view in rule.views or view == "unknown"


def _skip_reason(name: str, rule: CheckRule, view: str) -> SkippedCheck:
    need = " or ".join(rule.views)
    return SkippedCheck(
        name, f"{name} ({MEASURES[rule.measure][1]}) needs a {need} view; the camera sees you from the {view}",
        VIEW_ADVICE.get(rule.views[0], ""),
    )


def whole_sequence_repetition(seq: PoseSequence, exercise: str | None = None) -> RepetitionCount:
    """One :class:`Repetition` spanning the whole sequence (for short clips of a single performance, e.g.
    Pose Trainer, judged as a whole as Pose Trainer does). The turn is the frame where the exercise's driving
    joint angle (:data:`repvision.reps.EXERCISE_JOINTS`) is farthest from its first value; mid-sequence when
    unknown."""
    from repvision.reps import EXERCISE_JOINTS

    T = len(seq)
    if T == 0:
        return RepetitionCount((), "whole", "whole-sequence")
    turn = T // 2
    joint = EXERCISE_JOINTS.get(exercise or "", (None, None))[0]
    if joint in ("knee", "elbow", "hip", "shoulder"):
        a = moving_median(measure_series(seq, f"{joint}_angle"), 5)
        ok = np.flatnonzero(np.isfinite(a))
        if ok.size:
            turn = int(ok[np.argmax(np.abs(a[ok] - a[ok[0]]))])
    t = seq.timestamps
    r = Repetition(0, 0, turn, T - 1, float(t[0]), float(t[turn]), float(t[-1]))
    return RepetitionCount((r,), "whole", "whole-sequence")


def assess_form(seq: PoseSequence, exercise: str, repetitions: RepetitionCount | None = None, *,
                rules: RuleSet | None = None, view: str | None = None,
                min_visibility: float | None = None) -> FormReport:
    """Judge the form of every repetition (or of a hold) of one set.

    Parameters
    ----------
    seq:
        ``(T, V, 4)`` keypoints of one person (BlazePose-33 best; any skeleton with a 13-joint mapping works,
        measures needing feet/nose are then unavailable). Timestamps in seconds.
    exercise:
        Exercise label (vocabulary of the data README, e.g. ``squat``).
    repetitions:
        The repetitions of the set (:func:`repvision.reps.count_repetitions`); ignored for holds. Partial
        repetitions are judged too and flagged ``partial``.
    rules:
        Rules to use instead of the exercise's rule file.
    view:
        Force the camera view (``front``, ``side``, ``oblique``) instead of detecting it.
    min_visibility:
        Landmarks below this visibility are treated as missing and never produce a cue (None: per skeleton,
        :data:`SKELETON_MIN_VISIBILITY`; 0.5 for MediaPipe BlazePose).

    Returns
    -------
    :class:`FormReport`. An exercise without rules gives an empty report (``mode == "none"``) whose message
    says so. Never raises for short or empty sequences.

    Raises
    ------
    ConfigError
        When the exercise's rule file is malformed (e.g. an unknown key).
    """
    rs = rules if rules is not None else load_rules(exercise)
    if rs is None:
        return FormReport(exercise, "none", None,
                          message=f"No form rules exist for '{exercise}'; "
                                  f"rules exist for: {', '.join(available_exercises())}.")
    min_visibility = _min_vis(seq, min_visibility)
    vest = detect_view(seq, min_visibility) if view is None else ViewEstimate(view, float("nan"), float("nan"))
    v = vest.view
    active: dict[str, CheckRule] = {}
    skipped: list[SkippedCheck] = []
    for name, rule in rs.checks.items():
        if _view_ok(rule, v):
            active[name] = rule
        else:
            skipped.append(_skip_reason(name, rule, v))
    body = _Body(seq, min_visibility) if len(seq) else None
    series: dict[str, np.ndarray] = {}
    smooth_n = max(1, int(round(0.1 * seq.fps))) if len(seq) > 1 else 1
    for name, rule in active.items():
        if rule.measure in ("rep_duration", "eccentric_s", "concentric_s"):
            continue
        if rule.measure not in series and body is not None:
            raw = measure_series(seq, rule.measure, v, rs.driving_joint, min_visibility, body)
            series[rule.measure] = moving_median(raw, smooth_n)
    if body is not None and seq.skeleton is not BLAZEPOSE_33:
        for name, rule in active.items():
            if rule.measure in ("knee_over_toe",):
                skipped.append(SkippedCheck(name, f"{name} needs foot landmarks, which {seq.skeleton.name} "
                                                  "does not have", ""))
    if rs.mode == "hold":
        return _assess_hold(seq, rs, active, series, vest, skipped)
    reps_in = tuple(repetitions.repetitions) if repetitions is not None else ()
    rep_forms: list[RepForm] = []
    all_issues: list[FormIssue] = []
    t = seq.timestamps
    for rep in reps_in:
        issues: list[FormIssue] = []
        meas: dict[str, float | None] = {}
        lost = 0.0
        for name, rule in active.items():
            if rule.measure == "rep_duration":
                value, frame = rep.duration_s, rep.end_frame
            elif rule.measure in ("eccentric_s", "concentric_s"):
                raw = getattr(rep, rule.measure)
                value, frame = (float("nan") if raw is None else float(raw)), rep.turn_frame
            else:
                s = series.get(rule.measure)
                if s is None:
                    continue
                value, frame = _reduce(s, rule, rep)
            meas[name] = float(value) if np.isfinite(value) else None
            excess, limit = rule.excess(value)
            if limit is None:
                continue
            pen = rule.penalty(excess)
            lost += pen
            frame = int(np.clip(frame, 0, len(seq) - 1))
            issues.append(FormIssue(
                name, _fmt_cue(rule, value, limit, excess), rep.index, frame, float(t[frame]), float(value),
                float(limit), rule.unit, pen / rule.weight if rule.weight else 1.0, rule.source,
            ))
        rf = RepForm(rep.index, rep.start_frame, rep.turn_frame, rep.end_frame, rep.start_s, rep.end_s,
                     max(0.0, 100.0 - lost), tuple(issues), meas, rep.partial)
        rep_forms.append(rf)
        all_issues.extend(issues)
    score = float(np.mean([r.score for r in rep_forms])) if rep_forms else None
    major = _major_faults(active, all_issues)
    msg = _summary_message(exercise, rep_forms, all_issues, skipped, v, major)
    return FormReport(exercise, "reps", vest, tuple(rep_forms), tuple(all_issues), tuple(skipped), None, score,
                      msg, tuple(active), major)


def _faults_in_words(checks: tuple[str, ...]) -> str:
    return ", ".join(c.replace("_", " ") for c in checks)


def _major_faults(active: dict[str, CheckRule], issues: list[FormIssue]) -> tuple[str, ...]:
    """Checks weighing >= :data:`MAJOR_FAULT_WEIGHT` with at least one issue, in rule-file order."""
    failed = {i.check for i in issues}
    return tuple(n for n, r in active.items() if n in failed and r.weight >= MAJOR_FAULT_WEIGHT)


def _summary_message(exercise: str, reps: list[RepForm], issues: list[FormIssue], skipped: list[SkippedCheck],
                     view: str, major: tuple[str, ...] = ()) -> str:
    if not reps:
        return f"No repetitions to judge for {exercise}."
    counts: dict[str, int] = {}
    for i in issues:
        counts[i.check] = counts.get(i.check, 0) + 1
    mean = np.mean([r.score for r in reps])
    parts = [f"{len(reps)} repetitions judged from a {view} view, mean form score {mean:.0f}/100"]
    if counts:
        top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
        parts.append("most frequent: " + ", ".join(f"{k} in {n} of {len(reps)}" for k, n in top))
    else:
        parts.append("no form issues found")
    parts.append("major fault: " + _faults_in_words(major) if major else "no major fault")
    if skipped:
        parts.append(f"{len(skipped)} check(s) skipped for the camera view")
    return "; ".join(parts) + "."


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) index runs where ``mask`` is True."""
    if not mask.any():
        return []
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


def _assess_hold(seq: PoseSequence, rs: RuleSet, active: dict[str, CheckRule], series: dict[str, np.ndarray],
                 vest: ViewEstimate, skipped: list[SkippedCheck]) -> FormReport:
    """Hold time and form over time (plank): the hold is the longest run of frames where the trunk is
    within 45 degrees of horizontal (gaps under 0.5 s bridged); each violation lasting at least the rule's
    ``min_duration_s`` is one :class:`FormIssue` at its worst frame."""
    T = len(seq)
    t = seq.timestamps
    if T < 2:
        return FormReport(rs.exercise, "hold", vest, skipped=tuple(skipped), message="Too few frames for a hold.")
    lean = moving_median(measure_series(seq, "trunk_lean", vest.view), max(1, int(round(0.2 * seq.fps))))
    in_pos = np.isfinite(lean) & (lean > 45.0)
    gap = max(1, int(round(0.5 * seq.fps)))
    for s, e in _runs(~in_pos):  # bridge short gaps
        if e - s + 1 <= gap and s > 0 and e < T - 1:
            in_pos[s:e + 1] = True
    runs = _runs(in_pos)
    if not runs:
        return FormReport(rs.exercise, "hold", vest, skipped=tuple(skipped), hold=HoldSummary(0.0, 0.0, 0, 0),
                          message="No hold position found (the body never stayed near horizontal).",
                          checks_run=tuple(active))
    s0, e0 = max(runs, key=lambda r: t[r[1]] - t[r[0]])
    dt = np.diff(t, append=t[-1] + (t[-1] - t[-2]))
    hold_s = float(t[e0] - t[s0])
    bad_any = np.zeros(T, bool)
    issues: list[FormIssue] = []
    for name, rule in active.items():
        sser = series.get(rule.measure)
        if sser is None:
            continue
        seg = np.full(T, np.nan)
        seg[s0:e0 + 1] = sser[s0:e0 + 1]
        with np.errstate(invalid="ignore"):
            bad = np.zeros(T, bool)
            if rule.min is not None:
                bad |= seg < rule.min
            if rule.max is not None:
                bad |= seg > rule.max
        for a, b in _runs(bad):
            dur = float(t[b] - t[a] + dt[b])
            if dur < rule.min_duration_s:
                continue
            w = seg[a:b + 1]
            exc = np.array([rule.excess(x)[0] for x in w])
            k = int(np.argmax(exc))
            value = float(w[k])
            excess, limit = rule.excess(value)
            bad_any[a:b + 1] = True
            cue = _fmt_cue(rule, value, limit, excess) + f" (for {dur:.1f} s from {t[a]:.1f} s)"
            issues.append(FormIssue(name, cue, None, a + k, float(t[a + k]), value, float(limit), rule.unit,
                                    rule.penalty(excess) / rule.weight if rule.weight else 1.0, rule.source, dur))
    bad_s = float(np.sum(dt[s0:e0 + 1][bad_any[s0:e0 + 1]]))
    good_s = max(0.0, hold_s - bad_s)
    score = 100.0 * good_s / hold_s if hold_s > 0 else None
    issues.sort(key=lambda i: i.frame)
    major = _major_faults(active, issues)
    msg = (f"Held {hold_s:.1f} s seen from the {vest.view}; {good_s:.1f} s in good form"
           + (f"; {len(issues)} form issue(s)" if issues else "")
           + ("; major fault: " + _faults_in_words(major) if major else "") + ".")
    return FormReport(rs.exercise, "hold", vest, (), tuple(issues), tuple(skipped),
                      HoldSummary(hold_s, good_s, int(s0), int(e0)), score, msg, tuple(active), major)
