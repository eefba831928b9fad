"""How well the repetition counter places each repetition's start and end (RepCount-A boundaries).

``repvision bench reps`` scores counts only. Every repetition also carries start, turn and end times (issue 3:
"per rep: start, end and turning-point times", and the tempo and range of motion measured between them). This
script matches the offline counter's full repetitions to RepCount-A's annotated start/end frames and reports how
far the boundaries are off. Matching: for each video, pairs of (predicted, annotated) repetitions by temporal
intersection over union (IoU), greedily from the highest, each used once, pairs with IoU >= 0.1 kept.

    .venv/bin/python benchmarks/reps_boundaries.py [--data ../shared/data/repcount_a] [--set NAME=VALUE ...]
        [--streaming]

``--streaming`` scores the live counter instead (``repvision.reps.StreamingRepCounter``, default settings, fed
frame by frame as in ``repvision bench reps``): the full repetitions it reported, live and at the end of the
stream; about 5 min instead of 15 s. Both modes also count the pairs of consecutive reported repetitions that
overlap in time (the next one starting before the previous one ended).

Figures (seconds, over matched pairs): median and 90th percentile of |start error| and |end error|, mean IoU,
and the share of annotated repetitions matched; and, from the annotations alone, the pauses between consecutive
annotated repetitions that are long enough to start a new set (>= ``repvision.reps.SET_GAP_S``). The last line
is one JSON object with them.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from repvision.bench import add_repcount_options
from repvision.bench.reps import stream_count
from repvision.datasets.repcount import load_repcount_a
from repvision.reps import SET_GAP_S, RepCounterConfig, count_repetitions


def match(pred: np.ndarray, true: np.ndarray, min_iou: float = 0.1) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching of intervals ``(N, 2)`` and ``(M, 2)`` (start, end) by IoU, best first;
    returns ``(i_pred, i_true, iou)`` with ``iou >= min_iou``."""
    if len(pred) == 0 or len(true) == 0:
        return []
    lo = np.maximum(pred[:, None, 0], true[None, :, 0])
    hi = np.minimum(pred[:, None, 1], true[None, :, 1])
    inter = np.clip(hi - lo, 0, None)
    union = (pred[:, None, 1] - pred[:, None, 0]) + (true[None, :, 1] - true[None, :, 0]) - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)
    out, used_p, used_t = [], set(), set()
    for flat in np.argsort(-iou, axis=None):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] < min_iou:
            break
        if i in used_p or j in used_t:
            continue
        used_p.add(i)
        used_t.add(j)
        out.append((int(i), int(j), float(iou[i, j])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_repcount_options(ap, __file__, setting_help="a RepCounterConfig setting", jobs=False)
    ap.add_argument("--streaming", action="store_true", help="score the streaming (live) counter's reports")
    a = ap.parse_args()
    settings = dict(a.set)
    cfg = RepCounterConfig.from_dict(settings)
    start_err, end_err, ious, gaps = [], [], [], []
    n_true = n_matched = n_pred = n_pairs = 0
    overlaps: list[float] = []
    for it in load_repcount_a(a.data):
        fps = it.pose.fps
        if a.streaming:
            streamed: list = []
            stream_count(it.pose, config=cfg, repetitions=streamed)
            reps = [r for r in streamed if not r.partial]
        else:
            reps = list(count_repetitions(it.pose, None, cfg).full)
        n_pred += len(reps)
        n_pairs += max(0, len(reps) - 1)
        overlaps += [r0.end_s - r1.start_s for r0, r1 in zip(reps, reps[1:]) if r1.start_frame < r0.end_frame]
        pred = np.array([[r.start_frame, r.end_frame] for r in reps], dtype=np.float64).reshape(-1, 2) / fps
        true = np.asarray(it.boundaries, dtype=np.float64).reshape(-1, 2) / fps
        gaps += (true[1:, 0] - true[:-1, 1]).tolist()
        pairs = match(pred, true)
        n_true += len(true)
        n_matched += len(pairs)
        for i, j, iou in pairs:
            start_err.append(abs(pred[i, 0] - true[j, 0]))
            end_err.append(abs(pred[i, 1] - true[j, 1]))
            ious.append(iou)
    s, e = np.asarray(start_err), np.asarray(end_err)
    figs = {"benchmark": "reps_boundaries", "counter": "streaming" if a.streaming else "offline",
            "settings": settings, "n_annotated": n_true, "n_predicted": n_pred, "n_matched": n_matched,
            "matched_share": round(n_matched / max(n_true, 1), 4),
            "start_error_p50_s": round(float(np.median(s)), 3),
            "start_error_p90_s": round(float(np.percentile(s, 90)), 3),
            "end_error_p50_s": round(float(np.median(e)), 3), "end_error_p90_s": round(float(np.percentile(e, 90)), 3),
            "iou_mean": round(float(np.mean(ious)), 4),
            "n_consecutive_pairs": n_pairs, "n_overlapping_pairs": len(overlaps),
            "overlap_max_s": round(max(overlaps), 3) if overlaps else 0.0, "n_gaps": len(gaps),
            "gaps_at_least_set_gap_s": sorted(round(g, 2) for g in gaps if g >= SET_GAP_S), "set_gap_s": SET_GAP_S}
    print(f"{n_matched} of {n_true} annotated repetitions matched (IoU >= 0.1); |start error| p50 "
          f"{figs['start_error_p50_s']} s, p90 {figs['start_error_p90_s']} s; |end error| p50 "
          f"{figs['end_error_p50_s']} s, p90 {figs['end_error_p90_s']} s; mean IoU {figs['iou_mean']}; "
          f"{len(figs['gaps_at_least_set_gap_s'])} of {len(gaps)} pauses between annotated repetitions are >= "
          f"{SET_GAP_S:g} s ({figs['gaps_at_least_set_gap_s']})")
    print(f"{len(overlaps)} of {n_pairs} pairs of consecutive repetitions overlap in time")
    print(json.dumps(figs))


if __name__ == "__main__":
    main()
