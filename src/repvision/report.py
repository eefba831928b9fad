"""Outputs of an analysis: the JSON report (versioned schema), a terminal summary, an annotated MP4 and a
self-contained HTML report (:func:`write_html`, implemented in :mod:`repvision.html_report`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from repvision.types import Analysis

#: Version of the JSON report layout (semantic versioning: major for incompatible changes, minor for added
#: fields). 1.1.0 added ``form`` (per-repetition form feedback) and ``muscle_activation``; 1.2.0 added
#: ``segments`` (exercises found one after another); 1.3.0 added ``sets`` and the form's ``verdict`` and
#: ``major_faults``; 1.4.0 added ``pose.time_range_s`` (the part of the video analysed, ``--start/--end``) and
#: ``settings`` (what the result depends on: ``AnalyzeConfig.result_settings``); 1.5.0 added ``parts`` (each
#: exercise of a clip with several one after another, counted and judged on its own); 1.6.0 added ``workout``
#: (those parts summed up: :class:`repvision.types.WorkoutSummary`).
SCHEMA_VERSION = "1.6.0"

_num = {"type": "number"}
_num_or_null = {"type": ["number", "null"]}
_rep = {
    "type": "object",
    "required": ["index", "start_frame", "turn_frame", "end_frame", "start_s", "turn_s", "end_s", "duration_s",
                 "range_of_motion_deg", "joint", "concentric_s", "eccentric_s", "partial"],
    "properties": {
        "index": {"type": "integer", "minimum": 0},
        "start_frame": {"type": "integer", "minimum": 0}, "turn_frame": {"type": "integer", "minimum": 0},
        "end_frame": {"type": "integer", "minimum": 0},
        "start_s": _num, "turn_s": _num, "end_s": _num, "duration_s": _num,
        "range_of_motion_deg": _num_or_null, "joint": {"type": ["string", "null"]},
        "concentric_s": _num_or_null, "eccentric_s": _num_or_null, "partial": {"type": "boolean"},
    },
}

_str = {"type": "string"}
_issue = {
    "type": "object",
    "required": ["check", "cue", "rep_index", "frame", "time_s", "value", "limit", "unit", "severity", "source",
                 "duration_s"],
    "properties": {
        "check": _str, "cue": _str, "rep_index": {"type": ["integer", "null"]},
        "frame": {"type": "integer", "minimum": 0}, "time_s": _num, "value": _num, "limit": _num,
        "unit": {"enum": ["deg", "s", "torso", "ratio"]}, "severity": {"type": "number", "minimum": 0, "maximum": 1},
        "source": _str, "duration_s": _num_or_null,
    },
}
_rep_form = {
    "type": "object",
    "required": ["index", "start_frame", "turn_frame", "end_frame", "start_s", "end_s", "score", "partial",
                 "issues", "measurements"],
    "properties": {
        "index": {"type": "integer", "minimum": 0}, "start_frame": {"type": "integer"},
        "turn_frame": {"type": "integer"}, "end_frame": {"type": "integer"}, "start_s": _num, "end_s": _num,
        "score": {"type": "number", "minimum": 0, "maximum": 100}, "partial": {"type": "boolean"},
        "issues": {"type": "array", "items": _issue},
        "measurements": {"type": "object", "additionalProperties": _num_or_null},
    },
}
#: ``form``: per-repetition form feedback (:class:`repvision.form.FormReport`). ``mode`` is ``reps``, ``hold``
#: (plank: ``hold`` filled, issues over time with ``duration_s``) or ``none`` (no rules / exercise not
#: recognised: ``message`` says why). ``score`` 0-100 (mean of the rep scores, or share of the hold in good
#: form). ``verdict``: ``correct`` / ``incorrect`` (a check weighing >= 20 points failed: those checks are in
#: ``major_faults``) or null when nothing was judged. Issue ``value``/``limit`` are in ``unit``: deg, s, torso
#: (torso lengths) or ratio. ``skipped`` lists the checks the camera view cannot support, with the ``reason``
#: and where to put the ``camera``.
FORM_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["exercise", "mode", "view", "score", "verdict", "major_faults", "message", "checks_run",
                 "issue_counts", "reps", "issues", "skipped", "hold"],
    "properties": {
        "exercise": _str, "mode": {"enum": ["reps", "hold", "none"]},
        "view": {"type": ["object", "null"], "required": ["view", "width_ratio", "depth_yaw_deg"],
                 "properties": {"view": {"enum": ["front", "side", "oblique", "unknown"]},
                                "width_ratio": _num_or_null, "depth_yaw_deg": _num_or_null}},
        "score": {"type": ["number", "null"], "minimum": 0, "maximum": 100}, "message": _str,
        "verdict": {"enum": ["correct", "incorrect", None]},
        "major_faults": {"type": "array", "items": _str},
        "checks_run": {"type": "array", "items": _str},
        "issue_counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "reps": {"type": "array", "items": _rep_form},
        "issues": {"type": "array", "items": _issue},
        "skipped": {"type": "array", "items": {"type": "object", "required": ["check", "reason", "camera"],
                                               "properties": {"check": _str, "reason": _str, "camera": _str}}},
        "hold": {"type": ["object", "null"], "required": ["hold_s", "good_s", "start_frame", "end_frame"],
                 "properties": {"hold_s": _num, "good_s": _num, "start_frame": {"type": "integer"},
                                "end_frame": {"type": "integer"}}},
    },
}
#: ``muscle_activation``: every one of the 11 groups of :data:`repvision.muscles.MUSCLE_GROUPS` -> [0, 1]
#: (:func:`repvision.muscles.activation_from_prediction`), with the weighted exercises, method and source.
MUSCLE_ACTIVATION_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["activation", "exercises", "method", "source"],
    "properties": {
        "activation": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
        "exercises": {"type": "array", "items": {"type": "object", "required": ["label", "probability"],
                                                 "properties": {"label": _str, "probability": _num}}},
        "method": _str, "source": _str,
    },
}

#: ``segments``: the clip split into exercises one after another (:func:`repvision.classify.segment_exercises`),
#: in time order without gaps; ``label`` is an exercise or ``"unknown"``; ``end_frame`` is exclusive;
#: ``confidence`` in [0, 1]. Always present (an empty list when segmentation was not run).
SEGMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["label", "start_s", "end_s", "duration_s", "start_frame", "end_frame", "confidence"],
    "properties": {
        "label": _str, "start_s": _num, "end_s": _num, "duration_s": {"type": "number", "minimum": 0},
        "start_frame": {"type": "integer", "minimum": 0}, "end_frame": {"type": "integer", "minimum": 0},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
}

#: ``sets``: the repetitions grouped into sets (:func:`repvision.reps.split_sets`: a pause of at least
#: ``AnalyzeConfig.set_gap_s`` seconds starts a new one), in time order; ``rep_indices`` are the ``index`` values
#: of ``repetitions.repetitions`` in the set (partial ones included); ``count`` counts full repetitions;
#: ``rest_before_s`` is null for the first set. Always present (empty without full repetitions).
SET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["index", "start_s", "end_s", "duration_s", "rep_indices", "count", "partial_count",
                 "rest_before_s"],
    "properties": {
        "index": {"type": "integer", "minimum": 0}, "start_s": _num, "end_s": _num,
        "duration_s": {"type": "number", "minimum": 0},
        "rep_indices": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "count": {"type": "integer", "minimum": 1}, "partial_count": {"type": "integer", "minimum": 0},
        "rest_before_s": {"type": ["number", "null"], "minimum": 0},
    },
}

#: ``parts``: when ``segments`` holds several exercises one after another, each of them analysed on its own
#: (:class:`repvision.types.ExercisePart`): the segment's fields plus its ``repetitions``, ``sets``, ``form`` and
#: ``muscles``, in the layouts of the report's own fields of those names (frames index the analysed frames of the
#: whole clip). Always present (an empty list for a clip of one exercise).
PART_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [*SEGMENT_SCHEMA["required"], "repetitions", "sets", "form", "muscles"],
    "properties": {**SEGMENT_SCHEMA["properties"], "sets": {"type": "array", "items": SET_SCHEMA},
                   "form": FORM_SCHEMA},
}

#: ``workout``: the parts summed up (:class:`repvision.types.WorkoutSummary`); null for a clip of one exercise.
WORKOUT_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["exercises", "counts", "repetitions", "partials", "sets", "form_score", "verdict", "major_faults"],
    "properties": {
        "exercises": {"type": "array", "items": {"type": "string"}},
        "counts": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "repetitions": {"type": "integer", "minimum": 0}, "partials": {"type": "integer", "minimum": 0},
        "sets": {"type": "integer", "minimum": 0},
        "form_score": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
        "verdict": {"enum": ["correct", "incorrect", None]},
        "major_faults": {"type": "array", "items": {"type": "string"}},
    },
}

#: JSON Schema (draft 2020-12) of the report written by :func:`write_json`. Units: seconds (``*_s``),
#: frames (``*_frame``, indices into the analysed frames), degrees (``*_deg``), pixels (video size).
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "repvision analysis report",
    "type": "object",
    "required": ["schema_version", "video", "pose", "exercise", "repetitions", "sets", "muscles",
                 "muscle_activation", "form", "segments", "parts", "workout", "timings_s", "warnings"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "video": {
            "type": "object",
            "required": ["path", "width", "height", "fps", "n_frames", "duration_s", "codec", "container",
                         "rotation_deg"],
            "properties": {
                "path": {"type": "string"}, "width": {"type": "integer"}, "height": {"type": "integer"},
                "fps": _num, "n_frames": {"type": "integer"}, "duration_s": _num, "codec": {"type": "string"},
                "container": {"type": "string"}, "rotation_deg": {"type": "integer"},
            },
        },
        "pose": {
            "type": "object", "required": ["model", "frames_analysed", "frames_with_person"],
            "properties": {"model": {"type": "string"}, "frames_analysed": {"type": "integer"},
                           "frames_with_person": {"type": "integer"},
                           "time_range_s": {"type": ["array", "null"], "items": _num, "minItems": 2,
                                            "maxItems": 2}},
        },
        "exercise": {
            "type": "object", "required": ["label", "confidence", "top", "unknown_threshold"],
            "properties": {
                "label": {"type": "string"}, "confidence": _num, "unknown_threshold": _num,
                "top": {"type": "array", "maxItems": 3, "items": {
                    "type": "object", "required": ["label", "probability"],
                    "properties": {"label": {"type": "string"}, "probability": _num}}},
            },
        },
        "repetitions": {
            "type": "object", "required": ["count", "partial_count", "signal", "method", "repetitions"],
            "properties": {"count": {"type": "integer", "minimum": 0}, "partial_count": {"type": "integer"},
                           "signal": {"type": "string"}, "method": {"type": "string"},
                           "repetitions": {"type": "array", "items": _rep}},
        },
        "sets": {"type": "array", "items": SET_SCHEMA},
        "muscles": {
            "type": ["object", "null"], "required": ["exercise", "primary", "secondary", "source"],
            "properties": {"exercise": {"type": "string"}, "primary": {"type": "array", "items": {"type": "string"}},
                           "secondary": {"type": "array", "items": {"type": "string"}},
                           "source": {"type": "string"}},
        },
        "muscle_activation": MUSCLE_ACTIVATION_SCHEMA,
        "form": FORM_SCHEMA,
        "segments": {"type": "array", "items": SEGMENT_SCHEMA},
        "parts": {"type": "array", "items": PART_SCHEMA},
        "workout": WORKOUT_SCHEMA,
        "timings_s": {"type": "object", "additionalProperties": _num},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "settings": {"type": "object"},
    },
}
# a part's repetitions and muscles have the layouts of the report's own
PART_SCHEMA["properties"]["repetitions"] = REPORT_SCHEMA["properties"]["repetitions"]
PART_SCHEMA["properties"]["muscles"] = REPORT_SCHEMA["properties"]["muscles"]


def to_json(analysis: Analysis) -> str:
    """The report as a JSON string (layout: :data:`REPORT_SCHEMA`)."""
    return json.dumps(analysis.to_dict(), indent=2)


def write_json(analysis: Analysis, path: str | os.PathLike) -> Path:
    """Write the JSON report; returns the path written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(to_json(analysis), encoding="utf-8")
    os.replace(tmp, p)
    return p


def top_cues(analysis, n: int = 3) -> list[tuple[str, int, str]]:
    """The ``n`` most frequent form problems of an :class:`Analysis` (its ``form``) or of one
    :class:`repvision.form.FormReport` (e.g. a workout part's) as ``(check, repetitions_affected, cue)``, most
    frequent first.

    The cue is the one of the worst (most severe) occurrence of the check. Empty without form issues.
    """
    form = analysis.form if isinstance(analysis, Analysis) else analysis
    if form is None:
        return []
    return rank_cues(((i.check, i.severity, i.cue) for i in form.issues), n)


def rank_cues(issues: Iterable[tuple[str, float, str]], n: int = 3) -> list[tuple[str, int, str]]:
    """Form issues ``(check, severity, cue)`` ranked as :func:`top_cues` ranks them: ``(check, occurrences, cue
    of its most severe occurrence)``, the most frequent check first (ties: the more severe first), at most
    ``n``. Also for issues read back from JSON reports (``repvision.batch.summary_rows``)."""
    counts: dict[str, int] = {}
    worst: dict[str, tuple[float, str]] = {}
    for check, severity, cue in issues:
        counts[check] = counts.get(check, 0) + 1
        if check not in worst or severity > worst[check][0]:
            worst[check] = (severity, cue)
    order = sorted(counts, key=lambda c: (-counts[c], -worst[c][0]))
    return [(c, counts[c], worst[c][1]) for c in order[:n]]


def sets_detail(sets) -> str:
    """Repetitions per set and the rests between them (:class:`repvision.types.ExerciseSet`), e.g. ``10 + 8
    repetitions, rest 45 s``; ``no full repetitions`` without sets."""
    if not sets:
        return "no full repetitions"
    rests = [st.rest_before_s for st in sets if st.rest_before_s is not None]
    return (" + ".join(str(st.count) for st in sets) + " repetitions"
            + (", rest " + ", ".join(f"{r:.0f} s" for r in rests) if rests else ""))


def sets_in_words(sets) -> str:
    """Sets in words, e.g. ``2 sets: 10 + 8 repetitions, rest 45 s`` (:func:`sets_detail` with the number)."""
    if not sets:
        return sets_detail(sets)
    return f"{len(sets)} set{'s' if len(sets) != 1 else ''}: {sets_detail(sets)}"


#: A form verdict (:attr:`repvision.form.FormReport.verdict`, :attr:`repvision.types.WorkoutSummary.verdict`) in
#: short words, for people.
VERDICT_WORDS = {"correct": "good", "incorrect": "needs work"}


def verdict_in_words(judged) -> str:
    """The verdict of a set (:class:`repvision.form.FormReport`) or a workout
    (:class:`repvision.types.WorkoutSummary`) with its major faults as one phrase, e.g. ``needs work: major fault
    hip sag``, ``good (no major fault)``, ``not judged``."""
    if judged.verdict is None:
        return "not judged"
    if judged.verdict == "correct":
        return "good (no major fault)"
    return "needs work: major fault " + judged.major_faults_in_words


def print_summary(analysis: Analysis, console=None) -> None:
    """Print a summary (exercise, repetitions, form score and top cues, muscles) with rich. A workout of
    several exercises (``analysis.workout``) is summed up first and its repetitions are listed exercise by
    exercise; the whole-clip exercise answer is then shown as such."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    ex = analysis.exercise
    v = analysis.video
    head = Table(title=f"repvision: {escape(Path(v.path).name)}", show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column()
    top = ", ".join(f"{lab} {p:.0%}" for lab, p in ex.top)
    reps = analysis.repetitions
    form = analysis.form
    wk = analysis.workout
    if wk is not None:
        head.add_row("Workout", escape(wk.in_words()) + f": {wk.repetitions} in all"
                     + (f" (+{wk.partials} partial)" if wk.partials else "") + " (table below)")
        if wk.form_score is not None:
            head.add_row("Form score", f"{wk.form_score:.0f}/100  (every judged repetition of the workout)")
            head.add_row("Form verdict", escape(verdict_in_words(wk)))
        head.add_row("Whole clip", f"{ex.label} ({ex.confidence:.0%})   top-3: {top}")
    else:
        head.add_row("Exercise", f"{ex.label} ({ex.confidence:.0%})   top-3: {top}")
        head.add_row("Repetitions",
                     f"{reps.count}" + (f"  (+{len(reps.partials)} partial)" if reps.partials else ""))
        if len(analysis.sets) > 1:
            head.add_row("Sets", sets_in_words(analysis.sets))
        if form is not None:
            if form.score is not None:
                view = form.view.view if form.view is not None else "unknown"
                head.add_row("Form score", f"{form.score:.0f}/100  ({view} view)")
                head.add_row("Form verdict", verdict_in_words(form))
            else:
                head.add_row("Form", escape(form.message))
    if analysis.muscles is not None:
        head.add_row("Primary muscles", ", ".join(analysis.muscles.primary))
        head.add_row("Secondary muscles", ", ".join(analysis.muscles.secondary))
    act = analysis.muscle_activation
    if act is not None and act.ranked():
        head.add_row("Activation", ", ".join(f"{g} {a:.0%}" for g, a in act.ranked()[:6]))
    part = ("" if analysis.time_range_s is None
            else f"; analysed {analysis.time_range_s[0]:.1f}-{analysis.time_range_s[1]:.1f} s")
    head.add_row("Video", f"{v.width}x{v.height} px, {v.fps:.2f} fps, {v.duration_s:.1f} s{part}"
                 + (f", rotated {v.rotation_deg} deg" if v.rotation_deg else ""))
    head.add_row("Pose", f"{analysis.pose_model} model, person in {analysis.frames_with_person}/"
                 f"{analysis.frames_analysed} frames")
    t = analysis.timings_s
    head.add_row("Time", f"{t.get('total_s', 0):.1f} s" + (" (poses from cache)" if t.get("pose_cached") else ""))
    console.print(head)
    if analysis.parts:
        parts = Table(title="Exercises one after another (each counted and judged on its own)", title_justify="left")
        for col in ("#", "exercise", "time s", "reps", "form", "verdict", "top cue"):
            parts.add_column(col, justify="right" if col in ("#", "time s", "reps", "form") else "left",
                             overflow="fold")
        for i, pt in enumerate(analysis.parts):
            pf = pt.form
            score = "-" if pf is None or pf.score is None else f"{pf.score:.0f}"
            verdict = "-" if pf is None else escape(verdict_in_words(pf) if pf.score is not None else pf.message)
            n = pt.repetitions
            cue = top_cues(pf, 1) if pf is not None else []
            parts.add_row(str(i + 1), f"{pt.label} ({pt.segment.confidence:.0%})",
                          f"{pt.segment.start_s:.1f}-{pt.segment.end_s:.1f}",
                          f"{n.count}" + (f" (+{len(n.partials)} partial)" if n.partials else ""), score, verdict,
                          escape(f"{cue[0][2]} ({cue[0][1]}x)") if cue else "-")
        console.print(parts)
        for pt in analysis.parts:
            _print_repetitions(console, pt.repetitions, pt.form,
                               f"Repetitions: {pt.label.replace('_', ' ')}, "
                               f"{pt.segment.start_s:.1f}-{pt.segment.end_s:.1f} s")
    else:
        _print_repetitions(console, reps, form, "Repetitions")
    for w in analysis.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")


def tempo_text(rep, sep: str = " / ") -> str | None:
    """A repetition's tempo as text: eccentric then concentric duration in seconds (``"1.2 / 0.9"``, the
    lowering phase first as in tempo notation); None when the exercise has no defined concentric phase or is not
    known (:data:`repvision.reps.EXERCISE_JOINTS`)."""
    if rep.eccentric_s is None or rep.concentric_s is None:
        return None
    return f"{rep.eccentric_s:.1f}{sep}{rep.concentric_s:.1f}"


def _print_repetitions(console, reps, form, title: str) -> None:
    """The repetitions table of one set (the whole clip's, or one workout part's) with its form: per-repetition
    scores and cues, the top cues, the hold, and the checks the camera view did not allow."""
    from rich.markup import escape
    from rich.table import Table

    rep_forms = {r.index: r for r in form.reps} if form is not None else {}
    if reps.repetitions:
        table = Table(title=escape(title), title_justify="left")
        cols = ("#", "time s", "turn s", "ecc/con s", "ROM deg", "form", "cues")
        for col in cols:
            table.add_column(col, justify="left" if col == "cues" else "right", overflow="fold",
                             no_wrap=col != "cues")
        for r in reps.repetitions:
            rom = "-" if r.range_of_motion_deg is None else f"{r.range_of_motion_deg:.0f} {r.joint or ''}"
            rf = rep_forms.get(r.index)
            score = "-" if rf is None else f"{rf.score:.0f}"
            cues = "-" if rf is None else ("; ".join(i.cue for i in rf.issues) or "good")
            table.add_row(str(r.index + 1) + (" partial" if r.partial else ""), f"{r.start_s:.1f}-{r.end_s:.1f}",
                          f"{r.turn_s:.1f}", tempo_text(r, "/") or "-", rom, score, escape(cues))
        console.print(table)
    if form is None:
        return
    cues = top_cues(form)
    if cues:
        console.print("[bold]Top form cues[/]")
        n_judged = len(form.reps) or 1
        for check, n, cue in cues:
            where = f"{n} of {n_judged} reps" if form.mode == "reps" else f"{n}x"
            console.print(f"  - {escape(cue)} [dim]({check}, {where})[/]")
    elif form.score is not None:
        console.print("[green]No form issues found.[/]")
    if form.hold is not None:
        console.print(f"Hold: {form.hold.hold_s:.1f} s, {form.hold.good_s:.1f} s in good form")
    by_camera: dict[str, list[str]] = {}
    for sk in form.skipped:
        by_camera.setdefault(sk.camera or sk.reason, []).append(sk.check)
    view = form.view.view if form.view is not None else "unknown"
    for advice, checks in by_camera.items():
        console.print(f"[dim]not checked from the {view} view: {escape(', '.join(checks))}; "
                      f"{escape(advice)}[/]")


#: Seconds a form cue stays on the annotated video before and after the frame where it was measured.
CUE_LEAD_S = 0.3
CUE_HOLD_S = 2.0


def overlay_text(text: str) -> str:
    """``text`` in the ASCII that OpenCV's Hershey fonts can draw (degree sign -> ' deg', x-sign -> 'x')."""
    text = text.replace("°", " deg").replace("×", "x").replace("–", "-").replace("—", "-")
    return text.encode("ascii", "replace").decode("ascii")


def headline(analysis: Analysis) -> str:
    """One line for a report's title: ``"Squat: 2 repetitions"``, or for a workout of several exercises
    (``analysis.parts``) ``"Workout: pull up 3, squat 2 repetitions"``."""
    if analysis.parts:
        return "Workout: " + analysis.workout.in_words()
    return f"{analysis.exercise.label.replace('_', ' ').capitalize()}: {analysis.repetitions.count} repetitions"


def part_at(analysis: Analysis, time_s: float):
    """The :class:`repvision.types.ExercisePart` of ``analysis.parts`` whose segment holds ``time_s`` seconds, or
    None (a clip of one exercise, or a stretch where no exercise was recognised)."""
    for pt in analysis.parts:
        if pt.segment.start_s <= time_s < pt.segment.end_s:
            return pt
    return None


def overlay_state(analysis: Analysis, time_s: float) -> tuple[str, str, list[str]]:
    """What the annotated video shows at ``time_s`` seconds: ``(title, counter, cues)``, e.g.
    ``("squat (89%)", "reps: 1", [...])``. Inside one exercise of a workout (:func:`part_at`) that exercise, its
    own repetitions ended by then and its cues; between the exercises of a workout "unknown" without a count;
    in a clip of one exercise the clip's exercise, repetitions and cues."""
    pt = part_at(analysis, time_s)
    if pt is None and analysis.parts:
        return "unknown", "reps: -", []
    if pt is None:
        label, conf, reps, form = (analysis.exercise.label, analysis.exercise.confidence, analysis.repetitions,
                                   analysis.form)
    else:
        label, conf, reps, form = pt.label, pt.segment.confidence, pt.repetitions, pt.form
    count = sum(1 for r in reps.full if r.end_s <= time_s + 1e-6)
    return f"{label.replace('_', ' ')} ({conf:.0%})", f"reps: {count}", _cues(form, time_s)


def cues_at(analysis: Analysis, time_s: float) -> list[str]:
    """The form cues that apply at ``time_s`` seconds: those measured within :data:`CUE_LEAD_S` before to
    :data:`CUE_HOLD_S` after it (hold issues: for their whole duration), as ``"rep N: cue"`` lines. Inside one
    exercise of a workout (:func:`part_at`), that exercise's cues (its repetitions numbered from 1)."""
    pt = part_at(analysis, time_s)
    return _cues(analysis.form if pt is None else pt.form, time_s)


def _cues(form, time_s: float) -> list[str]:
    """:func:`cues_at` for one :class:`repvision.form.FormReport` (or None)."""
    if form is None:
        return []
    out = []
    for i in form.issues:
        hold = max(CUE_HOLD_S, i.duration_s or 0.0)
        if i.time_s - CUE_LEAD_S <= time_s <= i.time_s + hold:
            out.append(i.cue if i.rep_index is None else f"rep {i.rep_index + 1}: {i.cue}")
    return out


def _wrap(lines: list[str], width_chars: int, max_lines: int) -> tuple[str, ...]:
    import textwrap

    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(overlay_text(line), max(20, width_chars)) or [""])
    if len(out) > max_lines:
        out = out[:max_lines - 1] + [out[max_lines - 1][: max(0, width_chars - 3)] + "..."]
    return tuple(out)


def write_annotated_video(analysis: Analysis, video_path: str | os.PathLike, out_path: str | os.PathLike,
                          progress=None, max_size: int | None = None, crf: int = 23) -> Path:
    """Write an MP4 (H.264 via PyAV) of the video with the skeleton, exercise label, a live rep counter and the
    form cue of the moment (see :func:`overlay_state`: in a workout of several exercises, those of the exercise
    under way).

    Frames are re-decoded from ``video_path`` one at a time (never held in memory); when only a part of the
    video was analysed (``analysis.time_range_s``), only that part is written. Drawing uses OpenCV
    (installed with MediaPipe). ``max_size`` downscales the long side to at most that many pixels (None keeps
    the video's size); ``crf`` is x264's constant-rate factor (higher = smaller file, 23 = default quality).

    Raises
    ------
    ValueError
        ``analysis`` has no pose sequence attached.
    """
    import av

    from repvision.video import VideoReader

    pose = analysis.pose
    if pose is None:
        raise ValueError("the analysis carries no pose sequence; run analyze() again")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with VideoReader(video_path, max_size=max_size) as reader:
        w, h = reader.output_size
        w2, h2 = w - (w % 2), h - (h % 2)
        fps = reader.info.fps or 30.0
        scale = max(0.6, min(w, h) / 480)
        width_chars = int(w / (11 * scale))  # Hershey simplex at 0.6*scale: about 11*scale px per character
        # faststart: the index at the front, so a browser can play the MP4 before it has all of it
        container = av.open(str(out), mode="w", options={"movflags": "+faststart"})
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        from fractions import Fraction

        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = w2, h2, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "veryfast"}
        j = 0
        lo, hi = analysis.time_range_s or (-np.inf, np.inf)
        half = 0.5 / fps
        for frame in reader:
            if not lo - half <= frame.timestamp_s <= hi + half:   # only the part analysed (--start/--end)
                continue
            img = np.ascontiguousarray(frame.image[:h2, :w2])
            # pose row for this frame: the last analysed frame at or before this time
            while j + 1 < len(pose) and pose.timestamps[j + 1] <= frame.timestamp_s + 1e-6:
                j += 1
            title, counter, cues = overlay_state(analysis, frame.timestamp_s)
            img = draw_overlay(img, pose.keypoints[j], title, counter, _wrap(cues, width_chars, 4))
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(vf):
                container.mux(packet)
            if progress is not None:
                progress(frame.index + 1, reader.info.n_frames)
        for packet in stream.encode():
            container.mux(packet)
        container.close()
    return out


def write_html(analysis: Analysis, video_path: str | os.PathLike, out_path: str | os.PathLike, *,
               embed_video: bool = True, video_max_size: int | None = 640) -> Path:
    """Write one self-contained HTML report (no external URLs); see :func:`repvision.html_report.write_html`."""
    from repvision.html_report import write_html as _write

    return _write(analysis, video_path, out_path, embed_video=embed_video, video_max_size=video_max_size)


def draw_overlay(image: np.ndarray, keypoints: np.ndarray | None, title: str, counter: str,
                 lines: tuple[str, ...] = (), min_visibility: float = 0.3) -> np.ndarray:
    """Draw the skeleton, a title (exercise) and a counter line on a frame (OpenCV).

    Parameters
    ----------
    image:
        ``(H, W, 3)`` uint8 RGB; not modified (a new array is returned).
    keypoints:
        ``(33, 4)`` BlazePose landmarks (x, y normalised image coords, z, visibility) or None / all NaN.
    lines:
        Extra text lines (e.g. form cues), drawn under the header.
    """
    import cv2

    from repvision.skeleton import BLAZEPOSE_CONNECTIONS

    img = np.ascontiguousarray(image).copy()
    h, w = img.shape[:2]
    scale = max(0.6, min(w, h) / 480)
    thick = max(1, int(round(2 * scale)))
    if keypoints is not None and np.isfinite(keypoints[:, 0]).any():
        pts = np.nan_to_num(np.stack([keypoints[:, 0] * w, keypoints[:, 1] * h], axis=1)).astype(int)
        vis = np.nan_to_num(keypoints[:, 3])
        for a, b in BLAZEPOSE_CONNECTIONS:
            if a < 11 or b < 11:  # face landmarks: left out for a cleaner picture
                continue
            if vis[a] > min_visibility and vis[b] > min_visibility:
                pa, pb = (int(pts[a, 0]), int(pts[a, 1])), (int(pts[b, 0]), int(pts[b, 1]))
                cv2.line(img, pa, pb, (255, 255, 255), thick + 1, cv2.LINE_AA)
                cv2.line(img, pa, pb, (0, 200, 255), thick, cv2.LINE_AA)
        for i in range(11, 33):
            if vis[i] > min_visibility:
                cv2.circle(img, (int(pts[i, 0]), int(pts[i, 1])), thick + 2, (255, 80, 0), -1, cv2.LINE_AA)
    box_h = int((70 + 26 * len(lines)) * scale)
    overlay = img.copy()
    cv2.rectangle(overlay, (0, 0), (w, box_h), (0, 0, 0), -1)
    img = cv2.addWeighted(overlay, 0.55, img, 0.45, 0)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, title, (int(10 * scale), int(28 * scale)), font, 0.7 * scale, (255, 255, 255),
                max(1, thick - 1), cv2.LINE_AA)
    cv2.putText(img, counter, (int(10 * scale), int(60 * scale)), font, 0.9 * scale, (80, 255, 80), thick,
                cv2.LINE_AA)
    for k, line in enumerate(lines):
        cv2.putText(img, line, (int(10 * scale), int((88 + 26 * k) * scale)), font, 0.6 * scale, (255, 220, 80),
                    max(1, thick - 1), cv2.LINE_AA)
    return img
