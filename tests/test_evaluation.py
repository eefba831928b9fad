"""``repvision evaluate`` outputs (metrics.json, confusion matrix as CSV and PNG, training curves) and the
speed benchmark, on the committed real clips (no shared data needed)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import DATA, OWN_VIDEOS, make_own_videos


def test_evaluate_writes_confusion_matrix_and_training_curves(tmp_path):
    pytest.importorskip("torch")
    import matplotlib.image as mpimg

    from repvision.evaluation import evaluate

    folder = make_own_videos(tmp_path / "videos")
    (folder / "goblet_squat" / "truncated.mp4").write_bytes((DATA / "calimiro_squat_19.mp4").read_bytes()[:2000])
    out = tmp_path / "eval"
    fig = evaluate("mlp", folder, "videos", folds=2, out=out, epochs=3)
    n = sum(len(v) for v in OWN_VIDEOS.values())
    assert fig["n"] == n and fig["labels"] == ["crunch", "goblet_squat"]
    assert fig["n_unreadable_videos"] == 1   # the truncated file is left out, the rest evaluated
    assert fig["protocol"] == "stratified 2-fold CV grouped by group_id"
    assert json.loads((out / "metrics.json").read_text())["confusion"] == fig["confusion"]
    with open(out / "confusion.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["true\\predicted", "crunch", "goblet_squat"]
    counts = [[int(v) for v in r[1:]] for r in rows[1:]]
    assert counts == fig["confusion"] and sum(map(sum, counts)) == n   # every clip held out once
    assert 0.0 <= fig["top1"] <= 1.0 and fig["top1"] == pytest.approx(
        sum(counts[i][i] for i in range(2)) / n, abs=1e-4)
    for png in ("confusion.png", "training_curves.png"):
        img = mpimg.imread(out / png)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert len(fig["epochs_run"]) == 2 and all(1 <= e <= 3 for e in fig["epochs_run"])


def test_evaluate_rejects_more_folds_than_groups(tmp_path):
    pytest.importorskip("torch")
    from repvision.errors import ManifestError
    from repvision.evaluation import evaluate

    folder = make_own_videos(tmp_path / "videos")
    with pytest.raises(ManifestError, match="Lower --folds"):
        evaluate("mlp", folder, "videos", folds=9, epochs=1)


def test_speed_benchmark_reports_both_loops(tmp_path):
    from rich.console import Console

    from repvision.bench.speed import run_speed_benchmark

    fig = run_speed_benchmark(DATA / "calimiro_squat_19.mp4", "lite", 1, None, console=Console(quiet=True),
                              repeats=1, pose_workers=1)
    assert fig["frames"] == 143 and fig["width"] == 960 and fig["pose_workers"] == 1
    assert fig["bare_fps"] > 0 and fig["analyze_1worker_fps"] > 0
    assert fig["ratio"] == pytest.approx(fig["analyze_1worker_fps"] / fig["bare_fps"], rel=0.01)
    assert fig["realtime_factor"] == pytest.approx(fig["analyze_fps"] / 25.0, rel=0.01)
