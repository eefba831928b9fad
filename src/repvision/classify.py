"""Exercise classification from a pose sequence: window features and a small numpy-only neural network.

Method
------
1. The sequence is reduced to the common 13-joint layout (Penn Action order, :class:`repvision.skeleton.Joint`)
   and every frame is min-max rescaled per axis over its 13 joints (:func:`repvision.features.normalize_box`).
   That rescaling is invariant to any per-axis scale and shift, so Penn Action pixels, Pose Trainer (OpenPose)
   pixels, MediaPipe normalised image coordinates and RepCount-A's box-rescaled poses give identical values
   for the same body configuration -- the price is that the body's aspect ratio (lying vs standing) is only
   seen through the joints' relative order, which is enough for the exercises here.
2. Windows of :data:`WINDOW_S` seconds (hop :data:`HOP_S`) are resampled **by timestamp** to
   :data:`WINDOW_SAMPLES` evenly spaced instants, so the frame rate does not matter; a sequence shorter than
   one window gives one window over what there is.
3. Each window is summarised over time (:func:`window_features`): mean / std / min / max of every box
   coordinate, mean and max speed of every joint (box units per second), mean / std / min / max of the 8 joint
   angles of :data:`repvision.features.ANGLES` **computed on the box coordinates** (these are not anatomical
   angles -- per-axis rescaling distorts them -- but they are distorted identically for every source, which
   is what a classifier needs), and the share of motion energy in three frequency bands (periodicity cue).
   Where the source has equal-scale coordinates (pixels, or image coordinates with a known image size) two
   groups follow that the box rescaling hides: the body's orientation (torso and leg direction, box aspect)
   and how much the hips, shoulders, wrists and ankles move in the picture, in torso lengths (a pull-up moves
   the hips under still hands, a press the hands over still hips).
4. A multilayer perceptron (Rumelhart et al., 1986; trained with scikit-learn's ``MLPClassifier``, Adam,
   Kingma & Ba 2015; the shipped model averages the logits of 5 trained from different seeds) on
   standardised features gives window probabilities; the exported weights are evaluated
   with numpy only. A clip's probabilities are the average over its windows and over their left/right mirror
   images (test-time augmentation), each window weighted by how much the person moves in it
   (:func:`window_weights`), so a rest between sets does not outvote the sets.
5. :meth:`ExerciseClassifier.predict_sequence` answers ``"unknown"`` when the best probability is below the
   threshold chosen by cross-validation (stored in the model file) or the best class is not an exercise of the
   vocabulary (Penn Action sports negatives, ``other``).

Inference imports neither scikit-learn nor PyTorch; only :meth:`ExerciseClassifier.fit` needs scikit-learn.
"""

from __future__ import annotations

import json
import warnings
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from repvision.estimator import ParamsMixin
from repvision.errors import ManifestError, NotFittedError, TooFewDetectionsError
from repvision.features import ANGLES, interpolate_gaps, normalize_box
from repvision.skeleton import JOINT_MIRROR, Joint
from repvision.types import ExercisePrediction, ExerciseSegment, PoseSequence

#: The exercise vocabulary of repvision (data README). ``other`` = an exercise outside the list.
VOCABULARY: tuple[str, ...] = (
    "squat", "push_up", "pull_up", "bench_press", "jumping_jack", "sit_up", "clean_and_jerk", "jump_rope",
    "front_raise", "bicep_curl", "shoulder_press", "shoulder_shrug", "lateral_raise", "dip", "plank",
    "russian_twist", "deadlift", "lunge", "pommel_horse", "other",
)
#: Labels the classifier may answer with; any other top class (sports negatives, ``other``) -> ``"unknown"``.
EXERCISES: frozenset[str] = frozenset(VOCABULARY) - {"other"}
UNKNOWN = "unknown"

#: Window length in seconds, hop between window starts in seconds, samples per window (resampled by time).
WINDOW_S: float = 2.0
HOP_S: float = 1.0
WINDOW_SAMPLES: int = 24
#: A frame counts as "with a person" when at least this many of the 13 joints are finite.
MIN_JOINTS: int = 5
#: A window is used when it holds at least this many frames with a person.
MIN_WINDOW_FRAMES: int = 4
#: Frequency bands (Hz) of the periodicity features.
BANDS_HZ: tuple[tuple[float, float], ...] = ((0.2, 1.0), (1.0, 2.0), (2.0, 6.5))
#: Version of the feature definition. Version 2 appends the orientation cues to version 1's 165 columns,
#: version 3 the whole-body motion cues, so a model with fewer input features uses the leading columns. Model
#: files of other versions are refused.
FEATURE_VERSION: int = 3
SUPPORTED_FEATURE_VERSIONS: tuple[int, ...] = (1, 2, 3)
#: Columns of feature version 1 (box coordinates only); the columns after them need equal-scale coordinates.
N_BOX_FEATURES: int = 165
#: Orientation cues (need equal-scale coordinates): torso / leg vertical direction, log box aspect ratio.
ORIENTATION_NAMES: tuple[str, ...] = ("torso_up", "legs_down", "log_aspect")
#: Whole-body motion cues (feature version 3; need equal-scale coordinates): positions in the picture whose
#: spread over a window is measured in torso lengths -- hip-mid x and y, shoulder-, wrist- and ankle-mid y.
#: The per-frame box normalisation hides them (a pull-up and a shrug both look like "arms above the head").
MOTION_NAMES: tuple[str, ...] = ("hip_x", "hip_y", "shoulder_y", "wrist_y", "ankle_y")
#: Per-frame cue columns carried with the windows: the orientation cues, the motion positions, torso length.
N_CUES: int = len(ORIENTATION_NAMES) + len(MOTION_NAMES) + 1
#: Segmentation novelty check: a window whose standardised features have a root mean square z-score above
#: this is out of distribution and labelled unknown (real MediaPipe video windows: median 1.0, max 2.2).
OOD_RMS_Z: float = 3.0
#: Shipped model file inside the package.
DEFAULT_MODEL = "exercise_classifier.npz"

_ANGLE_IDX = np.array(list(ANGLES.values()), dtype=np.int64)  # (8, 3)


# ----------------------------------------------------------------------------------------------- features
def _mid(xy: np.ndarray, a: int, b: int) -> np.ndarray:
    """Midpoint of joints ``a`` and ``b`` of ``(P, 13, 2)``; the one seen when the other is NaN."""
    return np.nanmean(xy[:, [a, b]], axis=1)


def _cues(xy: np.ndarray) -> np.ndarray:
    """``(P, 13, 2)`` equal-scale coordinates -> ``(P, 9)`` per-frame cues (:data:`N_CUES` columns).

    Columns 0-2, the orientation cues (:data:`ORIENTATION_NAMES`): vertical component of the unit vector
    hip-mid -> shoulder-mid (-1 upright, 0 lying, +1 upside down; image y grows downwards), of hip-mid ->
    ankle-mid (+1 legs below the hips), and log(height / width) of the 13-joint box. Columns 3-7, the motion
    positions (:data:`MOTION_NAMES`, same units as ``xy``); column 8, the torso length (hip-mid to
    shoulder-mid). All mirror invariant as used (spreads, not positions)."""
    from repvision.skeleton import Joint as J

    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN joint pairs and frames -> NaN
        hip = _mid(xy, J.LEFT_HIP, J.RIGHT_HIP)
        sho = _mid(xy, J.LEFT_SHOULDER, J.RIGHT_SHOULDER)
        ank = _mid(xy, J.LEFT_ANKLE, J.RIGHT_ANKLE)
        wri = _mid(xy, J.LEFT_WRIST, J.RIGHT_WRIST)
        torso = sho - hip
        legs = ank - hip
        tlen = np.linalg.norm(torso, axis=-1)
        tu = torso[:, 1] / tlen
        lu = legs[:, 1] / np.linalg.norm(legs, axis=-1)
        w = np.nanmax(xy[..., 0], axis=1) - np.nanmin(xy[..., 0], axis=1)
        h = np.nanmax(xy[..., 1], axis=1) - np.nanmin(xy[..., 1], axis=1)
        asp = np.log(h / w)
    out = np.stack([tu, lu, asp, hip[:, 0], hip[:, 1], sho[:, 1], wri[:, 1], ank[:, 1],
                    np.where(tlen > 0, tlen, np.nan)], axis=1)
    return np.where(np.isfinite(out), out, np.nan)


def _isotropic(seq: PoseSequence) -> np.ndarray | None:
    """``(T, 13, 2)`` coordinates with equal scale on both axes, or None when the source has none (RepCount-A
    box coordinates; normalised image coordinates without a known image size)."""
    if seq.coordinates == "pixels" or (seq.coordinates == "image" and seq.image_size):
        return np.asarray(seq.xy_pixels(), dtype=np.float64)
    return None


def _with_person(joints13: PoseSequence) -> np.ndarray:
    """``(T,)`` bool: frames of a 13-joint sequence with at least :data:`MIN_JOINTS` finite joints."""
    xy = np.asarray(joints13.keypoints[..., :2], dtype=np.float64)
    return np.isfinite(xy).all(axis=-1).sum(axis=1) >= MIN_JOINTS


def _present(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Box coordinates ``(P, 13, 2)``, timestamps ``(P,)`` and cues ``(P, 9)`` (:func:`_cues`; NaN when the
    source has no equal-scale coordinates) of the frames with a person, sorted by time, joint gaps filled."""
    j = seq.to_joints13()
    xy = np.asarray(j.keypoints[..., :2], dtype=np.float64)
    keep = _with_person(j)
    if not keep.any():
        raise TooFewDetectionsError(
            f"at least one frame with a person (>= {MIN_JOINTS} of 13 joints)",
            f"none in {len(seq)} frames", "Keep the whole body in the picture, or try --pose-model full.",
        )
    box = normalize_box(xy[keep])
    iso = _isotropic(j)
    ori = _cues(iso[keep]) if iso is not None else np.full((int(keep.sum()), N_CUES), np.nan)
    t = np.asarray(seq.timestamps, dtype=np.float64)[keep]
    order = np.argsort(t, kind="stable")
    box, t, ori = box[order], t[order], ori[order]
    box = interpolate_gaps(box)  # joints missing in some frames: linear in time, held at the edges
    ori = interpolate_gaps(ori)
    return box, t, ori


def sequence_windows(seq: PoseSequence, window_s: float = WINDOW_S, hop_s: float = HOP_S,
                     samples: int = WINDOW_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Cut a sequence into fixed-duration windows resampled by timestamp: ``(windows (K, samples, 13, 2) box
    coordinates, dt (K,) seconds)``; see :func:`sequence_windows_ori` (which also returns the orientation)."""
    w, dt, _ = sequence_windows_ori(seq, window_s, hop_s, samples)
    return w, dt


def sequence_windows_ori(seq: PoseSequence, window_s: float = WINDOW_S, hop_s: float = HOP_S,
                         samples: int = WINDOW_SAMPLES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a sequence into fixed-duration windows resampled by timestamp.

    Parameters
    ----------
    seq:
        Any skeleton and coordinate space (converted to 13 joints, box coordinates).
    window_s, hop_s:
        Window length and hop in seconds.
    samples:
        Instants per window (evenly spaced in time, linear interpolation between frames).

    Returns
    -------
    ``(windows, dt, ori)``: ``(K, samples, 13, 2)`` box coordinates (NaN for a joint never seen), ``(K,)``
    seconds between samples, and ``(K, samples, 9)`` per-frame cues (:func:`_cues`: torso and leg direction,
    log box aspect, the :data:`MOTION_NAMES` positions and the torso length; NaN for box-coordinate sources).
    A sequence shorter than ``window_s`` gives one window spanning it.

    Raises
    ------
    TooFewDetectionsError
        No frame has a person.
    """
    box, t, ori = _present(seq)
    flat = np.concatenate([box.reshape(len(t), -1), ori], axis=1)
    span = t[-1] - t[0] if len(t) > 1 else 0.0
    if span <= window_s:
        starts = np.array([t[0]])
        lengths = np.array([max(span, 1e-3)])
    else:
        n = int(np.floor((span - window_s) / hop_s)) + 1
        starts = t[0] + hop_s * np.arange(n)
        if t[-1] - (starts[-1] + window_s) > 0.25 * hop_s:  # cover the end of the clip too
            starts = np.append(starts, t[-1] - window_s)
        lengths = np.full(len(starts), window_s)
        counts = np.searchsorted(t, starts + lengths, side="right") - np.searchsorted(t, starts, side="left")
        ok = counts >= MIN_WINDOW_FRAMES
        if not ok.any():  # sparse detections: one window over everything there is
            starts, lengths = np.array([t[0]]), np.array([span])
        else:
            starts, lengths = starts[ok], lengths[ok]
    return _resample_windows(flat, t, starts, lengths, samples)


def _resample_windows(flat: np.ndarray, t: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                      samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resample ``flat`` ``(P, 35)`` (26 box coordinates + 9 cues at times ``t`` ``(P,)``) at
    ``samples`` evenly spaced instants of each window ``[starts[k], starts[k] + lengths[k]]`` (seconds):
    ``(windows (K, samples, 13, 2), dt (K,), cues (K, samples, 9))`` as :func:`sequence_windows_ori`."""
    frac = np.linspace(0.0, 1.0, samples)
    out = np.empty((len(starts), samples, flat.shape[1]))
    for k, (s, w) in enumerate(zip(starts, lengths)):
        ts = s + frac * w
        for c in range(flat.shape[1]):
            col = flat[:, c]
            ok = np.isfinite(col)
            out[k, :, c] = np.interp(ts, t[ok], col[ok]) if ok.any() else np.nan
    dt = np.asarray(lengths, dtype=np.float64) / (samples - 1)
    return out[..., :26].reshape(len(starts), samples, 13, 2), dt, out[..., 26:]


def mirror_windows(windows: np.ndarray) -> np.ndarray:
    """Left/right mirror image of box-coordinate windows ``(..., 13, 2)``: x -> 1 - x, left <-> right joints."""
    m = np.asarray(windows)[..., list(JOINT_MIRROR), :].copy()
    m[..., 0] = 1.0 - m[..., 0]
    return m


def _angles(w: np.ndarray) -> np.ndarray:
    """``(K, N, 13, 2)`` -> ``(K, N, 8)`` degrees of :data:`ANGLES` (NaN where undefined)."""
    a = w[..., _ANGLE_IDX[:, 0], :] - w[..., _ANGLE_IDX[:, 1], :]
    c = w[..., _ANGLE_IDX[:, 2], :] - w[..., _ANGLE_IDX[:, 1], :]
    na = np.linalg.norm(a, axis=-1)
    nc = np.linalg.norm(c, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(a * c, axis=-1) / (na * nc)
    cos = np.where((na > 1e-9) & (nc > 1e-9), cos, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def feature_names() -> list[str]:
    """Names of the columns of :func:`window_features`, in order."""
    from repvision.features import ANGLE_NAMES

    coords = [f"{j.name.lower()}_{a}" for j in Joint for a in "xy"]
    names = [f"{s}_{c}" for s in ("mean", "std", "min", "max") for c in coords]
    names += [f"speed_{s}_{j.name.lower()}" for s in ("mean", "max") for j in Joint]
    names += [f"angle_{s}_{a}" for s in ("mean", "std", "min", "max") for a in ANGLE_NAMES]
    names += [f"band_{lo:g}_{hi:g}hz" for lo, hi in BANDS_HZ]
    names += [f"{s}_{o}" for s in ("mean", "std", "min", "max") for o in ORIENTATION_NAMES]
    names += [f"motion_{s}_{m}" for s in ("std", "range") for m in MOTION_NAMES]
    return names


def window_weights(X: np.ndarray) -> np.ndarray:
    """``(K,)`` weights in [0, 1] of a clip's windows from their features ``(K, F)`` (:func:`window_features`):
    each window's movement -- the mean over the 26 box coordinates of their standard deviation in the window --
    relative to the clip's busy windows (its 90th percentile), capped at 1. A window where the person stands
    still between sets weighs about as much as pose jitter against the movement (a few per cent), so the exercise
    is read from the windows where it happens. All ones when no window moves."""
    X = np.asarray(X, dtype=np.float64)
    n_coords = 2 * len(Joint)   # the coordinate std block follows the coordinate means (feature_names())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        act = np.nanmean(X[:, n_coords:2 * n_coords], axis=1)
    act = np.where(np.isfinite(act), act, 0.0)
    ref = float(np.percentile(act, 90)) if act.size else 0.0
    if not ref > 0:
        return np.ones(len(act))
    return np.clip(act / ref, 0.0, 1.0)


def clip_proba(window_proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(C,)`` clip probabilities from ``(2K, C)`` probabilities of K windows followed by their K mirror
    images, averaged with the ``(K,)`` window ``weights`` (:func:`window_weights`; each mirror image weighs as
    its window)."""
    p = np.asarray(window_proba, dtype=np.float64)
    w = np.tile(np.asarray(weights, dtype=np.float64), 2)
    if w.shape[0] != p.shape[0]:
        raise ValueError(f"{p.shape[0]} window probabilities for {w.shape[0] // 2} weights (2 per weight expected)")
    return (w[:, None] * p).sum(axis=0) / w.sum() if w.sum() > 0 else p.mean(axis=0)


def window_features(windows: np.ndarray, dt: np.ndarray, ori: np.ndarray | None = None) -> np.ndarray:
    """Summarise windows over time.

    Parameters
    ----------
    windows:
        ``(K, N, 13, 2)`` box coordinates (from :func:`sequence_windows`).
    dt:
        ``(K,)`` seconds between samples.
    ori:
        ``(K, N, 9)`` per-frame cues from :func:`sequence_windows_ori`, or None (NaN: unknown).

    Returns
    -------
    ``(K, F)`` float64, F = ``len(feature_names())`` (= 187): coordinate mean/std/min/max (104), joint speed
    mean/max in box units per second (26), box-coordinate joint-angle mean/std/min/max in degrees (32), the
    share of the detrended coordinates' spectral energy in each band of :data:`BANDS_HZ` (3) -- these 165 are
    feature version 1 --, mean/std/min/max of the orientation cues (12; version 2) and the standard deviation
    and range (max - min) of each :data:`MOTION_NAMES` position in the window's median torso length (10;
    version 3). NaN where a joint was never seen (the classifier imputes the training mean). The orientation
    and motion cues need equal-scale coordinates, which RepCount-A's box poses lack; the shipped model is
    trained with them randomly blanked (:data:`repvision.training.CUE_DROPOUT`).

    Raises
    ------
    ValueError
        ``ori`` does not have :data:`N_CUES` columns.
    """
    w = np.asarray(windows, dtype=np.float64)
    k, n = w.shape[:2]
    dt = np.asarray(dt, dtype=np.float64).reshape(k)
    flat = w.reshape(k, n, 26)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices (joint never seen) -> NaN
        pos = [flat.mean(1), flat.std(1), flat.min(1), flat.max(1)]
        speed = np.linalg.norm(np.diff(w, axis=1), axis=-1) / dt[:, None, None]  # (K, N-1, 13)
        spd = [speed.mean(1), speed.max(1)]
        ang = _angles(w)
        angs = [np.nanmean(ang, 1), np.nanstd(ang, 1), np.nanmin(ang, 1), np.nanmax(ang, 1)]
        o = np.full((k, n, N_CUES), np.nan) if ori is None else np.asarray(ori, dtype=np.float64)
        if o.shape != (k, n, N_CUES):
            raise ValueError(f"cues must be (K, N, {N_CUES}) = {(k, n, N_CUES)}; got {o.shape}")
        n_o = len(ORIENTATION_NAMES)
        oris = [f(o[..., :n_o], 1) for f in (np.nanmean, np.nanstd, np.nanmin, np.nanmax)]
        pos_m = o[..., n_o:n_o + len(MOTION_NAMES)]
        torso = np.nanmedian(o[..., -1], axis=1)[:, None]
        motion = [np.nanstd(pos_m, 1) / torso, (np.nanmax(pos_m, 1) - np.nanmin(pos_m, 1)) / torso]
    # periodicity: spectrum of the linearly detrended coordinates, share of the energy in each band
    x = np.nan_to_num(flat - flat.mean(1, keepdims=True))
    ramp = np.linspace(-1.0, 1.0, n)
    slope = np.einsum("knc,n->kc", x, ramp) / np.sum(ramp ** 2)
    x = x - slope[:, None, :] * ramp[None, :, None]
    power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).sum(-1)[:, 1:]  # (K, n//2), DC dropped
    freqs = np.fft.rfftfreq(n)[None, 1:] / dt[:, None]  # (K, n//2) Hz
    total = power.sum(1) + 1e-12
    bands = np.stack([(power * ((freqs >= lo) & (freqs < hi))).sum(1) / total for lo, hi in BANDS_HZ], 1)
    out = np.concatenate(pos + spd + angs + [bands] + oris + motion, axis=1)
    return np.where(np.isfinite(out), out, np.nan)


def window_features_and_mirror(windows: np.ndarray, dt: np.ndarray, ori: np.ndarray | None = None
                               ) -> tuple[np.ndarray, np.ndarray]:
    """``(X, Xm)``: :func:`window_features` of ``(K, N, 13, 2)`` windows and of their left/right mirror images
    (:func:`mirror_windows`; the cues ``ori`` are mirror invariant as used), each ``(K, F)`` -- the two inputs of
    every clip prediction (:meth:`ExerciseClassifier.windows_proba`)."""
    return window_features(windows, dt, ori), window_features(mirror_windows(windows), dt, ori)


def sequence_features(seq: PoseSequence, mirror: bool = False) -> np.ndarray:
    """``(K, F)`` features of the windows of a sequence (:func:`sequence_windows` + :func:`window_features`);
    ``mirror=True`` gives those of the left/right mirror image. Raises :class:`TooFewDetectionsError` when no
    frame has a person."""
    w, dt, ori = sequence_windows_ori(seq)
    if mirror:
        w = mirror_windows(w)
    return window_features(w, dt, ori)


# --------------------------------------------------------------------------------------------- classifier
def _merge_members(coefs: list[list[np.ndarray]], intercepts: list[list[np.ndarray]]
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One MLP whose output logits are the mean of the members' logits.

    ``coefs[m][l]`` is member ``m``'s layer-``l`` weight ``(in, out)``, ``intercepts[m][l]`` its bias. The
    first layer's weights are placed side by side, hidden-to-hidden weights block-diagonally, and the output
    weights stacked and divided by the number of members; a member without hidden layers (a linear model) is
    averaged directly. Members must share their layer widths.
    """
    from scipy.linalg import block_diag

    n = len(coefs)
    n_layers = len(coefs[0])
    if n == 1:
        return list(coefs[0]), list(intercepts[0])
    if n_layers == 1:
        return [sum(c[0] for c in coefs) / n], [sum(b[0] for b in intercepts) / n]
    W, B = [], []
    for layer in range(n_layers):
        cs = [c[layer] for c in coefs]
        bs = [b[layer] for b in intercepts]
        if layer == 0:
            W.append(np.concatenate(cs, axis=1))
            B.append(np.concatenate(bs))
        elif layer == n_layers - 1:
            W.append(np.concatenate(cs, axis=0) / n)
            B.append(sum(bs) / n)
        else:
            W.append(block_diag(*cs))
            B.append(np.concatenate(bs))
    return W, B


class ExerciseClassifier(ParamsMixin):
    """Window-level exercise classifier with a numpy-only forward pass (scikit-learn estimator contract).

    Parameters (keyword-only, stored unchanged)
    ----------
    hidden_layer_sizes:
        Hidden layer widths of the MLP (ReLU).
    alpha:
        L2 penalty of the MLP.
    max_iter:
        Training epochs (Adam).
    random_state:
        Seed for the weight initialisation and the mini-batch order (member ``i`` uses ``random_state + i``).
    n_members:
        Number of MLPs trained from different seeds whose logits are averaged (a seed ensemble, Lakshminarayanan
        et al., NeurIPS 2017, "Simple and scalable predictive uncertainty estimation using deep ensembles").
        They are stored as one wider MLP (hidden layers side by side, output weights divided by ``n_members``),
        so the model file and the numpy forward pass keep their form.
    unknown_threshold:
        Clip-level top probability below which :meth:`predict_sequence` answers ``"unknown"``.
    exercise_classes:
        The classes the model may answer with; any other best class (non-exercise negatives such as Penn
        Action's sports, ``other``) is answered ``"unknown"``. None: the classes that are in repvision's
        vocabulary (:data:`EXERCISES`), as for the shipped model. A model trained on one's own videos
        (:func:`repvision.training.train_default_classifier` on a ``root/<exercise>/*.mp4`` folder) lists its
        own labels here.

    Attributes (after :meth:`fit` or :meth:`load`)
    ----------
    classes_:
        ``(C,)`` class labels, sorted; :meth:`predict_proba` columns follow this order.
    mean_, scale_:
        ``(F,)`` standardisation of the features.
    coefs_, intercepts_:
        Layer weights ``(in, out)`` and biases ``(out,)``.
    n_features_in_:
        F.
    estimators_:
        The fitted scikit-learn ``MLPClassifier`` members (only after :meth:`fit`, not saved); ``estimator_`` is
        the first.
    metadata_:
        Free-form dict saved with the model (training figures, data, ...).
    """

    def __init__(self, *, hidden_layer_sizes: tuple[int, ...] = (128,), alpha: float = 1e-3, max_iter: int = 200,
                 random_state: int = 0, n_members: int = 1, unknown_threshold: float = 0.5,
                 exercise_classes: tuple[str, ...] | None = None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.alpha = alpha
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_members = n_members
        self.unknown_threshold = unknown_threshold
        self.exercise_classes = exercise_classes

    def answerable(self) -> frozenset[str]:
        """Labels :meth:`predict_sequence` may answer with: the model's classes (``classes_``, once fitted or
        loaded) that are in ``exercise_classes``, or in :data:`EXERCISES` when that is None. An exercise of the
        vocabulary the model was never trained on (the shipped model has no deadlift, lunge or lateral raise) is
        not among them."""
        allowed = EXERCISES if self.exercise_classes is None else frozenset(self.exercise_classes)
        classes = getattr(self, "classes_", None)
        return allowed if classes is None else allowed & frozenset(str(c) for c in classes)

    # -- scikit-learn contract (get_params / set_params / repr: ParamsMixin) ------------------------
    def fit(self, X: np.ndarray, y: Any, sample_weight: np.ndarray | None = None) -> "ExerciseClassifier":
        """Fit on window features ``X`` ``(n, F)`` (NaN allowed: imputed with the mean) and labels ``y`` ``(n,)``.

        Needs scikit-learn. Returns ``self``.

        Raises
        ------
        ValueError
            ``X`` is not ``(n, F)`` with ``n == len(y)``, or ``n_members`` < 1.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be (n, F) with n == len(y); got {X.shape} and {y.shape}")
        if int(self.n_members) < 1:
            raise ValueError(f"n_members must be >= 1; got {self.n_members}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(X, axis=0)
            std = np.nanstd(X, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        scale = np.where(np.isfinite(std) & (std > 1e-8), std, 1.0)
        Z = self._standardize(X, mean, scale)
        members = []
        for i in range(int(self.n_members)):
            mlp = MLPClassifier(hidden_layer_sizes=tuple(self.hidden_layer_sizes), activation="relu", solver="adam",
                                alpha=self.alpha, batch_size=min(256, len(X)), learning_rate_init=1e-3,
                                max_iter=self.max_iter, random_state=int(self.random_state) + i, tol=1e-5,
                                n_iter_no_change=20)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if sample_weight is None:
                    mlp.fit(Z, y)
                else:
                    mlp.fit(Z, y, sample_weight=np.asarray(sample_weight, dtype=np.float64))
            members.append(mlp)
        self.estimators_ = members
        self.estimator_ = members[0]
        self.classes_ = np.asarray(members[0].classes_)
        self.mean_, self.scale_ = mean, scale
        self.coefs_, self.intercepts_ = _merge_members(
            [[np.asarray(c, dtype=np.float64) for c in m.coefs_] for m in members],
            [[np.asarray(b, dtype=np.float64) for b in m.intercepts_] for m in members])
        self.n_features_in_ = X.shape[1]
        self.metadata_: dict[str, Any] = getattr(self, "metadata_", {})
        return self

    @staticmethod
    def _standardize(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
        Z = (np.asarray(X, dtype=np.float64) - mean) / scale
        return np.where(np.isfinite(Z), Z, 0.0)

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise NotFittedError(
                "a fitted ExerciseClassifier", "one that was neither fitted nor loaded",
                "Call fit(X, y) or ExerciseClassifier.load(path), or use load_default_classifier().",
            )

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n, C)`` class probabilities of window features ``X`` ``(n, F)`` (numpy forward pass; columns
        follow :attr:`classes_`). Raises :class:`NotFittedError` before fit/load."""
        self._check_fitted()
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the classifier expects {self.n_features_in_}")
        h = self._standardize(X, self.mean_, self.scale_)
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            h = h @ W + b
            if i < len(self.coefs_) - 1:
                h = np.maximum(h, 0.0)
        if h.shape[1] == 1:  # binary MLP: logistic output for the second class
            p = 1.0 / (1.0 + np.exp(-h[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        h = h - h.max(axis=1, keepdims=True)
        e = np.exp(h)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` most probable class of each row of ``X``."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    # -- sequences ---------------------------------------------------------------------------------------
    def sequence_proba(self, seq: PoseSequence) -> np.ndarray:
        """``(C,)`` clip probabilities: the window probabilities (each window and its mirror image) averaged
        with :func:`window_weights`, so still stretches (a rest between sets) weigh little.

        Raises :class:`TooFewDetectionsError` when no frame has a person, :class:`NotFittedError` before fit."""
        self._check_fitted()
        return self.windows_proba(*window_features_and_mirror(*sequence_windows_ori(seq)))

    def windows_proba(self, X: np.ndarray, X_mirror: np.ndarray) -> np.ndarray:
        """``(C,)`` clip probabilities from the ``(K, F)`` features of its windows and ``(K, F)`` of their
        mirror images (:func:`window_features`): the probabilities of all ``2K`` averaged with
        :func:`window_weights` (:func:`clip_proba`). Used by :meth:`sequence_proba` and by training, which keeps
        the features of its clips."""
        Xa = np.concatenate([X, X_mirror])[:, : self.n_features_in_]
        return clip_proba(self.predict_proba(Xa), window_weights(X))

    def predict_sequence(self, seq: PoseSequence, top_k: int = 3, threshold: float | None = None
                         ) -> ExercisePrediction:
        """Classify a whole clip.

        Parameters
        ----------
        seq:
            Pose sequence in any skeleton / coordinate space; NaN frames and joints are allowed.
        top_k:
            Number of ``(label, probability)`` pairs in ``top`` (best first, over all classes).
        threshold:
            Unknown threshold; None uses :attr:`unknown_threshold` (chosen by cross-validation for the shipped
            model).

        Returns
        -------
        :class:`ExercisePrediction` whose ``label`` is the best class, or ``"unknown"`` when its probability is
        below the threshold or it is not one the model answers with (:meth:`answerable`).

        Raises
        ------
        TooFewDetectionsError
            No frame has a person. :class:`NotFittedError` before fit/load.
        """
        thr = float(self.unknown_threshold if threshold is None else threshold)
        p = self.sequence_proba(seq)
        order = np.argsort(-p, kind="stable")[: max(1, int(top_k))]
        top = tuple((str(self.classes_[i]), float(p[i])) for i in order)
        best, conf = top[0]
        label = best if open_set_answers(p, self.classes_, self.answerable(), thr)[0] >= 0 else UNKNOWN
        return ExercisePrediction(label, conf, top, thr)

    # -- persistence -------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the weights and a JSON metadata record to a ``.npz`` file (no pickles)."""
        self._check_fitted()
        meta = {
            "format": "repvision.exercise_classifier", "feature_version": FEATURE_VERSION,
            "classes": [str(c) for c in self.classes_], "params": {
                **self.get_params(), "hidden_layer_sizes": list(self.hidden_layer_sizes),
                "exercise_classes": None if self.exercise_classes is None else list(self.exercise_classes)},
            "window_s": WINDOW_S, "hop_s": HOP_S, "window_samples": WINDOW_SAMPLES,
            "n_layers": len(self.coefs_), "n_features": int(self.n_features_in_),
            "metadata": getattr(self, "metadata_", {}),
        }
        arrays: dict[str, np.ndarray] = {"meta_json": np.array(json.dumps(meta)),
                                         "mean": self.mean_.astype(np.float64), "scale": self.scale_.astype(np.float64)}
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            arrays[f"W{i}"] = W.astype(np.float64)
            arrays[f"b{i}"] = b.astype(np.float64)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "ExerciseClassifier":
        """Read a model written by :meth:`save`.

        Raises
        ------
        ManifestError
            Missing or unreadable file, or a file written for another feature version.
        """
        path = Path(path)
        if not path.is_file():
            raise ManifestError(f"an exercise classifier file at {path}", "no such file",
                                "Check the path; train one with `repvision train --data DIR --out FILE`, or "
                                "reinstall repvision for the shipped model.")
        if path.suffix.lower() in (".pt", ".pth"):
            raise ManifestError(f"an exercise classifier .npz at {path}",
                                "a PyTorch file (a sequence model from `repvision train --model`, for research)",
                                "Train the classifier analyze uses with `repvision train --data DIR --out FILE.npz` "
                                "(no --model).")
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta_json"]))
                n = int(meta["n_layers"])
                arrays = {k: z[k] for k in z.files}
        except Exception as e:  # noqa: BLE001
            raise ManifestError(f"a repvision exercise classifier .npz at {path}", f"an unreadable file ({e})",
                                "Re-train or reinstall the model file.") from e
        if meta.get("feature_version") not in SUPPORTED_FEATURE_VERSIONS:
            raise ManifestError(f"a classifier for feature version {FEATURE_VERSION}",
                                f"version {meta.get('feature_version')}", "Re-train the classifier.")
        params = dict(meta["params"])
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        if params.get("exercise_classes") is not None:
            params["exercise_classes"] = tuple(params["exercise_classes"])
        clf = cls(**params)
        clf.classes_ = np.asarray(meta["classes"])
        clf.mean_, clf.scale_ = arrays["mean"], arrays["scale"]
        clf.coefs_ = [arrays[f"W{i}"] for i in range(n)]
        clf.intercepts_ = [arrays[f"b{i}"] for i in range(n)]
        clf.n_features_in_ = int(meta["n_features"])
        clf.metadata_ = meta.get("metadata", {})
        return clf


def default_model_path() -> Path:
    """Path of the shipped model, ``repvision/models/exercise_classifier.npz``."""
    return Path(str(resources.files("repvision") / "models" / DEFAULT_MODEL))


_LOADED: dict[str, ExerciseClassifier] = {}   # resolved path -> model, read once per process


def load_default_classifier() -> ExerciseClassifier:
    """The shipped classifier (loaded once per process). Raises :class:`ManifestError` if the file is missing."""
    return load_classifier(default_model_path())


def load_classifier(path: str | Path | None = None) -> ExerciseClassifier:
    """The classifier saved at ``path`` (:meth:`ExerciseClassifier.load`; each file read once per process), or
    the shipped one when ``path`` is None. Raises :class:`ManifestError` for a missing or unreadable file."""
    path = default_model_path() if path is None else Path(path)
    key = str(path.resolve())
    if key not in _LOADED:
        _LOADED[key] = ExerciseClassifier.load(path)
    return _LOADED[key]


def open_set_answers(proba: np.ndarray, classes: Any, answerable: Iterable[str], threshold: float) -> np.ndarray:
    """The open-set rule of every exercise answer in repvision (a clip, a window of a segment, an out-of-fold
    prediction in training): the best class, when it is one the model answers with and its probability is at
    least ``threshold``; else "unknown".

    ``proba``: ``(C,)`` or ``(N, C)`` probabilities whose columns follow ``classes`` ``(C,)``; ``answerable``:
    the labels that may be answered (exercises; not the non-exercise classes such as Penn Action's sports).
    Returns ``(N,)`` int: the index into ``classes`` of each row's answer, -1 for "unknown" (ties go to the
    first class).
    """
    p = np.atleast_2d(np.asarray(proba, dtype=np.float64))
    best = np.argmax(p, axis=1)
    known = np.isin(np.asarray(classes).astype(str)[best], sorted(answerable))
    ok = known & (p[np.arange(len(p)), best] >= threshold)
    return np.where(ok, best, -1)


def predict_sequence(seq: PoseSequence, top_k: int = 3, threshold: float | None = None) -> ExercisePrediction:
    """Classify a pose sequence with the shipped model (see :meth:`ExerciseClassifier.predict_sequence`)."""
    return load_default_classifier().predict_sequence(seq, top_k=top_k, threshold=threshold)


# ------------------------------------------------------------------------------------------- segmentation
def window_probabilities(seq: PoseSequence, classifier: ExerciseClassifier | None = None, *,
                         window_s: float = WINDOW_S, step_s: float = 0.5
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class probabilities of sliding windows laid over the **whole** time line of a sequence.

    Windows of ``window_s`` seconds start every ``step_s`` seconds from the first timestamp (plus one window
    ending at the last timestamp); a window with fewer than :data:`MIN_WINDOW_FRAMES` frames with a person
    (no person, or a gap in the detections) gets no probabilities. Each window's probabilities are the mean
    of those of the window and its mirror image, as in :meth:`ExerciseClassifier.sequence_proba`.

    A window whose standardised features are far from the training data (root mean square of the z-scores
    above :data:`OOD_RMS_Z`, a diagonal Mahalanobis distance -- Mahalanobis 1936; Lee et al., NeurIPS 2018,
    use the same idea for out-of-distribution detection) is also invalid: an MLP can be confidently wrong
    there (e.g. on random keypoints, which give about 3.5 while real MediaPipe windows stay below 2.2).

    Returns
    -------
    ``(centers, proba, valid)``: ``(K,)`` window centre times in seconds, ``(K, C)`` probabilities (columns
    follow ``classifier.classes_``; rows of invalid windows are 0) and ``(K,)`` bool validity. ``K == 0`` when
    no frame has a person.
    """
    clf = classifier or load_default_classifier()
    clf._check_fitted()
    n_cls = len(clf.classes_)
    ts = np.asarray(seq.timestamps, dtype=np.float64)
    if len(ts) == 0:
        return np.zeros(0), np.zeros((0, n_cls)), np.zeros(0, dtype=bool)
    try:
        box, t, ori = _present(seq)
    except TooFewDetectionsError:
        return np.zeros(0), np.zeros((0, n_cls)), np.zeros(0, dtype=bool)
    t0, t1 = float(ts.min()), float(ts.max())
    span = t1 - t0
    if span <= window_s:
        starts, lengths = np.array([t0]), np.array([max(span, 1e-3)])
    else:
        starts = t0 + step_s * np.arange(int(np.floor((span - window_s) / step_s)) + 1)
        if t1 - (starts[-1] + window_s) > 0.25 * step_s:
            starts = np.append(starts, t1 - window_s)
        lengths = np.full(len(starts), float(window_s))
    counts = np.searchsorted(t, starts + lengths, side="right") - np.searchsorted(t, starts, side="left")
    valid = counts >= min(MIN_WINDOW_FRAMES, len(t))
    centers = starts + 0.5 * lengths
    proba = np.zeros((len(starts), n_cls))
    if valid.any():
        flat = np.concatenate([box.reshape(len(t), -1), ori], axis=1)
        w, dt, o = _resample_windows(flat, t, starts[valid], lengths[valid], WINDOW_SAMPLES)
        X = np.concatenate(window_features_and_mirror(w, dt, o))
        X = X[:, : clf.n_features_in_]
        p = clf.predict_proba(X)
        k = int(valid.sum())
        proba[valid] = 0.5 * (p[:k] + p[k:])
        z = clf._standardize(X[:k], clf.mean_, clf.scale_)
        novel = np.sqrt(np.mean(z ** 2, axis=1)) > OOD_RMS_Z
        idx = np.flatnonzero(valid)[novel]
        valid[idx] = False
        proba[idx] = 0.0
    return centers, proba, valid


def segment_exercises(seq: PoseSequence, classifier: ExerciseClassifier | None = None, *,
                      window_s: float = WINDOW_S, step_s: float = 0.5, smooth_windows: int = 5,
                      min_segment_s: float = 3.0, threshold: float | None = None) -> tuple[ExerciseSegment, ...]:
    """Split a sequence into labelled exercise segments (several exercises one after another).

    Method
    ------
    1. Class probabilities of sliding windows (:func:`window_probabilities`: ``window_s`` long, every
       ``step_s`` seconds, mirror test-time augmentation; windows without a person or out of distribution
       are invalid).
    2. Temporal smoothing: a centred moving average of the probability vectors over ``smooth_windows``
       neighbouring windows (windows without a person are left out of the average and stay unknown) -- the
       usual sliding-window + smoothing scheme of temporal action segmentation before learned models
       (e.g. the smoothed per-frame scores of Rohrbach et al., "A database for fine grained activity detection
       of cooking activities", CVPR 2012; see Lea et al., "Temporal Convolutional Networks for Action
       Segmentation and Detection", CVPR 2017, for the comparison with learned smoothing).
    3. Each window is labelled with its best class, or ``"unknown"`` when the smoothed probability is below
       ``threshold`` or the best class is not an exercise (sports negatives, ``other``) -- the open-set rule of
       :meth:`ExerciseClassifier.predict_sequence`.
    4. Every frame takes the label of the window whose centre is nearest in time, except frames without a
       person (fewer than :data:`MIN_JOINTS` joints), which are ``"unknown"``; runs of equal labels become
       segments.
    5. Segments shorter than ``min_segment_s`` are absorbed, shortest first: one between two segments is split
       between them at the cut that maximises the summed smoothed probability of the left label before it and
       the right label after it (an ``"unknown"`` neighbour counts the best class's probability); one at an end
       of the clip joins its only neighbour; equal neighbours are merged. A clip whose segments are all short
       becomes one segment.

    Parameters
    ----------
    seq:
        Pose sequence (``keypoints`` ``(T, V, 4)``, ``timestamps`` ``(T,)`` seconds, any skeleton and coordinate
        space; NaN frames where no person).
    classifier:
        Window classifier; None uses :func:`load_default_classifier`.
    window_s, step_s:
        Window length and hop in seconds.
    smooth_windows:
        Width of the moving average in windows (1 = no smoothing).
    min_segment_s:
        Shortest segment kept, seconds.
    threshold:
        Unknown threshold on the smoothed window probability; None uses the classifier's ``unknown_threshold``.

    Returns
    -------
    tuple of :class:`ExerciseSegment` covering frames ``0 .. T`` in order, without gaps (``end_frame`` exclusive);
    empty for an empty sequence. A sequence without any person gives one ``"unknown"`` segment.
    """
    clf = classifier or load_default_classifier()
    thr = float(clf.unknown_threshold if threshold is None else threshold)
    n = len(seq)
    if n == 0:
        return ()
    ts = np.asarray(seq.timestamps, dtype=np.float64)
    joints = seq.to_joints13()   # once: window_probabilities and the person mask below both need it
    centers, proba, valid = window_probabilities(joints, clf, window_s=window_s, step_s=step_s)
    # -- 2. moving average over valid neighbouring windows
    k = len(centers)
    h = max(0, int(smooth_windows) // 2)
    smooth = np.zeros_like(proba)
    if k:
        cs = np.concatenate([np.zeros((1, proba.shape[1])), np.cumsum(proba * valid[:, None], axis=0)])
        cv = np.concatenate([[0], np.cumsum(valid)])
        lo = np.clip(np.arange(k) - h, 0, k)
        hi = np.clip(np.arange(k) + h + 1, 0, k)
        num = cs[hi] - cs[lo]
        den = (cv[hi] - cv[lo]).astype(np.float64)
        smooth = np.where(valid[:, None] & (den[:, None] > 0), num / np.maximum(den, 1.0)[:, None], 0.0)
    # -- 3. window labels (index into classes, -1 = unknown)
    best = np.argmax(smooth, axis=1) if k else np.zeros(0, dtype=int)
    top = smooth[np.arange(k), best] if k else np.zeros(0)
    wlab = np.where(valid, open_set_answers(smooth, clf.classes_, clf.answerable(), thr), -1) if k else best
    # -- 4. frames -> nearest window centre
    if k:
        pos = np.clip(np.searchsorted(centers, ts), 1, max(k - 1, 1))
        left = np.clip(pos - 1, 0, k - 1)
        right = np.clip(pos, 0, k - 1)
        nearest = np.where(np.abs(ts - centers[left]) <= np.abs(centers[right] - ts), left, right)
        # a frame without a person is never given an exercise (a short such run is absorbed in step 5)
        flab = np.where(_with_person(joints), wlab[nearest], -1)
        fwin = nearest
    else:
        flab = np.full(n, -1)
        fwin = np.zeros(n, dtype=int)
    change = np.flatnonzero(np.diff(flab)) + 1
    bounds = [0, *change.tolist(), n]
    segs = [[bounds[i], bounds[i + 1], int(flab[bounds[i]])] for i in range(len(bounds) - 1)]

    fps = seq.fps
    t_end = float(ts[-1] + (1.0 / fps if fps > 0 else 0.0))

    def t_at(frame: int) -> float:
        return float(ts[frame]) if frame < n else t_end

    def score(lab: int, a: int, b: int) -> float:
        """Mean smoothed probability of class ``lab`` (best class for -1) over the windows of frames a:b."""
        if not k:
            return 0.0
        w = fwin[a:b]
        return float(np.mean(top[w] if lab < 0 else smooth[w, lab]))

    # -- 5. absorb short segments
    while len(segs) > 1:
        dur = [t_at(b) - t_at(a) for a, b, _ in segs]
        i = int(np.argmin(dur))
        if dur[i] >= min_segment_s:
            break
        a, b, _ = segs[i]
        nbrs = [j for j in (i - 1, i + 1) if 0 <= j < len(segs)]
        if len(nbrs) == 2 and k:
            # between two segments: split where the two neighbours' probabilities cross (best cut)
            w = fwin[a:b]
            pl = top[w] if segs[i - 1][2] < 0 else smooth[w, segs[i - 1][2]]
            pr = top[w] if segs[i + 1][2] < 0 else smooth[w, segs[i + 1][2]]
            gain = np.concatenate([[0.0], np.cumsum(pl - pr)])  # gain[m]: frames a..a+m-1 go left
            m = a + int(np.argmax(gain))
            segs[i - 1][1] = m
            segs[i + 1][0] = m
        else:
            j = nbrs[0] if len(nbrs) == 1 else max(nbrs, key=lambda j: (score(segs[j][2], a, b), dur[j]))
            if j < i:
                segs[j][1] = b
            else:
                segs[j][0] = a
        del segs[i]
        segs = [sg for sg in segs if sg[1] > sg[0]]
        merged = [segs[0]]
        for s in segs[1:]:
            if s[2] == merged[-1][2]:
                merged[-1][1] = s[1]
            else:
                merged.append(s)
        segs = merged
    out = []
    for a, b, lab in segs:
        valid_w = valid[fwin[a:b]] if k else np.zeros(b - a, dtype=bool)
        conf = score(lab, a, b) if valid_w.any() else 0.0
        out.append(ExerciseSegment(UNKNOWN if lab < 0 else str(clf.classes_[lab]), t_at(a), t_at(b), a, b, conf))
    return tuple(out)
