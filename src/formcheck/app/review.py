"""Review in motion: a frame-accurate player of the annotated video with the frame's numbers
beside it, and two players (two sessions, or two reps) synchronised at each rep's start and
bottom with their numbers next to each other.

The numbers of every frame are `overlay.frame_values` (what the video draws on that frame, the
one definition), computed here once and sent with the video; the browser only looks them up,
so scrubbing, stepping and slow motion never wait for the server. The video travels inside the
page (as base64, turned into a Blob URL), bounded by MAX_VIDEO_BYTES.
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
            "has_box": any(b != NO_BOX for b in cols["box"]),
            "has_knees_in": any(r["peak"] is not None for r in reps)}


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


def show(players: list[dict], sig: str, key: str) -> None:
    """Draw one player (scrub, step, slow motion) or two synchronised ones; `sig` is
    signature(players)."""
    _component()(players=players, speeds=list(SPEEDS), sig=sig, key=key, default=None)
