"""Review in motion: a frame-accurate player of the annotated video with the frame's numbers
beside it, and two players (two sessions, or two reps) synchronised at each rep's start and
bottom with their numbers next to each other.

The numbers of every frame are `overlay.frame_values` (what the video draws on that frame, the
one definition), computed here once and sent with the video; the browser only looks them up,
so scrubbing, stepping and slow motion never wait for the server. The video travels inside the
page (as base64, turned into a Blob URL), bounded by MAX_VIDEO_BYTES.

Measuring by hand (Kinovea-style, on the one player or on either of two): an angle from three
points clicked on the frame (at the middle one) or a distance from two, in the frame's display
pixels (the landmarks'), and in foot lengths on a side-on frame (each player its own scale:
metrics.foot_length_in_picture_px, the unit of knee travel past the toes). hand_angle_deg /
hand_distance_px are the definitions; the page's JavaScript draws the same numbers (a browser
test checks they agree) and, with one player, can hand one back to be a correction
(correction_value).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np

from formcheck.values import fmt_num

MAX_VIDEO_BYTES = 60 * 1024 * 1024   # larger annotated videos are not sent to the browser
SPEEDS = (0.1, 0.25, 0.5, 1.0)
NOT_FROM_FRONT = "not visible from the front"
NO_BOX = "–"          # the frame shows no box words (before a rep's bottom, or off the box)


def hand_angle_deg(a, b, c) -> float | None:
    """The angle ABC in degrees (0..180) at B, for three (x, y) points clicked by hand; None
    when two of them coincide."""
    from formcheck.geometry import angle_at

    v = float(angle_at(np.asarray(a, float), np.asarray(b, float), np.asarray(c, float)))
    return v if np.isfinite(v) else None


def hand_distance_px(a, b) -> float:
    """The distance between two (x, y) points clicked by hand, in pixels."""
    from formcheck.geometry import distance

    return float(distance(np.asarray(a, float), np.asarray(b, float)))


def hand_words(kind: str, points, foot_px: float | None = None) -> str:
    """What the page shows for a hand measurement (the JavaScript's measureWords, the same
    words and rounding): 'Angle 87.3°', 'Distance 123.4 px · 0.85 foot lengths', or the
    distance in px only where the frame has no scale."""
    if kind == "angle":
        v = hand_angle_deg(*points)
        return "Angle –" if v is None else f"Angle {v:.1f}°"
    d = hand_distance_px(*points)
    if foot_px is None or not np.isfinite(foot_px) or foot_px <= 0:
        return f"Distance {d:.1f} px (no foot-length scale on this frame: not side on)"
    return f"Distance {d:.1f} px · {d / foot_px:.2f} foot lengths"


# Which corrected values a hand measurement can give (report.CORRECTABLE keys): an angle gives
# the angles, a distance on a side-on frame the values in foot lengths.
ANGLE_METRICS = ("knee_flexion_deg", "thigh_angle_deg", "shin_angle_deg", "trunk_lean_deg",
                 "fppa_deg")
FOOT_METRICS = ("knee_over_toe_ratio", "heel_lift_ratio")


def correction_value(metric: str, measured: dict) -> float | None:
    """The value a hand measurement gives for `metric` (report.CORRECTABLE): knee bend is 180°
    minus the angle at the knee (hip-knee-ankle, its definition); the other angles are the
    angle measured (the physio can still change its sign); a foot-length value is the distance
    in foot lengths. None when the measurement cannot give that value."""
    if measured.get("kind") == "angle" and metric in ANGLE_METRICS:
        v = measured.get("value_deg")
        if v is None:
            return None
        return round(180.0 - float(v), 1) if metric == "knee_flexion_deg" else round(float(v), 1)
    if measured.get("kind") == "distance" and metric in FOOT_METRICS:
        v = measured.get("foot_lengths")
        return None if v is None else round(float(v), 2)
    return None


def correction_metrics(measured: dict) -> tuple[str, ...]:
    """The CORRECTABLE values this hand measurement can give (correction_value not None)."""
    return tuple(m for m in ANGLE_METRICS + FOOT_METRICS
                 if correction_value(m, measured) is not None)


def hand_note(measured: dict) -> str:
    """The correction's note: 'measured by hand on frame N' (N as the player counts, from 1)."""
    return f"measured by hand on frame {int(measured['frame'])}"


def review_data(analysis) -> dict:
    """Per frame of analysis.clean_seq, the numbers the annotated video draws on it (from
    overlay.frame_values, formatted for people; "box" only on a set that touched the box), the frame times in the annotated video
    (seconds from its first frame, as render.write_annotated writes them) and the reps."""
    from formcheck.overlay import frame_values

    t = np.asarray(analysis.clean_seq.t_s, float)
    n = len(t)
    cols: dict[str, list] = {"rep": [], "reported": [], "kot": [], "knee": [], "thigh": [],
                             "depth": [], "box": [], "knees_in": []}
    for i in range(n):
        v = frame_values(analysis, i)
        cols["rep"].append(None if v.rep is None else int(analysis.metrics[v.rep].index)
                           if v.rep < len(analysis.metrics) else v.rep + 1)
        cols["reported"].append(bool(v.from_report))
        cols["kot"].append(NOT_FROM_FRONT if v.view == "front" else
                           fmt_num(v.knee_over_toe_ratio, "+.2f", " foot lengths"))
        cols["knee"].append(fmt_num(v.knee_flexion_deg, ".0f", "°"))
        cols["thigh"].append(fmt_num(v.thigh_deg, "+.0f", "°"))
        cols["depth"].append(fmt_num(v.depth, ".2f"))
        cols["box"].append(v.box.replace("\n", " · ") or NO_BOX)   # what the video's panel says
        cols["knees_in"].append(v.knees_in.replace(" deg", "°") or NO_BOX)   # near its peak
    vt = [round(float(x - t[0]), 4) for x in t] if n else []
    reps = [{"n": int(m.index), "start": int(r.start_i), "bottom": int(r.bottom_i),
             "end": int(r.end_i), "peak": None if m.valgus is None else int(m.valgus.peak_i)}
            for r, m in zip(analysis.reps, analysis.metrics)]
    dt = float(np.median(np.diff(t))) if n > 1 else 1 / 30
    return {"vt": vt, "frame_s": round(dt, 5), "reps": reps, "cols": cols,
            "foot_px": foot_scale_px(analysis),
            "display_px": [int(analysis.clean_seq.width_px), int(analysis.clean_seq.height_px)],
            "has_box": any(b != NO_BOX for b in cols["box"]),
            "has_knees_in": any(r["peak"] is not None for r in reps)}


def foot_scale_px(analysis) -> list:
    """Per frame, one foot length in the picture's display pixels where the frame has that
    scale (side on: the frame's yaw at least view.SIDE_MIN_YAW_DEG, in a set not filmed from
    the front), else None: metrics.foot_length_in_picture_px, the unit of the reported knee
    travel past the toes."""
    from formcheck.metrics import foot_length_in_picture_px
    from formcheck.view import SIDE_MIN_YAW_DEG

    s = analysis.series
    yaw = np.asarray(s.yaw_deg, float)
    if analysis.view.view == "front" or not len(yaw):
        return [None] * len(analysis.clean_seq.t_s)
    foot = foot_length_in_picture_px(s.standing, yaw)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(foot) & (foot > 0) & (yaw >= SIDE_MIN_YAW_DEG)
    return [round(float(f), 3) if k else None for f, k in zip(foot, ok)]


def player_spec(analysis, video_path, title: str, rep_index: int | None = None) -> dict | None:
    """One player: the annotated video (None when it is missing or too large to send), its
    title, its frames' numbers and the rep (0-based) a comparison synchronises on."""
    path = Path(video_path) if video_path else None
    if path is None or not path.is_file() or path.stat().st_size > MAX_VIDEO_BYTES:
        return None
    return {"title": title, "mime": "video/mp4",
            "b64": base64.b64encode(path.read_bytes()).decode("ascii"),
            "rep": rep_index, **review_data(analysis)}


_COMPONENT = None


def _component():
    """The player page (review_component/index.html, plain HTML and JavaScript, no build step)
    as a Streamlit component, so it can size its frame to its content (desktop or phone)."""
    global _COMPONENT
    if _COMPONENT is None:
        import streamlit.components.v1 as components

        _COMPONENT = components.declare_component(
            "formcheck_review", path=str(Path(__file__).with_name("review_component")))
    return _COMPONENT


def signature(players: list[dict]) -> str:
    """A digest of the players' data: the page rebuilds its players only when it changes."""
    h = hashlib.sha256()
    for p in players:
        h.update(json.dumps({k: v for k, v in p.items() if k != "b64"}, sort_keys=True).encode())
        h.update(hashlib.sha256(p["b64"].encode()).digest())
    return h.hexdigest()[:16]


def show(players: list[dict], sig: str, key: str, correct: bool = False) -> dict | None:
    """Draw one player (scrub, step, slow motion, measure by hand) or two synchronised ones
    (measuring by hand on either); `sig` is signature(players). With `correct` (one player), a
    hand measurement can be handed back: the last one handed back ({"frame" (from 1), "rep",
    "kind", "value_deg" | "px" and "foot_lengths", "stamp"}), else None."""
    return _component()(players=players, speeds=list(SPEEDS), sig=sig, correct=bool(correct),
                        key=key, default=None)
