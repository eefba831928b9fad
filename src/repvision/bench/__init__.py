"""Benchmarks behind ``repvision bench ...``: each prints tables and ends with one JSON line of figures."""

from __future__ import annotations

import json
from typing import Any, Callable

import numpy as np


def choose_per_fold(folds: np.ndarray, n_options: int, train_loss: Callable[[int, np.ndarray], Any]
                    ) -> dict[int, int]:
    """Held-out model selection: for each fold, the option to apply to it, chosen on the other folds only.

    ``folds``: ``(N,)`` fold index of every item; ``train_loss(j, train)``: the (sortable) loss of option ``j``
    on the items where the bool mask ``train`` ``(N,)`` is True. Returns ``{fold: option}`` in fold order, the
    option with the lowest loss (ties: the lowest index); folds without items are left out.
    """
    folds = np.asarray(folds)
    out: dict[int, int] = {}
    for f in range(int(folds.max()) + 1 if folds.size else 0):
        if not np.any(folds == f):
            continue
        train = folds != f
        out[f] = min(range(n_options), key=lambda j: (train_loss(j, train), j))
    return out


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` strings (the benchmark scripts' ``--set`` options) as a dict, each value read as JSON
    (``confirm=3`` -> 3, ``report=true`` -> True, ``mode='"x"'`` -> "x"). Raises ``ValueError`` naming an item
    without ``=`` or with a value that is not JSON."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"--set {name}: the value must be JSON (a number, true/false, or a quoted string), "
                             f"got {value!r}") from None
    return out


def setting_arg(item: str) -> tuple[str, Any]:
    """An argparse ``type`` for a repeatable ``--set NAME=VALUE`` option: ``(name, value)`` as
    :func:`parse_settings` reads it (``dict(args.set)`` gives the settings); a bad item is an argparse error
    with :func:`parse_settings`' message."""
    import argparse

    try:
        return next(iter(parse_settings([item]).items()))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_repcount_options(parser, script: str, *, setting_help: str | None = None, jobs: bool = True) -> None:
    """Add the options the RepCount-A benchmark scripts share to an ``argparse.ArgumentParser``:
    ``--data`` (a RepCount-A-layout folder; default ``../shared/data/repcount_a`` beside the repository that holds
    ``script``, the calling file's ``__file__``), ``--set NAME=VALUE`` (repeatable, :func:`setting_arg`; only
    when ``setting_help`` names what the settings are) and ``--jobs`` (worker processes, default 2; unless
    ``jobs`` is False)."""
    from pathlib import Path

    default = Path(script).resolve().parents[2] / "shared" / "data" / "repcount_a"
    parser.add_argument("--data", type=Path, default=default,
                        help="folder with poses.npz and annotations.csv (default: %(default)s)")
    if setting_help is not None:
        parser.add_argument("--set", action="append", default=[], type=setting_arg, metavar="NAME=VALUE",
                            help=f"{setting_help} (repeatable)")
    if jobs:
        parser.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")


def choose_binary_verdict(verdicts: list[np.ndarray], names: list[str], y: np.ndarray, groups: np.ndarray,
                          seeds: int = 5, n_splits: int = 5) -> list[dict[str, Any]]:
    """Choose among candidate binary verdicts by grouped cross-validation (needs scikit-learn).

    ``verdicts``: one ``(N,)`` 0/1 array per option (list order = tie-break preference), ``names`` their names;
    ``y`` ``(N,)`` 0/1 truth; ``groups`` ``(N,)`` group ids (all items of a group in one fold). For each seed
    ``0..seeds-1``, ``StratifiedGroupKFold(n_splits, shuffle=True)``; per fold the option with the best accuracy on
    the other folds (:func:`choose_per_fold`) is applied to the fold. Returns per seed ``{"seed", "chosen" (names
    per fold), "held_out" (:func:`repvision.form_models.binary_metrics` of the pooled held-out verdicts)}``.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    from repvision.form_models import binary_metrics

    y = np.asarray(y)
    runs = []
    for seed in range(seeds):
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        folds = np.zeros(len(y), dtype=int)
        for f, (_, te) in enumerate(cv.split(np.zeros(len(y)), y, groups)):
            folds[te] = f
        choice = choose_per_fold(folds, len(verdicts), lambda j, tr: -float(np.mean(verdicts[j][tr] == y[tr])))
        pred = np.array([verdicts[choice[f]][i] for i, f in enumerate(folds)])
        runs.append({"seed": seed, "chosen": [names[j] for j in choice.values()],
                     "held_out": binary_metrics(y, pred)})
    return runs


def mean_held_out_accuracy(runs: list[dict[str, Any]]) -> float:
    """Mean over the seeds of :func:`choose_binary_verdict`'s pooled held-out accuracy, rounded to 4 places."""
    return round(float(np.mean([r["held_out"]["accuracy"] for r in runs])), 4)
