"""Repetition segmentation on a depth signal, with hysteresis, debounce and minimum excursion.

The signal is `depth` (0 = standing, 1 = thigh level with the hip, >1 deeper), computed in
metrics.depth_signal. A rep starts when depth stays above `enter` for `debounce_s`, and ends when
it stays below max(`exit`, `exit_frac` x the rep's deepest point) for `debounce_s`; it counts
when its deepest point reaches `min_depth`. A descent that never comes back up (the clip ends
mid-rise, a push-up follows) does not count; tracking may drop out for up to `max_lost_s` mid-rep.
A clip that starts seated (the first measured depth is already past `enter`, at least
`seated_frac` of the first descent's deepest point, and the person goes no deeper) does not count
its first stand as a rep; one that starts mid-descent (still going down) counts it. A clip that
ends seated never comes back up, so its last sit does not count either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clean import CleanSettings


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
    # Starting down, at least this share of the first descent's deepest point and going no
    # deeper than that by more than `seated_max_rise` (no movement down): seated (or at the
    # bottom, or rising from a bottom before the clip) from the start, and the first stand is
    # not a rep.
    # Less, or still going down (the first bottom is inside the clip): the clip started
    # mid-descent, and the rep counts (LABELS.tsv's convention; a labelled real clip does this,
    # its first depth 0.56 of the peak).
    seated_frac: float = 0.8
    # ... and a start down that then goes deeper than its first depth by more than this (the
    # depth change that is movement, `still`) was still descending: mid-descent, it counts.
    # inf: every start down is seated (a chair-stand test).
    seated_max_rise: float = 0.03
    # A rep's bottom is the deepest level the depth signal holds, without a gap, for this long:
    # one period of the clip path's low-pass cut-off (clean.CleanSettings.cutoff_hz, 6 Hz). A
    # tracking glitch shorter than half a period lies above the filter's pass band (what
    # clean.CleanSettings.min_found_s drops between misses); after the zero-phase low-pass it
    # spans less than one period, so it cannot set the bottom (nor its time, its band or the
    # values read there). A real bottom is wider than that: the filter passes nothing narrower.
    bottom_hold_s: float = 1.0 / CleanSettings().cutoff_hz


def settings_for_min_depth(min_depth: float, base: RepSettings = RepSettings()) -> RepSettings:
    """Rep settings whose shallowest counted bottom is `min_depth` (a profile setting). The
    descent level sits at least 0.03 below it and the return level 0.02 below that, lowered
    only as far as needed: a lower return level merges reps of people who do not stand up
    fully between them."""
    from dataclasses import replace

    enter = min(base.enter, min_depth - 0.03)
    return replace(base, min_depth=min_depth, enter=enter, exit=min(base.exit, enter - 0.02))


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


def robust_peak_index(t_s: np.ndarray, d: np.ndarray, hold_s: float) -> int:
    """The index of the deepest point of `d` that is not a brief spike: among the windows of
    finite samples spanning at least `hold_s` (first to last sample), the one whose lowest
    value is highest holds the deepest level; the bottom is the highest sample of the stretch
    around that window that stays at or above that level. A peak wider than the window is found
    exactly; a spike narrower than the window, apart from it, or a run of samples between gaps
    shorter than it, is not. Without any such window
    (a short or gappy segment) the plain deepest sample."""
    n = len(d)
    best, best_j, best_lo = -1, -1, -np.inf
    j = 0
    for i in range(n):
        j = max(j, i)
        while j < n and t_s[j] - t_s[i] < hold_s - 1e-9:
            j += 1
        if j >= n:
            break
        w = d[i:j + 1]
        if not np.isfinite(w).all():
            continue
        lo = float(w.min())
        if lo > best_lo:
            best, best_j, best_lo = i, j, lo
    if best < 0:
        return int(np.nanargmax(d))
    # the bottom: the highest sample of the stretch around that window that stays at or above
    # its level (a flat or slightly uneven bottom longer than the window holds its true peak)
    i, j = best, best_j
    while i > 0 and np.isfinite(d[i - 1]) and d[i - 1] >= best_lo:
        i -= 1
    while j < n - 1 and np.isfinite(d[j + 1]) and d[j + 1] >= best_lo:
        j += 1
    return i + int(np.argmax(d[i:j + 1]))


def make_rep(t_s: np.ndarray, d: np.ndarray, s: int, e: int, settings: RepSettings) -> Rep:
    s, e = _movement_bounds(d, s, e, settings.still)
    seg = d[s:e + 1]
    k = robust_peak_index(t_s[s:e + 1], seg, settings.bottom_hold_s)
    peak = float(seg[k])
    b0, b1 = _band(seg, k, peak * (1 - settings.bottom_band))
    p0, p1 = _band(seg, k, peak * (1 - settings.pause_band))
    bottom_t = (t_s[s + b0] + t_s[s + b1]) / 2.0
    bottom_i = int(np.argmin(np.abs(t_s - bottom_t)))
    return Rep(s, bottom_i, e, s + b0, s + b1, float(t_s[s]), float(bottom_t), float(t_s[e]),
               peak, float(t_s[s + p0]), float(t_s[s + p1]))


class RepSegmenter:
    """The rep state machine, fed one sample at a time: the one rep definition both paths use.

    The clip path feeds its whole zero-phase-filtered depth signal (`find_reps`), the live path
    its causal signal frame by frame. A descent starts when depth stays above `enter` for
    `debounce_s`; the rep ends when depth stays below max(`exit`, `exit_frac` x the rep's
    deepest point) for `debounce_s`, and counts when its deepest point reaches `min_depth` and it
    lasted between `min_rep_s` and `max_rep_s`. Tracking lost mid-rep for longer than
    `max_lost_s` drops the rep. `update` returns a counted rep as (index where the descent began,
    index where the person was back up) the moment the return to standing is confirmed, i.e.
    `debounce_s` after that index.

    A descent confirmed before the person was ever seen standing (depth at or below `enter`)
    whose first depth is at least `seated_frac` of its deepest point, and which went no deeper
    than its first depth by more than `seated_max_rise`, is the stand-up from a seated start (or the
    rise from a bottom before the clip): not a rep. One that went on down is a clip started
    mid-descent: its bottom is in the clip, and it counts. `seated_start` keeps it as (first index,
    index where the person was up), and `down` at the end of a sequence means it ended down
    (seated), from `start_i`.
    """

    def __init__(self, settings: RepSettings = RepSettings()):
        self.settings = settings
        self.count = 0
        self.down = False
        self.peak = float("nan")      # deepest point since the descent was confirmed
        self._n = 0
        self._prev_finite = False
        self._stand_i, self._stand_t = 0, 0.0   # where the person last stood (or tracking began)
        self._seg_max = float("nan")            # deepest point since then
        self._start_i, self._start_t, self._start_max = 0, 0.0, float("nan")
        self._dn_i: int | None = None           # pending descent: first index and its samples
        self._dn_t: list[float] = []
        self._dn_d: list[float] = []
        self._up_i: int | None = None           # pending return: first index, level, times
        self._up_level = float("nan")
        self._up_t: list[float] = []
        self._last_finite_t: float | None = None
        self._lost = False
        self._stood = False                     # seen standing since the sequence began
        self._from_seated = False               # the current descent began before that
        self._first_depth = float("nan")        # the first measured depth
        self.seated_start: tuple[int, int] | None = None

    @property
    def start_i(self) -> int | None:
        """Where the current descent began (None when standing)."""
        return self._start_i if self.down else None

    @property
    def under_way_i(self) -> int | None:
        """Where the rep under way began: `start_i` once the descent is confirmed, and while it
        is pending (depth above `enter`, not yet for `debounce_s`) where the person last stood,
        which is where the confirmed descent will begin. None when standing."""
        if self.down:
            return self._start_i
        return self._stand_i if self._dn_i is not None else None

    def update(self, t_s: float, depth: float) -> tuple[int, int] | None:
        """Feed the next sample (NaN = not measured)."""
        i = self._n
        self._n += 1
        s = self.settings
        if not np.isfinite(depth):
            self._prev_finite = False
            self._dn_i = self._up_i = None
            self._lost = self._lost or self.down
            return None
        if self._lost:
            self._lost = False
            if self._last_finite_t is None or t_s - self._last_finite_t > s.max_lost_s:
                self.down = False  # tracking lost for long mid-rep: the rep is not counted
        self._last_finite_t = t_s
        if not np.isfinite(self._first_depth):
            self._first_depth = depth
        if not self._prev_finite or depth < s.exit:
            self._stand_i, self._stand_t, self._seg_max = i, t_s, depth
        self._seg_max = max(self._seg_max, depth)
        self._prev_finite = True
        return self._down(i, t_s, depth) if self.down else self._standing(i, t_s, depth)

    def _standing(self, i: int, t_s: float, depth: float) -> tuple[int, int] | None:
        if depth <= self.settings.enter:
            self._dn_i, self._stood = None, True
            return None
        if self._dn_i is None:
            self._dn_i, self._dn_t, self._dn_d = i, [], []
        self._dn_t.append(t_s)
        self._dn_d.append(depth)
        if t_s - self._dn_t[0] < self.settings.debounce_s:
            return None
        onset, ts, ds = self._dn_i, self._dn_t, self._dn_d
        self.down, self.peak, self._dn_i = True, ds[0], None
        self._from_seated = not self._stood
        self._start_i, self._start_t = self._stand_i, self._stand_t
        self._start_max = self._seg_max
        for k in range(1, len(ts)):   # the samples after the onset were down samples
            out = self._down(onset + k, ts[k], ds[k])
            if out is not None or not self.down:
                return out
        return None

    def _down(self, i: int, t_s: float, depth: float) -> tuple[int, int] | None:
        s = self.settings
        self._start_max = max(self._start_max, depth)
        if self._up_i is not None:
            if depth < self._up_level:
                self._up_t.append(t_s)
                return self._back_up()
            self._up_i = None
        self.peak = max(self.peak, depth)
        level = max(s.exit, s.exit_frac * self.peak)
        if depth < level:
            self._up_i, self._up_level, self._up_t = i, level, [t_s]
            return self._back_up()
        return None

    def _back_up(self) -> tuple[int, int] | None:
        s = self.settings
        if self._up_t[-1] - self._up_t[0] < s.debounce_s:
            return None
        end, dur = self._up_i, self._up_t[0] - self._start_t
        self.down, self._up_i, self._stood = False, None, True
        if self._from_seated and self._first_depth >= s.seated_frac * self.peak \
                and self.peak - self._first_depth <= s.seated_max_rise:
            self.seated_start = (self._start_i, end)
            return None
        if self._start_max >= s.min_depth and s.min_rep_s <= dur <= s.max_rep_s:
            self.count += 1
            return self._start_i, end
        return None


def segment(t_s: np.ndarray, depth: np.ndarray, settings: RepSettings = RepSettings()
            ) -> tuple[list[Rep], RepSegmenter]:
    """The segmenter run over a whole depth signal (NaN = not measured): its reps, and the
    segmenter itself (seated_start, and `down` / `start_i` when the sequence ended down)."""
    seg = RepSegmenter(settings)
    spans = [span for t, d in zip(t_s.tolist(), np.asarray(depth, dtype=np.float64).tolist())
             if (span := seg.update(t, d)) is not None]
    return [make_rep(t_s, depth, s, e, settings) for s, e in spans], seg


def find_reps(t_s: np.ndarray, depth: np.ndarray, settings: RepSettings = RepSettings()
              ) -> list[Rep]:
    """Reps in a whole depth signal (NaN = not measured): the segmenter run over it."""
    return segment(t_s, depth, settings)[0]
