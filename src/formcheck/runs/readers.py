"""Activity files -> Runs, with libraries made for them: fitdecode (FIT), gpxpy (GPX) and
defusedxml's ElementTree (TCX, which is plain XML; defusedxml refuses entity bombs).

Cadence. FIT records running cadence per leg, in strides per minute, with the fraction in
`fractional_cadence` (1/128 rpm); TCX's RunCadence and GPX's Garmin `cad` are per leg too. A step
is one foot contact, so steps per minute = 2 x (cadence + fractional_cadence). Cycling cadence is
pedal rpm and is not a step rate: cadence_spm is None there.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import struct
from dataclasses import dataclass

import numpy as np

from .errors import RunFileError
from .model import Run, derived, iso_with_offset

log = logging.getLogger(__name__)

# Sports whose cadence counts steps (per leg in the file, doubled here).
FOOT_SPORTS = ("running", "trail", "treadmill", "walking", "hiking")
# Records slower than this are standing still: left out of the cadence spread.
MOVING_SPEED_MPS = 0.5


@dataclass(frozen=True)
class _Rec:
    t: dt.datetime
    cadence_spm: float | None
    speed_mps: float | None


def _spm(per_leg: float | None, fraction: float | None) -> float | None:
    if per_leg is None:
        return None
    return 2.0 * (float(per_leg) + float(fraction or 0.0))


def _spread(recs: list[_Rec]) -> tuple[float | None, float | None]:
    """(mean, population SD) of step rate over moving records with a cadence."""
    vals = [r.cadence_spm for r in recs if r.cadence_spm and (r.speed_mps is None
                                                             or r.speed_mps >= MOVING_SPEED_MPS)]
    if not vals:
        return None, None
    a = np.asarray(vals, dtype=float)
    return float(a.mean()), float(a.std())


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t.astimezone(dt.timezone.utc)


def _make(sport: str, start_utc: dt.datetime, offset_s: float | None, duration_s: float,
          moving_s: float, distance_m: float, cadence_spm: float | None,
          cadence_sd_spm: float | None, source: str, device: str) -> Run:
    if sport not in FOOT_SPORTS:
        cadence_spm = cadence_sd_spm = None
    pace, step = derived(distance_m, moving_s, cadence_spm)
    return Run(sport=sport, start=iso_with_offset(start_utc, offset_s),
               duration_s=float(duration_s), moving_s=float(moving_s),
               distance_m=float(distance_m), pace_s_per_km=pace, cadence_spm=cadence_spm,
               cadence_sd_spm=cadence_sd_spm, step_length_m=step, source_file=source,
               device=device)


# ---------------------------------------------------------------- FIT

def _fit_sport(sport, sub_sport) -> str:
    sport = str(sport or "unknown").lower()
    sub = str(sub_sport or "").lower()
    if sport == "running":
        if sub == "trail":
            return "trail"
        if sub in ("treadmill", "indoor_running", "virtual_activity"):
            return "treadmill"
    return sport


def read_fit(data: bytes, source: str) -> list[Run]:
    import fitdecode

    sessions, recs, file_id, activity = [], [], {}, {}
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as fr:
            for frame in fr:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    t = frame.get_value("timestamp", fallback=None)
                    if t is None:
                        continue
                    speed = frame.get_value("enhanced_speed", fallback=None)
                    if speed is None:
                        speed = frame.get_value("speed", fallback=None)
                    recs.append(_Rec(_utc(t), _spm(frame.get_value("cadence", fallback=None),
                                                   frame.get_value("fractional_cadence",
                                                                   fallback=None)), speed))
                elif frame.name in ("session", "file_id", "activity"):
                    d = {f.name: f.value for f in frame.fields if f.value is not None}
                    if frame.name == "session":
                        sessions.append(d)
                    elif frame.name == "file_id" and not file_id:
                        file_id = d
                    else:
                        activity = d
    except fitdecode.FitHeaderError as exc:
        raise RunFileError(f"{source}: not a FIT file, or its header is damaged ({exc}). "
                           "Export the activity again from the watch or its app.") from None
    except fitdecode.FitEOFError:
        raise RunFileError(f"{source}: the FIT file ends too early (truncated, e.g. a download "
                           "that stopped). Export or copy it again.") from None
    except fitdecode.FitCRCError:
        raise RunFileError(f"{source}: the FIT file's checksum does not match (the file is "
                           "damaged). Export or copy it again.") from None
    # fitdecode asserts (AssertionError) on some malformed bodies, e.g. a message whose local
    # type was never defined; a damaged file must not surface as a traceback either way.
    except (fitdecode.FitError, struct.error, ValueError, KeyError, IndexError, TypeError,
            AssertionError) as exc:
        why = str(exc) or "a message without its definition"
        raise RunFileError(f"{source}: the FIT file cannot be read ({why}). Export or copy it "
                           "again.") from None
    if not sessions:
        raise RunFileError(f"{source}: the FIT file holds no activity (no session summary); "
                           "it may be a course, a workout or settings. Export an activity.")
    offset = None
    if activity.get("local_timestamp") is not None and activity.get("timestamp") is not None:
        offset = (activity["local_timestamp"].replace(tzinfo=None)
                  - activity["timestamp"].replace(tzinfo=None)).total_seconds()
    product = file_id.get("garmin_product") or file_id.get("product") or ""
    device = "/".join(str(x) for x in (file_id.get("manufacturer", ""), product,
                                        file_id.get("serial_number", "")))
    if device == "//":
        device = ""
    runs = []
    for s in sessions:
        start = s.get("start_time")
        if start is None:
            raise RunFileError(f"{source}: a session of the FIT file has no start time; "
                               "export the activity again.")
        start = _utc(start)
        elapsed = float(s.get("total_elapsed_time") or 0.0)
        moving = s.get("total_moving_time")
        moving = float(moving if moving is not None else (s.get("total_timer_time") or elapsed))
        end = start + dt.timedelta(seconds=elapsed)
        inside = [r for r in recs if start <= r.t <= end]
        mean_spm, sd_spm = _spread(inside)
        avg = s.get("avg_running_cadence", s.get("avg_cadence"))
        cadence = _spm(avg, s.get("avg_fractional_cadence")) if avg is not None else mean_spm
        runs.append(_make(_fit_sport(s.get("sport"), s.get("sub_sport")), start, offset,
                          elapsed, moving, float(s.get("total_distance") or 0.0), cadence,
                          sd_spm, source, device))
    return runs


# ---------------------------------------------------------------- GPX and TCX

def _sport_from_text(text: str | None, default: str | None) -> str:
    t = (text or "").strip().lower()
    if not t:
        return default or "unknown"
    for word, sport in (("treadmill", "treadmill"), ("trail", "trail"), ("run", "running"),
                        ("walk", "walking"), ("hik", "hiking"), ("bik", "cycling"),
                        ("cycl", "cycling"), ("ride", "cycling"), ("swim", "swimming")):
        if word in t:
            return sport
    return t if t != "other" else (default or "other")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _gpx_cadence(point) -> float | None:
    for ext in point.extensions or []:
        for el in ext.iter():
            if _local(el.tag) in ("cad", "cadence") and el.text:
                try:
                    return float(el.text)
                except ValueError:
                    return None
    return None


def read_gpx(data: bytes, source: str, default_sport: str | None = None) -> list[Run]:
    import gpxpy
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig", errors="replace"))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise RunFileError(f"{source}: not a readable GPX file ({exc}). Export it "
                           "again.") from None
    runs, untimed = [], 0
    for track in gpx.tracks:
        pts = [p for seg in track.segments for p in seg.points]
        if not pts:
            continue
        timed = [p for p in pts if p.time is not None]
        if len(timed) < 2:   # a planned route: no times, so no duration or pace
            untimed += 1
            log.info("%s: a track without times left out", source)
            continue
        pts = timed
        start, end = _utc(pts[0].time), _utc(pts[-1].time)
        moving = track.get_moving_data()
        sport = _sport_from_text(track.type, default_sport)
        recs = []
        for i, p in enumerate(pts):
            c = _gpx_cadence(p)
            speed = None
            if i:
                dt_s = (_utc(p.time) - _utc(pts[i - 1].time)).total_seconds()
                if dt_s > 0:
                    speed = p.distance_2d(pts[i - 1]) / dt_s
            recs.append(_Rec(_utc(p.time), 2.0 * c if c is not None else None, speed))
        mean_spm, sd_spm = _spread(recs)
        runs.append(_make(sport, start, None, (end - start).total_seconds(),
                          float(moving.moving_time if moving else (end - start).total_seconds()),
                          float(track.length_2d() or 0.0), mean_spm, sd_spm, source,
                          (gpx.creator or "").strip()))
    if not runs and untimed:
        raise RunFileError(f"{source}: the GPX file has no times (a planned route, not a "
                           "recorded activity), so duration and pace are unknown. Export the "
                           "recorded activity instead.")
    if not runs:
        raise RunFileError(f"{source}: the GPX file has no track points. Export the recorded "
                           "activity.")
    return runs


def _child(el, name):
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el, name) -> str | None:
    c = _child(el, name) if el is not None else None
    return c.text.strip() if c is not None and c.text else None


def _tcx_time(text: str, source: str) -> dt.datetime:
    try:
        return _utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise RunFileError(f"{source}: the TCX file has a time formcheck cannot read "
                           f"({text!r}). Export it again.") from None


def read_tcx(data: bytes, source: str, default_sport: str | None = None) -> list[Run]:
    from defusedxml import ElementTree as DET
    from defusedxml.common import DefusedXmlException
    from xml.etree.ElementTree import ParseError

    try:
        root = DET.fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise RunFileError(f"{source}: not a readable TCX file ({exc}). Export it "
                           "again.") from None
    runs = []
    for act in (e for e in root.iter() if _local(e.tag) == "Activity"):
        sport = _sport_from_text(act.get("Sport"), default_sport)
        creator = _child(act, "Creator")
        device = "/".join(x for x in (_text(creator, "Name"), _text(creator, "UnitId")) if x) \
            if creator is not None else ""
        laps = [e for e in act if _local(e.tag) == "Lap"]
        moving = sum(float(_text(lap, "TotalTimeSeconds") or 0) for lap in laps)
        distance = sum(float(_text(lap, "DistanceMeters") or 0) for lap in laps)
        recs = []
        for tp in (e for e in act.iter() if _local(e.tag) == "Trackpoint"):
            t = _text(tp, "Time")
            if not t:
                continue
            cad = None
            for e in tp.iter():
                if _local(e.tag) == "RunCadence" and e.text:
                    cad = 2.0 * float(e.text)
            speed = None
            for e in tp.iter():
                if _local(e.tag) == "Speed" and e.text:
                    speed = float(e.text)
            recs.append(_Rec(_tcx_time(t, source), cad, speed))
        ident = _text(act, "Id") or (laps[0].get("StartTime") if laps else None)
        if not ident:
            raise RunFileError(f"{source}: a TCX activity has no start time. Export it again.")
        start = _tcx_time(ident, source)
        end = recs[-1].t if recs else start + dt.timedelta(seconds=moving)
        mean_spm, sd_spm = _spread(recs)
        runs.append(_make(sport, start, None, max((end - start).total_seconds(), moving),
                          moving, distance, mean_spm, sd_spm, source, device))
    if not runs:
        raise RunFileError(f"{source}: the TCX file has no activity. Export the recorded "
                           "activity.")
    return runs


def read_bytes(data: bytes, name: str, default_sport: str | None = None) -> list[Run]:
    """Runs in one (already decompressed) file; `name` without .gz decides the format."""
    low = name.lower().removesuffix(".gz")
    if low.endswith(".fit"):
        return read_fit(data, name)
    if low.endswith(".gpx"):
        return read_gpx(data, name, default_sport)
    if low.endswith(".tcx"):
        return read_tcx(data, name, default_sport)
    raise RunFileError(f"{name}: not an activity file formcheck reads (.fit, .fit.gz, .gpx, "
                       ".tcx, or a .zip of them).")


__all__ = ["read_fit", "read_gpx", "read_tcx", "read_bytes", "FOOT_SPORTS"]
