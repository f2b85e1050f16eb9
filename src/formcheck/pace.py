"""Keeping up with the camera on the live page: how much work the model takes on, and what
to tell the person when the device is too slow. Pure: frame times and model timings in, a
load and words out (no camera, no threads, no clock of its own).

The definition (issue 23): the model falls behind when its time per frame exceeds the time it
has for that frame, the camera's frame interval times the stride (it measures every
`stride`-th frame). Then the camera's frames queue up and all but the newest are skipped:
those are the frames *missed*. A frame the model is not given on purpose (the stride) is
*thinned*, not missed.

To keep counting, the page lowers its own load one step at a time (LOADS: every other frame,
then also a half-size picture) while the model falls behind, and returns one step when the
model would have time for the heavier load again. A step is held at least HOLD_S, so that one
slow frame does not switch the load back and forth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Sequence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Load:
    """What the model is given: every `stride`-th camera frame, at `scale_ratio` of the
    camera's width and height."""

    stride: int
    scale_ratio: float
    note: str       # the short note the page shows the person ("" at full load)


LOADS = (
    Load(1, 1.0, ""),
    Load(2, 1.0, "Your device is busy: measuring every other frame to keep up."),
    Load(2, 0.5, "Your device is busy: measuring every other frame, at half size, to keep up."),
)
# Design choices, not fitted: back to the heavier load only when the model's time per frame is
# under 3/4 of that load's budget (room for the slower frames), and each load held >= 2 s.
RETURN_RATIO = 0.75
HOLD_S = 2.0
# The first measured frames load the model (seconds): their times and the frames queued
# meanwhile are not counted.
WARMUP_MEASURED = 2
EMA_ALPHA = 0.1          # smoothing of the model time and frame interval (about 10 frames)
RECENT_FRAMES = 30.0     # the "recent" share of missed frames spans about this many frames
# The end of a set mentions falling behind only when it lasted this long in all (a hiccup of
# a few frames misses no rep).
NOTE_BEHIND_S = 1.0
SLOW_WORDS = "Close other apps, or film a clip and upload it on the Analyse page."


def budget_ms(level: int, frame_ms: float) -> float:
    """The model's time for one frame at load `level`: the frame interval times the stride."""
    return LOADS[level].stride * frame_ms


def next_level(level: int, model_ms: float, frame_ms: float, held_s: float) -> int:
    """The load level for the next frames, given the model's time per frame (`model_ms`) at
    the current `level`, the camera's frame interval (`frame_ms`) and how long the current
    level has been held (`held_s`). One step lighter when the model takes longer than its
    budget; one step heavier when it would take under RETURN_RATIO of the heavier level's."""
    if held_s < HOLD_S or model_ms <= 0 or frame_ms <= 0:
        return level
    if model_ms > budget_ms(level, frame_ms):
        return min(level + 1, len(LOADS) - 1)
    if level > 0 and model_ms <= RETURN_RATIO * budget_ms(level - 1, frame_ms):
        return level - 1
    return level


@dataclass(frozen=True)
class Pace:
    """How the live page keeps up: counts since the model's warm-up, smoothed timings, and the
    current load. Feed it with `arrive` (camera frames) and `measured` (one model run)."""

    level: int = 0
    level_since_s: float | None = None   # camera time the level was set
    waiting: int = 0           # camera frames since the model last measured one
    frames: int = 0            # camera frames counted (after the warm-up)
    measured: int = 0          # frames the model measured (all)
    missed: int = 0            # counted frames skipped because the model was busy
    thinned: int = 0           # counted frames left out by the stride
    model_ms: float = 0.0      # smoothed model time per measured frame
    frame_ms: float = 0.0      # smoothed camera frame interval
    recent_missed_ratio: float = 0.0   # share of frames missed, over about RECENT_FRAMES frames
    last_t_s: float | None = None
    behind_s: float = 0.0      # camera time while the model fell behind
    lowered_s: float = 0.0     # camera time at a lowered load
    max_level: int = 0

    @property
    def load(self) -> Load:
        return LOADS[self.level]

    @property
    def warm(self) -> bool:
        return self.measured >= WARMUP_MEASURED

    @property
    def behind(self) -> bool:
        """The model takes longer per frame than it has (the definition above)."""
        return self.warm and self.frame_ms > 0 and self.model_ms > budget_ms(self.level,
                                                                               self.frame_ms)

    @property
    def missed_ratio(self) -> float:
        return self.missed / self.frames if self.frames else 0.0

    def arrive(self, times_s: Sequence[float]) -> tuple["Pace", bool]:
        """Camera frames that arrived since the last call (their times, oldest first; only the
        newest can still be measured). Returns the new state and whether the model measures
        the newest frame."""
        n = len(times_s)
        if n == 0:
            return self, False
        waiting = self.waiting + n
        measure = waiting >= self.load.stride
        s = replace(self, waiting=0 if measure else waiting)
        if not self.warm:
            return replace(s, last_t_s=float(times_s[-1])), measure
        missed = max(0, waiting - self.load.stride) if measure else 0
        thinned = self.load.stride - 1 if measure else 0
        frame_ms, dt_s = self.frame_ms, 0.0
        prev = self.last_t_s
        for t in times_s:
            if prev is not None and t > prev:
                gap_ms = (t - prev) * 1000.0
                frame_ms = gap_ms if frame_ms == 0 else (1 - EMA_ALPHA) * frame_ms + EMA_ALPHA * gap_ms
                dt_s += t - prev
            prev = t
        keep = (1.0 - 1.0 / RECENT_FRAMES) ** n
        recent = keep * self.recent_missed_ratio + (1.0 - keep) * (missed / n)
        s = replace(s, frames=self.frames + n, missed=self.missed + missed,
                    thinned=self.thinned + thinned, frame_ms=frame_ms,
                    recent_missed_ratio=recent, last_t_s=prev,
                    behind_s=self.behind_s + (dt_s if self.behind else 0.0),
                    lowered_s=self.lowered_s + (dt_s if self.level > 0 else 0.0))
        return s, measure

    def measured_in(self, ms: float) -> "Pace":
        """The model measured a frame in `ms` milliseconds (the whole frame's work); the load
        for the next frames is decided (next_level) and a change is logged."""
        measured = self.measured + 1
        if measured <= WARMUP_MEASURED:
            return replace(self, measured=measured, level_since_s=self.last_t_s)
        model_ms = ms if self.model_ms == 0 else (1 - EMA_ALPHA) * self.model_ms + EMA_ALPHA * ms
        s = replace(self, measured=measured, model_ms=model_ms)
        now = self.last_t_s if self.last_t_s is not None else 0.0
        since = self.level_since_s if self.level_since_s is not None else now
        level = next_level(self.level, model_ms, self.frame_ms, now - since)
        if level != self.level:
            log.info("live load %d -> %d (stride %d, picture x%.2f): model %.0f ms per frame, "
                     "camera frame every %.0f ms", self.level, level, LOADS[level].stride,
                     LOADS[level].scale_ratio, model_ms, self.frame_ms)
            s = replace(s, level=level, level_since_s=now, max_level=max(self.max_level, level))
        return s

    # ------------------------------------------------------------------ words
    def live_words(self) -> tuple[str, str] | None:
        """What the page says while the set runs: (text, "warn" | "info"), or None when the
        model keeps up at full load."""
        if self.behind:
            return (f"This device is falling behind: {self.recent_missed_ratio:.0%} of the "
                    f"camera's frames were skipped; reps may be missed. {SLOW_WORDS}", "warn")
        if self.level > 0:
            return self.load.note, "info"
        return None

    def end_words(self) -> str | None:
        """What the end of the set says about keeping up, or None when there is nothing to say."""
        out = []
        if self.behind_s >= NOTE_BEHIND_S:
            out.append(f"This device fell behind for {self.behind_s:.0f} s of the set: "
                       f"{self.missed_ratio:.0%} of the camera's frames were skipped, so reps "
                       f"may have been missed. {SLOW_WORDS}")
        if self.lowered_s >= NOTE_BEHIND_S:
            out.append(f"To keep up, every other frame was measured for {self.lowered_s:.0f} s "
                       "of the set.")
        return " ".join(out) or None
