"""Pose features: normalisation for position and body size, joint angles, velocities.

All functions take the common 13-joint layout (:class:`repvision.skeleton.Joint`) unless stated, as
``(T, 13, C)`` arrays with x, y in the first two channels. NaN marks a missing keypoint and propagates.
"""

from __future__ import annotations

import numpy as np

from repvision.skeleton import BlazePoseLandmark, Joint
from repvision.types import PoseSequence

J = Joint

#: Joint angles measured by repvision: name -> (a, b, c) joints; the angle is at ``b`` between b->a and b->c.
#: The same definitions as the RepCount-A pose features (Chen et al., arXiv:2308.08632): elbow
#: (shoulder-elbow-wrist), shoulder (hip-shoulder-elbow), hip (shoulder-hip-knee), knee (hip-knee-ankle).
ANGLES: dict[str, tuple[int, int, int]] = {
    "left_elbow": (J.LEFT_SHOULDER, J.LEFT_ELBOW, J.LEFT_WRIST),
    "right_elbow": (J.RIGHT_SHOULDER, J.RIGHT_ELBOW, J.RIGHT_WRIST),
    "left_shoulder": (J.LEFT_HIP, J.LEFT_SHOULDER, J.LEFT_ELBOW),
    "right_shoulder": (J.RIGHT_HIP, J.RIGHT_SHOULDER, J.RIGHT_ELBOW),
    "left_hip": (J.LEFT_SHOULDER, J.LEFT_HIP, J.LEFT_KNEE),
    "right_hip": (J.RIGHT_SHOULDER, J.RIGHT_HIP, J.RIGHT_KNEE),
    "left_knee": (J.LEFT_HIP, J.LEFT_KNEE, J.LEFT_ANKLE),
    "right_knee": (J.RIGHT_HIP, J.RIGHT_KNEE, J.RIGHT_ANKLE),
}
ANGLE_NAMES: tuple[str, ...] = tuple(ANGLES)


def angle_between(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at ``b`` between the segments b->a and b->c, in degrees (0..180).

    ``a``, ``b``, ``c``: ``(..., D)`` points (D = 2 or 3). NaN where any point is missing or a segment has
    zero length.
    """
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    nu = np.linalg.norm(u, axis=-1)
    nv = np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (nu * nv)
    cos = np.where((nu > 0) & (nv > 0), cos, np.nan)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def joint_angles(xy: np.ndarray) -> np.ndarray:
    """Joint angles of :data:`ANGLES` per frame.

    Parameters
    ----------
    xy:
        ``(T, 13, D)`` joint coordinates (D >= 2; pixels or metres -- angles need equal scale on both axes,
        so do not pass per-axis min-max rescaled coordinates unless you accept the distortion).

    Returns
    -------
    ``(T, 8)`` float64 degrees in :data:`ANGLE_NAMES` order.
    """
    xy = np.asarray(xy)
    return np.stack([angle_between(xy[:, a], xy[:, b], xy[:, c]) for a, b, c in ANGLES.values()], axis=1)


def pixel_joints(seq: PoseSequence) -> np.ndarray:
    """``(T, 13, 2)`` joint x/y with equal scale on both axes (pixels when the image size is known)."""
    return seq.to_joints13().xy_pixels()


def rotate_sequence(seq: PoseSequence, degrees: float) -> PoseSequence:
    """The same sequence seen by a camera rolled by ``degrees`` (in-plane rotation, counter-clockwise on the
    screen for a positive angle), about the median position of all its keypoints.

    ``seq``: any skeleton, ``(T, V, 4)`` keypoints; returns a new sequence of the same shape. x/y are rotated in
    pixels when the image size is known (:meth:`PoseSequence.xy_pixels`): an ``image``-space sequence with an
    image size comes back in ``pixels`` space. Other sequences are rotated in their own coordinates and space;
    for ``box`` coordinates (RepCount-A) and ``image`` coordinates without an image size the two axes have
    different scales, so the turn is only approximately a camera roll. The skeleton, z, visibility, timestamps
    and missing (NaN) keypoints are kept; world landmarks are dropped. Used as training augmentation of the
    exercise classifier (:data:`repvision.training.ROTATIONS_DEG`), like the small random rotations of
    skeleton-based action recognition (e.g. ST-GCN++ training in PYSKL, Duan et al., ACM MM 2022).
    """
    xy = seq.xy_pixels().astype(np.float64)   # (T, V, 2)
    pts = xy.reshape(-1, 2)
    ok = np.isfinite(pts).all(axis=1)
    centre = np.median(pts[ok], axis=0) if ok.any() else np.zeros(2)
    a = np.radians(float(degrees))
    # image y points down: a counter-clockwise turn on the screen is a clockwise one in (x, y)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    kp = np.array(seq.keypoints, dtype=np.float32, copy=True)
    kp[..., :2] = ((xy - centre) @ rot.T + centre).astype(np.float32)
    space = "pixels" if seq.coordinates == "image" and seq.image_size is not None else seq.coordinates
    return PoseSequence(kp, seq.timestamps, seq.skeleton, space, None, seq.image_size, seq.source)


def can_turn(seq: PoseSequence) -> bool:
    """Whether :func:`turn_sequence` can turn ``seq``: it needs depth, i.e. MediaPipe world landmarks, and the
    image size (poses from :class:`repvision.pose.PoseEstimator`; not Penn Action, Pose Trainer or
    RepCount-A's box-rescaled poses)."""
    return (seq.world is not None and seq.image_size is not None and seq.coordinates == "image"
            and seq.skeleton.num_keypoints == 33)


def turn_sequence(seq: PoseSequence, degrees: float) -> PoseSequence:
    """The same sequence seen by a camera that has moved ``degrees`` around the person (a turn of the body
    about the vertical axis through the hip midpoint; the camera's height and distance stay).

    ``seq``: a BlazePose ``(T, 33, 4)`` sequence in image coordinates with world landmarks ``(T, 33, 3)``
    (:func:`can_turn`). Each frame's depth comes from its world landmarks (metres, hip-centred), scaled to
    pixels by the median ratio of image to world distances from the hip midpoint over the landmarks at least
    5 cm from it; the turned x is ``hip_x + cos(a) (x - hip_x) + sin(a) depth`` (orthographic: perspective and
    self-occlusion are ignored), y is unchanged. Returns a new sequence in image coordinates with z and
    visibility kept from the turned pose (z turned too) and the world landmarks turned about their vertical
    axis. An optional training augmentation of the exercise classifier (:data:`repvision.training.TURNS_DEG`,
    not in the shipped recipe): views of the same movement from other camera angles, as 3-D rotation
    augmentation does for skeleton action recognition (e.g. NTU RGB+D training in ST-GCN / PYSKL).

    Raises
    ------
    ValueError
        ``seq`` has no world landmarks or no image size (:func:`can_turn` is False).
    """
    if not can_turn(seq):
        world = "present" if seq.world is not None else "None"
        raise ValueError(
            f"turning a pose sequence needs BlazePose world landmarks and the image size; got skeleton "
            f"{seq.skeleton.name!r}, coordinates {seq.coordinates!r}, world {world}, image size {seq.image_size}. "
            "Use poses from repvision.pose.PoseEstimator.")
    w_img, h_img = seq.image_size
    kp = np.array(seq.keypoints, dtype=np.float64)
    px, py = kp[..., 0] * w_img, kp[..., 1] * h_img
    world = seq.world.astype(np.float64)
    lh, rh = BlazePoseLandmark.LEFT_HIP, BlazePoseLandmark.RIGHT_HIP
    hx, hy = 0.5 * (px[:, lh] + px[:, rh]), 0.5 * (py[:, lh] + py[:, rh])
    wh = 0.5 * (world[:, lh] + world[:, rh])                                    # (T, 3)
    d_img = np.hypot(px - hx[:, None], py - hy[:, None])                      # (T, 33) pixels
    d_world = np.hypot(world[..., 0] - wh[:, None, 0], world[..., 1] - wh[:, None, 1])  # (T, 33) metres
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(d_world >= 0.05, d_img / d_world, np.nan)
    present = np.isfinite(ratio).any(axis=1)
    scale = np.full(len(kp), np.nan)
    if present.any():
        scale[present] = np.nanmedian(ratio[present], axis=1)                 # pixels per metre
    depth = (world[..., 2] - wh[:, None, 2]) * scale[:, None]                # (T, 33) pixels
    a = np.radians(float(degrees))
    c, s = np.cos(a), np.sin(a)
    dx = px - hx[:, None]
    out = kp.copy()
    out[..., 0] = (hx[:, None] + c * dx + s * depth) / w_img
    out[..., 2] = (-s * dx + c * depth) / w_img
    turned = world.copy()
    turned[..., 0] = c * world[..., 0] + s * world[..., 2]
    turned[..., 2] = -s * world[..., 0] + c * world[..., 2]
    return PoseSequence(out.astype(np.float32), seq.timestamps, seq.skeleton, "image",
                        turned.astype(np.float32), seq.image_size, seq.source)


def normalize_body(xy: np.ndarray) -> np.ndarray:
    """Hip-centred, torso-scaled coordinates.

    Parameters
    ----------
    xy:
        ``(T, 13, 2)`` joint coordinates with equal scale on both axes.

    Returns
    -------
    ``(T, 13, 2)``: each frame translated so the hip midpoint is at 0 and divided by the torso length
    (distance from hip midpoint to shoulder midpoint) -- body-size invariant, as in BlazePose's own
    alignment (Bazarevsky et al., 2020). Frames with no torso are NaN.
    """
    xy = np.asarray(xy, dtype=np.float64)
    hip = 0.5 * (xy[:, J.LEFT_HIP] + xy[:, J.RIGHT_HIP])
    sho = 0.5 * (xy[:, J.LEFT_SHOULDER] + xy[:, J.RIGHT_SHOULDER])
    torso = np.linalg.norm(sho - hip, axis=-1)
    torso = np.where(torso > 1e-9, torso, np.nan)
    return (xy - hip[:, None, :]) / torso[:, None, None]


def normalize_box(xy: np.ndarray) -> np.ndarray:
    """Per-frame, per-axis min-max rescaling over the 13 joints to [0, 1].

    This is invariant to any per-axis scale and shift, so it maps pixel coordinates, normalised image
    coordinates and RepCount-A's per-frame box-rescaled poses (which were min-max rescaled over all 33
    landmarks) onto exactly the same values: the common input of the exercise classifier.

    ``xy``: ``(T, 13, 2)``; returns ``(T, 13, 2)``, NaN where a frame has no extent on an axis.
    """
    xy = np.asarray(xy, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(np.where(np.isfinite(xy), xy, np.inf), axis=1, keepdims=True)
        hi = np.nanmax(np.where(np.isfinite(xy), xy, -np.inf), axis=1, keepdims=True)
        span = hi - lo
        span = np.where(np.isfinite(span) & (span > 1e-9), span, np.nan)
        return (xy - lo) / span


def velocities(x: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """Time derivative of ``x`` (``(T, ...)``) per second, by central differences over ``timestamps`` (s)."""
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(timestamps, dtype=np.float64)
    if len(t) < 2:
        return np.zeros_like(x)
    return np.gradient(x, t, axis=0)


def interpolate_gaps(x: np.ndarray, max_gap: int | None = None) -> np.ndarray:
    """Fill NaN runs along axis 0 by linear interpolation (edges held at the nearest value).

    ``x``: ``(T, ...)``; ``max_gap``: longest run of frames to fill (None = any). Columns with no finite
    value stay NaN.
    """
    x = np.array(x, dtype=np.float64, copy=True)
    flat = x.reshape(len(x), -1)
    idx = np.arange(len(x))
    for j in range(flat.shape[1]):
        col = flat[:, j]
        ok = np.isfinite(col)
        if ok.all() or not ok.any():
            continue
        filled = np.interp(idx, idx[ok], col[ok])
        if max_gap is not None:
            # keep NaN in runs longer than max_gap
            bad = ~ok
            run_start = np.flatnonzero(bad & ~np.r_[False, bad[:-1]])
            run_end = np.flatnonzero(bad & ~np.r_[bad[1:], False])
            for s, e in zip(run_start, run_end):
                if e - s + 1 > max_gap:
                    filled[s:e + 1] = np.nan
        flat[:, j] = filled
    return flat.reshape(x.shape)
