"""Streaming (live-mode) repetition counter on RepCount-A with other settings of ``StreamingRepCounter``.

``repvision bench reps`` measures the streaming counter with its defaults; this script changes its own
settings (``confirm``, ``step_s``, ``min_strength``, ``window_s``, ``min_history_s``) to see the trade-off between
the final count (MAE/OBO, agreement with the offline counter within +-1) and how soon a repetition is reported
(latency = report time minus repetition end, over live reports).

    .venv/bin/python benchmarks/reps_streaming.py [--data ../shared/data/repcount_a] [--set confirm=3 ...]
        [--jobs 2] [--out results.json]

Last line: one JSON object with the figures (same definitions as ``repvision bench reps``); ``--out`` also writes
it to a file, with a ``per_video`` list (name, group, true, offline, streaming and live counts, latencies) that
``benchmarks/reps_streaming_cv.py`` reads to compare settings by grouped cross-validation.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from repvision.bench import add_repcount_options
from repvision.bench.reps import count_errors
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import StreamingRepCounter, count_repetitions

_ITEMS: list = []
_KW: dict = {}


def _init(data: str, kw: dict) -> None:
    global _ITEMS, _KW
    _ITEMS, _KW = load_repcount_a(data), kw


def _one(i: int) -> tuple[int, int, int, list[float]]:
    """(final streaming count, live-reported count, offline count, latencies) of video ``i``."""
    pose = _ITEMS[i].pose
    c = StreamingRepCounter(skeleton=pose.skeleton, coordinates=pose.coordinates, image_size=pose.image_size,
                            **_KW)
    lat = []
    for k in range(len(pose)):
        for r in c.update(pose.keypoints[k] if pose.present[k] else None, float(pose.timestamps[k])):
            if not r.partial:
                lat.append(float(pose.timestamps[k]) - r.end_s)
    live = sum(1 for r in c.repetitions if not r.partial)
    return c.finish().count, live, count_repetitions(pose).count, lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, setting_help="a StreamingRepCounter keyword argument")
    ap.add_argument("--out", type=Path, help="also write the figures and the per-video results (JSON) here")
    a = ap.parse_args()
    kw = dict(a.set)
    StreamingRepCounter(**kw)   # unknown names fail here, before the workers start
    t0 = time.perf_counter()
    items = load_repcount_a(a.data)
    true = [it.count for it in items]
    with ProcessPoolExecutor(a.jobs, initializer=_init, initargs=(str(a.data), kw)) as ex:
        res = list(ex.map(_one, range(len(true))))
    stream, live, off = ([r[j] for r in res] for j in range(3))
    lat = np.concatenate([np.asarray(r[3], dtype=np.float64) for r in res]) if res else np.zeros(0)
    sm, so = count_errors(stream, true)
    lm, lo = count_errors(live, true)
    figs = {
        "benchmark": "reps_streaming", "settings": kw, "n_videos": len(true),
        "streaming_mae": round(sm, 4), "streaming_obo": round(so, 4), "live_mae": round(lm, 4),
        "live_obo": round(lo, 4),
        "streaming_agree_within_1": round(float(np.mean([abs(s - o) <= 1 for s, o in zip(stream, off)])), 4),
        "latency_p50_s": round(float(np.median(lat)), 3) if lat.size else None,
        "latency_p95_s": round(float(np.percentile(lat, 95)), 3) if lat.size else None,
        "n_live_reports": int(lat.size), "seconds": round(time.perf_counter() - t0, 1),
    }
    print(f"settings {kw or 'defaults'}: streaming MAE {sm:.3f} OBO {so:.3f}; agrees with offline within 1 on "
          f"{figs['streaming_agree_within_1']:.1%}; latency p50 {figs['latency_p50_s']} s, p95 "
          f"{figs['latency_p95_s']} s ({lat.size} live reports)")
    if a.out:
        per_video = [{"video": it.name, "group": it.group_id, "exercise": it.exercise, "true": it.count,
                      "offline": r[2], "streaming": r[0], "live": r[1],
                      "latencies_s": [round(float(x), 3) for x in r[3]]} for it, r in zip(items, res)]
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({**figs, "per_video": per_video}) + "\n")
    print(json.dumps(figs))


if __name__ == "__main__":
    main()
