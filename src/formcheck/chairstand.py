"""Chair-stand tests from a clip: the 30-second chair stand and the five-times sit-to-stand.

Pure numpy on the measurement core's series (metrics.compute_series) and the one rep segmenter
(reps.segment): the person starts seated; the seated start's rise is stand 1 and each rep the
segmenter finds (standing -> seat -> standing) adds the next stand. Times come from the depth
signal: seat contact = where the depth first comes within SEAT_TOL of the seated level, leaving
the seat = where it last was, standing = where it first comes within SEAT_TOL of the standing
level (as shares of the seated-to-standing range, or 3 robust standard deviations of the
seated depth when that is larger).

Protocols followed:
* 30-second chair stand (Rikli & Jones 1999; Jones, Rikli & Beam 1999): the number of complete
  stands in 30 s, counted here from the first movement (the stopwatch's "go" cannot be seen);
  a stand under way at 30 s counts when the person is more than half-way up.
* Five-times sit-to-stand (as in Bohannon 2006's reference values): time from the first movement
  to the seat contact after the fifth complete stand (the end point: sitting down after the
  fifth stand, not the fifth full stand).

A stand is incomplete when the knees are not straight at its top (knee flexion above
STAND_KNEE_MAX_DEG) or when the person sits back after rising at least half-way without
reaching standing; incomplete stands are not counted. Arms off the chest: the wrists leave the
chest (further than ARMS_OFF_CHEST_RATIO torso lengths from it) during a stand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .geometry import midpoint, nanmean_of
from .landmarks import Landmark as L
from .landmarks import PoseSequence
from .metrics import Series
from .reps import RepSettings, segment

TEST_30S = "chair-stand-30"
TEST_5X = "five-times-sit-to-stand"
TESTS = (TEST_30S, TEST_5X)
TEST_WINDOW_S = 30.0
SEAT_TOL = 0.02               # share of the seated-to-standing depth range (at least 3 x the
                              # seated depth's own scatter)
STAND_KNEE_MAX_DEG = 20.0     # knee flexion at the top of a complete stand
# Wrists this many torso lengths from the chest (90th percentile over a rise): pushing off the
# thighs puts them about a torso length away near the top of the rise; folded arms read
# 0.35-0.58 on the rendered chair-stand clip (MediaPipe's wrists, 99th percentile).
ARMS_OFF_CHEST_RATIO = 0.75
CHEST_AT = 0.25               # the chest point: this far from the mid-shoulder to the mid-hip

# Rikli & Jones (1999), "Functional fitness normative scores for community-residing older
# adults, ages 60-94", J Aging Phys Act 7:162-181: the normal range (25th-75th percentile) of
# the 30-s chair stand, stands, by sex and age band.
RIKLI_JONES_1999 = {
    "F": {(60, 64): (12, 17), (65, 69): (11, 16), (70, 74): (10, 15), (75, 79): (10, 15),
          (80, 84): (9, 14), (85, 89): (8, 13), (90, 94): (4, 11)},
    "M": {(60, 64): (14, 19), (65, 69): (12, 18), (70, 74): (12, 17), (75, 79): (11, 17),
          (80, 84): (10, 15), (85, 89): (8, 14), (90, 94): (7, 12)},
}
# Bohannon (2006), "Reference values for the five-repetition sit-to-stand test: a descriptive
# meta-analysis of data from elders", Percept Mot Skills 103:215-222: reference time (s) by age
# band (both sexes); slower than this is worse than average for the age.
BOHANNON_2006 = {(60, 69): 11.4, (70, 79): 12.6, (80, 89): 14.8}


@dataclass(frozen=True)
class Stand:
    """One rise from the chair. Times in seconds from the start of the clip."""

    index: int
    leave_s: float              # leaves the seat
    up_s: float | None          # standing reached (None: never reached)
    seat_s: float | None        # back on the seat after it (None: the clip ended first)
    knee_flexion_top_deg: float | None
    complete: bool
    arms_off_chest: bool | None


@dataclass(frozen=True)
class Norm:
    source: str
    band: str                   # e.g. "F 70-74"
    low: float | None           # normal range (30-s test) or reference time (5xSTS: in `high`)
    high: float | None
    verdict: str                # "below" | "within" | "above" the range; 5xSTS "slower" | "faster"


@dataclass(frozen=True)
class ChairStandResult:
    test: str
    stands: int                 # complete stands counted
    time_s: float | None        # the test's time (30 s, or the 5xSTS time)
    first_movement_s: float | None
    stand_list: tuple[Stand, ...]
    partial_rises_s: tuple[float, ...]   # sat back after rising half-way without standing
    norm: Norm | None
    notes: tuple[str, ...]

    @property
    def stand_times_s(self) -> list[float]:
        """Each complete stand's standing time from the first movement."""
        t0 = self.first_movement_s or 0.0
        return [s.up_s - t0 for s in self.stand_list if s.complete and s.up_s is not None]


def _cross(t: np.ndarray, d: np.ndarray, i: int, j: int, level: float) -> float:
    """The time between samples i and j where d crosses level (linear)."""
    if not (np.isfinite(d[i]) and np.isfinite(d[j])) or d[i] == d[j]:
        return float(t[j])
    f = (level - d[i]) / (d[j] - d[i])
    return float(t[i] + min(1.0, max(0.0, f)) * (t[j] - t[i]))


def _first_at_or_above(t, d, i0, i1, level) -> float | None:
    for j in range(max(i0, 1), i1 + 1):
        if np.isfinite(d[j]) and d[j] >= level:
            return _cross(t, d, j - 1, j, level)
    return None


def _last_at_or_above(t, d, i0, i1, level) -> float | None:
    for j in range(i1, i0, -1):
        if np.isfinite(d[j - 1]) and d[j - 1] >= level and np.isfinite(d[j]) and d[j] < level:
            return _cross(t, d, j - 1, j, level)
    return None


def _first_at_or_below(t, d, i0, i1, level) -> float | None:
    for j in range(max(i0, 1), i1 + 1):
        if np.isfinite(d[j]) and d[j] <= level:
            return _cross(t, d, j - 1, j, level)
    return None


def wrist_chest_ratio(xy: np.ndarray) -> np.ndarray:
    """(N,) how far the wrists are from the chest, in torso lengths (both wrists averaged):
    the chest point lies CHEST_AT of the way from the mid-shoulder to the mid-hip."""
    sh = midpoint(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER])
    hp = midpoint(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP])
    chest = sh + CHEST_AT * (hp - sh)
    with np.errstate(all="ignore"):
        torso = np.linalg.norm(hp - sh, axis=-1)
        return nanmean_of([np.linalg.norm(xy[:, w] - chest, axis=-1) / torso
                           for w in (L.LEFT_WRIST, L.RIGHT_WRIST)])


def norm_30s(stands: int, age: int | None, sex: str | None) -> Norm | None:
    """The 30-s chair stand against Rikli & Jones's normal range for the age and sex."""
    if age is None or sex is None or sex.upper() not in RIKLI_JONES_1999:
        return None
    for (lo_age, hi_age), (lo, hi) in RIKLI_JONES_1999[sex.upper()].items():
        if lo_age <= age <= hi_age:
            verdict = "below" if stands < lo else "above" if stands > hi else "within"
            return Norm("Rikli & Jones 1999", f"{sex.upper()} {lo_age}-{hi_age}", lo, hi, verdict)
    return None


def norm_5x(time_s: float | None, age: int | None) -> Norm | None:
    """The five-times sit-to-stand time against Bohannon's reference time for the age."""
    if age is None or time_s is None:
        return None
    for (lo_age, hi_age), ref in BOHANNON_2006.items():
        if lo_age <= age <= hi_age:
            return Norm("Bohannon 2006", f"{lo_age}-{hi_age}", None, ref,
                        "slower" if time_s > ref else "faster")
    return None


def _tol(d: np.ndarray, idx: np.ndarray, span: float) -> float:
    """The crossing tolerance: SEAT_TOL of the range, or 3 x the seated depth's scatter."""
    v = d[idx][np.isfinite(d[idx])]
    noise = float(1.4826 * np.median(np.abs(v - np.median(v)))) if v.size >= 3 else 0.0
    return max(SEAT_TOL * span, 3.0 * noise)


def _levels(d: np.ndarray, seat_idx: np.ndarray, stand_idx: np.ndarray) -> tuple[float, float]:
    seat = d[seat_idx][np.isfinite(d[seat_idx])]
    stand = d[stand_idx][np.isfinite(d[stand_idx])]
    return (float(np.median(seat)) if seat.size else float("nan"),
            float(np.min(stand)) if stand.size else float("nan"))


def chair_stand(seq: PoseSequence, series: Series, test: str, age: int | None = None,
                sex: str | None = None, settings: RepSettings | None = None) -> ChairStandResult:
    """Count and time a chair-stand test on an analysed (cleaned) sequence."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}")
    # A test starts seated: its first rise is stand 1, whatever the first depth. The squat
    # counter's rule (a seated start is one only when its first depth is near the deepest,
    # RepSettings.seated_frac, seated_max_rise) does not apply here.
    settings = replace(settings or RepSettings(), seated_frac=0.0, seated_max_rise=float("inf"))
    t, d = series.t_s, series.depth
    reps, seg = segment(t, d, settings)
    notes: list[str] = []
    if seg.seated_start is None:
        return ChairStandResult(test, 0, None, None, (), (), None, (
            "The clip does not start seated: start the recording with the person sitting on "
            "the chair, arms folded on the chest.",))
    flex = nanmean_of([series.legs["left"].knee_flexion_deg, series.legs["right"].knee_flexion_deg])
    wrists = wrist_chest_ratio(seq.xy_px)
    # rises: (leave window start, standing index, next seat window) per stand
    s0, e0 = seg.seated_start
    seat_lvl, stand_lvl = _levels(d, np.arange(s0, s0 + max(1, (e0 - s0) // 3)),
                                  np.arange(e0, reps[0].start_i + 1 if reps else len(d)))
    windows = [(s0, e0)] + [(r.band_start_i, r.end_i) for r in reps]
    seats = [(r.start_i, r.band_end_i, r.band_start_i, r.band_end_i) for r in reps]
    if seg.down and seg.start_i is not None:
        seats.append((seg.start_i, len(d) - 1, None, None))
    stands: list[Stand] = []
    partial: list[float] = []
    first = None
    for k, (a, b) in enumerate(windows):
        plateau = (np.arange(s0, s0 + max(1, (e0 - s0) // 3)) if k == 0
                   else np.arange(seats[k - 1][2], seats[k - 1][3] + 1))
        seat_here = float(np.nanmedian(d[plateau]))
        span = seat_here - stand_lvl
        tol = _tol(d, plateau, span)
        leave = _last_at_or_above(t, d, a, b, seat_here - tol)
        if leave is None:
            leave = float(t[a])
        if first is None:
            first = leave
        nxt = seats[k][0] if k < len(seats) else len(d) - 1
        up = _first_at_or_below(t, d, a, nxt, stand_lvl + tol)
        seat_t = None
        if k < len(seats):
            i0, i1 = seats[k][0], seats[k][1]
            if seats[k][2] is not None:
                nxt_plateau = np.arange(seats[k][2], seats[k][3] + 1)
            else:   # the final sit: its last second
                nxt_plateau = np.flatnonzero(t >= t[i1] - 1.0)
            lvl = float(np.nanmedian(d[nxt_plateau]))
            seat_t = _first_at_or_above(t, d, i0, i1, lvl - _tol(d, nxt_plateau, lvl - stand_lvl))
        top_i = np.arange(b, min(len(d), (seats[k][0] if k < len(seats) else len(d) - 1) + 1))
        kf = flex[top_i][np.isfinite(flex[top_i])]
        knee_top = float(np.min(kf)) if kf.size else None
        rise_i = np.arange(a, b + 1)
        wr = wrists[rise_i][np.isfinite(wrists[rise_i])]
        arms = bool(np.percentile(wr, 90) > ARMS_OFF_CHEST_RATIO) if wr.size else None
        complete = up is not None and (knee_top is None or knee_top <= STAND_KNEE_MAX_DEG)
        stands.append(Stand(k + 1, leave, up, seat_t, knee_top, complete, arms))
    # rises that turned back half-way up, inside the seated stretches
    for r in reps:
        seg_d = d[r.start_i:r.end_i + 1]
        if not np.isfinite(seg_d).any():
            continue
        lvl = float(np.nanmax(seg_d))
        seated = np.flatnonzero(np.nan_to_num(seg_d, nan=0.0) >= lvl - 0.1 * (lvl - stand_lvl))
        half = lvl - 0.5 * (lvl - stand_lvl)
        inner = seg_d[seated[0]:seated[-1] + 1]
        dips = np.flatnonzero(np.nan_to_num(inner, nan=lvl) < half)
        if dips.size:
            partial.append(float(t[r.start_i + seated[0] + dips[0]]))
    first = float(first)
    counted = [s for s in stands if s.complete]
    if test == TEST_30S:
        end = first + TEST_WINDOW_S
        n = sum(1 for s in counted if s.up_s <= end)
        # under way at 30 s and more than half-way up: counts (Rikli & Jones)
        for s in stands:
            if s.leave_s < end and (s.up_s is None or s.up_s > end) and s.complete:
                j = int(np.searchsorted(t, end))
                if j < len(d) and np.isfinite(d[j]) and d[j] < 0.5 * (seat_lvl + stand_lvl):
                    n += 1
                break
        time_s = TEST_WINDOW_S
        if t[-1] < end:
            time_s = float(t[-1] - first)
            notes.append(f"The clip ends {time_s:.1f} s after the first movement, before the "
                         "30 s were up: the count covers only that time.")
        norm = norm_30s(n, age, sex)
    else:
        n = min(5, len(counted))
        time_s = None
        if len(counted) >= 5 and counted[4].seat_s is not None:
            time_s = float(counted[4].seat_s - first)
        else:
            notes.append("Fewer than five complete stands with the sit after the fifth: the "
                         "five-times sit-to-stand time cannot be given.")
        norm = norm_5x(time_s, age)
    bad = [s.index for s in stands if not s.complete]
    if bad or partial:
        notes.append("Incomplete stands (knees not straight at the top, or sat back before "
                     f"standing) were not counted: stands {', '.join(map(str, bad))}"
                     + (f"; rises that turned back at {', '.join(f'{x:.1f} s' for x in partial)}"
                        if partial else "") + ".")
    arms = [s.index for s in stands if s.arms_off_chest]
    if arms:
        notes.append(f"The wrists left the chest in stands {', '.join(map(str, arms))}: the "
                     "test is done with the arms folded on the chest (pushing off the thighs "
                     "makes it easier).")
    return ChairStandResult(test, n, time_s, first, tuple(stands), tuple(partial), norm,
                            tuple(notes))


def to_dict(r: ChairStandResult, source: str = "") -> dict:
    """The test's report (`formcheck test ... --report r.json`)."""
    t0 = r.first_movement_s or 0.0

    def rel(x):
        return None if x is None else round(x - t0, 3)

    return {
        "test": r.test, "source": source, "stands": r.stands,
        "time_s": None if r.time_s is None else round(r.time_s, 2),
        "first_movement_s": None if r.first_movement_s is None else round(r.first_movement_s, 3),
        "end_point": ("complete stands within 30 s of the first movement" if r.test == TEST_30S
                      else "seat contact after the fifth complete stand, from the first movement"),
        "stand_times_s": [round(x, 3) for x in r.stand_times_s],
        "per_stand": [{"stand": s.index, "leave_s": rel(s.leave_s), "up_s": rel(s.up_s),
                       "seat_s": rel(s.seat_s), "complete": s.complete,
                       "knee_flexion_top_deg": None if s.knee_flexion_top_deg is None
                       else round(s.knee_flexion_top_deg, 1),
                       "arms_off_chest": s.arms_off_chest} for s in r.stand_list],
        "incomplete_stands": [s.index for s in r.stand_list if not s.complete],
        "partial_rises_s": [rel(x) for x in r.partial_rises_s],
        "arms_off_chest_stands": [s.index for s in r.stand_list if s.arms_off_chest],
        "norm": None if r.norm is None else {"source": r.norm.source, "band": r.norm.band,
                                             "low": r.norm.low, "high": r.norm.high,
                                             "verdict": r.norm.verdict},
        "notes": list(r.notes),
        "times_from": "the first movement (leaving the seat)",
    }


def summary_text(r: ChairStandResult, source: str = "") -> str:
    name = {TEST_30S: "30-second chair stand", TEST_5X: "five-times sit-to-stand"}[r.test]
    lines = [f"{source}: {name}"]
    if r.test == TEST_30S:
        lines.append(f"  {r.stands} complete stand(s) in "
                     f"{r.time_s:.1f} s" if r.time_s is not None else "  no stands")
    else:
        lines.append(f"  time {r.time_s:.2f} s (to sitting after the fifth stand)"
                     if r.time_s is not None else f"  {r.stands} complete stand(s): no time")
    if r.norm:
        if r.test == TEST_30S:
            lines.append(f"  {r.norm.source}, {r.norm.band}: normal range {r.norm.low:.0f}-"
                         f"{r.norm.high:.0f} stands; this is {r.norm.verdict} it")
        else:
            lines.append(f"  {r.norm.source}, age {r.norm.band}: reference {r.norm.high:.1f} s; "
                         f"this is {r.norm.verdict}")
    for n in r.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines)


def from_analysis(analysis, test: str, age: int | None = None, sex: str | None = None
                  ) -> ChairStandResult:
    """The test on an analysed clip (analysis.Analysis): its cleaned landmarks and series, and
    the rep settings of its profile."""
    from .reps import settings_for_min_depth

    return chair_stand(analysis.clean_seq, analysis.series, test, age, sex,
                       settings_for_min_depth(analysis.thresholds.min_rep_depth_ratio))
