"""Cleaning: gating, gap filling and zero-phase filtering."""

import numpy as np
import pytest

from formcheck.clean import CleanSettings, OneEuro, clean, fill_gaps, lowpass
from formcheck.landmarks import Landmark as L
from formcheck.synthetic import squat_sequence


def test_short_gaps_are_filled_long_gaps_stay_empty():
    t = np.arange(20) / 10.0
    x = t.copy()
    x[3:5] = np.nan      # 0.3 s between good samples: filled
    x[10:16] = np.nan    # 0.7 s: left empty
    out = fill_gaps(t, x, max_gap_s=0.3)
    assert out[3:5] == pytest.approx(t[3:5])
    assert np.isnan(out[10:16]).all()


def test_leading_and_trailing_gaps_are_not_invented():
    t = np.arange(10) / 10.0
    x = t.copy()
    x[:2] = np.nan
    x[-2:] = np.nan
    out = fill_gaps(t, x, max_gap_s=1.0)
    assert np.isnan(out[:2]).all() and np.isnan(out[-2:]).all()


def test_lowpass_removes_jitter_without_lag():
    t = np.arange(300) / 30.0
    slow = np.sin(2 * np.pi * 0.5 * t) * 100
    noisy = slow + np.random.default_rng(0).normal(0, 5, t.size)
    out = lowpass(t, noisy, 6.0)
    rms = lambda e: float(np.sqrt(np.mean(e[20:-20] ** 2)))  # noqa: E731
    assert rms(out - slow) < 0.75 * rms(noisy - slow)   # 6 of 15 Hz kept: noise ~ x0.63
    # zero phase: a clean slow movement comes through without lag or loss
    clean_out = lowpass(t, slow, 6.0)
    assert np.abs(clean_out - slow)[20:-20].max() < 1.0   # of an amplitude of 100


def test_lowpass_keeps_nan_runs():
    t = np.arange(100) / 30.0
    x = np.sin(t)
    x[40:60] = np.nan
    out = lowpass(t, x, 6.0)
    assert np.isnan(out[40:60]).all() and np.isfinite(out[:40]).all()


def test_clean_gates_low_visibility_and_off_frame_points():
    seq = squat_sequence(1)
    vis = seq.visibility.copy()
    vis[:, L.LEFT_KNEE] = 0.05
    xy = seq.xy_px.copy()
    xy[:, L.NOSE, 1] = -500.0   # far above the picture
    out = clean(seq.replace(visibility=vis, xy_px=xy), CleanSettings())
    assert np.isnan(out.xy_px[:, L.LEFT_KNEE]).all()
    assert np.isnan(out.xy_px[:, L.NOSE]).all()
    assert np.isfinite(out.xy_px[:, L.RIGHT_KNEE]).all()


def test_one_euro_smooths_a_still_point_and_follows_a_move():
    f = OneEuro()
    rng = np.random.default_rng(1)
    out = [f(i / 30, np.array([100.0 + rng.normal(0, 2)]))[0] for i in range(60)]
    assert np.std(out[30:]) < 2.0
    moved = [f(2 + i / 30, np.array([300.0]))[0] for i in range(30)]
    assert moved[-1] == pytest.approx(300.0, abs=5)


@pytest.mark.parametrize("mask,expected", [
    ([1, 1, 0, 1, 0, 0, 1], [(0, 2), (3, 4), (6, 7)]),
    ([0, 0, 0], []),
    ([1, 1], [(0, 2)]),
])
def test_runs(mask, expected):
    from formcheck.clean import runs

    assert runs(np.array(mask, bool)) == expected
