"""Video datasets: a manifest CSV of labelled videos, or a ``root/<exercise>/*.mp4`` folder tree.

Poses are extracted once per video with :func:`repvision.pose.estimate_video` (MediaPipe BlazePose, cached on
disk keyed by the file's SHA-256), so a second load is fast.

* Manifest (the exercise data's ``videos/manifest.csv``): columns ``path, exercise, rep_count, form_label,
  group_id, variant, ...``; ``path`` relative to the manifest's folder (or, failing that, to one of its two
  parent folders: the exercise data's manifest names paths relative to ``data/``); rows whose ``variant`` is not
  ``main`` (e.g. ``full_res_copy``) are skipped.
* Folder tree (the Kaggle "Workout/Fitness Video" layout): ``root/<exercise>/<clip>.mp4``; the folder name is
  the label (lower-cased, spaces and hyphens to ``_``), each clip is its own group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from repvision.datasets.base import Sample, read_table
from repvision.errors import ManifestError, VideoError
from repvision.video import VIDEO_EXTENSIONS

#: Columns a video manifest must have.
REQUIRED_COLUMNS: tuple[str, ...] = ("path", "exercise")

ProgressCallback = Callable[[int, int, str], None]


def normalize_label(name: str) -> str:
    """Folder name -> label: lower case, spaces and hyphens to underscores (``"Push-Up"`` -> ``"push_up"``)."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_manifest(manifest: str | Path) -> list[dict[str, str]]:
    """Rows of a video manifest whose ``variant`` is ``main`` (or that have no ``variant`` column).

    Raises
    ------
    ManifestError
        The file is missing or lacks the ``path`` / ``exercise`` columns.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise ManifestError(
            expected=f"a video manifest CSV at {manifest}", found="no such file",
            fix="Pass the videos/manifest.csv of the exercise data, or a folder laid out as root/<exercise>/*.mp4.",
        )
    rows = read_table(manifest, REQUIRED_COLUMNS,
                      expected=f"manifest columns {', '.join(REQUIRED_COLUMNS)} (plus optional rep_count, "
                               "form_label, group_id, variant)",
                      fix="Add the missing columns to the manifest.")
    return [r for r in rows if (r.get("variant") or "main").strip() == "main"]


def resolve_manifest_path(base: Path, rel: str) -> Path:
    """``rel`` relative to the manifest's folder; if no file is there, relative to its parent folders (the
    exercise data's ``videos/manifest.csv`` names paths relative to the ``data/`` folder above it)."""
    p = Path(rel)
    if p.is_absolute():
        return p
    for b in (base, *base.parents[:2]):
        if (b / p).is_file():
            return (b / p).resolve()
    return (base / p).resolve()


class NoVideosError(ManifestError):
    """A manifest or folder that exists but lists no labelled video (:func:`list_videos`)."""


def list_videos(source: str | Path) -> list[dict[str, str]]:
    """The videos of a manifest CSV or a ``root/<exercise>/*.mp4`` folder, as manifest-like rows with an
    absolute ``path`` (no pose extraction).

    Raises
    ------
    ManifestError
        A listed video file is missing; :class:`NoVideosError` (a subclass): nothing usable found.
    """
    src = Path(source)
    rows: list[dict[str, str]] = []
    if src.is_dir() and (src / "manifest.csv").is_file():
        src = src / "manifest.csv"
    if src.is_file():
        for r in read_manifest(src):
            r = dict(r)
            rel = r["path"].strip()
            r["path"] = str(resolve_manifest_path(src.parent, rel))
            r["name"] = (r.get("name") or "").strip() or rel
            rows.append(r)
    elif src.is_dir():
        for sub in sorted(p for p in src.iterdir() if p.is_dir()):
            for v in sorted(p for p in sub.iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS):
                rows.append({"path": str(v.resolve()), "exercise": normalize_label(sub.name),
                             "name": f"{sub.name}/{v.name}", "group_id": f"{sub.name}/{v.stem}"})
    else:
        raise ManifestError(
            expected="a video manifest CSV or a folder laid out as root/<exercise>/*.mp4",
            found=f"{src} does not exist", fix="Check the path.",
        )
    if not rows:
        raise NoVideosError(
            expected=f"labelled videos in {src}", found="no main rows / no <exercise>/ sub-folders with videos",
            fix="Use a manifest with variant=main rows, or put clips under root/<exercise>/.",
        )
    absent = [r["path"] for r in rows if not Path(r["path"]).is_file()]
    if absent:
        raise ManifestError(
            expected="every listed video file to exist", found=f"{len(absent)} missing, e.g. {absent[0]}",
            fix="Fix the manifest paths (relative to the manifest's folder) or restore the files.",
        )
    return rows


def load_videos(source: str | Path, model: str = "lite", progress: ProgressCallback | None = None,
                skipped: list[tuple[str, str]] | None = None) -> list[Sample]:
    """Load labelled videos and their poses.

    Parameters
    ----------
    source:
        A manifest CSV (or a folder containing ``manifest.csv``), or a ``root/<exercise>/*.mp4`` folder.
    model:
        Pose model passed to :func:`repvision.pose.estimate_video`.
    progress:
        Called as ``progress(i, n, path)`` before each video.
    skipped:
        When a list, a video that cannot be read (any :class:`repvision.errors.VideoError`: missing, not a
        video, unsupported codec, no decodable frame) is left out and ``(path, message)`` is appended to it, so
        one broken file among many does not stop a training run; None: such a video raises.

    Returns
    -------
    list of :class:`Sample`: ``pose`` ``(T, 33, 4)`` BlazePose in ``"image"`` coordinates with true frame
    timestamps (s); ``label`` the ``exercise`` column (or folder name); ``group_id`` from the manifest (the
    clip itself if absent); ``meta`` holds the other manifest columns (``rep_count`` as int or None,
    ``form_label``, ``source``, ...) and ``video`` (:class:`repvision.types.VideoInfo`).

    Raises
    ------
    ManifestError
        See :func:`list_videos`; plus the video errors of :func:`repvision.pose.estimate_video`.
    """
    from repvision.pose import estimate_video

    rows = list_videos(source)
    out: list[Sample] = []
    for i, r in enumerate(rows):
        if progress is not None:
            progress(i, len(rows), r["path"])
        try:
            info, pose, _ = estimate_video(r["path"], model)
        except VideoError as exc:
            if skipped is None:
                raise
            skipped.append((r["path"], str(exc)))
            continue
        meta = {k: v for k, v in r.items() if k not in ("path", "exercise", "group_id", "name")}
        rc = (r.get("rep_count") or "").strip()
        meta["rep_count"] = int(float(rc)) if rc else None
        meta["path"] = r["path"]
        meta["video"] = info
        out.append(Sample(name=r["name"], label=r["exercise"].strip(),
                          group_id=(r.get("group_id") or "").strip() or r["name"], pose=pose, meta=meta))
    return out
