"""Form and muscle activation in the analysis and its JSON; the terminal summary; the HTML report (in Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from repvision.pipeline import analyze_poses
from repvision.report import REPORT_SCHEMA, SCHEMA_VERSION, cues_at, print_summary, to_json

from conftest import DATA

CLIP = DATA / "calimiro_squat_19.mp4"


@pytest.fixture(scope="module")
def squat_analysis(squat_pose):
    info, pose, _ = squat_pose
    return analyze_poses(pose, info)


def test_form_and_activation_in_json(squat_analysis):
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads(to_json(squat_analysis))
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert doc["schema_version"] == SCHEMA_VERSION == "1.6.0" and doc["parts"] == [] and doc["workout"] is None
    form = doc["form"]
    assert form["exercise"] == "squat" and form["mode"] == "reps"
    assert len(form["reps"]) == len(doc["repetitions"]["repetitions"])
    for rep, rf in zip(doc["repetitions"]["repetitions"], form["reps"]):
        assert rf["index"] == rep["index"] and 0 <= rf["score"] <= 100
        for issue in rf["issues"]:
            assert issue["rep_index"] == rf["index"] and rf["start_s"] - 0.5 <= issue["time_s"] <= rf["end_s"] + 0.5
    # the committed clip is filmed from the front: side-view checks are skipped with camera advice
    assert form["view"]["view"] == "front"
    assert {s["check"] for s in form["skipped"]} >= {"depth"}
    assert all("side" in s["camera"] for s in form["skipped"] if s["check"] == "depth")
    # one set of the clip's 2 squats
    assert [(st["count"], st["rep_indices"], st["rest_before_s"]) for st in doc["sets"]] == [(2, [0, 1], None)]
    # the set verdict: no issue on this clip, so no major fault
    assert form["issues"] == [] and form["major_faults"] == [] and form["verdict"] == "correct"
    act = doc["muscle_activation"]["activation"]
    assert act["quads"] == 1.0 and act["chest"] == 0.0 and len(act) == 11


def test_exercise_without_rules_gets_a_note(squat_pose):
    from repvision.config import AnalyzeConfig

    info, pose, _ = squat_pose
    a = analyze_poses(pose, info, AnalyzeConfig(exercise="jump_rope"))
    assert a.form.mode == "none" and "No form rules for jump_rope" in a.form.message
    assert a.to_dict()["form"]["reps"] == []


def test_summary_shows_form(squat_analysis):
    from rich.console import Console

    console = Console(record=True, width=120)
    print_summary(squat_analysis, console)
    text = console.export_text()
    assert "Form score" in text and "/100" in text and "Form verdict" in text and "good (no major fault)" in text
    assert "not checked from the front view" in text and "film from the side" in text
    # each repetition's tempo: eccentric / concentric seconds, adding up to its duration (issue 3 asks for it per
    # repetition; it was only in the JSON report)
    assert "ecc/con s" in text
    for r in squat_analysis.repetitions.full:
        assert f"{r.eccentric_s:.1f}/{r.concentric_s:.1f}" in text
        assert r.eccentric_s + r.concentric_s == pytest.approx(r.end_s - r.start_s)


def test_cues_follow_the_time_they_apply(squat_analysis):
    from dataclasses import replace

    from repvision.form import FormIssue

    issue = FormIssue("depth", "go lower", 1, 40, 3.0, 5.0, 0.0, "deg", 0.5, "NSCA")
    a = replace(squat_analysis, form=replace(squat_analysis.form, issues=(issue,)))
    assert cues_at(a, 3.5) == ["rep 2: go lower"]
    assert cues_at(a, 1.0) == [] and cues_at(a, 6.0) == []


def test_cli_report_option(tmp_path):
    from typer.testing import CliRunner

    from repvision.cli import app

    out = tmp_path / "sub" / "report.html"
    r = CliRunner().invoke(app, ["analyze", str(CLIP), "--json", str(tmp_path / "r.json"), "--report", str(out),
                                 "--progress", "none"])
    assert r.exit_code == 0, r.output
    assert out.is_file() and str(out) in r.output.replace("\n", "")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # self-contained: no resource is fetched from anywhere (namespace URIs of inline SVG are not fetched)
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", page)
    assert "url(http" not in page and "@import" not in page


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_html_report_in_headless_chromium(squat_analysis, tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from repvision.report import write_html

    page = write_html(squat_analysis, CLIP, tmp_path / "report.html")
    flags = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = page.resolve().as_uri()
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    for part in ("summary", "body-map", "reps", "angle-plots", "keyframes", "annotated-video", "report-data"):
        assert f'id="{part}"' in dom, part
    # the parts have content: 11 muscle regions per figure side, 2 rep rows, plots, keyframe image, video
    assert len(set(re.findall(r'data-muscle="(\w+)"', dom))) == 11
    assert len(re.findall(r'<tr data-rep="\d+"', dom)) == squat_analysis.repetitions.count == 2
    assert "tempo, ecc / con" in dom and len(re.findall(r'<td class="num">\d+\.\d / \d+\.\d s</td>', dom)) == 2
    plots = dom.split('id="angle-plots"')[1].split("</section>")[0]
    assert plots.count("<svg") >= 2
    assert re.search(r'<img [^>]*src="data:image/jpeg;base64,', dom)
    assert re.search(r'<video [^>]*src="data:video/mp4;base64,', dom)
    assert json.loads(re.search(r'id="report-data">(.*?)</script>', dom, re.S).group(1))["form"]["mode"] == "reps"
    assert re.search(r'id="form-verdict"[^>]*>good<', dom) and re.search(r'id="sets">1<', dom)

    shot = tmp_path / "report.png"
    subprocess.run(flags + ["--window-size=1200,2400", f"--screenshot={shot}", url], capture_output=True,
                   timeout=120)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_html_lists_exercise_segments(squat_analysis):
    import dataclasses

    from repvision.html_report import render_html
    from repvision.types import ExerciseSegment

    one = render_html(squat_analysis, CLIP, embed_video=False)
    assert 'id="segments"' not in one   # a single exercise needs no timeline
    segs = (ExerciseSegment("squat", 0.0, 4.0, 0, 120, 0.9), ExerciseSegment("unknown", 4.0, 5.0, 120, 150, 0.3),
            ExerciseSegment("push_up", 5.0, 10.0, 150, 300, 0.8))
    page = render_html(dataclasses.replace(squat_analysis, segments=segs), CLIP, embed_video=False)
    sec = page.split('id="segments"')[1].split("</section>")[0]
    assert sec.count("<tr><td>") == 3 and "push up" in sec and ">5.0<" in sec
    widths = [float(w) for w in re.findall(r'<div title="[^"]*" style="width:([\d.]+)%', sec)]
    assert widths == pytest.approx([40.0, 10.0, 50.0])


def test_html_and_summary_name_the_part_analysed(squat_analysis):
    import dataclasses
    import io

    from rich.console import Console

    from repvision.html_report import render_html
    from repvision.report import print_summary

    assert "analysed" not in render_html(squat_analysis, CLIP, embed_video=False).split("</header>")[0]
    part = dataclasses.replace(squat_analysis, time_range_s=(1.0, 4.5))
    assert "analysed 1.0&ndash;4.5 s" in render_html(part, CLIP, embed_video=False).split("</header>")[0]
    buf = io.StringIO()
    print_summary(part, Console(file=buf, width=120))
    assert "analysed 1.0-4.5 s" in buf.getvalue()


def test_workout_parts_show_their_own_cues(squat_analysis):
    # each exercise of a workout shows its most frequent cue in the terminal, and its own cues on the video
    from dataclasses import replace

    from rich.console import Console

    from repvision.form import FormIssue, FormReport, RepForm
    from repvision.types import ExercisePart, ExerciseSegment

    reps = squat_analysis.repetitions
    r0 = reps.full[0]
    issue = FormIssue("depth", "go lower: hips stayed 15° above parallel", 0, r0.turn_frame, r0.turn_s, 105.0,
                      90.0, "deg", 0.6, "test")
    rep_form = RepForm(0, r0.start_frame, r0.turn_frame, r0.end_frame, r0.start_s, r0.end_s, 85.0, (issue,), {})
    form = FormReport("squat", "reps", None, reps=(rep_form,), issues=(issue,), score=85.0, major_faults=("depth",))
    end = float(squat_analysis.pose.timestamps[-1])
    parts = (ExercisePart(ExerciseSegment("squat", 0.0, end / 2, 0, 70, 0.9), reps, form),
             ExercisePart(ExerciseSegment("push_up", end / 2, end, 70, 143, 0.8), replace(reps, repetitions=()),
                          FormReport("push_up", "reps", None)))
    a = replace(squat_analysis, parts=parts)
    console = Console(record=True, width=160)
    print_summary(a, console)
    text = console.export_text()
    assert "go lower: hips stayed 15° above parallel (1x)" in text and "needs work" in text
    assert cues_at(a, r0.turn_s) == ["rep 1: go lower: hips stayed 15° above parallel"]
    assert cues_at(a, end - 0.01) == []   # the push-up part has no issue
    from repvision.report import overlay_state

    assert overlay_state(a, end + 1.0) == ("unknown", "reps: -", [])   # outside every exercise of the workout
    assert overlay_state(a, r0.end_s + 0.01)[1] == "reps: 1"


def test_workout_summary_adds_up_its_parts():
    # repetitions of every part; form over the judged repetitions only (a part without rules is counted, not
    # judged); one part with a major fault makes the workout "incorrect" and is named
    from repvision.form import FormReport, RepForm
    from repvision.types import ExercisePart, ExerciseSegment, ExerciseSet, RepetitionCount, Repetition, WorkoutSummary

    def reps(n, partials=0):
        return RepetitionCount(tuple(Repetition(i, i, i, i + 1, float(i), float(i), i + 1.0, partial=i >= n)
                                     for i in range(n + partials)))

    def judged(scores, faults=()):
        rf = tuple(RepForm(i, i, i, i + 1, float(i), i + 1.0, s, (), {}) for i, s in enumerate(scores))
        return FormReport("x", "reps", None, reps=rf, score=sum(scores) / len(scores), major_faults=faults)

    one_set = (ExerciseSet(0, 0.0, 1.0, (0,), 1, 0, None),)
    parts = (ExercisePart(ExerciseSegment("squat", 0, 5, 0, 150, 0.9), reps(2, 1),
                          judged([90.0, 70.0], ("depth",)), None, one_set),
             ExercisePart(ExerciseSegment("push_up", 5, 9, 150, 270, 0.8), reps(1), judged([100.0]), None, one_set),
             ExercisePart(ExerciseSegment("bicep_curl", 9, 14, 270, 420, 0.7), reps(3),
                          FormReport("bicep_curl", "none", None, message="no rules"), None, one_set))
    wk = WorkoutSummary.from_parts(parts)
    assert (wk.exercises, wk.counts, wk.repetitions, wk.partials, wk.sets) == (
        ("squat", "push_up", "bicep_curl"), (2, 1, 3), 6, 1, 3)
    assert wk.form_score == pytest.approx((90 + 70 + 100) / 3)
    assert wk.verdict == "incorrect" and wk.major_faults == ("squat: depth",)
    assert wk.in_words() == "squat 2, push up 1, bicep curl 3 repetitions"
    # nothing judged: no score, no verdict
    none = WorkoutSummary.from_parts(parts[2:])
    assert none.form_score is None and none.verdict is None and none.to_dict()["form_score"] is None
