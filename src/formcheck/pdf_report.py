"""One-click session report as PDF (and the per-rep CSV) for the client or the referrer.

Contents: who/when/what, the headline numbers against the limits in use, annotated bottom frames
of key reps, what we saw and what to try (cues), the per-rep table, plots (per-rep knee travel,
shin and depth; the squat over time; the client's trend across sessions), the thresholds used,
the physio's note, and the education-not-diagnosis note on every page.

Layout with fpdf2 (pure Python, text stays text: searchable, copyable, checkable with pdftotext;
real tables with page breaks; embeds TrueType fonts). Plots with matplotlib (Agg), embedded as PNG.
Fonts: the DejaVu Sans shipped inside matplotlib, so no system fonts are needed.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from . import __version__
from .feedback import CHECK_BY_CODE, DISCLAIMER, shown_value, value_and_limit
from .report import (CORRECTABLE, DEPTH_WORDS, FLAG_WORDS, corrected_analysis, corrected_rows,
                     counted_rows, csv_text, excluded_reps, knee_travel_visible, rep_rows,
                     summarize_rows)
from .thresholds import HELP, LABELS, Thresholds
from .values import fmt_num

RED = (178, 34, 34)
GREY = (90, 90, 90)
LIGHT = (242, 244, 247)
ACCENT = (31, 78, 121)
MAX_KEY_FRAMES = 3


def _font_dir() -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


def _fmt(x, spec: str, unit: str = "", none: str = "–") -> str:
    return fmt_num(x, spec, unit, none)


# --- pictures --------------------------------------------------------------------------------------
def key_reps(analysis, skip: frozenset | set = frozenset()) -> list[int]:
    """0-based indices of the reps worth a picture: all when few, else the one whose knee went
    furthest forward, the shallowest and the deepest. `skip`: rep numbers left out (the reps
    the physio excluded, report.excluded_reps)."""
    ms = analysis.metrics
    counted = [i for i, m in enumerate(ms) if m.index not in skip]
    if len(counted) <= MAX_KEY_FRAMES:
        return counted
    pick = []

    def add(key, reverse):
        vals = [(key(ms[i]), i) for i in counted if key(ms[i]) is not None]
        if vals:
            i = sorted(vals, reverse=reverse)[0][1]
            if i not in pick:
                pick.append(i)

    add(lambda m: m.knee_over_toe_ratio, True)
    add(lambda m: m.fppa_deg, True)
    add(lambda m: m.thigh_angle_deg, False)
    add(lambda m: m.thigh_angle_deg, True)
    for i in counted:
        if len(pick) >= MAX_KEY_FRAMES:
            break
        if i not in pick:
            pick.append(i)
    return sorted(pick[:MAX_KEY_FRAMES])


def key_frame(analysis, rep_index: int, clip_path: str | Path | None) -> tuple[np.ndarray, bool]:
    """(RGB picture, from_video). The annotated video frame at the bottom of the rep; without
    the video, the same drawing (skeleton, numbers, depth bar) from the landmarks on a plain
    background of the video's size."""
    if clip_path:
        try:
            from .render import bottom_frame

            return bottom_frame(clip_path, analysis, rep_index, max_side_px=900), True
        except Exception:  # noqa: BLE001 - a picture problem must not cost the whole report
            pass
    from .overlay import annotate_frame

    seq = analysis.clean_seq
    canvas = np.empty((seq.height_px, seq.width_px, 3), np.uint8)
    canvas[:] = (52, 58, 66)
    scale = min(1.0, 900 / max(seq.height_px, seq.width_px))
    if scale < 1.0:
        canvas = canvas[: int(seq.height_px * scale), : int(seq.width_px * scale)]
    i = analysis.reps[rep_index].bottom_i
    # the whole picture, as the video would show it (a crop cut the depth bar in pieces)
    img = annotate_frame(canvas, analysis, i, scale)
    return img, False


def _png(img: np.ndarray) -> io.BytesIO:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=True)
    buf.seek(0)
    return buf


def _fig_png(fig) -> io.BytesIO:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200)
    plt.close(fig)
    buf.seek(0)
    return buf


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 8, "axes.spines.top": False, "axes.spines.right": False,
                         "axes.titlesize": 9, "axes.titleweight": "bold"})
    return plt


def rep_plots(analysis, corrections=()) -> io.BytesIO:
    """Per rep: knee travel past the toes, shin angle and depth, each against its limit, with
    the physio's corrections (no bar for an excluded rep or a value marked wrong)."""
    plt = _plt()
    th = analysis.thresholds
    rows = _rows(analysis, corrections)
    reps = [r["rep"] for r in rows]
    specs = [
        ("Knee past the toes", "foot lengths (+ = ahead of toes)", "knee_over_toe_ratio",
         th.knee_over_toe_max_ratio, "limit"),
        ("Shin angle at the bottom", "deg from vertical", "shin_angle_deg",
         th.shin_angle_max_deg, "limit"),
        ("Depth: thigh angle", "deg (+ = hip below knee)", "thigh_angle_deg",
         th.depth_target_deg, "target"),
    ]
    if not knee_travel_visible(analysis):     # no knee-past-toes plot nor limit from the front
        specs = specs[1:]
    fig, axes = plt.subplots(1, len(specs), figsize=(7.2, 2.3), constrained_layout=True)
    for ax, (title, unit, key, limit, what) in zip(axes, specs):
        v = [np.nan if r[key] is None or r.get("excluded") else r[key] for r in rows]
        over = [r["checks"].get(key) == "flag" for r in rows]   # red where the check flagged
        colors = ["#b22222" if o else "#1f4e79" for o in over]
        ax.bar(reps, np.nan_to_num(v), color=colors, width=0.6)
        for r, x, row in zip(reps, v, rows):
            if not np.isfinite(x):
                why = ("not a rep" if row.get("excluded") else
                       "corrected" if key in row.get("wrong", []) else "n/a")
                ax.text(r, 0.5, why, transform=ax.get_xaxis_transform(), ha="center",
                        va="center", color="#555555", fontsize=6.5,
                        rotation=90 if why != "n/a" else 0)
        if limit is not None:
            ax.axhline(limit, color="#444444", ls="--", lw=1)
            title = f"{title}\n(dashed: {what} {limit:+.2g})"
        ax.axhline(0, color="#999999", lw=0.6)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.set_xlabel("rep")
        ax.set_xticks(reps)
    return _fig_png(fig)


def time_plot(analysis) -> io.BytesIO:
    """The squat over time: depth (0 standing, 1 thigh level) with the counted reps shaded."""
    plt = _plt()
    s = analysis.series
    fig, ax = plt.subplots(figsize=(7.2, 1.6), constrained_layout=True)
    ax.plot(s.t_s, s.depth, color="#1f4e79", lw=1.2)
    for r, m in zip(analysis.reps, analysis.metrics):
        ax.axvspan(r.start_s, r.end_s, color="#1f4e79", alpha=0.08)
        ax.text(r.bottom_s, np.nanmax(s.depth) * 1.02 if len(s.depth) else 1, str(m.index),
                ha="center", va="bottom", fontsize=7)
    ax.axhline(1.0, color="#444444", ls="--", lw=0.8)
    ax.text(s.t_s[0] if len(s.t_s) else 0, 1.0, "thigh level ", ha="left", va="bottom",
            fontsize=7, color="#444444")
    ax.set_ylim(bottom=min(0, float(np.nanmin(s.depth))) if len(s.depth) else 0)
    ax.set_ylabel("depth (0 = standing)")
    ax.set_xlabel("time in the clip (s)")
    ax.set_title("The squats over time (shaded: counted reps)")
    return _fig_png(fig)


def session_ticks(dates: list) -> list[str]:
    """Tick labels for sessions in date order: the session date, with the time of day added
    only where two sessions fall on the same day."""
    days = [f"{d:%d %b %Y}" for d in dates]
    return [f"{day}\n{d:%H:%M}" if days.count(day) > 1 else day for day, d in zip(days, dates)]


TREND_KEYS = ("worst_knee_over_toe_ratio", "worst_shin_angle_deg", "mean_thigh_angle_deg")


def trend_spans(history: list) -> dict:
    """The value axis (low, high) of each trend plot: at least values.MIN_AXIS_SPAN for its
    unit, so a change of 0.1° does not fill the plot. None where nothing was measured."""
    from .values import axis_range, min_axis_span

    return {k: axis_range([getattr(h.summary, k) for h in history], min_axis_span(k))
            for k in TREND_KEYS}


def trend_plot(history: list, current_id: int | None = None) -> io.BytesIO:
    """Across sessions, one point per session labelled by its date: worst knee travel, worst
    shin angle, mean depth. Each value axis spans at least values.MIN_AXIS_SPAN for its unit."""
    plt = _plt()
    dates = [h.recorded_at for h in history]
    x = np.arange(len(history))
    ticks = session_ticks(dates)
    fig, axes = plt.subplots(1, 3, figsize=(7.2, 2.1), constrained_layout=True)
    series = [("Worst knee past toes", "foot lengths", "worst_knee_over_toe_ratio"),
              ("Worst shin angle", "° from vertical", "worst_shin_angle_deg"),
              ("Mean depth (thigh angle)", "° (+ = hip below knee)", "mean_thigh_angle_deg")]
    spans = trend_spans(history)
    for ax, (title, unit, key) in zip(axes, series):
        v = np.array([np.nan if getattr(h.summary, key) is None else getattr(h.summary, key)
                      for h in history], float)
        ax.plot(x, v, "o-", color="#1f4e79", ms=4, lw=1.2)
        if current_id is not None:
            for h, xi, val in zip(history, x, v):
                if h.session_id == current_id and np.isfinite(val):
                    ax.plot([xi], [val], "o", ms=8, mfc="none", mec="#b22222", mew=1.5)
        span = spans[key]
        if span is None:
            ax.text(0.5, 0.5, "not measured", transform=ax.transAxes, ha="center",
                    color="#555555", fontsize=7)
        else:
            ax.set_ylim(*span)
        ax.set_title(title)
        ax.set_ylabel(unit)
        step = max(1, int(np.ceil(len(x) / 5)))
        ax.set_xticks(x[::step], ticks[::step])
        ax.set_xlim(-0.5, len(x) - 0.5)
        ax.tick_params(axis="x", labelsize=6.5)
    return _fig_png(fig)


# --- the document -----------------------------------------------------------------------------------
def _pdf_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        footer_text = ""

        def footer(self):
            self.set_y(-14)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(*GREY)
            self.multi_cell(0, 3.2, f"{DISCLAIMER}\n{self.footer_text}   ·   page "
                            f"{self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    return ReportPDF


def _rows(analysis, corrections=()) -> list[dict]:
    """The per-rep rows with the physio's corrections applied (report.corrected_rows)."""
    return corrected_rows(analysis, corrections)


def _headline(analysis, corrections=()) -> list[tuple[str, str, bool]]:
    """(label, value, flagged) for the summary strip: the set summary (report.summarize_rows)
    of the reps that count after the physio's corrections, each value against its limit,
    marked when a counted rep's check flagged it."""
    th = analysis.thresholds
    rows = counted_rows(_rows(analysis, corrections))
    sm = summarize_rows(rows)

    def flagged(field: str) -> bool:
        return any(r["checks"].get(field) == "flag" for r in rows)

    def against(code: str, value, unit: str = "") -> str:
        c = CHECK_BY_CODE[code]
        vs, ls = value_and_limit(c, value, getattr(th, c.limit))
        return f"{vs}{unit} (limit {ls}{unit})"

    if sm.shallowest_thigh_angle_deg is None:
        depth = DEPTH_WORDS.get(sm.most_common_depth, "not measured")
    else:
        lo = _fmt(sm.shallowest_thigh_angle_deg, "+.0f", "°")
        hi = _fmt(sm.deepest_thigh_angle_deg, "+.0f", "°")
        depth = (f"{DEPTH_WORDS.get(sm.most_common_depth, sm.most_common_depth)}; thigh "
                 + (lo if lo == hi else f"{lo} to {hi}"))
    kot, shin, fppa = (sm.worst_knee_over_toe_ratio, sm.worst_shin_angle_deg, sm.worst_fppa_deg)
    excluded = len(_rows(analysis, corrections)) - len(rows)
    return [
        ("Reps", str(sm.rep_count) + (f" ({excluded} excluded by the physio)" if excluded
                                      else ""), False),
        ("Worst knee past toes", "not measured" if kot is None else
         against("knee_travel", kot).replace(" (", " foot lengths (", 1),
         flagged("knee_over_toe_ratio")),
        ("Steepest shin", "not measured" if shin is None else against("shin_angle", shin, "°"),
         flagged("shin_angle_deg")),
        ("Depth", depth, flagged("thigh_angle_deg")),
        ("Knees caving in", _cave_in_words(analysis) if fppa is None else
         "up to " + against("knees_cave_in", fppa, "°"), flagged("fppa_deg")),
    ]


def _cave_in_words(analysis) -> str:
    """Why no knees-caving-in value: the first rep's own reason (the view, or the knees never
    bent), in the report's words."""
    why = next((m.reasons["fppa"] for m in analysis.metrics if m.reasons.get("fppa")), "")
    if not why or why.startswith("side view"):
        return "needs a front view"
    return "not measured: " + why.split(":")[0]


def session_pdf(analysis, *, clip_path: str | Path | None = None, video_bytes: bytes | None = None,
                client_label: str | None = None, recorded_at: dt.datetime | None = None,
                clip_name: str | None = None, physio_note: str = "", history: list | None = None,
                session_id: int | None = None, corrections: list | tuple = (),
                video_consent: str = "") -> bytes:
    """The PDF report of one analysed clip, as bytes, with the physio's corrections
    (report.Correction) shown where they apply and listed with who made them."""
    tmp_video = None
    if clip_path is None and video_bytes:
        fd, tmp_video = tempfile.mkstemp(suffix=Path(clip_name or "clip.mp4").suffix or ".mp4")
        with os.fdopen(fd, "wb") as f:
            f.write(video_bytes)
        clip_path = tmp_video
    try:
        name = clip_name or Path(analysis.source or "clip").name
        pdf = _new_document(f"Squat form report – {client_label or name}")
        _header_section(pdf, analysis, client_label, recorded_at, name)
        _headline_section(pdf, analysis, corrections)
        _key_frames_section(pdf, analysis, clip_path, corrections)
        _cues_section(pdf, corrected_analysis(analysis, corrections))
        _physio_note_section(pdf, physio_note)
        _corrections_section(pdf, analysis, corrections)
        _rep_table_section(pdf, analysis, corrections)
        _box_section(pdf, analysis, corrections)
        _plots_section(pdf, analysis, history, session_id, corrections)
        _thresholds_section(pdf, analysis)
        _recording_notes_section(pdf, analysis)
        _consent_section(pdf, video_consent)
        _disclaimer_section(pdf)
        return bytes(pdf.output())
    finally:
        if tmp_video:
            os.unlink(tmp_video)


def _new_document(title: str):
    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    fd = _font_dir()
    pdf.add_font("DejaVu", "", os.path.join(fd, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(fd, "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", os.path.join(fd, "DejaVuSans-Oblique.ttf"))
    pdf.set_margins(14, 12, 14)
    pdf.set_auto_page_break(True, margin=18)
    pdf.footer_text = f"formcheck {__version__}"
    pdf.set_title(title)
    pdf.set_author("formcheck")
    pdf.add_page()
    return pdf


# A heading keeps at least this much of what follows on its page (a few lines of text or a
# table's first rows); a heading over a picture keeps the whole picture (keep_mm).
KEEP_WITH_NEXT_MM = 20.0


def _keep_with_next(pdf, height_mm: float) -> None:
    """Start a new page unless `height_mm` fits above the page foot (never on a fresh page)."""
    if pdf.get_y() + height_mm > pdf.page_break_trigger and pdf.get_y() > pdf.t_margin + 1:
        pdf.add_page()


def _heading(pdf, text: str, size: float = 11, keep_mm: float = KEEP_WITH_NEXT_MM) -> None:
    """A section heading, on the same page as the first `keep_mm` of what follows it."""
    _keep_with_next(pdf, 6 + keep_mm)
    pdf.set_font("DejaVu", "B", size)
    pdf.cell(pdf.epw, 6, text, new_x="LMARGIN", new_y="NEXT")


def _image_height_mm(png: io.BytesIO, width_mm: float) -> float:
    """The height of a PNG drawn `width_mm` wide."""
    from PIL import Image

    png.seek(0)
    with Image.open(png) as im:
        w, h = im.size
    png.seek(0)
    return width_mm * h / w


def _header_section(pdf, analysis, client_label, recorded_at, name) -> None:
    W = pdf.epw
    pdf.set_font("DejaVu", "B", 16)
    pdf.set_text_color(*ACCENT)
    pdf.cell(W, 8, "Box squat form report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 9)
    when = (recorded_at or dt.datetime.now()).strftime("%d %B %Y, %H:%M")
    who = f"Client: {client_label}   ·   " if client_label else ""
    pdf.multi_cell(W, 4.6, f"{who}Session: {when}   ·   Clip: {name}\n"
                   f"View: {analysis.view.view}   ·   Profile: {analysis.profile}   ·   "
                   f"Reps counted: {analysis.rep_count}   ·   Clip length: {analysis.duration_s:.1f} s",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _headline_section(pdf, analysis, corrections=()) -> None:
    W, line = pdf.epw, 5.2
    items = _headline(analysis, corrections)
    pdf.set_fill_color(*LIGHT)
    y0 = pdf.get_y()
    pdf.rect(pdf.l_margin, y0, W, line * len(items) + 3, style="F")
    pdf.set_y(y0 + 1.5)
    for label, value, flagged in items:
        pdf.set_x(pdf.l_margin + 3)
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(48, line, label)
        pdf.set_font("DejaVu", "B" if flagged else "", 9)
        if flagged:
            pdf.set_text_color(*RED)
        pdf.cell(W - 54, line, value + ("  ▲ over the limit" if flagged else ""),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_y(y0 + line * len(items) + 3 + 3)


def _caption_lines(row: dict, th) -> list[str]:
    """A key frame's caption: the rep's reported values (the table's numbers)."""

    def v(metric: str, spec: str, unit: str) -> str:
        return shown_value(metric, row[metric], th, spec, none="–") + ("" if row[metric] is None
                                                                       else unit)

    lines = [f"Depth: {row.get('depth_words') or DEPTH_WORDS.get(row['depth'], row['depth'])} "
             f"(thigh {v('thigh_angle_deg', '+.0f', '°')})",
             f"Knee past toes: {v('knee_over_toe_ratio', '+.2f', ' foot lengths')}",
             f"Shin {v('shin_angle_deg', '.0f', '°')} · knee bend "
             f"{_fmt(row['knee_flexion_deg'], '.0f', '°')}"]
    if row["fppa_deg"] is not None and row["view"] != "side":
        where = (f", {row['fppa_leg']} leg" if row.get("fppa_leg") in ("left", "right") else "") \
            + (f", peak at {row['fppa_peak_s']:.1f} s" if row.get("fppa_peak_s") is not None else "")
        lines.append(f"Knees-in angle (FPPA) {v('fppa_deg', '+.1f', '°')}{where}")
    return lines


def _key_frames_section(pdf, analysis, clip_path, corrections=()) -> None:
    picks = key_reps(analysis, excluded_reps(corrections))
    if not picks:
        return
    W = pdf.epw
    # drawn from the corrected analysis: a corrected value is the one on the picture, a value
    # marked wrong is not drawn (the caption below says the same)
    shown = corrected_analysis(analysis, corrections)
    frames = [key_frame(shown, i, clip_path) for i in picks]
    gap, max_h = 4, 88.0
    col_w = (W - gap * (MAX_KEY_FRAMES - 1)) / MAX_KEY_FRAMES
    sizes = []
    for img, _from_video in frames:
        h_px, w_px = img.shape[:2]
        w, h = col_w, col_w * h_px / w_px
        if h > max_h:
            h, w = max_h, max_h * w_px / h_px
        sizes.append((w, h))
    # the pictures and their captions are placed, not flowed: all of them stay with the heading
    _heading(pdf, "Bottom of the squat", keep_mm=max(h for _w, h in sizes) + 1.5 + 4 + 3.6 * 4 + 1)
    y = pdf.get_y()
    heights = []
    for k, ((img, _from_video), (w, h)) in enumerate(zip(frames, sizes)):
        pdf.image(_png(img), x=pdf.l_margin + k * (col_w + gap) + (col_w - w) / 2, y=y, w=w, h=h)
        heights.append(h)
    y_cap = y + max(heights) + 1.5
    rows = _rows(analysis, corrections)
    for k, i in enumerate(picks):
        row = rows[i]
        pdf.set_xy(pdf.l_margin + k * (col_w + gap), y_cap)
        pdf.set_font("DejaVu", "B", 8)
        pdf.cell(col_w, 4, f"Rep {row['rep']} at {row['bottom_s']:.1f} s", new_x="LEFT",
                 new_y="NEXT")
        pdf.set_font("DejaVu", "", 7.5)
        pdf.multi_cell(col_w, 3.6, "\n".join(_caption_lines(row, analysis.thresholds)),
                       new_x="LEFT", new_y="NEXT")
    pdf.set_y(y_cap + 4 + 3.6 * 4 + 1)
    if not frames[0][1]:
        pdf.set_font("DejaVu", "I", 7.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(W, 3.6, "The video was not kept, so the pictures are drawn from the "
                       "tracked body landmarks.", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _cues_section(pdf, analysis) -> None:
    W = pdf.epw
    _heading(pdf, "What we saw and what to try")
    for c in analysis.cues:
        _keep_with_next(pdf, 4.6 + 2 * 4.2)         # a cue's title with its first lines
        pdf.set_font("DejaVu", "B", 9)
        pdf.multi_cell(W, 4.6, c.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8.5)
        parts = [p for p in (c.seen, c.why) if p]
        if parts:
            pdf.multi_cell(W, 4.2, " ".join(parts), new_x="LMARGIN", new_y="NEXT")
        if c.try_this:
            pdf.set_font("DejaVu", "B", 8.5)
            pdf.cell(12, 4.2, "Try: ")
            pdf.set_font("DejaVu", "", 8.5)
            pdf.multi_cell(W - 12, 4.2, c.try_this, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.2)


def _corrections_section(pdf, analysis, corrections) -> None:
    """The physio's corrections, each with the original value and who made it."""
    if not corrections:
        return
    rows = {r["rep"]: r for r in rep_rows(analysis)}     # the original values
    pdf.ln(1)
    _heading(pdf, "Corrections by the physiotherapist")
    pdf.set_font("DejaVu", "", 8.5)
    for c in corrections:
        original = rows.get(c.rep, {}).get(c.metric) if c.metric else None
        pdf.multi_cell(pdf.epw, 4.4, f"• Rep {c.rep}: {c.words(original)}",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "I", 7.5)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(pdf.epw, 3.6, "Excluded reps and values marked wrong are left out of the "
                   "summary, the tables and the trends; the measured values stay on record.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _consent_section(pdf, video_consent: str) -> None:
    if not video_consent:
        return
    pdf.ln(2)
    _keep_with_next(pdf, 4.4 + 7.2)
    pdf.set_font("DejaVu", "B", 8)
    pdf.cell(pdf.epw, 4.4, "Video kept with the client's consent", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 7.5)
    pdf.multi_cell(pdf.epw, 3.6, video_consent, new_x="LMARGIN", new_y="NEXT")


def _physio_note_section(pdf, physio_note: str) -> None:
    if not physio_note:
        return
    pdf.ln(1)
    _heading(pdf, "Physiotherapist's note")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(pdf.epw, 4.6, physio_note, new_x="LMARGIN", new_y="NEXT")


def _rep_table_section(pdf, analysis, corrections=()) -> None:
    pdf.add_page()
    _heading(pdf, "Every rep")
    _rep_table(pdf, analysis, corrections)
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(pdf.epw, 3.4, "Thigh: angle to the horizontal at the bottom, + = hip below "
                   "the knee. Knee past toes: how far the knee is ahead of the toes, in lengths of "
                   "the foot (negative = behind the toes). Shin: angle from vertical. Knees in "
                   "(FPPA): frontal-plane knee angle, front view only; changes under about 8° are "
                   "within the error of a 2D video. Red: over the limit in use.",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _box_section(pdf, analysis, corrections=()) -> None:
    """The box per rep (report.box_fields): contact, how long, how high, and how much higher
    a box would keep the knee within the limit; of the reps that count (the physio's
    corrections applied: no advice from a value marked wrong)."""
    from .report import box_summary, box_words

    rows = [r for r in counted_rows(_rows(analysis, corrections)) if box_words(r)]
    if not rows:
        return
    W = pdf.epw
    _heading(pdf, "The box" if analysis.box else "A box for these squats")
    pdf.set_font("DejaVu", "", 8)
    for r in rows:
        pdf.multi_cell(W, 4.0, f"Rep {r['rep']}: {box_words(r)}", new_x="LMARGIN", new_y="NEXT")
    b = box_summary(rows)
    if b["hip_height_ratio_spread"] is not None:
        pdf.multi_cell(W, 4.0, f"Box height across the {b['reps_on_box']} reps on the box: spread "
                       f"{b['hip_height_ratio_spread']:.0%} of standing hip height ("
                       f"{'consistent' if b['consistent'] else 'inconsistent: same box every rep?'}).",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def chair_stand_pdf(result, *, source: str = "", client_label: str | None = None,
                    recorded_at: dt.datetime | None = None, history=()) -> bytes:
    """The PDF of one chair-stand test, as bytes: `result` is a chairstand.ChairStandResult or
    its report (chairstand.to_dict, as a client's session keeps it). `history`: the client's
    tests of this kind (store ChairStandPoint, oldest first), listed when there are two or
    more."""
    from .chairstand import TEST_30S, to_dict

    d = dict(result) if isinstance(result, dict) else to_dict(result, source)
    source = source or d.get("source") or ""
    name = "30-second chair stand" if d["test"] == TEST_30S else "Five-times sit-to-stand"
    pdf = _new_document(f"{name} – {client_label or source}")
    W = pdf.epw
    pdf.set_font("DejaVu", "B", 16)
    pdf.set_text_color(*ACCENT)
    pdf.cell(W, 8, name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 9)
    when = (recorded_at or dt.datetime.now()).strftime("%d %B %Y, %H:%M")
    who = f"Client: {client_label}   ·   " if client_label else ""
    pdf.multi_cell(W, 4.6, f"{who}Test: {when}   ·   Clip: {source}", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.ln(2)
    _heading(pdf, "Result")
    pdf.set_font("DejaVu", "", 10)
    if d["test"] == TEST_30S:
        main = f"{d['stands']} complete stands in {d['time_s']} s" if d["time_s"] else "no result"
    else:
        main = (f"{d['time_s']:.2f} s to sitting after the fifth stand" if d["time_s"] is not None
                else f"{d['stands']} complete stands: no time")
    pdf.multi_cell(W, 5.2, main + f"\nEnd point: {d['end_point']}.", new_x="LMARGIN", new_y="NEXT")
    n = d["norm"]
    if n:
        text = (f"{n['source']}, {n['band']}: normal range {n['low']}-{n['high']} stands; this "
                f"is {n['verdict']} it." if d["test"] == TEST_30S else
                f"{n['source']}, age {n['band']}: reference time {n['high']} s; this is "
                f"{n['verdict']}.")
        pdf.multi_cell(W, 5.2, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _heading(pdf, "Every stand")
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(col_widths=[12, 25, 25, 25, 30, 25], text_align="CENTER",
                   line_height=3.8) as table:
        table.row(["Stand", "Left the seat (s)", "Standing (s)", "Seated again (s)",
                   "Knee bend at the top (°)", "Arms off chest"])
        for s in d["per_stand"]:
            table.row([f"{s['stand']}{'' if s['complete'] else ' (incomplete)'}",
                       _fmt(s["leave_s"], ".2f"), _fmt(s["up_s"], ".2f"), _fmt(s["seat_s"], ".2f"),
                       _fmt(s["knee_flexion_top_deg"], ".0f"),
                       {True: "yes", False: "no", None: "–"}[s["arms_off_chest"]]])
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(W, 3.4, f"Times from {d['times_from']}.", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for note in d["notes"]:
        pdf.set_font("DejaVu", "", 8.5)
        pdf.multi_cell(W, 4.2, f"Note: {note}", new_x="LMARGIN", new_y="NEXT")
    history = [h for h in history if h.test == d["test"]]
    if len(history) >= 2:
        pdf.ln(2)
        _heading(pdf, f"This client's {name.lower()} tests")
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=[30, 25, 20, 40], text_align="CENTER", line_height=3.8) as table:
            table.row(["Date", "Complete stands", "Time (s)", "Against the norm"])
            for h in history:
                table.row([f"{h.recorded_at:%Y-%m-%d}", str(h.stands), _fmt(h.time_s, ".2f"),
                           h.verdict or "–"])
    _disclaimer_section(pdf)
    return bytes(pdf.output())


def _plots_section(pdf, analysis, history, session_id, corrections=()) -> None:
    W = pdf.epw
    if analysis.metrics:
        pdf.image(rep_plots(analysis, corrections), w=W)
        pdf.ln(1)
    if len(analysis.series.t_s):
        pdf.image(time_plot(analysis), w=W)
        pdf.ln(1)
    _progress_section(pdf, history, session_id)


def _progress_section(pdf, history, session_id) -> None:
    """The client's trends across sessions, the heading on the page of its plot."""
    if not history or len(history) < 2:
        return
    W = pdf.epw
    png = trend_plot(history, session_id)
    _heading(pdf, f"Progress across {len(history)} sessions", keep_mm=_image_height_mm(png, W))
    pdf.image(png, w=W)
    pdf.ln(1)


def _thresholds_section(pdf, analysis) -> None:
    if pdf.get_y() > pdf.h - 80:
        pdf.add_page()
    _heading(pdf, f"Thresholds used (profile: {analysis.profile})")
    _threshold_table(pdf, analysis.thresholds)


def _recording_notes_section(pdf, analysis) -> None:
    if not analysis.warnings:
        return
    pdf.ln(2)
    _keep_with_next(pdf, 5 + 8)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(pdf.epw, 5, "Notes on the recording", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    for w in analysis.warnings:
        pdf.multi_cell(pdf.epw, 4, f"• {w}", new_x="LMARGIN", new_y="NEXT")


def _disclaimer_section(pdf) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(pdf.epw, 4.6, DISCLAIMER, new_x="LMARGIN", new_y="NEXT")


def _rep_table(pdf, analysis, corrections=()) -> None:
    from fpdf.fonts import FontFace

    cols = [("Rep", 9), ("Bottom\n(s)", 13), ("Depth", 22), ("Thigh\n(°)", 13),
            ("Knee bend\n(°)", 16), ("Knee past\ntoes (foot)", 19), ("Shin\n(°)", 12),
            ("Trunk\n(°)", 12), ("Knees in\nFPPA (°)", 16), ("Pause\n(s)", 12), ("Flags", 38)]
    rows = _rows(analysis, corrections)
    th = analysis.thresholds
    if not rows:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(pdf.epw, 5, "No complete repetition was found in this clip.",
                       new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font("DejaVu", "", 7.5)
    red = FontFace(color=RED, emphasis="BOLD")
    with pdf.table(col_widths=[w for _, w in cols], text_align="CENTER", line_height=3.8,
                   headings_style=FontFace(emphasis="BOLD", fill_color=LIGHT),
                   first_row_as_headings=True, width=pdf.epw) as table:
        head = table.row()
        for name, _ in cols:
            head.cell(name)
        for r in rows:
            chk = r["checks"]

            def style(metric, r=r):
                return red if chk.get(metric) == "flag" and not r.get("excluded") else None

            def cell(metric, spec, r=r):
                return shown_value(metric, r[metric], th, spec, none="–")

            row = table.row()
            row.cell(str(r["rep"]))
            row.cell(_fmt(r["bottom_s"], ".1f"))
            row.cell(DEPTH_WORDS.get(r["depth"], r["depth"]))
            row.cell(cell("thigh_angle_deg", "+.0f"), style=style("thigh_angle_deg"))
            row.cell(_fmt(r["knee_flexion_deg"], ".0f"))
            row.cell(cell("knee_over_toe_ratio", "+.2f"), style=style("knee_over_toe_ratio"))
            row.cell(cell("shin_angle_deg", ".0f"), style=style("shin_angle_deg"))
            row.cell(cell("trunk_lean_deg", ".0f"), style=style("trunk_lean_deg"))
            row.cell(cell("fppa_deg", "+.1f") if r["view"] != "side" else "–",
                     style=style("fppa_deg"))
            row.cell(_fmt(r["pause_s"], ".1f"))
            if r.get("excluded"):
                row.cell("not a rep (physio)", style=FontFace(color=GREY, emphasis="ITALICS"))
            else:
                flags = ", ".join(FLAG_WORDS.get(f, (f,))[-1] for f in r["flags"]) or "none"
                fixed = [CORRECTABLE[m][0] for m in r.get("wrong", [])]
                row.cell(flags + (f"; corrected: {', '.join(fixed)}" if fixed else ""))


def _threshold_table(pdf, th: Thresholds) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font("DejaVu", "", 7.5)
    with pdf.table(col_widths=[56, 14, pdf.epw - 70], text_align=("LEFT", "CENTER", "LEFT"),
                   line_height=3.6, headings_style=FontFace(emphasis="BOLD", fill_color=LIGHT),
                   width=pdf.epw) as table:
        head = table.row()
        for h in ("Threshold", "Value", "Meaning"):
            head.cell(h)
        for f in fields(Thresholds):
            v = getattr(th, f.name)
            row = table.row()
            row.cell(LABELS.get(f.name, f.name))
            row.cell("none" if v is None else f"{v:g}")
            row.cell(HELP.get(f.name, ""))


# --- from the store -----------------------------------------------------------------------------------
def session_files(store, session_id: int) -> tuple[bytes, str]:
    """(PDF bytes, CSV text) of a saved session, rebuilt from its stored landmarks with the
    thresholds used at the time (and its video, if it was kept)."""
    info = store.get_session(session_id)
    analysis = store.load_analysis(session_id)
    corrections = store.corrections(session_id)
    history = [h for h in store.history(info.client_label) if h.recorded_at <= info.recorded_at]
    pdf = session_pdf(analysis, video_bytes=store.load_video(session_id),
                      client_label=info.client_label, recorded_at=info.recorded_at,
                      clip_name=info.clip_name, physio_note=info.physio_note, history=history,
                      session_id=session_id, corrections=corrections,
                      video_consent=info.video_consent)
    return pdf, csv_text(analysis, corrections)


def session_csv(analysis, corrections=()) -> str:
    """One row per rep (formcheck.report's CSV), with the physio's corrections."""
    return csv_text(analysis, corrections)
