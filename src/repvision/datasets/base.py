"""The sample type shared by the dataset loaders of :mod:`repvision.datasets`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repvision.types import PoseSequence


@dataclass(frozen=True, eq=False)
class Sample:
    """One labelled pose sequence from a dataset.

    Attributes
    ----------
    name:
        Identifier unique within its dataset (file key or relative path).
    label:
        Normalised exercise label (the repvision vocabulary), or a dataset's own name for a non-exercise
        class (e.g. Penn Action's ``golf_swing``).
    group_id:
        Source group: samples sharing it (same source video, same person and setting) must stay on the same
        side of any train/test split. Datasets without group information use ``name``.
    pose:
        The keypoints, in the dataset's own skeleton and coordinate space (``(T, V, 4)``).
    meta:
        Dataset-specific extra fields (view, split, form label, repetition count, ...).
    """

    name: str
    label: str
    group_id: str
    pose: PoseSequence
    meta: dict[str, Any] = field(default_factory=dict)
