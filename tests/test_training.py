"""Training the default classifier on one's own videos (a root/<exercise>/*.mp4 folder) and using the model
in analyze: the committed real clips, filed under labels outside repvision's vocabulary."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import DATA, OWN_VIDEOS as OWN, make_own_videos as _own_folder
from repvision.errors import ManifestError


@pytest.fixture(scope="module")
def own_model(tmp_path_factory):
    pytest.importorskip("sklearn")
    from rich.console import Console

    from repvision.training import train_default_classifier

    d = tmp_path_factory.mktemp("own")
    folder = _own_folder(d / "videos", OWN)
    (folder / "crunch" / "broken.mp4").write_bytes(b"not a video")   # left out, not fatal
    out = d / "model.npz"
    figures = train_default_classifier(folder, out, console=Console(quiet=True))
    return out, figures


def test_own_videos_train_a_model_with_their_labels(own_model):
    from repvision.classify import ExerciseClassifier

    out, figures = own_model
    clf = ExerciseClassifier.load(out)
    assert clf.classes_.tolist() == ["crunch", "goblet_squat"]
    assert clf.answerable() == {"crunch", "goblet_squat"}
    assert clf.metadata_["own_videos"].endswith("videos")
    # cross-validated over the 4 videos (2 folds: 2 clips in the largest class), no Penn Action test split
    assert figures["penn_test"] is None and figures["n_folds"] == 2
    assert figures["cv"]["videos"]["n_exercise_clips"] == 4
    (bad,) = figures["unreadable_videos"]
    assert bad["path"].endswith("broken.mp4") and "video" in bad["error"]
    assert 0.2 <= figures["threshold"] <= 0.95


def test_analyze_answers_with_the_own_model(own_model):
    from repvision.config import AnalyzeConfig
    from repvision.pipeline import analyze

    out, _ = own_model
    a = analyze(DATA / "calimiro_squat_19.mp4", AnalyzeConfig(classifier=str(out)))
    # the shipped vocabulary has no "goblet_squat": only a model that answers with its own labels says it
    assert a.exercise.label == "goblet_squat"
    assert {lab for lab, _ in a.exercise.top} == {"goblet_squat", "crunch"}
    assert a.repetitions.count == 2   # counting is class-agnostic
    assert a.form.mode == "none" and "No form rules for goblet_squat" in a.form.message


def test_shipped_model_keeps_its_vocabulary():
    from repvision.classify import EXERCISES, load_classifier, load_default_classifier

    clf = load_classifier(None)
    assert clf is load_default_classifier()
    # every exercise of the vocabulary it has a class for (not deadlift, lunge or lateral raise: no data)
    assert clf.exercise_classes is None and clf.answerable() == EXERCISES & set(clf.classes_)
    assert {"squat", "push_up", "pull_up", "dip", "plank"} <= clf.answerable() and "deadlift" not in clf.answerable()


def test_one_label_is_a_clear_error(tmp_path):
    pytest.importorskip("sklearn")
    from rich.console import Console

    from repvision.training import train_default_classifier

    folder = _own_folder(tmp_path / "videos", {"goblet_squat": OWN["goblet_squat"]})
    with pytest.raises(ManifestError, match="at least two exercises"):
        train_default_classifier(folder, tmp_path / "m.npz", console=Console(quiet=True))


def test_own_folder_vs_data_layout(tmp_path):
    from repvision.training import own_videos

    (tmp_path / "squat").mkdir()
    assert own_videos(tmp_path) == tmp_path
    (tmp_path / "pose_trainer").mkdir()
    assert own_videos(tmp_path) is None              # the exercise data layout
    assert own_videos(tmp_path / "nowhere") is None   # missing: the data-layout loader says so
    csv = tmp_path / "m.csv"
    csv.write_text("path,exercise\n")
    assert own_videos(csv) == csv


def test_torch_model_trains_on_own_videos(tmp_path):
    pytest.importorskip("torch")
    from repvision.evaluation import train_model
    from repvision.seq_models import TorchSequenceClassifier

    folder = _own_folder(tmp_path / "videos", OWN)
    res = train_model("mlp", folder, tmp_path / "mlp.pt", epochs=2)
    assert res["datasets"] == ["videos"] and res["n_clips"] == 4
    assert sorted(TorchSequenceClassifier.load(str(tmp_path / "mlp.pt")).classes_.tolist()) == ["crunch", "goblet_squat"]


def test_cli_missing_classifier_fails_before_pose_estimation(tmp_path):
    r = subprocess.run([sys.executable, "-m", "repvision.cli", "analyze", str(DATA / "calimiro_squat_19.mp4"),
                        "--classifier", str(tmp_path / "none.npz"), "--json", str(tmp_path / "o.json"),
                        "--no-cache"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "classifier file" in r.stderr + r.stdout
    assert not (tmp_path / "o.json").exists()


def test_own_form_rules_judge_an_own_exercise(own_model, tmp_path):
    from repvision.config import AnalyzeConfig
    from repvision.form import RULES_DIR
    from repvision.pipeline import analyze

    out, _ = own_model
    rules = tmp_path / "rules"
    rules.mkdir()
    text = (RULES_DIR / "squat.toml").read_text()   # still says exercise = "squat"
    assert 'driving_joint = "knee"\n' in text
    text = text.replace('driving_joint = "knee"\n', 'driving_joint = "knee"\nprimary_muscles = ["quads", "glutes"]\n'
                        'secondary_muscles = ["abs", "forearms"]\n', 1)
    (rules / "goblet_squat.toml").write_text(text)
    a = analyze(DATA / "calimiro_squat_19.mp4", AnalyzeConfig(classifier=str(out), form_rules=str(rules)))
    assert a.exercise.label == "goblet_squat"
    assert a.form.mode == "reps" and a.form.exercise == "goblet_squat" and len(a.form.reps) == 2
    # the range of motion is that of the rule file's driving joint (the knee), not the largest-moving joint
    assert {r.joint for r in a.repetitions.full} == {"knee"}
    # the muscle groups the rule file declares (forearms is not one of the 11 activation groups)
    assert (a.muscles.primary, a.muscles.secondary) == (("quads", "glutes"), ("abs", "forearms"))
    assert a.muscles.source == "your own rule file"
    act = a.muscle_activation.activation
    assert act["quads"] == act["glutes"] == 1.0 and act["abs"] == 0.5 and act["chest"] == 0.0


def test_rule_file_muscles_must_be_known_groups():
    from repvision.errors import ConfigError
    from repvision.form import parse_rules

    rs = parse_rules({"exercise": "goblet_squat", "primary_muscles": ["quads"]})
    assert rs.primary_muscles == ("quads",) and rs.secondary_muscles == ()
    with pytest.raises(ConfigError, match="'quadz'"):
        parse_rules({"exercise": "goblet_squat", "primary_muscles": ["quadz"]})
    with pytest.raises(ConfigError, match="a list of muscle group names"):
        parse_rules({"exercise": "goblet_squat", "secondary_muscles": "abs"})


def test_own_rule_file_overrides_the_shipped_one(tmp_path):
    from repvision.form import RULES_DIR, exercises_with_rules, rules_for

    text = (RULES_DIR / "squat.toml").read_text()
    assert "max = 0.0" in text
    (tmp_path / "squat.toml").write_text(text.replace("max = 0.0", "max = -5.0", 1))   # stricter depth
    assert rules_for("squat", tmp_path).checks["depth"].max == -5.0
    assert rules_for("squat").checks["depth"].max == 0.0
    assert rules_for("goblet_squat", tmp_path) is None
    assert exercises_with_rules(tmp_path) == exercises_with_rules()


def test_missing_form_rules_folder_is_a_config_error(tmp_path):
    from repvision.config import AnalyzeConfig
    from repvision.errors import ConfigError

    with pytest.raises(ConfigError, match="no such folder"):
        AnalyzeConfig(form_rules=str(tmp_path / "nowhere"))


def test_live_uses_the_own_model(own_model, tmp_path):
    from repvision.form import RULES_DIR
    from repvision.live import run_live

    out, _ = own_model
    (tmp_path / "goblet_squat.toml").write_text((RULES_DIR / "squat.toml").read_text())
    events: list[dict] = []
    result = run_live(DATA / "calimiro_squat_19.mp4", window=False, countdown_s=0.0, realtime=False,
                      emit=events.append, classifier=out, form_rules=tmp_path)
    live_labels = {e.get("label") for e in events if e["event"] == "exercise"}
    assert live_labels and live_labels <= {"goblet_squat", "crunch", "unknown"}
    assert result.analysis.exercise.label == "goblet_squat"   # the final analysis uses it too
    assert result.analysis.form.mode == "reps" and result.analysis.form.exercise == "goblet_squat"


def test_folder_without_videos_names_both_layouts(tmp_path):
    pytest.importorskip("sklearn")
    from rich.console import Console

    from repvision.training import train_default_classifier

    (tmp_path / "data" / "notes").mkdir(parents=True)   # e.g. the folder above shared/data
    with pytest.raises(ManifestError, match="exercise data layout") as err:
        train_default_classifier(tmp_path / "data", tmp_path / "m.npz", console=Console(quiet=True))
    assert "no <exercise>/ sub-folders with videos" in err.value.found


def test_torch_file_is_not_a_classifier_for_analyze(tmp_path):
    from repvision.classify import ExerciseClassifier

    (tmp_path / "stgcn.pt").write_bytes(b"PK\x03\x04")
    with pytest.raises(ManifestError, match="no --model"):
        ExerciseClassifier.load(tmp_path / "stgcn.pt")


def test_malformed_own_rule_file_fails_before_pose_estimation(tmp_path, monkeypatch):
    from repvision import pipeline
    from repvision.config import AnalyzeConfig
    from repvision.errors import ConfigError

    (tmp_path / "goblet_squat.toml").write_text('exercise = "goblet_squat"\ndrivng_joint = "knee"\n')
    monkeypatch.setattr(pipeline, "estimate_video", lambda *a, **k: pytest.fail("pose estimation ran"))
    with pytest.raises(ConfigError, match="drivng_joint"):
        pipeline.analyze(DATA / "calimiro_squat_19.mp4", AnalyzeConfig(form_rules=str(tmp_path)))


def test_paths_in_settings_are_kept_as_text(own_model, tmp_path):
    # Regression: AnalyzeConfig(classifier=Path(...)) (the Python API, or the CLI's Path options) kept the
    # Path, and writing the report's "settings" failed with "Object of type PosixPath is not JSON serializable".
    import json

    from repvision.config import AnalyzeConfig
    from repvision.pipeline import analyze
    from repvision.report import to_json

    out, _ = own_model
    cfg = AnalyzeConfig(classifier=out, form_rules=tmp_path)
    assert (cfg.classifier, cfg.form_rules) == (str(out), str(tmp_path))
    doc = json.loads(to_json(analyze(DATA / "calimiro_squat_19.mp4", cfg)))
    assert doc["settings"]["classifier"] == str(out)


def test_batch_checks_the_classifier_once_before_any_video(tmp_path, monkeypatch):
    from repvision import batch
    from repvision.config import AnalyzeConfig

    monkeypatch.setattr(batch, "_one", lambda *a: pytest.fail("a video was started"))
    with pytest.raises(ManifestError, match="classifier file"):
        batch.analyze_many([DATA / "calimiro_squat_19.mp4"], AnalyzeConfig(classifier=str(tmp_path / "no.npz")),
                           out_dir=tmp_path, jobs=1)


def test_penn_test_clips_without_a_person_count_as_wrong(squat_pose):
    # regression: once Penn Action's unannotated joints became missing, two official test squats had no frame
    # with a person and were silently left out of the test figures (1066 clips instead of 1068)
    import dataclasses

    import numpy as np

    from repvision.classify import load_classifier
    from repvision.datasets.base import Sample
    from repvision.training import penn_test_figures, pool_from_sources

    pose = squat_pose[1]
    squat = Sample("calimiro_squat_19", "squat", "g_squat", pose)
    nobody = dataclasses.replace(pose, keypoints=np.full_like(pose.keypoints, np.nan), world=None)
    empty = Sample("no_person", "squat", "g_none", nobody)
    _, test, _, dropped = pool_from_sources({}, [squat, empty])
    assert [c.name for c in test] == ["calimiro_squat_19", "no_person"] and dropped == {"penn_test": 1}
    figs = penn_test_figures(load_classifier(), test, 0.5)
    assert figs["n_clips"] == 2 and figs["n_without_person"] == 1
    assert figs["top1_8_exercise_classes"] == 0.5 and figs["top1_15_classes"] == 0.5   # the squat: right
    assert figs["unknown_rate_exercise"] == 0.5


def test_cv_table_fits_80_columns_without_cutting_words():
    """Regression: in a log file (80 columns) the cross-validation table cut its headers and source names
    ("exerci…", "penn_a…")."""
    import io
    import json
    from pathlib import Path

    from rich.console import Console

    from repvision.training import cv_table

    fig = json.loads((Path(__file__).parents[1] / "benchmarks/results/training_default_classifier.json").read_text())
    buf = io.StringIO()
    Console(file=buf, width=80).print(cv_table(fig["cv"], fig["n_folds"], fig["threshold"]))
    text = buf.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for src in fig["cv"]:
        assert src in text
