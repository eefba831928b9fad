"""The sample type shared by the dataset loaders of :mod:`repvision.datasets`."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repvision.errors import ManifestError
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


def read_table(path: Path, required: tuple[str, ...], expected: str, fix: str) -> list[dict[str, str]]:
    """The rows of the CSV file ``path`` (header row first), after checking that it has the ``required``
    columns.

    Raises
    ------
    ManifestError
        A required column is missing: ``expected`` (what the columns should be) and ``fix`` go into the
        message beside the columns found. (The caller checks that the file exists, with its own message.)
    """
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        lacking = [c for c in required if c not in cols]
        if lacking:
            raise ManifestError(
                expected=expected, found=f"columns {', '.join(cols) or '(none)'}; missing {', '.join(lacking)}",
                fix=fix)
        return list(reader)


def require_files(folder: Path, names: tuple[str, ...], expected: str, fix: str) -> None:
    """Check that ``folder`` holds every file in ``names``.

    Raises
    ------
    ManifestError
        Some are missing (the message names them, and says when the folder itself does not exist).
    """
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise ManifestError(
            expected=expected,
            found=f"no {', '.join(missing)}" + ("" if folder.is_dir() else " (the folder does not exist)"),
            fix=fix)
