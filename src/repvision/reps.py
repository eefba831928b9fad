"""Repetition counting from a pose sequence, offline and streaming.

Method (class-agnostic; numpy only)
-----------------------------------
1. **Pose representation.** The 13 common joints (:class:`repvision.skeleton.Joint`) are rescaled per frame and
   per axis to their own min-max box (:func:`repvision.features.normalize_box`). This is invariant to any
   per-axis scale and shift, so pixel, normalised-image and RepCount-A's per-frame box-rescaled poses give the
   same values. Keypoints below ``min_visibility`` are dropped; short gaps are filled linearly.
2. **1-D signal.** Principal component analysis of the 26 joint trajectories; of the first ``n_components``
   components the most periodic one (highest normalised autocorrelation peak in the allowed period range) is
   the counting signal -- the principal-component/periodicity approach of pose-based counters such as
   Ferreira et al., "Exploring workout repetition counting and validation through deep learning" (ICIAR 2020)
   and the autocorrelation period estimate of classic repetition counting (Levy & Wolf, "Live repetition
   counting", ICCV 2015; Dwibedi et al., RepNet, CVPR 2020, use the same self-similarity idea).
   With ``regularity_weight > 0`` the components are compared after a third detrending pass (window relative
   to the refined period), and each component's score is lowered by the irregularity of the cycles it yields
   (median relative deviation of the intervals between detected turns from its own autocorrelation period):
   a component is trusted when its cycle detector and its autocorrelation agree on the rate -- the
   period-consistency check used to validate counts in Levy & Wolf (ICCV 2015). The weight (0.5) was chosen
   by 5-fold grouped cross-validation on RepCount-A (:func:`repvision.bench.reps.cross_validate`). Measured on
   few intervals the irregularity is shrunk towards a neutral 0.5 (``irregularity_prior_intervals``), so a slow
   component that finds only two or three cycles does not win on a regularity it cannot show.
3. **Period and smoothing.** The dominant period is the first strong autocorrelation peak; the signal is
   Gaussian-smoothed with a sigma proportional to it, so fast (jumping jacks) and slow reps are both handled.
4. **Cycle detection.** The signal is normalised by a running min/max envelope (window proportional to the
   period) and passed through a two-threshold (hysteresis / Schmitt-trigger) state machine, as used by
   PoseRAC's action trigger (Yao et al., "PoseRAC", arXiv:2303.08450, enter/exit thresholds). Segments whose
   local amplitude is a small fraction of the set's robust amplitude are idle and never count. One
   repetition = rest -> turn -> rest, the rest side being where the signal spends more time.
   4b. **Halves joined.** A counting signal can swing twice within one repetition (a component that goes up on
   the way down and again on the way up), most visibly on a lone repetition between idle stretches, where the
   autocorrelation then finds a period of half the repetition. Each detected cycle should come back to the
   pose it started from; two consecutive cycles that each end further from their own start pose than their
   turn pose is from either end, and that together come back to the first one's start pose (closer than
   ``half_merge`` times their own start-to-end distances), are joined into one repetition turning where the
   first ended. A pose-space check in the spirit of the self-similarity of RepNet (Dwibedi et al., CVPR 2020):
   a repetition ends in the pose it began in.
   4c. **Halves joined by the joint angle** (offline counter and the streaming counter's final analysis). On a
   short clip of one or two repetitions the period cannot be measured (it is longer than the clip allows), and
   the counting signal can cut each repetition in two where the pose-space check of 4b sees no half (the
   chosen component is not the movement itself). The driving joint's angle (the exercise's, or without one
   the joint with the largest range of motion) tells: a repetition takes the angle out and brings it back. A
   cycle's *return* is its start-to-end angle difference over the angle's range inside it (0 = back where it
   started, 1 = one way only). When *every* cycle returns less than 60% of the way (return above
   :data:`HALF_RETURN`), consecutive pairs whose joined return is below ``joint_half_merge`` times the smaller
   of their own are joined, turning at the angle's extreme, and so again while a half is left next to a joined
   repetition that it brings further back (a repetition cut in three). Requiring every cycle to be a half keeps the
   joining away from sets of full repetitions where one pair happens to look so (seen on RepCount-A videos
   with noisy joint angles). On the 1026 annotated RepCount-A repetitions cut out one by one,
   counted as exactly 1 went from 50.9% to 66.0% (``benchmarks/reps_single.py``).
5. **Partial repetitions** are cycles whose amplitude is below ``partial_fraction`` of the median amplitude
   of the sequence's cycles; they are listed but not counted.
6. **Frame rate and phase votes.** Steps 1-5 run on a uniform 30 Hz grid (:data:`COUNTING_RATE_HZ`): a
   sequence at another rate or with irregular timestamps (``--stride``, variable-frame-rate video, dropped live
   frames) is resampled first, and repetition times are mapped back to its own frames. The offline counter
   runs ``phase_votes`` times on the grid starting 0..4 frames later and keeps the median count -- test-time
   augmentation, because the choice of counting signal in step 2 can flip with a one-frame shift. It does the
   same at small camera rolls (``roll_votes_deg``, -2, 0 and 2 degrees: the keypoints turned in the image plane):
   each roll's median count is taken, and the median of those kept. Turning RepCount-A's poses by 2 degrees
   changed 21 of the 76 single-roll counts (``benchmarks/reps_roll.py --rolls -2 2 --set roll_votes_deg=[0]``).

The streaming counter (:class:`StreamingRepCounter`) re-runs the offline analysis on the history every few
frames (causal: only frames already seen) and reports by count: when the running analysis holds more full
repetitions than were reported, in two consecutive analyses, one more is reported. This keeps the live count
close to the offline count of the same frames and never reports one repetition twice. Its running analyses do
not join half cycles (steps 4b and 4c; the end of the history cuts the last cycle short), its final one does. Nothing is
reported before the analysis holds three full repetitions (``first_report_reps``): analyses of a short history find
"ghost" cycles while the person gets into position, and a report is never withdrawn.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from repvision.errors import ConfigError
from repvision.features import ANGLES, angle_between, normalize_box, rotate_sequence
from repvision.types import ExerciseSet, PoseSequence, Repetition, RepetitionCount

__all__ = [
    "RepCounterConfig", "count_repetitions", "StreamingRepCounter", "MultiPersonRepCounter",
    "EXERCISE_JOINTS", "counting_signal", "candidate_signals", "split_sets", "SET_GAP_S",
]

#: Driving joint per exercise and whether flexing that joint is the concentric (lifting) phase.
#: From standard exercise descriptions (e.g. NSCA, "Essentials of Strength Training and Conditioning", 4th ed.):
#: squat/lunge/push-up/bench/dip lower the load by flexing (eccentric), pull-up/curl/sit-up lift it by flexing.
#: ``None`` for flexion means the exercise has no defined concentric phase (e.g. jumping jacks).
EXERCISE_JOINTS: dict[str, tuple[str, bool | None]] = {
    "squat": ("knee", False),
    "lunge": ("knee", False),
    "push_up": ("elbow", False),
    "bench_press": ("elbow", False),
    "dip": ("elbow", False),
    "pull_up": ("elbow", True),
    "bicep_curl": ("elbow", True),
    "shoulder_press": ("elbow", False),
    "sit_up": ("hip", True),
    "deadlift": ("hip", False),
    "front_raise": ("shoulder", False),
    "lateral_raise": ("shoulder", False),
    "jumping_jack": ("shoulder", None),
    "clean_and_jerk": ("knee", None),
    "jump_rope": ("knee", None),
}
# front/lateral raise: the shoulder angle (hip-shoulder-elbow) *opens* while lifting, so flexing the measured
# angle is the lowering (eccentric) half -> False; shoulder press: elbow extends while lifting -> False.


@dataclass(frozen=True)
class RepCounterConfig:
    """Settings of the repetition counter (one fixed set for every video and exercise).

    Times are seconds; fractions are of the sequence's robust signal amplitude unless stated.

    Attributes
    ----------
    min_visibility: keypoints with visibility below this are treated as missing.
    min_joints: frames with fewer visible joints (of 13) are treated as missing.
    max_gap_s: missing runs up to this long are filled by linear interpolation; longer ones are idle.
    min_period_s, max_period_s: range of repetition periods searched (RepCount-A reps last 0.37-10 s).
    n_components: principal components tried as counting signal.
    pre_smooth_s: Gaussian sigma applied before PCA (removes pose jitter).
    smooth_fraction: Gaussian sigma of the counting signal as a fraction of the period.
    envelope_periods: window of the running min/max envelope, in periods.
    envelope_min_s: shortest envelope window (s), so jitter between fast cycles is not blown up.
    enter, exit: hysteresis thresholds on the envelope-normalised signal (0 = rest side, 1 = turn side).
    min_amplitude: local envelope amplitude (fraction of the robust amplitude) below which a segment is idle.
    partial_fraction: cycles with amplitude below this fraction of the median cycle amplitude are partial.
    min_rep_fraction: cycles shorter than this fraction of the period are merged into their neighbour.
    fallback_period_s: period assumed when the signal shows no periodicity (e.g. a single repetition).
    detrend_s: running-median window (s) removing posture changes before the first period estimate.
    detrend_periods: running-median window, in periods, of the second (final) estimate.
    amplitude_quantile: percentile of the running envelope span taken as the set's robust amplitude.
    standardize: scale each joint coordinate to unit variance (plus a floor) before PCA.
    period_rel: the period is the first autocorrelation peak at least this fraction of the strongest one.
    max_period_fraction: longest period searched, as a fraction of the sequence length.
    variance_weight: exponent of the (relative) component variance in the component score.
    min_displacement: smallest pose change (RMS joint distance between turn and rest pose, in units of the
        13-joint box) for a cycle to count -- an absolute floor that keeps pose jitter while idle from counting.
    regularity_weight: weight of the cycle-interval irregularity (median relative deviation of the intervals
        between detected turns from the component's own period) subtracted from a component's periodicity
        score when choosing the counting signal; 0 = periodicity alone. Chosen by grouped cross-validation
        on RepCount-A (see :mod:`repvision.bench.reps`).
    irregularity_prior_intervals, irregularity_prior: the irregularity of a candidate whose cycles give ``n``
        intervals is shrunk towards ``irregularity_prior`` with this many pseudo-intervals,
        ``(n * irregularity + K * prior) / (n + K)``: measured on one or two intervals it is unreliable, and a
        slow component that finds only two or three cycles otherwise looks perfectly regular. 0 = no shrinking.
        K = 2 (prior 0.5, halfway between perfectly regular and the 1.0 given to a single cycle) was picked
        in-sample on RepCount-A among K 1, 2, 4, 8 and priors 0.25, 0.5, 1.0 and is cross-validated with
        ``regularity_weight`` and ``half_merge`` (:data:`repvision.bench.reps.CV_GRID`;
        ``benchmarks/reps_cv_grid.py`` for the wider grid). Offline only, like the phase and roll votes: the
        streaming counter's analyses do not shrink. Its early analyses of a short history all have few cycles,
        and in an exploratory run on RepCount-A (not kept) shrinking there let more "ghost" cycles be reported,
        most changed streaming counts moving away from the annotated ones.
    phase_votes: the offline counter runs this many times, on the sequence starting 0, 1, ...,
        ``phase_votes - 1`` frames (of the 30 Hz counting grid) later, and keeps the run whose count is the
        median (test-time augmentation). A single run's choice of counting signal can flip when the sequence
        starts one frame later (on RepCount-A, start shifts of 0-3 frames: single-run MAE 0.186-0.236, median of
        5 runs 0.187-0.215; ``benchmarks/reps_stride.py --strides 1 --phase-votes N``). 1 = a single run. The
        streaming counter always makes a single run.
    half_merge: two consecutive cycles that are each a half of one repetition are joined when, together, they
        come back to within this fraction of their own start-to-end pose distance (module docstring, step
        4b); 0 = never join. On RepCount-A it changes 3 of 76 counts (all to the annotated count; offline MAE
        0.200 -> 0.189). 0.3 was picked there in-sample among 0.2-1.0 (0.2 and 0.3 give the same counts, 0.4-1.0
        put one count further off) and is cross-validated with ``regularity_weight``
        (:data:`repvision.bench.reps.CV_GRID`; grouped 5-fold CV MAE 0.206 -> 0.199).
    joint_half_merge: when every cycle is a half in the driving joint's angle, two consecutive ones are joined
        when together they come back to within this fraction of the smaller of their own start-to-end angle
        differences (relative to the angle's range; module docstring, step 4c); 0 = never. 0.5 was set by
        looking at lone push-ups of PushFit (``videos/``) cut in two, not fitted to RepCount-A, whose counts
        it changes in one video of 76 (train3335, 2 -> 1, annotated 1).
    roll_votes_deg: camera rolls (degrees, positive = counter-clockwise on the screen) the offline counter also
        counts at: the keypoints are turned by each angle in the image plane
        (:func:`repvision.features.rotate_sequence`) before step 1, each roll gets its ``phase_votes`` runs and
        their median count, and the run of the roll whose count is the median of those is kept (module
        docstring, step 6). The
        counting signal's choice can flip when the camera is tilted by a degree or two, like with a one-frame
        shift. ``(0,)`` = no roll votes. The streaming counter makes a single run.
    """

    min_visibility: float = 0.5
    min_joints: int = 8
    max_gap_s: float = 1.0
    min_period_s: float = 0.25
    max_period_s: float = 10.0
    n_components: int = 4
    pre_smooth_s: float = 0.03
    smooth_fraction: float = 0.08
    envelope_periods: float = 2.0
    enter: float = 0.65
    exit: float = 0.35
    min_amplitude: float = 0.25
    partial_fraction: float = 0.5
    min_rep_fraction: float = 0.35
    fallback_period_s: float = 2.0
    detrend_s: float = 12.0
    detrend_periods: float = 5.0
    amplitude_quantile: float = 90.0
    standardize: bool = True
    period_rel: float = 0.8
    max_period_fraction: float = 0.6
    variance_weight: float = 0.5
    min_displacement: float = 0.05
    envelope_min_s: float = 2.0
    regularity_weight: float = 0.5
    irregularity_prior_intervals: float = 2.0
    irregularity_prior: float = 0.5
    phase_votes: int = 5
    half_merge: float = 0.3
    joint_half_merge: float = 0.5
    roll_votes_deg: tuple[float, ...] = (-2.0, 0.0, 2.0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.exit < self.enter <= 1.0:
            raise ConfigError(
                expected="0 <= exit < enter <= 1", found=f"enter={self.enter}, exit={self.exit}",
                fix="Choose hysteresis thresholds with exit below enter.",
            )
        if not 0 < self.min_period_s < self.max_period_s:
            raise ConfigError(
                expected="0 < min_period_s < max_period_s",
                found=f"min_period_s={self.min_period_s}, max_period_s={self.max_period_s}",
                fix="Give a positive period range.",
            )
        if self.phase_votes < 1:
            raise ConfigError(expected="phase_votes >= 1", found=str(self.phase_votes), fix="Use 1 or more.")
        if self.n_components < 1:
            raise ConfigError(expected="n_components >= 1", found=str(self.n_components), fix="Use 1 or more.")
        rolls = tuple(float(r) for r in self.roll_votes_deg) if isinstance(self.roll_votes_deg, (list, tuple)) else ()
        if not rolls or not all(np.isfinite(r) and abs(r) <= 45.0 for r in rolls):
            raise ConfigError(expected="roll_votes_deg: a non-empty list of angles within +-45 degrees",
                              found=repr(self.roll_votes_deg), fix="Use e.g. [0] for no roll votes or [-2, 0, 2].")
        object.__setattr__(self, "roll_votes_deg", rolls)   # a TOML/JSON list becomes a tuple (hashable, frozen)
        if not (self.irregularity_prior_intervals >= 0.0 and 0.0 <= self.irregularity_prior <= 1.0):
            raise ConfigError(expected="irregularity_prior_intervals >= 0 and 0 <= irregularity_prior <= 1",
                              found=f"irregularity_prior_intervals={self.irregularity_prior_intervals}, "
                                    f"irregularity_prior={self.irregularity_prior}",
                              fix="Use irregularity_prior_intervals = 0 to turn the shrinking off.")
        if not 0.0 <= self.half_merge <= 1.0:
            raise ConfigError(expected="0 <= half_merge <= 1", found=str(self.half_merge),
                              fix="Use 0 to turn the joining of half cycles off, or a ratio up to 1.")
        if not 0.0 <= self.joint_half_merge <= 1.0:
            raise ConfigError(expected="0 <= joint_half_merge <= 1", found=str(self.joint_half_merge),
                              fix="Use 0 to turn the joining of half cycles by the joint angle off, or a "
                                  "ratio up to 1.")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "RepCounterConfig":
        """Build from a mapping; raises :class:`repvision.errors.ConfigError` naming unknown keys."""
        d = dict(d or {})
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(k for k in d if k not in valid)
        if unknown:
            raise ConfigError(
                expected=f"repetition-counter settings among {', '.join(valid)}",
                found=f"unknown key(s) {', '.join(unknown)}",
                fix="Remove or rename the unknown setting(s).",
            )
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ----------------------------------------------------------------------------------------------- helpers


def _gauss_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 (``x``: (T,) or (T, D)), edges reflected; sigma in frames."""
    if sigma < 0.2 or len(x) < 3:
        return np.asarray(x, dtype=np.float64).copy()
    r = int(min(np.ceil(3 * sigma), len(x) - 1))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    x2 = np.asarray(x, dtype=np.float64)
    squeeze = x2.ndim == 1
    if squeeze:
        x2 = x2[:, None]
    pad = np.pad(x2, ((r, r), (0, 0)), mode="reflect")
    out = np.empty_like(x2)
    for j in range(x2.shape[1]):
        out[:, j] = np.convolve(pad[:, j], k, mode="valid")
    return out[:, 0] if squeeze else out


def _fill(x: np.ndarray) -> np.ndarray:
    """Linear interpolation of NaN along axis 0 (edges held); all-NaN columns become 0."""
    x = np.array(x, dtype=np.float64, copy=True)
    flat = x.reshape(len(x), -1)
    idx = np.arange(len(x))
    for j in range(flat.shape[1]):
        ok = np.isfinite(flat[:, j])
        if ok.all():
            continue
        flat[:, j] = np.interp(idx, idx[ok], flat[ok, j]) if ok.any() else 0.0
    return flat.reshape(x.shape)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Start/stop (exclusive) of True runs."""
    m = np.r_[False, np.asarray(mask, bool), False].astype(np.int8)
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


_AC_BIAS = 0.5


def _autocorr(s: np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised autocorrelation (lags 0..max_lag) of a zero-mean signal, via FFT."""
    n = len(s)
    s = s - s.mean()
    f = np.fft.rfft(s, 2 * n)
    ac = np.fft.irfft(f * np.conj(f))[: max_lag + 1]
    # partially unbiased: divide by overlap**bias (0 = biased estimate, 1 = unbiased), then by lag 0
    ac = ac / np.maximum(n - np.arange(max_lag + 1), 1) ** _AC_BIAS
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def _running_median(x: np.ndarray, w: int) -> np.ndarray:
    """Centred running median along axis 0 of ``(T, D)`` with window ``w`` frames (edges padded with the
    edge value). Evaluated on a grid of ~w/16 frames (each window subsampled to <= 48 samples) and linearly
    interpolated between grid points -- exact enough for detrending, and fast."""
    n = len(x)
    w = max(1, int(w) | 1)
    r = w // 2
    if r == 0 or n < 2:
        return x.copy()
    step = max(1, w // 16)
    sub = max(1, w // 48)
    pad = np.pad(x, ((r, r), (0, 0)), mode="edge")
    grid = np.arange(0, n, step)
    if grid[-1] != n - 1:
        grid = np.r_[grid, n - 1]
    offs = np.arange(0, w, sub)
    med = np.median(pad[grid[:, None] + offs[None, :]], axis=1)
    idx = np.arange(n)
    return np.stack([np.interp(idx, grid, med[:, j]) for j in range(x.shape[1])], axis=1)


def _detrend(x: np.ndarray, valid: np.ndarray, w: int, standardize: bool) -> np.ndarray:
    """Remove slow posture changes (running median, window ``w`` frames) and optionally scale each column to
    unit variance (with a floor of a quarter of the median column deviation, so still joints stay small)."""
    xd = x - _running_median(x, w) if w > 2 else x - x[valid].mean(axis=0)
    xd = np.where(valid[:, None], xd, 0.0)
    if standardize and valid.sum() >= 3:
        sd = xd[valid].std(axis=0)
        floor = 0.25 * float(np.median(sd)) + 1e-9
        xd = xd / np.maximum(sd, floor)
    return xd


def _pick_period(ac: np.ndarray, lo: int, hi: int, rel: float) -> tuple[float, float]:
    """First autocorrelation peak in ``[lo, hi]`` at least ``rel`` times the strongest one (avoids picking a
    multiple of the period); parabolic sub-frame refinement. Returns (period frames or nan, peak value)."""
    hi = min(hi, len(ac) - 2)
    if hi <= lo + 2:
        return float("nan"), 0.0
    i = np.arange(max(lo, 1), hi + 1)
    pk = i[(ac[i] > ac[i - 1]) & (ac[i] >= ac[i + 1]) & (ac[i] > 0)]
    if pk.size == 0:
        return float("nan"), 0.0
    best = ac[pk].max()
    k = int(pk[ac[pk] >= rel * best][0])
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    den = a - 2 * b + c
    off = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) if den < 0 else 0.0
    return float(k + off), float(b)


def _components(x, valid, lo, hi, detrend_w, cfg):
    """Detrend, PCA, and for each of the first ``n_components`` principal components its period and
    periodicity score (autocorrelation peak, slightly favouring high-variance components).

    Returns a list of (score, period frames, component rank, signal (T,), strength), best score first; empty
    when no component shows a period in range.
    """
    n = len(x)
    xd = _detrend(x, valid, detrend_w, cfg.standardize)
    if valid.sum() < 3:
        return []
    hi = min(hi, int(n * cfg.max_period_fraction))
    if hi <= lo + 2:
        return []
    cov = np.cov(xd[valid].T)
    w, v = np.linalg.eigh(np.atleast_2d(cov))
    order = np.argsort(w)[::-1][: cfg.n_components]
    out = []
    for rank, k in enumerate(order):
        s = xd @ v[:, k]
        per, stren = _pick_period(_autocorr(s, hi + 2), lo, hi, cfg.period_rel)
        if not np.isfinite(per):
            continue
        score = stren * (max(w[k], 0.0) / max(w[order[0]], 1e-12)) ** cfg.variance_weight
        out.append((score, per, rank, s, stren))
    out.sort(key=lambda c: -c[0])
    return out


def _best_component(x, valid, lo, hi, detrend_w, cfg):
    """The most periodic of the first ``n_components`` principal components (see :func:`_components`).

    Returns (period frames or nan, component rank, signal (T,), strength).
    """
    cands = _components(x, valid, lo, hi, detrend_w, cfg)
    if not cands:
        n = len(x)
        if valid.sum() < 3:
            return float("nan"), -1, np.zeros(n), 0.0
        xd = _detrend(x, valid, detrend_w, cfg.standardize)
        cov = np.cov(xd[valid].T)
        w, v = np.linalg.eigh(np.atleast_2d(cov))
        return float("nan"), 0, xd @ v[:, int(np.argmax(w))], 0.0
    _, per, rank, s, stren = cands[0]
    return per, rank, s, stren


def _irregularity(cycles: list["_Cycle"], period: float, prior_intervals: float = 0.0,
                  prior: float = RepCounterConfig.irregularity_prior) -> float:
    """Median relative deviation of the intervals between consecutive turns from the period (1.0 with fewer
    than two cycles). Low for a signal whose detected cycles tick at the rate its autocorrelation claims.

    Measured on ``n`` intervals, it is shrunk towards ``prior`` as if ``prior_intervals`` more intervals had
    shown that deviation: ``(n * median + prior_intervals * prior) / (n + prior_intervals)`` (additive
    smoothing of an estimate from few observations). One or two intervals say little: the autocorrelation of a
    signal with two bumps peaks at their spacing, so a candidate that finds two cycles matches its own period
    by construction."""
    if len(cycles) < 2 or not period > 0:
        return 1.0
    iv = np.diff([c.turn for c in cycles])
    irr = float(np.median(np.abs(iv - period)) / period)
    return (len(iv) * irr + prior_intervals * prior) / (len(iv) + prior_intervals)


@dataclass
class _Signal:
    signal: np.ndarray      # (T,) smoothed counting signal, turn side positive
    valid: np.ndarray       # (T,) bool, frame has (possibly interpolated) pose
    period: float           # frames
    strength: float         # autocorrelation at the period
    fps: float
    component: int
    pose: np.ndarray | None = None   # (T, 26) filled, lightly smoothed box-normalised joints


def _pose_features(seq: PoseSequence, cfg: RepCounterConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(T, 26)`` box-normalised joint x/y (NaN where missing) and ``(T,)`` bool frame-valid mask."""
    j = seq.to_joints13()
    xy = j.xy_pixels().astype(np.float64)
    vis = j.keypoints[..., 3].astype(np.float64)
    vis = np.where(np.isfinite(vis), vis, 1.0)
    bad = (vis < cfg.min_visibility) | ~np.isfinite(xy).all(axis=-1)
    xy[bad] = np.nan
    enough = (~bad).sum(axis=1) >= cfg.min_joints
    xy[~enough] = np.nan
    box = normalize_box(xy)
    return box.reshape(len(box), -1), enough


def _prepared(seq: PoseSequence, cfg: RepCounterConfig):
    """Step 1 of the module docstring: ``(T, 26)`` filled, lightly smoothed box-normalised joints, ``(T,)``
    valid mask (short gaps filled), fps, and the period range searched ``(lo, hi)`` in frames; None when
    fewer than 3 frames have a pose."""
    n = len(seq)
    fps = seq.fps if seq.fps > 0 else 30.0
    feat, ok = _pose_features(seq, cfg)
    valid = ok.copy()
    # fill short gaps, mark long gaps idle
    max_gap = int(round(cfg.max_gap_s * fps))
    for a, b in _runs(~ok):
        if b - a <= max_gap and a > 0 and b < n:
            valid[a:b] = True
    if ok.sum() < 3:
        return None
    x = _fill(feat)
    # per-column NaN (never-seen joints) handled by _fill -> 0; drop constant columns
    x = _gauss_smooth(x, cfg.pre_smooth_s * fps)
    lo = max(2, int(np.floor(cfg.min_period_s * fps)))
    hi = int(np.ceil(cfg.max_period_s * fps))
    return x, valid, fps, lo, hi


def _candidates(x, valid, fps, lo, hi, cfg):
    """Steps 2-3 up to the choice: pass 1 (long detrend) and the period-relative passes 2 and 3.

    Returns (pass-1 result of :func:`_best_component`, candidates of the last pass as in :func:`_components`,
    whether pass 3 ran)."""
    first = _best_component(x, valid, lo, hi, int(round(cfg.detrend_s * fps)), cfg)
    per = first[0]
    cands: list = []
    third = False
    if np.isfinite(per):
        cands = _components(x, valid, lo, hi, int(round(cfg.detrend_periods * per)), cfg)
        if cands and cfg.regularity_weight > 0:
            # pass 3: detrend relative to the refined period before comparing candidates
            cands = _components(x, valid, lo, hi, int(round(cfg.detrend_periods * cands[0][1])), cfg) or cands
            third = True
    return first, cands, third


def _candidate_signal(cand, valid, fps, x, cfg) -> _Signal:
    score, per, comp, s, strength = cand
    return _Signal(_gauss_smooth(s, cfg.smooth_fraction * per), valid, float(per), float(strength), fps,
                   int(comp), x)


def candidate_signals(seq: PoseSequence, config: RepCounterConfig | None = None) -> list[_Signal]:
    """Every counting signal the counter chooses from (module docstring, step 2): one per principal component
    with a period in range, after the period-relative detrending, best periodicity score first (the counter
    itself may then prefer another by cycle regularity). Each has ``signal`` ``(T,)``, ``period`` (frames),
    ``strength``, ``component`` (rank). Empty for a sequence without a pose in 3 frames or without a period.
    For diagnostics (``benchmarks/reps_oracle.py``)."""
    cfg = config or RepCounterConfig()
    prep = _prepared(seq, cfg)
    if prep is None:
        return []
    x, valid, fps, lo, hi = prep
    _, cands, _ = _candidates(x, valid, fps, lo, hi, cfg)
    return [_candidate_signal(c, valid, fps, x, cfg) for c in cands]


def counting_signal(seq: PoseSequence, config: RepCounterConfig | None = None) -> _Signal:
    """The 1-D counting signal of a sequence (see module docstring, steps 1-3).

    Returns an object with ``signal`` ``(T,)`` (unitless, larger = turn side), ``valid`` ``(T,)`` bool,
    ``period`` (frames), ``strength`` (autocorrelation at that period, 0..1), ``fps``.
    """
    cfg = config or RepCounterConfig()
    n = len(seq)
    prep = _prepared(seq, cfg)
    if prep is None:
        fps = seq.fps if seq.fps > 0 else 30.0
        return _Signal(np.zeros(n), np.zeros(n, bool), float("nan"), 0.0, fps, -1)
    x, valid, fps, lo, hi = prep
    (per, comp, s, strength), cands, third = _candidates(x, valid, fps, lo, hi, cfg)
    if third and len(cands) > 1:
        # step 2b: each candidate's cycles must tick at its own autocorrelation period
        best = None
        for cand in cands:
            sig = _candidate_signal(cand, valid, fps, x, cfg)
            irr = _irregularity(_detect_cycles(sig, cfg), sig.period, cfg.irregularity_prior_intervals,
                                cfg.irregularity_prior)
            total = cand[0] - cfg.regularity_weight * irr
            if best is None or total > best[0]:
                best = (total, sig)
        return best[1]
    if cands:
        _, per, comp, s, strength = cands[0]
    if not np.isfinite(per):
        per = cfg.fallback_period_s * fps
    s = _gauss_smooth(s, cfg.smooth_fraction * per)
    return _Signal(s, valid, float(per), float(strength), fps, int(comp), x)


def _running_ext(x: np.ndarray, w: int, fn) -> np.ndarray:
    """Centred running max/min with window ``w`` (odd)."""
    w = max(1, int(w) | 1)
    r = w // 2
    if r == 0 or len(x) == 0:
        return x.copy()
    pad = np.pad(x, r, mode="edge")
    return fn(np.lib.stride_tricks.sliding_window_view(pad, w), axis=1)


@dataclass
class _Cycle:
    start: int
    turn: int
    end: int
    amplitude: float
    displacement: float = 0.0
    closed: int = -1   # first frame back on the rest side (when the cycle could first be known)

    @property
    def known_end(self) -> int:
        """The cycle's last frame as a running analysis knows it: its end, or the frame it closed if earlier."""
        return min(self.end, self.closed) if self.closed >= 0 else self.end


def _pose_dist(a: np.ndarray, b: np.ndarray) -> float:
    """RMS over joints of the 2-D distance between two box-normalised poses (``(26,)`` each)."""
    d = (a - b).reshape(-1, 2)
    return float(np.sqrt(np.mean(np.sum(d * d, axis=1))))


def _merge_halves(cycles: list[_Cycle], p: np.ndarray, ratio: float) -> list[_Cycle]:
    """Join two consecutive cycles that are the two halves of one repetition (module docstring, step 4b).

    ``p``: ``(T, 26)`` box-normalised joints; every cycle's ``displacement`` (its turn pose's larger distance
    from its start and end poses) already set. A cycle is a half when it does not come back to where it
    started: its start and end poses are further apart than its displacement. Two consecutive halves are
    joined when, together, they come back to the starting pose: the first one's start pose and the second
    one's end pose are closer than ``ratio`` times the smaller of their own start-to-end distances. The joined
    cycle turns where the first half ended."""
    ends = [_pose_dist(p[c.start], p[c.end]) for c in cycles]

    def joined(i: int) -> _Cycle | None:
        a, b = cycles[i], cycles[i + 1]
        if (b.start <= a.end + 1 and ends[i] > a.displacement and ends[i + 1] > b.displacement
                and _pose_dist(p[a.start], p[b.end]) < ratio * min(ends[i], ends[i + 1])):
            # the joined cycle's turn (a.end) lies ends[i] from its start and ends[i + 1] from its end
            return _Cycle(a.start, a.end, b.end, max(a.amplitude, b.amplitude), max(ends[i], ends[i + 1]),
                          b.closed)
        return None

    return _join_pairs(cycles, joined)


def _join_pairs(cycles: list[_Cycle], joined: Callable[[int], _Cycle | None]) -> list[_Cycle]:
    """One pass from the first cycle to the last: cycles ``i`` and ``i + 1`` are replaced by ``joined(i)`` when
    it gives a cycle (a joined cycle is not joined again in the same pass)."""
    out: list[_Cycle] = []
    i = 0
    while i < len(cycles):
        j = joined(i) if i + 1 < len(cycles) else None
        out.append(cycles[i] if j is None else j)
        i += 1 if j is None else 2
    return out


def _detect_cycles(sig: _Signal, cfg: RepCounterConfig) -> list[_Cycle]:
    """Hysteresis cycle detection on the envelope-normalised signal (module docstring, step 4)."""
    s, valid, per = sig.signal, sig.valid, sig.period
    n = len(s)
    if n < 3 or valid.sum() < 3:
        return []
    w = int(round(max(cfg.envelope_periods * per, cfg.envelope_min_s * sig.fps)))
    hi = _running_ext(np.where(valid, s, -np.inf), w, np.max)
    lo = _running_ext(np.where(valid, s, np.inf), w, np.min)
    hi = _gauss_smooth(np.where(np.isfinite(hi), hi, 0), per / 4)
    lo = _gauss_smooth(np.where(np.isfinite(lo), lo, 0), per / 4)
    span = hi - lo
    amp = float(np.percentile(span[valid], cfg.amplitude_quantile))
    if amp <= 1e-9:
        return []
    active = valid & (span >= cfg.min_amplitude * amp)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (s - lo) / np.where(span > 0, span, np.nan)
    u = np.where(active, u, np.nan)
    # polarity: the rest side is where the signal spends more of its active time
    ua = u[active]
    if ua.size == 0:
        return []
    frac_high = float(np.mean(ua > cfg.enter))
    frac_low = float(np.mean(ua < cfg.exit))
    if frac_high > frac_low:
        u = 1.0 - u
        s = -s
    # Schmitt trigger: state "rest", "turn" (entered from rest), "orphan" (turn side without a rest before)
    state = ""
    cycles: list[_Cycle] = []
    turn_start = rest_start = 0
    for t in range(n):
        ut = u[t]
        if not np.isfinite(ut):
            if state == "turn":  # interrupted (idle / dropout): the cycle does not count
                state = ""
            continue
        if ut >= cfg.enter:
            if state == "rest":
                state, turn_start = "turn", t
                rest_seg = (rest_start, t)
            elif state == "":
                state = "orphan"
        elif ut <= cfg.exit:
            if state == "turn":
                a, b = rest_seg
                turn = turn_start + int(np.argmax(s[turn_start:t]))
                start = a + int(np.argmin(s[a:b]))
                cycles.append(_Cycle(start, turn, t, 0.0, closed=t))
            if state != "rest":
                state, rest_start = "rest", t
    # refine ends: the rest extreme between this turn and the next start
    for i, c in enumerate(cycles):
        nxt = cycles[i + 1].turn if i + 1 < len(cycles) else min(n, c.end + int(per))
        seg_end = max(c.end + 1, nxt)
        # rest extreme after the turn
        e0 = c.turn + 1
        if seg_end > e0:
            c.end = e0 + int(np.argmin(s[e0:seg_end]))
        if i + 1 < len(cycles):
            cycles[i + 1].start = max(cycles[i + 1].start, c.end)
        # start: keep at most one period before the turn
        c.start = max(c.start, c.turn - int(1.5 * per))
        c.amplitude = float(s[c.turn] - min(s[c.start], s[c.end]))
        if sig.pose is not None:
            p = sig.pose
            d = max(_pose_dist(p[c.turn], p[c.start]), _pose_dist(p[c.turn], p[c.end]))
            c.displacement = d
    cycles = [c for c in cycles if sig.pose is None or c.displacement >= cfg.min_displacement]
    if sig.pose is not None and cfg.half_merge > 0:
        cycles = _merge_halves(cycles, sig.pose, cfg.half_merge)
    # merge cycles much shorter than the period into neighbours (keep the larger)
    min_len = cfg.min_rep_fraction * per
    out: list[_Cycle] = []
    for c in cycles:
        if out and (c.turn - out[-1].turn) < min_len:
            if c.amplitude > out[-1].amplitude:
                out[-1] = c
            continue
        out.append(c)
    return out


def _angle_series(seq: PoseSequence, joint: str) -> np.ndarray:
    """``(T,)`` degrees: mean of the left and right ``joint`` angles (NaN where both missing)."""
    j = seq.to_joints13()
    xy = j.xy_pixels().astype(np.float64)
    vals = []
    for side in ("left", "right"):
        a, b, c = ANGLES[f"{side}_{joint}"]
        vals.append(angle_between(xy[:, a], xy[:, b], xy[:, c]))
    v = np.vstack(vals)
    fin = np.isfinite(v)
    cnt = fin.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(cnt > 0, np.where(fin, v, 0.0).sum(axis=0) / np.maximum(cnt, 1), np.nan)
    return m


def _choose_joint(seq: PoseSequence, cycles: list[_Cycle], exercise: str | None,
                  joint: str | None = None) -> tuple[str | None, bool | None]:
    if joint is not None:
        return joint, None
    if exercise in EXERCISE_JOINTS:
        return EXERCISE_JOINTS[exercise]
    if not cycles:
        return None, None
    best, best_rom = None, 0.0
    for joint in ("knee", "elbow", "hip", "shoulder"):
        ang = _angle_series(seq, joint)
        roms = []
        for c in cycles:
            seg = ang[c.start: c.end + 1]
            seg = seg[np.isfinite(seg)]
            if seg.size:
                roms.append(seg.max() - seg.min())
        rom = float(np.median(roms)) if roms else 0.0
        if rom > best_rom:
            best, best_rom = joint, rom
    return best, None


def _partial_mask(cycles: list[_Cycle], cfg: RepCounterConfig) -> np.ndarray:
    """``(len(cycles),)`` bool: amplitude below ``partial_fraction`` of the median cycle amplitude."""
    amps = np.array([c.amplitude for c in cycles], dtype=np.float64)
    med = float(np.median(amps)) if amps.size else 0.0
    return (amps < cfg.partial_fraction * med) if med > 0 else np.zeros(len(cycles), bool)


#: A cycle whose driving-joint angle ends further from where it started than this fraction of its range inside
#: the cycle is a half (module docstring, step 4c): it brings the angle back less than 60% of the way.
HALF_RETURN = 0.4


def _angle_at(ang: np.ndarray, i: int) -> float:
    """Median of the finite values of ``ang`` over frames ``i - 2 .. i + 2`` (NaN when none)."""
    w = ang[max(0, i - 2): i + 3]
    w = w[np.isfinite(w)]
    return float(np.median(w)) if w.size else float("nan")


def _angle_return(ang: np.ndarray, start: int, end: int) -> float:
    """How far a stretch leaves the angle from where it started: ``|angle(start) - angle(end)|`` over the
    angle's range over ``start..end`` (0 = back where it started, 1 = one way only; NaN without a range)."""
    seg = ang[start: end + 1]
    seg = seg[np.isfinite(seg)]
    rng = float(seg.max() - seg.min()) if seg.size else 0.0
    return abs(_angle_at(ang, start) - _angle_at(ang, end)) / rng if rng > 0 else float("nan")


def _merge_halves_by_angle(cycles: list[_Cycle], ang: np.ndarray, ratio: float) -> list[_Cycle]:
    """Join half cycles in the driving joint's angle (module docstring, step 4c).

    ``ang``: ``(T,)`` degrees of the driving joint (:func:`_angle_series`), frames as the cycles'. Nothing
    changes unless every cycle is a half (return above :data:`HALF_RETURN`, :func:`_angle_return`). Then, pass
    after pass until nothing changes, two consecutive cycles of which at least one is a half are joined when
    their joined return is below ``ratio`` times the smaller of their own: the first pass joins pairs of halves,
    a later one a half left over next to a joined repetition (a repetition cut in three). A joined cycle turns
    at the angle's extreme (the frame furthest from its start angle)."""
    returns = [_angle_return(ang, c.start, c.end) for c in cycles]
    if not all(r > HALF_RETURN for r in returns):   # a NaN return compares False: nothing joined
        return cycles

    def joined(i: int) -> _Cycle | None:
        a, b = cycles[i], cycles[i + 1]
        ra, rb = returns[i], returns[i + 1]
        if (b.start <= a.end + 1 and max(ra, rb) > HALF_RETURN
                and _angle_return(ang, a.start, b.end) < ratio * min(ra, rb)):
            turn = a.start + int(np.nanargmax(np.abs(ang[a.start: b.end + 1] - _angle_at(ang, a.start))))
            return _Cycle(a.start, turn, b.end, max(a.amplitude, b.amplitude), max(a.displacement, b.displacement),
                          b.closed)
        return None

    while len(cycles) > 1:   # each pass sees the cycles and returns of the one before
        out = _join_pairs(cycles, joined)
        if len(out) == len(cycles):
            break
        cycles, returns = out, [_angle_return(ang, c.start, c.end) for c in out]
    return cycles


def _joined_by_angle(seq: PoseSequence, cycles: list[_Cycle], exercise: str | None, joint: str | None,
                     cfg: RepCounterConfig) -> tuple[list[_Cycle], tuple[str | None, bool | None]]:
    """Step 4c on ``seq``'s cycles: ``(cycles, (joint, flexing is concentric))``, the driving joint as
    :func:`_choose_joint` picks it (before the joining, so the joint that judged the halves is the one
    reported)."""
    choice = _choose_joint(seq, cycles, exercise, joint)
    if cfg.joint_half_merge > 0 and choice[0] and len(cycles) > 1:
        cycles = _merge_halves_by_angle(cycles, _angle_series(seq, choice[0]), cfg.joint_half_merge)
    return cycles, choice


def _build(seq: PoseSequence, cycles: list[_Cycle], exercise: str | None, cfg: RepCounterConfig,
           index0: int = 0, joint: str | None = None,
           choice: tuple[str | None, bool | None] | None = None) -> list[Repetition]:
    t = seq.timestamps
    n = len(seq)
    partial = _partial_mask(cycles, cfg)
    joint, flex_conc = choice if choice is not None else _choose_joint(seq, cycles, exercise, joint)
    ang = _angle_series(seq, joint) if joint else None
    reps = []
    for i, c in enumerate(cycles):
        s0, tu, e0 = (int(np.clip(v, 0, n - 1)) for v in (c.start, c.turn, c.end))
        rom = conc = ecc = None
        if ang is not None:
            seg = ang[s0: e0 + 1]
            seg = seg[np.isfinite(seg)]
            if seg.size:
                rom = float(seg.max() - seg.min())
            if flex_conc is not None and np.isfinite(ang[s0]) and np.isfinite(ang[tu]):
                first, second = t[tu] - t[s0], t[e0] - t[tu]
                flexing_first = ang[tu] < ang[s0]
                conc, ecc = (first, second) if flexing_first == flex_conc else (second, first)
        reps.append(Repetition(
            index=index0 + i, start_frame=s0, turn_frame=tu, end_frame=e0,
            start_s=float(t[s0]), turn_s=float(t[tu]), end_s=float(t[e0]),
            range_of_motion_deg=rom, joint=joint, concentric_s=conc, eccentric_s=ecc,
            partial=bool(partial[i]),
        ))
    return reps


METHOD = "pca-autocorr-hysteresis"

#: Internal frame rate of the counter (Hz). Every setting above was chosen on 30 fps poses (RepCount-A);
#: sequences at another rate, or with irregular timestamps (variable-frame-rate phone video, ``--stride``,
#: frames dropped in live mode), are resampled to this rate before counting so the same settings apply.
COUNTING_RATE_HZ = 30.0


def _needs_resampling(t: np.ndarray) -> bool:
    dt = np.diff(t)
    if dt.size < 2 or not np.all(np.isfinite(dt)):
        return False
    med = float(np.median(dt))
    if med <= 0:
        return False
    return abs(1.0 / med - COUNTING_RATE_HZ) > 0.02 * COUNTING_RATE_HZ or float(dt.max()) > 1.5 * med


def _resample(seq: PoseSequence) -> tuple[PoseSequence, np.ndarray]:
    """``seq`` on a uniform :data:`COUNTING_RATE_HZ` grid and, for each grid frame, the index of the nearest
    original frame ``(T_grid,)``. Coordinates and visibility are interpolated linearly in time between
    frames with a person; a grid frame whose nearest original frame has no person stays empty (NaN)."""
    t = np.asarray(seq.timestamps, dtype=np.float64)
    grid = t[0] + np.arange(int(np.floor((t[-1] - t[0]) * COUNTING_RATE_HZ + 1e-6)) + 1) / COUNTING_RATE_HZ
    j = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
    nearest = np.where(grid - t[j - 1] <= t[j] - grid, j - 1, j)
    kp = np.asarray(seq.keypoints, dtype=np.float64)
    flat = kp.reshape(len(t), -1)
    out = np.full((len(grid), flat.shape[1]), np.nan)
    for c in range(flat.shape[1]):
        ok = np.isfinite(flat[:, c])
        if ok.sum() >= 2:
            out[:, c] = np.interp(grid, t[ok], flat[ok, c])
        elif ok.any():
            out[:, c] = flat[ok, c][0]
    out = out.reshape((len(grid),) + kp.shape[1:])
    out[~np.isfinite(kp[nearest])] = np.nan
    res = dataclasses.replace(seq, keypoints=out.astype(np.float32), timestamps=grid, world=None)
    return res, nearest


def _on_grid(seq: PoseSequence) -> tuple[PoseSequence, np.ndarray | None]:
    """``seq`` on the :data:`COUNTING_RATE_HZ` grid with, per grid frame, the nearest frame of ``seq``
    (:func:`_resample`); ``seq`` itself and None when it is already uniform at that rate."""
    return _resample(seq) if _needs_resampling(seq.timestamps) else (seq, None)


def _count_cycles(grid_seq: PoseSequence, nearest: np.ndarray | None, cfg: RepCounterConfig,
                  shift: int = 0) -> tuple[_Signal, list[_Cycle]]:
    """Counting signal and cycles of a sequence from :func:`_on_grid`, skipping its first ``shift`` frames
    (the phase votes of :func:`count_repetitions`). Cycle frame indices are mapped back to the frames of the
    sequence given to :func:`_on_grid`."""
    if shift:
        grid_seq = dataclasses.replace(grid_seq, keypoints=grid_seq.keypoints[shift:],
                                       timestamps=grid_seq.timestamps[shift:], world=None)
    sig = counting_signal(grid_seq, cfg)
    cycles = _detect_cycles(sig, cfg)
    if shift or nearest is not None:
        last = len(grid_seq) + shift - 1
        to_input = (lambda v: int(v)) if nearest is None else (lambda v: int(nearest[v]))
        for c in cycles:
            c.start, c.turn, c.end = (to_input(min(v + shift, last)) for v in (c.start, c.turn, c.end))
            if c.closed >= 0:
                c.closed = to_input(min(c.closed + shift, last))
    return sig, cycles


def _median_run(runs: list[tuple[_Signal, list[_Cycle]]], cfg: RepCounterConfig) -> int:
    """Index of the run whose full count is the median (the lower one for an even number of runs); the earliest
    such run when several are."""
    counts = [int((~_partial_mask(c, cfg)).sum()) for _, c in runs]
    return counts.index(int(np.sort(counts)[(len(counts) - 1) // 2]))


def _voted_cycles(seq: PoseSequence, cfg: RepCounterConfig) -> tuple[_Signal, list[_Cycle]]:
    """The offline counter's run (module docstring, step 6): for each roll of ``cfg.roll_votes_deg`` (the
    smallest first, the counter-clockwise one before its opposite), the run of ``cfg.phase_votes`` phase-shifted runs whose full count is the median; then, of
    those, the one whose count is the median over the rolls."""
    grid_seq, nearest = _on_grid(seq)
    n_runs = max(1, min(cfg.phase_votes, len(grid_seq) - 3))
    per_roll = []
    for deg in sorted(cfg.roll_votes_deg, key=lambda r: (abs(r), -r)):
        g = grid_seq if deg == 0 else rotate_sequence(grid_seq, deg)
        runs = [_count_cycles(g, nearest, cfg, k) for k in range(n_runs)]
        per_roll.append(runs[_median_run(runs, cfg)])
    return per_roll[_median_run(per_roll, cfg)]


def count_repetitions(seq: PoseSequence, exercise: str | None = None,
                      config: RepCounterConfig | None = None, *, joint: str | None = None) -> RepetitionCount:
    """Count repetitions in one person's pose sequence (offline, whole sequence known).

    Parameters
    ----------
    seq:
        ``(T, V, 4)`` keypoints in any skeleton layout with a 13-joint mapping and any coordinate space
        (``image``, ``pixels``, ``box``); NaN frames = no person; channel 3 = visibility. Timestamps in seconds.
    exercise:
        Optional exercise label (vocabulary of the data README); chooses the driving joint whose range of
        motion and tempo are reported and whose angle tells half cycles (step 4c). Without it the joint with
        the largest range of motion does both: counting is class-agnostic.
    config:
        Settings (:class:`RepCounterConfig`); defaults when None.
    joint:
        The joint whose range of motion is reported (``knee``, ``elbow``, ``hip``, ``shoulder``), overriding
        the exercise's (:data:`EXERCISE_JOINTS`), e.g. the ``driving_joint`` of your own rule file for an
        exercise outside repvision's vocabulary; without either, the joint with the largest median range of
        motion over the cycles. Its concentric phase is then not known (tempo split left out).

    Returns
    -------
    :class:`RepetitionCount` with one :class:`Repetition` per detected cycle (``count`` = full ones).
    Never raises for short or empty sequences (returns zero repetitions).
    """
    cfg = config or RepCounterConfig()
    if len(seq) < 3:
        return RepetitionCount((), "", METHOD)
    sig, cycles = _voted_cycles(seq, cfg)
    cycles, choice = _joined_by_angle(seq, cycles, exercise, joint, cfg)
    reps = _build(seq, cycles, exercise, cfg, choice=choice)
    return RepetitionCount(tuple(reps), f"pca{sig.component}", METHOD)


#: A pause of at least this many seconds between two repetitions starts a new set (:func:`split_sets`). A
#: convention, not fitted (no data here labels sets): the shortest rest between sets that the NSCA prescribes is
#: about 30 s (muscular-endurance training; Haff & Triplett, "Essentials of Strength Training and Conditioning",
#: 4th ed., ch. 17), while pauses inside a set are a few seconds; 15 s lies between. In the 76 annotated
#: RepCount-A videos, 2 of the 951 gaps between consecutive repetitions are longer (17.5 s and 22.1 s;
#: ``benchmarks/reps_boundaries.py``, ``benchmarks/results/reps_boundaries.json``).
SET_GAP_S = 15.0


def split_sets(repetitions: RepetitionCount, gap_s: float = SET_GAP_S) -> tuple[ExerciseSet, ...]:
    """Group the repetitions of one exercise into sets: a new set starts where the start of a repetition
    comes ``gap_s`` seconds or more after the end of the previous one.

    ``repetitions``: from :func:`count_repetitions` (or a streaming counter's :meth:`StreamingRepCounter.finish`);
    partial repetitions go with the set they fall in, and a group made only of partial repetitions (e.g. a
    half-hearted try between sets) is not a set. Returns one :class:`repvision.types.ExerciseSet` per set, in
    time order (empty without full repetitions). Raises ``ValueError`` for ``gap_s <= 0``.
    """
    if not gap_s > 0:
        raise ValueError(f"gap_s must be a positive number of seconds, got {gap_s!r}")
    reps = sorted(repetitions.repetitions, key=lambda r: r.start_s)
    groups: list[list[Repetition]] = []
    for r in reps:
        if groups and r.start_s - groups[-1][-1].end_s < gap_s:
            groups[-1].append(r)
        else:
            groups.append([r])
    out: list[ExerciseSet] = []
    for g in groups:
        full = sum(1 for r in g if not r.partial)
        if full == 0:
            continue
        start, end = g[0].start_s, max(r.end_s for r in g)
        rest = None if not out else start - out[-1].end_s
        out.append(ExerciseSet(len(out), start, end, tuple(r.index for r in g), full, len(g) - full, rest))
    return tuple(out)


# --------------------------------------------------------------------------------------------- streaming


class StreamingRepCounter:
    """Causal repetition counter for one person (live mode).

    Feed one frame at a time with :meth:`update`; every ``step_s`` seconds of video it re-runs the offline
    analysis on the last ``window_s`` seconds seen (never on future frames) and returns the repetitions that
    completed since the last report (reporting by count, see the module docstring and :meth:`_analyse`).
    A repetition is reported once the analysis has counted it in ``confirm`` consecutive runs -- normally
    within ``confirm * step_s`` (+ one frame) of the signal returning to its rest side -- and shows a full cycle
    turning after the last reported repetition ended, which gives its times: reports never overlap in time.
    The final analysis in :meth:`finish` reports what its count still lacks, at the times of its full cycles
    turning after the last report; when it has fewer such cycles than its count lacks (it re-cut repetitions
    already reported), the final count stays below the analysis' count.

    Parameters
    ----------
    exercise: optional label, as for :func:`count_repetitions` (the joint whose range of motion and tempo the
        repetitions carry; counting is class-agnostic). The attribute may be set while streaming, e.g. once a
        live classifier names the exercise; it applies to the repetitions reported from then on.
    config: counter settings.
    skeleton: layout of the keypoints passed to :meth:`update` (default BlazePose-33).
    coordinates, image_size: coordinate space of the keypoints (see :class:`PoseSequence`).
    window_s: history kept (seconds).
    step_s: analysis interval (seconds of video).
    min_history_s: no analysis before this much video has been seen.
    min_strength: optional gate: no live report while the autocorrelation at the period is below this
        (default 0: report at once; a higher gate delays the first repetitions of a stream).
    confirm: consecutive analyses that must count a new repetition before it is reported.
    release_backlog: when the last ``confirm`` analyses all count several unreported repetitions, report them
        all at once (True) instead of one per ``confirm`` analyses (False, the default). Releasing one at a
        time lets a backlog build up on fast repetitions (at most one report per ``confirm * step_s``), but
        releasing them at once also lets through more counts that a later analysis drops: on RepCount-A it
        lowers the p95 latency and raises the streaming MAE (``benchmarks/reps_streaming.py --set
        release_backlog=true``, results in ``benchmarks/results/reps_streaming_release_backlog*.json``; measured
        before a live report needed a cycle after the last reported one, since when the default keeps up on
        stu3_31's 0.4 s jumping jacks too).
    first_report_reps: no live report until the analysis holds this many full repetitions; then they are
        reported (one per ``confirm`` analyses, as usual) and later ones as they come. Guards against "ghost"
        repetitions while the person gets into position: early analyses of a short history find cycles in
        idle movement or inside one slow repetition, and a reported repetition is never withdrawn. The price
        is that the first ``first_report_reps - 1`` repetitions of a stream are reported late (usually once
        the ``first_report_reps``-th has ended; earlier when an analysis still sees a ghost cycle), and a
        stream with fewer repetitions usually reports them only in :meth:`finish`. 3 (1 = report from the first
        repetition, the behaviour before) was chosen by 5-fold grouped cross-validation on RepCount-A among 1, 3,
        4 and 5: in every fold, the lowest MAE of the count reported live among the settings whose median report
        latency stays within 0.5 s
        (``benchmarks/reps_streaming_cv.py``, ``benchmarks/results/reps_streaming_cv_live.json``).
    live_half_merge: whether the analyses before :meth:`finish` join half cycles as the offline counter does
        (:attr:`RepCounterConfig.half_merge`); the final analysis always does. Off by default: in a running
        analysis the last cycle's end is cut short by the end of the history, so a full repetition can look
        like a half, and a count lowered by a join only delays the next report (a report is never withdrawn).
        On RepCount-A, joining live changed the live count of 5 of 76 videos, each away from the annotated
        count (live MAE 0.277 -> 0.309; ``benchmarks/reps_streaming.py --set live_half_merge=true``,
        ``benchmarks/results/reps_streaming_live_half_merge.json``).
    """

    def __init__(self, exercise: str | None = None, config: RepCounterConfig | None = None,
                 skeleton=None, coordinates: str = "image", image_size: tuple[int, int] | None = None,
                 window_s: float = 60.0, step_s: float = 0.15,
                 min_history_s: float = 1.0, min_strength: float = 0.0, confirm: int = 2,
                 release_backlog: bool = False, first_report_reps: int = 3, live_half_merge: bool = False) -> None:
        from repvision.skeleton import BLAZEPOSE_33

        self.exercise = exercise
        self.config = config or RepCounterConfig()
        self.skeleton = skeleton or BLAZEPOSE_33
        self.coordinates = coordinates
        self.image_size = image_size
        self.window_s = float(window_s)
        self.step_s = float(step_s)
        self.min_history_s = float(min_history_s)
        self.min_strength = float(min_strength)
        self.confirm = max(1, int(confirm))
        self.release_backlog = bool(release_backlog)
        self.first_report_reps = max(1, int(first_report_reps))
        self.live_half_merge = bool(live_half_merge)
        # the running and final analyses do not shrink the irregularity of few intervals (offline only, see
        # RepCounterConfig.irregularity_prior_intervals): early analyses of a short history all have few cycles
        self._final_config = dataclasses.replace(self.config, irregularity_prior_intervals=0.0)
        self._live_config = (self._final_config if live_half_merge
                             else dataclasses.replace(self._final_config, half_merge=0.0))
        # full counts of the consecutive analyses (at most `confirm`) that counted more than was reported
        self._recent: deque[int] = deque(maxlen=self.confirm)
        self._kp: list[np.ndarray] = []
        self._ts: list[float] = []
        self._offset = 0            # absolute frame index of self._kp[0]
        self._reps: list[Repetition] = []
        self._last_run_t = -np.inf
        self._nan = np.full((self.skeleton.num_keypoints, 4), np.nan, dtype=np.float32)

    @property
    def repetitions(self) -> tuple[Repetition, ...]:
        return tuple(self._reps)

    @property
    def settings(self) -> dict[str, Any]:
        """The reporting settings this counter runs with (window, step, confirmation, ...), e.g. for a
        benchmark's record."""
        return {"window_s": self.window_s, "step_s": self.step_s, "min_history_s": self.min_history_s,
                "min_strength": self.min_strength, "confirm": self.confirm,
                "release_backlog": self.release_backlog, "first_report_reps": self.first_report_reps,
                "live_half_merge": self.live_half_merge}

    def _seq(self) -> PoseSequence:
        return PoseSequence(np.stack(self._kp), np.asarray(self._ts), self.skeleton, self.coordinates,
                            None, self.image_size, "stream")

    def _analyse(self, final: bool) -> list[Repetition]:
        """Re-run the offline counter on the history and report repetitions by *count*.

        The running offline analysis gives ``n`` = full repetitions closed so far (those before the history
        window are carried as the count already reported for them). A new repetition is reported when ``n``
        exceeds the reported count in ``confirm`` consecutive analyses (or at the end of the stream); the one
        reported is the next full cycle of the current analysis. Reporting by count, not by matching cycle
        positions across analyses, cannot double-report a repetition whose turn moves as the history grows.
        """
        if len(self._kp) < 3:
            return []
        seq = self._seq()
        cfg = self._final_config
        # one run per analysis, also at the end: using the offline counter's phase votes in the final analysis
        # was tried once on RepCount-A and did not bring the final count closer to the offline one (that run was
        # not kept; no figure is claimed)
        sig, cycles = _count_cycles(*_on_grid(seq), cfg if final else self._live_config)
        choice = None
        if final:   # like the offline counter (step 4c); running analyses see the last cycle cut short
            cycles, choice = _joined_by_angle(seq, cycles, self.exercise, None, cfg)
        if not final and sig.strength < self.min_strength:
            self._recent.clear()
            return []
        # every detected cycle has closed (the signal came back to its rest side within the history)
        partial = _partial_mask(cycles, cfg)
        full = [i for i, c in enumerate(cycles) if not partial[i]]
        # repetitions reported with a turn before the history window are no longer visible to the analysis
        frozen = sum(1 for r in self._reps if not r.partial and r.turn_frame < self._offset)
        n = frozen + len(full)
        reported = sum(1 for r in self._reps if not r.partial)
        if n <= reported or (not final and reported == 0 and n < self.first_report_reps):
            self._recent.clear()
            return []
        self._recent.append(n)
        if not final and len(self._recent) < self.confirm:
            return []
        # how many to report now: all at the end; else one, or every repetition the last analyses all counted
        count = n - reported if final else (min(self._recent) - reported if self.release_backlog else 1)
        if count <= 0:
            return []
        first = max(0, reported - frozen)
        chosen = full[first:first + count]
        cycles = list(cycles)   # the reported ones get their start and end adjusted below
        if self._reps:
            # The count decides how many to report, and the next full cycles of this analysis give their times.
            # After a change of counting signal or cycle boundaries such a cycle can lie before the last
            # reported repetition (87 of 992 pairs of consecutive reports overlapped in time on RepCount-A, by
            # up to 14 s); it is then replaced by the first full cycle turning after that repetition ended, and
            # a repetition starts where the previous one ended at the earliest.
            prev_end = self._reps[-1].end_frame - self._offset
            placed: list[int] = []
            for i in chosen:
                if cycles[i].turn <= prev_end or i in placed:
                    later = next((j for j in full if cycles[j].turn > prev_end and j not in placed), None)
                    if later is None:
                        # the count rose without a cycle after the last report: the analysis re-cut cycles that
                        # were already reported. Live, report once a cycle after it is seen; at the end of the
                        # stream there is none to come, so nothing more is reported (reporting the cycle anyway
                        # put 5 repetitions of RepCount-A inside or on top of earlier ones, one of them twice)
                        break
                    i = later
                if cycles[i].start < prev_end:
                    cycles[i] = dataclasses.replace(cycles[i], start=min(prev_end, cycles[i].turn))
                placed.append(i)
                prev_end = cycles[i].known_end
            chosen = placed
        if not chosen:
            return []
        # each reported repetition ends where this analysis knows it to have ended, and its range of motion and
        # tempo are measured up to there (measured up to the cycle's later rest extreme, the concentric and
        # eccentric durations of a live repetition added up to more than its end minus its start, by 0.2-0.9 s)
        for i in chosen:
            cycles[i] = dataclasses.replace(cycles[i], end=cycles[i].known_end)
        # joint angles, range of motion and tempo only for analyses that report (most report nothing)
        reps = _build(seq, cycles, self.exercise, cfg, choice=choice)
        off = self._offset
        new = [dataclasses.replace(reps[i], index=len(self._reps) + n_new, start_frame=reps[i].start_frame + off,
                                   turn_frame=reps[i].turn_frame + off, end_frame=reps[i].end_frame + off)
               for n_new, i in enumerate(chosen)]
        self._reps.extend(new)
        if not self.release_backlog:
            self._recent.clear()   # the next one needs `confirm` fresh analyses
        return new

    def update(self, keypoints: np.ndarray | None, timestamp_s: float) -> list[Repetition]:
        """Add one frame.

        ``keypoints``: ``(V, 4)`` x, y, z, visibility in the counter's skeleton and coordinate space, or None
        when no person was found; ``timestamp_s``: seconds (non-decreasing). Returns the repetitions completed
        and confirmed by this frame (usually empty). Raises ``ValueError`` for a wrongly shaped array.
        """
        if keypoints is None:
            kp = self._nan
        else:
            kp = np.asarray(keypoints, dtype=np.float32)
            if kp.shape != self._nan.shape:
                raise ValueError(f"keypoints must have shape {self._nan.shape}, got {kp.shape}")
        self._kp.append(kp)
        self._ts.append(float(timestamp_s))
        # trim history
        while len(self._ts) > 2 and self._ts[-1] - self._ts[0] > self.window_s:
            self._kp.pop(0)
            self._ts.pop(0)
            self._offset += 1
        if timestamp_s - self._last_run_t < self.step_s or self._ts[-1] - self._ts[0] < self.min_history_s:
            return []
        self._last_run_t = timestamp_s
        return self._analyse(final=False)

    def finish(self) -> RepetitionCount:
        """Close the stream: run a final analysis of the history (joining half cycles, as the offline counter
        does), report without waiting for confirmation the repetitions it counts beyond those reported, at the
        times of its full cycles turning after the last report, and return all repetitions reported."""
        self._analyse(final=True)
        return RepetitionCount(tuple(self._reps), "stream", METHOD + "-streaming")


class MultiPersonRepCounter:
    """One :class:`StreamingRepCounter` per track id (keyword arguments are passed to each)."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self.counters: dict[int | str, StreamingRepCounter] = {}

    def update(self, track_id: int | str, keypoints: np.ndarray | None, timestamp_s: float) -> list[Repetition]:
        """Feed one frame of one person; returns that person's newly completed repetitions."""
        c = self.counters.get(track_id)
        if c is None:
            c = self.counters[track_id] = StreamingRepCounter(**self._kwargs)
        return c.update(keypoints, timestamp_s)

    def finish(self) -> dict[int | str, RepetitionCount]:
        return {k: c.finish() for k, c in self.counters.items()}
