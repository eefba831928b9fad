"""Offline repetition counting on RepCount-A poses subsampled to every N-th frame (what ``--stride N`` feeds
the counter), to see what the fast setting costs in counting accuracy.

    .venv/bin/python benchmarks/reps_stride.py [--data ../shared/data/repcount_a] [--strides 1 2 3]

Last line: one JSON object ``{stride: {"mae": .., "obo": ..}}`` (metrics of ``repvision bench reps``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from repvision.bench.reps import count_errors
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import count_repetitions


def every_nth(pose, n: int):
    """The pose sequence keeping frames 0, n, 2n, ... (timestamps kept, so durations stay in seconds)."""
    return dataclasses.replace(pose, keypoints=pose.keypoints[::n], timestamps=pose.timestamps[::n],
                               world=None if pose.world is None else pose.world[::n])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" / "repcount_a")
    ap.add_argument("--strides", type=int, nargs="+", default=[1, 2, 3])
    a = ap.parse_args()
    items = load_repcount_a(a.data)
    out = {}
    for n in a.strides:
        pred = [count_repetitions(every_nth(it.pose, n)).count for it in items]
        mae, obo = count_errors(pred, [it.count for it in items])
        out[n] = {"mae": round(mae, 4), "obo": round(obo, 4)}
        print(f"stride {n}: MAE {mae:.3f}  OBO {obo:.3f}  ({len(items)} videos)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
