"""Live mode, exercise by exercise: does starting a new counter when the exercise changes cost anything on
one-exercise videos, and what does it gain on sessions of several exercises?

``repvision live`` counts a session exercise by exercise (``repvision.live._LiveAnalysis``): once the classifier
has named another exercise ``LIVE_PART_CONFIRM`` times in a row, a new counter takes over, started on the last
``LIVE_PART_LOOKBACK_S`` seconds. This script runs that live analysis (causal counter and live classifier, as
``repvision live`` runs them, without the camera) on

* every RepCount-A video (one exercise each): live count MAE / OBO (definitions of ``repvision bench reps``) and
  how many videos were split into several exercises by passing wrong labels;
* sessions made of the committed clips' real poses played one after another (``tests/data``: the squat clip,
  2 repetitions, and the pull-up clip, 3): each exercise's live count against the truth.

``--confirm 1000000`` never starts a new counter: one counter for the whole session (the behaviour before
exercise-by-exercise counting).

    .venv/bin/python benchmarks/live_parts.py [--data ../shared/data/repcount_a] [--confirm 3] [--lookback 6]
        [--jobs 2] [--out benchmarks/results/live_parts.json]

Last line: one JSON object with the figures (``--out`` also writes it, with the per-video results). About 9
minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: (clip, number of times played) in order, and the true repetitions of each exercise of the session
SESSIONS = {
    "squat x4, pull-up x3": ([("squat", 4), ("pull_up", 3)], [8, 9]),
    "squat x3, pull-up x2, squat x3": ([("squat", 3), ("pull_up", 2), ("squat", 3)], [6, 6, 6]),
    "squat x2, pull-up x3, squat x2": ([("squat", 2), ("pull_up", 3), ("squat", 2)], [4, 9, 4]),
}
CLIPS = {"squat": "calimiro_squat_19.mp4", "pull_up": "calimiro_pull_up_11.mp4"}


def _live(poses, confirm: int, lookback: float):
    """Play pose sequences one after another through the live analysis; (session count, parts)."""
    import repvision.live as L
    from repvision.classify import load_default_classifier

    L.LIVE_PART_CONFIRM, L.LIVE_PART_LOOKBACK_S = confirm, lookback
    live = L._LiveAnalysis(load_default_classifier(), poses[0].image_size or (1, 1))
    live.add_sequences(poses)
    live.close()
    return live.n_live, [(lab, n) for lab, n in live.parts]


@functools.lru_cache(maxsize=1)
def _repcount_items(data: str) -> list:
    """The RepCount-A videos, loaded once per worker process (not once per video)."""
    from repvision.datasets.repcount import load_repcount_a

    return load_repcount_a(data)


def _repcount(args) -> dict:
    data, i, confirm, lookback = args
    it = _repcount_items(data)[i]
    n, parts = _live([it.pose], confirm, lookback)
    return {"video": it.name, "exercise": it.exercise, "true": it.count, "live": n, "parts": parts}


def main() -> None:
    from repvision.bench import add_repcount_options
    from repvision.bench.reps import count_errors
    from repvision.datasets.repcount import load_repcount_a
    from repvision.pose import estimate_video

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__)
    ap.add_argument("--confirm", type=int, default=3, help="LIVE_PART_CONFIRM")
    ap.add_argument("--lookback", type=float, default=6.0, help="LIVE_PART_LOOKBACK_S")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    t0 = time.perf_counter()
    n_videos = len(load_repcount_a(a.data))
    with ProcessPoolExecutor(a.jobs) as ex:
        videos = list(ex.map(_repcount, [(str(a.data), i, a.confirm, a.lookback) for i in range(n_videos)]))
    mae, obo = count_errors([v["live"] for v in videos], [v["true"] for v in videos])
    clips = {k: estimate_video(ROOT / "tests" / "data" / f, "lite")[1] for k, f in CLIPS.items()}
    sessions = {}
    for name, (plan, truth) in SESSIONS.items():
        n, parts = _live([clips[c] for c, times in plan for _ in range(times)], a.confirm, a.lookback)
        sessions[name] = {"truth": truth, "live": n, "parts": parts,
                          "labels_right": [lab for lab, _ in parts] == [c for c, _ in plan]}
        print(f"{name}: truth {truth}, live {parts} ({n} in all)")
    split = [v for v in videos if len(v["parts"]) > 1]
    print(f"RepCount-A, {n_videos} videos: live MAE {mae:.4f}, OBO {obo:.4f}; {len(split)} split into several "
          f"exercises: " + ", ".join(f"{v['video']} {v['parts']}" for v in split))
    out = {"benchmark": "live_parts", "confirm": a.confirm, "lookback_s": a.lookback, "n_videos": n_videos,
           "live_mae": round(mae, 4), "live_obo": round(obo, 4), "videos_split": len(split),
           "session_errors": {k: int(sum(abs(n - t) for (_, n), t in zip(s["parts"], s["truth"]))
                                     if s["labels_right"] else -1) for k, s in sessions.items()},
           "session_totals": {k: [s["live"], sum(s["truth"])] for k, s in sessions.items()},
           "seconds": round(time.perf_counter() - t0, 1)}
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({**out, "sessions": sessions, "per_video": videos}, indent=1))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
