"""Offline repetition counting on RepCount-A poses subsampled to every N-th frame (what ``--stride N`` feeds
the counter), to see what the fast setting costs in counting accuracy; and, as a robustness check, the same
with the first 1, 2, 3 frames of every video dropped (a counter should not care when the recording starts).

    .venv/bin/python benchmarks/reps_stride.py [--data ../shared/data/repcount_a] [--strides 1 2 3]
        [--shifts 0 1 2 3] [--phase-votes 5] [--set variance_weight=0.25 ...]

``--set NAME=VALUE`` changes one counter setting (:class:`repvision.reps.RepCounterConfig`; repeatable), to see
whether a setting that looks better on the unshifted videos stays better when the recordings start 1-3 frames
later.

Last line: one JSON object ``{"stride<N>_shift<K>": {"mae": .., "obo": ..}}`` (metrics of
``repvision bench reps``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json

from repvision.bench import add_repcount_options
from repvision.bench.reps import count_errors
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import RepCounterConfig, count_repetitions


def every_nth(pose, n: int, shift: int = 0):
    """The pose sequence keeping frames k, k+n, k+2n, ... with k = ``shift`` (timestamps kept, so durations
    stay in seconds)."""
    return dataclasses.replace(pose, keypoints=pose.keypoints[shift::n], timestamps=pose.timestamps[shift::n],
                               world=None if pose.world is None else pose.world[shift::n])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, setting_help="change one counter setting", jobs=False)
    ap.add_argument("--strides", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--shifts", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--phase-votes", type=int, default=RepCounterConfig().phase_votes)
    a = ap.parse_args()
    changes = dict(a.set)
    changed = "".join(f", {name}={json.dumps(value)}" for name, value in changes.items())
    cfg = RepCounterConfig.from_dict({**RepCounterConfig().to_dict(), **changes, "phase_votes": a.phase_votes})
    items = load_repcount_a(a.data)
    out = {}
    for n in a.strides:
        for k in a.shifts:
            pred = [count_repetitions(every_nth(it.pose, n, k), config=cfg).count for it in items]
            mae, obo = count_errors(pred, [it.count for it in items])
            out[f"stride{n}_shift{k}"] = {"mae": round(mae, 4), "obo": round(obo, 4)}
            print(f"stride {n}, first {k} frame(s) dropped: MAE {mae:.3f}  OBO {obo:.3f}  ({len(items)} videos, "
                  f"phase_votes={a.phase_votes}{changed})", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
