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


def _found_pattern(pattern: str) -> np.ndarray:
    """(N, 33, 2) landmarks: frame i seen where pattern[i] == '1', nobody found where '0'."""
    xy = np.full((len(pattern), 33, 2), np.nan)
    for i, c in enumerate(pattern):
        if c == "1":
            xy[i] = i + 1.0
    return xy


def test_a_detection_briefer_than_half_a_filter_period_between_misses_is_dropped():
    from formcheck.clean import drop_brief_detections

    assert CleanSettings().min_found_s == pytest.approx(1 / 12)   # 6 Hz cut-off
    t = np.arange(16) / 30.0
    xy = _found_pattern("1100101101110011")
    out = drop_brief_detections(t, xy, CleanSettings().min_found_s)
    kept = "".join("1" if k else "0" for k in np.isfinite(out[:, 0, 0]))
    # 1- and 2-frame flashes (0.033, 0.067 s) go; 3 frames (0.1 s) and the runs at the ends stay
    assert kept == "1100000001110011"
    assert out[np.isfinite(out[:, 0, 0]), 0, 0].tolist() == [1.0, 2.0, 10.0, 11.0, 12.0, 15.0, 16.0]


@pytest.mark.parametrize("fps,pattern,kept", [
    (60, "1" + "0" + "1111" + "0" + "11111" + "0" + "1",
     "1" + "0" + "0000" + "0" + "11111" + "0" + "1"),
    (24, "1" + "0" + "1" + "0" + "11" + "0" + "1", "1" + "0" + "0" + "0" + "11" + "0" + "1"),
])
def test_the_brief_detection_limit_is_in_seconds(fps, pattern, kept):
    from formcheck.clean import drop_brief_detections

    # at 60 fps 4 frames last 0.067 s (dropped), 5 last 0.083 s (kept); at 24 fps 1 frame lasts
    # 0.042 s (dropped), 2 last 0.083 s (kept)
    out = drop_brief_detections(np.arange(len(pattern)) / fps, _found_pattern(pattern), 1 / 12)
    assert "".join("1" if k else "0" for k in np.isfinite(out[:, 0, 0])) == kept


def test_clean_drops_a_one_frame_flash_inside_a_long_dropout():
    seq = squat_sequence(1)
    vis = seq.visibility.copy()
    vis[40:45] = 0.0           # nobody found for 5 frames, a 1-frame flash at 45 ...
    vis[46:52] = 0.0           # ... then lost again: 12 frames, 0.43 s, too long to fill
    out = clean(seq.replace(visibility=vis))
    seen = np.isfinite(out.xy_px[:, L.LEFT_HIP, 0])
    assert not seen[40:52].any()
    assert seen[:40].all() and seen[52:].all()


@pytest.mark.parametrize("order,wn", [(4, 0.4), (4, 0.2), (4, 0.05), (2, 0.3), (4, 0.9)])
def test_our_butterworth_coefficients_are_scipys(order, wn):
    from scipy.signal import butter

    from formcheck.clean import butter_lowpass

    b, a = butter_lowpass(order, wn)
    sb, sa = butter(order, wn)
    np.testing.assert_allclose(b, sb, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a, sa, rtol=1e-12, atol=1e-15)


def test_our_zero_phase_filter_is_scipys_filtfilt_on_tracks_of_different_lengths():
    from scipy.signal import butter, filtfilt

    from formcheck.clean import filtfilt_many

    rng = np.random.default_rng(3)
    tracks = [np.cumsum(rng.normal(0, 3, n)) + 200 for n in (16, 17, 40, 301, 1800)]
    for wn in (0.4, 0.1):
        b, a = butter(4, wn)
        ours = filtfilt_many(b, a, tracks)
        assert [len(y) for y in ours] == [len(x) for x in tracks]
        for x, y in zip(tracks, ours):
            np.testing.assert_allclose(y, filtfilt(b, a, x), rtol=0, atol=1e-9)


def test_clean_filters_every_landmark_as_scipy_would_run_by_run():
    """The clip path's low-pass (every coordinate, each finite run on its own, runs no longer
    than the edge extension left as they are) against scipy's filtfilt applied track by track."""
    from scipy.signal import butter, filtfilt

    from formcheck.clean import lowpass_many, runs

    rng = np.random.default_rng(4)
    t = np.arange(400) / 60.0
    x = np.cumsum(rng.normal(0, 2, (400, 6)), axis=0)
    x[100:130, 1] = np.nan      # two runs of 100 and 270 samples
    x[:390, 2] = np.nan         # a run of 10 samples: too short to filter, kept
    x[:, 3] = np.nan            # nothing seen
    out = lowpass_many(t, x, 6.0)
    b, a = butter(4, 6.0 / 30.0)
    for k in range(6):
        want = x[:, k].copy()
        for i, j in runs(np.isfinite(want)):
            if j - i > 15:
                want[i:j] = filtfilt(b, a, want[i:j])
        np.testing.assert_allclose(out[:, k], want, rtol=0, atol=1e-9, equal_nan=True)
    assert np.isnan(out[:, 3]).all() and np.array_equal(out[390:, 2], x[390:, 2])
