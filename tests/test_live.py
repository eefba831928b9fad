"""Live mode without a camera: a real clip played as a live source, headless."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from repvision.cli import app
from repvision.errors import CameraNotFoundError
from repvision.live import FrameSource, run_live

from conftest import DATA


def test_live_on_a_clip_counts_and_reports():
    events = []
    result = run_live(DATA / "calimiro_squat_19.mp4", window=False, countdown_s=0.0, realtime=False,
                      emit=events.append)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    reps = [e for e in events if e["event"] == "rep"]
    assert 1 <= len(reps) <= 3  # the clip has 2 squats
    for e in reps:  # causal: never reported before the repetition ended
        assert e["reported_at_s"] >= e["end_s"]
    # no report before the counter's analysis holds 3 repetitions (first_report_reps), so on this 2-squat clip
    # both come late, near the end of the clip (measured 3.4 s and 2.2 s after they ended; 0.16 s and 0.20 s
    # when reporting from the first repetition); report latency on longer sets: tests/test_reps.py
    assert [e["count"] for e in reps] == list(range(1, len(reps) + 1))
    assert result.analysis is not None and abs(result.analysis.repetitions.count - result.reps_live) <= 1
    # the end event sums up the session's offline analysis: one set, judged without a major fault
    assert events[-1]["sets"] == 1 and events[-1]["form_verdict"] == result.analysis.form.verdict == "correct"
    assert result.frames_dropped == 0 and result.frames_processed == 143


def test_live_realtime_source_drops_instead_of_lagging():
    # Played at its real frame rate, the source never queues frames: each one handed out is the newest.
    src = FrameSource(str(DATA / "repcount_test2021_sit_up.mp4"), realtime=True).start()
    got = 0
    while True:
        g = src.latest(timeout=0.5)
        if g is None:
            break
        got += 1
    src.stop()
    assert got + src.dropped == 140


def test_missing_camera_is_a_clear_error(capfd):
    capfd.readouterr()
    try:
        FrameSource(97)
    except CameraNotFoundError as exc:
        assert "--source" in str(exc)
    else:  # a machine with 98 cameras is not expected
        raise AssertionError("camera 97 opened")
    # our message alone: OpenCV's own log lines ("[ WARN:0@0.07] ... can't open camera by index") stay out
    err = capfd.readouterr().err
    assert "WARN" not in err and "ERROR" not in err, err


def test_cli_headless_json_lines(tmp_path):
    out = tmp_path / "live.json"
    r = CliRunner().invoke(app, ["live", "--source", str(DATA / "repcount_test2021_sit_up.mp4"), "--no-window",
                                 "--countdown", "0", "--json", str(out), "--report", str(tmp_path / "live.html")])
    assert r.exit_code == 0, r.output
    events = [json.loads(x) for x in r.output.splitlines() if x.startswith("{")]
    assert events[0]["event"] == "start" and events[-1]["event"] == "end"
    assert json.loads(out.read_text())["repetitions"]["count"] >= 2
    page = (tmp_path / "live.html").read_text()
    assert 'id="reps"' in page and 'id="summary"' in page


def test_cli_report_needs_a_video_file():
    r = CliRunner().invoke(app, ["live", "--source", "0", "--no-window", "--report", "x.html"])
    assert r.exit_code == 2 and "--report" in r.output


def test_cli_no_camera_exit_code():
    r = CliRunner().invoke(app, ["live", "--source", "97", "--no-window"])
    assert r.exit_code == 2 and "camera 97" in r.output


def test_window_mode_under_xvfb(tmp_path):
    # Regression: with PyAV loaded before OpenCV, the first cv2.imshow of the live window hung forever.
    import shutil
    import subprocess
    import sys

    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (Debian package xvfb; .ci/run installs it)")
    out = tmp_path / "live.json"
    exe = [sys.executable, "-m", "repvision.cli", "live", "--source", str(DATA / "calimiro_squat_19.mp4"),
           "--countdown", "0", "--json", str(out)]
    r = subprocess.run(["xvfb-run", "-a", *exe], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(out.read_text())  # played in real time, so how many frames are dropped depends on the load
    assert doc["pose"]["frames_with_person"] > 30 and doc["video"]["width"] == 640


def test_live_reports_several_people(shared_data, tmp_path):
    # kaiakol squat_correct_012: a woman squats while a man stands beside her; from 0.75 s on both are found
    # (before that only one, checked frame by frame). That part looped 5 times -> 5.7 s.
    from clips import real_frames, write_clip

    frames, fps = real_frames(shared_data / "videos" / "kaiakol" / "squat" / "correct" / "squat_correct_012.mp4",
                              10_000)
    clip = write_clip(tmp_path / "two_people.mp4", frames[23:] * 5, int(round(fps)))
    events = []
    result = run_live(clip, window=False, countdown_s=0.0, realtime=False, emit=events.append, people_check_s=1.0)
    people = [e for e in events if e["event"] == "people"]
    assert people and people[0]["count"] >= 2
    assert sum(n >= 2 for _, n in result.people) >= 2
    assert result.analysis is not None
    assert any(w.startswith("Several people are in view") for w in result.analysis.warnings)
    # and not for one person (the first test's clip)
    solo = []
    run_live(DATA / "calimiro_squat_19.mp4", window=False, countdown_s=0.0, realtime=False, emit=solo.append)
    assert not [e for e in solo if e["event"] == "people"]


def test_analysis_thread_matches_the_counter_and_resets(squat_pose):
    # the live analysis thread reports the same repetitions, in order, as the streaming counter fed directly,
    # and a reset queued after the frames clears the count only once those frames are analysed
    from repvision.classify import load_default_classifier
    from repvision.live import _LiveAnalysis
    from repvision.reps import StreamingRepCounter

    _, clip, _ = squat_pose
    # the 2-squat clip three times over (6 squats): enough repetitions for the counter to report live
    span = float(clip.timestamps[-1] - clip.timestamps[0]) + 1.0 / 30
    seq = dataclasses.replace(clip, keypoints=np.concatenate([clip.keypoints] * 3),
                              timestamps=np.concatenate([clip.timestamps + k * span for k in range(3)]), world=None)
    direct = StreamingRepCounter(image_size=seq.image_size)
    expected = []
    live = _LiveAnalysis(load_default_classifier(), seq.image_size)
    for i in range(len(seq)):
        k = seq.keypoints[i] if seq.present[i] else None
        expected += [r.end_s for r in direct.update(k, float(seq.timestamps[i]))]
        live.add(k, float(seq.timestamps[i]))
    live.reset(float(seq.timestamps[-1]))
    events = live.close()
    reps = [e for e in events if e["event"] == "rep"]
    assert len(expected) >= 1 and [e["end_s"] for e in reps] == [round(t, 3) for t in expected]
    assert [e["count"] for e in reps] == list(range(1, len(reps) + 1))
    assert any(e["event"] == "exercise" and e["label"] == "squat" for e in events)
    assert events[-1]["event"] == "reset" and live.n_live == 0 and not live.kps


def test_live_follows_the_person_exercising():
    # tests/data/two_people_squat.mp4: 2 squats on the left, a person standing still on the right. Once the
    # people search sees both, live mode follows the squatting person (a "following" event); one-person
    # tracking follows the still person.
    events = []
    result = run_live(DATA / "two_people_squat.mp4", window=False, countdown_s=0.0, realtime=False,
                      emit=events.append)
    assert [e["event"] for e in events if e["event"] in ("people", "following")] == ["people", "following"]
    assert result.analysis.exercise.label == "squat" and result.analysis.repetitions.count == 2
    assert result.reps_live == 2
    assert np.nanmedian(result.analysis.pose.keypoints[:, 23:25, 0]) < 0.5
    assert any("told 2 people apart" in w for w in result.analysis.warnings)
    one = run_live(DATA / "two_people_squat.mp4", window=False, countdown_s=0.0, realtime=False,
                   follow_exerciser=False)
    assert np.nanmedian(one.analysis.pose.keypoints[:, 23:25, 0]) > 0.5
    assert one.analysis.repetitions.count != 2


def test_live_label_waits_for_one_classifier_window():
    # Regression: played in real time, the first frames of the squat clip are dropped while the pose model
    # starts, and the live label came from the next 10 frames (0.36 s): "bench press" (85%), which then stayed
    # on screen for 2 s. The same frames, fed to the live analysis without the clock:
    from repvision.classify import load_default_classifier
    from repvision.live import LIVE_MIN_HISTORY_S, _LiveAnalysis, majority_label
    from repvision.pose import estimate_video

    _, pose, _ = estimate_video(DATA / "calimiro_squat_19.mp4", "lite", max_size=640)
    live = _LiveAnalysis(load_default_classifier(), pose.image_size)
    start = 14   # 0.56 s: the first frame the real-time run analysed
    for k, t in zip(pose.keypoints[start:], pose.timestamps[start:]):
        live.add(k if np.isfinite(k[:, 0]).any() else None, float(t))
    labels = [(e["label"], e["at_s"]) for e in live.close() if e["event"] == "exercise"]
    assert [lab for lab, _ in labels] == ["squat"]
    assert labels[0][1] >= pose.timestamps[start] + LIVE_MIN_HISTORY_S - 1e-6
    # a tie among the recent labels goes to the newer one
    assert majority_label(["bench_press", "squat"]) == "squat"
    assert majority_label(["squat", "bench_press", "squat"]) == "squat"


def test_live_end_event_lists_each_exercise_of_a_workout():
    # the session's final analysis counts each exercise of a workout on its own, and the end event says so
    events = []
    result = run_live(DATA / "workout_pull_up_then_squat.mp4", window=False, countdown_s=0.0, realtime=False,
                      emit=events.append)
    assert [(p["label"], p["reps"]) for p in events[-1]["parts"]] == [("pull_up", 3), ("squat", 2)]
    assert events[-1]["workout"]["repetitions"] == 5
    # counted live exercise by exercise too (the squats' own count starts when the label turns to squat)
    assert [p["label"] for p in events[-1]["live_parts"]] == ["pull_up", "squat"]
    assert sum(p["reps"] for p in events[-1]["live_parts"]) == events[-1]["reps_live"]
    assert result.live_parts == [(p["label"], p["reps"]) for p in events[-1]["live_parts"]]
    assert [p.label for p in result.analysis.parts] == ["pull_up", "squat"]
    # the live label follows the exercise under way
    labels = [e["label"] for e in events if e["event"] == "exercise" and e["label"] != "unknown"]
    assert labels == ["pull_up", "squat"]


def test_live_counts_each_exercise_of_a_session_on_its_own(squat_pose):
    # a session of squats, pull-ups, squats (the committed clips' real poses played one after another: 2 squat
    # clips, 3 pull-up clips, 2 squat clips; 4, 9 and 4 repetitions). One counter over the whole session followed
    # the squats' signal into the pull-ups and counted 10 repetitions live; a new counter per exercise, started
    # LIVE_PART_LOOKBACK_S before the new exercise was confirmed, counts each exercise to within one
    # (benchmarks/live_parts.py)
    from repvision.classify import load_default_classifier
    from repvision.live import _LiveAnalysis
    from repvision.pose import estimate_video

    squat = squat_pose[1]
    pull = estimate_video(DATA / "calimiro_pull_up_11.mp4", "lite")[1]
    live = _LiveAnalysis(load_default_classifier(), squat.image_size)
    live.add_sequences([squat] * 2 + [pull] * 3 + [squat] * 2)
    events = live.close()
    assert [lab for lab, _ in live.parts] == ["squat", "pull_up", "squat"]
    assert all(abs(n - true) <= 1 for (_, n), true in zip(live.parts, (4, 9, 4))), live.parts
    assert abs(live.n_live - 17) <= 1 and live.n_live == sum(n for _, n in live.parts)
    reps = [e for e in events if e["event"] == "rep"]
    assert [e["count"] for e in reps] == list(range(1, live.n_live + 1))   # the session's count, one by one
    assert [e["exercise_count"] for e in reps if e["exercise"] == "pull_up"] == list(range(1, live.parts[1][1] + 1))
    assert live.counter_text == f"reps: {live.parts[-1][1]}  (all: {live.n_live})"
    # each part's counter is told its exercise: its repetitions carry that exercise's joint and tempo (before,
    # the live counter never knew the exercise, so a rep event had no tempo and the joint of the largest motion)
    for e in reps:
        assert e["joint"] == {"squat": "knee", "pull_up": "elbow"}[e["exercise"]]
        assert e["start_s"] <= e["turn_s"] <= e["end_s"]
        assert e["concentric_s"] + e["eccentric_s"] == pytest.approx(e["end_s"] - e["start_s"], abs=2e-3)


class _Scripted:
    """A stand-in for the exercise classifier answering a fixed list of labels, one per call."""

    def __init__(self, labels):
        self.labels = list(labels)

    def predict_sequence(self, seq, top_k=3):
        from repvision.types import ExercisePrediction

        lab = self.labels.pop(0) if len(self.labels) > 1 else self.labels[0]
        return ExercisePrediction(lab, 0.9, ((lab, 0.9),), 0.7)


def test_live_parts_need_a_confirmed_exercise(squat_pose):
    # A wrong first answer is renamed while no repetition is counted; a passing wrong answer (two in a row) does not
    # start a new part; three in a row (LIVE_PART_CONFIRM) do. Real squat poses, the clip played 4 times (8 squats).
    from repvision.live import LIVE_PART_CONFIRM, _LiveAnalysis

    assert LIVE_PART_CONFIRM == 3
    squat = squat_pose[1]

    def run(labels):
        live = _LiveAnalysis(_Scripted(labels), squat.image_size)
        live.add_sequences([squat] * 4)
        live.close()
        return live

    # answers once a second from 2 s on: bench press first (renamed: no repetition yet), squats, then 2 lunges
    passing = run(["bench_press"] + ["squat"] * 12 + ["lunge"] * 2 + ["squat"] * 30)
    assert [lab for lab, _ in passing.parts] == ["squat"] and passing.parts[0][1] == passing.n_live >= 6
    confirmed = run(["squat"] * 13 + ["lunge"] * 30)
    assert [lab for lab, _ in confirmed.parts] == ["squat", "lunge"]
    assert sum(n for _, n in confirmed.parts) == confirmed.n_live
    # a confirmed exercise that is renamed back before its first repetition joins the one before it again
    back = run(["squat"] * 13 + ["lunge"] * 3 + ["squat"] * 30)
    assert [lab for lab, _ in back.parts] == ["squat"] and back.parts[0][1] == back.n_live
