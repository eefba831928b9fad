"""``repvision bench reps``: repetition counting on a RepCount-A-layout folder.

Metrics as defined by TransRAC (Hu et al., CVPR 2022) and used by RepNet/PoseRAC comparisons:
MAE = mean over videos of ``|pred - true| / true``; OBO = share of videos with ``|pred - true| <= 1``.
A video annotated with 0 repetitions would make the MAE infinite; its error is divided by 1 instead
(``|pred - true| / max(true, 1)``) and the figure is reported as is.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from repvision.bench import choose_per_fold
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import RepCounterConfig, StreamingRepCounter, count_repetitions


def count_errors(pred: list[int] | np.ndarray, true: list[int] | np.ndarray) -> tuple[float, float]:
    """(MAE, OBO) of predicted vs true counts (module docstring); (nan, nan) for no videos."""
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    if p.size == 0:
        return float("nan"), float("nan")
    return float(np.mean(np.abs(p - t) / np.maximum(t, 1.0))), float(np.mean(np.abs(p - t) <= 1))


def stream_count(pose, exercise: str | None = None, config: RepCounterConfig | None = None,
                 latencies: list[float] | None = None, live_counts: list[int] | None = None,
                 repetitions: list | None = None) -> int:
    """Feed a :class:`PoseSequence` frame by frame to a :class:`StreamingRepCounter`; final full count.

    When ``latencies`` is a list, the report latency of every repetition reported live (timestamp of the frame
    whose update returned it minus the repetition's ``end_s``) is appended to it; repetitions only reported by
    ``finish()`` (still open when the stream ended) are not live reports and are not included.
    When ``live_counts`` is a list, the number of full repetitions reported live (before ``finish()``) is
    appended to it. When ``repetitions`` is a list, every repetition reported (live, then by ``finish()``) is
    appended to it.
    """
    c = StreamingRepCounter(exercise=exercise, config=config, skeleton=pose.skeleton,
                            coordinates=pose.coordinates, image_size=pose.image_size)
    kp, ts = pose.keypoints, pose.timestamps
    present = pose.present
    for i in range(len(pose)):
        for r in c.update(kp[i] if present[i] else None, float(ts[i])):
            if latencies is not None and not r.partial:
                latencies.append(float(ts[i]) - r.end_s)
    if live_counts is not None:
        live_counts.append(sum(1 for r in c.repetitions if not r.partial))
    result = c.finish()
    if repetitions is not None:
        repetitions.extend(result.repetitions)
    return result.count


#: Values of :attr:`RepCounterConfig.regularity_weight`, :attr:`RepCounterConfig.half_merge` and
#: :attr:`RepCounterConfig.irregularity_prior_intervals` compared by the cross-validation (every combination).
CV_GRID: dict[str, tuple[float, ...]] = {"regularity_weight": (0.0, 0.25, 0.5, 0.75, 1.0),
                                         "half_merge": (0.0, 0.3, 0.5),
                                         "irregularity_prior_intervals": (0.0, 2.0)}
CV_FOLDS = 5
CV_SEED = 0
#: Repeats of the grouped k-fold split in :func:`cross_validate` (seeds ``CV_SEED`` onwards).
CV_REPEATS = 5


def grouped_folds(groups: list[str], k: int = CV_FOLDS, seed: int = CV_SEED) -> np.ndarray:
    """Fold index per video: the distinct ``group_id`` values, sorted and shuffled with ``seed``, are dealt
    round-robin to ``k`` folds, so all clips of one source video are in the same fold."""
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(uniq)
    fold_of = {g: i % k for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups])


_CV_SAMPLES: list = []


def _cv_init(samples: list) -> None:
    global _CV_SAMPLES
    _CV_SAMPLES = samples


def _cv_count(job: tuple[int, RepCounterConfig]) -> int:
    i, cfg = job
    return count_repetitions(_CV_SAMPLES[i].pose, None, cfg).count


def held_out_counts(counts: list[np.ndarray], true: np.ndarray, folds: np.ndarray
                    ) -> tuple[np.ndarray, dict[int, int]]:
    """One grouped cross-validation over precomputed counts.

    ``counts``: one ``(N,)`` array of counts per grid point; ``true``: ``(N,)`` annotated counts; ``folds``:
    ``(N,)`` fold index per video. For each fold the grid point with the lowest MAE on the other folds is
    applied to it. Returns the ``(N,)`` held-out counts and ``{fold: chosen grid point index}``."""
    choice = choose_per_fold(folds, len(counts), lambda j, tr: count_errors(counts[j][tr], true[tr])[0])
    pred = np.zeros(len(true))
    for f, best in choice.items():
        pred[folds == f] = counts[best][folds == f]
    return pred, choice


def cross_validate(samples, base: RepCounterConfig, grid: dict[str, tuple[float, ...]] | None = None,
                   k: int = CV_FOLDS, seed: int = CV_SEED, jobs: int = 1,
                   repeats: int = CV_REPEATS) -> dict[str, Any]:
    """Repeated grouped k-fold cross-validation of the offline counter over a small settings grid.

    For each fold, the grid point with the lowest MAE on the other folds' videos is chosen and its counts on
    the held-out fold are kept; the pooled held-out counts give one MAE / OBO. This is repeated with the groups
    dealt to folds with seeds ``seed, seed + 1, ..., seed + repeats - 1`` (repeated k-fold cross-validation:
    on the 76 RepCount-A videos one split's MAE moves by up to 0.017 from seed to seed), and ``cv_mae`` / ``cv_obo``
    are the means over the repeats; ``cv_mae_repeats`` / ``cv_obo_repeats`` hold each repeat's figures and
    ``cv_chosen`` the per-fold choices of each repeat. The grid is counted once (counts do not depend on the
    split). ``jobs`` > 1 counts the grid in that many worker processes (same counts).
    """
    import itertools
    from concurrent.futures import ProcessPoolExecutor

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    grid = grid or CV_GRID
    names = list(grid)
    points = [dict(zip(names, v)) for v in itertools.product(*(grid[n] for n in names))]
    true = np.array([s.count for s in samples])
    work = [(i, dataclasses.replace(base, **pt)) for pt in points for i in range(len(samples))]
    if jobs > 1:
        with ProcessPoolExecutor(jobs, initializer=_cv_init, initargs=(list(samples),)) as ex:
            flat = list(ex.map(_cv_count, work, chunksize=8))
    else:
        flat = [count_repetitions(samples[i].pose, None, cfg).count for i, cfg in work]
    n = len(samples)
    counts = [np.array(flat[j * n:(j + 1) * n]) for j in range(len(points))]
    groups = [s.group_id for s in samples]
    figures, chosen = [], []
    for r in range(repeats):
        pred, choice = held_out_counts(counts, true, grouped_folds(groups, k, seed + r))
        figures.append(count_errors(pred, true))
        chosen.append([points[b] for b in choice.values()])
    mae, obo = np.mean(figures, axis=0)
    return {"cv_mae": round(float(mae), 4), "cv_obo": round(float(obo), 4),
            "cv_mae_repeats": [round(m, 4) for m, _ in figures],
            "cv_obo_repeats": [round(o, 4) for _, o in figures], "cv_chosen": chosen,
            "cv_scheme": f"{k}-fold grouped by group_id, repeated {repeats} times (groups shuffled with seeds "
                         f"{seed}..{seed + repeats - 1}, dealt round-robin); per fold the grid point {grid} "
                         "with the lowest training-fold MAE is applied to the held-out fold; figures pooled over "
                         "held-out videos, then averaged over the repeats",
            "cv_grid_in_sample": {str(p): [round(x, 4) for x in count_errors(c, true)]
                                  for p, c in zip(points, counts)}}


def run_reps_benchmark(data_dir: str | Path, console: Any | None = None, streaming: bool = True,
                       config: RepCounterConfig | None = None, cv: bool = True, jobs: int = 1) -> dict[str, Any]:
    """Run the offline and streaming counters on every video of a RepCount-A-layout folder.

    Prints a per-video and a per-exercise table (``rich``) to ``console`` (a new one when None) and returns
    ``{"n_videos", "offline_mae", "offline_obo", "cv_mae", "cv_obo", "cv_scheme", "streaming_mae",
    "streaming_obo", "latency_p50_s", "latency_p95_s", "latency_max_s", "per_exercise", ...}``
    (``cv_*`` from :func:`cross_validate` when ``cv``; latency = report time minus repetition end over the
    repetitions reported live by the streaming counter; ``jobs``: worker processes of the cross-validation,
    whose grid is most of the run time; the timed offline and streaming runs stay in this process).
    The counter is class-agnostic (no exercise hint is passed) and uses one fixed configuration.

    Raises :class:`repvision.errors.ManifestError` when the folder lacks the expected files/columns.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    cfg = config or RepCounterConfig()
    samples = load_repcount_a(data_dir)
    rows = []
    t0 = time.perf_counter()
    t_off = t_str = 0.0
    latencies: list[float] = []
    live: list[int] = []
    for s in samples:
        a = time.perf_counter()
        off = count_repetitions(s.pose, None, cfg).count
        b = time.perf_counter()
        st = stream_count(s.pose, None, cfg, latencies, live) if streaming else off
        c = time.perf_counter()
        t_off += b - a
        t_str += c - b
        rows.append((s.name, s.exercise, s.count, off, st))

    table = Table(title="RepCount-A: repetition counts per video")
    for col in ("video", "exercise", "true", "offline", "streaming"):
        table.add_column(col, justify="right" if col in ("true", "offline", "streaming") else "left")
    for name, ex, true, off, st in rows:
        mark = "" if abs(off - true) <= 1 else " *"
        table.add_row(escape(name), escape(ex), str(true), f"{off}{mark}", str(st))   # names are data, not markup
    console.print(table)

    per_ex: dict[str, dict[str, float]] = {}
    ext = Table(title="Per exercise (MAE lower is better, OBO higher is better)")
    for col in ("exercise", "n", "offline MAE", "offline OBO", "streaming MAE", "streaming OBO"):
        ext.add_column(col)
    for ex in sorted({r[1] for r in rows}):
        sub = [r for r in rows if r[1] == ex]
        om, oo = count_errors([r[3] for r in sub], [r[2] for r in sub])
        sm, so = count_errors([r[4] for r in sub], [r[2] for r in sub])
        per_ex[ex] = {"n": len(sub), "offline_mae": round(om, 4), "offline_obo": round(oo, 4),
                      "streaming_mae": round(sm, 4), "streaming_obo": round(so, 4)}
        ext.add_row(ex, str(len(sub)), f"{om:.3f}", f"{oo:.3f}", f"{sm:.3f}", f"{so:.3f}")
    console.print(ext)

    true = [r[2] for r in rows]
    om, oo = count_errors([r[3] for r in rows], true)
    sm, so = count_errors([r[4] for r in rows], true)
    lm, lo = count_errors(live, true) if streaming else (float("nan"), float("nan"))
    console.print(f"offline:   MAE {om:.4f}  OBO {oo:.4f}")
    console.print(f"streaming: MAE {sm:.4f}  OBO {so:.4f}  (live reports only, before finish(): MAE {lm:.4f}  "
                  f"OBO {lo:.4f})")
    lat = np.asarray(latencies)
    lat_fig = {f"latency_{k}_s": (round(float(f(lat)), 3) if lat.size else float("nan"))
               for k, f in (("p50", np.median), ("p95", lambda a: np.percentile(a, 95)), ("max", np.max))}
    if streaming:
        console.print(f"streaming latency (report - rep end, {lat.size} live reports): p50 "
                      f"{lat_fig['latency_p50_s']:.3f} s, p95 {lat_fig['latency_p95_s']:.3f} s, "
                      f"max {lat_fig['latency_max_s']:.3f} s")
    cvres: dict[str, Any] = {}
    if cv:
        cvres = cross_validate(samples, cfg, jobs=jobs)
        console.print(f"cross-validated offline: MAE {cvres['cv_mae']:.4f}  OBO {cvres['cv_obo']:.4f}  "
                      f"(per repeat MAE {min(cvres['cv_mae_repeats']):.4f}-{max(cvres['cv_mae_repeats']):.4f}; "
                      f"{cvres['cv_scheme']})")
    console.print("published (RepCount-A test): RepNet 0.33/0.53, TransRAC 0.443/0.291, PoseRAC 0.236/0.560, "
                  "joint-angle PoseRAC 0.211/0.599")
    return {
        "benchmark": "reps", "data_dir": str(data_dir), "n_videos": len(rows),
        "offline_mae": round(om, 4), "offline_obo": round(oo, 4),
        "streaming_mae": round(sm, 4), "streaming_obo": round(so, 4),
        "streaming_agree_within_1": round(float(np.mean([abs(r[3] - r[4]) <= 1 for r in rows])), 4)
        if rows else float("nan"),
        **({"live_mae": round(lm, 4), "live_obo": round(lo, 4),
            "live_agree_within_1": round(float(np.mean([abs(r[3] - n) <= 1 for r, n in zip(rows, live)])), 4)}
           if streaming and rows else {}),
        **cvres,
        **(lat_fig if streaming else {}), "n_live_reports": int(lat.size),
        "offline_seconds": round(t_off, 2), "streaming_seconds": round(t_str, 2),
        "total_seconds": round(time.perf_counter() - t0, 2),
        "per_exercise": per_ex,
        "config": cfg.to_dict(),
        "streaming_settings": StreamingRepCounter().settings,
        "fps_assumed": 30.0,
    }
