"""Activity files with known truth, written by the tests themselves: FIT with fit-tool (a FIT
writer library), GPX with gpxpy, TCX as plain XML text."""

from __future__ import annotations

import datetime as dt
import math

FIT_EPOCH_UNIX = 631065600   # 1989-12-31T00:00:00Z, FIT's time zero

# Truth of `fit_run()`: a 10-minute run, 3.0 m/s, records every 5 s with per-leg cadence
# alternating 84.5 and 86.5 strides/min (169 and 173 steps/min).
FIT_START = dt.datetime(2026, 3, 2, 6, 30, tzinfo=dt.timezone.utc)
FIT_OFFSET_S = 3600           # the watch was at UTC+01:00
FIT_RECORDS = 121             # 0 .. 600 s
FIT_DISTANCE_M = 1800.0
FIT_ELAPSED_S = 600.0
FIT_TIMER_S = 580.0           # a 20 s pause
FIT_AVG_CADENCE = 85          # session summary, per leg, + 0.5 fractional -> 171 steps/min
FIT_SERIAL = 0x12345678


def fit_run(start: dt.datetime = FIT_START, distance_m: float = FIT_DISTANCE_M,
            serial: int = FIT_SERIAL, sub_sport=None, elapsed_s: float = FIT_ELAPSED_S,
            timer_s: float = FIT_TIMER_S) -> bytes:
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer, Sport, SubSport

    ms = int(start.timestamp() * 1000)
    b = FitFileBuilder(auto_define=True, min_string_size=50)
    m = FileIdMessage()
    m.type = FileType.ACTIVITY
    m.manufacturer = Manufacturer.GARMIN.value
    m.product = 1
    m.serial_number = serial
    m.time_created = ms
    b.add(m)
    recs = []
    n = FIT_RECORDS
    for i in range(n):
        r = RecordMessage()
        r.timestamp = ms + int(i * elapsed_s * 1000 / (n - 1))
        r.distance = distance_m * i / (n - 1)
        r.speed = 3.0
        r.cadence = 84 if i % 2 == 0 else 86
        r.fractional_cadence = 0.5
        recs.append(r)
    b.add_all(recs)
    s = SessionMessage()
    s.timestamp = ms + int(elapsed_s * 1000)
    s.start_time = ms
    s.sport = Sport.RUNNING
    s.sub_sport = sub_sport if sub_sport is not None else SubSport.GENERIC
    s.total_elapsed_time = elapsed_s
    s.total_timer_time = timer_s
    s.total_distance = distance_m
    s.avg_running_cadence = FIT_AVG_CADENCE
    s.avg_fractional_cadence = 0.5
    b.add(s)
    a = ActivityMessage()
    end_ms = ms + int(elapsed_s * 1000)
    a.timestamp = end_ms
    a.total_timer_time = timer_s
    a.num_sessions = 1
    a.local_timestamp = end_ms // 1000 - FIT_EPOCH_UNIX + FIT_OFFSET_S
    b.add(a)
    return b.build().to_bytes()


def gpx_run(times: bool = True, sport: str | None = "running") -> bytes:
    """A straight 1 km northwards in 300 s (1 point / 10 s), cadence 85 per leg (170 steps/min)."""
    import gpxpy.gpx
    import xml.etree.ElementTree as ET

    g = gpxpy.gpx.GPX()
    g.creator = "formcheck-test-watch"
    g.nsmap["gpxtpx"] = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
    t = gpxpy.gpx.GPXTrack()
    t.type = sport
    g.tracks.append(t)
    seg = gpxpy.gpx.GPXTrackSegment()
    t.segments.append(seg)
    t0 = dt.datetime(2026, 3, 4, 7, 0, tzinfo=dt.timezone.utc)
    dlat = math.degrees(1000.0 / 6378137.0) / 30   # 1/30 km of latitude on gpxpy's earth
    for i in range(31):
        p = gpxpy.gpx.GPXTrackPoint(46.0 + i * dlat, 14.0,
                                    time=t0 + dt.timedelta(seconds=10 * i) if times else None)
        ext = ET.Element("{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}"
                         "TrackPointExtension")
        cad = ET.SubElement(ext, "{http://www.garmin.com/xmlschemas/TrackPointExtension/v1}cad")
        cad.text = "85"
        p.extensions.append(ext)
        seg.points.append(p)
    return g.to_xml().encode()


TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities><Activity Sport="Running">
  <Id>2026-03-05T18:00:00Z</Id>
  <Lap StartTime="2026-03-05T18:00:00Z"><TotalTimeSeconds>1200</TotalTimeSeconds>
   <DistanceMeters>4000</DistanceMeters><Track>
   <Trackpoint><Time>2026-03-05T18:00:00Z</Time><Extensions><ns3:TPX><ns3:Speed>3.3</ns3:Speed><ns3:RunCadence>80</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>
   <Trackpoint><Time>2026-03-05T18:10:00Z</Time><Extensions><ns3:TPX><ns3:Speed>3.3</ns3:Speed><ns3:RunCadence>84</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>
   <Trackpoint><Time>2026-03-05T18:21:00Z</Time><Extensions><ns3:TPX><ns3:Speed>3.3</ns3:Speed><ns3:RunCadence>88</ns3:RunCadence></ns3:TPX></Extensions></Trackpoint>
   </Track></Lap>
  <Creator><Name>Forerunner Test</Name><UnitId>42</UnitId></Creator>
 </Activity></Activities>
</TrainingCenterDatabase>
"""


def fit_undefined_message() -> bytes:
    """A FIT file, checksums right, whose only message uses a local type never defined."""
    import struct

    from fitdecode.utils import compute_crc

    body = b"\x05\x00\x00\x00"                  # data message, local type 5: no definition
    head = bytearray(fit_run()[:12])
    head[4:8] = struct.pack("<I", len(body))
    head += struct.pack("<H", compute_crc(bytes(head)))
    out = bytes(head) + body
    return out + struct.pack("<H", compute_crc(out))
