"""Video input: frames with true timestamps from the container, decoded one at a time with PyAV (FFmpeg).

A video is never read whole into memory: :class:`VideoReader` yields frames as they are decoded.
Rotation metadata (phone videos) is honoured: frames come out upright and :class:`VideoInfo` reports the
upright size.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

# OpenCV is loaded before PyAV on purpose: with PyAV's bundled libraries loaded first, the first cv2.imshow of
# live mode hangs forever (opencv-contrib-python 5.0 Qt build beside PyAV 18, seen under Xvfb). OpenCV is a
# dependency anyway (MediaPipe needs it). Regression test: tests/test_live.py::test_window_mode_under_xvfb.
import cv2  # noqa: I001  (import order matters, see above; also used by shrink)
import av  # noqa: E402
import numpy as np

from repvision.errors import NoDecodableFramesError, NotAVideoError, UnsupportedCodecError, VideoNotFoundError
from repvision.types import VideoInfo

#: File extensions taken as videos when a folder is searched (``repvision batch``, one's own video folders); a file
#: given by name is opened whatever its extension (the container is what is checked).
VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v")
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".heic")


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded frame.

    ``index``: 0-based decode order; ``timestamp_s``: presentation time in seconds from the stream start;
    ``image``: ``(H, W, 3)`` uint8 RGB, C-contiguous, upright (rotation applied).
    """

    index: int
    timestamp_s: float
    image: np.ndarray


def _rotate(image: np.ndarray, rotation_deg: int) -> np.ndarray:
    # FFmpeg's display matrix angle is counter-clockwise; a viewer rotates the picture back by it.
    k = (rotation_deg // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=k)) if k else image


class VideoReader:
    """Open a video file for sequential decoding.

    Use as a context manager::

        with VideoReader("squats.mp4") as video:
            print(video.info.fps)
            for frame in video:          # Frame(index, timestamp_s, image (H, W, 3) RGB)
                ...

    Parameters
    ----------
    path:
        Video file (mp4, mov, avi, webm, mkv, ...).
    max_size:
        If given, frames whose long side exceeds this many pixels are downscaled (aspect kept) while
        decoding; None keeps the original size.
    stride:
        Yield every ``stride``-th frame (the others are decoded but not converted); ``Frame.index`` keeps the
        frame's position in the full video.
    start_s, end_s:
        Read only the frames whose timestamp ``t`` (seconds) has ``start_s <= t < end_s`` (None: to the end).
        A reader that starts later than 0 seeks to the key frame before ``start_s`` and decodes from there
        (frames before ``start_s`` are decoded but not converted); its ``Frame.index`` is then estimated from
        the timestamp and the frame rate, and its stride counts from its first frame. Used to split one video
        into stretches estimated in parallel (:func:`repvision.pose.estimate_video`). A stretch starting at 0
        raises :class:`NoDecodableFramesError` like a whole read when nothing decodes; whether the stretches
        together fell short of the announced frames is for the caller to judge (:func:`short_read` on the sum
        of their ``frames_decoded``).

    Raises
    ------
    VideoNotFoundError
        ``path`` does not exist or is not a file.
    NotAVideoError
        The file is not a video container, or is a still image.
    UnsupportedCodecError
        The video codec cannot be decoded by this FFmpeg build.
    NoDecodableFramesError
        (while iterating) not a single frame could be decoded.
    """

    def __init__(self, path: str | os.PathLike, *, max_size: int | None = None, stride: int = 1,
                 start_s: float = 0.0, end_s: float | None = None) -> None:
        self.path = Path(path)
        self.max_size = max_size
        self.stride = max(1, int(stride))
        self.start_s = max(0.0, float(start_s))
        self.end_s = None if end_s is None else float(end_s)
        self.decode_error: str | None = None
        self.frames_decoded = 0
        if not self.path.exists():
            raise VideoNotFoundError(
                "a video file", f"no file at '{self.path}'", "Check the path (and the working directory)."
            )
        if not self.path.is_file():
            raise VideoNotFoundError("a video file", f"'{self.path}' is a directory",
                                     "Pass a video file path (every video in a folder: repvision batch FOLDER).")
        if self.path.suffix.lower() in _IMAGE_EXTENSIONS:
            raise NotAVideoError(
                "a video (mp4, mov, avi, webm, mkv)", f"an image file '{self.path.name}'",
                "repvision analyses movement over time; record a video of the exercise and pass that.",
            )
        try:
            self._container = av.open(str(self.path), mode="r")
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise NotAVideoError(
                "a video container (mp4, mov, avi, webm, mkv)",
                f"'{self.path.name}', which FFmpeg cannot read as a video ({getattr(exc, 'strerror', None) or exc})",
                "Check that the file is a complete, uncorrupted video; re-export it as MP4 (H.264) if needed.",
            ) from None
        fmt = self._container.format.name
        if not self._container.streams.video:
            self._container.close()
            raise NotAVideoError(
                "a file with a video stream", f"'{self.path.name}' with no video stream (format {fmt})",
                "Pass a video file, not an audio or data file.",
            )
        if fmt.endswith("_pipe") or fmt in ("image2", "gif"):
            self._container.close()
            raise NotAVideoError(
                "a video (mp4, mov, avi, webm, mkv)", f"a still image ('{self.path.name}', format {fmt})",
                "repvision analyses movement over time; record a video of the exercise and pass that.",
            )
        self._stream = self._container.streams.video[0]
        cc = self._stream.codec_context
        if cc is None or cc.name is None:
            self._container.close()
            raise UnsupportedCodecError(
                "a video codec FFmpeg can decode (H.264, HEVC, VP9, AV1, MPEG-4, ...)",
                f"an unknown codec in '{self.path.name}'", "Re-encode the video to H.264 MP4.",
            )
        self._stream.thread_type = "AUTO"
        self._rotation = self._read_rotation()
        self.info = self._make_info()
        self._iterated = False

    def _read_rotation(self) -> int:
        # Decode the first frame to read its display matrix, then rewind.
        rotation = 0
        try:
            for frame in self._container.decode(self._stream):
                rotation = int(round(getattr(frame, "rotation", 0) or 0))
                break
        except av.error.FFmpegError:
            pass
        try:
            self._container.seek(0)
        except av.error.FFmpegError:
            # Unseekable input: reopen.
            self._container.close()
            self._container = av.open(str(self.path))
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
        return rotation % 360

    def _make_info(self) -> VideoInfo:
        s = self._stream
        w, h = int(s.codec_context.width), int(s.codec_context.height)
        if self._rotation in (90, 270):
            w, h = h, w
        fps = float(s.average_rate) if s.average_rate else (float(s.guessed_rate) if s.guessed_rate else 0.0)
        if s.duration is not None and s.time_base is not None:
            duration = float(s.duration * s.time_base)
        elif self._container.duration is not None:
            duration = self._container.duration / 1_000_000
        else:
            duration = 0.0
        n = int(s.frames or 0)
        if n == 0 and fps > 0 and duration > 0:
            n = int(round(duration * fps))
        return VideoInfo(
            path=str(self.path), width=w, height=h, fps=fps, n_frames=n, duration_s=duration,
            codec=s.codec_context.name, container=self._container.format.name, rotation_deg=self._rotation,
        )

    @property
    def output_size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels of the frames this reader yields (after rotation and ``max_size``)."""
        return fit_within(self.info.width, self.info.height, self.max_size)

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def __iter__(self) -> Iterator[Frame]:
        if self._iterated:
            raise RuntimeError("a VideoReader can be iterated once; open the file again")
        self._iterated = True
        s = self._stream
        start = s.start_time or 0
        tb = float(s.time_base) if s.time_base else 0.0
        fps = self.info.fps or 30.0
        out_w, out_h = self.output_size
        # Size to ask of the scaler, before rotation.
        rw, rh = (out_h, out_w) if self._rotation in (90, 270) else (out_w, out_h)
        scale = (out_w, out_h) != (self.info.width, self.info.height)
        whole = self.start_s <= 0.0 and self.end_s is None
        if self.start_s > 0.0 and tb:
            try:  # to the key frame at or before start_s; frames before start_s are skipped below
                self._container.seek(start + int(self.start_s / tb), stream=s, backward=True, any_frame=False)
            except av.error.FFmpegError:
                pass  # unseekable: decode from where the stream is
        index = 0      # frames decoded (in a stretch: frames of the stretch)
        last_t = -np.inf
        try:
            for frame in self._container.decode(s):
                if frame.pts is not None and tb:
                    t = (frame.pts - start) * tb
                else:
                    t = index / fps
                if t <= last_t:  # broken or duplicate timestamps: keep time strictly increasing
                    t = last_t + 1e-3
                last_t = t
                if not whole:
                    if t < self.start_s - 1e-6:
                        continue
                    if self.end_s is not None and t >= self.end_s - 1e-6:
                        break
                if index % self.stride:
                    index += 1
                    continue
                if scale:
                    img = frame.to_ndarray(format="rgb24", width=rw, height=rh)
                else:
                    img = frame.to_ndarray(format="rgb24")
                # PyAV may return rows padded to an alignment (e.g. width 568): MediaPipe needs a dense array.
                img = _rotate(np.ascontiguousarray(img), self._rotation)
                yield Frame(index if self.start_s <= 0.0 else int(round(t * fps)), float(t), img)
                index += 1
        except av.error.FFmpegError as exc:
            if index == 0 and self.start_s <= 0.0:
                raise NoDecodableFramesError(
                    "decodable video frames", f"a decoding error before the first frame ({exc})",
                    "The file is probably corrupt or truncated; re-export or re-download it.",
                ) from None
            self.decode_error = (f"decoding stopped after {index} frames: {exc}" if whole
                                 else f"decoding stopped at {max(last_t, 0.0):.2f} s: {exc}")
        self.frames_decoded = index
        if whole and self.decode_error is None:  # a stretch: the caller judges the whole (see estimate_video)
            self.decode_error = short_read(index, self.info.n_frames)
        if index == 0 and self.start_s <= 0.0:
            raise NoDecodableFramesError(
                "at least one video frame", f"no decodable frame in '{self.path.name}'",
                "The file is empty or corrupt; re-export or re-download it.",
            )


#: Seconds between two returns of freed heap memory to the operating system by :func:`prefetch`'s consumer.
HEAP_TRIM_EVERY_S: float = 1.0


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None on other C libraries: macOS, Windows, musl)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> None:
    """Hand the heap memory freed so far back to the operating system (glibc ``malloc_trim(0)``; nothing
    elsewhere). Set ``REPVISION_NO_HEAP_TRIM=1`` to turn it off (for comparison).

    Why: frames that :func:`prefetch` decodes (6 MB each at 1080p) are allocated on its decoder thread and
    freed on the consumer's thread, and glibc keeps such freed blocks in its per-thread arenas instead of
    returning them. On a 10-minute 1080p video at ``analyze``'s default setting (every frame, full size, two
    pose stretches) peak RSS was 4.3 GB without trimming and 0.8 GB with a trim every
    :data:`HEAP_TRIM_EVERY_S` seconds (``benchmarks/memory.py --stride 1 --max-size 0 [--no-trim]``, results in
    ``benchmarks/results/memory_10min_1080p_s1_full_*.json``); ``repvision bench speed`` on 720p with and without
    it: ``benchmarks/results/speed_720p_heap_trim_ab_2026-12-05.jsonl``."""
    trim = _malloc_trim()
    if trim is not None and os.environ.get("REPVISION_NO_HEAP_TRIM") != "1":
        trim(0)


def prefetch(frames: Iterator[Frame], size: int = 8) -> Iterator[Frame]:
    """Decode ahead in a background thread so decoding overlaps with the consumer's work (pose estimation).

    At most ``size`` frames wait in the queue (memory stays bounded; a slow consumer pauses the decoder), and
    every :data:`HEAP_TRIM_EVERY_S` seconds the consumer hands the memory of the frames it freed back to the
    system (:func:`release_freed_memory`; without it peak memory grows by gigabytes on 1080p).
    Exceptions raised by the decoder are re-raised in the consumer. PyAV releases the GIL while decoding.
    """
    import queue
    import threading
    import time

    q: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    _END = object()

    def work() -> None:
        try:
            for item in frames:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # hand decoder errors to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, name="repvision-decoder", daemon=True)
    thread.start()
    trimmed_at = time.monotonic()
    try:
        while True:
            if time.monotonic() - trimmed_at >= HEAP_TRIM_EVERY_S:
                release_freed_memory()
                trimmed_at = time.monotonic()
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def probe(path: str | os.PathLike) -> VideoInfo:
    """Read a video's metadata without decoding it all. Raises as :class:`VideoReader`."""
    with VideoReader(path) as reader:
        return reader.info


def short_read(decoded: int, announced: int) -> str | None:
    """The damage message when far fewer frames could be decoded (``decoded``, all stretches together) than the
    container announces (``announced``; 0 = unknown), else None."""
    if announced and decoded < 0.9 * announced:
        return f"only {decoded} of the {announced} frames the container announces could be decoded (truncated file?)"
    return None


def fit_within(width: int, height: int, max_size: int | None) -> tuple[int, int]:
    """``(width, height)`` in pixels scaled so the long side is at most ``max_size`` (aspect kept, rounded, at
    least 2 pixels); unchanged when ``max_size`` is None or the frame is already small enough."""
    if max_size and max(width, height) > max_size:
        s = max_size / max(width, height)
        return max(2, int(round(width * s))), max(2, int(round(height * s)))
    return width, height


def shrink(image: np.ndarray, max_size: int | None) -> np.ndarray:
    """``(H, W, 3)`` image resized (area interpolation, OpenCV) so its long side is at most ``max_size``
    pixels; the image itself when it is already small enough or ``max_size`` is None."""
    h, w = image.shape[:2]
    size = fit_within(w, h, max_size)
    if size == (w, h):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
