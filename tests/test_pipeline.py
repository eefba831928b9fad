"""End to end: the real MediaPipe model on committed real clips, and the bad-input cases."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import repvision
from repvision.errors import ClipTooShortError, ConfigError, NoPersonError, TooFewDetectionsError
from repvision.report import REPORT_SCHEMA, to_json

from clips import real_frames, write_clip
from conftest import DATA

# (clip, exercise, true repetition count); counts from the sources' annotations (calimiro label files checked
# 1:1 against the video; RepCount-A start/end boundaries).
CLIPS = [
    ("calimiro_squat_19.mp4", "squat", 2),
    ("calimiro_pull_up_11.mp4", "pull_up", 3),
    ("repcount_test2021_sit_up.mp4", "sit_up", 3),
    ("repcount_test2315_squat.mp4", "squat", 3),
]


@pytest.mark.parametrize("name,exercise,count", CLIPS)
def test_analyze_real_clip(name, exercise, count):
    a = repvision.analyze(DATA / name)
    assert a.exercise.label == exercise
    assert abs(a.repetitions.count - count) <= 1
    assert len(a.exercise.top) == 3 and a.exercise.top[0][0] == exercise
    probs = [p for _, p in a.exercise.top]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-6
    reps = a.repetitions.full
    assert all(r.start_s <= r.turn_s <= r.end_s for r in reps)
    assert all(reps[i].end_s <= reps[i + 1].start_s + 1e-6 for i in range(len(reps) - 1))
    assert a.muscles is not None and a.muscles.exercise == exercise


def test_report_matches_schema():
    jsonschema = pytest.importorskip("jsonschema")
    a = repvision.analyze(DATA / "calimiro_squat_19.mp4")
    doc = json.loads(to_json(a))
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert doc["video"]["fps"] == pytest.approx(25.0)
    assert doc["repetitions"]["count"] == a.repetitions.count
    for r in doc["repetitions"]["repetitions"]:
        assert 0 <= r["start_s"] <= r["end_s"] <= doc["video"]["duration_s"] + 0.1
        if r["range_of_motion_deg"] is not None:
            assert 0 < r["range_of_motion_deg"] <= 180


def test_workout_of_two_exercises_is_counted_per_exercise(tmp_path):
    # the committed pull-up clip followed by the committed squat clip (benchmarks/make_workout_clip.py): the whole
    # clip is neither exercise, but each part is found, counted and judged on its own, in the whole clip's frames
    jsonschema = pytest.importorskip("jsonschema")
    from rich.console import Console

    from repvision.report import print_summary

    a = repvision.analyze(DATA / "workout_pull_up_then_squat.mp4")
    assert [p.label for p in a.parts] == ["pull_up", "squat"]
    assert [p.repetitions.count for p in a.parts] == [3, 2]   # as each clip alone (CLIPS above)
    for p in a.parts:
        seg = p.segment
        assert p.form is not None and p.form.exercise == p.label and p.form.score is not None
        assert p.muscles is not None and p.muscles.exercise == p.label
        for r in p.repetitions.repetitions:   # turning inside the part; counted with 0.5 s of its neighbours
            assert seg.start_frame <= r.turn_frame < seg.end_frame and r.start_frame <= r.turn_frame <= r.end_frame
            assert r.start_s == pytest.approx(float(a.pose.timestamps[r.start_frame]))
            assert seg.start_s - 0.5 - 1e-6 <= r.start_s <= r.end_s <= seg.end_s + 0.5 + 1e-6
        assert [rf.start_frame for rf in p.form.reps] == [r.start_frame for r in p.repetitions.repetitions]
    squat_start = a.parts[1].segment.start_s
    assert 6.8 < squat_start < 7.8   # the squat clip starts at 7.34 s
    doc = json.loads(to_json(a))
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert [p["repetitions"]["count"] for p in doc["parts"]] == [3, 2]
    console = Console(record=True, width=120)
    print_summary(a, console)
    text = console.export_text()
    assert "Exercises one after another" in text and "pull_up (" in text and "counted and judged on its own" in text
    assert re.search(r"Workout +│ pull up 3, squat 2 repetitions: 5 in all \(table below\)", text)
    # the whole-clip answer is shown as such, and the repetitions are listed exercise by exercise
    assert re.search(r"Whole clip +│ unknown", text) and not re.search(r"Repetitions +│", text)
    heads = re.findall(r"Repetitions: (pull up|squat), (\d+\.\d)-(\d+\.\d) s", text)
    assert [(h[0], float(h[1]), float(h[2])) for h in heads] == [
        (p.label.replace("_", " "), round(p.segment.start_s, 1), round(p.segment.end_s, 1)) for p in a.parts]
    # the workout summed up (JSON 'workout', the HTML summary cards)
    wk = a.workout
    assert (wk.exercises, wk.counts, wk.repetitions) == (("pull_up", "squat"), (3, 2), 5)
    assert wk.sets == sum(len(p.sets) for p in a.parts) and wk.verdict == "correct"
    n_judged = [len(p.form.reps) for p in a.parts]
    assert wk.form_score == pytest.approx(sum(p.form.score * n for p, n in zip(a.parts, n_judged)) / sum(n_judged))
    assert doc["workout"]["counts"] == [3, 2] and doc["workout"]["repetitions"] == 5
    # the annotated video names the exercise under way and counts its own repetitions
    from repvision.report import overlay_state

    pull_end, squat_end = a.parts[0].repetitions.full[0].end_s, a.parts[1].repetitions.full[0].end_s
    assert overlay_state(a, pull_end + 0.1)[:2] == (f"pull up ({a.parts[0].segment.confidence:.0%})", "reps: 1")
    assert overlay_state(a, squat_start + 0.1)[1] == "reps: 0"
    assert overlay_state(a, squat_end + 0.1)[:2] == (f"squat ({a.parts[1].segment.confidence:.0%})", "reps: 1")
    from repvision.html_report import render_html

    page = render_html(a, DATA / "workout_pull_up_then_squat.mp4", embed_video=False)
    assert "<h1>Workout: pull up 3, squat 2 repetitions</h1>" in page
    summary = page.split('<section id="summary">')[1].split("</section>")[0]
    assert re.search(r'id="workout-reps">5<', summary) and re.search(r'id="workout-exercises">2<', summary)
    assert "pull up, then squat" in summary and re.search(r'id="form-verdict"[^>]*>good<', summary)
    assert "Exercise classifier over the whole video" in summary and "not judged" not in summary
    sec = page.split('id="segments"')[1].split("</section>")[0]
    assert re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+|-)</td><td>', sec)[:2] == [
        (str(p.repetitions.count), f"{p.form.score:.0f}") for p in a.parts]
    reps = page.split('<section id="reps">')[1].split("</section>")[0]   # one table per exercise
    tables = re.findall(r'<div class="part" data-part="(\w+)"><h3>.*?</h3>(.*?)</div>', reps)
    assert [(label, body.count("<tr data-rep=")) for label, body in tables] == [("pull_up", 3), ("squat", 2)]
    plots = page.split('<section id="angle-plots">')[1].split("</section>")[0]   # each over its own stretch
    heads = re.findall(r"<h3>(\w[\w ]*), ", plots)
    assert heads == ["pull up", "squat"]
    pull, squat = plots.split("<h3>")[1:]
    assert "elbow angle" in pull and "knee angle" in squat and "knee angle" not in pull
    # best / worst repetition among the judged repetitions of both exercises, named with their exercise
    from repvision.html_report import keyframe_images

    frames = keyframe_images(a, DATA / "workout_pull_up_then_squat.mp4")
    assert frames and all(k["label"] in ("pull_up", "squat") and k["score"] is not None for k in frames)
    assert re.search(r"<b>Best repetition: (pull up|squat) rep \d</b>", page)
    # a clip of one exercise has no parts
    one = repvision.analyze(DATA / "calimiro_squat_19.mp4")
    assert one.parts == () and one.workout is None and json.loads(to_json(one))["workout"] is None


def test_one_exercise_found_twice_is_not_a_workout(squat_pose, monkeypatch):
    # squats, a stretch the classifier calls "unknown" (a rest), squats again: one exercise in two sets, not a
    # workout of several exercises (no parts, no warning); two different exercises are
    import repvision.classify
    from repvision.pipeline import analyze_poses
    from repvision.types import ExerciseSegment

    info, pose, _ = squat_pose
    n, t = len(pose), pose.timestamps
    cut = [0, n // 3, 2 * n // 3, n]

    def segments(labels):
        return tuple(ExerciseSegment(lab, float(t[a]), float(t[b - 1]), a, b, 0.9)
                     for lab, a, b in zip(labels, cut[:-1], cut[1:]))

    monkeypatch.setattr(repvision.classify, "segment_exercises",
                        lambda *a, **k: segments(["squat", "unknown", "squat"]))
    a = analyze_poses(pose, info)
    assert a.parts == () and a.workout is None and not any("Several exercises" in w for w in a.warnings)
    monkeypatch.setattr(repvision.classify, "segment_exercises",
                        lambda *a, **k: segments(["squat", "unknown", "lunge"]))
    a = analyze_poses(pose, info)
    assert [p.label for p in a.parts] == ["squat", "lunge"] and any("Several exercises" in w for w in a.warnings)


def test_portrait_phone_video():
    a = repvision.analyze(DATA / "phone_portrait_rotated_sit_up.mp4")
    assert a.video.rotation_deg == 90 and (a.video.width, a.video.height) == (320, 240)
    assert a.frames_with_person / a.frames_analysed > 0.9
    assert a.exercise.label == "sit_up"


def test_exercise_override_and_settings():
    a = repvision.analyze(DATA / "calimiro_squat_19.mp4", exercise="squat", stride=2)
    assert a.exercise.label == "squat" and a.frames_analysed == 72
    with pytest.raises(ConfigError, match="strid"):
        repvision.analyze(DATA / "calimiro_squat_19.mp4", strid=2)


def test_clip_shorter_than_one_second(tmp_path):
    frames, fps = real_frames(DATA / "calimiro_squat_19.mp4", 15)  # 0.6 s at 25 fps
    p = write_clip(tmp_path / "short.mp4", frames, int(fps))
    with pytest.raises(ClipTooShortError, match="at least 1 s"):
        repvision.analyze(p)


def test_no_person_anywhere(tmp_path):
    rng = np.random.default_rng(0)
    frames = [np.full((240, 320, 3), 90, np.uint8) + rng.integers(0, 20, (240, 320, 3), dtype=np.uint8)
              for _ in range(50)]
    p = write_clip(tmp_path / "empty_room.mp4", frames, 25)
    with pytest.raises(NoPersonError, match="whole body"):
        repvision.analyze(p)


def test_person_in_only_a_few_frames(tmp_path):
    frames, fps = real_frames(DATA / "calimiro_squat_19.mp4", 12)
    blank = np.full_like(frames[0], 30)
    p = write_clip(tmp_path / "mostly_empty.mp4", frames + [blank] * 100, int(fps))
    with pytest.raises(TooFewDetectionsError, match="of the frames"):
        repvision.analyze(p)


def test_analyse_part_of_a_video(tmp_path):
    # test2315: 3 annotated squats in 10 s; 2.0-8.0 s holds two of them
    jsonschema = pytest.importorskip("jsonschema")
    from repvision.report import write_annotated_video
    from repvision.video import VideoReader

    whole = repvision.analyze(DATA / "repcount_test2315_squat.mp4")
    a = repvision.analyze(DATA / "repcount_test2315_squat.mp4", start_s=2.0, end_s=8.0)
    assert whole.time_range_s is None and a.time_range_s == pytest.approx((2.0, 8.0), abs=0.04)
    assert a.frames_analysed == 181 and a.pose.timestamps[0] == pytest.approx(2.0, abs=0.04)
    assert a.exercise.label == "squat" and a.repetitions.count == 2
    for r in a.repetitions.repetitions:   # times stay those of the whole video
        assert 2.0 - 0.04 <= r.start_s <= r.end_s <= 8.0 + 0.04
    doc = json.loads(to_json(a))
    jsonschema.validate(doc, REPORT_SCHEMA)
    assert doc["pose"]["time_range_s"] == pytest.approx([2.0, 8.0], abs=0.04)
    out = write_annotated_video(a, DATA / "repcount_test2315_squat.mp4", tmp_path / "part.mp4")
    with VideoReader(out) as v:
        assert sum(1 for _ in v) == 181   # only the part analysed


def test_time_range_errors():
    from repvision.pipeline import time_range

    a = repvision.analyze(DATA / "calimiro_squat_19.mp4")   # 5.7 s
    assert len(time_range(a.pose, None, 2.0)) == 51 and len(time_range(a.pose, 3.0, None)) == 68
    with pytest.raises(ClipTooShortError, match="the video lasts 5.72 s"):
        time_range(a.pose, 20.0, None, 1.0)
    with pytest.raises(ClipTooShortError, match="at least 1 s"):
        time_range(a.pose, 1.0, 1.5, 1.0)
    with pytest.raises(ConfigError, match="end_s after start_s"):
        repvision.analyze(DATA / "calimiro_squat_19.mp4", start_s=3.0, end_s=2.0)
    with pytest.raises(ConfigError, match="start_s: a number of seconds"):
        repvision.analyze(DATA / "calimiro_squat_19.mp4", start_s=-1)
