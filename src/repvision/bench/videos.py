"""``repvision bench videos``: end-to-end ``analyze`` over every clip of a manifest.

Manifest layout (as ``shared/data/videos/manifest.csv``): CSV with at least ``path`` (relative to the manifest's
folder, or failing that to one of its two parent folders, as in ``shared/data``) and ``exercise``; optional ``rep_count`` (empty = unknown) and ``variant`` (rows other than ``main`` are
skipped). Metrics: top-1 exercise accuracy; rep-count MAE = mean over clips with a count of |pred - true| / true
and OBO = share of those clips with |pred - true| <= 1 (definitions of TransRAC, Hu et al., CVPR 2022);
processed frames per second over clips whose poses were not taken from the cache.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from repvision.config import AnalyzeConfig
from repvision.errors import ManifestError, RepvisionError
from repvision.datasets.videos import resolve_manifest_path


def read_manifest(manifest: str | Path) -> list[dict[str, str]]:
    """Rows of a video manifest (``variant == main`` or no variant column), paths made absolute.

    Raises
    ------
    ManifestError
        Missing file or missing ``path``/``exercise`` columns.
    """
    m = Path(manifest)
    if not m.is_file():
        raise ManifestError("a manifest CSV file", f"no file at '{m}'", "Pass --manifest path/to/manifest.csv.")
    with m.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        missing = [c for c in ("path", "exercise") if c not in cols]
        if missing:
            raise ManifestError("columns path, exercise (optional rep_count, variant)",
                                f"columns {cols} in '{m}' (missing {missing})", "Add the missing columns.")
        rows = []
        for row in reader:
            if row.get("variant", "main") not in ("", "main"):
                continue
            row = dict(row)
            row["abs_path"] = str(resolve_manifest_path(m.parent, row["path"]))
            rows.append(row)
    return rows


def _count_metrics(pairs: list[tuple[int, int]]) -> tuple[float | None, float | None]:
    if not pairs:
        return None, None
    mae = sum(abs(p - t) / t for p, t in pairs) / len(pairs)
    obo = sum(abs(p - t) <= 1 for p, t in pairs) / len(pairs)
    return mae, obo


def run_videos_benchmark(manifest: str | Path, config: AnalyzeConfig | None = None, *, results: str | Path | None = None,
                         limit: int | None = None, console=None, progress: bool = True) -> dict[str, Any]:
    """Analyse every clip of a manifest and score it.

    Parameters
    ----------
    manifest:
        Manifest CSV (see module docstring).
    config:
        Analysis settings (defaults if None).
    results:
        JSON-lines file of per-clip results. Clips already in it are not analysed again (resume after an
        interruption); each finished clip is appended at once, so nothing is lost.
    limit:
        Analyse only the first ``limit`` clips.

    Returns
    -------
    Figures: ``n_clips, n_failed, top1_accuracy, n_with_count, count_mae, count_obo, fps, frames_timed``.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress
    from rich.table import Table

    from repvision.pipeline import analyze

    console = console or Console()
    cfg = config or AnalyzeConfig()
    rows = read_manifest(manifest)[:limit] if limit else read_manifest(manifest)
    done: dict[str, dict] = {}
    res_path = Path(results) if results else None
    if res_path and res_path.is_file():
        for line in res_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                if r.get("pose_model") == cfg.pose_model and r.get("stride") == cfg.stride and \
                        r.get("max_size") == cfg.max_size:
                    done[r["path"]] = r
    out: list[dict] = []
    with Progress(console=console, disable=not progress, transient=True) as bar:
        task = bar.add_task("analysing clips", total=len(rows))
        for row in rows:
            if row["path"] in done:
                out.append(done[row["path"]])
                bar.advance(task)
                continue
            rec: dict[str, Any] = {"path": row["path"], "exercise": row["exercise"],
                                   "rep_count": int(row["rep_count"]) if row.get("rep_count") else None,
                                   "pose_model": cfg.pose_model, "stride": cfg.stride, "max_size": cfg.max_size}
            t0 = time.perf_counter()
            try:
                a = analyze(row["abs_path"], cfg)
                rec.update(pred_exercise=a.exercise.label, confidence=a.exercise.confidence,
                           pred_count=a.repetitions.count, frames=a.frames_analysed,
                           cached=bool(a.timings_s.get("pose_cached")), error=None)
            except RepvisionError as exc:
                rec.update(pred_exercise=None, confidence=None, pred_count=None, frames=0, cached=False,
                           error=f"{type(exc).__name__}: {exc}")
            rec["seconds"] = time.perf_counter() - t0
            out.append(rec)
            if res_path:
                res_path.parent.mkdir(parents=True, exist_ok=True)
                with res_path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")
            bar.advance(task)

    table = Table(title="Per clip", title_justify="left")
    for c in ("clip", "exercise", "predicted", "conf", "reps true", "reps pred", "frames", "s"):
        table.add_column(c)
    for r in out:
        # manifest paths and error messages are data, not rich markup
        table.add_row(escape(r["path"]), escape(r["exercise"]),
                      str(r["pred_exercise"]) if not r["error"] else f"[red]{escape(r['error'][:60])}",
                      "" if r["confidence"] is None else f"{r['confidence']:.2f}",
                      "" if r["rep_count"] is None else str(r["rep_count"]),
                      "" if r["pred_count"] is None else str(r["pred_count"]), str(r["frames"]), f"{r['seconds']:.1f}")
    console.print(table)

    n = len(out)
    correct = sum(r["pred_exercise"] == r["exercise"] for r in out)
    pairs = [(r["pred_count"] if r["pred_count"] is not None else 0, r["rep_count"]) for r in out if r["rep_count"]]
    mae, obo = _count_metrics(pairs)
    timed = [r for r in out if not r["cached"] and r["frames"]]
    frames_timed = sum(r["frames"] for r in timed)
    secs = sum(r["seconds"] for r in timed)
    per_ex: dict[str, list[int]] = {}
    for r in out:
        per_ex.setdefault(r["exercise"], [0, 0])
        per_ex[r["exercise"]][0] += 1
        per_ex[r["exercise"]][1] += r["pred_exercise"] == r["exercise"]
    t2 = Table(title="Per exercise", title_justify="left")
    for c in ("exercise", "clips", "top-1"):
        t2.add_column(c)
    for ex, (k, c) in sorted(per_ex.items()):
        t2.add_row(escape(ex), str(k), f"{c / k:.1%}")
    console.print(t2)
    figures = {
        "n_clips": n, "n_failed": sum(1 for r in out if r["error"]),
        "top1_accuracy": round(correct / n, 4) if n else None,
        "n_with_count": len(pairs), "count_mae": None if mae is None else round(mae, 4),
        "count_obo": None if obo is None else round(obo, 4),
        "fps": round(frames_timed / secs, 2) if secs > 0 else None, "frames_timed": frames_timed,
        "pose_model": cfg.pose_model, "stride": cfg.stride, "max_size": cfg.max_size,
    }
    return figures
