"""Does the learned Pose Trainer form model judge form, or recognise recording sessions? (diagnostic)

``repvision bench form`` cross-validates the learned good/bad model on Pose Trainer grouped by sequence (each
sequence is one video; the dataset names no person or session), as issue 5 asks. Its sequences were recorded in
a few sessions (one person, one camera set-up each), and inside most sessions every video has the same label,
so a model may learn to tell sessions apart rather than good from bad form. This script infers the sessions and
measures the learned model three ways, next to the rule-based checks (which learn nothing from this data):

* grouped by sequence, as shipped (``repvision.form_models.cross_validate``, 5 folds, mean of 3 seeds);
* leave one session out: trained on the other sessions of the exercise (a training set with one label only
  predicts that label: nothing else can be learned from it);
* inside the sessions that hold both labels (at least 2 of each): stratified 5-fold CV within each such session,
  pooled, so that session identity cannot help.

Sessions are inferred, not given: within one exercise, sequences are linked (single linkage) when the largest
keypoint y (a proxy of the video's height, pixels) differs by at most 4 px and the median neck-hip length (the
person's size in the picture) by at most 6%.

    .venv/bin/python benchmarks/form_pose_trainer_sessions.py [--data ../shared/data] [--json FILE]

Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from repvision.bench.form import sequence_rule_verdict
from repvision.form import load_rules
from repvision.form_models import DEFAULT_C, _fit_lr, cross_validate, load_pose_trainer, lr_proba, sequence_features

#: Session linkage tolerances (module docstring).
YMAX_TOL_PX = 4.0
TORSO_TOL = 0.06


def _size(kp: np.ndarray) -> tuple[float, float]:
    """(largest detected y in pixels, median neck-to-hip length in pixels) of ``(T, 18, 3)`` OpenPose keypoints."""
    ok = kp[..., 2] > 0
    lengths = []
    for hip in (8, 11):   # neck -> right hip, neck -> left hip
        m = ok[:, 1] & ok[:, hip]
        if m.any():
            lengths.append(float(np.median(np.linalg.norm(kp[m, 1, :2] - kp[m, hip, :2], axis=1))))
    return float(kp[..., 1][ok].max()), float(np.mean(lengths)) if lengths else float("nan")


def infer_sessions(items, arrays) -> dict[str, str]:
    """Sequence key -> session id (``<exercise>:<first key of the session>``), by the linkage of the docstring."""
    out: dict[str, str] = {}
    for ex in sorted({it.exercise for it in items}):
        keys = [it.key for it in items if it.exercise == ex]
        size = {k: _size(arrays[k]) for k in keys}
        parent = {k: k for k in keys}

        def root(k: str) -> str:
            while parent[k] != k:
                k = parent[k]
            return k

        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                (ya, ta), (yb, tb) = size[a], size[b]
                if abs(ya - yb) <= YMAX_TOL_PX and abs(ta - tb) <= TORSO_TOL * max(ta, tb):
                    parent[root(a)] = root(b)
        roots = {}
        for k in keys:
            roots.setdefault(root(k), k)
        for k in keys:
            out[k] = f"{ex}:{roots[root(k)]}"
    return out


def _predict(X_tr, y_tr, X_te) -> np.ndarray:
    if len(set(y_tr.tolist())) < 2:
        return np.full(len(X_te), int(y_tr[0]))
    return (lr_proba(_fit_lr(X_tr, y_tr, DEFAULT_C), X_te) >= 0.5).astype(int)


def main() -> None:
    from sklearn.model_selection import StratifiedKFold

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = ap.parse_args()
    items = load_pose_trainer(a.data)
    with np.load(a.data / "pose_trainer" / "poses.npz") as z:
        arrays = {it.key: z[it.key] for it in items}
    session = infer_sessions(items, arrays)
    feats = {it.key: sequence_features(it.pose) for it in items}
    y_all = {it.key: int(it.is_bad) for it in items}

    sessions = {}
    for it in items:
        s = sessions.setdefault(session[it.key], {"exercise": it.exercise, "good": 0, "bad": 0})
        s["bad" if it.is_bad else "good"] += 1
    print(f"{len(items)} sequences, {len(sessions)} inferred sessions:")
    for sid, s in sorted(sessions.items()):
        print(f"  {sid:45s} good {s['good']:2d}  bad {s['bad']:2d}")

    runs = [cross_validate(items, features=feats, seed=s) for s in range(3)]
    by_sequence = {ex: round(float(np.mean([r["per_exercise"][ex]["accuracy"] for r in runs])), 4)
                   for ex in runs[0]["per_exercise"]}
    by_sequence["all"] = round(float(np.mean([r["overall"]["accuracy"] for r in runs])), 4)

    loso, within, rules = {}, {}, {}
    hits_loso, hits_within, hits_rules = [], [], []
    for ex in sorted({it.exercise for it in items}):
        sub = [it for it in items if it.exercise == ex]
        X = np.stack([feats[it.key] for it in sub])
        y = np.array([y_all[it.key] for it in sub])
        g = np.array([session[it.key] for it in sub])
        pred = np.zeros(len(sub), int)
        for sid in sorted(set(g)):
            te = g == sid
            pred[te] = _predict(X[~te], y[~te], X[te])
        loso[ex] = round(float(np.mean(pred == y)), 4)
        hits_loso += (pred == y).tolist()
        ok = []
        for sid in sorted(set(g)):
            m = np.flatnonzero(g == sid)
            counts = np.bincount(y[m], minlength=2)
            if counts.min() < 2:
                continue
            k = int(min(5, counts.min()))
            for tr, te in StratifiedKFold(k, shuffle=True, random_state=0).split(X[m], y[m]):
                ok += (_predict(X[m][tr], y[m][tr], X[m][te]) == y[m][te]).tolist()
        within[ex] = {"accuracy": round(float(np.mean(ok)), 4) if ok else None, "n": len(ok)}
        hits_within += ok
        if load_rules(ex) is not None:
            r = [sequence_rule_verdict(it) == y_all[it.key] for it in sub]
            rules[ex] = round(float(np.mean(r)), 4)
            hits_rules += r
    loso["all"] = round(float(np.mean(hits_loso)), 4)
    within["all"] = {"accuracy": round(float(np.mean(hits_within)), 4) if hits_within else None,
                     "n": len(hits_within)}
    rules["all (exercises with rules)"] = round(float(np.mean(hits_rules)), 4) if hits_rules else None
    pure = sum(1 for s in sessions.values() if min(s["good"], s["bad"]) == 0)
    print(f"{pure} of {len(sessions)} sessions hold one label only")
    print(f"learned, grouped by sequence (as shipped): {by_sequence}")
    print(f"learned, leave one session out: {loso}")
    print(f"learned, inside sessions with both labels: {within}")
    print(f"rules (no training on this data): {rules}")
    out = {"benchmark": "form_pose_trainer_sessions", "n_sequences": len(items), "n_sessions": len(sessions),
           "sessions_with_one_label": pure, "sessions": sessions,
           "linkage": {"ymax_tol_px": YMAX_TOL_PX, "torso_tol": TORSO_TOL},
           "learned_by_sequence": by_sequence, "learned_leave_one_session_out": loso,
           "learned_within_mixed_sessions": within, "rules": rules}
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
