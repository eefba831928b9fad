"""Analyse many videos at once, one worker process per CPU core.

Each video is analysed by :func:`repvision.pipeline.analyze` in its own process (MediaPipe's graph runs
mostly on one core, so separate processes are how a batch uses every core) and its JSON report is written as
soon as it is done, so an interrupted batch keeps what it finished; a second run skips videos whose report
already exists (``resume=True``) and was made with the same settings (the report's ``settings`` against
:meth:`repvision.config.AnalyzeConfig.result_settings`; a report without them, from an older version, is kept).
A video that fails (corrupt file, nobody in view, ...) is reported with its
error and does not stop the others. A folder stands for every video file under it (:func:`expand_videos`); with
an output folder, its reports keep the folder's layout, so clips with the same name in different subfolders do
not overwrite each other's reports. :func:`summary_rows` reads the reports back into one row per video (exercise,
repetitions, form score, verdict, top cue), e.g. for a coach's overview (:func:`write_summary_csv`).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from repvision.config import AnalyzeConfig

__all__ = ["BatchItem", "report_path", "html_path", "expand_videos", "analyze_many", "SUMMARY_COLUMNS", "summary_rows",
           "summary_cells", "write_summary_csv", "write_summary_html"]


@dataclass(frozen=True)
class BatchItem:
    """Outcome for one video: the report written (``report``; ``html``: the HTML report, when asked for) or the
    error message (``error``)."""

    video: str
    report: str | None
    error: str | None
    skipped: bool = False
    seconds: float = 0.0
    html: str | None = None


def report_path(video: str | os.PathLike, out_dir: str | os.PathLike | None,
                root: str | os.PathLike | None = None) -> Path:
    """Where the JSON report of ``video`` goes: ``out_dir/<stem>.repvision.json``, or beside the video. For a
    video found in the folder ``root`` (:func:`expand_videos`), ``out_dir`` gets the video's subfolder of
    ``root``: ``out_dir/<sub/folders>/<stem>.repvision.json``."""
    v = Path(video)
    if out_dir is None:
        folder = v.parent
    elif root is not None:
        folder = Path(out_dir) / v.parent.relative_to(root)
    else:
        folder = Path(out_dir)
    return folder / f"{v.stem}.repvision.json"


def expand_videos(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, Path | None]]:
    """The videos to analyse: each path that is a folder becomes the video files under it (any depth, by
    extension: :data:`repvision.video.VIDEO_EXTENSIONS`, sorted; hidden files and folders left out), any other
    path is kept as given (a missing or unreadable file is then reported by the analysis). A video reached twice
    (a file and its folder) is listed once, where it first comes.

    Returns ``(video, root)`` pairs, ``root`` being the folder a video was found in (None for a path given
    directly). Raises :class:`repvision.errors.VideoNotFoundError` for a folder without any video file.
    """
    from repvision.errors import VideoNotFoundError
    from repvision.video import VIDEO_EXTENSIONS

    out: list[tuple[Path, Path | None]] = []
    seen: set[Path] = set()
    for p in map(Path, paths):
        found = [(p, None)]
        if p.is_dir():
            found = [(f, p) for f in sorted(p.rglob("*")) if f.suffix.lower() in VIDEO_EXTENSIONS and f.is_file()
                     and not any(part.startswith(".") for part in f.relative_to(p).parts)]
            if not found:
                raise VideoNotFoundError(f"video files ({', '.join(VIDEO_EXTENSIONS)}) in the folder {p}", "none",
                                         "Pass a folder that holds videos, or the video files themselves.")
        for v, root in found:
            if v.resolve() not in seen:
                seen.add(v.resolve())
                out.append((v, root))
    return out


def html_path(report: str | os.PathLike) -> Path:
    """The HTML report beside the JSON report ``report``: ``<stem>.html`` for ``<stem>.repvision.json``."""
    r = Path(report)
    return r.with_name(r.name.removesuffix(".repvision.json") + ".html")


def _one(video: str, config: AnalyzeConfig, out: str, html: bool = False) -> BatchItem:
    import time

    from repvision.errors import RepvisionError
    from repvision.pipeline import analyze
    from repvision.report import write_html, write_json

    t0 = time.perf_counter()
    try:
        analysis = analyze(video, config)
        write_json(analysis, out)
        page = str(write_html(analysis, video, html_path(out))) if html else None
    except RepvisionError as exc:
        return BatchItem(video, None, f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - t0)
    return BatchItem(video, out, None, seconds=time.perf_counter() - t0, html=page)


def _made_with(report: Path, settings: dict) -> bool:
    """Whether the JSON report at ``report`` was made with ``settings`` (True for a report that does not record
    its settings, from before they were recorded; False for an unreadable file, which is then redone)."""
    import json

    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    recorded = doc.get("settings") if isinstance(doc, dict) else None
    if recorded is None:
        return True
    return json.loads(json.dumps(settings)) == recorded


def analyze_many(videos: Iterable[str | os.PathLike], config: AnalyzeConfig | None = None, *,
                 out_dir: str | os.PathLike | None = None, jobs: int | None = None, resume: bool = True,
                 on_done: Callable[[BatchItem], None] | None = None,
                 on_start: Callable[[int], None] | None = None, html: bool = False) -> list[BatchItem]:
    """Analyse ``videos`` (files, or folders standing for the videos under them: :func:`expand_videos`) in
    ``jobs`` processes (default: the number of CPU cores); ``html``: also write each video's HTML report
    (:func:`repvision.report.write_html`) beside its JSON report (:func:`html_path`; a resumed video without
    one is analysed again).

    Returns one :class:`BatchItem` per video, in completion order; ``on_start`` is called once with the number
    of videos (folders expanded) before the first starts, ``on_done`` with each item as it finishes. Reports
    are JSON files at :func:`report_path`. Raises, before any video starts:
    :class:`repvision.errors.ConfigError` for ``jobs < 1`` or two videos whose reports would have the same
    path (e.g. ``a/clip.mp4`` and ``b/clip.mp4`` given one by one with ``out_dir``);
    :class:`repvision.errors.VideoNotFoundError` for a folder without videos; the errors of
    :func:`repvision.pipeline.check_files`.
    """
    from repvision.errors import ConfigError

    from repvision.pipeline import check_files

    cfg = config or AnalyzeConfig()
    check_files(cfg)   # a bad classifier or rule file fails once here, not once per video
    n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if n_jobs < 1:
        raise ConfigError("jobs >= 1", f"jobs={n_jobs}", "Pass --jobs 1 or more (default: one per CPU core).")
    if n_jobs > 1 and cfg.pose_workers is None:  # the cores are already shared out one video each
        cfg = cfg.replace(pose_workers=1)
    targets: dict[Path, str] = {}
    planned: list[tuple[str, Path]] = []
    for v, root in expand_videos(videos):
        out = report_path(v, out_dir, root)
        if out in targets:
            raise ConfigError("one report file per video", f"{targets[out]} and {v} would both write {out}",
                              "Analyse them in separate runs with different --out folders, or give their "
                              "common folder instead (its subfolders are kept under --out).")
        targets[out] = str(v)
        planned.append((str(v), out))
    if on_start:
        on_start(len(planned))
    done: list[BatchItem] = []
    todo: list[tuple[str, str]] = []
    wanted = cfg.result_settings()
    for v, out in planned:
        if out_dir is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
        if resume and out.is_file() and _made_with(out, wanted) and (not html or html_path(out).is_file()):
            item = BatchItem(str(v), str(out), None, skipped=True, html=str(html_path(out)) if html else None)
            done.append(item)
            if on_done:
                on_done(item)
        else:
            todo.append((str(v), str(out)))
    if not todo:
        return done
    if n_jobs == 1:
        for v, out in todo:
            item = _one(v, cfg, out, html)
            done.append(item)
            if on_done:
                on_done(item)
        return done
    # Fresh ("spawn") workers, never a fork of a process that may hold MediaPipe threads; each pins its BLAS to
    # one thread (inherited environment) so the processes do not fight over the cores.
    import multiprocessing

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(todo)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_one, v, cfg, out, html) for v, out in todo]
        for f in as_completed(futures):
            item = f.result()
            done.append(item)
            if on_done:
                on_done(item)
    return done



#: Columns of the batch summary (:func:`summary_rows`): ``status`` is ``ok`` or ``failed``; ``exercise`` the
#: exercise found (for a workout of several exercises ``workout: squat, push_up`` and the figures of the whole
#: workout, :class:`repvision.types.WorkoutSummary`); ``confidence`` 0-1; ``repetitions`` full ones and
#: ``partial``; ``form_score`` 0-100 (empty when form was not judged); ``verdict`` ``correct`` / ``incorrect``;
#: ``top_cue`` the most frequent form cue (:func:`repvision.report.rank_cues`); ``duration_s`` seconds of video.
SUMMARY_COLUMNS = ("video", "status", "exercise", "confidence", "repetitions", "partial", "sets", "form_score",
                   "verdict", "major_faults", "top_cue", "duration_s", "report", "html", "error")


def summary_rows(items: Iterable[BatchItem]) -> list[dict]:
    """One row per video (keys :data:`SUMMARY_COLUMNS`), sorted by video path, read from the JSON reports of
    ``items`` (also those skipped because they existed). A failed video gets its error; a report that cannot be
    read back gets status ``failed`` and says so."""
    import json

    from repvision.report import rank_cues

    rows = []
    for it in sorted(items, key=lambda i: i.video):
        row: dict = {c: "" for c in SUMMARY_COLUMNS}
        row.update(video=it.video, report=it.report or "", html=it.html or "", status="failed", error=it.error or "")
        rows.append(row)
        if it.report is None:
            continue
        try:
            doc = json.loads(Path(it.report).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            row["error"] = f"report not readable: {exc}"
            continue
        wk = doc.get("workout")
        if wk:
            forms = [(pt["label"], pt.get("form")) for pt in doc.get("parts", [])]
            row.update(exercise="workout: " + ", ".join(wk["exercises"]), repetitions=wk["repetitions"],
                       partial=wk["partials"], sets=wk["sets"], form_score=wk["form_score"], verdict=wk["verdict"],
                       major_faults="; ".join(wk["major_faults"]))
        else:
            ex, reps, form = doc["exercise"], doc["repetitions"], doc.get("form")
            forms = [(None, form)]
            row.update(exercise=ex["label"], confidence=round(ex["confidence"], 3), repetitions=reps["count"],
                       partial=reps["partial_count"], sets=len(doc.get("sets", [])),
                       form_score=None if form is None else form["score"],
                       verdict=None if form is None else form["verdict"],
                       major_faults="" if form is None
                       else ", ".join(f.replace("_", " ") for f in form["major_faults"]))
        cues = rank_cues(((f"{lab}/{i['check']}", i["severity"],
                           i["cue"] if lab is None else f"{lab.replace('_', ' ')}: {i['cue']}")
                          for lab, f in forms if f for i in f["issues"]), 1)
        row.update(status="ok", top_cue=cues[0][2] if cues else "", duration_s=doc["video"]["duration_s"],
                   form_score="" if row["form_score"] is None else round(float(row["form_score"]), 1),
                   verdict=row["verdict"] or "")
    return rows


def summary_cells(row: dict) -> dict[str, str]:
    """How a :func:`summary_rows` row of an analysed video reads for people (the ``repvision batch`` table and
    :func:`write_summary_html`): ``reps`` (``"8 (+1)"`` with partial ones), ``form`` (score or ``-``),
    ``verdict`` (``good`` / ``needs work`` / ``-``), ``cue`` (top cue or ``-``)."""
    from repvision.report import VERDICT_WORDS

    return {"reps": f"{row['repetitions']}" + (f" (+{row['partial']})" if row["partial"] else ""),
            "form": "-" if row["form_score"] == "" else f"{row['form_score']:.0f}",
            "verdict": VERDICT_WORDS.get(row["verdict"], "-"), "cue": row["top_cue"] or "-"}


def write_summary_csv(rows: list[dict], path: str | os.PathLike) -> Path:
    """Write :func:`summary_rows` as a CSV file (columns :data:`SUMMARY_COLUMNS`, one header row); returns its
    path. Its folder is created."""
    import csv

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return out


def write_summary_html(rows: list[dict], path: str | os.PathLike) -> Path:
    """Write :func:`summary_rows` as an HTML page (one table row per video, linking each video's HTML report
    when it has one, relative to the page's folder); returns its path. For ``repvision batch --html``."""
    import html

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)

    def cell(r: dict) -> str:
        name = html.escape(Path(r["video"]).name)
        if r["html"]:
            link = os.path.relpath(r["html"], out.parent).replace(os.sep, "/")
            name = f'<a href="{html.escape(link)}">{name}</a>'
        if r["status"] != "ok":
            return f'<td>{name}</td><td class="bad" colspan="5">failed: {html.escape(r["error"])}</td>'
        c = summary_cells(r)
        flag = "bad" if r["verdict"] == "incorrect" else ""
        return (f'<td>{name}</td><td>{html.escape(str(r["exercise"]).replace("_", " "))}</td>'
                f'<td class="n">{c["reps"]}</td><td class="n">{c["form"]}</td><td class="{flag}">{c["verdict"]}</td>'
                f'<td>{html.escape(c["cue"])}</td>')

    body = "".join(f"<tr>{cell(r)}</tr>" for r in rows)
    n_ok = sum(r["status"] == "ok" for r in rows)
    out.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>repvision: summary</title><style>'
        "body{font-family:system-ui,sans-serif;margin:32px;color:#111827}table{border-collapse:collapse}"
        "td,th{text-align:left;padding:6px 10px;border-bottom:1px solid #e5e7eb;font-size:14px}"
        "td.n{text-align:right}.bad{color:#dc2626}</style></head><body><h1>repvision: summary</h1>"
        f"<p>{n_ok} of {len(rows)} videos analysed.</p><table><thead><tr><th>video</th><th>exercise</th>"
        f"<th>reps</th><th>form</th><th>verdict</th><th>top cue</th></tr></thead><tbody>{body}</tbody></table>"
        "</body></html>", encoding="utf-8")
    return out
