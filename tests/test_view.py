"""view.py: the yaw boundaries, facing and near leg, on the synthetic squatter."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.landmarks import Landmark as L
from formcheck.synthetic import squat_sequence
from formcheck.view import (FRONT_MAX_YAW_DEG, SIDE_MIN_YAW_DEG, classify_yaw, detect_view,
                            facing_sign, near_leg)


@pytest.mark.parametrize("yaw,view", [
    (0.0, "front"), (FRONT_MAX_YAW_DEG, "front"), (FRONT_MAX_YAW_DEG + 0.1, "oblique"),
    (45.0, "oblique"), (SIDE_MIN_YAW_DEG - 0.1, "oblique"), (SIDE_MIN_YAW_DEG, "side"),
    (90.0, "side"), (float("nan"), "unknown")])
def test_yaw_boundaries(yaw, view):
    assert classify_yaw(yaw) == view


@pytest.mark.parametrize("yaw,view", [(90.0, "side"), (75.0, "side"), (45.0, "oblique"),
                                      (10.0, "front")])
def test_detected_view_of_a_turned_body(yaw, view):
    info = detect_view(squat_sequence(1, view="oblique", yaw_deg=yaw))
    assert info.view == view
    assert info.yaw_deg == pytest.approx(yaw, abs=8.0)


@pytest.mark.parametrize("facing", [1, -1])
def test_facing_from_the_feet_and_from_the_nose_without_feet(facing):
    seq = squat_sequence(1, facing=facing)
    assert facing_sign(seq) == facing
    xy = seq.xy_px.copy()
    for lm in (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX):
        xy[:, int(lm)] = np.nan
    assert facing_sign(seq.replace(xy_px=xy)) == facing
    xy[:, int(L.NOSE)] = np.nan
    assert facing_sign(seq.replace(xy_px=xy)) == 0


def test_near_leg_is_the_better_seen_nearer_one():
    seq = squat_sequence(1)                      # the left leg is seen better and nearer
    assert near_leg(seq) == "left"
    vis, z = seq.visibility.copy(), seq.z.copy()
    vis[:, :] = 0.9
    z[:, [int(L.RIGHT_HIP), int(L.RIGHT_KNEE), int(L.RIGHT_ANKLE)]] = -0.5
    assert near_leg(seq.replace(visibility=vis, z=z)) == "right"
