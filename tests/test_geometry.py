"""Geometry helpers: angles on pixel coordinates with y pointing down."""

import math

import numpy as np
import pytest

from formcheck.geometry import (angle_at, incline_deg, rolling_nanpercentile,
                                tilt_from_vertical_deg)
from formcheck.metrics import fppa


@pytest.mark.parametrize("a,b,c,expected", [
    ((0, 0), (1, 0), (2, 0), 180.0),
    ((0, 0), (1, 0), (1, 1), 90.0),
    ((0, -1), (0, 0), (1, -1), 45.0),
    ((1, 0), (0, 0), (1, 0), 0.0),
])
def test_angle_at(a, b, c, expected):
    assert angle_at(np.array(a, float), np.array(b, float), np.array(c, float)) == \
        pytest.approx(expected, abs=1e-6)


def test_angle_at_is_nan_for_a_zero_length_segment():
    p = np.array([1.0, 1.0])
    assert math.isnan(float(angle_at(p, p, np.array([2.0, 2.0]))))


@pytest.mark.parametrize("hip,knee,expected", [
    ((0, 100), (100, 100), 0.0),      # level thigh: parallel
    ((0, 110), (100, 100), 5.71),     # hip lower in the picture (y down): below parallel, +
    ((0, 0), (100, 100), -45.0),      # hip well above the knee
    ((100, 0), (0, 100), -45.0),      # facing the other way gives the same angle
])
def test_incline_is_positive_when_the_hip_is_below_the_knee(hip, knee, expected):
    assert incline_deg(np.array(hip, float), np.array(knee, float)) == \
        pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("top,bottom,sign,expected", [
    ((0, 0), (0, 100), 1, 0.0),
    ((100, 0), (0, 100), 1, 45.0),     # leaning toward +x
    ((100, 0), (0, 100), -1, -45.0),   # the same lean is backward for someone facing -x
])
def test_tilt_from_vertical(top, bottom, sign, expected):
    assert tilt_from_vertical_deg(np.array(top, float), np.array(bottom, float), sign) == \
        pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("knee_x,medial_sign,expected_sign", [
    (90.0, -1.0, 1),     # knee pushed toward the midline (at -x): valgus, positive
    (110.0, -1.0, -1),   # knee out: varus, negative
    (100.0, -1.0, 0),    # straight leg
])
def test_fppa_sign_follows_the_midline(knee_x, medial_sign, expected_sign):
    hip = np.array([[100.0, 0.0]])
    ankle = np.array([[100.0, 200.0]])
    knee = np.array([[knee_x, 100.0]])
    v = float(fppa(hip, knee, ankle, medial_sign)[0])
    assert np.sign(round(v, 6)) == expected_sign
    if expected_sign:
        assert abs(v) == pytest.approx(2 * math.degrees(math.atan(10 / 100)), abs=0.01)


def test_rolling_percentile_ignores_nan_and_respects_the_window():
    t = np.arange(10.0)
    x = np.array([0, 1, 2, np.nan, 4, 5, 6, 7, 8, 9], float)
    out = rolling_nanpercentile(t, x, 1.0, 100)
    assert out[0] == 1 and out[2] == 2 and out[3] == 4 and out[9] == 9


def test_rolling_percentile_matches_numpy_window_by_window():
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.02, 0.05, 700))      # uneven frame times
    x = rng.normal(size=t.size)
    x[::7] = np.nan
    got = rolling_nanpercentile(t, x, 1.0, 90, chunk=100)
    lo = np.searchsorted(t, t - 1.0, "left")
    hi = np.searchsorted(t, t + 1.0, "right")
    want = [np.percentile(x[a:b][np.isfinite(x[a:b])], 90) for a, b in zip(lo, hi)]
    assert np.allclose(got, want)
