"""Benchmarks behind ``repvision bench ...``: each prints tables and ends with one JSON line of figures."""

from __future__ import annotations

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
