"""Drawing the analysis on one frame: skeleton, knee-over-toe line, angles, rep counter, cue,
depth bar. Pure: an RGB frame and an Analysis in, a new frame out (numpy + cv2, no I/O).

Used by render.py for the annotated video and by the app for each rep's bottom frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .landmarks import LEG, SKELETON
from .values import clean_float, reported_value

GREEN, ORANGE, RED = (90, 225, 110), (255, 170, 40), (255, 85, 75)   # RGB, light enough on dark
WHITE, DARK = (245, 245, 245), (12, 12, 12)
NEAR_LEG, FAR_LEG = (80, 200, 255), (150, 150, 150)
FONT = cv2.FONT_HERSHEY_SIMPLEX
BOX_TEXT_K = 0.85       # the box lines in the panel: a little smaller than the cue
WARN_BAND_RATIO = 0.1   # orange when the knee is within this many foot lengths below the limit


@dataclass(frozen=True)
class Style:
    """Sizes for one picture size: text about 1/35 of the picture's mean side."""

    font: float
    thick: int
    line: int
    pad: int

    @classmethod
    def for_size(cls, h: int, w: int) -> "Style":
        base = float(np.sqrt(h * w))
        font = max(0.45, base / 1000.0)
        return cls(font, max(1, round(font * 1.7)), max(2, round(base / 260)), max(3, round(base / 120)))


def _pt(xy: np.ndarray) -> tuple[int, int] | None:
    return (int(round(xy[0])), int(round(xy[1]))) if np.all(np.isfinite(xy)) else None


def _blend_box(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.72) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi.astype(np.float32) * (1.0 - alpha) + np.float32(DARK[0]) * alpha).astype(np.uint8)


def _text_size(text: str, st: Style, k: float = 1.0) -> tuple[int, int, int]:
    (tw, th), base = cv2.getTextSize(text, FONT, st.font * k, st.thick)
    return tw, th, base


def _box_size(text: str, st: Style, k: float = 1.0) -> tuple[int, int, int]:
    """(width, height, line height) of a label box; lines split at newlines."""
    sizes = [_text_size(t, st, k) for t in text.split("\n")]
    line_h = max(th + base for _, th, base in sizes) + st.pad // 2
    return max(tw for tw, _, _ in sizes) + 2 * st.pad, line_h * len(sizes) + 2 * st.pad, line_h


def _label(img: np.ndarray, text: str, org: tuple[int, int], st: Style, color=WHITE,
           k: float = 1.0) -> None:
    """Text on a dark translucent box; `org` is the box's top-left, kept inside the picture."""
    bw, bh, line_h = _box_size(text, st, k)
    x = int(np.clip(org[0], 0, max(0, img.shape[1] - bw)))
    y = int(np.clip(org[1], 0, max(0, img.shape[0] - bh)))
    _blend_box(img, x, y, x + bw, y + bh)
    th = _text_size("Ag", st, k)[1]
    for n, line in enumerate(text.split("\n")):
        cv2.putText(img, line, (x + st.pad, y + st.pad + th + n * line_h), FONT, st.font * k, color,
                    st.thick, cv2.LINE_AA)


UNIT_WORDS = frozenset({"s", "cm", "px", "deg", "%"})   # never wrapped away from their number


def _wrap(text: str, max_w: int, st: Style, k: float = 1.0) -> list[str]:
    words: list[str] = []
    for w in text.split():
        if w.strip("(),;.") in UNIT_WORDS and words:
            words[-1] += f" {w}"
        else:
            words.append(w)
    lines, cur = [], ""
    for word in words:
        cand = f"{cur} {word}".strip()
        if cur and _text_size(cand, st, k)[0] > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    return lines + ([cur] if cur else [])


def draw_skeleton(img: np.ndarray, xy: np.ndarray, near_leg: str | None, st: Style) -> None:
    """Bones (dark outline under a coloured line) and joints; the near leg stands out."""
    near = {int(j) for j in LEG[near_leg]} if near_leg in LEG else set()
    far = {int(j) for side, js in LEG.items() if side != near_leg for j in js} if near else set()
    for a, b in SKELETON:
        pa, pb = _pt(xy[int(a)]), _pt(xy[int(b)])
        if pa is None or pb is None:
            continue
        color = NEAR_LEG if {int(a), int(b)} <= near else FAR_LEG if {int(a), int(b)} & far else WHITE
        cv2.line(img, pa, pb, DARK, st.line + 2, cv2.LINE_AA)
        cv2.line(img, pa, pb, color, st.line, cv2.LINE_AA)
    for j in {int(i) for e in SKELETON for i in e}:
        p = _pt(xy[j])
        if p is not None:
            cv2.circle(img, p, st.line + 2, DARK, -1, cv2.LINE_AA)
            cv2.circle(img, p, st.line + 1, NEAR_LEG if j in near else WHITE, -1, cv2.LINE_AA)


def knee_color(ratio: float, limit_ratio: float) -> tuple[int, int, int]:
    """Green well behind the limit, orange close to it, red past it."""
    if ratio > limit_ratio:
        return RED
    return ORANGE if ratio > limit_ratio - WARN_BAND_RATIO else GREEN


def _dashed_vline(img: np.ndarray, x: int, y0: int, y1: int, color, st: Style) -> None:
    dash = max(4, 3 * st.line)
    for y in range(min(y0, y1), max(y0, y1), 2 * dash):
        cv2.line(img, (x, y), (x, min(y + dash, max(y0, y1))), color, st.line, cv2.LINE_AA)


def draw_knee_over_toe(img, knee, toe, ratio: float, limit: float, side: int, st: Style,
                       text: str) -> None:
    """Vertical line at the toes and the knee's horizontal gap to it, with its label."""
    k, t = _pt(knee), _pt(toe)
    if k is None or t is None:
        return
    color = knee_color(ratio, limit) if np.isfinite(ratio) else WHITE
    _dashed_vline(img, t[0], t[1], k[1] - 4 * st.pad, color, st)
    cv2.line(img, (t[0], k[1]), k, DARK, st.line + 2, cv2.LINE_AA)
    cv2.line(img, (t[0], k[1]), k, color, st.line, cv2.LINE_AA)
    x = max(k[0], t[0]) if side > 0 else min(k[0], t[0])
    _beside(img, text, (x, k[1]), side, st, color, dy=_box_size(text, st)[1] // 2 + st.pad)


def draw_depth_bar(img: np.ndarray, depth: float, st: Style) -> None:
    """Vertical bar at the right edge: 0 standing, tick at 1 (thigh level), full at 1.3."""
    h, w = img.shape[:2]
    bw, bh = max(8, 3 * st.pad), int(h * 0.32)
    x0, y0 = w - bw - 2 * st.pad, int(h * 0.3)
    _blend_box(img, x0 - st.pad, y0 - st.pad, x0 + bw + st.pad, y0 + bh + st.pad)
    frac = float(np.clip(depth / 1.3, 0, 1)) if np.isfinite(depth) else 0.0
    color = GREEN if np.isfinite(depth) and depth >= 1.0 else WHITE
    cv2.rectangle(img, (x0, y0 + int(bh * (1 - frac))), (x0 + bw, y0 + bh), color, -1)
    ty = y0 + int(bh * (1 - 1 / 1.3))
    cv2.line(img, (x0 - st.pad, ty), (x0 + bw + st.pad, ty), ORANGE, max(1, st.line // 2), cv2.LINE_AA)
    tw = _text_size("depth", st, 0.8)[0]
    _label(img, "depth", (x0 + bw - tw - 2 * st.pad, y0 + bh + 2 * st.pad), st, WHITE, 0.8)


def draw_panel(img: np.ndarray, lines: list[tuple], st: Style) -> None:
    """Lines of text, top-left, on one translucent box (first line larger). A line is (text,
    colour) or (text, colour, size factor); all but the first wrap at 62% of the width."""
    max_w = int(img.shape[1] * 0.62)
    rows = [(t, line[1], 1.25 if i == 0 else (line[2] if len(line) > 2 else 1.0))
            for i, line in enumerate(lines)
            for t in ([line[0]] if i == 0 else
                      _wrap(line[0], max_w, st, line[2] if len(line) > 2 else 1.0))]
    sizes = [_text_size(t, st, k) for t, _, k in rows]
    gap = st.pad
    bw = max(s[0] for s in sizes) + 2 * st.pad
    bh = sum(s[1] + s[2] + gap for s in sizes) + st.pad
    _blend_box(img, st.pad, st.pad, st.pad + bw, st.pad + bh)
    y = 2 * st.pad
    for (t, c, k), (tw, th, base) in zip(rows, sizes):
        cv2.putText(img, t, (2 * st.pad, y + th), FONT, st.font * k, c, st.thick, cv2.LINE_AA)
        y += th + base + gap


# ------------------------------------------------------------------- what to show when


def current_rep(analysis, i: int) -> int | None:
    """Index of the rep that frame i lies in, or None."""
    for k, r in enumerate(analysis.reps):
        if r.start_i <= i <= r.end_i:
            return k
    return None


def reps_done(analysis, i: int) -> int:
    return sum(1 for r in analysis.reps if r.end_i <= i)


def cue_line(analysis, rep: int | None, done: int | None = None) -> tuple[str, tuple]:
    """The current rep's flag (worst first), 'within limits' (only when something was
    measured against a limit), or the clip's top cue once a rep it describes is done (`done`:
    reps done by this frame; never before the first rep ends)."""
    if rep is not None and rep < len(analysis.assessments):
        a = analysis.assessments[rep]
        flags = sorted(a.flags, key=lambda f: f.severity != "warn")
        if flags:
            return f"Rep {rep + 1}: {flags[0].message}", RED if flags[0].severity == "warn" else ORANGE
        if a.checks and all(v == "n/a" for v in a.checks.values()):
            return f"Rep {rep + 1}: not measured", WHITE
        return f"Rep {rep + 1}: within limits", GREEN
    if done is not None and done == 0:
        return "", WHITE
    if analysis.cues:
        top = analysis.cues[0]
        return top.title, GREEN if top.code == "good" else ORANGE if top.code != "load" else WHITE
    return "", WHITE


def leg_and_view(analysis, rep: int | None) -> tuple[str, str]:
    if rep is not None and rep < len(analysis.metrics):
        m = analysis.metrics[rep]
        return m.leg, m.view
    return analysis.view.near_leg, analysis.view.view


def _side_out(xy: np.ndarray, leg: str, facing: int, view: str) -> int:
    """+1/-1: the picture direction in which labels stay off the body."""
    if view == "front":
        hips = xy[[int(LEG["left"][0]), int(LEG["right"][0])], 0]
        d = xy[int(LEG[leg][0]), 0] - np.nanmean(hips)
        return 1 if not np.isfinite(d) or d >= 0 else -1
    return 1 if facing >= 0 else -1


def _beside(img, text: str, p, side: int, st: Style, color=WHITE, dy: int = 0) -> None:
    """A label left or right of point p (side -1 / +1), vertically centred on it (+ dy)."""
    bw, bh, _ = _box_size(text, st)
    x = p[0] + 2 * st.pad if side > 0 else p[0] - 2 * st.pad - bw
    _label(img, text, (x, p[1] - bh // 2 + dy), st, color)


@dataclass(frozen=True)
class FrameValues:
    """The numbers drawn on one frame, kept as data beside the drawing.

    Inside a rep's bottom band they are that rep's reported values (RepMetrics), so a bottom
    frame, the table and the PDF say the same; elsewhere they are the frame's own values,
    measured by the same functions along the same leg and knee/toe pair."""

    frame_index: int
    rep: int | None                     # 0-based rep the frame lies in
    from_report: bool                   # True: the rep's reported values
    view: str
    leg: str
    facing: int
    knee_key: str                       # which knee/toe pair the gap compares ("" = none)
    knee_over_toe_px: float | None
    knee_over_toe_ratio: float | None
    knee_flexion_deg: float | None
    thigh_deg: float | None
    depth: float | None
    labels: dict = field(default_factory=dict)   # "knee_over_toe" / "knee" / "thigh": text drawn
    # From the bottom of a rep that touched the box to its end: report.box_words(short=True)
    # of the rep's reported box fields (one line per part), and whether a higher box is advised.
    box: str = ""
    box_over_limit: bool = False
    # Around the peak of a rep's knees-in angle (knees_in_words): its reported value and leg,
    # and whether it was flagged; "" elsewhere.
    knees_in: str = ""
    knees_in_flagged: bool = False


def frame_values(analysis, i: int) -> FrameValues:
    """What annotate_frame draws on frame i of analysis.clean_seq."""
    from .metrics import knee_key_for, knee_over_toe_px

    s = analysis.series
    rep = current_rep(analysis, i)
    m = analysis.metrics[rep] if rep is not None and rep < len(analysis.metrics) else None
    leg, view = leg_and_view(analysis, rep)
    facing = (m.facing if m is not None and m.facing else s.facing) or 1
    r = analysis.reps[rep] if rep is not None else None
    box, over = _box_words(analysis, m, r, i)
    kin, kin_flag = knees_in_words(analysis, rep, i)
    if m is not None and r is not None and r.band_start_i <= i <= r.band_end_i:
        rv = {k: reported_value(k, getattr(m, k)) for k in
              ("knee_over_toe_px", "knee_over_toe_ratio", "knee_flexion_deg", "thigh_angle_deg")}
        labels = _labels(view, rv["knee_over_toe_px"], rv["knee_over_toe_ratio"],
                         rv["knee_flexion_deg"], rv["thigh_angle_deg"])
        key = (m.knee_key or knee_key_for(view, leg)) if m.knee_over_toe_px is not None else ""
        return FrameValues(i, rep, True, view, leg, facing, key, rv["knee_over_toe_px"],
                           rv["knee_over_toe_ratio"], rv["knee_flexion_deg"], rv["thigh_angle_deg"],
                           clean_float(s.depth[i]), labels, box, over, kin, kin_flag)
    key = knee_key_for(view, leg) if view in ("side", "oblique") else ""
    gap = ratio = None
    if key:
        gap = clean_float(knee_over_toe_px(analysis.clean_seq.xy_px[i:i + 1], facing)[key][0])
        ratio = clean_float(s.knee_over_toe_ratio[i]) if gap is not None else None
    flex = clean_float(s.legs[leg].knee_flexion_deg[i])
    thigh = clean_float(s.legs[leg].thigh_deg[i])
    return FrameValues(i, rep, False, view, leg, facing, key, gap, ratio, flex, thigh,
                       clean_float(s.depth[i]), _labels(view, gap, ratio, flex, thigh), box, over,
                       kin, kin_flag)


KNEES_IN_SHOWN_S = 0.25   # the knees-in lines stay on this long either side of the peak frame


def knees_in_words(analysis, rep: int | None, i: int) -> tuple[str, bool]:
    """('knees in +14.3 deg, left leg (peak)', flagged) on the frames within KNEES_IN_SHOWN_S of
    rep's knees-in peak (valgus.KneeValgus.peak_i), with the rep's reported fppa_deg; ("",
    False) elsewhere."""
    if rep is None or rep >= len(analysis.metrics):
        return "", False
    m = analysis.metrics[rep]
    v, val = m.valgus, reported_value("fppa_deg", m.fppa_deg)
    t = analysis.clean_seq.t_s
    if v is None or val is None or not (0 <= v.peak_i < len(t) and 0 <= i < len(t)) \
            or abs(float(t[i]) - float(t[v.peak_i])) > KNEES_IN_SHOWN_S:
        return "", False
    leg = "both legs" if v.leg == "both" else f"{v.leg} leg"
    flagged = analysis.assessments[rep].knees_cave_in is True
    return f"knees in {val:+.1f} deg, {leg} (peak)", flagged


def draw_knees_in(img, xy, v: "FrameValues", st: Style) -> None:
    """Both legs' hip-knee-ankle lines and the peak knees-in angle beside the hips (red when
    flagged), on the frames knees_in_words names."""
    if not v.knees_in:
        return
    color = RED if v.knees_in_flagged else GREEN
    for leg in ("left", "right"):
        pts = [_pt(xy[int(LEG[leg][k])]) for k in (0, 1, 2)]
        if any(p is None for p in pts):
            continue
        for a, b in zip(pts, pts[1:]):
            cv2.line(img, a, b, DARK, st.line + 3, cv2.LINE_AA)
            cv2.line(img, a, b, color, st.line + 1, cv2.LINE_AA)
    hips = [_pt(xy[int(LEG[leg][0])]) for leg in ("left", "right")]
    hips = [p for p in hips if p is not None]
    if hips:
        x = max(p[0] for p in hips)
        y = min(p[1] for p in hips)
        _beside(img, v.knees_in, (x, y), 1, st, color)


def _box_words(analysis, m, r, i: int) -> tuple[str, bool]:
    """(the box words drawn on frame i, a higher box advised): from the bottom of a rep that
    touched the box to the rep's end, the rep's report fields (report.box_fields) in
    report.box_words' short form."""
    if m is None or r is None or not (r.bottom_i <= i <= r.end_i) or not analysis.box \
            or not m.box_contact:
        return "", False
    from .report import box_fields, box_words

    row = box_fields(m, analysis.thresholds, analysis.cm_per_shin, analysis.box)
    return box_words(row, short=True), bool(row["higher_box_shin"])


def _labels(view: str, gap, ratio, flex, thigh) -> dict:
    out = {}
    if view in ("side", "oblique") and gap is not None:
        out["knee_over_toe"] = (f"past toes {gap:+.0f} px"
                                + (f"\n= {ratio:+.2f} foot len" if ratio is not None else ""))
    if flex is not None:
        out["knee"] = f"knee {flex:.0f} deg"
    if thigh is not None:
        out["thigh"] = f"thigh {thigh:+.0f} deg"
    return out


def draw_angles(img, xy, v: FrameValues, st: Style) -> None:
    """Knee flexion ahead of the knee (beyond the toe line), thigh angle behind the hip.

    From the front both go outward of the knee, one above the other.
    """
    leg, view = v.leg, v.view
    hip, knee, toe = (int(LEG[leg][k]) for k in (0, 1, 4))
    side = _side_out(xy, leg, v.facing, view)
    kp, hp = _pt(xy[knee]), _pt(xy[hip])
    bh = _box_size("k", st)[1]
    if kp is not None and "knee" in v.labels:
        x = kp[0]
        if view != "front" and np.isfinite(xy[toe, 0]):
            x = int(max(x, xy[toe, 0])) if side > 0 else int(min(x, xy[toe, 0]))
        _beside(img, v.labels["knee"], (x, kp[1]), side, st, dy=-bh // 2 - st.pad)
    if view == "front":
        hp, dy = kp, -bh * 3 // 2 - 2 * st.pad
    else:
        side, dy = -side, 0
    if hp is not None and "thigh" in v.labels:
        _beside(img, v.labels["thigh"], hp, side, st, dy=dy)


def annotate_frame(rgb: np.ndarray, analysis, frame_index: int, scale: float = 1.0,
                   values_out: list | None = None) -> np.ndarray:
    """A new frame with the measurements of analysis.clean_seq[frame_index] drawn on it.

    `scale` = picture size / display size (landmarks are in display pixels). The numbers drawn
    are `frame_values(analysis, frame_index)`, appended to `values_out` when given.
    """
    from .metrics import knee_and_toe_points

    img = np.ascontiguousarray(rgb).copy()
    st = Style.for_size(*img.shape[:2])
    i = int(np.clip(frame_index, 0, max(0, len(analysis.clean_seq) - 1)))
    rep = current_rep(analysis, i)
    if len(analysis.clean_seq):
        v = frame_values(analysis, i)
        if values_out is not None:
            values_out.append(v)
        xy = analysis.clean_seq.xy_px[i] * scale
        # the depth bar first: a knee label near the right edge is drawn over it, not under it
        draw_depth_bar(img, np.nan if v.depth is None else v.depth, st)
        draw_skeleton(img, xy, v.leg if v.view != "front" else None, st)
        if v.knee_key and "knee_over_toe" in v.labels:
            knee, toe = knee_and_toe_points(xy, v.knee_key, v.facing)
            draw_knee_over_toe(img, knee, toe,
                               np.nan if v.knee_over_toe_ratio is None else v.knee_over_toe_ratio,
                               analysis.thresholds.knee_over_toe_max_ratio,
                               _side_out(xy, v.leg, v.facing, v.view), st, v.labels["knee_over_toe"])
        draw_angles(img, xy, v, st)
        draw_knees_in(img, xy, v, st)
    total = len(analysis.reps)
    lines = [(f"Reps done: {reps_done(analysis, i)} of {total}", WHITE), cue_line(analysis, rep, reps_done(analysis, i))]
    if len(analysis.clean_seq) and v.box:
        parts = v.box.split("\n")
        lines += [(t, WHITE if k < 2 else ORANGE if v.box_over_limit else GREEN, BOX_TEXT_K)
                  for k, t in enumerate(parts)]
    draw_panel(img, lines, st)
    return img


def fill_band(img: np.ndarray, text: str, color, st: Style) -> None:
    """A cue in white on a coloured band along the bottom, as large as the width allows."""
    h, w = img.shape[:2]
    k = 1.4
    tw = _text_size(text, st, k)[0]
    if tw > w - 2 * st.pad:
        k *= (w - 2 * st.pad) / tw
    _, th, base = _text_size(text, st, k)
    y0 = h - th - base - 2 * st.pad
    roi = img[max(0, y0):h]
    roi[:] = (roi.astype(np.float32) * 0.2 + np.array(color, np.float32) * 0.8).astype(np.uint8)
    cv2.putText(img, text, (st.pad, h - base - st.pad), FONT, st.font * k, WHITE, st.thick,
                cv2.LINE_AA)
