"""pace: the live page's load decisions and its words, from given timings (no CPU starving)."""

from __future__ import annotations

import pytest

from formcheck.pace import LOADS, Pace, budget_ms, next_level

FRAME_MS = 1000.0 / 30      # a 30-fps camera


def test_budget_is_the_frame_interval_times_the_stride():
    assert [budget_ms(i, 40.0) for i in range(len(LOADS))] == [40.0, 80.0, 80.0]


@pytest.mark.parametrize("level, model_ms, held_s, expected", [
    (0, 30.0, 5.0, 0),      # keeps up at full load
    (0, 34.0, 5.0, 1),      # slower than the frame interval: every other frame
    (0, 34.0, 1.9, 0),      # ... but not before the level was held HOLD_S
    (1, 60.0, 5.0, 1),      # fits every other frame (budget 66.7 ms), not every frame
    (1, 70.0, 5.0, 2),      # slower than two frame intervals: half-size picture too
    (2, 200.0, 5.0, 2),     # nothing lighter left
    (1, 25.0, 5.0, 0),      # under 3/4 of the full load's budget (25 ms): back to full
    (1, 25.1, 5.0, 1),      # just over it: stays
    (2, 50.0, 5.0, 1),      # under 3/4 of every other frame's budget (50 ms): full size again
    (2, 50.0, 0.5, 2),
])
def test_next_level_on_given_timings(level, model_ms, held_s, expected):
    assert next_level(level, model_ms, FRAME_MS, held_s) == expected


def test_no_timing_yet_keeps_the_level():
    assert next_level(1, 0.0, FRAME_MS, 10.0) == 1
    assert next_level(1, 100.0, 0.0, 10.0) == 1


def _run(pace: Pace, model_ms: float, seconds: float, t0: float = 0.0, fps: float = 30.0):
    """A camera at `fps`, a model taking `model_ms` per frame: frames queue while it works."""
    dt = 1.0 / fps
    t, busy_until, queued = t0, t0, []
    while t < t0 + seconds - 1e-9:
        queued.append(t)
        if t >= busy_until - 1e-9:
            pace, measure = pace.arrive(queued)
            queued = []
            if measure:
                pace = pace.measured_in(model_ms)
                busy_until = t + model_ms / 1000.0
        t += dt
    return pace, t


def test_a_model_that_keeps_up_misses_nothing_and_says_nothing():
    pace, _ = _run(Pace(), 20.0, 5.0)
    assert pace.level == 0 and pace.missed == 0 and pace.thinned == 0
    assert pace.frame_ms == pytest.approx(FRAME_MS)
    assert pace.model_ms == pytest.approx(20.0)
    assert pace.live_words() is None and pace.end_words() is None


def test_a_slow_model_lowers_the_load_then_keeps_up():
    """50 ms per frame on a 30-fps camera (1.5 frame intervals: every other frame missed) for
    HOLD_S, then every other frame measured, and no frame missed."""
    pace, t = _run(Pace(), 50.0, 3.0)
    assert pace.level == 1 and pace.max_level == 1
    missed_before = pace.missed
    assert missed_before > 0
    pace, _ = _run(pace, 50.0, 3.0, t0=t)
    assert pace.level == 1 and pace.missed == missed_before and not pace.behind
    assert pace.live_words() == (LOADS[1].note, "info")
    assert pace.end_words() == (
        "This device fell behind for 2 s of the set: 17% of the camera's frames were skipped, "
        "so reps may have been missed. Close other apps, or film a clip and upload it on the "
        "Analyse page. To keep up, every other frame was measured for 4 s of the set.")


def test_a_model_far_too_slow_says_the_device_falls_behind():
    pace, _ = _run(Pace(), 150.0, 8.0)
    assert pace.level == 2 and pace.behind
    text, how = pace.live_words()
    assert how == "warn"
    assert text == (f"This device is falling behind: {pace.recent_missed_ratio:.0%} of the "
                    "camera's frames were skipped; reps may be missed. Close other apps, or "
                    "film a clip and upload it on the Analyse page.")
    # 150 ms = 4.5 frame intervals: of every 5 frames 1 measured, 1 thinned, 3 missed
    assert pace.recent_missed_ratio == pytest.approx(0.6, abs=1e-3)


def test_back_to_full_load_when_the_device_is_free_again():
    pace, t = _run(Pace(), 50.0, 4.0)
    assert pace.level == 1
    pace, _ = _run(pace, 10.0, 6.0, t0=t)
    assert pace.level == 0 and pace.live_words() is None


def test_exact_counts_of_missed_and_thinned_frames():
    p = Pace()
    p, m = p.arrive([0.0])               # warm-up: the model loads
    assert m
    p = p.measured_in(900.0)
    p, m = p.arrive([0.033 * k for k in range(1, 28)])   # queued while it loaded: not counted
    assert m and p.frames == 0 and p.missed == 0
    p = p.measured_in(20.0)
    assert p.warm and p.model_ms == 0.0       # warm-up times are not in the average
    p, m = p.arrive([0.924])
    assert m and p.frames == 1 and p.missed == 0
    p = p.measured_in(100.0)
    assert p.model_ms == 100.0
    p, m = p.arrive([0.957, 0.990, 1.023])   # two came while it measured: missed
    assert m and p.frames == 4 and p.missed == 2 and p.thinned == 0
    assert p.frame_ms == pytest.approx(33.0)


def test_thinned_frames_are_not_missed():
    p = Pace(level=1, measured=5, model_ms=40.0, frame_ms=FRAME_MS, last_t_s=0.0)
    p, m = p.arrive([0.033])
    assert not m and p.waiting == 1
    p, m = p.arrive([0.066])
    assert m and p.waiting == 0 and p.thinned == 1 and p.missed == 0 and p.frames == 2
    p, m = p.arrive([0.1, 0.133, 0.166])     # one left out by the stride, one missed
    assert m and p.thinned == 2 and p.missed == 1 and p.frames == 5
