"""One repetition alone: how often the offline counter counts it as exactly 1 (RepCount-A).

A user checking their form often records a single repetition. RepCount-A annotates where every repetition
starts and ends, so each annotated repetition can be cut out of its video and counted on its own. The cut is
the annotated start to end frame; ``--hold S`` seconds of stillness are added on both sides by repeating the
first and last frame (a person standing still before and after the repetition; 0 = the bare cut).

    .venv/bin/python benchmarks/reps_single.py [--data ../shared/data/repcount_a] [--hold 0.5] [--set NAME=VALUE]
        [--exercise-hint] [--jobs 2]

Prints the share of repetitions counted 0, 1 and 2 or more, overall and per exercise; the last line is one JSON
object with them. Repetitions shorter than 0.3 s are left out (too few frames to count anything). The counter
is class-agnostic unless ``--exercise-hint`` tells it each video's exercise (as ``repvision analyze`` does once the
classifier names it; the exercise picks the joint whose angle tells half cycles, step 4c of ``repvision.reps``).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from repvision.bench import add_repcount_options
from repvision.datasets.repcount import cut_repetition, load_repcount_a
from repvision.reps import RepCounterConfig, count_repetitions

_ITEMS: list = []
_CFG: RepCounterConfig | None = None
_HOLD = 0.5
_HINT = False


def _init(data: str, settings: dict, hold: float, hint: bool) -> None:
    global _ITEMS, _CFG, _HOLD, _HINT
    _ITEMS, _CFG, _HOLD, _HINT = load_repcount_a(data), RepCounterConfig.from_dict(settings), hold, hint


def _one(i: int) -> list[tuple[str, int]]:
    it = _ITEMS[i]
    fps = it.pose.fps if it.pose.fps > 0 else 30.0
    out = []
    for s, e in np.asarray(it.boundaries, dtype=int).reshape(-1, 2):
        if (e - s) / fps < 0.3 or e >= len(it.pose):
            continue
        one = cut_repetition(it.pose, int(s), int(e), _HOLD)
        out.append((it.exercise, count_repetitions(one, it.exercise if _HINT else None, _CFG).count))
    return out


def _shares(counts: list[int]) -> dict:
    c = np.asarray(counts)
    return {"n": int(c.size), "counted_0": round(float(np.mean(c == 0)), 4),
            "counted_1": round(float(np.mean(c == 1)), 4), "counted_2_or_more": round(float(np.mean(c >= 2)), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, setting_help="change one counter setting")
    ap.add_argument("--hold", type=float, default=0.5, help="seconds of stillness added on each side")
    ap.add_argument("--exercise-hint", action="store_true",
                    help="tell the counter each video's exercise (as repvision analyze does once the classifier "
                         "names it); without it the counter is class-agnostic")
    a = ap.parse_args()
    settings = dict(a.set)
    RepCounterConfig.from_dict(settings)  # unknown names fail here (ConfigError naming them), before the workers
    n = len(load_repcount_a(a.data))
    init = (str(a.data), settings, a.hold, a.exercise_hint)
    with ProcessPoolExecutor(a.jobs, initializer=_init, initargs=init) as ex:
        rows = [r for res in ex.map(_one, range(n)) for r in res]
    per = defaultdict(list)
    for ex_name, c in rows:
        per[ex_name].append(c)
    figs = {"benchmark": "reps_single", "settings": settings, "hold_s": a.hold, "exercise_hint": a.exercise_hint,
            **_shares([c for _, c in rows]),
            "per_exercise": {k: _shares(v) for k, v in sorted(per.items())}}
    print(f"{'exercise':<16}{'n':>6}{'0':>8}{'1':>8}{'>=2':>8}")
    for k, v in figs["per_exercise"].items():
        print(f"{k:<16}{v['n']:>6}{v['counted_0']:>8.1%}{v['counted_1']:>8.1%}{v['counted_2_or_more']:>8.1%}")
    print(f"{'all':<16}{figs['n']:>6}{figs['counted_0']:>8.1%}{figs['counted_1']:>8.1%}"
          f"{figs['counted_2_or_more']:>8.1%}")
    print(json.dumps(figs))


if __name__ == "__main__":
    main()
