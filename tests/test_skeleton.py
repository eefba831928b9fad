from __future__ import annotations

import numpy as np
import pytest

from repvision.skeleton import (
    BLAZEPOSE_33, COCO_17, JOINT_MIRROR, JOINTS_13, OPENPOSE_18, BlazePoseLandmark, Joint, to_joints13,
)


def test_blazepose_enum_and_connections():
    assert len(BlazePoseLandmark) == 33 and BlazePoseLandmark.RIGHT_FOOT_INDEX == 32
    assert len(BLAZEPOSE_33.connections) == 35
    assert all(0 <= a < 33 and 0 <= b < 33 for a, b in BLAZEPOSE_33.connections)


@pytest.mark.parametrize("skel", [BLAZEPOSE_33, OPENPOSE_18, COCO_17, JOINTS_13])
def test_conversion_picks_named_joints(skel):
    # each keypoint carries its own index, so the converted array names its sources
    kp = np.tile(np.arange(skel.num_keypoints, dtype=float)[None, :, None], (5, 1, 3))
    out = to_joints13(kp, skel)
    assert out.shape == (5, 13, 3)
    for j in Joint:
        src = out[0, j, 0]
        name = skel.keypoints(int(src)).name
        if j == Joint.HEAD:
            assert name == "NOSE" or skel is JOINTS_13
        else:
            assert name == j.name


def test_conversion_rejects_wrong_layout():
    with pytest.raises(ValueError, match="openpose18"):
        to_joints13(np.zeros((4, 33, 3)), OPENPOSE_18)


def test_mirror_is_an_involution():
    m = np.array(JOINT_MIRROR)
    assert (m[m] == np.arange(13)).all()
    for j in Joint:
        if j.name.startswith("LEFT_"):
            assert Joint(m[j]).name == "RIGHT_" + j.name[5:]
