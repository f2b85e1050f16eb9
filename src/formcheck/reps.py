"""Repetition segmentation on a depth signal, with hysteresis, debounce and minimum excursion.

The signal is `depth` (0 = standing, 1 = thigh level with the hip, >1 deeper), computed in
metrics.depth_signal. A rep starts when depth stays above `enter` for `debounce_s`, and ends when
it stays below max(`exit`, `exit_frac` x the rep's deepest point) for `debounce_s`; it counts
when its deepest point reaches `min_depth`. A descent that never comes back up (the clip ends
mid-rise, a push-up follows) does not count; tracking may drop out for up to `max_lost_s` mid-rep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RepSettings:
    enter: float = 0.25       # depth where a descent starts to count
    exit: float = 0.2         # depth below which the person is back up ...
    exit_frac: float = 0.25   # ... or below this fraction of the rep's deepest point
    min_depth: float = 0.34   # shallowest bottom that counts as a squat
    debounce_s: float = 0.15  # a crossing must hold this long to count
    min_rep_s: float = 0.5
    max_rep_s: float = 20.0
    bottom_band: float = 0.1  # frames within this fraction of the peak depth are "at the bottom"
    pause_band: float = 0.05  # ... and within this fraction count as a pause (box contact)
    still: float = 0.03       # depth change below this is not movement (start and end of a rep)
    max_lost_s: float = 1.5   # tracking may drop out this long mid-rep (a rack hides the body)


@dataclass(frozen=True)
class Rep:
    """One repetition, by frame index into the sequence and by time."""

    start_i: int
    bottom_i: int
    end_i: int
    band_start_i: int
    band_end_i: int
    start_s: float
    bottom_s: float
    end_s: float
    peak_depth: float

    pause_start_s: float = 0.0
    pause_end_s: float = 0.0

    @property
    def descent_s(self) -> float:
        return self.pause_start_s - self.start_s

    @property
    def pause_s(self) -> float:
        """Time held at the bottom (on the box)."""
        return self.pause_end_s - self.pause_start_s

    @property
    def ascent_s(self) -> float:
        return self.end_s - self.pause_end_s

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _held(t_s: np.ndarray, cond, i: int, hold_s: float) -> bool:
    """cond(j) stays true from sample i for at least hold_s."""
    j = i
    n = len(t_s)
    while j < n and cond(j):
        if t_s[j] - t_s[i] >= hold_s:
            return True
        j += 1
    return False


def _band(seg: np.ndarray, k: int, thr: float) -> tuple[int, int]:
    """The run of samples around k with seg >= thr."""
    b0 = k
    while b0 > 0 and seg[b0 - 1] >= thr:
        b0 -= 1
    b1 = k
    while b1 < len(seg) - 1 and seg[b1 + 1] >= thr:
        b1 += 1
    return b0, b1


def _movement_bounds(d: np.ndarray, s: int, e: int, still: float) -> tuple[int, int]:
    """Widen [s, e] (threshold crossings) to where the descent began and the rise ended."""
    while s > 0 and np.isfinite(d[s - 1]) and d[s - 1] < d[s] - 1e-9 and d[s - 1] > still:
        s -= 1
    while e < len(d) - 1 and np.isfinite(d[e + 1]) and d[e + 1] < d[e] - 1e-9 and d[e + 1] > still:
        e += 1
    return s, e


def _make_rep(t_s: np.ndarray, d: np.ndarray, s: int, e: int, settings: RepSettings) -> Rep:
    s, e = _movement_bounds(d, s, e, settings.still)
    seg = d[s:e + 1]
    k = int(np.nanargmax(seg))
    peak = float(seg[k])
    b0, b1 = _band(seg, k, peak * (1 - settings.bottom_band))
    p0, p1 = _band(seg, k, peak * (1 - settings.pause_band))
    bottom_t = (t_s[s + b0] + t_s[s + b1]) / 2.0
    bottom_i = int(np.argmin(np.abs(t_s - bottom_t)))
    return Rep(s, bottom_i, e, s + b0, s + b1, float(t_s[s]), float(bottom_t), float(t_s[e]),
               peak, float(t_s[s + p0]), float(t_s[s + p1]))


def _below(depth: np.ndarray, finite: np.ndarray, level: float):
    return lambda j: bool(finite[j] and depth[j] < level)


def find_reps(t_s: np.ndarray, depth: np.ndarray, settings: RepSettings = RepSettings()
              ) -> list[Rep]:
    """Reps in a depth signal (NaN = not measured)."""
    reps: list[Rep] = []
    n = len(depth)
    finite = np.isfinite(depth)
    is_down = finite & (depth > settings.enter)
    down = False
    start = 0
    peak = 0.0
    i = 0
    while i < n:
        if not down:
            if is_down[i] and _held(t_s, is_down.__getitem__, i, settings.debounce_s):
                down = True
                peak = float(depth[i])
                # the descent began where the person last stood (or where tracking began)
                start = i
                while start > 0 and finite[start - 1] and depth[start - 1] >= settings.exit:
                    start -= 1
                if start > 0 and finite[start - 1]:
                    start -= 1
            i += 1
            continue
        if not finite[i]:
            j = i
            while j < n and not finite[j]:
                j += 1
            if j == n or t_s[j] - t_s[i - 1] > settings.max_lost_s:
                down = False  # tracking lost for long mid-rep: the rep is not counted
            i = j
            continue
        peak = max(peak, float(depth[i]))
        is_up = _below(depth, finite, max(settings.exit, settings.exit_frac * peak))
        if is_up(i) and _held(t_s, is_up, i, settings.debounce_s):
            seg = depth[start:i + 1]
            dur = t_s[i] - t_s[start]
            if (np.nanmax(seg) >= settings.min_depth
                    and settings.min_rep_s <= dur <= settings.max_rep_s):
                reps.append(_make_rep(t_s, depth, start, i, settings))
            down = False
        i += 1
    return reps
