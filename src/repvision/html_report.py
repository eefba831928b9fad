"""A single, self-contained HTML report of one analysis.

:func:`write_html` writes one ``.html`` file that needs nothing else: no external URLs, no scripts from the
network. Images are JPEG data URIs, plots are inline SVG (matplotlib, rendered without a display), the body map
is an SVG drawn here, and the annotated video is an H.264 MP4 embedded as a base64 data URI in a ``<video>``
tag (written with :func:`repvision.report.write_annotated_video`).

Parts of the page, each an element with a fixed ``id`` (tests and users can link to them):

``summary``
    exercise with the classifier's top-3, repetitions, form score, muscles, checks the camera view could not
    support (with where to put the camera), warnings.
``body-map``
    front and back silhouettes with the 11 muscle groups coloured by
    :func:`repvision.muscles.activation_from_prediction`.
``reps``
    one table row per repetition: times, range of motion, form score and cues.
``angle-plots``
    every measure the form rules judged, over time, with repetition boundaries, rule thresholds and the
    measured violations.
``keyframes``
    the frame at the turning point of the best and the worst repetition, skeleton drawn.
``annotated-video``
    the video with skeleton, rep counter and form cues.
``report-data``
    the JSON report (``<script type="application/json">``, layout :data:`repvision.report.REPORT_SCHEMA`).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from repvision.types import Analysis

__all__ = ["write_html", "render_html", "body_map_svg", "angle_plots", "keyframe_images", "activation_colour",
           "MAX_EMBEDDED_VIDEO_BYTES"]

#: Annotated videos larger than this are not embedded (the report says so); 40 MB keeps a page openable.
MAX_EMBEDDED_VIDEO_BYTES = 40 * 1024 * 1024

_esc = html.escape

# ----------------------------------------------------------------------------------------------- colours

_STOPS = ((0.0, (254, 237, 209)), (0.5, (252, 141, 89)), (1.0, (200, 30, 30)))
_NEUTRAL = "#dfe3e8"


def activation_colour(value: float) -> str:
    """Hex colour for an activation in [0, 1]: neutral grey below 0.01, then pale orange to deep red."""
    if not np.isfinite(value) or value < 0.01:
        return _NEUTRAL
    v = float(min(1.0, value))
    for (a, ca), (b, cb) in zip(_STOPS, _STOPS[1:]):
        if v <= b:
            f = (v - a) / (b - a)
            rgb = [round(x + f * (y - x)) for x, y in zip(ca, cb)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*_STOPS[-1][1])


def _score_colour(score: float | None) -> str:
    if score is None:
        return "#6b7280"
    return "#15803d" if score >= 85 else "#b45309" if score >= 65 else "#b91c1c"


# ----------------------------------------------------------------------------------------------- body map


def _silhouette(cx: float) -> list[str]:
    """Grey body shapes of one figure centred at ``cx`` (viewBox units, figure 0..380 high)."""
    g = f'fill="{_NEUTRAL}" stroke="#9aa3ad" stroke-width="1"'
    out = [
        f'<circle cx="{cx}" cy="30" r="18" {g}/>',
        f'<rect x="{cx - 7}" y="45" width="14" height="14" {g}/>',
        f'<path d="M{cx - 44} 62 Q{cx} 50 {cx + 44} 62 L{cx + 36} 176 L{cx - 36} 176 Z" {g}/>',
        f'<path d="M{cx - 36} 172 L{cx + 36} 172 L{cx + 40} 208 L{cx - 40} 208 Z" {g}/>',
    ]
    for s in (-1, 1):
        out += [
            f'<rect x="{cx + s * 54 - 10}" y="62" width="20" height="76" rx="10" {g}/>',
            f'<rect x="{cx + s * 58 - 8}" y="136" width="16" height="68" rx="8" {g}/>',
            f'<circle cx="{cx + s * 58}" cy="212" r="9" {g}/>',
            f'<rect x="{cx + s * 20 - 17}" y="204" width="34" height="96" rx="15" {g}/>',
            f'<rect x="{cx + s * 20 - 13}" y="296" width="26" height="74" rx="12" {g}/>',
            f'<ellipse cx="{cx + s * 22}" cy="374" rx="15" ry="6" {g}/>',
        ]
    return out


def _regions(cx: float, side: str) -> list[tuple[str, str]]:
    """``(muscle, svg shape without fill)`` of one figure; ``side`` is ``front`` or ``back``."""
    r: list[tuple[str, str]] = []
    for s in (-1, 1):
        r.append(("shoulders", f'<ellipse cx="{cx + s * 50}" cy="72" rx="14" ry="13"'))
    if side == "front":
        for s in (-1, 1):
            x0, x1 = cx + s * 3, cx + s * 38
            r.append(("chest", f'<path d="M{x0} 70 Q{cx + s * 20} 62 {x1} 70 L{cx + s * 36} 98 '
                               f'Q{cx + s * 20} 108 {x0} 102 Z"'))
            r.append(("biceps", f'<ellipse cx="{cx + s * 54}" cy="104" rx="8" ry="24"'))
            r.append(("obliques", f'<path d="M{cx + s * 34} 106 L{cx + s * 18} 110 L{cx + s * 18} 168 '
                                  f'L{cx + s * 31} 168 Z"'))
            r.append(("quads", f'<ellipse cx="{cx + s * 20}" cy="250" rx="14" ry="40"'))
        r.append(("abs", f'<rect x="{cx - 15}" y="108" width="30" height="62" rx="7"'))
    else:
        for s in (-1, 1):
            r.append(("lats", f'<path d="M{cx + s * 38} 78 L{cx + s * 6} 96 L{cx + s * 8} 146 '
                              f'L{cx + s * 30} 138 Z"'))
            r.append(("triceps", f'<ellipse cx="{cx + s * 54}" cy="104" rx="8" ry="24"'))
            r.append(("glutes", f'<ellipse cx="{cx + s * 18}" cy="192" rx="18" ry="15"'))
            r.append(("hamstrings", f'<ellipse cx="{cx + s * 20}" cy="256" rx="13" ry="36"'))
        r.append(("lower_back", f'<rect x="{cx - 18}" y="144" width="36" height="28" rx="6"'))
    return r


def body_map_svg(activation: dict[str, float]) -> str:
    """Inline SVG of a front and a back silhouette with each muscle group filled by its activation.

    ``activation``: group name (of :data:`repvision.muscles.MUSCLE_GROUPS`) -> [0, 1]; missing groups are
    drawn neutral. Every region carries ``class="muscle"``, ``data-muscle`` and ``data-activation`` and a
    ``<title>`` tooltip. Returns the ``<svg>`` element as a string.
    """
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 440 430" role="img" '
             'aria-label="Muscle activation, front and back" class="body-map">']
    for cx, side in ((110, "front"), (330, "back")):
        parts.append(f'<g class="figure" data-side="{side}">')
        parts += _silhouette(cx)
        for muscle, shape in _regions(cx, side):
            a = float(activation.get(muscle, 0.0))
            label = muscle.replace("_", " ")
            parts.append(f'{shape} class="muscle" data-muscle="{muscle}" data-activation="{a:.2f}" '
                         f'fill="{activation_colour(a)}" stroke="#6b7280" stroke-width="0.8">'
                         f'<title>{_esc(label)}: {a:.0%}</title></{shape.split()[0][1:]}>')
        parts.append(f'<text x="{cx}" y="400" text-anchor="middle" font-size="14" fill="#374151">'
                     f'{side.capitalize()}</text></g>')
    # legend
    parts.append('<defs><linearGradient id="act-grad" x1="0" x2="1" y1="0" y2="0">'
                 + "".join(f'<stop offset="{v:.2f}" stop-color="{activation_colour(max(v, 0.01))}"/>'
                           for v in np.linspace(0, 1, 6))
                 + "</linearGradient></defs>")
    parts.append('<rect x="120" y="412" width="200" height="10" rx="3" fill="url(#act-grad)"/>'
                 '<text x="114" y="421" text-anchor="end" font-size="11" fill="#374151">low</text>'
                 '<text x="326" y="421" font-size="11" fill="#374151">high</text>')
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------------------------- plots


def _plot_measures(analysis: Analysis) -> list[tuple[str, str, list[tuple[str, Any]]]]:
    """``(measure, description, [(check name, CheckRule), ...])`` to plot, driving joint angle first."""
    from repvision.form import MEASURES, load_rules

    form = analysis.form
    rules = load_rules(form.exercise) if form is not None and form.mode != "none" else None
    out: dict[str, list[tuple[str, Any]]] = {}
    if rules is not None:
        out[f"{rules.driving_joint}_angle"] = []
        for name in form.checks_run:
            rule = rules.checks.get(name)
            if rule is None or rule.measure in ("rep_duration", "eccentric_s", "concentric_s"):
                continue
            out.setdefault(rule.measure, []).append((name, rule))
    else:
        joints = {r.joint for r in analysis.repetitions.repetitions if r.joint}
        for j in sorted(joints) or ["knee", "elbow"]:
            if f"{j}_angle" in MEASURES:
                out[f"{j}_angle"] = []
    return [(m, MEASURES[m][1], checks) for m, checks in out.items()]


def angle_plots(analysis: Analysis) -> list[tuple[str, str]]:
    """SVG plots (matplotlib, Agg-free :class:`~matplotlib.figure.Figure`) of the form measures over time.

    One plot per measure judged by the exercise's form rules (the driving joint angle first; for an exercise
    without rules, the joint angles that drove the repetition counter). Each shows the per-frame value
    (smoothed as the rules see it) against time in seconds, the repetitions as shaded spans with their
    numbers, the turning points as dashed lines, every rule threshold as a horizontal line, and each form
    issue as a red dot at the frame where it was measured.

    Returns ``[(title, svg)]``; empty when the analysis has no pose sequence.
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    from repvision.form import load_rules, measure_series, moving_median

    pose = analysis.pose
    if pose is None or len(pose) < 2:
        return []
    form = analysis.form
    view = form.view.view if form is not None and form.view is not None else "side"
    rules = load_rules(form.exercise) if form is not None and form.mode != "none" else None
    driving = rules.driving_joint if rules is not None else "knee"
    t = pose.timestamps
    smooth_n = max(1, int(round(0.1 * pose.fps)))
    reps = analysis.repetitions.repetitions
    out: list[tuple[str, str]] = []
    colours = ("#2563eb", "#7c3aed", "#0891b2", "#b45309")
    for measure, desc, checks in _plot_measures(analysis):
        y = moving_median(measure_series(pose, measure, view, driving), smooth_n)
        if not np.isfinite(y).any():
            continue
        from repvision.form import MEASURES

        unit = MEASURES[measure][0]
        unit_label = {"deg": "degrees", "torso": "torso lengths", "ratio": "ratio", "s": "s"}[unit]
        with rc_context({"svg.fonttype": "none", "font.size": 9}):
            fig = Figure(figsize=(9.0, 2.6), dpi=100)
            ax = fig.add_subplot()
            for r in reps:
                shade = "#fde68a" if r.partial else ("#dbeafe" if r.index % 2 == 0 else "#dcfce7")
                ax.axvspan(r.start_s, r.end_s, color=shade, alpha=0.7, lw=0)
                ax.axvline(r.turn_s, color="#64748b", lw=0.8, ls="--")
                ax.text((r.start_s + r.end_s) / 2, 1.0, f"rep {r.index + 1}", transform=ax.get_xaxis_transform(),
                        ha="center", va="bottom", fontsize=8, color="#334155")
            ax.plot(t, y, color="#111827", lw=1.4, label=measure.replace("_", " "))
            for k, (name, rule) in enumerate(checks):
                c = colours[k % len(colours)]
                for bound, word in ((rule.min, "min"), (rule.max, "max")):
                    if bound is not None:
                        ax.axhline(bound, color=c, lw=1.1, ls=":",
                                   label=f"{name.replace('_', ' ')} {word} {bound:g}")
                if form is not None:
                    pts = [(i.time_s, i.value) for i in form.issues if i.check == name]
                    if pts:
                        px, py = zip(*pts)
                        ax.plot(px, py, "o", color="#dc2626", ms=5, zorder=5)
            ax.set_xlim(float(t[0]), float(t[-1]))
            ax.set_xlabel("time (s)")
            ax.set_ylabel(unit_label)
            ax.grid(alpha=0.3, lw=0.5)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            ax.legend(loc="best", fontsize=8, framealpha=0.85)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg")
        svg = buf.getvalue()
        svg = svg[svg.index("<svg"):]  # drop the XML declaration and DOCTYPE
        out.append((f"{measure.replace('_', ' ')}: {desc}", svg))
    return out


# ----------------------------------------------------------------------------------------------- keyframes


def _data_uri_jpeg(img: np.ndarray, quality: int = 85) -> str:
    import cv2

    ok, buf = cv2.imencode(".jpg", img[..., ::-1], [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    if not ok:  # pragma: no cover - OpenCV always encodes RGB uint8
        raise RuntimeError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def keyframe_images(analysis: Analysis, video_path: str | os.PathLike,
                    max_size: int = 720) -> list[dict[str, Any]]:
    """The frame at the turning point of the best and the worst repetition, with the skeleton drawn.

    Best/worst by form score (full repetitions preferred over partial ones); without form scores, the first
    repetition. In a workout of several exercises (``analysis.parts``), among the judged repetitions of all of
    them (each labelled with its exercise). Frames are decoded with :class:`repvision.video.VideoReader`
    (downscaled so the long side is at most ``max_size`` pixels); the video frame nearest in time to the turning
    point is used.

    Returns ``[{"role": "best"|"worst"|"rep", "rep": RepForm|Repetition, "label": exercise, "score":
    float|None, "time_s": float, "uri": JPEG data URI}]`` (one entry when best and worst are the same repetition;
    empty without repetitions or pose).
    """
    from repvision.report import _wrap, draw_overlay
    from repvision.video import VideoReader

    pose = analysis.pose
    form = analysis.form
    if pose is None:
        return []
    picks: list[tuple[str, Any, float | None, str]] = []
    # (repetition form, exercise): every part's in a workout, else the clip's
    if analysis.parts:
        scored = [(r, pt.label) for pt in analysis.parts if pt.form is not None for r in pt.form.reps]
    else:
        scored = [(r, analysis.exercise.label) for r in (form.reps if form is not None else ())]
    if scored:
        pool = [x for x in scored if not x[0].partial] or scored
        best = max(pool, key=lambda x: (x[0].score, -x[0].turn_frame))
        worst = min(pool, key=lambda x: (x[0].score, x[0].turn_frame))
        picks.append(("best", best[0], best[0].score, best[1]))
        if worst[0].turn_frame != best[0].turn_frame:
            picks.append(("worst", worst[0], worst[0].score, worst[1]))
    elif analysis.repetitions.repetitions:
        picks.append(("rep", analysis.repetitions.repetitions[0], None, analysis.exercise.label))
    if not picks:
        return []
    targets = []
    for role, rep, score, label in picks:
        f = int(np.clip(rep.turn_frame, 0, len(pose) - 1))
        targets.append((role, rep, score, label, f, float(pose.timestamps[f])))
    found: dict[int, tuple[float, np.ndarray]] = {}
    last_t = max(x[5] for x in targets)
    with VideoReader(video_path, max_size=max_size) as reader:
        for frame in reader:
            for k, (_, _, _, _, _, tt) in enumerate(targets):
                d = abs(frame.timestamp_s - tt)
                if k not in found or d < found[k][0]:
                    found[k] = (d, frame.image)
            if frame.timestamp_s > last_t + 0.5:
                break
    out = []
    for k, (role, rep, score, label, f, tt) in enumerate(targets):
        if k not in found:
            continue
        img = found[k][1]
        issues = getattr(rep, "issues", ())
        title = f"{label.replace('_', ' ')}: rep {rep.index + 1}" + ("" if score is None else f", form {score:.0f}/100")
        h, w = img.shape[:2]
        scale = max(0.6, min(w, h) / 480)
        lines = _wrap([i.cue for i in issues], int(w / (11 * scale)), 3)
        drawn = draw_overlay(img, pose.keypoints[f], title, f"{role} rep at {tt:.1f} s", lines)
        out.append({"role": role, "rep": rep, "label": label, "score": score, "time_s": tt,
                    "uri": _data_uri_jpeg(drawn)})
    return out


# ----------------------------------------------------------------------------------------------- page

_CSS = """
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --card:#ffffff; --bg:#f3f4f6; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color:var(--ink); background:var(--bg); line-height:1.45; }
header { background:#111827; color:#fff; padding:18px 28px; }
header h1 { margin:0; font-size:22px; font-weight:650; }
header p { margin:4px 0 0; color:#cbd5e1; font-size:13px; }
main { max-width:1100px; margin:0 auto; padding:20px; display:grid; gap:18px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 22px; }
h2 { margin:0 0 12px; font-size:17px; }
.stats { display:grid; grid-template-columns:repeat(auto-fit, minmax(190px, 1fr)); gap:12px; }
.stat { border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
.stat .k { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
.stat .v { font-size:26px; font-weight:700; }
.stat .s { font-size:13px; color:var(--muted); }
.bar { display:flex; align-items:center; gap:8px; font-size:13px; margin:3px 0; }
.bar .name { width:110px; }
.bar .track { flex:1; background:#eef2f7; border-radius:4px; height:10px; overflow:hidden; }
.bar .fill { height:100%; border-radius:4px; }
.bar .num { width:42px; text-align:right; color:var(--muted); }
.two { display:grid; grid-template-columns: minmax(260px, 440px) 1fr; gap:22px; align-items:start; }
@media (max-width: 760px) { .two { grid-template-columns: 1fr; } }
svg.body-map { width:100%; max-width:440px; height:auto; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:7px 9px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
th.num { text-align:right; }
td.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
.pill { display:inline-block; min-width:44px; text-align:center; color:#fff; border-radius:12px; padding:1px 8px;
        font-weight:650; font-size:13px; }
ul.cues { margin:0; padding-left:18px; } ul.cues li { margin:2px 0; }
.ok { color:#15803d; }
.timeline { display:flex; height:18px; border-radius:4px; overflow:hidden; margin:4px 0 12px; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; }
.note { color:var(--muted); font-size:13px; }
.skipped, .warnings { margin:12px 0 0; padding:10px 14px; border-radius:8px; font-size:13px; }
.skipped { background:#eff6ff; border:1px solid #bfdbfe; }
.warnings { background:#fffbeb; border:1px solid #fde68a; }
figure { margin:0 0 14px; }
figure.plot svg { width:100%; max-width:900px; height:auto; display:block; }
figcaption { font-size:13px; color:var(--muted); margin-top:4px; }
.frames { display:flex; flex-wrap:wrap; gap:16px; }
.frames figure { flex:1 1 300px; max-width:560px; }
.frames img { width:100%; height:auto; border-radius:8px; border:1px solid var(--line); }
video { width:100%; max-width:760px; max-height:70vh; display:block; background:#000; border-radius:8px; }
footer { color:var(--muted); font-size:12px; text-align:center; padding:8px 20px 26px; }
"""


def _bars(pairs: list[tuple[str, float]], colour_fn) -> str:
    rows = []
    for name, v in pairs:
        rows.append(f'<div class="bar"><span class="name">{_esc(name.replace("_", " "))}</span>'
                    f'<span class="track"><span class="fill" style="display:block;width:{100 * v:.0f}%;'
                    f'background:{colour_fn(v)}"></span></span><span class="num">{v:.0%}</span></div>')
    return "".join(rows)


def _summary(analysis: Analysis) -> str:
    from repvision.report import sets_detail

    ex = analysis.exercise
    reps = analysis.repetitions
    form = analysis.form
    score = form.score if form is not None else None
    view = form.view.view if form is not None and form.view is not None else None
    wk = analysis.workout
    if wk is not None:
        return _workout_summary(analysis, wk)
    stats = [
        ("Exercise", _esc(ex.label.replace("_", " ")), f"{ex.confidence:.0%} confidence"),
        ("Repetitions", str(reps.count), f"+{len(reps.partials)} partial" if reps.partials else "full repetitions"),
        ("Sets", f'<span id="sets">{len(analysis.sets)}</span>',
         _esc(sets_detail(analysis.sets))),
        ("Form score", "&ndash;" if score is None else
         f'<span style="color:{_score_colour(score)}">{score:.0f}</span><span class="s">/100</span>',
         f"{view} view" if view else "not judged"),
    ]
    if form is not None and form.verdict is not None:
        stats.append(_verdict_card(form))
    if form is not None and form.hold is not None:
        stats.append(("Hold", f"{form.hold.hold_s:.1f} s", f"{form.hold.good_s:.1f} s in good form"))
    m = analysis.muscles
    if m is not None:
        stats.append(("Muscles", _esc(", ".join(g.replace("_", " ") for g in m.primary)),
                      "secondary: " + _esc(", ".join(g.replace("_", " ") for g in m.secondary))))
    top = _bars([(lab, p) for lab, p in ex.top], lambda v: "#2563eb")
    parts = [f'<section id="summary"><h2>Summary</h2><div class="stats">{_cards(stats)}</div>',
             f'<h3 style="font-size:14px;margin:16px 0 6px">Exercise classifier, top {len(ex.top)}</h3>'
             f'<div id="top-exercises">{top}</div>']
    if form is not None and form.message:
        parts.append(f'<p class="note" id="form-message">{_esc(form.message)}</p>')
    from repvision.report import top_cues

    cues = top_cues(analysis)
    if cues:
        of = f" of {len(form.reps)} reps" if form.mode == "reps" else "&times;"
        items = "".join(f"<li>{_esc(cue)} <span class='note'>({_esc(check.replace('_', ' '))}: {n}{of})</span>"
                        f"</li>" for check, n, cue in cues)
        parts.append(f'<h3 style="font-size:14px;margin:12px 0 6px">Top form cues</h3><ul class="cues" '
                     f'id="top-cues">{items}</ul>')
    if form is not None and form.skipped:
        items = "".join(f"<li><b>{_esc(s.check.replace('_', ' '))}</b>: {_esc(s.reason)}</li>" for s in form.skipped)
        advice = list(dict.fromkeys(s.camera for s in form.skipped if s.camera))
        where = "".join(f"<p style='margin:6px 0 0'><b>Where to put the camera:</b> {_esc(a)}.</p>" for a in advice)
        parts.append(f'<div class="skipped" id="skipped-checks"><b>Not checked from this camera view</b>'
                     f'<ul class="cues">{items}</ul>{where}</div>')
    parts.append(_warnings(analysis))
    parts.append("</section>")
    return "".join(parts)


def _verdict_card(judged) -> tuple[str, str, str]:
    """The "Form verdict" summary card of a judged set (:class:`repvision.form.FormReport`) or workout
    (:class:`repvision.types.WorkoutSummary`)."""
    from repvision.report import VERDICT_WORDS

    bad = judged.verdict == "incorrect"
    value = (f'<span id="form-verdict" style="color:{"#dc2626" if bad else "#16a34a"}">'
             f'{VERDICT_WORDS[judged.verdict]}</span>')
    return "Form verdict", value, "major fault: " + _esc(judged.major_faults_in_words) if bad else "no major fault"


def _cards(stats: list[tuple[str, str, str]]) -> str:
    """Summary cards from ``(title, value, note)`` (value and note already HTML)."""
    return "".join(f'<div class="stat"><div class="k">{k}</div><div class="v">{v}</div><div class="s">{s}</div>'
                   f"</div>" for k, v, s in stats)


def _warnings(analysis: Analysis) -> str:
    if not analysis.warnings:
        return ""
    items = "".join(f"<li>{_esc(w)}</li>" for w in analysis.warnings)
    return f'<div class="warnings"><b>Warnings</b><ul class="cues">{items}</ul></div>'


def _workout_summary(analysis: Analysis, wk) -> str:
    """Summary of a workout of several exercises (:class:`repvision.types.WorkoutSummary`): what was done, the
    repetitions of all exercises, sets, and the form over all of them; the whole-clip classifier answer below
    it, named as such. Each exercise's own figures follow in "Exercises in this video"."""
    names = list(dict.fromkeys(lab.replace("_", " ") for lab in wk.exercises))
    score = wk.form_score
    stats = [
        ("Exercises", f'<span id="workout-exercises">{len(names)}</span>',
         _esc(", then ".join(lab.replace("_", " ") for lab in wk.exercises))),
        ("Repetitions", f'<span id="workout-reps">{wk.repetitions}</span>', _esc(wk.in_words())
         + (f", +{wk.partials} partial" if wk.partials else "")),
        ("Sets", f'<span id="sets">{wk.sets}</span>', "over all exercises"),
        ("Form score", "&ndash;" if score is None else
         f'<span style="color:{_score_colour(score)}">{score:.0f}</span><span class="s">/100</span>',
         "every judged repetition" if score is not None else "not judged"),
    ]
    if wk.verdict is not None:
        stats.append(_verdict_card(wk))
    ex = analysis.exercise
    top = _bars([(lab, p) for lab, p in ex.top], lambda v: "#2563eb")
    return (f'<section id="summary"><h2>Summary</h2><div class="stats">{_cards(stats)}</div>'
            f'<h3 style="font-size:14px;margin:16px 0 6px">Exercise classifier over the whole video, top '
            f'{len(ex.top)}</h3><div id="top-exercises">{top}</div>'
            f'<p class="note">Each exercise is counted and judged on its own in "Exercises in this video" and '
            f'"Repetitions, exercise by exercise" below.</p>{_warnings(analysis)}</section>')


_SEGMENT_COLOURS = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#db2777")


def _segments(analysis: Analysis) -> str:
    """Timeline and table of the exercises found one after another (empty when there is only one)."""
    from repvision.report import verdict_in_words

    segs = analysis.segments
    if len(segs) < 2:
        return ""
    t0, t1 = segs[0].start_s, segs[-1].end_s
    span = max(t1 - t0, 1e-9)
    labels = list(dict.fromkeys(s.label for s in segs if not s.is_unknown))
    colour = {lab: _SEGMENT_COLOURS[i % len(_SEGMENT_COLOURS)] for i, lab in enumerate(labels)}
    colour["unknown"] = "#d1d5db"
    blocks = "".join(
        f'<div title="{_esc(s.label)} {s.start_s:.1f}-{s.end_s:.1f} s" style="width:{100 * s.duration_s / span:.3f}%;'
        f'background:{colour[s.label]}"></div>' for s in segs)
    parts = {pt.segment.start_frame: pt for pt in analysis.parts}

    def judged(s) -> str:
        pt = parts.get(s.start_frame)
        if pt is None:
            return '<td class="num">-</td><td class="num">-</td><td>-</td>'
        f = pt.form
        score = "-" if f is None or f.score is None else f"{f.score:.0f}"
        verdict = "-" if f is None or f.verdict is None else verdict_in_words(f)
        return (f'<td class="num">{pt.repetitions.count}</td><td class="num">{score}</td>'
                f'<td>{_esc(verdict)}</td>')

    rows = "".join(
        f'<tr><td><span class="swatch" style="background:{colour[s.label]}">'
        f'</span>{_esc(s.label.replace("_", " "))}</td><td class="num">{s.start_s:.1f}</td>'
        f'<td class="num">{s.end_s:.1f}</td><td class="num">{s.duration_s:.1f}</td>'
        f'<td class="num">{s.confidence:.0%}</td>{judged(s)}</tr>' for s in segs)
    note = ("Each exercise is counted and its form judged on its own (reps, form, verdict); the summary above "
            "adds them up." if parts else
            "Repetitions and form are counted over the whole video for the main exercise (the summary above).")
    return ('<section id="segments"><h2>Exercises in this video</h2>'
            f'<div class="timeline">{blocks}</div>'
            '<table><thead><tr><th>exercise</th><th class="num">start s</th><th class="num">end s</th>'
            '<th class="num">duration s</th><th class="num">confidence</th><th class="num">reps</th>'
            f'<th class="num">form</th><th>verdict</th></tr></thead><tbody>{rows}</tbody>'
            f'</table><p class="note">{note} Grey: no exercise recognised.</p></section>')


def _body_map(analysis: Analysis) -> str:
    act = analysis.muscle_activation
    if act is None:
        from repvision.muscles import activation_from_prediction

        act = activation_from_prediction(analysis.exercise)
    ranked = act.ranked()
    bars = _bars(ranked, activation_colour) if ranked else '<p class="note">No muscle groups for this exercise.</p>'
    weighted = ", ".join(f"{lab.replace('_', ' ')} {p:.0%}" for lab, p in act.exercises)
    return (f'<section id="body-map"><h2>Muscles worked (estimate)</h2><div class="two"><div>'
            f"{body_map_svg(act.activation)}</div><div>{bars}"
            f'<p class="note">Estimated from the exercise classifier ({_esc(weighted)}): primary muscles count '
            f"fully, secondary ones half, weighted by each exercise's probability and scaled so the most worked "
            f"group is 100%. Not a measurement of effort. Source: {_esc(act.source)}.</p></div></div></section>")


def _rep_rows(reps, form) -> str:
    """Table rows of repetitions ``reps`` (:class:`Repetition`) with their form from ``form`` (or None)."""
    rf = {r.index: r for r in form.reps} if form is not None else {}
    rows = []
    for r in reps:
        f = rf.get(r.index)
        rom = "&ndash;" if r.range_of_motion_deg is None else f"{r.range_of_motion_deg:.0f}&deg;"
        if f is None:
            score, cues = "&ndash;", '<span class="note">not judged</span>'
        else:
            score = f'<span class="pill" style="background:{_score_colour(f.score)}">{f.score:.0f}</span>'
            cues = ("<ul class='cues'>" + "".join(f"<li>{_esc(i.cue)} <span class='note'>(at {i.time_s:.1f} s)"
                                                   f"</span></li>" for i in f.issues) + "</ul>"
                    if f.issues else '<span class="ok">good form</span>')
        note = " <span class='note'>(partial)</span>" if r.partial else ""
        rows.append(f'<tr data-rep="{r.index}"><td class="num">{r.index + 1}{note}</td>'
                    f'<td class="num">{r.start_s:.1f}&ndash;{r.end_s:.1f} s</td>'
                    f'<td class="num">{r.duration_s:.1f} s</td><td class="num">{_tempo(r)}</td>'
                    f'<td class="num">{rom}</td>'
                    f'<td class="num">{score}</td><td>{cues}</td></tr>')
    return "".join(rows)


_REP_HEAD = ('<table><thead><tr><th class="num">#</th><th class="num">time</th><th class="num">duration</th>'
             '<th class="num" title="eccentric (lowering) / concentric (lifting) phase">tempo, ecc / con</th>'
             '<th class="num">range of motion</th><th class="num">form</th><th>cues</th></tr></thead><tbody>')


def _tempo(rep) -> str:
    """Table cell text of a repetition's tempo (:func:`repvision.report.tempo_text`)."""
    from repvision.report import tempo_text

    text = tempo_text(rep)
    return "&ndash;" if text is None else f"{text} s"


def _reps_table(analysis: Analysis) -> str:
    """The repetitions with their form and cues: one table, or for a workout of several exercises
    (``analysis.parts``) one table per exercise."""
    if analysis.parts:
        tables = []
        for pt in analysis.parts:
            seg = pt.segment
            head = (f'<h3>{_esc(pt.label.replace("_", " "))}, {seg.start_s:.1f}&ndash;{seg.end_s:.1f} s: '
                    f'{pt.repetitions.count} repetitions</h3>')
            body = (_REP_HEAD + _rep_rows(pt.repetitions.repetitions, pt.form) + "</tbody></table>"
                    if pt.repetitions.repetitions else '<p class="note">No repetitions were found.</p>')
            tables.append(f'<div class="part" data-part="{_esc(pt.label)}">{head}{body}</div>')
        return ('<section id="reps"><h2>Repetitions, exercise by exercise</h2>' + "".join(tables)
                + f'<p class="note">Counted over the whole video without telling the exercises apart: '
                  f'{analysis.repetitions.count} repetitions.</p></section>')
    reps = analysis.repetitions.repetitions
    form = analysis.form
    if not reps:
        body = '<p class="note">No repetitions were found.</p>'
        if form is not None and form.mode == "hold" and form.issues:
            items = "".join(f"<li>{i.time_s:.1f} s: {_esc(i.cue)}</li>" for i in form.issues)
            body += f'<ul class="cues">{items}</ul>'
        return f'<section id="reps"><h2>Repetitions</h2>{body}</section>'
    return ('<section id="reps"><h2>Repetitions</h2>' + _REP_HEAD + _rep_rows(reps, form)
            + "</tbody></table></section>")


def _plots(analysis: Analysis) -> str:
    """Joint-angle plots of the whole clip, or for a workout of several exercises (``analysis.parts``) of each
    exercise over its own stretch, with its own repetitions, measures and limits."""
    import dataclasses

    def figures(plots) -> str:
        return "".join(f'<figure class="plot">{svg}<figcaption>{_esc(title)}</figcaption></figure>'
                       for title, svg in plots)

    if analysis.parts and analysis.pose is not None:
        blocks = []
        for pt in analysis.parts:
            seg = pt.segment
            one = dataclasses.replace(analysis, pose=analysis.pose.slice(seg.start_frame, seg.end_frame),
                                      repetitions=pt.repetitions, form=pt.form)
            blocks.append(f'<h3>{_esc(pt.label.replace("_", " "))}, {seg.start_s:.1f}&ndash;{seg.end_s:.1f} s</h3>'
                          + (figures(angle_plots(one)) or '<p class="note">No pose to plot.</p>'))
        figs = "".join(blocks)
    else:
        figs = figures(angle_plots(analysis))
    if not figs:
        return '<section id="angle-plots"><h2>Joint angles over time</h2><p class="note">No pose to plot.</p></section>'
    return ('<section id="angle-plots"><h2>Joint angles over time</h2><p class="note">Shaded: repetitions; dashed: '
            'turning points; dotted: the form rules\' limits; red dots: where a limit was broken.</p>'
            f"{figs}</section>")


def _keyframes(analysis: Analysis, video_path) -> str:
    frames = keyframe_images(analysis, video_path)
    if not frames:
        return ('<section id="keyframes"><h2>Best and worst repetition</h2>'
                '<p class="note">No repetitions to show.</p></section>')
    figs = []
    for k in frames:
        rep = k["rep"]
        words = {"best": "Best repetition", "worst": "Worst repetition", "rep": "Repetition"}[k["role"]]
        score = "" if k["score"] is None else f", form {k['score']:.0f}/100"
        issues = getattr(rep, "issues", ())
        cues = "; ".join(i.cue for i in issues) if issues else ("no form issues" if k["score"] is not None else "")
        which = f"{k['label'].replace('_', ' ')} rep" if analysis.parts else "rep"
        figs.append(f'<figure data-role="{k["role"]}"><img alt="{words} {rep.index + 1}" src="{k["uri"]}">'
                    f"<figcaption><b>{words}: {_esc(which)} {rep.index + 1}</b>{score} &middot; turning point at "
                    f"{k['time_s']:.1f} s{(' &middot; ' + _esc(cues)) if cues else ''}</figcaption></figure>")
    return (f'<section id="keyframes"><h2>Best and worst repetition</h2><div class="frames">{"".join(figs)}</div>'
            "</section>")


def _video(analysis: Analysis, video_path, embed: bool, max_size: int | None) -> str:
    head = '<section id="annotated-video"><h2>Annotated video</h2>'
    if not embed:
        return head + '<p class="note">The annotated video was not embedded.</p></section>'
    with tempfile.TemporaryDirectory(prefix="repvision-html-") as d:
        from repvision.report import write_annotated_video

        p = write_annotated_video(analysis, video_path, Path(d) / "annotated.mp4", max_size=max_size, crf=26)
        data = p.read_bytes()
    if len(data) > MAX_EMBEDDED_VIDEO_BYTES:
        return (head + f'<p class="note">The annotated video ({len(data) / 1e6:.0f} MB) is too large to embed; '
                "write it separately with <code>repvision analyze VIDEO --video out.mp4</code>.</p></section>")
    uri = "data:video/mp4;base64," + base64.b64encode(data).decode("ascii")
    return (head + f'<video controls muted playsinline preload="metadata" src="{uri}"></video>'
            '<p class="note">Skeleton, repetition counter and the form cue of the moment.</p></section>')


def render_html(analysis: Analysis, video_path: str | os.PathLike, *, embed_video: bool = True,
                video_max_size: int | None = 640) -> str:
    """The report page as a string (see the module docstring for its parts).

    ``video_path`` is the analysed video (decoded again for the keyframes and the annotated video);
    ``video_max_size`` bounds the long side of the embedded video in pixels (None: full size).

    Raises
    ------
    ValueError
        ``analysis`` carries no pose sequence (needed for plots, keyframes and the video).
    VideoNotFoundError, NotAVideoError, UnsupportedCodecError, NoDecodableFramesError
        ``video_path`` cannot be decoded.
    """
    if analysis.pose is None:
        raise ValueError("the analysis carries no pose sequence; run analyze() again")
    from repvision.report import SCHEMA_VERSION, headline

    name = Path(str(video_path)).name
    v = analysis.video
    data = json.dumps(analysis.to_dict()).replace("</", "<\\/")
    sources = ""
    if analysis.form is not None and analysis.form.mode != "none":
        from repvision.form import load_rules

        rules = load_rules(analysis.form.exercise)
        if rules is not None:
            items = "".join(f"<li><b>{_esc(n.replace('_', ' '))}</b>: {_esc(r.source)}</li>"
                            for n, r in rules.checks.items())
            sources = (f'<section id="sources"><h2>Where the form limits come from</h2>'
                       f'<ul class="cues note">{items}</ul></section>')
    body = "".join([
        _summary(analysis), _segments(analysis), _body_map(analysis), _reps_table(analysis), _plots(analysis),
        _keyframes(analysis, video_path), _video(analysis, video_path, embed_video, video_max_size), sources,
    ])
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>repvision report: {_esc(name)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_esc(headline(analysis))}</h1><p>{_esc(name)} &middot; {v.width}&times;{v.height} px, "
        f"{v.fps:.0f} fps, {v.duration_s:.1f} s"
        + ("" if analysis.time_range_s is None else
           f" &middot; analysed {analysis.time_range_s[0]:.1f}&ndash;{analysis.time_range_s[1]:.1f} s")
        + f" &middot; pose model {_esc(analysis.pose_model)}</p></header>"
        f"<main>{body}</main>"
        f'<footer>repvision report, JSON schema {SCHEMA_VERSION}. Form feedback and muscle estimates come from a '
        f"2-D pose; they support, not replace, a coach.</footer>"
        f'<script type="application/json" id="report-data">{data}</script>'
        "</body></html>"
    )


def write_html(analysis: Analysis, video_path: str | os.PathLike, out_path: str | os.PathLike, *,
               embed_video: bool = True, video_max_size: int | None = 640) -> Path:
    """Write the self-contained HTML report of ``analysis`` to ``out_path`` (parent folders created, written
    atomically); returns the path. Arguments and errors as :func:`render_html`."""
    page = render_html(analysis, video_path, embed_video=embed_video, video_max_size=video_max_size)
    p = Path(out_path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, p)
    return p
