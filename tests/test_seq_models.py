"""PyTorch sequence models (repvision.seq_models) and the classification evaluation helpers."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from repvision.errors import NotFittedError  # noqa: E402
from repvision.seq_models import (MODELS, N_CHANNELS, T_FRAMES, TorchSequenceClassifier, augment,  # noqa: E402
                                  grouped_validation_split, mirror, sequence_tensor, skeleton_partitions)
from repvision.skeleton import JOINT_MIRROR  # noqa: E402

CLASSES = ("jumping_jack", "pull_up", "squat")


@pytest.fixture(scope="module")
def penn_small(shared_data):
    """40 train + 24 test Penn Action clips of 3 classes, as window tensors (real data)."""
    pytest.importorskip("scipy")
    from repvision.datasets.penn_action import read_penn_mat

    import csv

    with open(shared_data / "penn_action" / "manifest.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for split, per_class in (("train", 14), ("test", 8)):
        picked = []
        for c in CLASSES:
            picked += [r for r in rows if r["label"] == c and r["split"] == split][:per_class]
        samples = [read_penn_mat(shared_data / "penn_action" / r["file"]) for r in picked]
        out[split] = ([sequence_tensor(s.pose) for s in samples], np.array([s.label for s in samples]))
    torch.set_num_threads(1)
    return out


@pytest.mark.parametrize("name", MODELS)
def test_models_learn_on_real_clips(penn_small, name):
    Xtr, ytr = penn_small["train"]
    Xte, yte = penn_small["test"]
    clf = TorchSequenceClassifier(model=name, epochs=6, lr=5e-3, val_fraction=0.0, seed=0, batch_size=16,
                                  threads=1).fit(Xtr, ytr)
    losses = [r.train_loss for r in clf.history_]
    assert losses[-1] < losses[0]
    p = clf.predict_proba(Xte)
    assert p.shape == (len(Xte), len(CLASSES))
    assert np.allclose(p.sum(1), 1.0, atol=1e-5)
    assert list(clf.classes_) == sorted(CLASSES)
    acc = float(np.mean(clf.predict(Xte) == yte))
    assert acc > 1.0 / len(CLASSES), f"{name}: held-out top-1 {acc:.2f} not above chance"


def test_predict_before_fit_raises():
    with pytest.raises(NotFittedError):
        TorchSequenceClassifier(model="mlp").predict_proba(np.zeros((2, T_FRAMES, 13, N_CHANNELS), np.float32))


def test_unknown_model_and_bad_shapes_raise():
    X = np.zeros((4, T_FRAMES, 13, N_CHANNELS), np.float32)
    with pytest.raises(ValueError):
        TorchSequenceClassifier(model="transformer").fit(X, ["a", "b", "a", "b"])
    with pytest.raises(ValueError):
        TorchSequenceClassifier(model="mlp").fit(X, ["a", "b"])
    with pytest.raises(ValueError):
        TorchSequenceClassifier(model="mlp").fit(np.zeros((4, 8, 12, 5)), ["a", "b", "a", "b"])


def test_validation_split_and_early_stopping_history():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, T_FRAMES, 13, N_CHANNELS)).astype(np.float32)
    y = np.array(["a", "b"] * 20)
    X[y == "a", :, :, 0] += 1.0
    groups = np.repeat(np.arange(20), 2)
    clf = TorchSequenceClassifier(model="mlp", epochs=3, val_fraction=0.25, seed=1).fit(X, y, groups)
    assert 1 <= len(clf.history_) <= 3 and np.isfinite(clf.history_[0].val_loss)
    assert 1 <= clf.best_epoch_ <= len(clf.history_)


def test_grouped_split_never_shares_a_group():
    labels = np.array(["a", "b", "c"] * 30)
    groups = np.repeat(np.arange(30), 3)  # 3 clips (one of each class) per video
    tr, va = grouped_validation_split(labels, groups, fraction=0.2, seed=3)
    assert len(va) > 0 and len(tr) > 0
    assert not set(groups[tr]) & set(groups[va])
    assert len(tr) + len(va) == len(labels)


def test_mirroring_keeps_shape_labels_and_is_an_involution(penn_small):
    Xtr, ytr = penn_small["train"]
    w = Xtr[0]
    m = mirror(w)
    assert m.shape == w.shape
    np.testing.assert_allclose(mirror(m), w)
    # the left shoulder of the mirror is the negated-x right shoulder of the original
    np.testing.assert_allclose(m[..., 1, 0], -w[..., JOINT_MIRROR[1], 0])
    np.testing.assert_allclose(m[..., 1, 1], w[..., 2, 1])
    # a model trained on mirrored clips (same labels) still separates the classes of the originals
    Xm = [mirror(x) for x in Xtr]
    clf = TorchSequenceClassifier(model="conv1d_lstm", epochs=6, lr=5e-3, val_fraction=0.0, augment=False,
                                  batch_size=16, threads=1).fit(Xm, ytr)
    assert np.mean(clf.predict(Xtr) == ytr) > 1.0 / len(CLASSES)


def test_augment_keeps_shape_and_finite():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, T_FRAMES, 13, N_CHANNELS)).astype(np.float32)
    a = augment(x, rng)
    assert a.shape == x.shape and np.isfinite(a).all()


def test_sequence_tensor_shapes_on_synthetic_pose():
    from repvision.skeleton import JOINTS_13
    from repvision.types import PoseSequence

    t = 200  # 10 s at 20 fps -> several 4 s windows
    kp = np.zeros((t, 13, 4), np.float32)
    kp[..., 0] = np.linspace(100, 300, 13)[None]
    kp[..., 1] = np.linspace(50, 400, 13)[None] + 20 * np.sin(np.arange(t) / 5.0)[:, None]
    kp[..., 3] = 1.0
    kp[10:20, 3, :2] = np.nan  # a gap
    w = sequence_tensor(PoseSequence(kp, np.arange(t) / 20.0, JOINTS_13, "pixels"))
    assert w.ndim == 4 and w.shape[1:] == (T_FRAMES, 13, N_CHANNELS) and len(w) >= 3
    assert np.isfinite(w).all()


def test_stgcn_partitions_are_normalised():
    a = skeleton_partitions()
    assert a.shape == (3, 13, 13)
    np.testing.assert_allclose(a.sum(axis=(0, 1)), 1.0, atol=1e-6)  # each node: weights over its inputs sum to 1


def test_classification_metrics():
    from repvision.evaluation import classification_metrics

    m = classification_metrics(["a", "a", "b", "c"], ["a", "b", "b", "c"])
    assert m["top1"] == 0.75
    assert m["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3, abs=1e-4)
    assert m["confusion"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    # a clip answered outside the labels ("unknown": no person in it) is wrong and lowers its class's recall
    m = classification_metrics(["a", "a", "b", "c"], ["a", "unknown", "b", "c"], ["a", "b", "c"])
    assert m["top1"] == 0.75 and m["n"] == 4
    assert m["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3, abs=1e-4)
    assert m["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


def test_cli_evaluate_rejects_unknown_model(tmp_path):
    from typer.testing import CliRunner

    from repvision.cli import app

    r = CliRunner().invoke(app, ["evaluate", "--model", "nope", "--data", str(tmp_path), "--dataset", "videos"])
    assert r.exit_code == 2


def test_bench_classify_resumes_from_finished_runs(tmp_path, monkeypatch):
    # A run whose metrics.json exists is read back, not repeated (the dataset is not even loaded).
    import json

    from repvision import evaluation

    out = tmp_path / "out"
    (out / "pose_trainer_default").mkdir(parents=True)
    done = {"dataset": "pose_trainer", "model": "default", "n": 7, "top1": 0.5, "balanced_accuracy": 0.5,
            "macro_f1": 0.4, "seconds": 1.0, "labels": ["a"], "confusion": [[1]]}
    (out / "pose_trainer_default" / "metrics.json").write_text(json.dumps(done))

    def no_loading(*a, **k):
        raise AssertionError("a finished run was repeated")

    monkeypatch.setattr(evaluation, "load_dataset", no_loading)
    monkeypatch.setattr(evaluation, "evaluate", no_loading)
    res = evaluation.bench_classify(tmp_path, models=("default",), datasets=["pose_trainer"], out=out)
    assert res["results"] == [{k: v for k, v in done.items() if k not in ("labels", "confusion")}]


def test_mirror_tta_makes_predictions_mirror_invariant(penn_small):
    Xtr, ytr = penn_small["train"]
    Xte, _ = penn_small["test"]
    clf = TorchSequenceClassifier(model="conv1d_lstm", epochs=2, val_fraction=0.0, seed=0, batch_size=16,
                                  threads=1).fit(Xtr, ytr)
    mirrored = [mirror(x) for x in Xte]
    plain, plain_m = clf.predict_proba(Xte), clf.predict_proba(mirrored)
    assert not np.allclose(plain, plain_m, atol=1e-4)   # the model alone is not mirror-invariant
    clf.set_params(mirror_tta=True)
    assert np.allclose(clf.predict_proba(Xte), clf.predict_proba(mirrored), atol=1e-5)


def test_skeleton_ensemble_fit_predict_save_load(penn_small, tmp_path):
    from repvision.seq_models import SkeletonEnsemble

    Xtr, ytr = penn_small["train"]
    Xte, yte = penn_small["test"]
    ens = SkeletonEnsemble(members=("mlp", "conv1d_lstm"), epochs={"mlp": 4, "conv1d_lstm": 4}, seed=0, threads=1)
    with pytest.raises(NotFittedError):
        ens.predict_proba(Xte)
    epochs_seen = []
    assert ens.fit(Xtr, ytr, progress=lambda r: epochs_seen.append(r.epoch)) is ens
    assert max(epochs_seen) == 8   # the second member's epochs follow the first's
    p = ens.predict_proba(Xte)
    assert p.shape == (len(Xte), len(CLASSES)) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    assert list(ens.classes_) == sorted(CLASSES)
    # the ensemble is the mean of its members
    assert np.allclose(p, np.mean([m.predict_proba(Xte) for m in ens.members_], axis=0))
    ens.save(str(tmp_path / "ens.pt"))
    back = SkeletonEnsemble.load(str(tmp_path / "ens.pt"))
    assert back.get_params() == ens.get_params()
    assert np.allclose(back.predict_proba(Xte), p, atol=1e-6)
    with pytest.raises(ValueError, match="members"):
        SkeletonEnsemble(members=()).fit(Xtr, ytr)


def test_penn_action_8_is_the_exercise_subset_on_the_official_split(shared_data):
    # The 8-class task: only exercise clips, the official split kept, scored on the test split alone.
    pytest.importorskip("scipy")
    from repvision import evaluation

    s8 = evaluation.load_dataset(shared_data, "penn_action_8")
    assert {s.label for s in s8} == set(evaluation.PENN_EXERCISES)
    split = [s.meta["split"] for s in s8]
    assert split.count("train") == 574 and split.count("test") == 589
    few = [s for s in s8 if s.label in ("jumping_jack", "pull_up", "squat")]
    few = [s for s in few if s.meta["split"] == "train"][:30] + [s for s in few if s.meta["split"] == "test"][:12]
    f = evaluation.evaluate("default", shared_data, "penn_action_8", samples=few)
    assert f["protocol"] == "official train/test split" and f["n"] == 12
    assert set(f["labels"]) <= set(evaluation.PENN_EXERCISES)
    assert "top1_8" not in f   # top1 itself is the 8-class figure


def test_train_model_does_not_train_on_a_subset_dataset_twice(tmp_path, monkeypatch):
    from repvision import evaluation

    loaded = []
    monkeypatch.setattr(evaluation, "available_datasets", lambda d: ["penn_action", "penn_action_8", "videos"])

    def fake_load(data, name, **kwargs):
        loaded.append(name)
        return []

    def stop(*a, **k):
        raise RuntimeError("stop before training")

    monkeypatch.setattr(evaluation, "load_dataset", fake_load)
    monkeypatch.setattr(evaluation, "make_model", stop)
    with pytest.raises(RuntimeError):
        evaluation.train_model("stgcn", tmp_path, tmp_path / "m.pt")
    assert loaded == ["penn_action", "videos"]


def test_bench_classify_run_lines_are_not_wrapped(tmp_path):
    # Regression: on a narrow console the per-run line was wrapped before "(6.4 s)".
    import io
    import json

    from rich.console import Console

    from repvision import evaluation

    out = tmp_path / "out"
    (out / "penn_action_8_conv1d_lstm").mkdir(parents=True)
    done = {"dataset": "penn_action_8", "model": "conv1d_lstm", "n": 589, "top1": 0.9745, "balanced_accuracy": 0.9705,
            "macro_f1": 0.9688, "seconds": 6.4, "labels": ["a"], "confusion": [[1]]}
    (out / "penn_action_8_conv1d_lstm" / "metrics.json").write_text(json.dumps(done))
    buf = io.StringIO()
    evaluation.bench_classify(tmp_path, models=("conv1d_lstm",), datasets=["penn_action_8"], out=out,
                              console=Console(file=buf, width=60))
    line = [x for x in buf.getvalue().splitlines() if x.startswith("conv1d_lstm on penn_action_8: top-1")]
    assert line and line[0].endswith("(6.4 s)"), buf.getvalue()
