"""``repvision bench form``: form feedback against the labelled form data of a ``shared/data``-layout folder.

Datasets used when present:

* ``videos/manifest.csv`` rows with a ``form_label`` (correct/incorrect): analysed end to end (video ->
  :func:`repvision.pose.estimate_video` -> :func:`repvision.reps.count_repetitions` with the manifest's
  exercise -> :func:`repvision.form.assess_form` / the learned model). Video-level verdicts:
  *rules*: the report's :attr:`repvision.form.FormReport.verdict` -- incorrect when any repetition (or the hold)
  shows a major fault, an issue of a check weighing >= :data:`repvision.form.MAJOR_FAULT_WEIGHT` points in its
  rule file (exercises without rules or reps are called correct; a mean repetition score below
  :data:`RULE_SCORE_THRESHOLD`, the earlier verdict, is reported beside it); *learned*: the shipped
  :class:`repvision.form_models.FormModel` where it has the exercise -- for videos the model was trained on
  (listed in its metadata), the out-of-fold prediction of a cross-validation grouped by ``group_id`` instead, so
  a development-data figure is never a training-set figure; *pipeline*: learned where available and not marked
  ``prefer_rules`` in the model's metadata (exercises where the rules were more accurate on the development
  data, e.g. push_up), else rules.
  The first key of the result is the pipeline's video-level accuracy.
* ``pose_trainer/``: rule verdict per sequence (the whole sequence judged as one repetition, as Pose Trainer
  does; bad when it shows a major fault, as above) and the learned model: grouped cross-validation when
  scikit-learn is installed, plus the shipped model's figures (trained on this development data, so optimistic
  there).
* ``form_frames/``: per-frame rule checks against per-frame labels: plank hip sag/pike
  (ngoquocbao ``plank_model/test.csv``, C/H/L), lunge knee over toes (``lunge_model/err.test.csv``, C/L),
  squat knees caving in (wafi ``squat_coords.csv``, bottom-position rows).

Metrics: accuracy, F1 with the faulty form as the positive class, confusion matrix ``[[TN, FP], [FN, TP]]``.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.markup import escape

from repvision.form import (
    MAJOR_FAULT_WEIGHT, MIN_VISIBILITY, assess_form, load_rules, measure_series, whole_sequence_repetition,
)
from repvision.form_models import (
    binary_metrics, cross_validate, load_form_model, load_labelled_videos, load_pose_trainer, rule_report,
    sequence_features,
)
from repvision.skeleton import BLAZEPOSE_33, BlazePoseLandmark
from repvision.types import PoseSequence

#: The earlier verdict, still reported for comparison: a mean repetition form score below this is incorrect.
RULE_SCORE_THRESHOLD = 80.0


def _table(console, title: str, rows: dict[str, dict[str, Any]]) -> None:
    from rich.table import Table

    t = Table(title=title)
    for col in ("set", "n", "accuracy", "F1 (bad)", "TN", "FP", "FN", "TP"):
        t.add_column(col, justify="left" if col == "set" else "right")
    for name, m in rows.items():
        cm = m["confusion"]
        t.add_row(name, str(m["n"]), f"{m['accuracy']:.3f}", f"{m['f1']:.3f}", str(cm[0][0]), str(cm[0][1]),
                  str(cm[1][0]), str(cm[1][1]))
    console.print(t)


def _rnd(m: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}


# ------------------------------------------------------------------------------------------------ videos


def score_verdict(report) -> int:
    """1 (incorrect) when the mean repetition form score is below :data:`RULE_SCORE_THRESHOLD`, else 0."""
    if report.mode not in ("reps", "hold"):
        return 0
    return int(report.score is not None and report.score < RULE_SCORE_THRESHOLD)


def major_fault(report) -> bool:
    """Whether a :class:`repvision.form.FormReport` shows a major fault (its ``verdict`` is ``"incorrect"``: an
    issue of a check weighing >= :data:`repvision.form.MAJOR_FAULT_WEIGHT` points in the rule file used)."""
    return report.verdict == "incorrect"


def _videos(data_dir: Path, console, model, pose_model: str = "lite") -> dict[str, Any]:
    skipped: list[tuple[str, str]] = []
    items = load_labelled_videos(data_dir, model=pose_model, skipped=skipped)
    # Learned model: videos the shipped model was trained on get out-of-fold predictions from a grouped
    # cross-validation instead (so the development figure is not a training-set figure).
    trained_on = set(model.meta.get("trained_on", [])) if model is not None else set()
    prefer_rules = set(model.meta.get("prefer_rules", {})) if model is not None else set()
    oof: dict[str, float] = {}
    res: dict[str, Any] = {"n": len(items), "pose_model": pose_model,
                           "skipped": [{"path": p, "reason": why} for p, why in skipped]}
    for p, why in skipped:   # escaped: a path or message with "[/...]" in it is not rich markup
        console.print(f"[yellow]left out {escape(p)}: {escape(why)}[/yellow]")
    try:
        trainable = [it for it in items if len({i.label for i in items if i.exercise == it.exercise}) > 1]
        if trainable:
            feats = {it.key: sequence_features(it.pose) for it in trainable}
            cv = [cross_validate(trainable, features=feats, seed=s) for s in range(3)]
            oof = cv[0]["predictions"]
            res["learned_grouped_cv"] = {
                "accuracy": round(float(np.mean([c["overall"]["accuracy"] for c in cv])), 4),
                "f1": round(float(np.mean([c["overall"]["f1"] for c in cv])), 4),
                "n": len(trainable), "folds": "StratifiedGroupKFold(5) by group_id, mean of 3 seeds",
            }
    except ImportError:  # scikit-learn not installed: shipped model only
        res["learned_grouped_cv"] = None
    y, rule_p, score_p, learn_p, pipe_p, rows = [], [], [], [], [], []
    learned_only: dict[str, tuple[int, int]] = {}
    n_oof = 0
    for it in items:
        bad = int(it.is_bad)
        rep = rule_report(it)
        rp = int(major_fault(rep))
        score_p.append(score_verdict(rep))
        lp = None
        if model is not None and it.exercise in model.params and it.exercise not in prefer_rules:
            if it.key in trained_on and it.key in oof:
                lp = int(oof[it.key] >= 0.5)
                n_oof += 1
            else:
                lp = int(model.predict_proba(it.pose, it.exercise) >= model.threshold)
        elif model is not None and it.exercise in model.params and it.key in oof:
            learned_only[it.key] = (bad, int(oof[it.key] >= 0.5))
        y.append(bad)
        rule_p.append(rp)
        learn_p.append(lp)
        pipe_p.append(rp if lp is None else lp)
        rows.append((it.key, it.exercise, it.label, rep.score, rp, lp))
    y_a = np.array(y, int)
    res["learned_out_of_fold_videos"] = n_oof
    res["pipeline"] = _rnd(binary_metrics(y_a, np.array(pipe_p, int)))
    res["rules"] = _rnd(binary_metrics(y_a, np.array(rule_p, int)))
    res["rules_mean_score"] = _rnd(binary_metrics(y_a, np.array(score_p, int)))
    has = np.array([p is not None for p in learn_p], bool)
    if has.any():
        res["learned"] = _rnd(binary_metrics(y_a[has], np.array([p for p in learn_p if p is not None])))
    if learned_only:
        yy, pp = zip(*learned_only.values())
        res["learned_not_used"] = _rnd(binary_metrics(np.array(yy), np.array(pp)))
        res["learned_not_used"]["exercises"] = sorted(prefer_rules)
    per_ex = {}
    for ex in sorted({r[1] for r in rows}):
        idx = np.array([r[1] == ex for r in rows])
        per_ex[ex] = _rnd(binary_metrics(y_a[idx], np.array(pipe_p, int)[idx]))
    res["per_exercise_pipeline"] = per_ex
    show = {"pipeline (learned where available, else rules)": res["pipeline"],
            f"rules only (a major fault: check weight >= {MAJOR_FAULT_WEIGHT:g})": res["rules"],
            f"rules only, earlier verdict (mean score < {RULE_SCORE_THRESHOLD:g})": res["rules_mean_score"]}
    if "learned" in res:
        show["learned" + (f" ({n_oof} out-of-fold: model was trained on them)" if n_oof else "")] = res["learned"]
    if "learned_not_used" in res:
        show["learned, out-of-fold (not used: rules are better for " + ", ".join(sorted(prefer_rules)) + ")"] = \
            res["learned_not_used"]
    for ex, m in per_ex.items():
        show[f"pipeline: {ex}"] = m
    _table(console, f"videos/: form verdict per video ({len(items)} labelled videos, end to end)", show)
    if n_oof:
        console.print(f"{n_oof} videos were in the shipped model's training data: their learned verdicts are "
                      "out-of-fold predictions of a cross-validation grouped by group_id.")
    return res


# ------------------------------------------------------------------------------------------------ pose trainer


def sequence_rule_verdict(item) -> int:
    """1 when the rules find a major fault in a labelled sequence judged as one repetition (Pose Trainer's
    sequences each show one performance), else 0."""
    return int(major_fault(assess_form(item.pose, item.exercise,
                                       whole_sequence_repetition(item.pose, item.exercise))))


def _pose_trainer(data_dir: Path, console, model) -> dict[str, Any]:
    items = load_pose_trainer(data_dir)
    res: dict[str, Any] = {"n": len(items)}
    y, p, rows = [], [], {}
    per: dict[str, tuple[list[int], list[int]]] = {}
    for it in items:
        if load_rules(it.exercise) is None:
            continue
        pred = sequence_rule_verdict(it)
        y.append(int(it.is_bad))
        p.append(pred)
        per.setdefault(it.exercise, ([], []))
        per[it.exercise][0].append(int(it.is_bad))
        per[it.exercise][1].append(pred)
    res["rules"] = _rnd(binary_metrics(np.array(y), np.array(p)))
    rows["rules: all (exercises with rules)"] = res["rules"]
    res["rules_per_exercise"] = {}
    for ex, (yy, pp) in sorted(per.items()):
        m = _rnd(binary_metrics(np.array(yy), np.array(pp)))
        res["rules_per_exercise"][ex] = m
        rows[f"rules: {ex}"] = m
    feats = {it.key: sequence_features(it.pose) for it in items}
    try:
        cvs = [cross_validate(items, features=feats, seed=s) for s in range(3)]
        res["learned_grouped_cv"] = {
            "accuracy": round(float(np.mean([c["overall"]["accuracy"] for c in cvs])), 4),
            "f1": round(float(np.mean([c["overall"]["f1"] for c in cvs])), 4),
            "per_exercise_accuracy": {ex: round(float(np.mean([c["per_exercise"][ex]["accuracy"] for c in cvs])), 4)
                                      for ex in cvs[0]["per_exercise"]},
            "folds": "StratifiedGroupKFold(5) by sequence (one video each), mean of 3 seeds",
        }
        rows["learned: grouped CV (seed 0)"] = _rnd(cvs[0]["overall"])
        for ex, m in cvs[0]["per_exercise"].items():
            rows[f"learned CV: {ex}"] = _rnd(m)
    except ImportError:
        res["learned_grouped_cv"] = None
    if model is not None:
        sub = [it for it in items if it.exercise in model.params]
        if sub:
            X = {it.key: feats[it.key] for it in sub}
            pr = [int(model.predict_proba_features(X[it.key][None], it.exercise)[0] >= model.threshold) for it in sub]
            res["learned_shipped"] = _rnd(binary_metrics(np.array([int(it.is_bad) for it in sub]), np.array(pr)))
            rows["learned: shipped model (trained on this data)"] = res["learned_shipped"]
    _table(console, f"pose_trainer/: good/bad per sequence ({len(items)} sequences)", rows)
    return res


# ------------------------------------------------------------------------------------------------ form frames


def _frames_sequence(rows: list[dict[str, str]], wafi: bool = False) -> PoseSequence:
    """Stack per-frame landmark rows (normalised image coordinates) as a BlazePose-33 sequence; landmarks a
    file does not have are NaN with visibility 0."""
    n = len(rows)
    k = np.full((n, 33, 4), np.nan, np.float32)
    k[..., 3] = 0.0
    for lm in BlazePoseLandmark:
        i = int(lm)
        if wafi:
            cols = [f"x{i + 1}", f"y{i + 1}", f"z{i + 1}", f"v{i + 1}"]
        else:
            nm = lm.name.lower()
            cols = [f"{nm}_x", f"{nm}_y", f"{nm}_z", f"{nm}_v"]
        if cols[0] not in rows[0]:
            continue
        k[:, i, :] = np.array([[float(r[c]) for c in cols] for r in rows], np.float32)
    return PoseSequence(k, np.arange(n) / 30.0, BLAZEPOSE_33, "image", source="form_frames")


def _read(p: Path) -> list[dict[str, str]]:
    with open(p, newline="") as f:
        return list(csv.DictReader(f))


def _frames_measure(rows: list[dict[str, str]], measure: str, view: str, wafi: bool = False) -> np.ndarray:
    """``(N,)`` values of ``measure`` on labelled single frames (rows of a form_frames CSV), as seen from
    ``view``; NaN where the landmarks are not visible enough."""
    seq = _frames_sequence(rows, wafi=wafi)
    return measure_series(seq, measure, view, min_visibility=MIN_VISIBILITY, check_tracking=False)


def _form_frames(data_dir: Path, console) -> dict[str, Any]:
    base = Path(data_dir) / "form_frames"
    res: dict[str, Any] = {}
    rows_out: dict[str, dict[str, Any]] = {}
    plank = load_rules("plank")
    p = base / "ngoquocbao_exercise_correction" / "plank_model" / "test.csv"
    if p.is_file() and plank is not None:
        rows = _read(p)
        bl = _frames_measure(rows, "body_line", "side")
        sag, pike = plank.checks["hip_sag"].min, plank.checks["hip_pike"].max
        pred = np.where(bl < sag, "L", np.where(bl > pike, "H", "C"))
        lab = np.array([r["label"] for r in rows])
        m = _rnd(binary_metrics((lab != "C").astype(int), (pred != "C").astype(int)))
        m["three_class_accuracy"] = round(float(np.mean(pred == lab)), 4)
        res["plank_hips"] = m
        rows_out[f"plank hip sag/pike (C vs H/L; 3-class acc {m['three_class_accuracy']:.3f})"] = m
    lunge = load_rules("lunge")
    p = base / "ngoquocbao_exercise_correction" / "lunge_model" / "err.test.csv"
    if p.is_file() and lunge is not None:
        rows = _read(p)
        kot = _frames_measure(rows, "knee_over_toe", "side")
        pred = (np.nan_to_num(kot, nan=-1.0) > lunge.checks["knee_over_toe"].max).astype(int)
        lab = np.array([r["label"] != "C" for r in rows], int)
        res["lunge_knee_over_toe"] = _rnd(binary_metrics(lab, pred))
        rows_out["lunge knee over toes (C vs L)"] = res["lunge_knee_over_toe"]
    squat = load_rules("squat")
    p = base / "wafi_form_landmarks" / "squat_coords.csv"
    if p.is_file() and squat is not None:
        rows = [r for r in _read(p) if r["class"] in ("s_correct_down", "s_caved_in_knees_down")]
        if rows:
            kr = _frames_measure(rows, "knee_ratio", "front", wafi=True)
            pred = (np.nan_to_num(kr, nan=9.0) < squat.checks["knee_valgus"].min).astype(int)
            lab = np.array([r["class"] == "s_caved_in_knees_down" for r in rows], int)
            res["squat_knee_valgus"] = _rnd(binary_metrics(lab, pred))
            # where the measure itself lies for each label (it explains a low score better than the threshold)
            res["squat_knee_valgus"]["knee_ratio_median"] = {
                name: round(float(np.nanmedian(kr[lab == v])), 3) if np.isfinite(kr[lab == v]).any() else None
                for name, v in (("correct", 0), ("caved_in_knees", 1))}
            rows_out["squat knees caving in (bottom rows)"] = res["squat_knee_valgus"]
    if rows_out:
        _table(console, "form_frames/: rule checks per frame", rows_out)
    return res


# ------------------------------------------------------------------------------------------------ entry point


def run_form_benchmark(data_dir: str | Path, console: Any | None = None, pose_model: str = "lite"
                       ) -> dict[str, Any]:
    """Evaluate rule-based and learned form feedback on every labelled form dataset in ``data_dir``.

    Prints rich tables (accuracy, F1, confusion matrix per dataset) to ``console`` (a new one when None) and
    returns a dict whose **first key** is ``videos_accuracy`` (pipeline video-level accuracy on ``videos/``)
    when that folder has labelled rows, followed by per-dataset results. Missing datasets are skipped.
    ``pose_model`` (``"lite"``, ``"full"`` or a ``.task`` path) is the MediaPipe model run on the ``videos/``
    clips (the other datasets come with their poses); videos that cannot be analysed are listed under
    ``videos.skipped``. Raises :class:`repvision.errors.ConfigError` for an unknown model name.
    """
    from rich.console import Console

    console = console or Console()
    d = Path(data_dir)
    t0 = time.perf_counter()
    model = load_form_model()
    out: dict[str, Any] = {}
    videos = None
    if (d / "videos" / "manifest.csv").is_file():
        videos = _videos(d, console, model, pose_model)
        out["videos_accuracy"] = videos["pipeline"]["accuracy"] if videos["n"] else float("nan")
        out["videos_f1"] = videos["pipeline"]["f1"] if videos["n"] else float("nan")
    out["benchmark"] = "form"
    out["data_dir"] = str(d)
    if videos is not None:
        out["videos"] = videos
    if (d / "pose_trainer" / "poses.npz").is_file():
        out["pose_trainer"] = _pose_trainer(d, console, model)
    if (d / "form_frames").is_dir():
        out["form_frames"] = _form_frames(d, console)
    out["model"] = None if model is None else {"exercises": list(model.exercises), "cv": model.meta.get("cv")}
    out["rule_verdict"] = f"incorrect when any repetition shows an issue of a check weighing >= {MAJOR_FAULT_WEIGHT:g}"
    out["rule_score_threshold"] = RULE_SCORE_THRESHOLD
    out["total_seconds"] = round(time.perf_counter() - t0, 2)
    return out
