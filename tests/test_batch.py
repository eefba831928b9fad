"""The batch summary: one row per video read back from the JSON reports (``repvision.batch.summary_rows``)."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from repvision.batch import SUMMARY_COLUMNS, BatchItem, summary_rows, write_summary_csv, write_summary_html
from repvision.form import FormIssue
from repvision.pipeline import analyze_poses
from repvision.report import write_json


@pytest.fixture(scope="module")
def squat_analysis(squat_pose):
    info, pose, _ = squat_pose
    return analyze_poses(pose, info)


def _issue(check: str, severity: float, cue: str) -> FormIssue:
    return FormIssue(check, cue, 0, 10, 0.3, 100.0, 90.0, "deg", severity, "test")


def test_summary_rows_from_reports(squat_analysis, tmp_path):
    # the most frequent check gives the top cue (its most severe occurrence), whatever the order of the issues
    issues = (_issue("trunk_lean", 0.9, "chest up"), _issue("depth", 0.4, "go lower a bit"),
              _issue("depth", 0.8, "go lower: 20 deg above parallel"))
    judged = replace(squat_analysis, form=replace(squat_analysis.form, issues=issues, score=70.0,
                                                  major_faults=("depth",)))
    ok = write_json(judged, tmp_path / "b.repvision.json")
    broken = tmp_path / "c.repvision.json"
    broken.write_text("{not json")
    page = tmp_path / "b.html"
    page.write_text("<html></html>")
    items = [BatchItem("c.mp4", str(broken), None), BatchItem("b.mp4", str(ok), None, skipped=True, html=str(page)),
             BatchItem("a.mp4", None, "NotAVideoError: not a video")]
    rows = summary_rows(items)
    assert [r["video"] for r in rows] == ["a.mp4", "b.mp4", "c.mp4"]   # sorted by video
    a, b, c = rows
    assert a["status"] == "failed" and a["error"].startswith("NotAVideoError")
    assert c["status"] == "failed" and c["error"].startswith("report not readable")
    assert b["status"] == "ok" and b["exercise"] == "squat" and b["repetitions"] == squat_analysis.repetitions.count
    assert (b["form_score"], b["verdict"], b["major_faults"]) == (70.0, "incorrect", "depth")
    assert b["top_cue"] == "go lower: 20 deg above parallel" and b["sets"] == len(squat_analysis.sets)
    out = write_summary_csv(rows, tmp_path / "sub" / "summary.csv")
    with out.open(encoding="utf-8", newline="") as f:
        back = list(csv.DictReader(f))
    assert tuple(back[0]) == SUMMARY_COLUMNS and [r["status"] for r in back] == ["failed", "ok", "failed"]
    assert back[1]["top_cue"] == b["top_cue"] and float(back[1]["form_score"]) == 70.0
    # the HTML summary links each video's report, relative to its own folder
    index = write_summary_html(rows, tmp_path / "sub" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../b.html">b.mp4</a>' in index and "2 of 3" not in index and "1 of 3 videos analysed" in index
    assert "needs work" in index and "go lower: 20 deg above parallel" in index and "failed: NotAVideoError" in index
