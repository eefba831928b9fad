"""Typed settings. Unknown keys are rejected with a message naming the key and listing the valid ones."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from repvision.errors import ConfigError
from repvision.reps import SET_GAP_S

T = TypeVar("T")


def user_folder(name: str, env_var: str) -> Path:
    """A folder of repvision's own files: ``$env_var`` when set, else ``name`` in the user cache folder
    (platformdirs: ``~/.cache/repvision/<name>`` on Linux). Not created here."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("repvision")) / name


def from_mapping(cls: type[T], data: dict[str, Any], where: str = "settings") -> T:
    """Build the dataclass ``cls`` from a mapping, rejecting unknown keys and wrongly typed values.

    Raises
    ------
    ConfigError
        A key that ``cls`` does not have (the message names it and lists the valid keys), or a value of the
        wrong type.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"a table of {cls.__name__} keys", f"{type(data).__name__}", "Write key = value pairs.")
    valid = {f.name: f for f in fields(cls)}
    unknown = [k for k in data if k not in valid]
    if unknown:
        import difflib

        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, valid, n=1)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ConfigError(
            f"keys of {cls.__name__} in {where}: {', '.join(sorted(valid))}",
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(hints)}",
            "Remove or rename the key.",
        )
    return cls(**data)


@dataclass(frozen=True)
class AnalyzeConfig:
    """Settings of :func:`repvision.analyze`.

    Attributes
    ----------
    pose_model:
        ``"lite"`` (fastest), ``"full"`` (more accurate) or a path to a MediaPipe ``.task`` file.
    stride:
        Analyse every ``stride``-th frame (1 = every frame).
    max_size:
        Downscale frames so their long side is at most this many pixels before pose estimation (None: keep).
    pose_workers:
        Threads estimating the pose in parallel, each on its own stretch of the video (at least 3 s long);
        None: one per CPU core, at most 4 (:func:`repvision.pose.default_pose_workers`); 1: one sequential
        pass. ``repvision batch`` runs one video per core and uses 1 here unless it is set.
    cache:
        Reuse poses cached from an earlier run on the same file (keyed by content hash and model).
    min_duration_s:
        Shortest clip analysed, in seconds (one repetition rarely takes less than 1 s).
    min_person_fraction:
        Share of analysed frames that must contain a person; below it the analysis stops with
        :class:`repvision.errors.TooFewDetectionsError`.
    min_person_frames:
        Fewest frames with a person for any analysis.
    unknown_threshold:
        Top probability below which the exercise is reported as "unknown"; None uses the model's own
        threshold (chosen by cross-validation when it was trained).
    exercise:
        Skip classification and use this exercise label (e.g. when the user knows it).
    set_gap_s:
        A pause of at least this many seconds between two repetitions starts a new set
        (:func:`repvision.reps.split_sets`; default :data:`repvision.reps.SET_GAP_S`).
    follow_exerciser:
        When several people are in view, tell them apart and analyse the one exercising (a second, slower
        pose pass; :func:`repvision.pose.estimate_video`); False: whoever MediaPipe's one-person tracking
        follows.
    classifier:
        Path of an exercise classifier ``.npz`` to use instead of the shipped one, e.g. one trained on your own
        videos (``repvision train --data root/<exercise>/*.mp4-folder --out model.npz``); None: the shipped
        model. A relative path in a settings file is relative to the working directory.
    form_rules:
        A folder of your own form rule files, ``<exercise>.toml`` in the format of the shipped ones
        (``repvision/form_rules/``); a file there is used instead of the shipped one for its exercise, e.g. a copy
        of ``squat.toml`` saved as ``goblet_squat.toml`` for an exercise of your own classifier. None: shipped
        rules only.
    start_s, end_s:
        Analyse only this part of the video, in seconds from its start (None: from the start / to the end),
        e.g. one exercise of a longer recording. Poses are estimated (and cached) for the whole video, so
        another range of the same file is quick; times in the report stay those of the whole video.
    """

    pose_model: str = "lite"
    stride: int = 1
    max_size: int | None = None
    pose_workers: int | None = None
    cache: bool = True
    min_duration_s: float = 1.0
    min_person_fraction: float = 0.25
    min_person_frames: int = 10
    unknown_threshold: float | None = None
    exercise: str | None = None
    set_gap_s: float = SET_GAP_S
    follow_exerciser: bool = True
    classifier: str | None = None
    form_rules: str | None = None
    start_s: float | None = None
    end_s: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.stride, int) or self.stride < 1:
            raise ConfigError("stride: an integer >= 1", f"{self.stride!r}", "Use stride = 1 for every frame.")
        if self.max_size is not None and (not isinstance(self.max_size, int) or self.max_size < 64):
            raise ConfigError("max_size: an integer >= 64 pixels, or none", f"{self.max_size!r}",
                              "Use e.g. max_size = 640.")
        if self.pose_workers is not None and (not isinstance(self.pose_workers, int) or self.pose_workers < 1):
            raise ConfigError("pose_workers: an integer >= 1, or none (one per CPU core)", f"{self.pose_workers!r}",
                              "Use pose_workers = 1 for one sequential pass.")
        if not 0.0 <= float(self.min_person_fraction) <= 1.0:
            raise ConfigError("min_person_fraction in [0, 1]", f"{self.min_person_fraction!r}", "Use e.g. 0.25.")
        if self.unknown_threshold is not None and not 0.0 <= float(self.unknown_threshold) <= 1.0:
            raise ConfigError("unknown_threshold in [0, 1]", f"{self.unknown_threshold!r}", "Use e.g. 0.5.")
        if not isinstance(self.set_gap_s, (int, float)) or isinstance(self.set_gap_s, bool) or not self.set_gap_s > 0:
            raise ConfigError("set_gap_s: a number of seconds > 0", f"{self.set_gap_s!r}",
                              f"Use e.g. set_gap_s = {SET_GAP_S:g}.")
        if not isinstance(self.follow_exerciser, bool):
            raise ConfigError("follow_exerciser: true or false", f"{self.follow_exerciser!r}",
                              "Use follow_exerciser = true to analyse the person exercising.")
        if self.classifier is not None and not isinstance(self.classifier, (str, Path)):
            raise ConfigError("classifier: the path of a classifier .npz, or none", f"{self.classifier!r}",
                              'Use e.g. classifier = "my_exercises.npz".')
        for key in ("classifier", "form_rules"):   # paths are kept as text, as in a settings file (and the report)
            if isinstance(getattr(self, key), Path):
                object.__setattr__(self, key, str(getattr(self, key)))
        for key in ("start_s", "end_s"):
            v = getattr(self, key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < float("inf")):
                raise ConfigError(f"{key}: a number of seconds >= 0, or none", f"{v!r}", f"Use e.g. {key} = 12.5.")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ConfigError("end_s after start_s", f"start_s = {self.start_s:g}, end_s = {self.end_s:g}",
                              "Swap them, or leave one out to analyse to the end / from the start.")
        if self.form_rules is not None and (not isinstance(self.form_rules, str) or not Path(self.form_rules).is_dir()):
            raise ConfigError("form_rules: a folder of <exercise>.toml rule files, or none", f"{self.form_rules!r}"
                              + (" (no such folder)" if isinstance(self.form_rules, str) else ""),
                              "Check the path; copy a shipped rule file from repvision/form_rules/ to start.")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AnalyzeConfig":
        """Build from a mapping; raises :class:`ConfigError` on unknown keys."""
        return from_mapping(cls, data)

    @classmethod
    def from_file(cls, path: str | Path) -> "AnalyzeConfig":
        """Read a TOML file whose top-level keys (or an ``[analyze]`` table) are these settings.

        Raises
        ------
        ConfigError
            Missing or malformed file, unknown keys, bad values.
        """
        p = Path(path)
        if not p.is_file():
            raise ConfigError("a TOML settings file", f"no file at '{p}'", "Check the --config path.")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("a valid TOML file", f"a syntax error in '{p}': {exc}", "Fix the file.") from None
        if set(data) == {"analyze"}:
            data = data["analyze"]
        return from_mapping(cls, data, where=str(p))

    #: Settings that change only how fast an analysis runs, not its result (left out of :meth:`result_settings`).
    SPEED_ONLY: ClassVar[tuple[str, ...]] = ("cache", "pose_workers")

    def result_settings(self) -> dict[str, Any]:
        """The settings an analysis's result depends on (every field but :attr:`SPEED_ONLY`), JSON-ready: the
        report records them, and ``repvision batch`` re-analyses a video whose report was made with others."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in self.SPEED_ONLY}

    def replace(self, **changes: Any) -> "AnalyzeConfig":
        """A copy with ``changes`` applied (unknown keys rejected)."""
        return from_mapping(type(self), {**dataclasses.asdict(self), **changes})
