"""Typed errors raised for bad user input.

Every error says what was expected, what was found and how to fix it, so the CLI can print it
as a one-paragraph message (never a traceback) and exit with a non-zero code.
"""

from __future__ import annotations


class RepvisionError(Exception):
    """Base class of every error caused by user input or environment (not by a bug).

    Parameters
    ----------
    expected:
        What the program needed.
    found:
        What it found instead.
    fix:
        What the user can do about it.
    """

    exit_code: int = 2

    def __init__(self, expected: str, found: str, fix: str) -> None:
        self.expected = expected
        self.found = found
        self.fix = fix
        super().__init__(f"Expected {expected}, but found {found}. {fix}")


class VideoError(RepvisionError):
    """Base class of the errors raised when a video file cannot be read at all (missing, not a video,
    unsupported codec, no decodable frame): catch it to skip such files, as
    :func:`repvision.datasets.videos.load_videos` does. Problems with what the video shows (too short, nobody in
    view) are other :class:`RepvisionError` subclasses."""


class VideoNotFoundError(VideoError, FileNotFoundError):
    """The video path does not exist or is not a file."""


class NotAVideoError(VideoError):
    """The file exists but is not a video container (text, image, archive, ...)."""


class UnsupportedCodecError(VideoError):
    """The container opened but its video codec cannot be decoded here."""


class NoDecodableFramesError(VideoError):
    """The video has a video stream but no frame could be decoded (empty or corrupt)."""


class ClipTooShortError(RepvisionError):
    """The clip is shorter than the minimum the analysis needs."""


class NoPersonError(RepvisionError):
    """No person was detected in any frame of the video."""


class TooFewDetectionsError(RepvisionError):
    """A person was detected in too few frames for a reliable analysis."""


class ConfigError(RepvisionError, ValueError):
    """A setting has an unknown key or an invalid value."""


class PoseModelError(RepvisionError):
    """The pose model file is missing or cannot be loaded."""


class ManifestError(RepvisionError):
    """A dataset manifest or folder does not have the expected layout."""


class NotFittedError(RepvisionError, AttributeError):
    """A classifier was used before ``fit`` (or ``load``)."""


class CameraNotFoundError(RepvisionError):
    """No camera (or stream) could be opened for live mode."""


class OptionalDependencyError(RepvisionError):
    """A feature needs a package that is not installed (an optional extra)."""
