"""Helpers shared by the benchmarks (``repvision.bench``)."""

from __future__ import annotations

import numpy as np
import pytest

from repvision.bench import choose_binary_verdict, choose_per_fold, parse_settings


def test_parse_settings_reads_json_values_and_names_bad_items():
    assert parse_settings(["confirm=3", "release_backlog=true", 'report_by="count"', "step_s=0.1"]) == {
        "confirm": 3, "release_backlog": True, "report_by": "count", "step_s": 0.1}
    assert parse_settings([]) == {}
    with pytest.raises(ValueError, match="NAME=VALUE.*'confirm'"):
        parse_settings(["confirm"])
    with pytest.raises(ValueError, match="confirm.*JSON.*'x'"):
        parse_settings(["confirm=x"])


def test_choose_per_fold_uses_the_other_folds_only():
    # option 0 is right on fold 0 only, option 1 on folds 1 and 2: fold 0 gets option 1 (chosen on folds 1-2),
    # folds 1 and 2 get the option best on the remaining folds (a tie there goes to the lower index)
    folds = np.array([0, 0, 1, 1, 2, 2])
    right = {0: np.array([1, 1, 0, 0, 0, 0], bool), 1: np.array([0, 0, 1, 1, 1, 1], bool)}
    choice = choose_per_fold(folds, 2, lambda j, tr: -int(right[j][tr].sum()))
    assert choice == {0: 1, 1: 0, 2: 0}


def test_choose_binary_verdict_held_out_accuracy():
    # 20 groups of 3 items; verdict "a" is the truth, "b" its opposite: every fold picks "a", held out 100%
    pytest.importorskip("sklearn")
    y = np.tile([0, 1], 30)
    groups = np.repeat(np.arange(20), 3)
    runs = choose_binary_verdict([1 - y, y.copy()], ["b", "a"], y, groups, seeds=2)
    assert [r["seed"] for r in runs] == [0, 1]
    assert all(set(r["chosen"]) == {"a"} and r["held_out"]["accuracy"] == 1.0 for r in runs)


def test_setting_arg_in_argparse(capsys):
    import argparse

    from repvision.bench import setting_arg

    ap = argparse.ArgumentParser(prog="bench")
    ap.add_argument("--set", action="append", default=[], type=setting_arg)
    assert dict(ap.parse_args(["--set", "confirm=3", "--set", "step_s=0.1"]).set) == {"confirm": 3, "step_s": 0.1}
    with pytest.raises(SystemExit):
        ap.parse_args(["--set", "confirm"])
    assert "--set expects NAME=VALUE, got 'confirm'" in capsys.readouterr().err


def test_repcount_options_of_the_benchmark_scripts(tmp_path):
    import argparse

    from repvision.bench import add_repcount_options

    script = tmp_path / "repo" / "benchmarks" / "x.py"
    ap = argparse.ArgumentParser(prog="x")
    add_repcount_options(ap, str(script), setting_help="a counter setting")
    a = ap.parse_args(["--set", "phase_votes=3", "--jobs", "4"])
    assert a.data == tmp_path / "shared" / "data" / "repcount_a"   # ../shared beside the repository
    assert dict(a.set) == {"phase_votes": 3} and a.jobs == 4
    bare = argparse.ArgumentParser(prog="y")
    add_repcount_options(bare, str(script), jobs=False)
    b = bare.parse_args(["--data", "elsewhere"])
    assert str(b.data) == "elsewhere" and not hasattr(b, "set") and not hasattr(b, "jobs")


def test_mean_held_out_accuracy_averages_the_seeds():
    from repvision.bench import mean_held_out_accuracy

    runs = [{"held_out": {"accuracy": 0.5}}, {"held_out": {"accuracy": 0.75}}, {"held_out": {"accuracy": 1 / 3}}]
    assert mean_held_out_accuracy(runs) == 0.5278


def test_reps_cross_validation_repeats_the_grouped_split(monkeypatch):
    # a fake counter: half_merge 0.3 counts every video right, 0.5 one too many on the even ones; the repeated
    # CV must choose per fold on the other folds, with a fresh split per repeat, and average the repeats
    from types import SimpleNamespace

    import repvision.bench.reps as br
    from repvision.reps import RepCounterConfig

    true = np.array([3, 5, 8, 2, 10, 4, 6, 7, 9, 12, 5, 3])
    samples = [SimpleNamespace(pose=i, count=int(c), group_id=f"v{i // 2}") for i, c in enumerate(true)]

    def fake_count(pose, exercise, cfg):
        return SimpleNamespace(count=int(true[pose]) + (cfg.half_merge == 0.5 and pose % 2 == 0))

    monkeypatch.setattr(br, "count_repetitions", fake_count)
    res = br.cross_validate(samples, RepCounterConfig(), {"half_merge": (0.3, 0.5)}, k=3, repeats=3)
    assert res["cv_mae"] == 0.0 and res["cv_mae_repeats"] == [0.0, 0.0, 0.0] and len(res["cv_chosen"]) == 3
    # a grid point alone: every repeat gives its in-sample figure
    res = br.cross_validate(samples, RepCounterConfig(), {"half_merge": (0.5,)}, k=3, repeats=2)
    mae = float(np.mean((np.arange(12) % 2 == 0) / true))   # one too many on the even videos
    assert res["cv_mae_repeats"] == [round(mae, 4)] * 2 and res["cv_mae"] == round(mae, 4)
    # the splits differ from repeat to repeat, and each repeat is one held-out selection
    counts = [true.copy(), true + (np.arange(12) % 3 == 0)]
    groups = [s.group_id for s in samples]
    folds = [br.grouped_folds(groups, 3, s) for s in (0, 1)]
    assert not np.array_equal(folds[0], folds[1])
    pred, choice = br.held_out_counts(counts, true, folds[0])
    assert set(choice.values()) == {0} and np.array_equal(pred, true)
    with pytest.raises(ValueError, match="repeats"):
        br.cross_validate(samples, RepCounterConfig(), {"half_merge": (0.3,)}, repeats=0)
