"""Grouped cross-validation of the offline counter on RepCount-A over a grid of counter settings of your
choice (``repvision bench reps`` cross-validates its own fixed grid, :data:`repvision.bench.reps.CV_GRID`).

    .venv/bin/python benchmarks/reps_cv_grid.py --grid variance_weight=0,0.25,0.5 \
        --grid regularity_weight=0,0.25,0.5,0.75,1 [--data ../shared/data/repcount_a] [--jobs 2]

Every combination is counted on every video; per fold the combination with the lowest training-fold MAE is
applied to the held-out fold, and the split is repeated with 5 seeds (:func:`repvision.bench.reps.cross_validate`;
figures are the means over the repeats). Last line: one JSON object with the
cross-validated MAE/OBO, the combination each fold chose and every combination's in-sample MAE/OBO.
"""

from __future__ import annotations

import argparse
import json

from repvision.bench import add_repcount_options
from repvision.bench.reps import cross_validate
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import RepCounterConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__)
    ap.add_argument("--grid", action="append", required=True, metavar="NAME=V1,V2,...",
                    help="values of one counter setting (repeatable; every combination is tried)")
    a = ap.parse_args()
    grid = {}
    for item in a.grid:
        name, sep, values = item.partition("=")
        if not sep or name not in RepCounterConfig().to_dict():
            ap.error(f"--grid expects NAME=V1,V2,... with NAME a RepCounterConfig setting, got {item!r}")
        grid[name] = tuple(json.loads(v) for v in values.split(","))
    res = cross_validate(load_repcount_a(a.data), RepCounterConfig(), grid, jobs=a.jobs)
    print(f"cross-validated offline: MAE {res['cv_mae']:.4f}  OBO {res['cv_obo']:.4f}  (per repeat "
          f"{res['cv_mae_repeats']}; chosen per fold of the first repeat: {res['cv_chosen'][0]})", flush=True)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
