"""``repvision bench segments``: exercise segmentation on clips concatenated from different exercises.

Each test video is a concatenation of 2-4 pose sequences of **different** exercises taken from the ``main`` rows
of ``videos/manifest.csv`` (MediaPipe lite poses from :func:`repvision.pose.estimate_video`, cached). Clips
shorter than ``min_clip_s`` (4 s) are left out; the exercises of a concatenation are drawn uniformly among those
with clips (so the push-up clips do not dominate), then one clip of each; the timestamps of each clip are
shifted to follow the previous one (one frame period apart). Keypoints are converted to pixels so that clips of different sizes share one coordinate space.

Figures (on :func:`repvision.classify.segment_exercises` with its defaults):

* ``frame_accuracy``: share of all frames whose segment label equals the clip's exercise (``"unknown"``
  counts as wrong); ``frame_accuracy_whole_clip_baseline``: the same when every frame takes the whole
  concatenation's :meth:`~repvision.classify.ExerciseClassifier.predict_sequence` label;
* ``segment_count_mae`` (|predicted segments - true segments|, unknown segments included) and
  ``segment_count_exact`` (share with the right number);
* ``boundary_mae_s``: for every true junction, seconds to the nearest predicted boundary (junctions of
  concatenations without any predicted boundary are left out and counted in ``boundaries_missed``);
  ``boundary_within_1s``: share of all true junctions with a predicted boundary within 1 s.
* ``per_exercise``: per true exercise, its frames, how many got its label (``frame_accuracy``) and the three
  labels its frames got most (``"unknown"``, or ``"None"`` for a frame outside every segment), so a low overall
  figure can be traced to the exercises behind it.

**In-sample caveat**: the shipped classifier was trained on these very clips (and chose its unknown threshold
on them), so ``in_sample`` figures are optimistic. With ``folds >= 2`` the clips' source groups are split into
grouped folds; for each fold a classifier with the shipped settings is retrained on everything of the default
training pool except that fold's video groups, and concatenations drawn from that fold only are scored
(``held_out`` figures).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from repvision.classify import EXERCISES, ExerciseClassifier, load_default_classifier, segment_exercises
from repvision.errors import ManifestError
from repvision.types import PoseSequence


def _as_pixels(seq: PoseSequence) -> PoseSequence:
    """The sequence with x/y in pixels (``coordinates="pixels"``), so clips of different sizes can be joined."""
    if seq.coordinates != "image" or seq.image_size is None:
        return seq
    k = seq.keypoints.copy()
    k[..., :2] = seq.xy_pixels()
    return PoseSequence(k, seq.timestamps, seq.skeleton, "pixels", None, None, seq.source)


def concatenate(seqs: list[PoseSequence]) -> tuple[PoseSequence, list[int], list[float]]:
    """Join sequences one after another in time.

    Returns ``(sequence, starts, junctions)``: the joined sequence (timestamps from 0 s; each clip starts one
    frame period after the previous one's last frame), the first frame index of every part, ``(n,)``, and the
    junction times in seconds, ``(n - 1,)`` (start time of parts 2..n).
    """
    seqs = [_as_pixels(s) for s in seqs]
    ks, ts, starts, junctions = [], [], [], []
    off, frame = 0.0, 0
    for i, s in enumerate(seqs):
        t = np.asarray(s.timestamps, dtype=np.float64)
        t = t - t[0] + off
        if i:
            junctions.append(off)
        starts.append(frame)
        ks.append(s.keypoints)
        ts.append(t)
        frame += len(s)
        off = float(t[-1] + (1.0 / s.fps if s.fps > 0 else 1.0 / 30.0))
    coords = {s.coordinates for s in seqs}
    if len(coords) != 1:
        raise ValueError(f"cannot join sequences in different coordinate spaces {sorted(coords)}")
    joined = PoseSequence(np.concatenate(ks), np.concatenate(ts), seqs[0].skeleton, coords.pop(), None, None,
                          "+".join(s.source for s in seqs))
    return joined, starts, junctions


def _draw(by_ex: dict[str, list[int]], n: int, rng: np.random.Generator) -> list[list[int]]:
    exs = sorted(by_ex)
    out = []
    for _ in range(n):
        m = int(rng.integers(2, min(4, len(exs)) + 1))
        chosen = rng.choice(len(exs), size=m, replace=False)
        out.append([by_ex[exs[j]][int(rng.integers(len(by_ex[exs[j]])))] for j in chosen])
    return out


def _score(items: list[tuple[PoseSequence, list[int], list[float], list[str]]], clf: ExerciseClassifier,
           threshold: float | None = None) -> dict[str, Any]:
    correct = total = base_correct = 0
    count_err, exact, bnd_err = [], [], []
    per_ex: dict[str, dict[str, Any]] = {}
    missed = within = n_junctions = 0
    for seq, starts, junctions, labels in items:
        n = len(seq)
        truth = np.empty(n, dtype=object)
        for a, b, lab in zip(starts, [*starts[1:], n], labels):
            truth[a:b] = lab
        segs = segment_exercises(seq, clf, threshold=threshold)
        pred = np.empty(n, dtype=object)
        for s in segs:
            pred[s.start_frame:s.end_frame] = s.label
        correct += int(np.sum(pred == truth))
        total += n
        for lab in set(labels):
            m = truth == lab
            e = per_ex.setdefault(lab, {"frames": 0, "correct": 0, "given": {}})
            e["frames"] += int(m.sum())
            e["correct"] += int(np.sum(pred[m] == lab))
            for g, k in zip(*np.unique(pred[m].astype(str), return_counts=True)):
                e["given"][g] = e["given"].get(g, 0) + int(k)
        whole = clf.predict_sequence(seq, threshold=threshold).label
        base_correct += int(np.sum(truth == whole))
        count_err.append(abs(len(segs) - len(labels)))
        exact.append(len(segs) == len(labels))
        pb = np.array([s.start_s for s in segs[1:]])
        for j in junctions:
            n_junctions += 1
            if pb.size == 0:
                missed += 1
                continue
            d = float(np.min(np.abs(pb - j)))
            bnd_err.append(d)
            within += d <= 1.0
    r = lambda v: None if v is None else round(float(v), 4)  # noqa: E731
    return {
        "n_concat": len(items), "n_frames": total, "frame_accuracy": r(correct / max(total, 1)),
        "frame_accuracy_whole_clip_baseline": r(base_correct / max(total, 1)),
        "segment_count_mae": r(np.mean(count_err)) if count_err else None,
        "segment_count_exact": r(np.mean(exact)) if exact else None,
        "boundary_mae_s": r(np.mean(bnd_err)) if bnd_err else None,
        "boundary_median_s": r(np.median(bnd_err)) if bnd_err else None,
        "boundary_within_1s": r(within / max(n_junctions, 1)), "boundaries_missed": missed,
        "n_junctions": n_junctions, "per_exercise": per_ex,   # raw tallies; _per_exercise formats them
    }


def _per_exercise(per_ex: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The reported per-exercise figures -- frames, correct frames, frame accuracy and the three labels its
    frames were given most (``"None"``: a frame left out of every segment) -- from the raw tallies of
    :func:`_score` (``{exercise: {"frames", "correct", "given": {label: frames}}}``)."""
    out = {}
    for ex in sorted(per_ex):
        e = per_ex[ex]
        top = sorted(e["given"].items(), key=lambda kv: -kv[1])[:3]
        out[ex] = {"frames": e["frames"], "correct": e["correct"],
                   "frame_accuracy": round(e["correct"] / max(e["frames"], 1), 4), "given": dict(top)}
    return out


def _merge_per_exercise(parts: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Sum the raw per-exercise tallies of several :func:`_score` results (e.g. the held-out folds)."""
    acc: dict[str, dict[str, Any]] = {}
    for part in parts:
        for ex, e in part.items():
            a = acc.setdefault(ex, {"frames": 0, "correct": 0, "given": {}})
            a["frames"] += e["frames"]
            a["correct"] += e["correct"]
            for k, v in e["given"].items():
                a["given"][k] = a["given"].get(k, 0) + v
    return acc


def _brief(figures: dict[str, Any]) -> str:
    """One printable line: the figures, with the per-exercise part cut to each exercise's frame accuracy."""
    per = ", ".join(f"{ex} {e['correct'] / max(e['frames'], 1):.0%}"
                    for ex, e in sorted(figures.get("per_exercise", {}).items()))
    return f"{ {k: v for k, v in figures.items() if k != 'per_exercise'} }; per exercise: {per}"


def _retrained(data_dir: Path, exclude_groups: set[str], videos: list) -> ExerciseClassifier:
    """A classifier with the shipped settings trained on the default pool (Penn Action train split, RepCount-A,
    Pose Trainer, every ``videos/`` clip -- not only those long enough to be joined here) minus the clips of the
    ``videos/`` groups ``exclude_groups``; RepCount-A sequences of a video that is also in ``videos/`` share its
    group (:func:`repvision.training.shared_video_groups`) and leave with it. ``videos``: every ``videos/``
    sample, as the benchmark loaded them. Unknown threshold of the shipped model."""
    from repvision import training as tr

    cache = _retrained.__dict__.setdefault("pool", {})
    key = str(Path(data_dir).resolve())
    if key not in cache:
        cache[key], _, _, _ = tr.training_pool(data_dir, videos=videos)
    out = {tr.group_key("videos", g) for g in exclude_groups}
    clips = [c for c in cache[key] if c.group not in out]
    return tr.fit_clips(clips, tr.SEED, unknown_threshold=load_default_classifier().unknown_threshold)


def run_segments_benchmark(data_dir: str | Path, n_concat: int = 100, seed: int = 0, *, folds: int = 0,
                           min_clip_s: float = 4.0, threshold: float | None = None, console=None) -> dict[str, Any]:
    """Score :func:`repvision.classify.segment_exercises` on concatenated clips (see the module docstring).

    Parameters
    ----------
    data_dir:
        The exercise data folder (uses ``videos/manifest.csv``; with ``folds`` also ``penn_action/``,
        ``repcount_a/`` and ``pose_trainer/``).
    n_concat:
        Number of concatenations scored with the shipped classifier (and in all held-out folds together).
    seed:
        Seed of the draws.
    min_clip_s:
        Only clips at least this long (seconds) are used: a part shorter than ``segment_exercises``'s
        ``min_segment_s`` (3 s) plus a window cannot be found by design.
    folds:
        0 skips the held-out evaluation; ``k >= 2`` retrains ``k`` classifiers (needs scikit-learn, minutes).
    threshold:
        Unknown threshold (0..1) for the segments and the whole-clip baseline, in-sample and held out; None: the
        shipped classifier's (chosen on whole clips by :mod:`repvision.training`).

    Returns
    -------
    ``{"in_sample": figures, "held_out": figures or None, "n_clips", "exercises", "seed", ...}``.
    """
    from rich.console import Console

    from repvision.datasets.videos import load_videos

    console = console or Console()
    d = Path(data_dir)
    manifest = d / "videos" / "manifest.csv"
    if not manifest.is_file():
        raise ManifestError(f"videos/manifest.csv under {d}", "no such file", "Pass --data pointing at shared/data.")
    with console.status("Loading video poses (cached)"):
        all_videos = load_videos(manifest, "lite")
        samples = [s for s in all_videos if s.label in EXERCISES and s.pose.present.sum() >= 4
                   and s.pose.duration_s >= min_clip_s]
    by_ex: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_ex.setdefault(s.label, []).append(i)
    rng = np.random.default_rng(seed)

    def build(draws: list[list[int]]) -> list:
        items = []
        for idx in draws:
            seq, starts, junctions = concatenate([samples[i].pose for i in idx])
            items.append((seq, starts, junctions, [samples[i].label for i in idx]))
        return items

    clf = load_default_classifier()
    with console.status("Segmenting (shipped classifier, in-sample)"):
        in_sample = _score(build(_draw(by_ex, n_concat, rng)), clf, threshold)
    console.print(f"in-sample (shipped classifier, trained on these clips): {_brief(in_sample)}")
    held = None
    if folds >= 2:
        from sklearn.model_selection import GroupKFold

        groups = np.array([s.group_id for s in samples])
        per_fold = []
        for k, (_, te) in enumerate(GroupKFold(n_splits=folds).split(np.zeros(len(samples)), groups=groups)):
            with console.status(f"Fold {k + 1}/{folds}: retraining without the fold's video groups"):
                fclf = _retrained(d, set(groups[te]), all_videos)
            fold_ex: dict[str, list[int]] = {}
            for i in te:
                fold_ex.setdefault(samples[i].label, []).append(int(i))
            if len(fold_ex) < 2:
                continue
            items = build(_draw(fold_ex, max(1, n_concat // folds), rng))
            f = _score(items, fclf, threshold)
            per_fold.append(f)
            console.print(f"fold {k + 1}/{folds} (held out, exercises {sorted(fold_ex)}): {_brief(f)}")
        if per_fold:
            w = np.array([f["n_frames"] for f in per_fold], dtype=float)
            nj = np.array([f["n_junctions"] for f in per_fold], dtype=float)
            nc = np.array([f["n_concat"] for f in per_fold], dtype=float)
            held = {
                "n_concat": int(nc.sum()), "n_frames": int(w.sum()),
                "frame_accuracy": round(float(np.average([f["frame_accuracy"] for f in per_fold], weights=w)), 4),
                "frame_accuracy_whole_clip_baseline": round(float(np.average(
                    [f["frame_accuracy_whole_clip_baseline"] for f in per_fold], weights=w)), 4),
                "segment_count_mae": round(float(np.average([f["segment_count_mae"] for f in per_fold],
                                                            weights=nc)), 4),
                "segment_count_exact": round(float(np.average([f["segment_count_exact"] for f in per_fold],
                                                              weights=nc)), 4),
                "boundary_within_1s": round(float(np.average([f["boundary_within_1s"] for f in per_fold],
                                                             weights=nj)), 4),
                "boundaries_missed": int(sum(f["boundaries_missed"] for f in per_fold)),
                "n_junctions": int(nj.sum()),
                "per_exercise": _merge_per_exercise([f["per_exercise"] for f in per_fold]),
                "folds": per_fold,
            }
            bm = [(f["boundary_mae_s"], f["n_junctions"] - f["boundaries_missed"]) for f in per_fold
                  if f["boundary_mae_s"] is not None]
            held["boundary_mae_s"] = round(sum(a * b for a, b in bm) / max(sum(b for _, b in bm), 1), 4) if bm \
                else None
    for f in [in_sample, *([held, *held["folds"]] if held is not None else [])]:
        f["per_exercise"] = _per_exercise(f["per_exercise"])
    return {"in_sample": in_sample, "held_out": held, "n_clips": len(samples),
            "clips_per_exercise": {k: len(v) for k, v in sorted(by_ex.items())}, "seed": seed,
            "min_clip_s": min_clip_s, "unknown_threshold": float(clf.unknown_threshold if threshold is None
                                                                 else threshold),
            "note": "in_sample: the shipped classifier was trained on these clips (optimistic); held_out: "
                    "classifiers retrained without each fold's video groups (grouped folds)"}
