"""One activity as formcheck keeps it, whatever file it came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

# Sports counted as running load. Others (cycling, walking, swimming, rowing, ...) are listed
# with their own name but never added to the running load.
RUNNING_SPORTS = ("running", "trail", "treadmill")


@dataclass(frozen=True)
class Run:
    """One activity (one FIT session, one GPX track, one TCX activity).

    cadence_spm is steps per minute of both legs: FIT and TCX record running cadence per leg
    (strides per minute, FIT with a fractional part), so formcheck doubles it.
    step_length_m = average moving speed / step rate. None where the file has no such data.
    """

    sport: str
    start: str                    # ISO 8601 with the watch's offset: 2015-08-15T16:45:08+02:00
    duration_s: float             # elapsed, start to stop (pauses included)
    moving_s: float               # timer time (pauses excluded)
    distance_m: float
    pace_s_per_km: float | None
    cadence_spm: float | None     # average, steps per minute (both legs)
    cadence_sd_spm: float | None  # spread over the moving records (population SD)
    step_length_m: float | None
    source_file: str
    device: str                   # manufacturer/product/serial, "" if the file does not say

    @property
    def counts_as_running(self) -> bool:
        return self.sport in RUNNING_SPORTS

    @property
    def start_dt(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.start)

    @property
    def key(self) -> tuple[str, str]:
        """Same device and same start instant (UTC) = the same activity imported twice."""
        return (self.device, self.start_dt.astimezone(dt.timezone.utc).isoformat())

    def to_dict(self) -> dict:
        return asdict(self)


def derived(distance_m: float, moving_s: float, cadence_spm: float | None
            ) -> tuple[float | None, float | None]:
    """(pace_s_per_km, step_length_m) from distance, moving time and step rate."""
    if distance_m <= 0 or moving_s <= 0:
        return None, None
    pace = moving_s / (distance_m / 1000.0)
    step = (distance_m / moving_s) / (cadence_spm / 60.0) if cadence_spm else None
    return pace, step


def iso_with_offset(t_utc: dt.datetime, offset_s: float | None) -> str:
    """t (aware UTC) shown in the watch's local time, offset rounded to 15 minutes."""
    if offset_s is None:
        return t_utc.astimezone(dt.timezone.utc).isoformat()
    q = round(offset_s / 900.0) * 900
    return t_utc.astimezone(dt.timezone(dt.timedelta(seconds=q))).isoformat()
