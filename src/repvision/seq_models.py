"""Sequence models for exercise classification (PyTorch; used for training and evaluation only).

PyTorch is **not** a core dependency of repvision: this module imports it at the top and is only imported by
the training / evaluation commands (``pip install 'repvision[train]'``). The shipped default classifier
(:mod:`repvision.classify`) runs on numpy alone.

Input representation (shared by every model)
--------------------------------------------
A pose sequence (any skeleton, any coordinate space) is converted by :func:`sequence_tensor`:

1. reduced to the common 13-joint layout (:class:`repvision.skeleton.Joint`); frames with fewer than
   :data:`MIN_JOINTS` finite joints are dropped, joint gaps are filled linearly in time;
2. **per-clip** normalisation: coordinates with equal scale on both axes (pixels) where the source has them
   (Penn Action, Pose Trainer, MediaPipe with a known image size), otherwise the per-frame box coordinates
   (RepCount-A); then centred on the clip's median hip midpoint and divided by the clip's median body extent
   (median over frames of the larger side of the 13-joint box). One scale per clip keeps the body's global
   motion (a pull-up rises, a jumping jack bounces) and its aspect ratio (lying vs standing);
3. cut into windows of :data:`WINDOW_S` seconds (hop :data:`HOP_S`), each resampled by timestamp to
   :data:`T_FRAMES` instants (a shorter clip gives one window over its whole span), so the frame rate does not
   matter;
4. channels ``C = 5`` per joint and instant: normalised x, y (image orientation, y down), velocities vx, vy
   in body extents per second (central differences over the true timestamps, computed before resampling),
   and an "observed" flag (1 = detected in the source frame, 0 = filled by interpolation; the same meaning
   for every source, unlike the sources' own confidence scales).

Result: ``(K, T, 13, C)`` float32 windows per clip; a batch is ``(N, T, 13, C)``. A clip's probabilities are
the mean of its windows' probabilities.

Models (all map ``(N, T, 13, C)`` to ``(N, n_classes)`` logits)
--------------------------------------------------------------
* :class:`FrameMLP` -- a per-frame multilayer perceptron; the clip's output is the log of the mean of the
  frame probabilities (soft vote).
* :class:`LSTMClassifier` -- per-frame linear embedding, a 2-layer LSTM (Hochreiter & Schmidhuber, 1997), mean
  and last hidden state pooled.
* :class:`Conv1DLSTM` -- temporal 1-D convolutions (local motion patterns) followed by an LSTM.
* :class:`STGCN` -- spatial-temporal graph convolution network (Yan, Xiong, Lin, "Spatial Temporal Graph
  Convolutional Networks for Skeleton-Based Action Recognition", AAAI 2018): graph convolutions over the
  13-joint skeleton graph (:data:`repvision.skeleton.JOINT_CONNECTIONS`, spatial partitioning into root /
  centripetal / centrifugal neighbours as in the paper, learnable edge importance) alternating with temporal
  convolutions, residual connections, global average pooling.

:class:`TorchSequenceClassifier` wraps any of them with the scikit-learn estimator contract (``fit``,
``predict``, ``predict_proba``, ``classes_``), class-weighted cross-entropy, a validation split grouped by
video with early stopping, a OneCycle learning-rate schedule, fixed seeds and augmentation (left/right
mirroring with :data:`repvision.skeleton.JOINT_MIRROR`, speed change by temporal resampling, small rotation).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from repvision.estimator import ParamsMixin
from repvision.errors import NotFittedError, TooFewDetectionsError
from repvision.features import interpolate_gaps
from repvision.skeleton import JOINT_CONNECTIONS, JOINT_MIRROR, Joint
from repvision.types import PoseSequence

#: Window length and hop (seconds) of :func:`sequence_tensor`. 4 s covers a whole Penn Action clip (median
#: about 2.7 s) and at least one repetition of every exercise here.
WINDOW_S: float = 4.0
HOP_S: float = 2.0
#: Instants per window (evenly spaced in time): 32 over 4 s = 8 per second.
T_FRAMES: int = 32
#: Channels per joint: x, y, vx, vy, observed.
N_CHANNELS: int = 5
N_JOINTS: int = 13
#: A frame is used when at least this many of its 13 joints are finite.
MIN_JOINTS: int = 5
#: Model names accepted by :class:`TorchSequenceClassifier`.
MODELS: tuple[str, ...] = ("mlp", "lstm", "conv1d_lstm", "stgcn")


# ------------------------------------------------------------------------------------------ input tensors
def _equal_scale_xy(j: PoseSequence) -> np.ndarray:
    """``(T, 13, 2)`` x/y with equal scale on both axes where the source has it, else box coordinates."""
    xy = np.asarray(j.keypoints[..., :2], dtype=np.float64)
    if j.coordinates == "pixels" or (j.coordinates == "image" and j.image_size):
        return np.asarray(j.xy_pixels(), dtype=np.float64)
    from repvision.features import normalize_box

    return normalize_box(xy)


def sequence_tensor(seq: PoseSequence, window_s: float = WINDOW_S, hop_s: float = HOP_S,
                    t_frames: int = T_FRAMES) -> np.ndarray:
    """Windows of a pose sequence as model input.

    Parameters
    ----------
    seq:
        Any skeleton and coordinate space (see the module docstring for the normalisation).
    window_s, hop_s:
        Window length and hop in seconds.
    t_frames:
        Instants per window (resampled by timestamp, linear interpolation).

    Returns
    -------
    ``(K, t_frames, 13, 5)`` float32: x, y (clip-normalised, body extents), vx, vy (body extents per second),
    observed flag (0..1 after interpolation). ``K >= 1``.

    Raises
    ------
    TooFewDetectionsError
        No frame has at least :data:`MIN_JOINTS` joints.
    """
    j = seq.to_joints13()
    raw = np.asarray(j.keypoints[..., :2], dtype=np.float64)
    finite = np.isfinite(raw).all(axis=-1)  # (T, 13)
    keep = finite.sum(axis=1) >= MIN_JOINTS
    if not keep.any():
        raise TooFewDetectionsError(
            f"at least one frame with a person (>= {MIN_JOINTS} of 13 joints)", f"none in {len(seq)} frames",
            "Keep the whole body in the picture, or try --pose-model full.")
    xy = _equal_scale_xy(j)[keep]
    obs = finite[keep].astype(np.float64)
    t = np.asarray(seq.timestamps, dtype=np.float64)[keep]
    order = np.argsort(t, kind="stable")
    xy, obs, t = xy[order], obs[order], t[order]
    xy = interpolate_gaps(xy)
    xy = np.where(np.isfinite(xy), xy, np.nan)
    # per-clip normalisation: median hip midpoint, median body extent
    hip = 0.5 * (xy[:, Joint.LEFT_HIP] + xy[:, Joint.RIGHT_HIP])
    centre = np.nanmedian(hip, axis=0) if np.isfinite(hip).any() else np.nanmedian(xy.reshape(-1, 2), axis=0)
    ext = np.nanmax(xy, axis=1) - np.nanmin(xy, axis=1)  # (P, 2)
    scale = float(np.nanmedian(np.nanmax(ext, axis=1)))
    if not np.isfinite(scale) or scale <= 1e-9:
        scale = 1.0
    xy = (xy - centre) / scale
    xy = np.nan_to_num(xy, nan=0.0)  # a joint never seen: at the centre, observed = 0
    # velocities per second (before resampling), duplicate timestamps tolerated
    if len(t) >= 2 and t[-1] > t[0]:
        tt = t + np.arange(len(t)) * 1e-6  # strictly increasing for np.gradient
        vel = np.gradient(xy, tt, axis=0)
    else:
        vel = np.zeros_like(xy)
    flat = np.concatenate([xy, vel, obs[..., None]], axis=-1).reshape(len(t), -1)  # (P, 13*5)
    span = t[-1] - t[0] if len(t) > 1 else 0.0
    if span <= window_s:
        starts, lengths = np.array([t[0]]), np.array([max(span, 1e-3)])
    else:
        n = int(np.floor((span - window_s) / hop_s)) + 1
        starts = t[0] + hop_s * np.arange(n)
        if t[-1] - (starts[-1] + window_s) > 0.25 * hop_s:
            starts = np.append(starts, t[-1] - window_s)
        lengths = np.full(len(starts), window_s)
    frac = np.linspace(0.0, 1.0, t_frames)
    out = np.empty((len(starts), t_frames, flat.shape[1]), dtype=np.float32)
    for k, (s, w) in enumerate(zip(starts, lengths)):
        ts = s + frac * w
        for c in range(flat.shape[1]):
            out[k, :, c] = np.interp(ts, t, flat[:, c])
    return out.reshape(len(starts), t_frames, N_JOINTS, N_CHANNELS)


# ----------------------------------------------------------------------------------------- augmentation
def mirror(x: np.ndarray) -> np.ndarray:
    """Left/right mirror image of windows ``(..., 13, C)`` from :func:`sequence_tensor`: joints swapped with
    :data:`JOINT_MIRROR`, x and vx negated (the coordinates are centred, so x -> -x is a mirror)."""
    m = np.asarray(x)[..., list(JOINT_MIRROR), :].copy()
    m[..., 0] = -m[..., 0]
    m[..., 2] = -m[..., 2]
    return m


def rotate(x: np.ndarray, radians: np.ndarray) -> np.ndarray:
    """Rotate the position and velocity channels of ``(N, T, 13, C)`` windows by ``radians`` ``(N,)``."""
    c, s = np.cos(radians)[:, None, None], np.sin(radians)[:, None, None]
    out = np.array(x, copy=True)
    for a, b in ((0, 1), (2, 3)):
        u, v = x[..., a], x[..., b]
        out[..., a] = c * u - s * v
        out[..., b] = s * u + c * v
    return out


def speed_change(x: np.ndarray, factors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Resample a random sub-span of ``factors[i]`` (0 < f <= 1) of each window to its full length: the
    motion looks ``1/f`` times slower, so velocities are multiplied by ``f``. ``x``: ``(N, T, 13, C)``."""
    n, t = x.shape[:2]
    out = np.empty_like(x)
    grid = np.linspace(0.0, 1.0, t)
    for i in range(n):
        f = float(factors[i])
        start = rng.uniform(0.0, 1.0 - f) if f < 1.0 else 0.0
        pos = (start + f * grid) * (t - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, t - 1)
        w = (pos - lo)[:, None, None]
        out[i] = (1.0 - w) * x[i, lo] + w * x[i, hi]
        out[i, ..., 2:4] *= f
    return out


def augment(x: np.ndarray, rng: np.random.Generator, max_rotation_deg: float = 10.0,
            min_speed: float = 0.75) -> np.ndarray:
    """Random augmentation of a batch ``(N, T, 13, C)``: mirror with probability 0.5, rotation uniform in
    +-``max_rotation_deg`` degrees, speed change with factor uniform in [``min_speed``, 1]. Labels unchanged."""
    x = np.asarray(x, dtype=np.float32)
    flip = rng.random(len(x)) < 0.5
    if flip.any():
        x = x.copy()
        x[flip] = mirror(x[flip])
    x = speed_change(x, rng.uniform(min_speed, 1.0, len(x)), rng)
    x = rotate(x, np.radians(rng.uniform(-max_rotation_deg, max_rotation_deg, len(x))))
    return x.astype(np.float32)


def grouped_validation_split(labels: Sequence[Any], groups: Sequence[Any], fraction: float = 0.15,
                             seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Split clip indices into (train, validation), stratified by label and **grouped**: no group (video /
    source group) has clips on both sides. Uses scikit-learn's ``StratifiedGroupKFold`` with
    ``round(1 / fraction)`` folds and keeps the first fold; falls back to a random group split when a class
    has too few groups. Returns two sorted int arrays."""
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    if not 0.0 < fraction < 0.5:
        raise ValueError(f"fraction must be in (0, 0.5), got {fraction}")
    n_splits = max(2, int(round(1.0 / fraction)))
    idx = np.arange(len(labels))
    try:
        import warnings

        from sklearn.model_selection import StratifiedGroupKFold

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            tr, va = next(cv.split(idx, labels, groups))
    except (ImportError, ValueError):
        rng = np.random.default_rng(seed)
        ug = np.unique(groups)
        val_groups = set(rng.choice(ug, size=max(1, int(round(fraction * len(ug)))), replace=False).tolist())
        m = np.array([g in val_groups for g in groups])
        tr, va = idx[~m], idx[m]
    return np.sort(tr), np.sort(va)


# ------------------------------------------------------------------------------------------------ models
class FrameMLP(nn.Module):
    """Per-frame MLP: each instant's ``13 * C`` values -> class logits; the clip's output is
    ``log(mean_t softmax(frame logits))`` (soft vote of the frames). Input ``(N, T, 13, C)``, output
    ``(N, n_classes)`` log-probabilities (valid logits)."""

    def __init__(self, n_classes: int, n_channels: int = N_CHANNELS, hidden: int = 128, dropout: float = 0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(N_JOINTS * n_channels, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t = x.shape[:2]
        logits = self.net(x.reshape(n, t, -1))  # (N, T, K)
        return torch.logsumexp(torch.log_softmax(logits, dim=-1), dim=1) - float(np.log(t))


class LSTMClassifier(nn.Module):
    """Linear frame embedding -> 2-layer LSTM -> [mean over time, last state] -> linear. Input
    ``(N, T, 13, C)``, output ``(N, n_classes)`` logits."""

    def __init__(self, n_classes: int, n_channels: int = N_CHANNELS, hidden: int = 64, layers: int = 2,
                 dropout: float = 0.2):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(N_JOINTS * n_channels, hidden), nn.ReLU())
        self.lstm = nn.LSTM(hidden, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t = x.shape[:2]
        h, _ = self.lstm(self.embed(x.reshape(n, t, -1)))
        return self.head(torch.cat([h.mean(dim=1), h[:, -1]], dim=-1))


class Conv1DLSTM(nn.Module):
    """Two temporal 1-D convolutions (kernel 5, BatchNorm, ReLU; the second with stride 2) over the frame
    vectors, then an LSTM and [mean, last] pooling. Input ``(N, T, 13, C)``, output ``(N, n_classes)``."""

    def __init__(self, n_classes: int, n_channels: int = N_CHANNELS, hidden: int = 64, dropout: float = 0.2):
        super().__init__()
        d = N_JOINTS * n_channels
        self.conv = nn.Sequential(
            nn.Conv1d(d, hidden, 5, padding=2), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 5, padding=2, stride=2), nn.BatchNorm1d(hidden), nn.ReLU())
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t = x.shape[:2]
        h = self.conv(x.reshape(n, t, -1).transpose(1, 2)).transpose(1, 2)  # (N, T/2, H)
        h, _ = self.lstm(h)
        return self.head(torch.cat([h.mean(dim=1), h[:, -1]], dim=-1))


def skeleton_partitions(edges: Sequence[tuple[int, int]] = JOINT_CONNECTIONS, n: int = N_JOINTS,
                        center: Sequence[int] = (Joint.LEFT_HIP, Joint.RIGHT_HIP)) -> np.ndarray:
    """ST-GCN spatial-configuration partitions (Yan et al., AAAI 2018, Sec. 3.3): ``(3, 13, 13)`` adjacency
    matrices for root (self), centripetal (neighbour closer to the body centre) and centrifugal (farther)
    neighbours, each column-normalised by the node degree (A D^-1 as in the reference implementation).
    Distance to the centre = hops on the skeleton graph to the nearest hip."""
    adj = np.zeros((n, n))
    for a, b in edges:
        adj[a, b] = adj[b, a] = 1.0
    hops = np.full(n, np.inf)
    frontier = list(center)
    for c in center:
        hops[c] = 0
    while frontier:
        nxt = []
        for u in frontier:
            for v in np.flatnonzero(adj[u]):
                if hops[v] > hops[u] + 1:
                    hops[v] = hops[u] + 1
                    nxt.append(int(v))
        frontier = nxt
    parts = np.zeros((3, n, n))
    deg = adj.sum(0) + 1.0
    for i in range(n):
        parts[0, i, i] = 1.0
        for j in np.flatnonzero(adj[i]):
            # entry (j, i): message from neighbour j to node i
            parts[1 if hops[j] < hops[i] else 2, j, i] = 1.0
    return (parts / deg[None, None, :]).astype(np.float32)


class _STGCNBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, parts: torch.Tensor, stride: int = 1, kt: int = 9,
                 dropout: float = 0.1, residual: bool = True):
        super().__init__()
        k = parts.shape[0]
        self.register_buffer("A", parts)
        self.importance = nn.Parameter(torch.ones_like(parts))
        self.gcn = nn.Conv2d(c_in, c_out * k, 1)
        self.k = k
        self.tcn = nn.Sequential(
            nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, (kt, 1), (stride, 1), ((kt - 1) // 2, 0)), nn.BatchNorm2d(c_out),
            nn.Dropout(dropout))
        if not residual:
            self.res = None
        elif c_in == c_out and stride == 1:
            self.res = nn.Identity()
        else:
            self.res = nn.Sequential(nn.Conv2d(c_in, c_out, 1, (stride, 1)), nn.BatchNorm2d(c_out))
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, C, T, V)
        n, _, t, v = x.shape
        h = self.gcn(x).view(n, self.k, -1, t, v).permute(0, 2, 3, 1, 4).reshape(n, -1, t, self.k * v)
        h = torch.matmul(h, (self.A * self.importance).reshape(self.k * v, v))  # sum over partitions, joints
        h = self.tcn(h)
        if self.res is not None:
            h = h + self.res(x)
        return self.relu(h)


class STGCN(nn.Module):
    """Spatial-temporal graph convolution network (Yan, Xiong, Lin, AAAI 2018), sized for small data and CPU
    training: input BatchNorm over joints x channels, blocks 5->32, 32->32, 32->64 (temporal stride 2),
    64->64, each a spatial graph convolution with the 3 partitions of :func:`skeleton_partitions` and a
    learnable edge-importance mask, then a temporal convolution (kernel 9) with a residual connection; global
    average pooling over time and joints; linear classifier. Input ``(N, T, 13, C)``, output
    ``(N, n_classes)`` logits."""

    def __init__(self, n_classes: int, n_channels: int = N_CHANNELS, widths: Sequence[int] = (32, 32, 64, 64),
                 dropout: float = 0.1):
        super().__init__()
        parts = torch.from_numpy(skeleton_partitions())
        self.data_bn = nn.BatchNorm1d(n_channels * N_JOINTS)
        blocks, c = [], n_channels
        for i, w in enumerate(widths):
            blocks.append(_STGCNBlock(c, w, parts, stride=2 if (i > 0 and w != c) else 1, dropout=dropout,
                                      residual=i > 0))
            c = w
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, v, c = x.shape
        h = self.data_bn(x.permute(0, 2, 3, 1).reshape(n, v * c, t))
        h = h.view(n, v, c, t).permute(0, 2, 3, 1)  # (N, C, T, V)
        for b in self.blocks:
            h = b(h)
        return self.head(h.mean(dim=(2, 3)))


_MODEL_CLASSES: dict[str, Callable[..., nn.Module]] = {
    "mlp": FrameMLP, "lstm": LSTMClassifier, "conv1d_lstm": Conv1DLSTM, "stgcn": STGCN}


def build_model(name: str, n_classes: int, n_channels: int = N_CHANNELS) -> nn.Module:
    """A fresh model by name (one of :data:`MODELS`). Raises ``ValueError`` for an unknown name."""
    if name not in _MODEL_CLASSES:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return _MODEL_CLASSES[name](n_classes, n_channels)


# ----------------------------------------------------------------------------------------------- wrapper
@dataclass
class EpochRecord:
    """One line of the training history: epoch (1-based), mean training loss, validation loss and accuracy
    (clip level, NaN without a validation split), learning rate at the end of the epoch, seconds so far."""

    epoch: int
    train_loss: float
    val_loss: float
    val_acc: float
    lr: float
    seconds: float


def _as_clips(X: Any) -> list[np.ndarray]:
    """Samples / pose sequences / per-clip window arrays / one ``(N, T, 13, C)`` array -> list of
    ``(K, T, 13, C)`` float32 arrays (one per clip)."""
    if isinstance(X, np.ndarray):
        if X.ndim != 4 or X.shape[2] != N_JOINTS:
            raise ValueError(f"an array X must be (N, T, 13, C), got shape {X.shape}")
        return [np.asarray(x[None], dtype=np.float32) for x in X]
    out = []
    for item in X:
        if isinstance(item, np.ndarray):
            a = item if item.ndim == 4 else item[None]
            if a.ndim != 4 or a.shape[2] != N_JOINTS:
                raise ValueError(f"a clip array must be (K, T, 13, C) or (T, 13, C), got {item.shape}")
            out.append(np.asarray(a, dtype=np.float32))
        else:
            seq = getattr(item, "pose", item)
            if not isinstance(seq, PoseSequence):
                raise TypeError(f"expected a Sample, PoseSequence or array, got {type(item).__name__}")
            out.append(sequence_tensor(seq))
    return out


class TorchSequenceClassifier(ParamsMixin):
    """Scikit-learn style classifier around the PyTorch sequence models of this module.

    Parameters (keyword-only, stored unchanged)
    ----------
    model:
        ``"mlp"`` (:class:`FrameMLP`), ``"lstm"``, ``"conv1d_lstm"`` or ``"stgcn"``.
    epochs:
        Maximum training epochs (passes over the training windows).
    lr:
        Peak learning rate of the OneCycle schedule (AdamW, weight decay ``weight_decay``).
    batch_size:
        Windows per mini-batch.
    weight_decay:
        AdamW weight decay.
    val_fraction:
        Share of the clips (grouped by ``groups`` passed to :meth:`fit`) held out for early stopping; 0
        disables the split (then the last epoch is kept).
    patience:
        Stop when the validation loss has not improved for this many epochs; the best epoch's weights are kept.
    augment:
        Apply :func:`augment` (mirror, speed, rotation) to every training batch.
    max_windows:
        At most this many windows (evenly spaced) per clip enter training; every clip gets the same total
        weight, times its class weight (inverse class frequency over clips).
    label_smoothing:
        Cross-entropy label smoothing.
    seed:
        Seed of numpy and torch (initialisation, batches, augmentation, validation split).
    threads:
        ``torch.set_num_threads`` during fit / predict (None leaves it unchanged).
    mirror_tta:
        Test-time augmentation: :meth:`predict_proba` averages the probabilities of each window and of its
        left/right mirror image (:func:`mirror`; training already sees mirrored windows when ``augment``).

    Attributes (after :meth:`fit`)
    ----------
    classes_:
        ``(n_classes,)`` sorted labels; :meth:`predict_proba` columns follow this order.
    module_:
        The trained ``torch.nn.Module`` (eval mode).
    mean_, std_:
        ``(C,)`` per-channel standardisation computed on the training windows.
    history_:
        list of :class:`EpochRecord`.
    best_epoch_:
        Epoch whose weights were kept.
    """

    def __init__(self, *, model: str = "stgcn", epochs: int = 20, lr: float = 3e-3, batch_size: int = 64,
                 weight_decay: float = 1e-3, val_fraction: float = 0.15, patience: int = 6, augment: bool = True,
                 max_windows: int = 8, label_smoothing: float = 0.05, seed: int = 0,
                 threads: int | None = None, mirror_tta: bool = False) -> None:
        self.model = model
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.val_fraction = val_fraction
        self.patience = patience
        self.augment = augment
        self.max_windows = max_windows
        self.label_smoothing = label_smoothing
        self.seed = seed
        self.threads = threads
        self.mirror_tta = mirror_tta

    # -- scikit-learn contract (get_params / set_params / repr: ParamsMixin) ------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "module_"):
            raise NotFittedError("a fitted TorchSequenceClassifier", "one that was not fitted",
                                 "Call fit(samples, labels) first.")

    def _standardize(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(((x - self.mean_) / self.std_).astype(np.float32))

    def fit(self, X: Any, y: Sequence[Any], groups: Sequence[Any] | None = None,
            progress: Callable[[EpochRecord], None] | None = None) -> "TorchSequenceClassifier":
        """Train on clips.

        Parameters
        ----------
        X:
            A list of :class:`repvision.datasets.base.Sample` or :class:`PoseSequence` (converted with
            :func:`sequence_tensor`), a list of per-clip window arrays ``(K, T, 13, C)``, or one array
            ``(N, T, 13, C)`` (one window per clip).
        y:
            ``(N,)`` clip labels.
        groups:
            ``(N,)`` source group of each clip (video / group_id) for the grouped validation split; None =
            each clip its own group.
        progress:
            Called with each :class:`EpochRecord`.

        Returns ``self``. Raises ``ValueError`` for mismatched lengths, an unknown model or fewer than 2 classes.
        """
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        clips = _as_clips(X)
        y = np.asarray(y)
        if len(clips) != len(y):
            raise ValueError(f"X has {len(clips)} clips but y has {len(y)} labels")
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        if len(groups) != len(y):
            raise ValueError(f"groups has {len(groups)} entries for {len(y)} clips")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("need at least 2 classes to fit a classifier")
        old_threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(int(self.threads))
        try:
            self._fit(clips, np.searchsorted(self.classes_, y), groups, progress)
        finally:
            torch.set_num_threads(old_threads)
        return self

    def _fit(self, clips: list[np.ndarray], yi: np.ndarray, groups: np.ndarray,
             progress: Callable[[EpochRecord], None] | None) -> None:
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        if self.val_fraction and self.val_fraction > 0:
            tr, va = grouped_validation_split(yi, groups, self.val_fraction, self.seed)
            if len(va) == 0 or len(np.unique(yi[tr])) < len(self.classes_):
                tr, va = np.arange(len(yi)), np.array([], dtype=int)
        else:
            tr, va = np.arange(len(yi)), np.array([], dtype=int)
        # training windows: at most max_windows per clip, clip weight split over its windows
        n_cls = len(self.classes_)
        counts = np.bincount(yi[tr], minlength=n_cls).astype(np.float64)
        cls_w = np.where(counts > 0, counts.sum() / (n_cls * np.maximum(counts, 1)), 0.0)
        xs, ys, ws = [], [], []
        for i in tr:
            c = clips[i]
            idx = np.unique(np.round(np.linspace(0, len(c) - 1, min(len(c), self.max_windows))).astype(int))
            xs.append(c[idx])
            ys.append(np.full(len(idx), yi[i]))
            ws.append(np.full(len(idx), cls_w[yi[i]] / len(idx)))
        Xtr = np.concatenate(xs).astype(np.float32)
        ytr = torch.from_numpy(np.concatenate(ys).astype(np.int64))
        wtr = np.concatenate(ws)
        wtr = torch.from_numpy((wtr / wtr.mean()).astype(np.float32))
        flat = Xtr.reshape(-1, Xtr.shape[-1])
        self.mean_ = flat.mean(0).astype(np.float32)
        self.mean_[-1] = 0.0  # keep the observed flag's 0 meaning "missing"
        self.std_ = np.maximum(flat.std(0), 1e-3).astype(np.float32)
        self.std_[-1] = 1.0
        # symmetric for mirroring: x, vx centred at 0
        self.mean_[0] = self.mean_[2] = 0.0
        self.n_channels_ = Xtr.shape[-1]

        net = build_model(self.model, n_cls, self.n_channels_)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        steps = max(1, int(np.ceil(len(Xtr) / self.batch_size)))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=self.epochs * steps,
                                                    pct_start=0.2)
        lossf = nn.CrossEntropyLoss(reduction="none", label_smoothing=self.label_smoothing)
        best_state, best_loss, best_epoch, bad = None, np.inf, 0, 0
        self.history_: list[EpochRecord] = []
        t0 = time.perf_counter()
        for ep in range(1, self.epochs + 1):
            net.train()
            perm = rng.permutation(len(Xtr))
            tot, nb = 0.0, 0
            for s in range(0, len(perm), self.batch_size):
                b = perm[s:s + self.batch_size]
                if len(b) < 2:  # BatchNorm needs 2 samples
                    continue
                xb = augment(Xtr[b], rng) if self.augment else Xtr[b]
                out = net(self._standardize(xb))
                loss = (lossf(out, ytr[b]) * wtr[b]).mean()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 5.0)
                opt.step()
                sched.step()
                tot += float(loss.detach())
                nb += 1
            vloss, vacc = np.nan, np.nan
            if len(va):
                self.module_ = net
                p = self._proba_clips([clips[i] for i in va])
                yv = yi[va]
                vloss = float(-np.mean(np.log(np.clip(p[np.arange(len(yv)), yv], 1e-7, 1.0))))
                vacc = float(np.mean(p.argmax(1) == yv))
            rec = EpochRecord(ep, tot / max(nb, 1), vloss, vacc, float(sched.get_last_lr()[0]),
                              round(time.perf_counter() - t0, 2))
            self.history_.append(rec)
            if progress is not None:
                progress(rec)
            if len(va):
                if vloss < best_loss - 1e-4:
                    best_loss, best_epoch, bad = vloss, ep, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    bad += 1
                    if bad >= self.patience:
                        break
        if best_state is not None:
            net.load_state_dict(best_state)
        self.best_epoch_ = best_epoch or len(self.history_)
        net.eval()
        self.module_ = net

    def _proba_clips(self, clips: list[np.ndarray], batch: int = 512) -> np.ndarray:
        """``(N, n_classes)``: mean over each clip's windows of the window probabilities."""
        net = self.module_
        was_training = net.training
        net.eval()
        sizes = [len(c) for c in clips]
        allw = np.concatenate(clips).astype(np.float32)
        outs = []
        with torch.no_grad():
            for s in range(0, len(allw), batch):
                chunk = allw[s:s + batch]
                p = torch.softmax(net(self._standardize(chunk)), dim=-1).numpy()
                if self.mirror_tta:
                    p = 0.5 * (p + torch.softmax(net(self._standardize(mirror(chunk))), dim=-1).numpy())
                outs.append(p)
        pw = np.concatenate(outs)
        if was_training:
            net.train()
        bounds = np.cumsum([0] + sizes)
        return np.stack([pw[a:b].mean(0) for a, b in zip(bounds[:-1], bounds[1:])])

    def predict_proba(self, X: Any) -> np.ndarray:
        """``(N, n_classes)`` clip probabilities (columns follow :attr:`classes_`); ``X`` as in :meth:`fit`.
        Raises :class:`NotFittedError` before :meth:`fit`."""
        self._check_fitted()
        clips = _as_clips(X)
        if not clips:
            return np.zeros((0, len(self.classes_)))
        old = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(int(self.threads))
        try:
            return self._proba_clips(clips)
        finally:
            torch.set_num_threads(old)

    def predict(self, X: Any) -> np.ndarray:
        """``(N,)`` most probable class of each clip."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {"params": self.get_params(), "classes": self.classes_.tolist(), "mean": self.mean_,
                "std": self.std_, "n_channels": self.n_channels_, "state": self.module_.state_dict(),
                "history": [r.__dict__ for r in self.history_], "best_epoch": self.best_epoch_,
                "input": {"window_s": WINDOW_S, "hop_s": HOP_S, "t_frames": T_FRAMES}}

    def save(self, path: str) -> None:
        """Write parameters, classes, standardisation, history and the model weights with ``torch.save``."""
        torch.save(self._to_dict(), path)

    @classmethod
    def load(cls, path: str) -> "TorchSequenceClassifier":
        """Read a model written by :meth:`save`."""
        return cls._from_dict(torch.load(path, weights_only=False))

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> "TorchSequenceClassifier":
        self = cls(**d["params"])
        self.classes_ = np.asarray(d["classes"])
        self.mean_, self.std_, self.n_channels_ = d["mean"], d["std"], int(d["n_channels"])
        net = build_model(self.model, len(self.classes_), self.n_channels_)
        net.load_state_dict(d["state"])
        net.eval()
        self.module_ = net
        self.history_ = [EpochRecord(**r) for r in d["history"]]
        self.best_epoch_ = d["best_epoch"]
        return self


#: Default members of :class:`SkeletonEnsemble`: the two best single models on Penn Action here.
ENSEMBLE_MEMBERS: tuple[str, ...] = ("stgcn", "conv1d_lstm")


class SkeletonEnsemble(ParamsMixin):
    """The "stronger model": an ensemble of sequence models that averages their clip probabilities, each with
    mirror test-time augmentation. By default ST-GCN (graph convolutions over the skeleton; Yan et al., AAAI
    2018) and Conv1D+LSTM (temporal convolutions then recurrence), the two best single models on Penn Action
    here, whose errors differ (averaging the probabilities of diverse models: Dietterich, "Ensemble methods in
    machine learning", 2000).

    Parameters (keyword-only, stored unchanged)
    ----------
    members:
        Model names (:data:`MODELS`), each trained as a :class:`TorchSequenceClassifier`.
    epochs:
        Maximum epochs per member, ``{name: epochs}``; members not listed use 20.
    mirror_tta:
        Passed to every member (see :class:`TorchSequenceClassifier`).
    seed, threads:
        As for :class:`TorchSequenceClassifier` (member ``i`` gets ``seed + i``).

    Attributes (after :meth:`fit`): ``classes_`` ``(n_classes,)``; ``members_`` the fitted classifiers;
    ``history_`` the first member's epoch records; ``best_epoch_`` each member's kept epoch.
    """

    def __init__(self, *, members: tuple[str, ...] = ENSEMBLE_MEMBERS,
                 epochs: dict[str, int] | None = None, mirror_tta: bool = True, seed: int = 0,
                 threads: int | None = None) -> None:
        self.members = members
        self.epochs = epochs
        self.mirror_tta = mirror_tta
        self.seed = seed
        self.threads = threads

    def _check_fitted(self) -> None:
        if not hasattr(self, "members_"):
            raise NotFittedError("a fitted SkeletonEnsemble", "one that was not fitted",
                                 "Call fit(samples, labels) first.")

    def fit(self, X: Any, y: Sequence[Any], groups: Sequence[Any] | None = None,
            progress: Callable[[EpochRecord], None] | None = None) -> "SkeletonEnsemble":
        """Train every member on the same clips (arguments as :meth:`TorchSequenceClassifier.fit`; the epochs
        reported to ``progress`` run on from one member to the next). Returns ``self``; raises ``ValueError``
        as the members do, or for an empty ``members``."""
        if not self.members:
            raise ValueError("members must name at least one model")
        clips = _as_clips(X)
        fitted, offset = [], 0
        for i, name in enumerate(self.members):
            n_ep = (self.epochs or {}).get(name, 20)
            clf = TorchSequenceClassifier(model=name, epochs=n_ep, seed=self.seed + i, threads=self.threads,
                                          mirror_tta=self.mirror_tta)
            cb = None if progress is None else (lambda r, o=offset: progress(dataclasses.replace(r, epoch=r.epoch + o)))
            fitted.append(clf.fit(clips, y, groups, progress=cb))
            offset += n_ep
        return self._adopt(fitted)

    def _adopt(self, members: list[TorchSequenceClassifier]) -> "SkeletonEnsemble":
        """Take fitted members and set the learned attributes derived from them (after fit or load)."""
        self.members_ = members
        self.classes_ = members[0].classes_
        self.history_ = members[0].history_
        self.best_epoch_ = [m.best_epoch_ for m in members]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """``(N, n_classes)`` mean of the members' clip probabilities (columns follow :attr:`classes_`).
        Raises :class:`NotFittedError` before :meth:`fit`."""
        self._check_fitted()
        clips = _as_clips(X)
        return np.mean([m.predict_proba(clips) for m in self.members_], axis=0)

    def predict(self, X: Any) -> np.ndarray:
        """``(N,)`` most probable class of each clip."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def save(self, path: str) -> None:
        """Write the parameters and every member (see :meth:`TorchSequenceClassifier.save`) in one file."""
        self._check_fitted()
        torch.save({"params": self.get_params(), "members": [m._to_dict() for m in self.members_]}, path)

    @classmethod
    def load(cls, path: str) -> "SkeletonEnsemble":
        """Read an ensemble written by :meth:`save`."""
        d = torch.load(path, weights_only=False)
        return cls(**d["params"])._adopt([TorchSequenceClassifier._from_dict(m) for m in d["members"]])
