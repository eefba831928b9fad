"""Following one person when several are in view: link each frame's poses into tracks, then pick the exerciser.

MediaPipe's Pose Landmarker returns the people of a frame in no stable order, and in VIDEO mode with one pose
it follows whoever it found first -- in a clip of a coach standing beside the lifter, often the coach. This
stage keeps everybody apart and chooses the person to analyse:

1. :class:`PersonTracker` -- a small state machine that gives each person a track id, frame by frame: the
   poses of a frame are matched to the live tracks by the mean distance between their landmarks (relative to
   the track's body size: the longer side of its landmark box) with an optimal one-to-one assignment
   (Hungarian method, Kuhn 1955, via :func:`scipy.optimize.linear_sum_assignment`); a pose that matches no
   track within ``max_distance`` starts a new one, a track unseen for ``max_gap_s`` seconds ends.
2. :func:`exerciser` -- the track whose body *shape* changes the most over the clip, times the share of the
   frames it is seen in. The shape change is the spread over time of the limb landmarks relative to the
   hip centre, in torso lengths: walking across the frame or standing still barely changes it, a repetition
   does. This is our own heuristic for "the person exercising" (no published source); it is checked on the
   clips of ``../shared/data/videos`` with a coach beside the lifter (``tests/test_tracking.py``).
3. :class:`LiveFollower` -- the same choice made causally, over the last few seconds, for live mode.

Arrays: a track's poses are ``(T, 33, 4)`` (x, y normalised image coords, z, visibility), NaN where the person
is not seen; all tracks together ``(K, T, 33, 4)``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from repvision.skeleton import BlazePoseLandmark as L

#: Part of the pose cache's name for a followed person (:func:`repvision.pose.estimate_video`): raise it when the
#: tracking or the choice of the exerciser changes, so that cached choices are made again.
TRACKING_VERSION = 7

#: Smallest :func:`same_person_share` at which the one-person pass is kept: it followed the exerciser in at
#: least this share of the frames showing them. Set by looking at the five clips of ``../shared/data/videos``
#: where the people search finds several people (shares 0.19, 0.70, 0.71 where the one-person pass flicks to
#: the bystander for whole stretches; 0.89, 1.0 where it stays on the exerciser); not checked on held-out clips.
KEEP_ONE_PERSON_SHARE = 0.8

#: Landmarks whose spread around the hip centre measures how much a person's body shape changes.
LIMB_LANDMARKS = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST,
                  L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE)


def _body_size(landmarks: np.ndarray) -> float:
    """Longer side (normalised image units) of the box around a ``(33, C)`` pose's landmarks, so that a person
    lying down (push-up, sit-up) is measured by their length as one standing is by their height; at least
    1e-3, NaN when no landmark is known."""
    xy = landmarks[:, :2]
    if not np.isfinite(xy).any():
        return float("nan")
    return float(max(np.nanmax(xy[:, 1]) - np.nanmin(xy[:, 1]), np.nanmax(xy[:, 0]) - np.nanmin(xy[:, 0]), 1e-3))


def pose_distance(pose: np.ndarray, reference: np.ndarray) -> float:
    """Mean distance between the landmarks of two ``(33, C)`` poses (x, y in normalised image coords), in body
    sizes of ``reference`` (the longer side of the box around its landmarks); inf when either is missing."""
    d = np.linalg.norm(pose[:, :2] - reference[:, :2], axis=1)
    if not np.isfinite(d).any():
        return float("inf")
    return float(np.nanmean(d) / _body_size(reference))


@dataclass
class _Track:
    id: int
    last: np.ndarray        # (33, 4) the last pose seen
    last_s: float           # when it was seen (seconds)
    frames: list = field(default_factory=list)   # frame indices seen


class PersonTracker:
    """Gives each person in view a track id that stays with them from frame to frame.

    Feed every frame's poses in time order with :meth:`update`; :attr:`tracks` then maps each track id to the
    list of frame indices it was seen in.

    Parameters
    ----------
    max_distance:
        Largest mean landmark distance, in body sizes of the track's last pose (:func:`pose_distance`), for a
        pose to continue a track (0.25: a quarter of the body's length between two frames; a person moves far
        less at video frame rates, while a jump to someone standing beside them moves about that much).
    max_gap_s:
        A track not seen for longer than this (seconds) ends; a person seen again later gets a new id.
    """

    def __init__(self, *, max_distance: float = 0.25, max_gap_s: float = 1.0) -> None:
        self.max_distance = float(max_distance)
        self.max_gap_s = float(max_gap_s)
        self._live: list[_Track] = []
        self._ended: list[_Track] = []
        self._next_id = 0
        self._frame = 0

    def update(self, poses: list[np.ndarray], timestamp_s: float) -> list[int]:
        """Assign track ids to one frame's poses (each ``(33, 4)``); returns the id of each pose, in order."""
        self._live, ended = ([t for t in self._live if timestamp_s - t.last_s <= self.max_gap_s],
                             [t for t in self._live if timestamp_s - t.last_s > self.max_gap_s])
        self._ended += ended
        ids = [-1] * len(poses)
        if poses and self._live:
            cost = np.array([[pose_distance(p, t.last) for t in self._live] for p in poses])
            cost = np.where(np.isfinite(cost), cost, 1e6)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] <= self.max_distance:
                    ids[r] = self._live[c].id
                    self._live[c].last, self._live[c].last_s = poses[r], timestamp_s
                    self._live[c].frames.append(self._frame)
        for i, p in enumerate(poses):
            if ids[i] < 0:
                track = _Track(self._next_id, p, timestamp_s, [self._frame])
                self._next_id += 1
                self._live.append(track)
                ids[i] = track.id
        self._frame += 1
        return ids

    @property
    def tracks(self) -> dict[int, list[int]]:
        """Track id -> frame indices (0-based, in the order :meth:`update` was called) the person was seen in."""
        return {t.id: list(t.frames) for t in sorted(self._ended + self._live, key=lambda t: t.id)}


def track_people(people: list[list[np.ndarray]], timestamps_s: np.ndarray, *,
                 tracker: PersonTracker | None = None) -> np.ndarray:
    """Link per-frame poses into tracks.

    ``people``: for each of T frames, the list of poses found (each ``(33, C)``); ``timestamps_s``: ``(T,)``
    seconds. Returns ``(K, T, 33, C)``: track k's pose in each frame, NaN where it is not seen (K = 0 when
    nobody was ever found). ``tracker``: a configured :class:`PersonTracker` (default settings otherwise).
    """
    tracker = tracker or PersonTracker()
    n_ch = next((p.shape[1] for frame in people for p in frame), 4)
    per_frame = [tracker.update(frame, float(t)) for frame, t in zip(people, timestamps_s)]
    k = len(tracker.tracks)
    out = np.full((k, len(people), 33, n_ch), np.nan, np.float32)
    for f, (frame, ids) in enumerate(zip(people, per_frame)):
        for pose, tid in zip(frame, ids):
            out[tid, f] = pose
    return out


def _limb_offsets(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Limb landmarks (:data:`LIMB_LANDMARKS`) relative to the hip centre, ``(..., L, 2)``, and the torso length
    (shoulder centre to hip centre), ``(...)``, of ``(..., 33, 2)`` poses (one frame or a track), in the poses'
    units: what :func:`shape_change` measures, per frame."""
    hip = xy[..., [L.LEFT_HIP, L.RIGHT_HIP], :].mean(axis=-2)
    shoulder = xy[..., [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], :].mean(axis=-2)
    return xy[..., list(LIMB_LANDMARKS), :] - hip[..., None, :], np.linalg.norm(shoulder - hip, axis=-1)


def shape_change(track: np.ndarray) -> float:
    """How much a person's body shape changes over a ``(T, 33, C)`` track: the mean over
    :data:`LIMB_LANDMARKS` of the spread (standard deviation over the frames seen, x and y pooled) of the
    landmark's position relative to the hip centre, in median torso lengths (shoulder centre to hip centre).
    0 when the track is seen in fewer than 3 frames."""
    seen = np.isfinite(track[:, :, :2]).all(axis=(1, 2))
    if seen.sum() < 3:
        return 0.0
    offsets, torsos = _limb_offsets(track[seen, :, :2].astype(np.float64))
    torso = float(np.median(torsos))
    if torso <= 1e-6:
        return 0.0
    rel = offsets / torso
    spread = np.sqrt(rel.var(axis=0).sum(axis=1))          # per landmark: std of the 2-D position
    return float(np.mean(spread))


def _seen_shares(tracks: np.ndarray) -> np.ndarray:
    """``(K,)`` share of the T frames each of ``(K, T, 33, C)`` tracks is seen in."""
    return np.isfinite(tracks[:, :, :, :2]).all(axis=(2, 3)).mean(axis=1)


def exerciser(tracks: np.ndarray) -> int:
    """Index of the track most likely to be the person exercising in ``(K, T, 33, C)`` tracks: the largest
    :func:`shape_change` times the share of the T frames the track is seen in. Raises ``ValueError`` when
    K = 0."""
    return choose_followed(tracks).followed


def same_person_share(chosen: np.ndarray, single: np.ndarray, *, max_distance: float = 0.25) -> float:
    """Share (0..1) of the frames showing the chosen person in which a one-person pass over the same frames
    shows that person too (:func:`pose_distance` within ``max_distance`` body sizes). ``chosen``, ``single``:
    ``(T, 33, C)``, NaN where nobody. 0 when the chosen track is empty; raises ``ValueError`` when the shapes
    differ. Used to keep the one-person pass when it followed the exerciser anyway: MediaPipe finds a person
    more steadily when it looks for one (its tracking carries the pose from frame to frame) than when it
    looks for several (its person detector runs on every frame that shows fewer)."""
    if chosen.shape[:2] != single.shape[:2]:
        raise ValueError(f"chosen {chosen.shape} and single {single.shape} must cover the same frames")
    have = np.flatnonzero(np.isfinite(chosen[:, :, :2]).any(axis=(1, 2)))
    if len(have) == 0:
        return 0.0
    same = [pose_distance(single[t], chosen[t]) <= max_distance for t in have]
    return float(np.mean(same))


def choose_followed(tracks: np.ndarray, single: np.ndarray | None = None) -> "Followed":
    """Pick the person exercising among ``(K, T, 33, C)`` tracks (:func:`exerciser`'s rule) and, given the
    ``(T, 33, C')`` poses of a one-person pass over the same frames, decide whether that pass is kept: it is
    when it shows the chosen person in at least :data:`KEEP_ONE_PERSON_SHARE` of their frames
    (:func:`same_person_share`). Returns a :class:`Followed`. Raises ``ValueError`` when K = 0."""
    if len(tracks) == 0:
        raise ValueError("exerciser() needs at least one track; nobody was found in the video")
    shapes = tuple(shape_change(t) for t in tracks)
    seen = _seen_shares(tracks)
    chosen = int(np.argmax([c * s for c, s in zip(shapes, seen)]))
    same = float("nan") if single is None else same_person_share(tracks[chosen], single)
    return Followed(len(tracks), chosen, float(seen[chosen]), shapes, same, not same >= KEEP_ONE_PERSON_SHARE)


@dataclass(frozen=True)
class Followed:
    """Which person was followed in a video with several people in view.

    ``tracks``: people told apart (track count); ``followed``: index of the chosen track; ``seen_share``: share
    of the frames that person is seen in (0..1); ``shape_change``: each track's :func:`shape_change` (torso
    lengths), in track order; ``same_as_one_person``: :func:`same_person_share` of the chosen track and the
    one-person pass; ``switched``: True when the chosen track replaced the one-person pass's poses (it followed
    someone else), False when that pass followed the exerciser anyway and was kept."""

    tracks: int
    followed: int
    seen_share: float
    shape_change: tuple[float, ...]
    same_as_one_person: float = float("nan")
    switched: bool = True


class _ShapeWindow:
    """One track's poses of the last seconds with running sums, so that :func:`shape_change` of the window does
    not re-stack and re-normalise its poses every frame: per seen frame, the limb landmarks relative to the hip
    centre ``(L, 2)`` and the torso length are kept; their sums and sums of squares are updated as frames come
    and go, and the variances follow as E[d^2] - E[d]^2. The median torso length is still taken over the kept
    values each time (one number per frame, so that part grows with the window). Equal to
    :func:`shape_change` of the window's stacked poses up to rounding (``tests/test_tracking.py``). The sums are
    recomputed from the kept values every :attr:`RESUM_EVERY` frames, so rounding cannot accumulate."""

    RESUM_EVERY = 1000

    def __init__(self) -> None:
        self.items: deque[tuple[float, np.ndarray | None, float]] = deque()
        self._s1 = np.zeros((len(LIMB_LANDMARKS), 2))
        self._s2 = np.zeros((len(LIMB_LANDMARKS), 2))
        self._seen = 0
        self._pushed = 0

    def push(self, timestamp_s: float, pose: np.ndarray) -> None:
        xy = np.asarray(pose[:, :2], dtype=np.float64)
        if not np.isfinite(xy).all():
            self.items.append((timestamp_s, None, np.nan))
            return
        d, torso = _limb_offsets(xy)
        self.items.append((timestamp_s, d, float(torso)))
        self._s1 += d
        self._s2 += d * d
        self._seen += 1
        self._pushed += 1
        if self._pushed % self.RESUM_EVERY == 0:
            self._resum()

    def expire(self, now_s: float, window_s: float) -> None:
        """Drop the poses more than ``window_s`` seconds older than ``now_s``."""
        while self.items and now_s - self.items[0][0] > window_s:
            _, d, _ = self.items.popleft()
            if d is not None:
                self._s1 -= d
                self._s2 -= d * d
                self._seen -= 1

    def _resum(self) -> None:
        ds = [d for _, d, _ in self.items if d is not None]
        self._s1 = np.sum(ds, axis=0) if ds else np.zeros_like(self._s1)
        self._s2 = np.sum([d * d for d in ds], axis=0) if ds else np.zeros_like(self._s2)

    def shape_change(self) -> float:
        """:func:`shape_change` of the poses in the window."""
        if self._seen < 3:
            return 0.0
        torso = float(np.median([t for _, d, t in self.items if d is not None]))
        if torso <= 1e-6:
            return 0.0
        mean = self._s1 / self._seen
        var = np.maximum(self._s2 / self._seen - mean * mean, 0.0)
        return float(np.mean(np.sqrt(var.sum(axis=1)))) / torso


class LiveFollower:
    """Follows the person exercising frame by frame, for live mode (causal: only frames seen so far).

    Each frame's poses get track ids from a :class:`PersonTracker`; every track keeps its poses of the last
    ``window_s`` seconds, scored like :func:`exerciser` (:func:`shape_change` over the window times the share of
    the window's frames it is seen in). The followed track changes when it disappears, or when another scores
    more than ``switch_ratio`` times as much and at least ``min_score`` (hysteresis: two people at rest, whose
    scores are landmark jitter, do not make the choice flip back and forth).

    Parameters
    ----------
    window_s:
        Seconds of history scored (about two slow repetitions).
    switch_ratio, min_score:
        See above; ``min_score`` in torso lengths.
    tracker:
        A configured :class:`PersonTracker` (default settings otherwise).
    """

    def __init__(self, *, window_s: float = 4.0, switch_ratio: float = 1.5, min_score: float = 0.03,
                 tracker: PersonTracker | None = None) -> None:
        self.window_s = float(window_s)
        self.switch_ratio = float(switch_ratio)
        self.min_score = float(min_score)
        self.tracker = tracker or PersonTracker()
        self.followed: int | None = None
        self.frames = 0
        self.frames_followed = 0
        self._history: dict[int, _ShapeWindow] = {}
        self._times: deque = deque()

    def update(self, poses: list[np.ndarray], timestamp_s: float) -> np.ndarray | None:
        """One frame's poses (each ``(33, C)``, MediaPipe's order) at ``timestamp_s`` seconds; returns the
        followed person's pose, or None when they are not in this frame."""
        ids = self.tracker.update(poses, timestamp_s)
        self._times.append(timestamp_s)
        for tid, pose in zip(ids, poses):
            self._history.setdefault(tid, _ShapeWindow()).push(timestamp_s, pose)
        while self._times and timestamp_s - self._times[0] > self.window_s:
            self._times.popleft()
        for tid in list(self._history):
            h = self._history[tid]
            h.expire(timestamp_s, self.window_s)
            if not h.items:
                del self._history[tid]
        scores = {tid: self.score(tid) for tid in self._history}
        if scores:
            best = max(scores, key=scores.get)
            if self.followed not in scores:
                self.followed = best
            elif (best != self.followed and scores[best] >= self.min_score
                  and scores[best] > self.switch_ratio * scores[self.followed]):
                self.followed = best
        self.frames += 1
        if self.followed in ids:
            self.frames_followed += 1
            return poses[ids.index(self.followed)]
        return None

    def summary(self) -> Followed:
        """What was followed so far, as a :class:`Followed`: people told apart, the followed track id, and the
        share of the frames since following began in which that person was found (no per-track shape change
        or one-person comparison: live mode keeps neither)."""
        return Followed(len(self.tracker.tracks), self.followed or 0, self.frames_followed / max(self.frames, 1), ())

    def score(self, track_id: int) -> float:
        """The track's :func:`shape_change` over the window times the share of the window's frames it is in
        (from the running sums of :class:`_ShapeWindow`)."""
        h = self._history.get(track_id)
        if h is None or not h.items:
            return 0.0
        return h.shape_change() * len(h.items) / max(len(self._times), 1)
