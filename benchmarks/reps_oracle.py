"""How much of the repetition counter's error is the choice of counting signal? (diagnostic, RepCount-A)

The offline counter (``repvision.reps``) builds several candidate 1-D signals -- principal components of the
joint trajectories -- and picks one by periodicity and cycle regularity. This script counts the cycles of
every candidate and reports, besides the shipped counter's MAE/OBO, the *oracle* MAE/OBO: what the counter would
score if it always picked the candidate whose count is closest to the annotated one. The gap between the two is
what a better choice of signal could gain at most; the oracle itself is not a method (it reads the answer).

Two candidate sets: the principal components the counter chooses from (``repvision.reps.candidate_signals``), and
the same plus four joint-angle signals (knee, elbow, hip, shoulder; mean of left and right, detrended and
period-estimated like a component) -- the signals of joint-angle counters such as joint-angle PoseRAC
(Chen et al., arXiv:2308.08632).

    .venv/bin/python benchmarks/reps_oracle.py [--data ../shared/data/repcount_a] [--stride 1]

Last line: one JSON object with the figures. Single run per video (no phase votes), first frame kept.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np

from repvision import reps as R
from repvision.bench import add_repcount_options
from repvision.bench.reps import count_errors
from repvision.datasets.repcount import load_repcount_a

ANGLE_JOINTS = ("knee", "elbow", "hip", "shoulder")


def full_count(sig, cfg) -> int:
    """Full (not partial) cycles the counter's detector finds on one candidate signal."""
    cycles = R._detect_cycles(sig, cfg)
    return int((~R._partial_mask(cycles, cfg)).sum())


def angle_signals(seq, cfg) -> list:
    """Joint-angle candidates ``(T,)`` degrees, detrended with the counter's running median (pass 1: the long
    window, then two passes relative to the period found) and smoothed like a component."""
    grid, _ = R._on_grid(seq)
    prep = R._prepared(grid, cfg)
    if prep is None:
        return []
    x, valid, fps, lo, hi = prep
    hi = min(hi, int(len(grid) * cfg.max_period_fraction))
    out = []
    for joint in ANGLE_JOINTS:
        a = R._angle_series(grid, joint)
        if np.isfinite(a).sum() < 3:
            continue
        a = R._gauss_smooth(R._fill(a[:, None])[:, 0], cfg.pre_smooth_s * fps)
        w, per, strength, detrended = int(round(cfg.detrend_s * fps)), float("nan"), 0.0, None
        for _ in range(3):
            d = np.where(valid, a - R._running_median(a[:, None], w)[:, 0], 0.0)
            p, st = R._pick_period(R._autocorr(d, hi + 2), lo, hi, cfg.period_rel)
            if not np.isfinite(p):
                break
            per, strength, detrended = p, st, d
            w = int(round(cfg.detrend_periods * p))
        if detrended is None:
            continue
        out.append(R._Signal(R._gauss_smooth(detrended, cfg.smooth_fraction * per), valid, float(per),
                             float(strength), fps, -1, x))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, jobs=False)
    ap.add_argument("--stride", type=int, default=1, help="keep every N-th frame (as --stride N would)")
    a = ap.parse_args()
    cfg = R.RepCounterConfig()
    single = R.RepCounterConfig.from_dict({**cfg.to_dict(), "phase_votes": 1})
    items = load_repcount_a(a.data)
    true, shipped, single_run, pca_best, all_best = [], [], [], [], []
    for it in items:
        pose = it.pose
        if a.stride > 1:
            pose = dataclasses.replace(pose, keypoints=pose.keypoints[::a.stride],
                                       timestamps=pose.timestamps[::a.stride], world=None)
        grid, _ = R._on_grid(pose)
        pca = [full_count(s, cfg) for s in R.candidate_signals(grid, cfg)]
        ang = [full_count(s, cfg) for s in angle_signals(pose, cfg)]
        closest = (lambda counts: min(counts, key=lambda c: abs(c - it.count)) if counts else 0)
        true.append(it.count)
        shipped.append(R.count_repetitions(pose, config=cfg).count)
        single_run.append(R.count_repetitions(pose, config=single).count)
        pca_best.append(closest(pca))
        all_best.append(closest(pca + ang))
        print(f"{it.name:10s} {it.exercise:13s} true {it.count:3d}  shipped {shipped[-1]:3d}  components {pca}  "
              f"angles {ang}", flush=True)
    figs = {}
    for key, pred in (("shipped", shipped), ("single_run", single_run), ("oracle_components", pca_best),
                      ("oracle_components_and_angles", all_best)):
        mae, obo = count_errors(pred, true)
        figs[key] = {"mae": round(mae, 4), "obo": round(obo, 4)}
        print(f"{key:30s} MAE {mae:.3f}  OBO {obo:.3f}")
    print(json.dumps({"benchmark": "reps_oracle", "n_videos": len(items), "stride": a.stride, **figs}))


if __name__ == "__main__":
    main()
