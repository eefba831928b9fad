"""Learned good/bad form models for exercises with labelled data.

Data
----
* Pose Trainer (Chen & Yang, "Pose Trainer: Correcting Exercise Posture using Pose Estimation", 2018):
  OpenPose-18 sequences labelled good/bad for bicep_curl, front_raise, shoulder_press, shoulder_shrug
  (``pose_trainer/poses.npz``; :func:`load_pose_trainer`).
* PushFit push-up videos labelled correct/incorrect (``videos/manifest.csv`` rows with a ``form_label``;
  poses via :func:`repvision.pose.estimate_video`; :func:`load_labelled_videos`).

Features (:func:`sequence_features`)
------------------------------------
Per sequence, on the 13 common joints in equal-scale coordinates, hip-centred and divided by the torso length
(BlazePose-style alignment, :func:`repvision.features.normalize_body`), mirrored so the person faces +x, with the
body sides ordered as (better-seen side, other side) so that left- and right-handed performances and either
camera side give the same features:

* 10 joint-angle series (elbow, shoulder, hip, knee of both sides; trunk lean from vertical; whole-arm
  elevation hip-shoulder-wrist of the better side), each summarised by min, max, mean, standard deviation,
  10th and 90th percentile and range (degrees);
* the normalised x/y trajectories of wrists, elbows, shoulders, knees, ankles and the head of the better side
  (and both wrists/elbows), each summarised by mean, standard deviation and range (torso lengths);
* the view's body-width ratio (:func:`repvision.form.detect_view`).

This is the "statistics of joint angles over the sequence" approach of Pose Trainer's own ML variant and of
many skeleton-based form classifiers; the classifier is an L2-regularised logistic regression per exercise
(scikit-learn for training only; inference is numpy: standardise, dot product, logistic).

Evaluation
----------
:func:`cross_validate` reports video-level accuracy and F1 (positive class = bad/incorrect form) with
cross-validation grouped by source video / ``group_id`` (never by frame): all sequences of one group are
in the same fold. Measured on the development data (StratifiedGroupKFold(5), mean of 3 seeds): Pose Trainer
0.929 accuracy / 0.928 F1 (front_raise 1.00, shoulder_shrug 1.00, shoulder_press 0.94, bicep_curl 0.65 on only
16 sequences); PushFit push-ups 0.587 / 0.557 (21 person/setting groups) -- below the rule-based verdict
(0.686), so the shipped model's metadata marks push_up ``prefer_rules``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from repvision.errors import ManifestError, NotFittedError
from repvision.features import interpolate_gaps, normalize_body
from repvision.skeleton import OPENPOSE_18, Joint
from repvision.types import PoseSequence

__all__ = [
    "LabelledSequence", "FormModel", "pose_trainer_sequence", "load_pose_trainer", "load_labelled_videos",
    "sequence_features", "FEATURE_NAMES", "cross_validate", "train_form_model", "MODELS_DIR",
    "load_form_model", "POSE_TRAINER_FPS", "BAD_LABELS", "DEFAULT_C", "binary_metrics", "rule_report",
    "rule_verdicts",
]

#: Pose Trainer does not state the frame rate of its videos; 30 fps is assumed for timestamps.
POSE_TRAINER_FPS = 30.0
#: Labels counted as the positive (faulty form) class.
BAD_LABELS = ("bad", "incorrect")
#: Folder of shipped models (``form_<name>.npz``).
MODELS_DIR = Path(__file__).with_name("models")
FEATURE_VERSION = 1

J = Joint


@dataclass(frozen=True)
class LabelledSequence:
    """One labelled performance: ``key`` (dataset key or video path), ``exercise``, ``label``
    (``good``/``bad`` or ``correct``/``incorrect``), ``group`` (source video / group id for grouped
    cross-validation) and its ``pose``."""

    key: str
    exercise: str
    label: str
    group: str
    pose: PoseSequence

    @property
    def is_bad(self) -> bool:
        return self.label in BAD_LABELS


# ----------------------------------------------------------------------------------------------- data


def pose_trainer_sequence(arr: np.ndarray, key: str = "", fps: float = POSE_TRAINER_FPS) -> PoseSequence:
    """A Pose Trainer array ``(T, 18, 3)`` (x, y pixels, confidence; all-zero = not detected) as an OpenPose-18
    :class:`PoseSequence` in pixels (z NaN, visibility = confidence, timestamps at ``fps``)."""
    a = np.asarray(arr, dtype=np.float32)
    k = np.full(a.shape[:2] + (4,), np.nan, np.float32)
    missing = np.all(a == 0, axis=-1)
    k[..., 0:2] = np.where(missing[..., None], np.nan, a[..., :2])
    k[..., 3] = np.where(missing, 0.0, a[..., 2])
    return PoseSequence(k, np.arange(len(a)) / fps, OPENPOSE_18, "pixels", source=f"pose_trainer:{key}")


def load_pose_trainer(data_dir: str | Path) -> list[LabelledSequence]:
    """All Pose Trainer sequences of ``<data_dir>/pose_trainer`` (``poses.npz`` + ``manifest.csv``).

    Each sequence is one performance filmed in its own video, so ``group`` = its key.

    Raises :class:`ManifestError` when the files or columns are missing.
    """
    d = Path(data_dir) / "pose_trainer"
    man, npz = d / "manifest.csv", d / "poses.npz"
    if not man.is_file() or not npz.is_file():
        raise ManifestError(f"{man} and {npz}", "missing files", "Point --data at a folder with pose_trainer/.")
    out = []
    with np.load(npz) as z, open(man, newline="") as f:
        for row in csv.DictReader(f):
            try:
                key, ex, lab = row["file"], row["exercise"], row["form_label"]
            except KeyError as exc:
                raise ManifestError("columns file, exercise, form_label", f"no column {exc}",
                                    "Fix manifest.csv.") from None
            out.append(LabelledSequence(key, ex, lab, key, pose_trainer_sequence(z[key], key)))
    return out


def load_labelled_videos(data_dir: str | Path, exercises: Iterable[str] | None = None, model: str = "lite",
                         progress: Any = None, skipped: list[tuple[str, str]] | None = None
                         ) -> list[LabelledSequence]:
    """Rows of ``<data_dir>/videos/manifest.csv`` with a ``form_label`` (``variant == main``), with poses from
    :func:`repvision.pose.estimate_video` and pose model ``model`` (``"lite"``, ``"full"`` or a ``.task``
    path; cached on disk, so a second call is fast).

    ``exercises``: keep only these labels (None: all). ``progress``: called as ``progress(i, n, path)``.
    Videos that cannot be analysed (missing, corrupt, nobody in view) are left out, and when ``skipped`` is a
    list, ``(path, reason)`` is appended to it for each of them.

    Raises :class:`ManifestError` without a manifest; :class:`repvision.errors.ConfigError` (unknown model
    name) or :class:`repvision.errors.PoseModelError` (no such ``.task`` file) before any video is read.
    """
    from repvision.pose import estimate_video, model_path

    model_path(model)  # a wrong model name fails here, not as one skipped video after another
    man = Path(data_dir) / "videos" / "manifest.csv"
    if not man.is_file():
        raise ManifestError(f"{man}", "no manifest", "Point --data at a folder with videos/manifest.csv.")
    with open(man, newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r.get("form_label") and r.get("variant", "main") in ("", "main")]
    if exercises is not None:
        keep = set(exercises)
        rows = [r for r in rows if r["exercise"] in keep]
    out = []
    for i, r in enumerate(rows):
        if progress is not None:
            progress(i, len(rows), r["path"])
        try:
            _, seq, _ = estimate_video(Path(data_dir) / r["path"], model)
        except Exception as exc:  # noqa: BLE001 - a broken file is reported and skipped, the rest is evaluated
            if skipped is not None:
                skipped.append((r["path"], f"{type(exc).__name__}: {exc}"))
            continue
        out.append(LabelledSequence(r["path"], r["exercise"], r["form_label"], r.get("group_id") or r["path"],
                                    seq))
    return out


# ----------------------------------------------------------------------------------------------- features


_ANGLE_FEATS = ("elbow_a", "elbow_b", "shoulder_a", "shoulder_b", "hip_a", "hip_b", "knee_a", "knee_b",
                "trunk_lean", "arm_raise_a")
_STATS = ("min", "max", "mean", "std", "p10", "p90", "range")
_TRAJ = ("wrist_a", "wrist_b", "elbow_a", "elbow_b", "shoulder_a", "knee_a", "ankle_a", "head")
_TSTATS = ("mean", "std", "range")

#: Names of the entries of :func:`sequence_features`.
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"{a}_{s}" for a in _ANGLE_FEATS for s in _STATS)
    + tuple(f"{p}_{ax}_{s}" for p in _TRAJ for ax in "xy" for s in _TSTATS)
    + ("width_ratio",)
)


def _ang(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    u, w = a - b, c - b
    nu, nw = np.linalg.norm(u, axis=-1), np.linalg.norm(w, axis=-1)
    with np.errstate(all="ignore"):
        cos = np.sum(u * w, axis=-1) / (nu * nw)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _stats(x: np.ndarray, which: tuple[str, ...]) -> list[float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return [np.nan] * len(which)
    out = []
    for s in which:
        if s == "min":
            out.append(x.min())
        elif s == "max":
            out.append(x.max())
        elif s == "mean":
            out.append(x.mean())
        elif s == "std":
            out.append(x.std())
        elif s == "p10":
            out.append(np.percentile(x, 10))
        elif s == "p90":
            out.append(np.percentile(x, 90))
        elif s == "range":
            out.append(np.percentile(x, 95) - np.percentile(x, 5))
    return [float(v) for v in out]


def sequence_features(seq: PoseSequence, min_visibility: float | None = None) -> np.ndarray:
    """Fixed-length feature vector of one performance (module docstring).

    Parameters
    ----------
    seq:
        ``(T, V, 4)`` keypoints in any layout with a 13-joint mapping, any coordinate space.
    min_visibility:
        Keypoints below it are missing (None: per skeleton, as :func:`repvision.form.assess_form`).

    Returns
    -------
    ``(len(FEATURE_NAMES),)`` float64: degrees for angle statistics, torso lengths for trajectories; NaN where
    a quantity was never visible (the model imputes the training mean).
    """
    from repvision.form import _min_vis, detect_view

    mv = _min_vis(seq, min_visibility)
    j = seq.to_joints13()
    xy = j.xy_pixels().astype(np.float64)
    vis = np.nan_to_num(j.keypoints[..., 3], nan=0.0)
    xy = np.where((vis >= mv)[..., None], xy, np.nan)
    xy = interpolate_gaps(xy, max_gap=int(max(1, seq.fps or 30) // 2))
    nb = normalize_body(xy)  # hip-centred, torso-scaled
    # face +x: the head is in front of the shoulders in a side view
    sh_mid = 0.5 * (nb[:, J.LEFT_SHOULDER] + nb[:, J.RIGHT_SHOULDER])
    facing = np.nanmedian(nb[:, J.HEAD, 0] - sh_mid[:, 0]) if np.isfinite(nb[:, J.HEAD, 0]).any() else 1.0
    if np.isfinite(facing) and facing < 0:
        nb[..., 0] *= -1
    # better-seen side first
    lv = vis[:, [J.LEFT_SHOULDER, J.LEFT_ELBOW, J.LEFT_WRIST, J.LEFT_HIP, J.LEFT_KNEE]].mean()
    rv = vis[:, [J.RIGHT_SHOULDER, J.RIGHT_ELBOW, J.RIGHT_WRIST, J.RIGHT_HIP, J.RIGHT_KNEE]].mean()
    A, Bs = ("LEFT", "RIGHT") if lv >= rv else ("RIGHT", "LEFT")
    g = lambda side, name: nb[:, J[f"{side}_{name}"]]  # noqa: E731
    series = {}
    for sfx, side in (("a", A), ("b", Bs)):
        series[f"elbow_{sfx}"] = _ang(g(side, "SHOULDER"), g(side, "ELBOW"), g(side, "WRIST"))
        series[f"shoulder_{sfx}"] = _ang(g(side, "HIP"), g(side, "SHOULDER"), g(side, "ELBOW"))
        series[f"hip_{sfx}"] = _ang(g(side, "SHOULDER"), g(side, "HIP"), g(side, "KNEE"))
        series[f"knee_{sfx}"] = _ang(g(side, "HIP"), g(side, "KNEE"), g(side, "ANKLE"))
    d = sh_mid  # hip midpoint is the origin
    series["trunk_lean"] = np.degrees(np.arctan2(d[:, 0], -d[:, 1]))
    series["arm_raise_a"] = _ang(g(A, "HIP"), g(A, "SHOULDER"), g(A, "WRIST"))
    feats: list[float] = []
    for name in _ANGLE_FEATS:
        feats += _stats(series[name], _STATS)
    pts = {"wrist_a": g(A, "WRIST"), "wrist_b": g(Bs, "WRIST"), "elbow_a": g(A, "ELBOW"),
           "elbow_b": g(Bs, "ELBOW"), "shoulder_a": g(A, "SHOULDER"), "knee_a": g(A, "KNEE"),
           "ankle_a": g(A, "ANKLE"), "head": nb[:, J.HEAD]}
    for p in _TRAJ:
        for ax in (0, 1):
            feats += _stats(pts[p][:, ax], _TSTATS)
    feats.append(detect_view(seq, mv).width_ratio)
    return np.asarray(feats, dtype=np.float64)


# ----------------------------------------------------------------------------------------------- model


@dataclass
class FormModel:
    """Per-exercise logistic-regression good/bad form classifiers with numpy-only inference.

    ``params[exercise]`` holds ``mean``, ``scale`` (``(F,)`` standardisation; NaN features imputed with the
    mean), ``coef`` ``(F,)`` and ``intercept``; ``threshold`` is the probability above which form is called
    bad; ``meta`` carries training figures (cross-validated accuracy/F1) and data provenance.
    """

    params: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(sorted(self.params))

    def predict_proba_features(self, X: np.ndarray, exercise: str) -> np.ndarray:
        """``(N,)`` probability of bad form from ``(N, F)`` features. Raises :class:`NotFittedError` when no
        model exists for ``exercise``."""
        if exercise not in self.params:
            raise NotFittedError(f"a form model for '{exercise}'", f"models for {list(self.exercises)}",
                                 "Use the rule-based checks (repvision.form.assess_form) for this exercise.")
        return lr_proba(self.params[exercise], np.atleast_2d(np.asarray(X, dtype=np.float64)))

    def predict_proba(self, seq: PoseSequence, exercise: str) -> float:
        """Probability (0..1) that the performance in ``seq`` has bad form."""
        return float(self.predict_proba_features(sequence_features(seq)[None], exercise)[0])

    def predict(self, seq: PoseSequence, exercise: str) -> str:
        """``"bad"`` or ``"good"``."""
        return "bad" if self.predict_proba(seq, exercise) >= self.threshold else "good"

    def save(self, path: str | Path) -> None:
        """Write numpy weights to ``path`` (``.npz``; small: a few kB)."""
        arrays: dict[str, np.ndarray] = {}
        for ex, p in self.params.items():
            for k, v in p.items():
                arrays[f"{ex}/{k}"] = np.asarray(v, dtype=np.float64)
        meta = {"format": "repvision.form_model", "feature_version": FEATURE_VERSION,
                "feature_names": list(FEATURE_NAMES), "threshold": self.threshold, **self.meta}
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "FormModel":
        """Read a model written by :meth:`save`. Raises :class:`NotFittedError` for a missing or
        incompatible file."""
        p = Path(path)
        if not p.is_file():
            raise NotFittedError(f"a form model file at {p}", "no file", "Train one with train_form_model().")
        with np.load(p, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("feature_version") != FEATURE_VERSION:
                raise NotFittedError(f"feature version {FEATURE_VERSION}", f"{meta.get('feature_version')}",
                                     "Retrain the form model.")
            params: dict[str, dict[str, np.ndarray]] = {}
            for k in z.files:
                if k == "meta":
                    continue
                ex, name = k.split("/")
                params.setdefault(ex, {})[name] = z[k]
        thr = float(meta.pop("threshold", 0.5))
        return cls(params, thr, meta)


def load_form_model(name: str = "default") -> FormModel | None:
    """The shipped model ``models/form_<name>.npz``, or None when it is not there."""
    p = MODELS_DIR / f"form_{name}.npz"
    return FormModel.load(p) if p.is_file() else None


def lr_proba(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """``(N,)`` probability of bad form from ``(N, F)`` features with one exercise's logistic-regression
    ``params`` (``mean``, ``scale``, ``coef``, ``intercept``; a NaN feature takes the training mean)."""
    Z = (np.where(np.isfinite(X), X, params["mean"]) - params["mean"]) / params["scale"]
    return 1.0 / (1.0 + np.exp(-(Z @ params["coef"] + float(params["intercept"]))))


def _fit_lr(X: np.ndarray, y: np.ndarray, C: float) -> dict[str, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    mean = np.nanmean(np.where(np.isfinite(X), X, np.nan), axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    Xf = np.where(np.isfinite(X), X, mean)
    scale = Xf.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    Z = (Xf - mean) / scale
    lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    lr.fit(Z, y)
    return {"mean": mean, "scale": scale, "coef": lr.coef_[0].astype(np.float64),
            "intercept": np.array(lr.intercept_[0], dtype=np.float64)}


#: Inverse L2 regularisation strength of the logistic regressions (chosen by grouped CV on the development
#: data among 0.01, 0.03, 0.1, 0.3, 1: 0.3 gave the best Pose Trainer accuracy).
DEFAULT_C = 0.3


def train_form_model(items: list[LabelledSequence], C: float = DEFAULT_C,
                     features: dict[str, np.ndarray] | None = None, meta: dict[str, Any] | None = None) -> FormModel:
    """Fit one logistic regression per exercise on labelled sequences (needs scikit-learn).

    ``features``: precomputed :func:`sequence_features` by ``key`` (computed when missing). Exercises whose
    items are all one class are skipped.
    """
    feats = features or {}
    model = FormModel(meta=dict(meta or {}))
    for ex in sorted({it.exercise for it in items}):
        sub = [it for it in items if it.exercise == ex]
        y = np.array([it.is_bad for it in sub], dtype=int)
        if len(set(y)) < 2:
            continue
        X = np.stack([feats[it.key] if it.key in feats else sequence_features(it.pose) for it in sub])
        model.params[ex] = _fit_lr(X, y, C)
        model.meta.setdefault("trained_on", []).extend(it.key for it in sub)
    return model


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    tp = int(np.sum((y == 1) & (p == 1)))
    fp = int(np.sum((y == 0) & (p == 1)))
    fn = int(np.sum((y == 1) & (p == 0)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def binary_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Accuracy, F1 (positive = bad form) and the confusion matrix ``[[TN, FP], [FN, TP]]`` of 0/1 arrays."""
    y, p = np.asarray(y_true, int), np.asarray(y_pred, int)
    cm = [[int(np.sum((y == 0) & (p == 0))), int(np.sum((y == 0) & (p == 1)))],
          [int(np.sum((y == 1) & (p == 0))), int(np.sum((y == 1) & (p == 1)))]]
    return {"n": int(y.size), "accuracy": float(np.mean(y == p)) if y.size else float("nan"),
            "f1": _f1(y, p), "confusion": cm}


def cross_validate(items: list[LabelledSequence], n_splits: int = 5, C: float = DEFAULT_C, seed: int = 0,
                   features: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Grouped k-fold cross-validation of :func:`train_form_model` (needs scikit-learn).

    Folds are formed per exercise with ``StratifiedGroupKFold`` over ``item.group`` (source video / group id),
    so no group is ever split between training and test. Returns ``{"overall": metrics, "per_exercise":
    {exercise: metrics}, "predictions": {key: probability}}`` with :func:`binary_metrics` figures at the
    video (sequence) level.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    feats = dict(features or {})
    for it in items:
        if it.key not in feats:
            feats[it.key] = sequence_features(it.pose)
    preds: dict[str, float] = {}
    per_ex = {}
    ys, ps = [], []
    for ex in sorted({it.exercise for it in items}):
        sub = [it for it in items if it.exercise == ex]
        y = np.array([it.is_bad for it in sub], dtype=int)
        if len(set(y)) < 2:
            continue
        groups = np.array([it.group for it in sub])
        X = np.stack([feats[it.key] for it in sub])
        k = min(n_splits, len(set(groups)), int(min(np.bincount(y))))
        prob = np.full(len(sub), np.nan)
        for tr, te in StratifiedGroupKFold(n_splits=max(2, k), shuffle=True, random_state=seed).split(X, y, groups):
            p = _fit_lr(X[tr], y[tr], C)
            prob[te] = lr_proba(p, X[te])
        pred = (prob >= 0.5).astype(int)
        per_ex[ex] = binary_metrics(y, pred)
        ys.append(y)
        ps.append(pred)
        preds.update({it.key: float(q) for it, q in zip(sub, prob)})
    if ys:
        overall = binary_metrics(np.concatenate(ys), np.concatenate(ps))
    else:
        overall = binary_metrics(np.array([], int), np.array([], int))
    return {"overall": overall, "per_exercise": per_ex, "predictions": preds}


def rule_report(item: LabelledSequence):
    """The rule-based :class:`repvision.form.FormReport` of a labelled video: its repetitions counted
    (:func:`repvision.reps.count_repetitions`, the exercise given) and judged (:func:`repvision.form.assess_form`)."""
    from repvision.form import assess_form
    from repvision.reps import count_repetitions

    return assess_form(item.pose, item.exercise, count_repetitions(item.pose, item.exercise))


def rule_verdicts(items: list[LabelledSequence]) -> np.ndarray:
    """Rule-based verdicts, shape ``(len(items),)``, 1 = incorrect form: the report of :func:`rule_report` has
    the verdict ``"incorrect"`` (a major fault, :data:`repvision.form.MAJOR_FAULT_WEIGHT`); 0 also where nothing
    could be judged (no rules, no repetitions)."""
    return np.array([int(rule_report(it).verdict == "incorrect") for it in items], dtype=int)


def train_default_form_model(data_dir: str | Path, out: str | Path = MODELS_DIR / "form_default.npz",
                             pose_model: str = "lite", seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, Any]:
    """Train and write the shipped form model from a ``shared/data``-layout folder (needs scikit-learn).

    Uses ``pose_trainer/poses.npz`` (all four exercises) and the ``videos/manifest.csv`` push-up rows with a
    ``form_label`` (poses extracted and cached by :func:`repvision.pose.estimate_video`). Before fitting on
    everything it measures grouped cross-validation (:func:`cross_validate`, mean over ``seeds``) per dataset
    and stores those figures in the model's metadata; an exercise where the rule-based verdict
    (:func:`rule_verdicts`) beats the learned model's cross-validated accuracy is marked ``prefer_rules``.

    Returns the cross-validation figures. Raises :class:`ManifestError` when ``pose_trainer/`` is missing.
    """
    d = Path(data_dir)
    pt = load_pose_trainer(d)
    vids: list[LabelledSequence] = []
    if (d / "videos" / "manifest.csv").is_file():
        vids = load_labelled_videos(d, exercises=["push_up"], model=pose_model)
    cv: dict[str, Any] = {}
    for name, items in (("pose_trainer", pt), ("videos_push_up", vids)):
        if not items:
            continue
        feats = {it.key: sequence_features(it.pose) for it in items}
        runs = [cross_validate(items, features=feats, seed=s) for s in seeds]
        exs = runs[0]["per_exercise"].keys()
        cv[name] = {
            "accuracy": round(float(np.mean([r["overall"]["accuracy"] for r in runs])), 4),
            "f1": round(float(np.mean([r["overall"]["f1"] for r in runs])), 4),
            "per_exercise_accuracy": {e: round(float(np.mean([r["per_exercise"][e]["accuracy"] for r in runs])), 4)
                                      for e in exs},
            "n": len(items),
        }
    prefer: dict[str, str] = {}
    if vids and "videos_push_up" in cv:
        verdict = rule_verdicts(vids)
        y = np.array([it.is_bad for it in vids], dtype=int)
        acc = float(np.mean(verdict == y))
        if acc > cv["videos_push_up"]["accuracy"]:
            prefer["push_up"] = (f"rule-based verdict (a major fault) is right on {int(np.sum(verdict == y))}/"
                                 f"{len(y)} = {acc:.3f} of the development push-up videos vs "
                                 f"{cv['videos_push_up']['accuracy']:.3f} grouped-CV accuracy of this model")
    meta = {"format": "repvision.form_model", "feature_version": FEATURE_VERSION,
            "feature_names": list(FEATURE_NAMES),
            "data": f"pose_trainer ({len(pt)} sequences) + videos/ push_up rows with form_label ({len(vids)})",
            "C": DEFAULT_C, "cv": cv, "prefer_rules": prefer}
    model = train_form_model(pt + vids, meta=meta)
    model.save(out)
    return cv


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m repvision.form_models --data DIR [--out FILE]``."""
    import argparse

    ap = argparse.ArgumentParser(description="Train the shipped repvision form model.")
    ap.add_argument("--data", required=True, help="data folder with the layout of shared/data")
    ap.add_argument("--out", default=str(MODELS_DIR / "form_default.npz"), help="model file to write")
    a = ap.parse_args(argv)
    print(json.dumps(train_default_form_model(a.data, a.out), indent=2))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
