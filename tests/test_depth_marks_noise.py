"""tools/depth_marks_noise.py: the thigh angle's noise carried by the hand marks alone."""

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from depth_marks_noise import mark_noise_deg  # noqa: E402


def test_two_points_off_by_s_px_over_l_px_give_sqrt2_s_over_l_radians():
    # 10 px per point over a thigh 100*sqrt(2) px long: 0.1 rad
    assert mark_noise_deg(100.0 * math.sqrt(2.0), 10.0) == math.degrees(0.1)


def test_the_noise_halves_when_the_thigh_is_twice_as_long_in_the_picture():
    assert mark_noise_deg(240.0, 5.0) * 2 == mark_noise_deg(120.0, 5.0)
