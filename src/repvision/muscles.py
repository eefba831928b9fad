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

from repvision.types import MuscleGroups

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


def muscles_for(exercise: str) -> MuscleGroups | None:
    """Primary and secondary muscle groups of ``exercise`` (a vocabulary label), or None when unknown/other."""
    entry = _TABLE.get(exercise)
    if entry is None:
        return None
    return MuscleGroups(exercise, entry[0], entry[1], SOURCE)


def known_exercises() -> tuple[str, ...]:
    """Exercises with a muscle-group entry."""
    return tuple(_TABLE)
