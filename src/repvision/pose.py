"""Pose estimation with MediaPipe Pose Landmarker (Tasks API, VIDEO mode) and an on-disk pose cache.

Model: BlazePose GHUM (Bazarevsky et al., "BlazePose: On-device Real-time Body Pose tracking", 2020),
shipped as the ``lite`` and ``full`` MediaPipe ``.task`` bundles inside this package (Apache-2.0, see
``models/LICENSE-mediapipe-models.txt``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np

from repvision.config import user_folder
from repvision.errors import ConfigError, PoseModelError
from repvision.skeleton import BLAZEPOSE_33
from repvision.tracking import TRACKING_VERSION, Followed, choose_followed, track_people
from repvision.types import PoseSequence, VideoInfo
from repvision.video import VideoReader, prefetch, short_read, shrink

#: Pose models shipped in the package: name -> file in ``repvision/models``.
POSE_MODELS = {"lite": "pose_landmarker_lite.task", "full": "pose_landmarker_full.task"}

#: Bumped when the cached pose format or the extraction settings change, to invalidate old caches.
CACHE_VERSION = 1


def model_path(model: str) -> Path:
    """Path of a shipped pose model (``"lite"``/``"full"``) or of a user ``.task`` file.

    Raises
    ------
    ConfigError
        Unknown model name.
    PoseModelError
        The model file is missing.
    """
    if model in POSE_MODELS:
        path = Path(str(resources.files("repvision") / "models" / POSE_MODELS[model]))
    elif model.endswith(".task"):
        path = Path(model)
    else:
        raise ConfigError(
            f"a pose model name {sorted(POSE_MODELS)} or a path to a MediaPipe .task file",
            f"'{model}'", "Use --pose-model lite (fastest) or --pose-model full (more accurate).",
        )
    if not path.is_file():
        raise PoseModelError(
            f"the pose model file {path}", "no such file",
            "Reinstall repvision (the models ship inside the package) or pass an existing .task file.",
        )
    return path


@dataclass(frozen=True, eq=False)
class FramePose:
    """Pose of one frame: ``landmarks`` ``(33, 4)`` (x, y normalised image coords, z, visibility) and
    ``world`` ``(33, 3)`` metres, or both None when no person was found (an empty result, not an error)."""

    landmarks: np.ndarray | None = None
    world: np.ndarray | None = None

    @property
    def found(self) -> bool:
        return self.landmarks is not None


class PoseEstimator:
    """MediaPipe Pose Landmarker in VIDEO mode, one frame at a time.

    Use as a context manager::

        with PoseEstimator("lite") as estimator:
            pose = estimator.process(image_rgb, timestamp_s)   # FramePose; pose.found is False if nobody

    Parameters
    ----------
    model:
        ``"lite"``, ``"full"`` or a path to a ``.task`` file.
    min_detection_confidence, min_presence_confidence, min_tracking_confidence:
        MediaPipe's thresholds (0..1), defaults as MediaPipe's (0.5).
    num_poses:
        Most people found per frame (MediaPipe's ``num_poses``). With more than one, MediaPipe runs its person
        detector on every frame that shows fewer, about halving the speed; :meth:`process_all` returns them
        all (see :mod:`repvision.tracking` to follow one person), :meth:`process` the first.

    Raises
    ------
    ConfigError, PoseModelError
        Bad model name or missing file.
    """

    def __init__(self, model: str = "lite", *, min_detection_confidence: float = 0.5,
                 min_presence_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 num_poses: int = 1) -> None:
        if not isinstance(num_poses, int) or num_poses < 1:
            raise ConfigError("num_poses: an integer >= 1", f"num_poses={num_poses!r}",
                              "Use num_poses=1 to follow one person.")
        self.model = model
        self.num_poses = num_poses
        self._path = model_path(model)
        self._options = dict(
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._landmarker = None
        self._last_ms = -1

    def __enter__(self) -> "PoseEstimator":
        self._landmarker = _create_landmarker(self._path, "VIDEO", self.num_poses, **self._options)
        self._last_ms = -1
        self._first = True
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._landmarker is not None:
            with _quiet_native_logs():   # native shutdown chatter ("DestroyAccelerator ...")
                self._landmarker.close()
            self._landmarker = None

    def process(self, image: np.ndarray, timestamp_s: float) -> FramePose:
        """Estimate the pose in one frame: the first person MediaPipe returns (an empty :class:`FramePose`
        when nobody is found).

        Parameters
        ----------
        image:
            ``(H, W, 3)`` uint8 RGB.
        timestamp_s:
            Presentation time in seconds; must increase from call to call (equal or earlier times are
            nudged forward by 1 ms, as MediaPipe's VIDEO mode requires strictly increasing timestamps).
        """
        people = self.process_all(image, timestamp_s)
        return people[0] if people else FramePose()

    def process_all(self, image: np.ndarray, timestamp_s: float) -> list[FramePose]:
        """Every person found in one frame (at most ``num_poses``; an empty list when nobody), in MediaPipe's
        order, which is not stable from frame to frame. Arguments as :meth:`process`."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator.process called outside its 'with' block")
        ms = int(round(timestamp_s * 1000.0))
        if ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        img = _mp_image(image)
        if self._first:
            # MediaPipe's C++ code logs set-up warnings on the first frame; they mean nothing to a user.
            with _quiet_native_logs():
                result = self._landmarker.detect_for_video(img, ms)
            self._first = False
        else:
            result = self._landmarker.detect_for_video(img, ms)
        out = []
        for i, lms in enumerate(result.pose_landmarks):
            landmarks = np.array([(p.x, p.y, p.z, p.visibility if p.visibility is not None else 1.0) for p in lms],
                                 dtype=np.float32)
            world = None
            if i < len(result.pose_world_landmarks):
                world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[i]], dtype=np.float32)
            out.append(FramePose(landmarks, world))
        return out


class PeopleCounter:
    """How many people a frame shows: MediaPipe Pose Landmarker in IMAGE mode with up to ``max_people``
    poses (its person detector runs on every call). Used on a few sampled frames to warn that several people
    are in view, since the VIDEO-mode :class:`PoseEstimator` follows one person and may switch between people.

    Use as a context manager; :meth:`count` takes an ``(H, W, 3)`` uint8 RGB image and returns an int.
    Raises :class:`repvision.errors.PoseModelError` (bad model) on entering.
    """

    def __init__(self, model: str = "lite", *, max_people: int = 4, min_detection_confidence: float = 0.5) -> None:
        self.model = model
        self.max_people = int(max_people)
        self._path = model_path(model)
        self._conf = float(min_detection_confidence)
        self._landmarker = None

    def __enter__(self) -> "PeopleCounter":
        self._landmarker = _create_landmarker(self._path, "IMAGE", self.max_people,
                                              min_pose_detection_confidence=self._conf)
        return self

    def __exit__(self, *exc) -> None:
        if self._landmarker is not None:
            with _quiet_native_logs():
                self._landmarker.close()
            self._landmarker = None

    def count(self, image: np.ndarray) -> int:
        """Number of people found in ``image`` (0..``max_people``); images with a long side above 640 pixels
        are shrunk first (the person detector looks at 224x224 pixels anyway)."""
        if self._landmarker is None:
            raise RuntimeError("PeopleCounter.count called outside its 'with' block")
        return len(self._landmarker.detect(_mp_image(shrink(image, 640))).pose_landmarks)


class PeopleWatch:
    """Searches one frame every ``every_s`` seconds of video for several people (:class:`PeopleCounter`) on a
    worker thread beside pose estimation (MediaPipe releases the GIL), with one search in flight at a time.

    ``wait=True`` (files): a frame that is due waits for the previous search, so every due frame is searched.
    ``wait=False`` (live): a due frame is skipped while a search is still running and the next frame is tried,
    so the caller never waits. Use as a context manager (on exit the running search ends before the landmarker
    closes); ``people`` holds ``[(time_s, number of people), ...]`` of the finished searches, in order.
    """

    def __init__(self, model: str = "lite", every_s: float = 2.0, *, wait: bool = True) -> None:
        self.model = model
        self.every_s = float(every_s)
        self.wait = wait
        self.people: list[tuple[float, int]] = []
        self._next = -np.inf
        self._pending: tuple[float, Future] | None = None

    def __enter__(self) -> "PeopleWatch":
        self._counter = PeopleCounter(self.model).__enter__()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="repvision-people")
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True)
        self._counter.__exit__(*exc)

    def offer(self, image: np.ndarray, timestamp_s: float) -> list[tuple[float, int]]:
        """Hand over a frame (``(H, W, 3)`` uint8 RGB at ``timestamp_s`` seconds); it is searched when due.
        Returns the searches finished since the last call, ``[(time_s, number of people), ...]``."""
        new = self._collect(block=False)
        if timestamp_s >= self._next:
            if self._pending is not None and self.wait:
                new += self._collect(block=True)
            if self._pending is None:
                self._pending = (round(timestamp_s, 3), self._pool.submit(self._counter.count, image))
                self._next = timestamp_s + self.every_s
        return new

    def finish(self) -> list[tuple[float, int]]:
        """Wait for the running search; the searches finished since the last call."""
        return self._collect(block=True)

    def _collect(self, block: bool) -> list[tuple[float, int]]:
        if self._pending is None or not (block or self._pending[1].done()):
            return []
        at, fut = self._pending
        self._pending = None
        self.people.append((at, int(fut.result())))
        return [self.people[-1]]


def _create_landmarker(path: Path, mode: str, num_poses: int, **options):
    """A MediaPipe ``PoseLandmarker`` for the ``.task`` file ``path`` in running mode ``mode`` (``"VIDEO"`` or
    ``"IMAGE"``); ``options`` are further ``PoseLandmarkerOptions`` (confidence thresholds). Start-up chatter
    of the native code is silenced. Raises :class:`PoseModelError` when the bundle cannot be loaded."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(path)),
                                        running_mode=getattr(vision.RunningMode, mode), num_poses=num_poses,
                                        **options)
    try:
        with _quiet_native_logs():
            return vision.PoseLandmarker.create_from_options(opts)
    except Exception as exc:  # mediapipe raises RuntimeError/ValueError with C++ messages
        raise PoseModelError(
            "a loadable MediaPipe pose landmarker .task bundle", f"{path} ({exc})",
            "Use one of the shipped models (--pose-model lite|full).",
        ) from None


def _mp_image(image: np.ndarray):
    """``(H, W, 3)`` RGB array as a MediaPipe ``mp.Image`` (uint8, C-contiguous, as MediaPipe needs)."""
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image, dtype=np.uint8))


_QUIET_LOCK = threading.Lock()
_quiet_users = 0            # threads inside _quiet_native_logs
_quiet_saved: int | None = None   # duplicate of the real stderr while any thread is inside


@contextlib.contextmanager
def _quiet_native_logs():
    """Silence native (C++) writes to stderr for the duration (MediaPipe/TFLite start-up chatter).

    File descriptor 2 belongs to the whole process, and landmarkers are created on several threads at once
    (pose stretches, the several-people search): the first thread in redirects it to ``/dev/null`` and the
    last one out restores it, so overlapping uses can never leave stderr silenced for good.
    Set ``REPVISION_NATIVE_LOGS=1`` to keep the logs for debugging."""
    global _quiet_users, _quiet_saved
    if os.environ.get("REPVISION_NATIVE_LOGS") == "1":
        yield
        return
    with _QUIET_LOCK:
        if _quiet_users == 0:
            try:
                sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):
                saved = None
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
            _quiet_saved = saved
        _quiet_users += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet_users -= 1
            if _quiet_users == 0 and _quiet_saved is not None:
                os.dup2(_quiet_saved, 2)
                os.close(_quiet_saved)
                _quiet_saved = None


def cache_dir() -> Path:
    """Folder of the pose cache: ``$REPVISION_CACHE_DIR`` or ``poses`` in the user cache folder
    (:func:`repvision.config.user_folder`)."""
    return user_folder("poses", "REPVISION_CACHE_DIR")


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file's content, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


ProgressCallback = Callable[[int, int], None]


#: Shortest stretch of video (seconds) given to a pose worker of its own; shorter clips use fewer workers.
MIN_STRETCH_S = 3.0
#: Most pose workers chosen automatically (each holds a landmarker, about 60 MB).
MAX_AUTO_WORKERS = 4


def default_pose_workers() -> int:
    """Pose workers used when none are asked for: one per CPU core this process may use, at most
    :data:`MAX_AUTO_WORKERS`. MediaPipe's graph runs a frame mostly on one core and releases the GIL, so
    stretches of one video estimated on parallel threads use the other cores (on this project's 2-core
    machine the lite model alone on 720p frames: 42.7 frames/s on one thread, 86.8 on two;
    ``benchmarks/pose_threads.py``, ``benchmarks/results/pose_threads_720p.json``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_WORKERS))


def stretches(duration_s: float, workers: int, min_stretch_s: float = MIN_STRETCH_S) -> list[tuple[float, float | None]]:
    """Split ``[0, duration_s)`` seconds into at most ``workers`` equal stretches of at least ``min_stretch_s``
    seconds, as ``[(start_s, end_s), ...]`` with the last ``end_s`` None (to the end of the video, whatever the
    container announced). One stretch ``[(0.0, None)]`` when the duration is unknown or short."""
    n = max(1, int(workers))
    if duration_s > 0:
        n = min(n, int(duration_s // max(min_stretch_s, 1e-9)))
    else:
        n = 1
    if n <= 1:
        return [(0.0, None)]
    cuts = [duration_s * i / n for i in range(n + 1)]
    return [(cuts[i], cuts[i + 1] if i + 1 < n else None) for i in range(n)]


def _stretch_readers(first: VideoReader, spans: list[tuple[float, float | None]]) -> list[VideoReader]:
    """One reader per stretch of :func:`stretches`: ``first`` (opened, not yet iterated) limited to the first
    stretch, new readers with its settings for the others."""
    first.end_s = spans[0][1]
    return [first] + [VideoReader(first.path, max_size=first.max_size, stride=first.stride, start_s=a, end_s=b)
                      for a, b in spans[1:]]


class _FrameCounter:
    """Frames estimated so far by several threads, reported as ``progress(done, expected)`` (``expected``: the
    video's frame count at ``stride``, or ``done`` when unknown or passed)."""

    def __init__(self, progress: ProgressCallback | None, info: VideoInfo, stride: int, done: int = 0) -> None:
        self.progress = progress
        self.expected = (info.n_frames + stride - 1) // stride if info.n_frames else 0
        self.done = done
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            now = self.done
        if self.progress is not None:
            self.progress(now, max(self.expected, now))


class _Stopped(Exception):
    """Another pose worker failed or the caller was interrupted: this one stops (after saving its part)."""


@dataclass
class _Stretch:
    """The poses of one stretch of a video, as estimated so far (resumable from ``partial``)."""

    start_s: float
    end_s: float | None
    partial: Path | None
    kps: list = field(default_factory=list)      # (33, 4) arrays
    world: list = field(default_factory=list)    # (33, 3) arrays
    times: list = field(default_factory=list)    # seconds
    done: int = 0                                # frames taken from the partial file
    people: list = field(default_factory=list)   # (time_s, number of people)
    decode_error: str | None = None
    frames_decoded: int = 0

    def __post_init__(self) -> None:
        if self.partial is not None and self.partial.is_file():
            try:
                prev = PoseSequence.load(str(self.partial))
                self.kps = list(prev.keypoints)
                self.world = (list(prev.world) if prev.world is not None
                              else [np.full((33, 3), np.nan, np.float32)] * len(prev))
                self.times = list(prev.timestamps)
                self.done = len(self.kps)
            except Exception:  # unreadable partial file: start the stretch again
                self.partial.unlink(missing_ok=True)

    def save_partial(self, out_size: tuple[int, int], source: str) -> None:
        if self.partial is not None and self.kps:
            self.partial.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.partial.with_suffix(".tmp.npz")
            PoseSequence(np.stack(self.kps), np.array(self.times), BLAZEPOSE_33, "image", np.stack(self.world),
                         out_size, source).save(str(tmp))
            os.replace(tmp, self.partial)


def _estimate_stretch(st: _Stretch, reader: VideoReader, *, model: str, check_step: float | None,
                      tick: Callable[[], None], stop, checkpoint_every: int, cache: bool) -> None:
    """Estimate the poses of one stretch, read by ``reader`` (not yet iterated), into ``st`` (frames already in
    its partial file are skipped). ``check_step``: seconds between the frames searched for several people
    (None: no search). ``tick()`` is called once per frame estimated; ``stop`` (a threading.Event) ends the
    work early with :class:`_Stopped`. On any exception the stretch saves what it has (when ``cache``) and
    re-raises."""
    nan_k = np.full((33, 4), np.nan, np.float32)
    nan_w = np.full((33, 3), np.nan, np.float32)
    out_size, path = reader.output_size, reader.path
    k = 0
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(reader)
            estimator = stack.enter_context(PoseEstimator(model))
            watch = stack.enter_context(PeopleWatch(model, check_step)) if check_step else None
            for frame in prefetch(iter(reader)):
                if stop.is_set():
                    raise _Stopped()
                if watch is not None:
                    watch.offer(frame.image, frame.timestamp_s)
                if k < st.done:  # resumed: already estimated
                    k += 1
                    continue
                fp = estimator.process(frame.image, frame.timestamp_s)
                st.kps.append(fp.landmarks if fp.found else nan_k)
                st.world.append(fp.world if fp.world is not None else nan_w)
                st.times.append(frame.timestamp_s)
                k += 1
                tick()
                if checkpoint_every and cache and k % checkpoint_every == 0:
                    st.save_partial(out_size, str(path))
            if watch is not None:
                watch.finish()
                st.people = watch.people
    except BaseException:
        if cache:
            st.save_partial(out_size, str(path))
        raise
    st.decode_error = reader.decode_error
    st.frames_decoded = reader.frames_decoded


def estimate_video(path: str | os.PathLike, model: str = "lite", *, max_size: int | None = None,
                   stride: int = 1, cache: bool = True, progress: ProgressCallback | None = None,
                   checkpoint_every: int = 600, people_every_s: float | None = 2.0, workers: int | None = None,
                   follow_exerciser: bool = True, follow_progress: ProgressCallback | None = None
                   ) -> tuple[VideoInfo, PoseSequence, dict]:
    """Estimate the pose in every frame of a video.

    Parameters
    ----------
    path:
        Video file.
    model:
        Pose model (``"lite"``, ``"full"`` or a ``.task`` path).
    max_size:
        Downscale frames so the long side is at most this many pixels before pose estimation (None: no).
    stride:
        Analyse every ``stride``-th frame (1 = all).
    cache:
        Read/write the pose cache (keyed by the file's SHA-256, the model, these settings and the number of
        stretches the video is split into for ``workers``), so a second run on the same file skips pose
        estimation. A run that is interrupted leaves partial files and the
        next run (with the same number of workers) resumes from them.
    progress:
        Called as ``progress(frames_done, frames_expected)``.
    people_every_s:
        One frame every this many seconds of video (more often in clips shorter than 16 s: about 8 frames per
        clip, at most 4 per second) is also searched for several people with :class:`PeopleCounter` (None:
        never). The counts are cached beside the poses.
    workers:
        Threads estimating the pose in parallel, each on its own stretch of the video with its own decoder and
        landmarker (stretches of at least :data:`MIN_STRETCH_S` seconds, so short clips use fewer); None:
        :func:`default_pose_workers`. Each stretch starts with a fresh landmarker, so the first frame of a
        stretch is found by the person detector instead of by tracking; elsewhere the poses are those of one
        sequential pass.
    follow_exerciser:
        When the people search finds several people in view (:func:`several_people`), estimate the poses
        again in one pass with up to that many people per frame, tell them apart
        (:class:`repvision.tracking.PersonTracker`) and keep the person exercising
        (:func:`repvision.tracking.exerciser`) instead of whoever MediaPipe's one-person tracking followed
        (often a coach beside the lifter). This second pass runs on the same parallel stretches, each at about
        half the speed of a one-person pass (``benchmarks/pose_num_poses.py``); its result is cached too.
        Needs ``people_every_s``.
    follow_progress:
        Called as ``follow_progress(frames_done, frames_expected)`` during that second pass (None: ``progress``
        is called, counting from 0 again).

    Returns
    -------
    ``(info, pose, stats)``: video metadata; :class:`PoseSequence` with ``keypoints`` ``(T, 33, 4)``
    (x, y normalised image coords, z, visibility; NaN where no person), ``world`` ``(T, 33, 3)`` metres,
    ``timestamps`` ``(T,)`` seconds; and stats ``{"cached": bool, "decode_error": str | None,
    "pose_s": seconds spent, "people": [(time_s, number of people), ...] or None when not checked,
    "workers": stretches estimated in parallel (0 when cached), "followed": a
    :class:`repvision.tracking.Followed` when the exerciser was picked among several people, else None}``.

    Raises
    ------
    VideoNotFoundError, NotAVideoError, UnsupportedCodecError, NoDecodableFramesError, ConfigError, PoseModelError
    """
    if stride < 1:
        raise ConfigError("stride >= 1", f"stride={stride}", "Use --stride 1 to analyse every frame.")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ConfigError("workers: an integer >= 1, or None (one per CPU core)", f"workers={workers!r}",
                          "Use --pose-workers 1 for one sequential pass.")
    model_path(model)  # a bad model name fails here, before any thread starts
    first = VideoReader(path, max_size=max_size, stride=stride)   # reads the first stretch (below)
    info, out_size = first.info, first.output_size
    key = None
    cache_file = people_file = followed_file = None
    # the poses after a stretch cut differ slightly from one pass (a fresh landmarker starts there), so the
    # number of stretches is part of the cache key (absent for one stretch, as in keys written before it)
    spans = stretches(info.duration_s, workers or default_pose_workers())
    if cache:
        model_id = model if model in POSE_MODELS else file_sha256(model_path(model))[:16]
        key = f"{file_sha256(path)}_{model_id}_s{stride}_m{max_size or 0}_v{CACHE_VERSION}"
        if len(spans) > 1:
            key += f"_w{len(spans)}"
        cdir = cache_dir()
        cache_file = cdir / f"{key}.npz"
        people_file = cdir / f"{key}.people.json"
        followed_file = cdir / f"{key}.exerciser_v{TRACKING_VERSION}.npz"
        if cache_file.is_file():
            try:
                seq = PoseSequence.load(str(cache_file))
                first.close()
                if progress is not None:  # one report, so a listener sees the stage even when it was cached
                    progress(len(seq), len(seq))
                people = _read_people(people_file) if people_every_s else None
                stats = {"cached": True, "decode_error": None, "pose_s": 0.0, "people": people, "workers": 0,
                         "followed": None}
                return info, _follow(seq, people, stats, path, model, max_size, stride, follow_exerciser,
                                     followed_file, follow_progress or progress, workers), stats
            except Exception:  # unreadable cache entry: recompute
                cache_file.unlink(missing_ok=True)

    readers = _stretch_readers(first, spans)

    def partial_path(i: int) -> Path | None:
        if key is None:
            return None
        tag = "" if len(spans) == 1 else f"{i + 1}of{len(spans)}"
        return cache_dir() / f"{key}.partial{tag}.npz"

    parts = [_Stretch(a, b, partial_path(i)) for i, (a, b) in enumerate(spans)]
    tick = _FrameCounter(progress, info, stride, done=sum(p.done for p in parts)).tick

    # about 8 checks in a short clip (at most 4 a second), one every people_every_s seconds in a long one
    check_step = people_every_s or None
    if check_step and info.duration_s > 0:
        check_step = min(check_step, max(0.25, info.duration_s / 8))
    stop = threading.Event()
    t0 = time.perf_counter()
    run = functools.partial(_estimate_stretch, model=model, check_step=check_step, tick=tick, stop=stop,
                            checkpoint_every=checkpoint_every, cache=cache)
    if len(parts) == 1:
        run(parts[0], readers[0])
    else:
        pool = ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="repvision-pose")
        futures = [pool.submit(run, p, r) for p, r in zip(parts, readers)]
        try:
            first_error: BaseException | None = None
            for f in futures:  # in stretch order; the first real failure stops the others
                try:
                    f.result()
                except BaseException as exc:  # noqa: BLE001 - re-raised below
                    stop.set()
                    if first_error is None or isinstance(first_error, _Stopped):
                        first_error = exc
            if first_error is not None:
                raise first_error
        except BaseException:
            stop.set()  # e.g. KeyboardInterrupt in this thread: the workers save their parts and end
            raise
        finally:
            pool.shutdown(wait=True)
    # (the first stretch raised NoDecodableFramesError if nothing could be decoded)
    seq = PoseSequence(np.stack([k for p in parts for k in p.kps]), np.array([t for p in parts for t in p.times]),
                       BLAZEPOSE_33, "image", np.stack([w for p in parts for w in p.world]), out_size, str(path))
    decode_error = next((p.decode_error for p in parts if p.decode_error), None)
    if len(parts) > 1 and decode_error is None:
        decode_error = short_read(sum(p.frames_decoded for p in parts), info.n_frames)
    people = sorted(x for p in parts for x in p.people)
    stats = {"cached": False, "decode_error": decode_error, "pose_s": time.perf_counter() - t0,
             "people": people if people_every_s else None, "workers": len(parts), "followed": None}
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        if people_every_s:
            people_file.write_text(json.dumps(people))
        tmp = cache_file.with_suffix(".tmp.npz")
        seq.save(str(tmp))
        os.replace(tmp, cache_file)
        for p in parts:
            if p.partial is not None:
                p.partial.unlink(missing_ok=True)
    seq = _follow(seq, stats["people"], stats, path, model, max_size, stride, follow_exerciser, followed_file,
                  follow_progress or progress, workers)
    return info, seq, stats


def _follow(seq: PoseSequence, people: list[tuple[float, int]] | None, stats: dict, path, model: str,
            max_size: int | None, stride: int, follow: bool, cache_file: Path | None,
            progress: ProgressCallback | None, workers: int | None) -> PoseSequence:
    """``seq``, or when several people are in view (and ``follow``) the poses of the person exercising
    (:func:`estimate_exerciser`, read from / written to ``cache_file`` when given); sets ``stats["followed"]``
    and adds the second pass's seconds to ``stats["pose_s"]``."""
    if not follow or not several_people(people):
        return seq
    meta_file = cache_file.with_suffix(".json") if cache_file is not None else None
    if cache_file is not None and cache_file.is_file():
        try:
            meta = json.loads(meta_file.read_text())
            stats["followed"] = Followed(**{**meta, "shape_change": tuple(meta["shape_change"])})
            return _with_source(PoseSequence.load(str(cache_file)), str(path))
        except Exception:  # unreadable cache entry: recompute
            cache_file.unlink(missing_ok=True)
    t0 = time.perf_counter()
    out, followed = estimate_exerciser(path, model, num_poses=min(max(n for _, n in people), 4),
                                       max_size=max_size, stride=stride, progress=progress, single=seq,
                                       workers=workers)
    stats["pose_s"] += time.perf_counter() - t0
    stats["followed"] = followed
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        meta_file.write_text(json.dumps(dataclasses.asdict(followed)))
        tmp = cache_file.with_suffix(".tmp.npz")
        out.save(str(tmp))
        os.replace(tmp, cache_file)
    return out


def estimate_exerciser(path: str | os.PathLike, model: str = "lite", *, num_poses: int = 2,
                       max_size: int | None = None, stride: int = 1, progress: ProgressCallback | None = None,
                       single: PoseSequence | None = None, workers: int | None = None
                       ) -> tuple[PoseSequence, Followed]:
    """The poses of the person exercising in a video with several people in view: a pass of
    :class:`PoseEstimator` with up to ``num_poses`` people per frame (stretches of the video on ``workers``
    parallel threads, as :func:`estimate_video`), the people linked into tracks over the whole video
    (:func:`repvision.tracking.track_people`) and the track that :func:`repvision.tracking.choose_followed`
    picks kept. Arguments as :func:`estimate_video`; ``single``: the poses of a one-person pass over the same
    frames, returned unchanged when ``choose_followed`` keeps it (it stayed on the chosen person). Returns ``(pose, followed)``: a :class:`PoseSequence` like
    :func:`estimate_video`'s (NaN in the frames where the chosen person is not found) and a
    :class:`repvision.tracking.Followed`. Raises what :class:`VideoReader` and :class:`PoseEstimator` raise."""
    nan = np.full((33, 7), np.nan, np.float32)
    first = VideoReader(path, max_size=max_size, stride=stride)
    info, out_size = first.info, first.output_size
    readers = _stretch_readers(first, stretches(info.duration_s, workers or default_pose_workers()))
    tick = _FrameCounter(progress, info, stride).tick

    def run(reader: VideoReader) -> list[tuple[float, list[np.ndarray]]]:
        out = []
        with reader, PoseEstimator(model, num_poses=num_poses) as estimator:
            for frame in prefetch(iter(reader)):
                found = estimator.process_all(frame.image, frame.timestamp_s)
                out.append((frame.timestamp_s, [np.concatenate(
                    [fp.landmarks, fp.world if fp.world is not None else nan[:, :3]], axis=1) for fp in found]))
                tick()
        return out

    if len(readers) == 1:
        parts = [run(first)]
    else:   # each stretch on its own thread (MediaPipe releases the GIL); the tracks are linked afterwards
        with ThreadPoolExecutor(max_workers=len(readers), thread_name_prefix="repvision-people") as pool:
            parts = list(pool.map(run, readers))
    times = [t for part in parts for t, _ in part]
    people = [found for part in parts for _, found in part]
    ts = np.array(times)
    tracks = track_people(people, ts)
    if len(tracks) == 0:   # nobody found with several poses a frame: the one-person pass, if any
        if single is not None:
            return single, Followed(0, 0, 0.0, (), 0.0, False)
        return (PoseSequence(np.full((len(ts), 33, 4), np.nan, np.float32), ts, BLAZEPOSE_33, "image",
                             np.full((len(ts), 33, 3), np.nan, np.float32), out_size, str(path)),
                Followed(0, 0, 0.0, (), 0.0, False))
    one = single.keypoints if single is not None and len(single) == len(ts) else None
    followed = choose_followed(tracks, one)
    track = tracks[followed.followed]
    if not followed.switched:
        return single, followed
    seq = PoseSequence(track[:, :, :4].copy(), ts, BLAZEPOSE_33, "image", track[:, :, 4:].copy(), out_size,
                       str(path))
    return seq, followed


def _read_people(path: Path) -> list[tuple[float, int]] | None:
    """People counts cached beside the poses, or None (not checked when the poses were cached)."""
    try:
        return [(float(t), int(n)) for t, n in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return None


def several_people(people: list[tuple[float, int]] | None, min_share: float = 0.25,
                   followed: Followed | None = None) -> str | None:
    """A warning when at least ``min_share`` of the checked frames (and at least 2 of them) show two or more
    people, else None. ``people``: ``[(time_s, count), ...]`` as in :func:`estimate_video`'s stats;
    ``followed``: its ``stats["followed"]`` when the person exercising was picked among them (the warning
    then says so)."""
    if not people:
        return None
    many = [(t, n) for t, n in people if n >= 2]
    if len(many) < 2 or len(many) < min_share * len(people):
        return None
    most = max(n for _, n in many)
    seen = (f"Several people are in view ({most} at most; two or more in {len(many)} of the {len(people)} frames "
            f"checked, first at {many[0][0]:.1f} s). ")
    if followed is not None and followed.tracks > 1:
        return seen + (f"repvision told {followed.tracks} people apart and followed the one whose body moved the "
                       f"most (seen in {followed.seen_share:.0%} of the frames); check on the annotated video "
                       "(analyze --video) or the live view that it is the person to analyse, or film one person "
                       "at a time.")
    return seen + ("repvision follows one person, the most prominent, and may switch between people, which breaks "
                   "counts and form. Film one person at a time, or crop the video to the person to analyse.")


def _with_source(seq: PoseSequence, source: str) -> PoseSequence:
    return PoseSequence(seq.keypoints, seq.timestamps, seq.skeleton, seq.coordinates, seq.world, seq.image_size,
                        source)
