"""Command-line interface (Typer), a thin layer over the library.

User errors (:class:`repvision.errors.RepvisionError`) are printed as one message and exit with code 2;
they never show a traceback.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape

from repvision.errors import ConfigError, ManifestError, NoPersonError, OptionalDependencyError, RepvisionError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="repvision: a personal trainer in a video (exercise, repetitions, muscles).")
bench_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="Benchmarks; each ends with one JSON line of figures.")
app.add_typer(bench_app, name="bench")

err_console = Console(stderr=True)


class ProgressMode(str, Enum):
    bar = "bar"
    json = "json"
    none = "none"


#: The options naming one's own classifier and rule files, the same for analyze, batch, live and exercises.
ClassifierOption = Annotated[Optional[Path], typer.Option(
    "--classifier", help="Exercise classifier .npz to use (e.g. from `repvision train` on your own videos) "
                         "[default: shipped].")]
FormRulesOption = Annotated[Optional[Path], typer.Option(
    "--form-rules", help="Folder of your own form rule files (<exercise>.toml, format of repvision/form_rules/), "
                         "used before the shipped ones.")]


def _fail(exc: RepvisionError) -> None:
    # the message quotes user input (paths, keys): escaped, so "[bold]" or "[/x]" in it is shown, not parsed
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    raise typer.Exit(code=exc.exit_code)


def _print_figures(run: Callable[[], dict]) -> None:
    """Run a benchmark or training job and print its figures as one JSON line; a user error ends the command
    with its message and exit code instead."""
    try:
        figures = run()
    except RepvisionError as exc:
        _fail(exc)
        return
    print(json.dumps(figures, default=str))


def _from_train_extra(module: str, name: str, needs: tuple[str, ...] = ("sklearn",)):
    """``module.name``, or :class:`OptionalDependencyError` when the 'train' extra is not installed: the module
    does not import, or a package in ``needs`` (imported lazily by the job, e.g. scikit-learn by the
    cross-validation) is absent -- checked before the job starts, not as a traceback minutes into it."""
    import importlib
    import importlib.util

    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    try:
        if missing:
            raise ImportError(f"No module named {missing[0]!r}")
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise OptionalDependencyError("the 'train' extra (PyTorch, scikit-learn, scipy)",
                                      f"a missing package ({exc})",
                                      "Install it with: pip install 'repvision[train]'") from None


def _train_needs(models: str | None) -> tuple[str, ...]:
    """The packages a training/evaluation job with these model names (comma-separated; None = default) needs."""
    names = {m.strip() for m in (models or "default").split(",") if m.strip()}
    return ("sklearn",) if names <= {"default"} else ("sklearn", "torch")


def _config(config: Optional[Path], **overrides):
    from repvision.config import AnalyzeConfig

    cfg = AnalyzeConfig.from_file(config) if config else AnalyzeConfig()
    changes = {k: v for k, v in overrides.items() if v is not None}
    return cfg.replace(**changes) if changes else cfg


@app.command()
def analyze(
    video: Path = typer.Argument(..., help="Video file (mp4, mov, avi, webm, mkv)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="JSON report path [default: VIDEO.repvision.json]."),
    video_out: Optional[Path] = typer.Option(None, "--video", help="Write an annotated MP4 here."),
    report_out: Optional[Path] = typer.Option(None, "--report", help="Write a self-contained HTML report here "
                                              "(summary, body map, reps with form cues, plots, video)."),
    pose_model: Optional[str] = typer.Option(None, "--pose-model", help="lite (fast) | full (accurate) | path.task"),
    stride: Optional[int] = typer.Option(None, "--stride", help="Analyse every N-th frame."),
    max_size: Optional[int] = typer.Option(None, "--max-size", help="Downscale long side to PIXELS first."),
    pose_workers: Optional[int] = typer.Option(None, "--pose-workers", help="Threads estimating poses in parallel, "
                                               "each on a stretch of the video [default: one per core, at most 4]."),
    exercise: Optional[str] = typer.Option(None, "--exercise", help="Skip classification: use this label."),
    start: Optional[float] = typer.Option(None, "--start", help="Analyse from this time (seconds) on."),
    end: Optional[float] = typer.Option(None, "--end", help="Analyse up to this time (seconds)."),
    classifier: ClassifierOption = None,
    form_rules: FormRulesOption = None,
    follow_exerciser: Optional[bool] = typer.Option(
        None, "--follow-exerciser/--no-follow-exerciser",
        help="With several people in view, analyse the one exercising (a second, slower pose pass) "
             "[default: follow]."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached poses."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML settings file (AnalyzeConfig keys)."),
    progress: ProgressMode = typer.Option(ProgressMode.bar, "--progress",
                                          help="bar | json (JSON lines on stdout) | none"),
) -> None:
    """Analyse a workout video: exercise, repetitions, form feedback, muscle groups."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from repvision.pipeline import PROGRESS_STAGES
    from repvision.pipeline import analyze as run
    from repvision.report import print_summary, write_annotated_video, write_html, write_json

    console = Console()
    try:
        cfg = _config(config, pose_model=pose_model, stride=stride, max_size=max_size, exercise=exercise,
                      pose_workers=pose_workers, follow_exerciser=follow_exerciser,
                      cache=False if no_cache else None, classifier=classifier, form_rules=form_rules,
                      start_s=start, end_s=end)
        if progress is ProgressMode.json:
            def cb(stage, done, total):
                if done % 10 == 0 or done == total:
                    print(json.dumps({"event": "progress", "stage": stage, "done": done, "total": total}), flush=True)
            analysis = run(video, cfg, progress=cb)
        elif progress is ProgressMode.bar and err_console.is_terminal:  # no bar (nor its last newline) in a pipe
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeRemainingColumn(), console=err_console, transient=True) as bar:
                task = bar.add_task(PROGRESS_STAGES["pose"], total=None)
                analysis = run(video, cfg, progress=lambda s, d, t: bar.update(
                    task, description=PROGRESS_STAGES.get(s, s), completed=d, total=t))
        else:
            analysis = run(video, cfg)
        json_path = json_out or _next_to(video, ".repvision.json")
        write_json(analysis, json_path)
        written = [str(json_path)]
        if video_out is not None:
            write_annotated_video(analysis, video, video_out)
            written.append(str(video_out))
        if report_out is not None:
            write_html(analysis, video, report_out)
            written.append(str(report_out))
    except RepvisionError as exc:
        _fail(exc)
        return
    if progress is ProgressMode.json:
        print(json.dumps({"event": "done", "report": analysis.to_dict(), "files": written}), flush=True)
    else:
        print_summary(analysis, console)
        console.print("wrote " + ", ".join(written), soft_wrap=True, markup=False)


@app.command()
def exercises(
    classifier: ClassifierOption = None,
    form_rules: FormRulesOption = None,
    as_json: bool = typer.Option(False, "--json", help="One JSON list instead of the table."),
) -> None:
    """List the exercises: whether the classifier recognises them, their form checks, the joint whose range of
    motion is reported, and the muscles worked."""
    from rich.table import Table

    from repvision.pipeline import supported_exercises

    try:
        rows = supported_exercises(classifier, form_rules)
    except RepvisionError as exc:
        _fail(exc)
        return
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title="Exercises", title_justify="left")
    for col in ("exercise", "recognised", "form checks", "joint", "primary muscles", "secondary muscles"):
        table.add_column(col, overflow="fold", no_wrap=col == "exercise")
    for r in rows:
        form = "-" if r["form"] is None else ("hold: " if r["form"] == "hold" else "") + ", ".join(r["checks"])
        table.add_row(r["exercise"], "yes" if r["recognised"] else "no (name it: --exercise)", escape(form),
                      r["driving_joint"] or "-", ", ".join(r["primary_muscles"]) or "-",
                      ", ".join(r["secondary_muscles"]) or "-")
    Console().print(table)


@app.command()
def batch(
    videos: list[Path] = typer.Argument(..., help="Video files, or folders (every video file under them)."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Folder for the JSON reports, keeping the subfolders "
                                           "of a folder given [default: beside each video]."),
    jobs: Optional[int] = typer.Option(None, "--jobs", help="Worker processes [default: one per CPU core]."),
    pose_model: Optional[str] = typer.Option(None, "--pose-model"),
    stride: Optional[int] = typer.Option(None, "--stride"),
    max_size: Optional[int] = typer.Option(None, "--max-size"),
    pose_workers: Optional[int] = typer.Option(None, "--pose-workers", help="Pose threads per video [default: 1 "
                                               "when several videos run at once]."),
    classifier: ClassifierOption = None,
    form_rules: FormRulesOption = None,
    config: Optional[Path] = typer.Option(None, "--config", help="TOML settings file (AnalyzeConfig keys)."),
    no_resume: bool = typer.Option(False, "--no-resume", help="Re-analyse videos that already have a report."),
    summary: Optional[Path] = typer.Option(None, "--summary", help="CSV file with one row per video (exercise, "
                                           "reps, form score, verdict, top cue) [default: summary.csv in --out]."),
    progress: ProgressMode = typer.Option(ProgressMode.bar, "--progress",
                                          help="bar | json (a JSON line on stdout per finished video) | none"),
    html: bool = typer.Option(False, "--html", help="Also write each video's HTML report (<name>.html) beside "
                                                    "its JSON report, and index.html beside the summary."),
) -> None:
    """Analyse many videos in parallel (one process per core); one JSON report per video, resumable; a table
    of all of them at the end (and a CSV file, --summary)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
    from rich.table import Table

    from repvision.batch import analyze_many, summary_cells, summary_rows, write_summary_csv, write_summary_html

    try:
        cfg = _config(config, pose_model=pose_model, stride=stride, max_size=max_size, pose_workers=pose_workers,
                      classifier=classifier, form_rules=form_rules)
        failed = finished = total = 0
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeRemainingColumn(), console=err_console, disable=progress is not ProgressMode.bar) as bar:
            task = bar.add_task("videos", total=None)

            def start(n: int) -> None:
                nonlocal total
                total = n
                bar.update(task, total=n)

            def done(item) -> None:
                nonlocal failed, finished
                failed += item.error is not None
                finished += 1
                if progress is ProgressMode.json:
                    print(json.dumps({"event": "video", "video": item.video, "done": finished, "total": total,
                                      "status": "skipped" if item.skipped else ("failed" if item.error else "ok"),
                                      "report": item.report, "html": item.html, "error": item.error,
                                      "seconds": round(item.seconds, 2)}), flush=True)
                    return
                status = "skipped (report exists)" if item.skipped else (item.error or f"-> {item.report}")
                bar.console.print(f"{item.video}: {status}", highlight=False, soft_wrap=True, markup=False)
                bar.advance(task)

            items = analyze_many(videos, cfg, out_dir=out_dir, jobs=jobs, resume=not no_resume, on_done=done,
                                 on_start=start, html=html)
    except RepvisionError as exc:
        _fail(exc)
        return
    rows = summary_rows(items)
    table = Table(title="Summary", title_justify="left")
    for col in ("video", "exercise", "reps", "form", "verdict", "top cue"):
        table.add_column(col, justify="right" if col in ("reps", "form") else "left", overflow="fold")
    names = [Path(r["video"]).name for r in rows]
    unique = len(set(names)) == len(names)   # file names alone when they tell the videos apart
    for r, name in zip(rows, names):
        video = escape(name if unique else r["video"])
        if r["status"] != "ok":   # the whole message was printed when the video failed
            table.add_row(video, "[red]failed[/]", "", "", "", escape(r["error"].split(":")[0]))
            continue
        c = summary_cells(r)
        table.add_row(video, escape(str(r["exercise"])), c["reps"], c["form"], c["verdict"], escape(c["cue"]))
    if progress is not ProgressMode.json:
        err_console.print(table)
    csv_path = summary if summary is not None else (None if out_dir is None else out_dir / "summary.csv")
    if csv_path is not None:
        write_summary_csv(rows, csv_path)
    index = None
    if html and csv_path is not None:
        index = write_summary_html(rows, csv_path.with_name("index.html"))
    print(json.dumps({"event": "done", "videos": len(items), "failed": failed,
                      "reports": [i.report for i in items if i.report], "errors": {i.video: i.error for i in items
                                                                                    if i.error},
                      "summary": None if csv_path is None else str(csv_path),
                      "index": None if index is None else str(index)}))
    if failed:
        raise typer.Exit(code=1)


def _next_to(video: Path, suffix: str) -> Path:
    target = video.with_name(video.stem + suffix)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a"):
            pass
        return target
    except OSError:  # read-only folder: write to the working directory instead
        return Path.cwd() / (video.stem + suffix)


@app.command()
def live(
    source: str = typer.Option("0", "--source", help="Camera index, stream URL, or a video file (played in real time)."),
    pose_model: str = typer.Option("lite", "--pose-model"),
    no_window: bool = typer.Option(False, "--no-window", help="Headless: print events as JSON lines."),
    voice: bool = typer.Option(False, "--voice", help="Speak rep counts and the exercise (needs pyttsx3)."),
    countdown: float = typer.Option(3.0, "--countdown", help="Seconds before counting starts."),
    max_size: Optional[int] = typer.Option(640, "--max-size", help="Downscale long side to PIXELS first."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the final JSON report here."),
    report_out: Optional[Path] = typer.Option(None, "--report", help="Write the HTML report here at the end "
                                              "(video-file sources only: a camera's frames are not recorded)."),
    follow_exerciser: bool = typer.Option(True, "--follow-exerciser/--no-follow-exerciser",
                                          help="Once several people are seen, follow the one exercising "
                                               "(each frame then takes about twice as long)."),
    classifier: ClassifierOption = None,
    form_rules: FormRulesOption = None,
) -> None:
    """Live analysis of a camera, with the skeleton, exercise and rep counter as they happen."""
    from repvision.live import run_live
    from repvision.report import print_summary, write_html, write_json

    if report_out is not None and not Path(source).is_file():
        _fail(ConfigError("--report with a video-file --source", f"--source {source!r} (a camera or stream)",
                          "Use --json for live cameras, or record the set and run `repvision analyze FILE "
                          "--report out.html`."))
        return

    console = Console()
    emit = (lambda e: print(json.dumps(e), flush=True)) if no_window else None
    try:
        result = run_live(source, pose_model=pose_model, window=not no_window, voice=voice, countdown_s=countdown,
                          max_size=max_size, emit=emit, follow_exerciser=follow_exerciser, classifier=classifier,
                          form_rules=form_rules)
    except RepvisionError as exc:
        _fail(exc)
        return
    if result.analysis is None and (json_out is not None or report_out is not None):
        # a report was asked for and none can be written: say why and end with an error code, not silently
        _fail(result.error if result.error is not None else NoPersonError(
            "frames with a person to analyse", "no frame was processed",
            "Check the camera or file and that a person is in view, then run `repvision live` again."))
        return
    if result.analysis is not None and json_out is not None:
        write_json(result.analysis, json_out)
    if result.analysis is not None and report_out is not None:
        try:
            write_html(result.analysis, source, report_out)
        except RepvisionError as exc:
            _fail(exc)
            return
    if not no_window:
        if result.analysis is not None:
            print_summary(result.analysis, console)
        elif result.error is not None:
            err_console.print(f"[yellow]no analysis:[/] {escape(str(result.error))}")


@app.command()
def web(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every network "
                                                          "interface, for other computers)."),
    port: int = typer.Option(8000, "--port"),
    work_dir: Optional[Path] = typer.Option(None, "--work-dir", help="Folder of the uploaded videos and their "
                                            "reports [default: the user cache folder, or $REPVISION_WEB_DIR]."),
    pose_model: Optional[str] = typer.Option(None, "--pose-model"),
    classifier: ClassifierOption = None,
    form_rules: FormRulesOption = None,
    config: Optional[Path] = typer.Option(None, "--config", help="TOML settings file (AnalyzeConfig keys)."),
) -> None:
    """A web page to analyse videos from the browser: upload, progress, then the HTML report (needs the 'web'
    extra)."""
    from repvision.web import serve

    try:
        cfg = _config(config, pose_model=pose_model, classifier=classifier, form_rules=form_rules)
        where = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        serve(host, port, work_dir, cfg, on_ready=lambda: err_console.print(
            f"repvision web: open http://{where}:{port}/ in a browser (Ctrl+C stops it)", highlight=False))
    except RepvisionError as exc:
        _fail(exc)


@bench_app.command("videos")
def bench_videos(
    manifest: Path = typer.Option(..., "--manifest", help="Manifest CSV (columns path, exercise, rep_count, ...)."),
    pose_model: str = typer.Option("lite", "--pose-model"),
    stride: int = typer.Option(1, "--stride"),
    max_size: Optional[int] = typer.Option(None, "--max-size"),
    pose_workers: Optional[int] = typer.Option(None, "--pose-workers", help="Threads estimating poses in parallel, "
                                               "each on a stretch of the video [default: one per core, at most 4]."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute poses (needed for a frame-rate figure)."),
    results: Optional[Path] = typer.Option(None, "--results", help="JSON-lines file of per-clip results (resume)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N clips."),
) -> None:
    """Run analyze over every clip of a manifest: top-1 accuracy, rep-count MAE/OBO, frames per second."""
    from repvision.bench.videos import run_videos_benchmark
    from repvision.config import AnalyzeConfig

    _print_figures(lambda: run_videos_benchmark(
        manifest, AnalyzeConfig(pose_model=pose_model, stride=stride, max_size=max_size, cache=not no_cache,
                                pose_workers=pose_workers),
        results=results, limit=limit, console=Console()))


@bench_app.command("reps")
def bench_reps(data: Path = typer.Option(..., "--data", help="Folder with poses.npz and annotations.csv "
                                                              "(RepCount-A layout)."),
               jobs: Optional[int] = typer.Option(None, "--jobs", min=1,
                                                  help="Worker processes for the cross-validation grid (default: "
                                                       "one per usable core, at most 4).")) -> None:
    """Repetition counting on RepCount-A-layout poses: per-video and per-exercise tables, MAE and OBO."""
    from repvision.bench.reps import run_reps_benchmark
    from repvision.pose import default_pose_workers

    _print_figures(lambda: run_reps_benchmark(data, console=Console(), jobs=jobs or default_pose_workers()))


@bench_app.command("segments")
def bench_segments(
    data: Path = typer.Option(..., "--data", help="Folder with the layout of shared/data (uses videos/manifest.csv)."),
    n_concat: int = typer.Option(100, "--n-concat", help="Number of concatenations of 2-4 clips."),
    seed: int = typer.Option(0, "--seed"),
    folds: int = typer.Option(0, "--folds", help="k >= 2: also retrain k classifiers without each fold's video "
                                                 "groups and score held-out concatenations (needs scikit-learn)."),
    unknown_threshold: Optional[float] = typer.Option(
        None, "--unknown-threshold", min=0.0, max=1.0,
        help="Unknown threshold of the segments (default: the shipped classifier's)."),
) -> None:
    """Exercise segmentation on clips of different exercises joined one after another: frame accuracy,
    segment-count error, boundary error (s), per exercise too."""
    needs = ("sklearn",) if folds >= 2 else ()   # held-out folds retrain classifiers (the 'train' extra)
    _print_figures(lambda: _from_train_extra("repvision.bench.segments", "run_segments_benchmark", needs)(
        data, n_concat=n_concat, seed=seed, folds=folds, threshold=unknown_threshold, console=Console()))


@bench_app.command("form")
def bench_form(data: Path = typer.Option(..., "--data", help="Folder with the layout of shared/data (uses "
                                                              "pose_trainer/, form_frames/, videos/manifest.csv)."),
               pose_model: str = typer.Option("lite", "--pose-model", help="lite | full | path.task: the pose "
                                              "model run on the videos/ clips.")) -> None:
    """Form feedback (rules and learned models): accuracy, F1 and confusion matrix per labelled dataset."""
    from repvision.bench.form import run_form_benchmark

    if not data.is_dir():
        _fail(ManifestError(f"a data folder with pose_trainer/, form_frames/ or videos/manifest.csv at {data}",
                            "no such folder", "Pass --data pointing at a folder with the layout of shared/data."))
        return
    _print_figures(lambda: run_form_benchmark(data, console=Console(), pose_model=pose_model))


@bench_app.command("speed")
def bench_speed(
    video: Path = typer.Argument(..., help="Video file to time."),
    pose_model: str = typer.Option("lite", "--pose-model"),
    stride: int = typer.Option(1, "--stride"),
    max_size: Optional[int] = typer.Option(None, "--max-size"),
    pose_workers: Optional[int] = typer.Option(None, "--pose-workers", help="Threads estimating poses in parallel, "
                                               "each on a stretch of the video [default: one per core, at most 4]."),
    repeats: int = typer.Option(3, "--repeats", help="Alternate the loops this many times; best run each."),
) -> None:
    """Frames per second of a bare MediaPipe loop and of analyze, on the same file in one run, and their ratio."""
    from repvision.bench.speed import run_speed_benchmark

    _print_figures(lambda: run_speed_benchmark(video, pose_model, stride, max_size, console=Console(),
                                               repeats=repeats, pose_workers=pose_workers))


@app.command()
def train(
    data: Path = typer.Option(..., "--data", help="Data folder with the layout of shared/data, or your own "
                              "videos: a root/<exercise>/*.mp4 folder or a manifest CSV."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the model [default classifier: "
                                       "exercise_classifier.npz; torch: MODEL_classifier.pt]; use the default "
                                       "classifier's file with `repvision analyze --classifier`."),
    model: Optional[str] = typer.Option(None, "--model", help="mlp | lstm | conv1d_lstm | stgcn | ensemble: train a PyTorch "
                                        "sequence model instead of the default classifier."),
    class_weight_power: Optional[float] = typer.Option(None, "--class-weight-power", min=0.0, help="Default "
                                                       "classifier: each clip weighs (clips of its class) ** -P; "
                                                       "0 = none, 1 = every class the same in total [default: the "
                                                       "shipped recipe's, 0]. PyTorch models always weigh classes "
                                                       "by inverse frequency."),
    no_rotations: bool = typer.Option(False, "--no-rotations", help="Default classifier: train without the "
                                      "copies of every clip rotated by -12 and +12 degrees (the shipped recipe "
                                      "has them; without, training takes about half the time)."),
) -> None:
    """Train the default exercise classifier, or a PyTorch sequence model with --model (needs the 'train' extra)."""
    if model is not None and model != "default":
        _print_figures(lambda: _from_train_extra("repvision.evaluation", "train_model", _train_needs(model))(
            model, data, out or Path(f"{model}_classifier.pt"), console=err_console))
        return
    _print_figures(lambda: _from_train_extra("repvision.training", "train_default_classifier")(
        data, out or Path("exercise_classifier.npz"), console=Console(),
        **({} if class_weight_power is None else {"class_weight_power": class_weight_power}),
        **({"rotations": ()} if no_rotations else {})))


@app.command()
def evaluate(
    model: str = typer.Option("stgcn", "--model", help="default | mlp | lstm | conv1d_lstm | stgcn | ensemble "
                                "(ST-GCN + Conv1D-LSTM, mirror test-time augmentation)"),
    data: Path = typer.Option(..., "--data", help="Data folder with the layout of shared/data; with --dataset "
                              "videos also your own root/<exercise>/*.mp4 folder or manifest CSV."),
    dataset: str = typer.Option("penn_action", "--dataset", help="penn_action (official split, 15 classes) | "
                                "penn_action_8 (official split, the 8 exercise classes only) | videos | "
                                "repcount_a | pose_trainer (grouped k-fold CV)"),
    folds: int = typer.Option(5, "--folds", help="Folds of the grouped cross-validation (not Penn Action)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for metrics.json, confusion.csv/png, "
                                       "training_curves.png."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Maximum epochs of a torch model."),
) -> None:
    """Evaluate an exercise classifier honestly: top-1, balanced accuracy, macro-F1, confusion matrix."""
    needs = _train_needs(model) + (("matplotlib",) if out is not None else ())
    _print_figures(lambda: _from_train_extra("repvision.evaluation", "evaluate", needs)(
        model, data, dataset, folds=folds, out=out, console=err_console, epochs=epochs))


@bench_app.command("classify")
def bench_classify(
    data: Path = typer.Option(..., "--data", help="Data folder with the layout of shared/data."),
    models: str = typer.Option("default,mlp,lstm,conv1d_lstm,stgcn,ensemble", "--models", help="Comma-separated models."),
    datasets: Optional[str] = typer.Option(None, "--datasets", help="Comma-separated datasets [every one present]."),
    folds: int = typer.Option(5, "--folds"),
    out: Optional[Path] = typer.Option(None, "--out", help="Folder for per-run metrics and plots."),
) -> None:
    """Every classifier on every dataset present: results table, last line one JSON object."""
    needs = _train_needs(models) + (("matplotlib",) if out is not None else ())
    _print_figures(lambda: _from_train_extra("repvision.evaluation", "bench_classify", needs)(
        data, tuple(m.strip() for m in models.split(",") if m.strip()),
        [d.strip() for d in datasets.split(",")] if datasets else None, folds=folds, out=out, console=Console()))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
