"""Web UI: analyse a workout video from the browser (``repvision web``; needs the ``web`` extra).

A small Starlette application, thin over :func:`repvision.pipeline.analyze`: a page to upload a video, the
analysis in a background thread (one video at a time: the pose estimation already uses the cores) with its
progress, and the result as the self-contained HTML report of ``repvision analyze --report`` beside the JSON
report. Each upload is a *job* with its own folder under the work folder (``<work>/<job id>/``: the video,
``status.json``, ``report.html``, ``report.json``), so results survive a restart of the server and can be
opened again from the upload page. A video repvision cannot analyse (not a video, nobody in view, too short, ...)
ends its job with the error's message: what was expected, what was found and what to do.

Routes: ``GET /`` the upload page and the jobs so far; ``POST /analyze`` (multipart form field ``video``) starts
a job and redirects to ``GET /jobs/{id}``, the job's page (progress while it runs, then the report);
``GET /jobs/{id}/status`` its status as JSON (``state``: ``queued``, ``running``, ``done`` or ``failed``;
``stage``, ``done``, ``total`` frames of the current stage; ``error``); ``GET /jobs/{id}/report.html`` and
``/report.json`` the reports.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from repvision.config import AnalyzeConfig, user_folder
from repvision.errors import OptionalDependencyError, RepvisionError
from repvision.video import VIDEO_EXTENSIONS

__all__ = ["create_app", "default_work_dir", "serve"]

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:760px;margin:40px auto;padding:0 16px;color:#111827}}
.box{{border:1px solid #e5e7eb;border-radius:8px;padding:16px 20px;margin:16px 0}}
.err{{border-color:#fca5a5;background:#fef2f2}} .muted{{color:#6b7280;font-size:14px}}
progress{{width:100%}} table{{border-collapse:collapse;width:100%}} td,th{{text-align:left;padding:4px 8px;
border-bottom:1px solid #e5e7eb;font-size:14px}} button{{padding:8px 16px;font-size:15px}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"""


def default_work_dir() -> Path:
    """Where the web UI keeps its jobs by default: ``$REPVISION_WEB_DIR``, or ``web`` in the user cache folder
    (:func:`repvision.config.user_folder`)."""
    return user_folder("web", "REPVISION_WEB_DIR")


def _page(title: str, body: str, refresh_s: float | None = None) -> str:
    refresh = "" if refresh_s is None else f'<meta http-equiv="refresh" content="{refresh_s:g}">'
    return _PAGE.format(title=html.escape(title), body=body, refresh=refresh)


class _Jobs:
    """The jobs under ``root``: their folders, statuses (kept in memory while they run, on disk in
    ``status.json`` at each change of state) and the one-thread executor that runs them."""

    def __init__(self, root: Path, config: AnalyzeConfig) -> None:
        self.root = root
        self.config = config
        self.root.mkdir(parents=True, exist_ok=True)
        self._live: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="repvision-web")
        # jobs a stopped server left unfinished: say so, instead of showing them as running for ever
        for job, st in self.all():
            if st.get("state") in ("queued", "running"):
                self._save(job, {**st, "state": "failed",
                                 "error": "The analysis was interrupted (the server stopped). Upload the video again."})

    def folder(self, job: str) -> Path | None:
        """The job's folder, or None for an unknown or malformed job id."""
        if not _JOB_ID.match(job):
            return None
        f = self.root / job
        return f if (f / "status.json").is_file() else None

    def status(self, job: str) -> dict[str, Any] | None:
        with self._lock:
            if job in self._live:
                return dict(self._live[job])
        f = self.folder(job)
        if f is None:
            return None
        try:
            return json.loads((f / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def all(self) -> list[tuple[str, dict[str, Any]]]:
        """Every job with a readable status, newest first."""
        out = []
        for f in self.root.iterdir() if self.root.is_dir() else []:
            st = self.status(f.name) if f.is_dir() else None
            if st is not None:
                out.append((f.name, st))
        return sorted(out, key=lambda js: -js[1].get("created", 0.0))

    def _save(self, job: str, status: dict[str, Any]) -> None:
        """Write the job's ``status.json`` (atomically: a reader never sees half a file)."""
        tmp = self.root / job / "status.json.tmp"
        tmp.write_text(json.dumps(status), encoding="utf-8")
        os.replace(tmp, self.root / job / "status.json")

    def _set(self, job: str, save: bool = False, **changes: Any) -> None:
        with self._lock:
            st = self._live[job]
            st.update(changes)
            snapshot = dict(st)
        if save:
            self._save(job, snapshot)

    def start(self, name: str, upload, config: AnalyzeConfig | None = None) -> str:
        """Create a job for the uploaded file ``upload`` (a file object) named ``name`` and queue it; ``config``:
        its settings (default: the server's)."""
        job = uuid.uuid4().hex
        folder = self.root / job
        folder.mkdir(parents=True)
        video = folder / ("video" + Path(name).suffix.lower())
        with video.open("wb") as fh:
            shutil.copyfileobj(upload, fh, 1 << 20)
        with self._lock:
            self._live[job] = {"name": name, "state": "queued", "stage": "", "done": 0, "total": None,
                               "error": None, "created": time.time()}
        self._set(job, save=True)
        self._pool.submit(self._run, job, video, config or self.config)
        return job

    def _run(self, job: str, video: Path, config: AnalyzeConfig) -> None:
        from repvision.pipeline import analyze
        from repvision.report import write_html, write_json

        self._set(job, save=True, state="running")
        try:
            analysis = analyze(video, config,
                               progress=lambda stage, done, total: self._set(job, stage=stage, done=done,
                                                                             total=total))
            self._set(job, stage="report", done=0, total=None)
            write_json(analysis, video.parent / "report.json")
            write_html(analysis, video, video.parent / "report.html")
        except RepvisionError as exc:
            self._set(job, save=True, state="failed", error=str(exc))
        except Exception as exc:  # a bug: the page says so instead of spinning for ever
            self._set(job, save=True, state="failed", error=f"internal error ({type(exc).__name__}: {exc}); "
                                                            "please report it with the video if you can")
        else:
            self._set(job, save=True, state="done")
        finally:
            with self._lock:
                self._live.pop(job, None)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _missing_extra(exc: ImportError) -> OptionalDependencyError:
    return OptionalDependencyError("the 'web' extra (Starlette, uvicorn, python-multipart)",
                                   f"a missing package ({exc})", "Install it with: pip install 'repvision[web]'")


def create_app(work_dir: str | os.PathLike | None = None, config: AnalyzeConfig | None = None):
    """The Starlette application of the web UI (see the module docstring).

    ``work_dir``: folder of the jobs (:func:`default_work_dir` when None); ``config``: the analysis settings of
    every job (:class:`AnalyzeConfig`; its classifier and rule files are read once here, so a bad one fails at
    start-up). Raises :class:`OptionalDependencyError` without the ``web`` extra.
    """
    try:
        from starlette.applications import Starlette
        from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
        from starlette.routing import Route
    except ImportError as exc:
        raise _missing_extra(exc) from None
    from repvision.pipeline import PROGRESS_STAGES, check_files, supported_exercises

    # the stages of a job in words (``status["stage"]``: the ``analyze`` progress stages, then the reports)
    stage_words = {**PROGRESS_STAGES, "report": "writing the report"}

    cfg = config or AnalyzeConfig()
    check_files(cfg)
    jobs = _Jobs(Path(work_dir) if work_dir is not None else default_work_dir(), cfg)
    known = [e["exercise"] for e in supported_exercises(cfg.classifier, cfg.form_rules)]

    def bad_request(title: str, message: str) -> HTMLResponse:
        return HTMLResponse(_page(title, f'<div class="box err"><p>{message}</p></div><p><a href="/">Back</a></p>'),
                            status_code=400)

    def not_found(job: str) -> HTMLResponse:
        return HTMLResponse(_page("Not found", f"<p>No analysis {html.escape(job)} here.</p>"
                                               '<p><a href="/">Analyse a video</a></p>'), status_code=404)

    async def index(request):
        rows = "".join(
            f'<tr><td><a href="/jobs/{j}">{html.escape(st.get("name", j))}</a></td><td>{st.get("state")}</td>'
            f'<td class="muted">{time.strftime("%Y-%m-%d %H:%M", time.localtime(st.get("created", 0)))}</td></tr>'
            for j, st in jobs.all())
        past = (f'<div class="box"><b>Analyses</b><table>{rows}</table></div>' if rows else "")
        body = ('<div class="box"><form action="/analyze" method="post" enctype="multipart/form-data">'
                f'<p>A workout video ({", ".join(VIDEO_EXTENSIONS)}): the whole body in view, one person '
                'exercising.</p><p><input type="file" name="video" accept="video/*" required></p>'
                '<p><label>Exercise <select name="exercise"><option value="">recognise it</option>'
                + "".join(f'<option value="{html.escape(e)}">{html.escape(e.replace("_", " "))}</option>'
                          for e in known)
                + '</select></label> <span class="muted">name it when it is not recognised</span></p>'
                '<p><label>From <input type="number" name="start" min="0" step="any" style="width:6em"> s</label> '
                '<label>to <input type="number" name="end" min="0" step="any" style="width:6em"> s</label> '
                '<span class="muted">optional: one stretch of the video</span></p>'
                '<p><button type="submit">Analyse</button></p></form>'
                '<p class="muted">repvision finds the exercise, counts the repetitions, judges the form of each '
                'and names the muscles worked. The video stays on this computer.</p></div>' + past)
        return HTMLResponse(_page("repvision", body))

    async def analyze_upload(request):
        async with request.form(max_files=1) as form:
            upload = form.get("video")
            name = getattr(upload, "filename", None) or ""
            if not name or Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
                found = f"'{html.escape(name)}'" if name else "no file"
                return bad_request("Not a video", f'Expected a video file ({", ".join(VIDEO_EXTENSIONS)}), but got '
                                                  f"{found}. Choose a video file and try again.")
            changes: dict[str, Any] = {}
            exercise = str(form.get("exercise") or "")
            if exercise:
                if exercise not in known:
                    return bad_request("Unknown exercise", f"Expected one of {html.escape(', '.join(known))}, but "
                                                           f"got '{html.escape(exercise)}'.")
                changes["exercise"] = exercise
            for key, field in (("start", "start_s"), ("end", "end_s")):
                value = str(form.get(key) or "").strip()
                if value:
                    try:
                        changes[field] = float(value)
                    except ValueError:
                        return bad_request("Not a time", f"Expected a time in seconds for '{key}', but got "
                                                         f"'{html.escape(value)}'.")
            try:
                job_cfg = cfg.replace(**changes) if changes else cfg
            except RepvisionError as exc:
                return bad_request("Settings not accepted", html.escape(str(exc)))
            job = jobs.start(Path(name).name, upload.file, job_cfg)
        return RedirectResponse(f"/jobs/{job}", status_code=303)

    async def job_page(request):
        job = request.path_params["job"]
        st = jobs.status(job)
        if st is None:
            return not_found(job)
        name = html.escape(st.get("name", ""))
        if st["state"] == "done":
            return RedirectResponse(f"/jobs/{job}/report.html", status_code=303)
        if st["state"] == "failed":
            body = (f'<div class="box err"><p><b>{name}</b> could not be analysed.</p>'
                    f'<p>{html.escape(st.get("error") or "")}</p></div><p><a href="/">Analyse another video</a></p>')
            return HTMLResponse(_page("Analysis failed", body))
        total, stage = st.get("total"), st.get("stage") or ""
        words = ("waiting for the analysis before it" if st["state"] == "queued"
                 else stage_words.get(stage, html.escape(stage) or "analysing"))
        bar = (f'<progress value="{st.get("done", 0)}" max="{total}"></progress>'
               f'<p class="muted">{words}: frame {st.get("done", 0)} of {total}</p>'
               if total else f'<progress></progress><p class="muted">{words}</p>')
        body = f'<div class="box"><p><b>{name}</b>: {st["state"]}</p>{bar}</div>'
        return HTMLResponse(_page("Analysing...", body, refresh_s=1))

    async def job_status(request):
        st = jobs.status(request.path_params["job"])
        return JSONResponse(st) if st is not None else JSONResponse({"error": "no such analysis"}, status_code=404)

    def report(filename: str, media_type: str):
        async def endpoint(request):
            job = request.path_params["job"]
            f = jobs.folder(job)
            if f is None or not (f / filename).is_file():
                return not_found(job)
            return FileResponse(f / filename, media_type=media_type)
        return endpoint

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        jobs.close()

    app = Starlette(routes=[
        Route("/", index),
        Route("/analyze", analyze_upload, methods=["POST"]),
        Route("/jobs/{job}", job_page),
        Route("/jobs/{job}/status", job_status),
        Route("/jobs/{job}/report.html", report("report.html", "text/html")),
        Route("/jobs/{job}/report.json", report("report.json", "application/json")),
    ], lifespan=lifespan)
    app.state.jobs = jobs
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, work_dir: str | os.PathLike | None = None,
          config: AnalyzeConfig | None = None, on_ready=None) -> None:
    """Run the web UI with uvicorn until interrupted (``repvision web``); ``on_ready()`` is called once the
    application is built, just before it starts listening. Raises :class:`OptionalDependencyError` without the
    ``web`` extra."""
    app = create_app(work_dir, config)
    try:
        import uvicorn
    except ImportError as exc:
        raise _missing_extra(exc) from None
    if on_ready is not None:
        on_ready()
    uvicorn.run(app, host=host, port=port, log_level="warning")
