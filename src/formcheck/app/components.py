"""Widgets shared by the pages: threshold controls, summary, rep table, plots, frame stepper,
feedback cards and downloads. They show what formcheck measured; they measure nothing."""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import streamlit as st

from formcheck.analysis import Analysis
from formcheck.app.safe_text import md
from formcheck.metrics import knee_over_toe_ratio_series
from formcheck.feedback import DISCLAIMER, shown_value
from formcheck.report import (DEPTH_WORDS, DEPTH_WORDS_SHORT, FLAG_WORDS, analysis_summary,
                              any_box, box_parts, box_words, csv_text, knee_travel_visible,
                              rep_rows, to_dict)
from formcheck.thresholds import (BODY_CM_RANGE, HELP, LABELS, PROFILE_HELP, PROFILES, Thresholds,
                                  get_profile, is_box_profile)
from formcheck.values import fmt_num

log = logging.getLogger(__name__)

FILMING_TIP = ("Film from the side at hip height, 2-3 m away, with the whole body and both "
               "feet in the picture.")

# Per-rep table: (row key, column label, number format). The row keys are report.rep_rows' keys.
TABLE_COLUMNS = [
    ("rep", "Rep", "{:d}", "Repetition number"),
    ("bottom_s", "Bottom s", "{:.2f}", "Time of the bottom of the rep, seconds from the start"),
    ("depth_words", "Depth", None, "Depth class from the hip height at the bottom; "
     "\"close to\" when the depth signal's thigh angle points to the neighbouring class"),
    ("hip_height_ratio", "Hip height", "{:.2f}", "Hip height at the bottom, as a share of standing"),
    ("thigh_angle_deg", "Thigh °", "{:+.0f}", "Thigh to horizontal at the bottom; + = hip below knee"),
    ("knee_flexion_deg", "Knee bend °", "{:.0f}", "Knee flexion at the bottom (0 = straight)"),
    ("knee_over_toe_ratio", "Knee past toes", "{:+.2f}",
     "Knee ahead of the toes, in foot lengths (near leg); 0 = knee over the toes"),
    ("shin_angle_deg", "Shin °", "{:.0f}", "Shin angle from vertical, + = knee forward"),
    ("trunk_lean_deg", "Trunk lean °", "{:.0f}", "Trunk from vertical, + = leaning forward"),
    ("fppa_deg", "Knees in °", "{:+.1f}",
     "Knees caving in (front views): frontal-plane projection angle, + = knee inward"),
    ("descent_s", "Down s", "{:.2f}", "Descent time"),
    ("pause_s", "Pause s", "{:.2f}", "Time at the bottom (on the box)"),
    ("ascent_s", "Up s", "{:.2f}", "Ascent time"),
]
# Box columns (report.box_parts' keys), shown only when a rep of the set touched the box.
BOX_COLUMNS = [
    ("contact", "Box", "How the rep met the box: a paused sit or touch-and-go, and the seconds on "
                       "it; or not on the box"),
    ("hip", "Box hip height", "Hip height on the box as a share of the standing hip height (cm "
                              "above the ankle when the person's height is known)"),
    ("higher", "Higher box", "How much higher a box would keep the knee within the knee-past-"
                             "toes limit at the bottom"),
]
COMPACT_BOX = "Box s"
COMPACT_BOX_HELP = ("How the rep met the box, and the seconds on it: sat = a paused sit, tap = "
                    "touch-and-go; none = not on the box. The box hip height and the higher-box "
                    "advice: the full table below.")
OK_MARK, FLAG_MARK = "✓", "⚠"
VIEW_WORDS = {"side": "side", "front": "front", "oblique": "oblique (about 45°)",
              "unknown": "unknown"}


# ----------------------------------------------------------------------------- controls
def _step(name: str) -> float:
    if name.endswith("_ratio"):
        return 0.05
    if name.endswith("_s"):
        return 0.1
    return 1.0


ADJUSTED = " (adjusted)"     # after the profile's name when a threshold differs from it


def threshold_controls(show_view: bool = True, where=None) -> tuple[str, Thresholds, str]:
    """Profile, (view) and every threshold with its unit and help, in `where` (default the
    sidebar; the pages pass a container on the page, so phones reach them too).
    Returns (profile label, thresholds, view). Changing them never re-runs the model."""
    _apply_restored_settings()
    sb = st.sidebar if where is None else where
    if where is None:
        sb.header("Profile and thresholds")
    names = list(PROFILES)
    profile = sb.selectbox("Profile", names, key="profile",
                           format_func=lambda n: n.replace("-", " "),
                           help="\n\n".join(f"**{n}**: {PROFILE_HELP.get(n, '')}" for n in names))
    sb.caption(PROFILE_HELP.get(profile, ""))
    view = "auto"
    if show_view:
        view = sb.selectbox("Camera view", ["auto", "side", "front", "oblique"], key="view",
                            help="Detected from the clip unless you set it.")
    base = PROFILES[profile]
    overrides = {}
    with sb.expander("Thresholds", expanded=False):
        st.caption("Values re-score the reps at once from the saved landmarks.")
        for f in fields(Thresholds):
            default = getattr(base, f.name)
            key = f"th_{profile}_{f.name}"
            label = LABELS.get(f.name, f.name)
            val = st.number_input(label, value=_unless_set(key, None if default is None
                                                           else float(default)),
                                  step=_step(f.name), key=key,
                                  help=HELP.get(f.name, ""),
                                  format="%.2f" if f.name.endswith("_ratio") else "%.1f")
            if val != default and not (val is None and default is None):
                overrides[f.name] = val
        if overrides and st.button("Reset to the profile's values", key=f"reset_{profile}"):
            for name in overrides:
                st.session_state.pop(f"th_{profile}_{name}", None)
            st.rerun()
    th = get_profile(profile, **overrides)
    label = profile + (ADJUSTED if overrides else "")
    return label, th, view


def person_controls(profile: str, where=None) -> tuple[float | None, bool]:
    """What the user says about the person filmed, the same on every page that analyses a set:
    their height (cm, None when not given) and whether they squat onto a box or chair (default:
    the profile's, thresholds.BOX_PROFILES). `profile`: threshold_controls' label; its
    " (adjusted)" is dropped, so the default and the ticked box stay when a threshold changes.
    The caller applies them (analysis.with_person)."""
    where = where or st
    profile = profile.removesuffix(ADJUSTED)
    lo, hi = BODY_CM_RANGE
    height_cm = where.number_input(
        "Height of the person filmed (cm)", min_value=0, max_value=int(hi),
        value=_unless_set("height_cm", 0), step=1,
        key="height_cm", help="Optional (0 = not given): box heights and the higher-box "
                              "advice in centimetres instead of shin lengths.")
    on_box = where.checkbox(
        "Squatting onto a box or chair",
        value=bool(_unless_set(f"box_{profile}", is_box_profile(profile))), key=f"box_{profile}",
        help="Then a hold at the bottom of a rep is reported as sitting on (or touching) the "
             "box, with its height. Without a box a hold is just a pause: the camera cannot "
             "tell the two apart (on by default with the knee-rehab profile).")
    if height_cm and height_cm < lo:
        where.warning(f"A height of {height_cm} cm is not used: give it in centimetres "
                      f"({lo:.0f}-{hi:.0f}, e.g. 175).")
        height_cm = 0
    return (float(height_cm) if height_cm else None), bool(on_box)


def page_settings(th: Thresholds, box: bool, height_cm: float | None) -> dict:
    """The page's settings a result is shown with, as session_files.ClipFolder.save_settings
    keeps them for a reload: the profile, the thresholds changed from it, box and height."""
    profile = st.session_state.get("profile") or next(iter(PROFILES))
    base = PROFILES[profile].as_dict()
    return {"profile": profile, "box": bool(box), "height_cm": height_cm,
            "overrides": {k: v for k, v in th.as_dict().items() if v != base[k]}}


RESTORE_KEY = "settings_to_restore"


def restore_settings(settings: dict | None) -> None:
    """After a reload: show the result with the settings it was shown with (page_settings).
    The widgets take them at the next run (st.rerun), as widgets cannot change once drawn."""
    if settings:
        st.session_state[RESTORE_KEY] = settings
        st.rerun()


def _unless_set(key: str, default):
    """A widget's default, or None when the page has set the widget's value itself (a restored
    result): Streamlit logs a warning for a widget given both. The widgets here are identified
    by their key alone, so the default does not change which widget it is."""
    return None if key in st.session_state else default


def _apply_restored_settings() -> None:
    settings = st.session_state.pop(RESTORE_KEY, None)
    if not settings:
        return
    profile = settings["profile"]
    st.session_state["profile"] = profile
    for f in fields(Thresholds):
        key = f"th_{profile}_{f.name}"
        if f.name in settings["overrides"]:
            st.session_state[key] = settings["overrides"][f.name]
        else:
            st.session_state.pop(key, None)
    st.session_state["height_cm"] = int(round(settings["height_cm"] or 0))
    st.session_state[f"box_{profile}"] = settings["box"]


# ----------------------------------------------------------------------------- summary
def summary(analysis: Analysis, name: str) -> None:
    """Reps, view, profile, and a plain warning when the view is poor for knee-over-toe."""
    v = analysis.view
    # a wrapping row, not columns: on a phone the four stay on two lines instead of one per
    # line. The gap is also the gap between the lines once they wrap: "large" (64 px) left a
    # hole between the first three and "Profile" on a 390-px phone; "small" (16 px) ran the
    # values together ("3 side 3 general")
    row = st.container(horizontal=True, gap="medium")
    row.metric("Reps", analysis.rep_count, width="content")
    row.metric("View", VIEW_WORDS.get(v.view, v.view), width="content",
               help=None if not np.isfinite(v.yaw_deg) else f"Estimated turn from facing the "
                                                            f"camera: {v.yaw_deg:.0f}°")
    row.metric("Reps flagged", analysis_summary(analysis).reps_flagged, width="content")
    row.metric("Profile", analysis.profile, width="content")
    st.caption(f"{md(name)} · {analysis.duration_s:.1f} s · person found in "
               f"{analysis.detected_fraction:.0%} of the frames")
    if v.view != "side":
        what = {"front": "This clip is filmed from the front: knee travel past the toes cannot "
                         "be seen.",
                "oblique": "This clip is filmed at an angle: knee-over-toe is only approximate.",
                "unknown": "The camera view could not be told."}.get(v.view, "")
        st.warning(f"{what} {FILMING_TIP}", icon=":material/videocam:")
    for w in analysis.warnings:
        st.warning(w)


# ----------------------------------------------------------------------------- rep table
def _cell(value, fmt: str | None, check: str | None, key: str = "",
          th: Thresholds | None = None) -> str:
    if value is None:
        return "n/a"
    if fmt and th is not None and check in ("ok", "flag"):
        text = shown_value(key, value, th, fmt.strip("{:}"))   # never reads equal to its limit
    else:
        text = fmt.format(value) if fmt else DEPTH_WORDS.get(str(value), str(value))
    if check == "flag":
        return f"{FLAG_MARK} {text}"
    if check == "ok":
        return f"{OK_MARK} {text}"
    return text


def table_columns(rows) -> list[tuple[str, str]]:
    """(key, label, help) of the per-rep table: TABLE_COLUMNS, and BOX_COLUMNS after the hip
    height when a rep of the set touched the box (near the front: the table scrolls sideways)."""
    cols = [(k, label, help_) for k, label, _f, help_ in TABLE_COLUMNS]
    if not any_box(rows):
        return cols
    at = 1 + next(i for i, c in enumerate(cols) if c[0] == "hip_height_ratio")
    return cols[:at] + BOX_COLUMNS + cols[at:]


def rep_table_frame(analysis: Analysis, rows: list[dict] | None = None) -> pd.DataFrame:
    """The per-rep table: every value marked ✓ (fine) or ⚠ (flagged) by the library's checks,
    and the box (report.box_parts) when a rep touched it. `rows`: report rows to show (default
    rep_rows(analysis); the clients page passes them with the physio's corrections applied)."""
    rows = rep_rows(analysis) if rows is None else rows
    box = any_box(rows)
    out = []
    for row in rows:
        checks = row.get("checks", {})
        cells = {}
        for key, label, fmt, _help in TABLE_COLUMNS:
            if key == "fppa_deg" and row.get("view") == "side" and row.get(key) is None:
                cells[label] = "side view"
                continue
            cells[label] = _cell(row.get(key), fmt, checks.get(key), key, analysis.thresholds)
        if row.get("excluded"):
            cells["Rep"] = f"{row['rep']} excluded"
        if box:
            parts = box_parts(row)
            cells.update({label: parts[key] for key, label, _h in BOX_COLUMNS})
        out.append(cells)
    return pd.DataFrame(out, columns=[c[1] for c in table_columns(rows)])


def _style(v: str) -> str:
    if isinstance(v, str) and v.startswith(FLAG_MARK):
        return "background-color: #fde2e1; color: #8a1c13"
    if isinstance(v, str) and v.startswith(OK_MARK):
        return "background-color: #e3f4e6; color: #1d5e2a"
    return "color: #666"


def rep_table(analysis: Analysis, rows: list[dict] | None = None, key: str | None = None) -> None:
    if not analysis.reps:
        st.info("No complete rep was found, so there is nothing to tabulate. Stand up fully "
                "between reps and keep the whole body in the picture.")
        return
    rows = rep_rows(analysis) if rows is None else rows
    df = rep_table_frame(analysis, rows)
    config = {label: st.column_config.TextColumn(label, help=help_) for _k, label, help_
              in table_columns(rows)}
    st.dataframe(df.style.map(_style), hide_index=True, width="stretch", column_config=config,
                 key=key)
    th = analysis.thresholds
    st.caption(f"{OK_MARK} within the limits in use, {FLAG_MARK} flagged. Limits: knee past toes "
               f"≤ {fmt_num(th.knee_over_toe_max_ratio, '+.2f')} foot lengths, shin ≤ "
               f"{fmt_num(th.shin_angle_max_deg, '.0f')}°, knees cave in ≤ "
               f"{fmt_num(th.fppa_max_deg, '.1f')}°, trunk lean ≤ "
               f"{fmt_num(th.trunk_lean_max_deg, '.0f')}°.")
    reasons = {}
    for row in rows:
        for metric, why in row.get("unmeasured", {}).items():
            if str(row["rep"]) not in reasons.setdefault(why, []):
                reasons[why].append(str(row["rep"]))
    for why, reps in reasons.items():
        st.caption(f"Not measured in rep{'s' if len(reps) > 1 else ''} {', '.join(reps)}: {why}.")


# Phone-sized table: the three things a person checks first, and one column for every flag.
COMPACT_COLUMNS = ["Rep", "Depth", "Knee past toes", "Flag"]
# A flag's word in the compact table (report.FLAG_WORDS), and what it stands for in the
# column's help: short, so that the table fits a 390-px phone with the box column too.
FLAG_HELP = ("The checks this rep fired (✓ none): "
             + ", ".join(f"{w} = {meaning}" for w, meaning in FLAG_WORDS.values())
             + ". Numbers: the full table below, and the feedback cards.")


def compact_rep_frame(analysis: Analysis) -> pd.DataFrame:
    """Rep, depth, knee past toes and the rep's flags in a few words (the numbers are in the
    full table and the cards): four columns, readable without a sideways scroll at 390 px."""
    out = []
    rows = rep_rows(analysis)
    box = any_box(rows)
    for row in rows:
        kot_key = "knee_over_toe_ratio"
        kot = _cell(row.get(kot_key), "{:+.2f}", row.get("checks", {}).get(kot_key), kot_key,
                    analysis.thresholds)
        out.append({"Rep": str(row["rep"]),
                    "Depth": DEPTH_WORDS_SHORT.get(row["depth"], row["depth"]),
                    "Knee past toes": kot,
                    "Flag": ", ".join(FLAG_WORDS.get(c, (c.replace("_", " "),))[0]
                                      for c in row["flags"])
                    or OK_MARK})
        if box:
            out[-1][COMPACT_BOX] = box_parts(row, short=True)["contact"]   # full words: full table
    return pd.DataFrame(out, columns=COMPACT_COLUMNS + ([COMPACT_BOX] if box else []))


def compact_rep_table(analysis: Analysis) -> None:
    if not analysis.reps:
        rep_table(analysis)        # its message says why there is nothing to tabulate
        return
    df = compact_rep_frame(analysis)
    st.dataframe(df.style.map(_style, subset=["Knee past toes"]), hide_index=True, width="stretch",
                 column_config={"Rep": st.column_config.TextColumn("Rep", width=36),
                                "Depth": st.column_config.TextColumn(
                                    "Depth", help="The bottom of the rep: above parallel, "
                                                  "parallel or below parallel (thighs level)"),
                                "Flag": st.column_config.TextColumn("Flag", help=FLAG_HELP),
                                "Knee past toes": st.column_config.TextColumn(
                                    "Knee past toes", help="In foot lengths (near leg); "
                                                           "+ = knee ahead of the toes"),
                                COMPACT_BOX: st.column_config.TextColumn(COMPACT_BOX,
                                                                         help=COMPACT_BOX_HELP)})


# ----------------------------------------------------------------------------- plots
def series_frame(analysis: Analysis) -> pd.DataFrame:
    """Per-frame knee-over-toe (foot lengths), thigh angle and hip height, for the plots."""
    s = analysis.series
    leg = analysis.view.near_leg
    kot = knee_over_toe_ratio_series(s, analysis.view.view, leg)
    return pd.DataFrame({"t_s": s.t_s, "knee_over_toe": kot, "thigh_deg": s.legs[leg].thigh_deg,
                         "hip_height": s.hip_height_ratio})


def plot_specs(analysis: Analysis) -> list[tuple[str, str, float | None]]:
    """(series column, title, limit line) of each plot over time; no knee-past-toes plot (nor
    its limit line) for a clip filmed from the front, where it cannot be seen."""
    th = analysis.thresholds
    specs = [("knee_over_toe", "Knee past toes (foot lengths)", th.knee_over_toe_max_ratio),
             ("thigh_deg", "Thigh angle (°, 0 = level)", 0.0),
             ("hip_height", "Hip height (share of standing)", None)]
    return specs if knee_travel_visible(analysis) else specs[1:]


def plots(analysis: Analysis) -> None:
    import altair as alt

    df = series_frame(analysis)
    bottoms = pd.DataFrame({"t_s": [r.bottom_s for r in analysis.reps],
                            "rep": [f"rep {i + 1}" for i in range(len(analysis.reps))]})
    specs = plot_specs(analysis)
    cols = st.columns(len(specs))
    for col, (key, title, limit) in zip(cols, specs):
        base = alt.Chart(df).mark_line(color="#1f6fb2").encode(
            x=alt.X("t_s:Q", title="time (s)"), y=alt.Y(f"{key}:Q", title=title))
        layers = [base]
        if len(bottoms):
            layers.append(alt.Chart(bottoms).mark_rule(color="#d9822b", strokeDash=[4, 3]).encode(
                x="t_s:Q", tooltip=["rep", alt.Tooltip("t_s:Q", format=".2f", title="bottom (s)")]))
        if limit is not None:
            layers.append(alt.Chart(pd.DataFrame({"y": [limit]})).mark_rule(
                color="#c0392b" if key == "knee_over_toe" else "#999").encode(y="y:Q"))
        col.altair_chart(alt.layer(*layers).properties(height=220, title=title),
                         width="stretch")
    st.caption("Orange dashed lines: the bottom of each rep."
               + (" Red line: the knee-over-toe limit in use." if knee_travel_visible(analysis)
                  else " Knee travel past the toes cannot be seen from the front, so it is not "
                       "plotted.")
               + " Near leg: " + analysis.view.near_leg + ".")


# ----------------------------------------------------------------------------- frames
def frame_stepper(analysis: Analysis, get_frame: Callable[[int], np.ndarray], key: str) -> None:
    """The bottom frame of each rep with the measurements drawn on it, one at a time."""
    n = analysis.rep_count
    if n == 0:
        st.info("No reps, so no bottom frames to show.")
        return
    idx_key = f"{key}_rep"
    i = int(st.session_state.get(idx_key, 0))
    i = min(max(i, 0), n - 1)
    c1, c2, c3 = st.columns([1, 2, 1])
    if c1.button("◀ Previous", key=f"{key}_prev", disabled=i == 0, width="stretch"):
        i -= 1
    if c3.button("Next ▶", key=f"{key}_next", disabled=i >= n - 1, width="stretch"):
        i += 1
    st.session_state[idx_key] = i
    c2.markdown(f"<div style='text-align:center;padding-top:.4rem'><b>Rep {i + 1} of {n}</b>"
                "</div>", unsafe_allow_html=True)
    rows = rep_rows(analysis)
    row = rows[i]
    try:
        img = get_frame(i)
    except Exception as exc:  # a frame that cannot be drawn must not break the page
        log.exception("bottom frame")
        st.error(f"The bottom frame of rep {i + 1} could not be drawn.")
    else:
        st.image(img, width="stretch",
                 caption=f"Rep {i + 1} at {row['bottom_s']:.2f} s")
    kot = row.get("knee_over_toe_ratio")
    shin = row.get("shin_angle_deg")
    st.caption(f"Depth: {row.get('depth_words') or DEPTH_WORDS.get(row['depth'], row['depth'])} "
               f"(thigh {fmt_num(row.get('thigh_angle_deg'), '+.0f', '°')}) · knee past toes: "
               + ("n/a" if kot is None else f"{kot:+.2f} foot lengths")
               + " · shin: " + ("n/a" if shin is None else f"{shin:.0f}°"))
    box_caption(row, any_box(rows))


def box_caption(row: dict, box_used: bool) -> None:
    """The rep's box under its bottom frame (report.box_words) when a rep of the set touched
    the box; without a box only the higher-box advice, when there is one."""
    text = box_words(row) if box_used else (row.get("box_advice") or "")
    if text:
        st.caption(text)


# ----------------------------------------------------------------------------- feedback
def feedback_cards(analysis: Analysis) -> None:
    warn = {"knee_travel", "shin_angle", "knees_cave_in"}
    for c in analysis.cues:
        with st.container(border=True):
            icon = (":orange[:material/warning:]" if c.code in warn else
                    (":green[:material/check_circle:]" if c.code == "good"
                     else ":blue[:material/lightbulb:]"))
            reps = f" — reps {', '.join(map(str, c.reps))}" if c.reps else ""
            st.markdown(f"#### {icon} {c.title}{reps}")
            if c.seen:
                st.markdown(f"**What we saw.** {c.seen}")
            if c.why:
                st.markdown(f"**Why it matters for the knee.** {c.why}")
            if c.try_this:
                st.markdown(f"**What to try.** {c.try_this}")
    st.info(DISCLAIMER, icon=":material/info:")


# ----------------------------------------------------------------------------- downloads
def downloads(analysis: Analysis, stem: str, video_path=None, key: str = "dl") -> None:
    """Report JSON, reps CSV and (when there is one) the annotated video. `video_path` may be
    a callable, read when the button is drawn (the video is made further up the page)."""
    if callable(video_path):
        video_path = video_path()
    cols = st.columns(3)
    cols[0].download_button("Report (JSON)", json.dumps(to_dict(analysis), indent=2),
                            file_name=f"{stem}_report.json", mime="application/json",
                            key=f"{key}_json", width="stretch")
    cols[1].download_button("Reps (CSV)", csv_text(analysis), file_name=f"{stem}_reps.csv",
                            mime="text/csv", key=f"{key}_csv", width="stretch")
    if video_path is not None and Path(video_path).is_file():
        cols[2].download_button("Annotated video (mp4)", Path(video_path).read_bytes(),
                                file_name=f"{stem}_annotated.mp4", mime="video/mp4",
                                key=f"{key}_video", width="stretch")


def results(analysis: Analysis, name: str, key: str, video_path=None,
            get_frame: Callable[[int], np.ndarray] | None = None,
            video_slot: Callable[[], None] | None = None) -> None:
    """The whole results view, shared by the upload page and the end of a live set. The
    summary, the per-rep table (compact) and the feedback come first (what fits a phone's
    first screens); the full table and the plots are behind expanders."""
    summary(analysis, name)
    st.subheader("Every rep")
    compact_rep_table(analysis)
    with st.expander("Every measurement of every rep"):
        rep_table(analysis)
    st.subheader("Feedback")
    feedback_cards(analysis)
    if video_slot is not None or get_frame is not None:
        left, right = st.columns(2)
        if video_slot is not None:
            with left:
                st.subheader("Annotated video")
                video_slot()
        if get_frame is not None:
            with right:
                st.subheader("Bottom of each rep")
                frame_stepper(analysis, get_frame, key)
    review_section(analysis, video_path, key)
    with st.expander("Over time: plots of every frame"):
        plots(analysis)
    st.subheader("Downloads")
    downloads(analysis, Path(name).stem or "formcheck", video_path, key=f"{key}_dl")


# ----------------------------------------------------------------------------- review in motion
def _players(cache_key: tuple, make: Callable[[], list]) -> tuple[list, str]:
    """(players, their signature) for this video and scoring, made once per browser session
    (the numbers of every frame and the video's bytes; the newest three kept)."""
    from formcheck.app import review

    cache = st.session_state.setdefault("review_players", {})
    if cache_key not in cache:
        while len(cache) >= 3:
            cache.pop(next(iter(cache)))
        players = make()
        cache[cache_key] = (players, None if None in players else review.signature(players))
    return cache[cache_key]


def review_key(analysis: Analysis, video_path) -> tuple:
    p = Path(video_path)
    return (str(p), p.stat().st_mtime_ns, repr(analysis.thresholds), analysis.view.view)


def review_player(analysis: Analysis, video_path, key: str,
                  on_measure: Callable[[dict], None] | None = None) -> bool:
    """The annotated video frame by frame: slider, one frame or one rep back and on, slow
    motion, that frame's numbers beside it, and measuring by hand on the frame. With
    `on_measure`, a hand measurement the user hands back ("Use in a correction") is passed to
    it (review.show's value). False when there is no video to review."""
    from formcheck.app import review

    if video_path is None or not Path(video_path).is_file():
        return False
    players, sig = _players(("one",) + review_key(analysis, video_path),
                            lambda: [review.player_spec(analysis, video_path, "")])
    if players[0] is None:
        st.caption("The annotated video is too large to review frame by frame in the browser; "
                   "download it from Downloads.")
        return False
    measured = review.show(players, sig, key=key, correct=on_measure is not None)
    if on_measure is not None and isinstance(measured, dict):
        on_measure(measured)
    return True


def compare_players(pairs: list[tuple], key: str) -> bool:
    """Two players synchronised at their rep's start and bottom, each measurable by hand (as
    review_player). `pairs`: two (analysis, annotated video path, title, 0-based rep) tuples
    (the same video twice compares two reps of one clip). False when a video is missing or
    too large."""
    from formcheck.app import review

    if any(v is None or not Path(v).is_file() for _a, v, _t, _r in pairs):
        return False
    ck = ("two",) + tuple((review_key(a, v), t, r) for a, v, t, r in pairs)
    players, sig = _players(ck, lambda: [review.player_spec(a, v, t, r) for a, v, t, r in pairs])
    if any(p is None for p in players):
        st.caption("A video is too large to play here side by side.")
        return False
    review.show(players, sig, key=key)
    return True


def _rep_choice(analysis: Analysis, label: str, key: str, index: int = 0, where=None) -> int:
    where = where or st
    return where.selectbox(label, list(range(len(analysis.reps))), index=index, key=key,
                           format_func=lambda r: f"rep {analysis.metrics[r].index} (bottom at "
                                                 f"{analysis.metrics[r].bottom_s:.1f} s)")


def review_section(analysis: Analysis, video_path, key: str) -> None:
    """'Review frame by frame' and 'Compare two reps' on the results page (needs the
    annotated video; `video_path` may be a callable, read now)."""
    if callable(video_path):
        video_path = video_path()
    if video_path is None or not Path(video_path).is_file() or not analysis.reps:
        return
    st.subheader("Review frame by frame")
    if not review_player(analysis, video_path, key=f"{key}_review"):
        return
    if len(analysis.reps) >= 2:
        with st.expander("Compare two reps side by side", icon=":material/compare:"):
            c1, c2 = st.columns(2)
            a = _rep_choice(analysis, "First rep", f"{key}_cmp_a", 0, c1)
            b = _rep_choice(analysis, "Second rep", f"{key}_cmp_b", len(analysis.reps) - 1, c2)
            compare_players([(analysis, video_path, f"Rep {analysis.metrics[a].index}", a),
                             (analysis, video_path, f"Rep {analysis.metrics[b].index}", b)],
                            key=f"{key}_cmp")
            st.caption("Both play in step: they start together and reach the bottom together "
                       "(the slower rep is slowed down or sped up between those moments).")
