from __future__ import annotations

import numpy as np
import pytest

from repvision.features import (
    ANGLE_NAMES, angle_between, interpolate_gaps, joint_angles, normalize_body, normalize_box, pixel_joints,
    can_turn, rotate_sequence, turn_sequence, velocities,
)
from repvision.skeleton import Joint as J


def test_angle_between_known_angles():
    b = np.zeros(2)
    assert angle_between(np.array([1.0, 0]), b, np.array([0, 1.0])) == pytest.approx(90)
    assert angle_between(np.array([1.0, 0]), b, np.array([-1.0, 0])) == pytest.approx(180)
    assert np.isnan(angle_between(b, b, np.array([1.0, 0])))


def test_knee_angle_over_real_squat(squat_pose):
    _, seq, _ = squat_pose
    ang = joint_angles(pixel_joints(seq))
    knee = np.nanmean(ang[:, [ANGLE_NAMES.index("left_knee"), ANGLE_NAMES.index("right_knee")]], axis=1)
    # Front view (foreshortened): standing ~180 degrees, each of the two squats dips below 150 degrees.
    assert np.nanpercentile(knee, 95) > 170
    assert np.nanmin(knee[:70]) < 150 and np.nanmin(knee[70:]) < 150
    assert np.nanmax(knee[50:90]) > 170  # standing up again between the two repetitions


def test_normalize_body_is_translation_and_scale_invariant(squat_pose):
    _, seq, _ = squat_pose
    xy = pixel_joints(seq)
    a = normalize_body(xy)
    b = normalize_body(xy * 2.5 + np.array([100.0, -40.0]))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
    hip = 0.5 * (a[:, J.LEFT_HIP] + a[:, J.RIGHT_HIP])
    assert np.nanmax(np.abs(hip)) < 1e-9


def test_normalize_box_invariant_to_per_axis_affine(squat_pose):
    _, seq, _ = squat_pose
    xy = pixel_joints(seq)
    a = normalize_box(xy)
    b = normalize_box(xy * np.array([0.3, 7.0]) + np.array([5.0, 2.0]))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
    ok = np.isfinite(a).all(axis=(1, 2))
    assert np.allclose(np.nanmin(a[ok], axis=1), 0) and np.allclose(np.nanmax(a[ok], axis=1), 1)


def test_rotate_sequence_is_a_camera_roll(squat_pose):
    _, seq, _ = squat_pose
    rot = rotate_sequence(seq, 90.0)
    assert rot.coordinates == "pixels" and rot.keypoints.shape == seq.keypoints.shape
    # the person stands upright: the shoulders are above the hips (smaller y); after a 90-degree
    # counter-clockwise turn on the screen, they are to the left of the hips (smaller x)
    a, b = pixel_joints(seq), pixel_joints(rot)
    up = np.nanmedian(a[:, J.LEFT_SHOULDER] - a[:, J.LEFT_HIP], axis=0)
    left = np.nanmedian(b[:, J.LEFT_SHOULDER] - b[:, J.LEFT_HIP], axis=0)
    assert up[1] < -3 * abs(up[0]) and left[0] < -3 * abs(left[1])
    # lengths, joint angles, missing keypoints, visibility and time are unchanged; turning back restores it
    np.testing.assert_allclose(joint_angles(b), joint_angles(a), atol=1e-2, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(rot.keypoints[..., 0]), np.isnan(seq.keypoints[..., 0]))
    np.testing.assert_array_equal(rot.keypoints[..., 2:], seq.keypoints[..., 2:])
    np.testing.assert_array_equal(rot.timestamps, seq.timestamps)
    back = rotate_sequence(rot, -90.0)
    np.testing.assert_allclose(back.keypoints[..., :2], seq.xy_pixels(), atol=1e-2, equal_nan=True)


def test_turn_sequence_moves_the_camera_around_the_person(squat_pose):
    """The committed squat is filmed from the front: turned by 90 degrees it is seen from the side, where the
    shoulders (one behind the other) come close together on the screen; turned by 180 degrees, from behind,
    where left and right swap sides. Heights never change and 0 degrees changes nothing."""
    _, seq, _ = squat_pose
    assert can_turn(seq)
    same = turn_sequence(seq, 0.0)
    np.testing.assert_allclose(same.keypoints[..., :2], seq.keypoints[..., :2], atol=1e-6, equal_nan=True)

    def shoulder_width(s):   # image shoulder width over torso height (shoulder to hip), median over frames
        xy = pixel_joints(s)
        width = np.abs(xy[:, J.LEFT_SHOULDER, 0] - xy[:, J.RIGHT_SHOULDER, 0])
        torso = np.abs(0.5 * (xy[:, J.LEFT_SHOULDER, 1] + xy[:, J.RIGHT_SHOULDER, 1])
                       - 0.5 * (xy[:, J.LEFT_HIP, 1] + xy[:, J.RIGHT_HIP, 1]))
        return float(np.nanmedian(width / torso))

    front = shoulder_width(seq)
    side = turn_sequence(seq, 90.0)
    assert front > 0.5 and shoulder_width(side) < 0.5 * front
    np.testing.assert_array_equal(side.keypoints[..., 1], seq.keypoints[..., 1])
    # the world landmarks turn with it: 3-D segment lengths unchanged
    def upper_arm(w):
        return np.linalg.norm(w[:, 11] - w[:, 13], axis=-1)   # left shoulder - left elbow, metres
    np.testing.assert_allclose(upper_arm(side.world), upper_arm(seq.world), rtol=1e-4, equal_nan=True)
    back = pixel_joints(turn_sequence(seq, 180.0))
    a = pixel_joints(seq)
    assert np.nanmedian(np.sign(a[:, J.LEFT_SHOULDER, 0] - a[:, J.RIGHT_SHOULDER, 0])
                        * np.sign(back[:, J.LEFT_SHOULDER, 0] - back[:, J.RIGHT_SHOULDER, 0])) == -1
    # poses without depth (Penn Action, RepCount-A's box poses) cannot be turned
    flat = rotate_sequence(seq, 0.0)
    assert not can_turn(flat)
    with pytest.raises(ValueError, match="world landmarks"):
        turn_sequence(flat, 30.0)


def test_velocities_and_gaps():
    t = np.arange(10) / 10.0
    x = 3.0 * t
    np.testing.assert_allclose(velocities(x, t), 3.0)
    y = np.array([0.0, np.nan, np.nan, 3.0, np.nan, np.nan, np.nan, np.nan, 8.0])
    filled = interpolate_gaps(y, max_gap=2)
    np.testing.assert_allclose(filled[:4], [0, 1, 2, 3])
    assert np.isnan(filled[4:8]).all()
