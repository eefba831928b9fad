"""Skeleton layouts: named keypoints, their connections, and converters to a common 13-joint layout.

Array layout everywhere in repvision: ``(T, V, C)`` for one person (frames, keypoints, channels) and
``(N, T, V, C)`` for batches.

Layouts
-------
* :class:`BlazePoseLandmark` -- the 33 landmarks of MediaPipe BlazePose (Bazarevsky et al., "BlazePose:
  On-device Real-time Body Pose tracking", 2020; order and connections as MediaPipe's ``PoseLandmark`` and
  ``POSE_CONNECTIONS``).
* :class:`Joint` -- the 13-joint layout of Penn Action (Zhang, Zhu, Derpanis, ICCV 2013): head, shoulders,
  elbows, wrists, hips, knees, ankles. Every model in repvision is trained on this layout so that data from
  different skeletons can be mixed.
* :class:`OpenPoseKeypoint` -- OpenPose COCO-18 (Cao et al., CVPR 2017), as used by Pose Trainer.
* :class:`CocoKeypoint` -- COCO-17 (Lin et al., ECCV 2014 keypoint task).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class BlazePoseLandmark(IntEnum):
    """The 33 MediaPipe BlazePose landmarks, in model output order."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


_B = BlazePoseLandmark

#: Bone list of BlazePose-33 (pairs of landmark indices), as MediaPipe's ``POSE_CONNECTIONS``.
BLAZEPOSE_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
    (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19),
    (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
    (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)


class Joint(IntEnum):
    """The common 13-joint layout (Penn Action joint order)."""

    HEAD = 0
    LEFT_SHOULDER = 1
    RIGHT_SHOULDER = 2
    LEFT_ELBOW = 3
    RIGHT_ELBOW = 4
    LEFT_WRIST = 5
    RIGHT_WRIST = 6
    LEFT_HIP = 7
    RIGHT_HIP = 8
    LEFT_KNEE = 9
    RIGHT_KNEE = 10
    LEFT_ANKLE = 11
    RIGHT_ANKLE = 12


_J = Joint

#: Bone list of the 13-joint layout.
JOINT_CONNECTIONS: tuple[tuple[int, int], ...] = (
    (_J.HEAD, _J.LEFT_SHOULDER), (_J.HEAD, _J.RIGHT_SHOULDER),
    (_J.LEFT_SHOULDER, _J.RIGHT_SHOULDER),
    (_J.LEFT_SHOULDER, _J.LEFT_ELBOW), (_J.LEFT_ELBOW, _J.LEFT_WRIST),
    (_J.RIGHT_SHOULDER, _J.RIGHT_ELBOW), (_J.RIGHT_ELBOW, _J.RIGHT_WRIST),
    (_J.LEFT_SHOULDER, _J.LEFT_HIP), (_J.RIGHT_SHOULDER, _J.RIGHT_HIP),
    (_J.LEFT_HIP, _J.RIGHT_HIP),
    (_J.LEFT_HIP, _J.LEFT_KNEE), (_J.LEFT_KNEE, _J.LEFT_ANKLE),
    (_J.RIGHT_HIP, _J.RIGHT_KNEE), (_J.RIGHT_KNEE, _J.RIGHT_ANKLE),
)

#: Index of each joint's mirror image (left <-> right), for mirroring augmentation.
JOINT_MIRROR: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11)


class OpenPoseKeypoint(IntEnum):
    """OpenPose COCO-18 keypoints (the order of Pose Trainer's ``.npy`` files)."""

    NOSE = 0
    NECK = 1
    RIGHT_SHOULDER = 2
    RIGHT_ELBOW = 3
    RIGHT_WRIST = 4
    LEFT_SHOULDER = 5
    LEFT_ELBOW = 6
    LEFT_WRIST = 7
    RIGHT_HIP = 8
    RIGHT_KNEE = 9
    RIGHT_ANKLE = 10
    LEFT_HIP = 11
    LEFT_KNEE = 12
    LEFT_ANKLE = 13
    RIGHT_EYE = 14
    LEFT_EYE = 15
    RIGHT_EAR = 16
    LEFT_EAR = 17


class CocoKeypoint(IntEnum):
    """COCO-17 keypoints."""

    NOSE = 0
    LEFT_EYE = 1
    RIGHT_EYE = 2
    LEFT_EAR = 3
    RIGHT_EAR = 4
    LEFT_SHOULDER = 5
    RIGHT_SHOULDER = 6
    LEFT_ELBOW = 7
    RIGHT_ELBOW = 8
    LEFT_WRIST = 9
    RIGHT_WRIST = 10
    LEFT_HIP = 11
    RIGHT_HIP = 12
    LEFT_KNEE = 13
    RIGHT_KNEE = 14
    LEFT_ANKLE = 15
    RIGHT_ANKLE = 16


@dataclass(frozen=True)
class Skeleton:
    """A keypoint layout: its name, the enum naming its keypoints, its bones, and the source keypoint
    of each of the 13 common joints (in :class:`Joint` order)."""

    name: str
    keypoints: type[IntEnum]
    connections: tuple[tuple[int, int], ...]
    to_joints: tuple[int, ...]

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)


BLAZEPOSE_33 = Skeleton(
    "blazepose33", BlazePoseLandmark, BLAZEPOSE_CONNECTIONS,
    (_B.NOSE, _B.LEFT_SHOULDER, _B.RIGHT_SHOULDER, _B.LEFT_ELBOW, _B.RIGHT_ELBOW, _B.LEFT_WRIST,
     _B.RIGHT_WRIST, _B.LEFT_HIP, _B.RIGHT_HIP, _B.LEFT_KNEE, _B.RIGHT_KNEE, _B.LEFT_ANKLE, _B.RIGHT_ANKLE),
)
JOINTS_13 = Skeleton("joints13", Joint, JOINT_CONNECTIONS, tuple(range(13)))
_O = OpenPoseKeypoint
OPENPOSE_18 = Skeleton(
    "openpose18", OpenPoseKeypoint,
    ((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
     (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)),
    (_O.NOSE, _O.LEFT_SHOULDER, _O.RIGHT_SHOULDER, _O.LEFT_ELBOW, _O.RIGHT_ELBOW, _O.LEFT_WRIST,
     _O.RIGHT_WRIST, _O.LEFT_HIP, _O.RIGHT_HIP, _O.LEFT_KNEE, _O.RIGHT_KNEE, _O.LEFT_ANKLE, _O.RIGHT_ANKLE),
)
_C = CocoKeypoint
COCO_17 = Skeleton(
    "coco17", CocoKeypoint,
    ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12), (11, 12),
     (11, 13), (13, 15), (12, 14), (14, 16)),
    (_C.NOSE, _C.LEFT_SHOULDER, _C.RIGHT_SHOULDER, _C.LEFT_ELBOW, _C.RIGHT_ELBOW, _C.LEFT_WRIST,
     _C.RIGHT_WRIST, _C.LEFT_HIP, _C.RIGHT_HIP, _C.LEFT_KNEE, _C.RIGHT_KNEE, _C.LEFT_ANKLE, _C.RIGHT_ANKLE),
)

SKELETONS: dict[str, Skeleton] = {s.name: s for s in (BLAZEPOSE_33, JOINTS_13, OPENPOSE_18, COCO_17)}


def to_joints13(keypoints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Select the 13 common joints from keypoints of another layout.

    Parameters
    ----------
    keypoints:
        ``(..., V, C)`` array in ``skeleton``'s order (any leading axes, e.g. ``(T, V, C)``).
    skeleton:
        The layout of ``keypoints``.

    Returns
    -------
    ``(..., 13, C)`` array in :class:`Joint` order (a copy).

    Raises
    ------
    ValueError
        If the keypoint axis does not have ``skeleton.num_keypoints`` entries.
    """
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-2] != skeleton.num_keypoints:
        raise ValueError(
            f"expected keypoints of shape (..., {skeleton.num_keypoints}, C) for {skeleton.name}, "
            f"got {keypoints.shape}"
        )
    return keypoints[..., list(skeleton.to_joints), :].copy()
