"""Where the streaming counter's report latency comes from (diagnostic, RepCount-A).

``repvision bench reps`` gives the streaming counter's latency percentiles (report time minus the end of the
repetition, over repetitions reported live). This script breaks them down: how many reports come later than the
0.5 s goal of issue 3, whether they are the first repetitions of a video (reported late because the period is
not known yet) or later ones, and the videos with the most late reports.

    .venv/bin/python benchmarks/reps_latency.py [--data ../shared/data/repcount_a] [--goal 0.5] [--jobs 2]

Last line: one JSON object with the figures. Streaming counter with its default settings.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from repvision.bench import add_repcount_options
from repvision.bench.reps import stream_count
from repvision.datasets.repcount import load_repcount_a

_ITEMS: list = []


def _init(data: str) -> None:
    global _ITEMS
    _ITEMS = load_repcount_a(data)


def _one(i: int) -> list[tuple[int, int, float]]:
    """(video index, rank of the report in its video, latency s) per live report of video ``i``."""
    lat: list[float] = []
    stream_count(_ITEMS[i].pose, latencies=lat)
    return [(i, rank, x) for rank, x in enumerate(lat)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__)
    ap.add_argument("--goal", type=float, default=0.5, help="latency goal in seconds (issue 3: 0.5)")
    a = ap.parse_args()
    names = [it.name for it in load_repcount_a(a.data)]
    with ProcessPoolExecutor(a.jobs, initializer=_init, initargs=(str(a.data),)) as ex:
        rows = [r for res in ex.map(_one, range(len(names))) for r in res]
    if not rows:
        raise SystemExit("no repetition was reported live")
    arr = np.array(rows, dtype=np.float64)
    lat, rank = arr[:, 2], arr[:, 1]
    late = lat > a.goal
    p95 = float(np.percentile(lat, 95))
    per_video = np.bincount(arr[late, 0].astype(int), minlength=len(names))
    totals = np.bincount(arr[:, 0].astype(int), minlength=len(names))
    worst = [{"video": names[v], "late": int(per_video[v]), "reports": int(totals[v])}
             for v in np.argsort(-per_video)[:8] if per_video[v]]
    figs = {
        "benchmark": "reps_latency", "n_videos": len(names), "n_live_reports": len(rows), "goal_s": a.goal,
        "latency_p50_s": round(float(np.median(lat)), 3), "latency_p95_s": round(p95, 3),
        "share_late": round(float(late.mean()), 4),
        "share_first_two_reps_among_late": round(float((rank[late] < 2).mean()), 4) if late.any() else None,
        "share_first_two_reps_among_all": round(float((rank < 2).mean()), 4),
        "videos_with_reports_beyond_p95": int(len(np.unique(arr[lat >= p95, 0]))),
        "videos_with_most_late_reports": worst,
    }
    print(f"{len(rows)} live reports: latency p50 {figs['latency_p50_s']} s, p95 {figs['latency_p95_s']} s; "
          f"{figs['share_late']:.1%} later than {a.goal} s, of which {figs['share_first_two_reps_among_late']:.1%} "
          f"are a video's first or second report ({figs['share_first_two_reps_among_all']:.1%} of all reports)")
    for w in worst:
        print(f"  {w['video']:10s} {w['late']:3d} of {w['reports']:3d} reports late")
    print(json.dumps(figs))


if __name__ == "__main__":
    main()
