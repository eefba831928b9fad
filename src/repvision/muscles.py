"""Muscle groups worked by each exercise of the vocabulary.

Groups use the 11 coarse groups of the X3D/SlowFast muscle-group prediction work (triceps, lats, biceps,
quads, glutes, shoulders, abs, obliques, chest, lower back, hamstrings) plus ``calves``, ``traps`` and
``forearms`` where an exercise clearly works them.

Source of the assignments: the ExRx.net Exercise & Muscle Directory (target = primary, synergists = secondary)
cross-checked with Haff & Triplett (eds.), *Essentials of Strength Training and Conditioning*, NSCA, 4th ed.,
2016, ch. 15 (exercise technique). Sport movements without a single standard form (pommel horse,
clean and jerk, jump rope) follow the muscles named for their phases in the same references.
"""

from __future__ import annotations

from typing import Iterable

from repvision.types import ExercisePrediction, MuscleActivation, MuscleGroups

#: The 11 muscle groups used for activation estimates (order of the X3D/SlowFast muscle-group work).
MUSCLE_GROUPS: tuple[str, ...] = (
    "triceps", "lats", "biceps", "quads", "glutes", "shoulders", "abs", "obliques", "chest", "lower_back",
    "hamstrings",
)

SOURCE = ("ExRx.net Exercise & Muscle Directory; Haff & Triplett, Essentials of Strength Training and "
          "Conditioning (NSCA, 4th ed., 2016)")

# exercise -> (primary, secondary)
_TABLE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "squat": (("quads", "glutes"), ("hamstrings", "lower_back", "abs", "calves")),
    "push_up": (("chest", "triceps"), ("shoulders", "abs")),
    "pull_up": (("lats", "biceps"), ("shoulders", "forearms", "traps", "abs")),
    "bench_press": (("chest", "triceps"), ("shoulders",)),
    "jumping_jack": (("shoulders", "calves"), ("glutes", "quads", "abs")),
    "sit_up": (("abs",), ("obliques", "quads")),
    "clean_and_jerk": (("quads", "glutes", "shoulders"), ("hamstrings", "lower_back", "traps", "triceps")),
    "jump_rope": (("calves",), ("quads", "shoulders", "forearms")),
    "front_raise": (("shoulders",), ("chest", "traps")),
    "bicep_curl": (("biceps",), ("forearms", "shoulders")),
    "shoulder_press": (("shoulders", "triceps"), ("traps", "chest", "abs")),
    "shoulder_shrug": (("traps",), ("shoulders", "forearms")),
    "lateral_raise": (("shoulders",), ("traps",)),
    "dip": (("triceps", "chest"), ("shoulders",)),
    "plank": (("abs",), ("obliques", "shoulders", "lower_back", "glutes")),
    "russian_twist": (("obliques", "abs"), ("lower_back",)),
    "deadlift": (("glutes", "hamstrings", "lower_back"), ("quads", "traps", "forearms", "lats")),
    "lunge": (("quads", "glutes"), ("hamstrings", "calves")),
    "pommel_horse": (("shoulders", "abs"), ("triceps", "chest", "obliques", "lats")),
}


#: Every group name an exercise may list: the 11 :data:`MUSCLE_GROUPS` plus those the sources name beside them.
KNOWN_GROUPS: frozenset[str] = frozenset(MUSCLE_GROUPS) | {"calves", "traps", "forearms"}
#: The ``source`` of muscle groups declared in one's own rule file (:attr:`repvision.form.RuleSet.primary_muscles`).
OWN_SOURCE = "your own rule file"

#: Extra muscle entries: exercise -> (primary, secondary), e.g. from one's own rule files; they take precedence
#: over the shipped table.
Extra = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


def muscles_for(exercise: str, extra: Extra | None = None) -> MuscleGroups | None:
    """Primary and secondary muscle groups of ``exercise`` (a vocabulary label, or one in ``extra``), or None
    when unknown/other."""
    if extra and exercise in extra:
        return MuscleGroups(exercise, extra[exercise][0], extra[exercise][1], OWN_SOURCE)
    entry = _TABLE.get(exercise)
    if entry is None:
        return None
    return MuscleGroups(exercise, entry[0], entry[1], SOURCE)


def known_exercises() -> tuple[str, ...]:
    """Exercises with a muscle-group entry."""
    return tuple(_TABLE)


#: Weight of a primary (target) and a secondary (synergist) muscle group in :func:`activation_from_prediction`.
PRIMARY_WEIGHT = 1.0
SECONDARY_WEIGHT = 0.5


def activation_from_prediction(prediction: ExercisePrediction | Iterable[tuple[str, float]],
                               extra: Extra | None = None) -> MuscleActivation:
    """Probability-weighted activation of the 11 :data:`MUSCLE_GROUPS` for one video.

    Each exercise the classifier considered contributes its probability times 1.0 (:data:`PRIMARY_WEIGHT`) to
    its primary groups and times 0.5 (:data:`SECONDARY_WEIGHT`) to its secondary groups; the sums are divided
    by their maximum, so the most worked group is 1.0. An uncertain prediction (e.g. squat 0.5, lunge 0.3,
    deadlift 0.2) therefore spreads the activation over the groups of every candidate instead of picking one
    exercise's muscles. Groups outside the 11 (calves, traps, forearms) are left out of the estimate.

    This is a coarse estimate from the muscle assignments of the module's sources (ExRx.net Exercise & Muscle
    Directory; Haff & Triplett, *Essentials of Strength Training and Conditioning*, NSCA, 4th ed., 2016), not
    a measurement (no EMG): it does not depend on load, tempo or form.

    Parameters
    ----------
    prediction:
        An :class:`ExercisePrediction` (its ``top`` pairs are used, falling back to ``(label, confidence)``
        when ``top`` is empty) or an iterable of ``(label, probability)`` pairs, probabilities in [0, 1].
        Labels without a muscle entry (``other``, ``unknown``, sports negatives) contribute nothing.
    extra:
        Muscle entries of exercises outside the table (or replacing its entry), exercise -> (primary,
        secondary), e.g. from one's own rule files.

    Returns
    -------
    :class:`MuscleActivation` with every one of the 11 groups (values in [0, 1]; all 0 when no candidate has
    a muscle entry).

    Raises
    ------
    ValueError
        A probability is negative or not finite.
    """
    if isinstance(prediction, ExercisePrediction):
        pairs = tuple(prediction.top) or ((prediction.label, prediction.confidence),)
    else:
        pairs = tuple(prediction)
    pairs = tuple((str(lab), float(p)) for lab, p in pairs)
    raw = {g: 0.0 for g in MUSCLE_GROUPS}
    for label, p in pairs:
        if not (p >= 0.0 and p < float("inf")):
            raise ValueError(f"probability of {label!r} must be a finite number >= 0, got {p}")
        entry = (extra or {}).get(label) or _TABLE.get(label)
        if entry is None:
            continue
        for group in entry[0]:
            if group in raw:
                raw[group] += PRIMARY_WEIGHT * p
        for group in entry[1]:
            if group in raw:
                raw[group] += SECONDARY_WEIGHT * p
    top = max(raw.values())
    activation = {g: (v / top if top > 0 else 0.0) for g, v in raw.items()}
    method = (f"classifier-probability-weighted sum over the top-{len(pairs)} exercises: primary groups x "
              f"{PRIMARY_WEIGHT:g}, secondary x {SECONDARY_WEIGHT:g}, normalised to a maximum of 1")
    own = sorted({lab for lab, _ in pairs if extra and lab in extra})
    source = SOURCE + (f"; {OWN_SOURCE} for {', '.join(own)}" if own else "")
    return MuscleActivation(activation, pairs, method, source)
