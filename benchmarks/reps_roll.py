"""The offline counter with the camera rolled: RepCount-A's poses turned in the image plane (RepCount-A).

A phone propped against a wall is rarely level. Each video's keypoints are turned by each angle of ``--rolls``
(degrees, positive = counter-clockwise on the screen, with :func:`repvision.features.rotate_sequence`, the
turn the counter's own roll votes and the classifier's augmentation use) and counted; the script prints MAE and OBO per roll, their mean and worst
over the rolls, and how many counts differ from the unturned one. The last line is one JSON object with them.

    .venv/bin/python benchmarks/reps_roll.py [--data ../shared/data/repcount_a] [--rolls -8 -4 0 4 8]
        [--set NAME=VALUE] [--jobs 2]

``--set roll_votes_deg=[0]`` counts without the counter's own roll votes (:class:`repvision.reps.RepCounterConfig`).
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from repvision.bench import add_repcount_options
from repvision.bench.reps import count_errors
from repvision.datasets.repcount import load_repcount_a
from repvision.features import rotate_sequence
from repvision.reps import RepCounterConfig, count_repetitions

_ITEMS: list = []
_CFG: RepCounterConfig | None = None


def _init(data: str, settings: dict) -> None:
    global _ITEMS, _CFG
    _ITEMS, _CFG = load_repcount_a(data), RepCounterConfig.from_dict(settings)


def _one(job: tuple[int, float]) -> int:
    i, deg = job
    return count_repetitions(rotate_sequence(_ITEMS[i].pose, deg), config=_CFG).count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, setting_help="change one counter setting")
    ap.add_argument("--rolls", type=float, nargs="+", default=[-8.0, -4.0, 0.0, 4.0, 8.0],
                    help="camera rolls (degrees); 0 is always added")
    a = ap.parse_args()
    settings = dict(a.set)
    RepCounterConfig.from_dict(settings)  # unknown names fail here (ConfigError naming them), before the workers
    items = load_repcount_a(a.data)
    rolls = sorted(set(a.rolls) | {0.0})
    true = np.array([it.count for it in items])
    jobs = [(i, r) for r in rolls for i in range(len(items))]
    with ProcessPoolExecutor(a.jobs, initializer=_init, initargs=(str(a.data), settings)) as ex:
        flat = list(ex.map(_one, jobs, chunksize=4))
    counts = {r: np.array(flat[k * len(items):(k + 1) * len(items)]) for k, r in enumerate(rolls)}
    per_roll = {}
    print(f"{'roll (deg)':>10}{'MAE':>8}{'OBO':>8}{'changed':>9}")
    for r in rolls:
        mae, obo = count_errors(counts[r], true)
        changed = int(np.sum(counts[r] != counts[0.0]))
        per_roll[str(r)] = {"mae": round(mae, 4), "obo": round(obo, 4), "counts_changed_vs_0": changed}
        print(f"{r:>10g}{mae:>8.3f}{obo:>8.3f}{changed:>9d}")
    maes = [v["mae"] for v in per_roll.values()]
    obos = [v["obo"] for v in per_roll.values()]
    figs = {"benchmark": "reps_roll", "settings": settings, "n_videos": len(items), "rolls_deg": rolls,
            "mean_mae": round(float(np.mean(maes)), 4), "worst_mae": round(float(np.max(maes)), 4),
            "mean_obo": round(float(np.mean(obos)), 4), "per_roll": per_roll}
    print(f"mean over rolls: MAE {figs['mean_mae']:.3f}, OBO {figs['mean_obo']:.3f}; worst MAE {figs['worst_mae']:.3f}")
    print(json.dumps(figs))


if __name__ == "__main__":
    main()
