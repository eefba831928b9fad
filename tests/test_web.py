"""The web UI (repvision.web): upload a real clip, follow its job, get the reports; bad uploads get clear errors."""

from __future__ import annotations

import json
import time

import pytest

from conftest import DATA

pytest.importorskip("starlette")
pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

from repvision.web import create_app  # noqa: E402


def _wait(client, job: str, timeout_s: float = 180.0) -> dict:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        st = client.get(f"/jobs/{job}/status").json()
        if st["state"] in ("done", "failed"):
            return st
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish in {timeout_s} s: {st}")


def test_upload_a_clip_and_get_its_reports(tmp_path):
    with TestClient(create_app(tmp_path)) as client:
        page = client.get("/")
        assert page.status_code == 200 and 'name="video"' in page.text and "Analyses" not in page.text
        with open(DATA / "calimiro_squat_19.mp4", "rb") as fh:
            r = client.post("/analyze", files={"video": ("my squats.mp4", fh, "video/mp4")}, follow_redirects=False)
        assert r.status_code == 303
        job = r.headers["location"].rsplit("/", 1)[-1]
        st = _wait(client, job)
        assert st["state"] == "done" and st["name"] == "my squats.mp4", st
        # the job page now leads to the HTML report; the JSON report beside it
        r = client.get(f"/jobs/{job}")
        assert r.status_code == 200 and "<h1>Squat: 2 repetitions</h1>" in r.text
        doc = client.get(f"/jobs/{job}/report.json").json()
        assert doc["exercise"]["label"] == "squat" and doc["repetitions"]["count"] == 2
        assert "my squats.mp4" in client.get("/").text   # listed with the analyses so far
        # the exercise named and one stretch of the video, as analyze --exercise --start --end
        assert '<option value="lunge">lunge</option>' in page.text
        with open(DATA / "calimiro_squat_19.mp4", "rb") as fh:
            r = client.post("/analyze", files={"video": ("b.mp4", fh, "video/mp4")},
                            data={"exercise": "lunge", "start": "0.5", "end": "4"}, follow_redirects=False)
        named = r.headers["location"].rsplit("/", 1)[-1]
        assert _wait(client, named)["state"] == "done"
        doc = client.get(f"/jobs/{named}/report.json").json()
        assert doc["exercise"]["label"] == "lunge" and doc["exercise"]["confidence"] == 1.0
        assert doc["pose"]["time_range_s"][0] >= 0.5 and doc["pose"]["time_range_s"][1] <= 4.0
    # a new server on the same folder still has it
    with TestClient(create_app(tmp_path)) as client:
        assert client.get(f"/jobs/{job}/status").json()["state"] == "done"
        assert json.loads(client.get(f"/jobs/{job}/report.json").text)["repetitions"]["count"] == 2


def test_bad_uploads_get_clear_errors(tmp_path):
    with TestClient(create_app(tmp_path)) as client:
        r = client.post("/analyze", files={"video": ("notes.txt", b"hello", "text/plain")})
        assert r.status_code == 400 and "Expected a video file (.mp4" in r.text and "notes.txt" in r.text
        video = {"video": ("a.mp4", b"x", "video/mp4")}
        for data, says in (({"exercise": "flying"}, "Unknown exercise"), ({"start": "abc"}, "Not a time"),
                           ({"start": "5", "end": "2"}, "end_s after start_s")):
            r = client.post("/analyze", files=video, data=data)
            assert r.status_code == 400 and says in r.text, data
        assert not any(p.is_dir() for p in tmp_path.iterdir())   # nothing was queued
        r = client.post("/analyze", files={"video": ("broken.mp4", b"not a video at all", "video/mp4")},
                        follow_redirects=False)
        job = r.headers["location"].rsplit("/", 1)[-1]
        st = _wait(client, job)
        assert st["state"] == "failed" and "FFmpeg cannot read" in st["error"]
        page = client.get(f"/jobs/{job}").text
        assert "could not be analysed" in page and "re-export it as MP4" in page
        assert client.get(f"/jobs/{job}/report.html").status_code == 404
        for bad in ("0" * 32, "x" * 40, "ABC"):
            assert client.get(f"/jobs/{bad}").status_code == 404
            assert client.get(f"/jobs/{bad}/status").status_code == 404


def test_interrupted_jobs_are_marked_failed(tmp_path):
    # a job a stopped server left "running" is shown as interrupted, not as running for ever
    job = "a" * 32
    (tmp_path / job).mkdir()
    (tmp_path / job / "status.json").write_text(json.dumps({"name": "x.mp4", "state": "running", "created": 1.0}))
    with TestClient(create_app(tmp_path)) as client:
        st = client.get(f"/jobs/{job}/status").json()
        assert st["state"] == "failed" and "interrupted" in st["error"]


def test_a_running_job_says_its_stage_in_words(tmp_path):
    # the words are the pipeline's (the CLI's progress bar shows the same), not the raw stage names
    from repvision.pipeline import PROGRESS_STAGES

    job = "b" * 32
    with TestClient(create_app(tmp_path)) as client:
        (tmp_path / job).mkdir()
        for stage, words in [("pose", PROGRESS_STAGES["pose"]), ("pose_people", PROGRESS_STAGES["pose_people"]),
                             ("report", "writing the report")]:
            (tmp_path / job / "status.json").write_text(json.dumps(
                {"name": "x.mp4", "state": "running", "created": 1.0, "stage": stage, "done": 5, "total": 40}))
            page = client.get(f"/jobs/{job}")
            assert page.status_code == 200 and f"{words}: frame 5 of 40" in page.text, page.text
    assert PROGRESS_STAGES["pose"] == "finding the body in each frame"


def test_without_the_web_extra_the_cli_says_what_to_install(monkeypatch, tmp_path):
    import sys

    from typer.testing import CliRunner

    from repvision.cli import app

    monkeypatch.setitem(sys.modules, "starlette.applications", None)   # as if Starlette were not installed
    r = CliRunner().invoke(app, ["web", "--work-dir", str(tmp_path)])
    out = " ".join(r.output.split())   # the message is wrapped at the terminal's width
    assert r.exit_code == 2 and "'web' extra" in out and "pip install 'repvision[web]'" in out
    assert "open http" not in out
