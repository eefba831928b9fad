"""The CLI as a user runs it: exit codes and messages, never a traceback for a user error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from repvision.cli import app

from clips import write_clip
from conftest import DATA

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_analyze_writes_json_and_video(tmp_path):
    out_json, out_video = tmp_path / "r.json", tmp_path / "a.mp4"
    r = _run("analyze", DATA / "calimiro_squat_19.mp4", "--json", out_json, "--video", out_video, "--progress", "none")
    assert r.exit_code == 0, r.output
    assert "squat" in r.output and "Repetitions" in r.output
    doc = json.loads(out_json.read_text())
    assert doc["exercise"]["label"] == "squat"
    from repvision.video import VideoReader

    with VideoReader(out_video) as v:
        assert v.info.n_frames == 143 and (v.info.width, v.info.height) == (960, 540)


def test_analyze_json_progress_lines(tmp_path):
    r = _run("analyze", DATA / "repcount_test2021_sit_up.mp4", "--json", tmp_path / "r.json", "--progress", "json")
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert lines[0]["event"] == "progress" and lines[-1]["event"] == "done"
    assert lines[-1]["report"]["exercise"]["label"] == "sit_up"


def test_missing_file_message_and_exit_code(tmp_path):
    r = _run("analyze", tmp_path / "nope.mp4")
    assert r.exit_code == 2
    assert "no file at" in r.output and "Traceback" not in r.output


def test_not_a_video(tmp_path):
    p = tmp_path / "notes.mov"
    p.write_text("hello")
    r = _run("analyze", p)
    assert r.exit_code == 2 and "cannot read as a video" in r.output


def test_image_passed_as_video(tmp_path):
    import av

    p = tmp_path / "photo.png"
    c = av.open(str(p), "w", format="image2")
    s = c.add_stream("png")
    s.width, s.height, s.pix_fmt = 32, 32, "rgb24"
    for pkt in s.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")):
        c.mux(pkt)
    c.close()
    r = _run("analyze", p)
    assert r.exit_code == 2 and "image" in r.output


def test_no_person_exit_code(tmp_path):
    p = write_clip(tmp_path / "empty.mp4", [np.full((120, 160, 3), 50, np.uint8)] * 40, 20)
    r = _run("analyze", p)
    assert r.exit_code == 2 and "no person" in r.output


def test_bad_config_key(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("pose_modell = 'full'\n")
    r = _run("analyze", DATA / "calimiro_squat_19.mp4", "--config", cfg)
    assert r.exit_code == 2 and "pose_modell" in r.output


def test_bench_videos_on_small_manifest(tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,exercise,rep_count,variant\n"
        f"{DATA / 'calimiro_squat_19.mp4'},squat,2,main\n"
        f"{DATA / 'repcount_test2021_sit_up.mp4'},sit_up,3,main\n"
        f"{DATA / 'repcount_test2021_sit_up.mp4'},sit_up,3,full_res_copy\n"
    )
    results = tmp_path / "results.jsonl"
    r = _run("bench", "videos", "--manifest", manifest, "--results", results)
    assert r.exit_code == 0, r.output
    figures = json.loads(r.output.strip().splitlines()[-1])
    assert figures["n_clips"] == 2 and figures["top1_accuracy"] == 1.0
    assert figures["n_with_count"] == 2 and figures["count_obo"] == 1.0
    assert len(results.read_text().splitlines()) == 2
    # resumed: nothing is analysed again, same figures
    r2 = _run("bench", "videos", "--manifest", manifest, "--results", results)
    assert json.loads(r2.output.strip().splitlines()[-1])["top1_accuracy"] == 1.0
    assert len(results.read_text().splitlines()) == 2


def test_bench_videos_prints_bracketed_paths_and_errors_as_they_are(tmp_path):
    # Regression: the per-clip table took manifest paths and error messages as rich markup, so a clip path
    # holding "[/b]" crashed the benchmark after every clip had been analysed.
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,exercise,rep_count,variant\n"
                        f"{DATA / 'calimiro_squat_19.mp4'},squat,2,main\n"
                        f"{tmp_path / 'a[' / 'b].mp4'},squat [bold],,main\n")
    r = _run("bench", "videos", "--manifest", manifest)
    assert r.exit_code == 0, r.output
    assert "[bold]" in r.output   # the label as written, not a style
    assert json.loads(r.output.strip().splitlines()[-1])["n_clips"] == 2


def test_bench_videos_bad_manifest(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("file,label\nx.mp4,squat\n")
    r = _run("bench", "videos", "--manifest", m)
    assert r.exit_code == 2 and "path, exercise" in r.output


def test_bench_form_unknown_pose_model_fails_before_any_video(tmp_path):
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "manifest.csv").write_text(
        "path,exercise,form_label,group_id,variant\nvideos/a.mp4,squat,correct,g1,main\n")
    r = _run("bench", "form", "--data", tmp_path, "--pose-model", "heavy")
    assert r.exit_code == 2 and "heavy" in r.output and "--pose-model lite" in r.output


def test_train_rejects_negative_class_weights(tmp_path):
    r = _run("train", "--data", tmp_path, "--class-weight-power", "-1")
    assert r.exit_code == 2 and "class-weight-power" in r.output


def test_train_no_rotations_reaches_the_recipe(tmp_path, monkeypatch):
    """`repvision train --no-rotations` and `python -m repvision.training --no-rotations` train without the rotated
    copies; without the flag both keep the shipped ROTATIONS_DEG. `python -m repvision.training --turns=-45,45`
    adds turned copies (none in the shipped recipe) and rejects angles that are not numbers."""
    import repvision.training as tr

    seen = []

    def fake(data, out, console=None, extract_video_poses=True, class_weight_power=0.0,
             rotations=tr.ROTATIONS_DEG, turns=tr.TURNS_DEG):
        seen.append((tuple(rotations), tuple(turns)))
        return {"rotations_deg": list(rotations), "turns_deg": list(turns)}

    monkeypatch.setattr(tr, "train_default_classifier", fake)
    for flags in ([], ["--no-rotations"]):
        r = _run("train", "--data", tmp_path, "--out", tmp_path / "m.npz", *flags)
        assert r.exit_code == 0, r.output
        assert tr.main(["--data", str(tmp_path), "--out", str(tmp_path / "m.npz"), *flags]) == 0
    rot = tr.ROTATIONS_DEG
    assert seen == [(rot, ())] * 2 + [((), ())] * 2 and len(rot) == 2 and tr.TURNS_DEG == ()
    assert tr.main(["--data", str(tmp_path), "--out", str(tmp_path / "m.npz"), "--turns=-45,45"]) == 0
    assert seen[-1] == (rot, (-45.0, 45.0))
    with pytest.raises(SystemExit):
        tr.main(["--data", str(tmp_path), "--turns=left"])


def test_paths_with_square_brackets_are_printed_as_they_are(tmp_path):
    # Regression: messages and titles went through rich markup unescaped, so a path holding "[/b]" crashed the
    # error handler with a MarkupError, and "[bold]" in a file name vanished from the summary.
    import shutil

    r = _run("analyze", tmp_path / "a[" / "b].mp4")        # the path reads ".../a[/b].mp4"
    assert r.exit_code == 2 and "a[/b].mp4" in r.output.replace("\n", "")
    clip = tmp_path / "set [bold]1.mp4"
    shutil.copy(DATA / "calimiro_squat_19.mp4", clip)
    r = _run("analyze", clip, "--json", tmp_path / "r [red].json")
    assert r.exit_code == 0 and (tmp_path / "r [red].json").is_file()
    assert "repvision: set [bold]1.mp4" in r.output and "r [red].json" in r.output.replace("\n", "")


def test_json_progress_lines_when_poses_are_cached(tmp_path):
    # Regression: a second run took poses from the cache and printed no progress line at all.
    args = ("analyze", DATA / "repcount_test2021_sit_up.mp4", "--json", tmp_path / "r.json", "--progress", "json")
    _run(*args)
    r = _run(*args)
    lines = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert [x["event"] for x in lines] == ["progress", "done"]
    assert lines[0]["done"] == lines[0]["total"] > 0


def test_batch_two_videos_in_parallel_and_resume(tmp_path):
    import shutil

    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all")
    clips = [DATA / "calimiro_squat_19.mp4", DATA / "repcount_test2021_sit_up.mp4", bad]
    r = _run("batch", *clips, "--out", tmp_path / "reports", "--jobs", "2")
    assert r.exit_code == 1  # one video failed, the others were analysed
    summary = json.loads(r.output.strip().splitlines()[-1])
    assert summary["videos"] == 3 and summary["failed"] == 1 and "NotAVideoError" in summary["errors"][str(bad)]
    labels = {json.loads(Path(p).read_text())["exercise"]["label"] for p in summary["reports"]}
    assert labels == {"squat", "sit_up"}
    # A second run skips finished videos (resume) and retries only the failed one.
    shutil.copy(DATA / "calimiro_pull_up_11.mp4", bad)
    r = _run("batch", *clips, "--out", tmp_path / "reports", "--jobs", "1")
    assert r.exit_code == 0, r.output
    assert r.output.count("skipped (report exists)") == 2
    # the summary (a table, and summary.csv in --out) covers every video, those skipped because done included
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["summary"] == str(tmp_path / "reports" / "summary.csv")
    with open(out["summary"], encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted((Path(r["video"]).name, r["status"], r["exercise"]) for r in rows) == [
        ("broken.mp4", "ok", "pull_up"), ("calimiro_squat_19.mp4", "ok", "squat"),
        ("repcount_test2021_sit_up.mp4", "ok", "sit_up")]
    assert "Summary" in r.output and "calimiro_squat_19.mp4" in r.output
    # Other settings (a result-changing one) redo every video: a report records what it was made with.
    cfg = tmp_path / "settings.toml"
    cfg.write_text("set_gap_s = 20.0\n")
    r = _run("batch", *clips[:2], "--out", tmp_path / "reports", "--jobs", "1", "--config", cfg)
    assert r.exit_code == 0, r.output
    assert "skipped" not in r.output
    doc = json.loads((tmp_path / "reports" / "calimiro_squat_19.repvision.json").read_text())
    assert doc["settings"]["set_gap_s"] == 20.0 and "cache" not in doc["settings"]
    r = _run("batch", *clips[:2], "--out", tmp_path / "reports", "--jobs", "1", "--config", cfg)
    assert r.output.count("skipped (report exists)") == 2


def test_batch_progress_as_json_lines(tmp_path):
    # for other programs: one JSON line per finished video, then the closing line; no bar, no table
    r = _run("batch", DATA / "calimiro_squat_19.mp4", "--out", tmp_path, "--jobs", "1", "--progress", "json")
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert [e["event"] for e in lines] == ["video", "done"]
    assert (lines[0]["status"], lines[0]["done"], lines[0]["total"]) == ("ok", 1, 1)
    assert lines[0]["report"] == lines[1]["reports"][0] and lines[1]["summary"] == str(tmp_path / "summary.csv")
    assert "Summary" not in r.output and lines[0]["html"] is None
    # --html: the HTML report beside the JSON one; a video done without it is analysed again, then skipped
    for status in ("ok", "skipped"):
        r = _run("batch", DATA / "calimiro_squat_19.mp4", "--out", tmp_path, "--jobs", "1", "--progress", "json",
                 "--html")
        first = json.loads(r.stdout.strip().splitlines()[0])
        assert first["status"] == status and first["html"] == str(tmp_path / "calimiro_squat_19.html")
        assert "<h1>Squat: 2 repetitions</h1>" in Path(first["html"]).read_text(encoding="utf-8")
        index = json.loads(r.stdout.strip().splitlines()[-1])["index"]
        assert '<a href="calimiro_squat_19.html">' in Path(index).read_text(encoding="utf-8")


def test_batch_takes_folders_and_keeps_their_layout(tmp_path):
    # A folder stands for the videos under it (any depth, hidden ones left out); two clips with the same name in
    # different subfolders get their own reports under --out instead of overwriting one another.
    import shutil

    root = tmp_path / "clips"
    for sub, clip in (("monday", "calimiro_squat_19.mp4"), ("tuesday/set1", "repcount_test2021_sit_up.mp4")):
        (root / sub).mkdir(parents=True)
        shutil.copy(DATA / clip, root / sub / "clip.mp4")
    (root / ".trash").mkdir()
    shutil.copy(DATA / "calimiro_squat_19.mp4", root / ".trash" / "old.mp4")
    (root / "notes.txt").write_text("not a video")
    r = _run("batch", root, root / "monday" / "clip.mp4", "--out", tmp_path / "reports", "--jobs", "1")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output.strip().splitlines()[-1])
    assert summary["videos"] == 2 and summary["failed"] == 0   # the file given twice is analysed once
    labels = {str(Path(p).relative_to(tmp_path / "reports")): json.loads(Path(p).read_text())["exercise"]["label"]
              for p in summary["reports"]}
    assert labels == {"monday/clip.repvision.json": "squat", "tuesday/set1/clip.repvision.json": "sit_up"}
    # the same two files given one by one would write one report: refused before anything runs
    r = _run("batch", root / "monday" / "clip.mp4", root / "tuesday" / "set1" / "clip.mp4", "--out",
             tmp_path / "other", "--jobs", "1")
    assert r.exit_code == 2 and "would both write" in r.output and not (tmp_path / "other").exists()
    (tmp_path / "empty").mkdir()
    r = _run("batch", tmp_path / "empty")
    assert r.exit_code == 2 and "video files (.mp4" in r.output


def test_batch_status_lines_are_not_wrapped_for_long_paths(tmp_path):
    # Regression: rich wrapped "<long path>: skipped (report exists)" at the terminal width, so the status of a
    # video in a deep folder (CI checks out under a longer path) was split over two lines.
    import shutil

    deep = tmp_path / ("a_rather_long_folder_name_" * 4) / "clips"
    deep.mkdir(parents=True)
    clip = deep / "calimiro_squat_19.mp4"
    shutil.copy(DATA / "calimiro_squat_19.mp4", clip)
    assert _run("batch", clip, "--jobs", "1").exit_code == 0
    r = _run("batch", clip, "--jobs", "1")
    assert r.exit_code == 0, r.output
    assert f"{clip}: skipped (report exists)" in r.output.splitlines()


def test_analyze_with_stderr_in_a_pipe_writes_nothing_there(tmp_path):
    """Regression: the default progress bar, with stderr not a terminal, left an empty line on stderr."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "repvision.cli", "analyze", str(DATA / "calimiro_squat_19.mp4"),
                        "--json", str(tmp_path / "r.json")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "Repetitions" in r.stdout and json.loads((tmp_path / "r.json").read_text())["exercise"]["label"] == "squat"


def test_bench_segments_on_small_data_folder(tmp_path):
    # joins of real clips of two exercises; the JSON names the threshold used and scores each exercise
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "manifest.csv").write_text(
        "path,exercise,variant\n"
        f"{DATA / 'calimiro_squat_19.mp4'},squat,main\n"
        f"{DATA / 'repcount_test2021_sit_up.mp4'},sit_up,main\n"
    )
    r = _run("bench", "segments", "--data", tmp_path, "--n-concat", 2, "--unknown-threshold", 0.3)
    assert r.exit_code == 0, r.output
    figures = json.loads(r.output.strip().splitlines()[-1])
    assert figures["unknown_threshold"] == 0.3 and figures["held_out"] is None
    per = figures["in_sample"]["per_exercise"]
    assert set(per) == {"squat", "sit_up"}
    assert sum(e["frames"] for e in per.values()) == figures["in_sample"]["n_frames"]
    assert all(0.0 <= e["frame_accuracy"] <= 1.0 and "_given_all" not in e for e in per.values())
    bad = _run("bench", "segments", "--data", tmp_path, "--unknown-threshold", 1.5)
    assert bad.exit_code == 2 and "unknown-threshold" in bad.output


def test_bench_reps_on_small_repcount_folder(tmp_path, shared_data):
    # three real RepCount-A videos in a folder of the same layout: the table's figures are the counters' own,
    # and the JSON records the streaming counter's settings (first_report_reps included)
    import csv

    from repvision.bench.reps import count_errors
    from repvision.datasets.repcount import load_repcount_a
    from repvision.reps import count_repetitions

    src = shared_data / "repcount_a"
    names = ["train2737", "val1244", "test2021"]
    with np.load(src / "poses.npz") as z:
        np.savez(tmp_path / "poses.npz", **{n: z[n] for n in names})
    with open(src / "annotations.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [r for r in reader if r["name"] in names]
        with open(tmp_path / "annotations.csv", "w", newline="", encoding="utf-8") as g:
            w = csv.DictWriter(g, fieldnames=reader.fieldnames)
            w.writeheader()
            w.writerows(rows)
    r = _run("bench", "reps", "--data", tmp_path)
    assert r.exit_code == 0, r.output
    figures = json.loads(r.output.strip().splitlines()[-1])
    samples = load_repcount_a(tmp_path)
    mae, obo = count_errors([count_repetitions(s.pose).count for s in samples], [s.count for s in samples])
    assert figures["n_videos"] == 3
    assert figures["offline_mae"] == round(mae, 4) and figures["offline_obo"] == round(obo, 4)
    assert figures["streaming_settings"]["first_report_reps"] == 3 and figures["streaming_settings"]["confirm"] == 2
    assert 0.0 <= figures["streaming_agree_within_1"] <= 1.0


def test_training_without_the_train_extra_says_how_to_install(tmp_path, monkeypatch):
    # Regression: without scikit-learn, `repvision train` on one's own videos ended in a traceback from the
    # cross-validation (scikit-learn is imported lazily), not in the install hint.
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a))
    r = _run("train", "--data", tmp_path)
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "pip install 'repvision[train]'" in text and "Traceback" not in text
    r = _run("evaluate", "--model", "mlp", "--data", tmp_path, "--dataset", "videos")
    assert r.exit_code == 2 and "repvision[train]" in r.output
    r = _run("bench", "segments", "--data", tmp_path, "--folds", "2")
    assert r.exit_code == 2 and "repvision[train]" in r.output


def test_exercises_lists_what_each_exercise_gets(tmp_path):
    # the shipped vocabulary with its rule files and muscles, plus one's own rule file (judged when named)
    from repvision.classify import EXERCISES, load_classifier
    from repvision.form import RULES_DIR, exercises_with_rules

    r = _run("exercises", "--json")
    assert r.exit_code == 0, r.output
    rows = {x["exercise"]: x for x in json.loads(r.output)}
    push = rows["push_up"]
    assert push["recognised"] and push["form"] == "reps" and "hip_sag" in push["checks"]
    assert push["driving_joint"] == "elbow" and "chest" in push["primary_muscles"]
    assert rows["plank"]["form"] == "hold" and rows["jump_rope"]["form"] is None
    assert set(exercises_with_rules()) <= set(rows)
    # regression: exercises of the vocabulary that the shipped classifier has no class for were listed as
    # recognised; they have rule files and are judged when named (--exercise)
    classes = set(load_classifier().classes_)
    for lab in ("deadlift", "lunge", "lateral_raise"):
        assert lab not in classes and not rows[lab]["recognised"] and rows[lab]["form"] == "reps", rows[lab]
    assert {lab for lab, x in rows.items() if x["recognised"]} == classes & EXERCISES
    rules = tmp_path / "rules"
    rules.mkdir()
    text = (RULES_DIR / "squat.toml").read_text().replace(
        'driving_joint = "knee"\n', 'driving_joint = "knee"\nprimary_muscles = ["quads", "glutes"]\n', 1)
    (rules / "goblet_squat.toml").write_text(text)
    r = _run("exercises", "--json", "--form-rules", rules)
    own = {x["exercise"]: x for x in json.loads(r.output)}["goblet_squat"]
    assert not own["recognised"] and own["form"] == "reps" and own["primary_muscles"] == ["quads", "glutes"]
    r = _run("exercises")   # the table
    assert r.exit_code == 0 and "push_up" in r.output and "plank" in r.output and "hold:" in r.output
    r = _run("exercises", "--classifier", tmp_path / "missing.npz")
    assert r.exit_code == 2 and "missing.npz" in r.output


def test_help_shows_every_word_of_the_option_help():
    # regression: under Typer's rich markup "[default: VIDEO.repvision.json]" was read as a markup tag and
    # dropped, so --help said "JSON report path ." without the default
    for cmd, words in [(("analyze",), ("[default: VIDEO.repvision.json]", "[default: one per core, at most 4]",
                                       "[default: shipped]", "[default: follow]")),
                       (("batch",), ("[default: one per CPU core]",)),
                       (("live",), ("[default: shipped]",))]:
        r = _run(*cmd, "--help")
        assert r.exit_code == 0, r.output
        text = " ".join(r.output.split())
        for w in words:
            assert w in text, (cmd, w, text)


def test_live_says_why_when_no_report_could_be_written(tmp_path):
    # regression: `repvision live --json out.json` on a session too short to analyse (or, under heavy load, one
    # whose real-time playback dropped most frames) ended with exit code 0 and wrote nothing, without a word.
    # It now ends with the analysis' error and its exit code.
    from clips import real_frames

    frames, fps = real_frames(DATA / "calimiro_squat_19.mp4", 6)
    clip = write_clip(tmp_path / "blink.mp4", frames, int(round(fps)))
    out = tmp_path / "live.json"
    r = _run("live", "--source", clip, "--no-window", "--countdown", "0", "--json", out)
    assert r.exit_code != 0 and "Expected" in r.output, r.output
    assert not out.exists()
