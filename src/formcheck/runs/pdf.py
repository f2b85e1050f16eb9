"""A PDF of the running load and step rate to hand over (fpdf2 + matplotlib, as the squat PDF)."""

from __future__ import annotations

import io

from .load import Load, load_text
from .steprate import SOURCE, step_rate


def load_plot(load: Load) -> io.BytesIO:
    """Weekly distance (bars) and the ACWR (rolling and EWMA) with its zones."""
    from ..pdf_report import _fig_png, _plt

    plt = _plt()
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7.0, 4.2), sharex=True)
    x = list(range(len(load.weeks)))
    labels = [w.week_start.strftime("%d %b") for w in load.weeks]
    a1.bar(x, [w.distance_m / 1000 for w in load.weeks], color="#1f5fa8")
    a1.set_title("Weekly running distance (km)")
    a2.axhspan(0.8, 1.3, color="#d8f0d8", label="0.8-1.3 sweet spot")
    a2.axhline(1.5, color="#c0392b", lw=0.8, ls="--", label="1.5 spike")
    a2.plot(x, [w.acwr for w in load.weeks], marker="o", ms=3, label="ACWR (rolling)")
    a2.plot(x, [w.acwr_ewma for w in load.weeks], marker="o", ms=3, label="ACWR (EWMA)")
    a2.set_title("Acute:chronic workload ratio (7 / 28 days)")
    a2.legend(fontsize=6, loc="upper left", frameon=False)
    a2.set_xticks(x, labels, rotation=60, fontsize=6)
    fig.tight_layout()
    return _fig_png(fig)


def cadence_plot(load: Load) -> io.BytesIO | None:
    from ..pdf_report import _fig_png, _plt

    pts = [(i, w.cadence_spm) for i, w in enumerate(load.weeks) if w.cadence_spm]
    if not pts:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 1.8))
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3)
    ax.set_xticks(range(len(load.weeks)), [w.week_start.strftime("%d %b") for w in load.weeks],
                  rotation=60, fontsize=6)
    ax.set_title("Step rate by week (steps/min)")
    fig.tight_layout()
    return _fig_png(fig)


def runs_pdf(load: Load | None, runs, who: str) -> bytes:
    from ..pdf_report import _heading, _new_document

    pdf = _new_document(f"formcheck running: {who}")
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(pdf.epw, 9, f"Running load and step rate: {who}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    if load is None:
        pdf.multi_cell(pdf.epw, 5, "No running imported yet.")
        return bytes(pdf.output())
    nl = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.multi_cell(pdf.epw, 4.5, f"As of {load.as_of} ({load.days_of_history} days of history). "
                   "Load = running distance per day; only running, trail and treadmill count.",
                   **nl)
    pdf.image(load_plot(load), x=pdf.l_margin, w=pdf.epw)
    _heading(pdf, "Training load")
    pdf.set_font("DejaVu", "", 8.5)
    for block in load_text(load).split("\n\n")[2:]:
        pdf.multi_cell(pdf.epw, 4.3, block, **nl)
        pdf.ln(1)
    pdf.set_font("DejaVu", "", 7.5)
    with pdf.table(col_widths=(24, 14, 14, 10, 16, 14, 14, 18), text_align="RIGHT",
                   line_height=4) as t:
        t.row(["week of", "km", "time h", "runs", "change", "ACWR", "EWMA", "steps/min"])
        for w in load.weeks:
            t.row([str(w.week_start), f"{w.distance_m / 1000:.1f}", f"{w.duration_s / 3600:.1f}",
                   str(w.runs), "" if w.increase_ratio is None else f"{w.increase_ratio:+.0%}",
                   "" if w.acwr is None else f"{w.acwr:.2f}",
                   "" if w.acwr_ewma is None else f"{w.acwr_ewma:.2f}",
                   "" if w.cadence_spm is None else f"{w.cadence_spm:.0f}"])
    rated = [s for s in (step_rate(r) for r in runs) if s is not None]
    pdf.ln(2)
    _heading(pdf, "Step rate")
    pdf.set_font("DejaVu", "", 8.5)
    if rated:
        s = rated[-1]
        sd = "" if s.cadence_sd_spm is None else f" (spread ± {s.cadence_sd_spm:.0f})"
        pdf.multi_cell(pdf.epw, 4.5, f"Last run ({s.start[:10]}): {s.cadence_spm:.0f} steps/min"
                       f"{sd}. Targets: +5 % = {s.target_5_spm:.0f}, +10 % = "
                       f"{s.target_10_spm:.0f} steps/min at the same pace ({SOURCE}). A "
                       "metronome at the target: formcheck runs metronome SPM, or the app's "
                       "Running page.", **nl)
        img = cadence_plot(load)
        if img is not None:
            pdf.image(img, x=pdf.l_margin, w=pdf.epw)
    else:
        pdf.multi_cell(pdf.epw, 4.5, "No run with cadence (a watch's accelerometer or a "
                       "footpod records it).", **nl)
    return bytes(pdf.output())
