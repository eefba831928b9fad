"""Offline counting on RepCount-A with one counter setting changed at a time (the others at their defaults):
is the shipped setting a local optimum? In-sample figures, for looking only -- the shipped setting's honest
figure is the cross-validated one of ``repvision bench reps``.

    .venv/bin/python benchmarks/reps_sweep.py [--data ../shared/data/repcount_a]

Last line: one JSON object ``{"default": [mae, obo], "<setting>=<value>": [mae, obo], ...}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from repvision.bench import add_repcount_options
from repvision.bench.reps import count_errors
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import RepCounterConfig, count_repetitions

#: Values tried on either side of each default.
GRID = {"n_components": [3, 5], "period_rel": [0.7, 0.9], "enter": [0.6, 0.7], "exit": [0.3, 0.4],
        "partial_fraction": [0.4, 0.6], "min_amplitude": [0.15, 0.35], "smooth_fraction": [0.05, 0.12],
        "envelope_periods": [1.5, 3.0], "variance_weight": [0.25, 1.0], "detrend_periods": [3.0, 8.0],
        "min_rep_fraction": [0.25, 0.5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, jobs=False)
    a = ap.parse_args()
    items = load_repcount_a(a.data)
    truth = [it.count for it in items]
    out = {}
    points = [("default", RepCounterConfig())] + [
        (f"{k}={v}", dataclasses.replace(RepCounterConfig(), **{k: v})) for k, vals in GRID.items() for v in vals]
    for name, cfg in points:
        mae, obo = count_errors([count_repetitions(it.pose, config=cfg).count for it in items], truth)
        out[name] = [round(mae, 4), round(obo, 4)]
        print(f"{name}: MAE {mae:.4f}  OBO {obo:.4f}", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
