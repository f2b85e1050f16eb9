"""The session PDF: rendered to PNG with pdftoppm and read back with pdftotext (poppler-utils)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from clinic_helpers import squat, squat_analysis  # noqa: F401  (fixtures)
from formcheck.feedback import DISCLAIMER
from formcheck.pdf_report import key_reps, session_pdf
from formcheck.report import DEPTH_WORDS
from formcheck.report import rep_rows
from formcheck.thresholds import HELP, LABELS
from formcheck.values import fmt_num

pytestmark = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
                                reason="needs poppler-utils (apt-get install poppler-utils)")
FIXTURE = Path(__file__).resolve().parents[1] / "videos" / "fixtures" / "side_knees_past_toes.mp4"


def _render(pdf: bytes, tmp_path: Path) -> tuple[list[np.ndarray], str]:
    from PIL import Image

    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = [np.asarray(Image.open(p).convert("L")) for p in sorted(tmp_path.glob("page-*.png"))]
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return pages, text


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_session_pdf_has_frames_table_plots_cues_thresholds_and_disclaimer(squat, tmp_path):
    analysis, _ = squat
    pdf = session_pdf(analysis, client_label="knee-07", recorded_at=dt.datetime(2025, 3, 4, 10, 15),
                      physio_note="Box at 45 cm, pain 2/10.")
    assert pdf.startswith(b"%PDF")
    pages, text = _render(pdf, tmp_path)
    assert len(pages) == 2
    for p in pages:
        assert p.std() > 20, "page looks blank"
        assert (p < 128).mean() > 0.01
    # key frames and plots: page 1 has a large dark area (pictures), page 2 many grey levels (plots)
    assert (pages[0] < 90).mean() > 0.05
    flat = _flat(text)
    assert "Box squat form report" in flat and "Client: knee-07" in flat and "04 March 2025" in flat
    assert "Every rep" in flat and "Knee past" in flat and "Flags" in flat
    assert "Knees caving in needs a front view" in flat      # a side-view set
    rows = rep_rows(analysis)
    # every rep's row: its bottom time, then its depth ... knee travel, shin, as in the report
    for r in rows:
        cells = [fmt_num(r["bottom_s"], ".1f"), DEPTH_WORDS[r["depth"]],
                 fmt_num(r["thigh_angle_deg"], "+.0f"), fmt_num(r["knee_flexion_deg"], ".0f"),
                 fmt_num(r["knee_over_toe_ratio"], "+.2f"), fmt_num(r["shin_angle_deg"], ".0f")]
        if cells[-1] == "30" and r["shin_angle_deg"] != 30.0:   # never reads equal to the limit
            cells[-1] = fmt_num(r["shin_angle_deg"], ".1f")
        assert f"{r['rep']} {' '.join(cells)} " in flat
    assert "Rep 1 at" in flat and "Rep 3 at" in flat          # the key-frame captions
    # the knee ends level with the toes (0.00, limit 0.00): only the shin limit fired
    assert "Shin leans far forward Reps 1, 2: shin up to 38° from vertical (limit 30°)." in flat
    assert "Knee travels far past the toes" not in flat and "Sit back onto a box" in flat
    assert "Worst knee past toes 0.00 foot lengths (limit 0.00) Steepest shin 38° (limit 30°) " \
        "▲ over the limit" in flat
    assert "Thresholds used (profile: knee-rehab)" in flat
    assert f"{LABELS['knee_over_toe_max_ratio']} 0 {HELP['knee_over_toe_max_ratio']}" in flat
    assert "knee_over_toe_max_ratio" not in flat           # human labels, not field names
    assert "Box at 45 cm, pain 2/10." in flat
    assert _flat(DISCLAIMER) in flat
    assert flat.count("education, not diagnosis") == len(pages) + 1   # every page's footer + the end


def test_pdf_with_the_video_uses_real_frames_and_shows_progress(tmp_path):
    if not FIXTURE.is_file():
        pytest.skip("videos/fixtures/side_knees_past_toes.mp4 is missing")
    pytest.importorskip("av")
    from formcheck.report import SetSummary
    from formcheck.store.repo import TrendPoint

    analysis, _ = squat_analysis(source=str(FIXTURE))
    hist = [TrendPoint(i, dt.datetime(2025, 1, 1 + 7 * i), "side",
                       SetSummary(3, 3, 0.3 - 0.1 * i, 1, 40 - 5 * i, 0.0, -5.0, 5.0, None, 30.0,
                                  "parallel")) for i in range(3)]
    pdf = session_pdf(analysis, clip_path=FIXTURE, history=hist, session_id=2)
    pages, text = _render(pdf, tmp_path)
    assert len(pages) == 3      # summary and pictures; table and plots; progress and thresholds
    flat = _flat(text)
    assert "Progress across 3 sessions" in flat
    assert "drawn from the tracked body landmarks" not in flat    # real video frames


def test_front_view_pdf_shows_the_peak_knees_in_angle_against_the_published_limit(tmp_path):
    from formcheck.analysis import analyze_sequence
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    reps = [RepSpec(valgus_px=40.0, thigh_deg=-30.0, shin_deg=30.0)] * 2
    analysis = analyze_sequence(squat_sequence(reps, view="front"), get_profile("general"),
                                "general")
    assert analysis.view.view == "front" and analysis.rep_count == 2
    worst = max(round(m.fppa_deg, 1) for m in analysis.metrics)
    _, text = _render(session_pdf(analysis), tmp_path)
    assert f"Knees caving in up to {worst:.1f}° (limit 12.7°)" in _flat(text)


def test_pdf_without_reps_still_renders(tmp_path):
    from formcheck.analysis import analyze_sequence
    from formcheck.thresholds import get_profile
    from clinic_helpers import squat_sequence

    raw = squat_sequence(reps=1)
    standing = raw.replace(xy_px=np.repeat(raw.xy_px[:1], len(raw), axis=0))
    analysis = analyze_sequence(standing, get_profile("general"), "general")
    assert analysis.rep_count == 0
    pages, text = _render(session_pdf(analysis), tmp_path)
    assert len(pages) == 2      # the summary; then the (empty) table and the thresholds
    assert "No complete repetition" in _flat(text)


def test_key_reps_picks_at_most_three_telling_reps():
    analysis, _ = squat_analysis(reps=5, bottom_thigh_deg=(5, 0, -5, -10, 2),
                                 bottom_shin_deg=(38, 30, 24, 20, 44))
    picks = key_reps(analysis)
    assert len(picks) == 3 and picks == sorted(picks)
    worst = max(range(5), key=lambda i: analysis.metrics[i].knee_over_toe_ratio)
    assert worst in picks


def test_box_section_gives_contact_height_and_the_higher_box_in_cm(tmp_path):
    from formcheck.analysis import analyze_sequence, with_body_size
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    on_box = RepSpec(thigh_deg=0.0, shin_deg=40.0, pause_s=1.0)
    free = RepSpec(thigh_deg=-30.0, shin_deg=25.0, pause_s=0.0)
    a = with_body_size(analyze_sequence(squat_sequence([on_box, free]), get_profile("knee-rehab"),
                                        "knee-rehab"), height_cm=175)
    rows = rep_rows(a)
    _, text = _render(session_pdf(a), tmp_path)
    text = " ".join(text.split())
    from formcheck.report import box_words

    assert f"Rep 1: {box_words(rows[0])}" in text
    assert (f"Rep 1: On the box: paused sit {rows[0]['box_contact_s']:.2f} s; hip at "
            f"{rows[0]['box_hip_height_ratio']:.0%} of standing hip height") in text
    assert f"a box about {rows[0]['higher_box_cm']:.0f} cm higher" in text
    assert f"Rep 2: {box_words(rows[1])}" in text
    assert "Rep 2: Turned around without sitting on the box. The knee stayed within the limit" in text


def test_chair_stand_pdf_gives_the_result_the_norm_and_every_stand(tmp_path):
    from formcheck.analysis import analyze_sequence
    from formcheck.chairstand import TEST_5X, from_analysis
    from formcheck.pdf_report import chair_stand_pdf
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    sit = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25,
                  up_s=0.9, rest_s=0.3)
    seq = squat_sequence([sit] * 6, lead_s=0.3, seated_start_s=1.0, seated_end_s=1.0, arms="chest")
    r = from_analysis(analyze_sequence(seq, get_profile("general")), TEST_5X, age=70)
    _, text = _render(chair_stand_pdf(r, source="sts.mp4", client_label="A. Client"), tmp_path)
    text = " ".join(text.split())
    assert f"{r.time_s:.2f} s to sitting after the fifth stand" in text
    assert "Bohannon 2006, age 70-79: reference time 12.6 s; this is faster." in text
    assert "Client: A. Client" in text
    assert DISCLAIMER.split(".")[0] in text


def test_chair_stand_pdf_from_a_saved_report_lists_the_clients_tests(tmp_path):
    """The client's record: the PDF of a saved test (its report, chairstand.to_dict) with the
    client's earlier tests of the same kind."""
    import datetime as dt

    from formcheck.analysis import analyze_sequence
    from formcheck.chairstand import TEST_5X, TEST_30S, from_analysis, to_dict
    from formcheck.pdf_report import chair_stand_pdf
    from formcheck.store.repo import ChairStandPoint
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    sit = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25,
                  up_s=0.9, rest_s=0.3)
    seq = squat_sequence([sit] * 6, lead_s=0.3, seated_start_s=1.0, seated_end_s=1.0, arms="chest")
    d = to_dict(from_analysis(analyze_sequence(seq, get_profile("general")), TEST_30S, 72, "F"),
                "week3.mp4")
    day = dt.datetime(2026, 11, 2, 9, 0)
    hist = [ChairStandPoint(1, day, TEST_30S, 5, 30.0, "below"),
            ChairStandPoint(2, day + dt.timedelta(days=7), TEST_5X, 5, 11.0, None),
            ChairStandPoint(3, day + dt.timedelta(days=14), TEST_30S, d["stands"], 30.0, None)]
    _, text = _render(chair_stand_pdf(d, client_label="sts-01", recorded_at=hist[2].recorded_at,
                                      history=hist), tmp_path)
    text = " ".join(text.split())
    assert "Client: sts-01 · Test: 16 November 2026, 09:00 · Clip: week3.mp4" in text
    assert f"{d['stands']} complete stands in {d['time_s']} s" in text
    assert "This client's 30-second chair stand tests" in text
    assert "Date Complete stands Time (s) Against the norm" in text
    assert "2026-11-02 5 30.00 below" in text
    assert f"2026-11-16 {d['stands']} 30.00 –" in text
    assert "2026-11-09" not in text                      # the other test's kind is left out
    # one test of its kind: no list
    _, text = _render(chair_stand_pdf(d, history=hist[1:]), tmp_path)
    assert "This client's" not in " ".join(text.split())


# Headings of the session PDF (pdf_report: _heading and the small bold ones); a page must not
# end with one of them (issue 23: "Progress" sat alone at a page foot, its plot overleaf).
HEADINGS = ("Bottom of the squat", "What we saw and what to try", "Corrections by the "
            "physiotherapist", "Physiotherapist's note", "Every rep", "The box",
            "A box for these squats", "Progress across", "Thresholds used",
            "Notes on the recording", "Video kept with the client's consent")
FOOT_PT = 18 / 25.4 * 72          # the page foot (auto page break margin, 18 mm) in points


def _page_endings(pdf: bytes, tmp_path: Path) -> list[tuple[str, bool]]:
    """Per page: its last line of text above the page foot (pdftotext -bbox) and whether
    anything is drawn below that line (pdftoppm at 72 dpi: a picture under the last text)."""
    import re

    from PIL import Image

    path = tmp_path / "ends.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    for old in tmp_path.glob("end-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "72", "-png", str(path), str(tmp_path / "end")], check=True)
    images = sorted(tmp_path.glob("end-*.png"))
    out = []
    for k, page in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", html, re.S)):
        words = [(float(y0), float(y1), w) for y0, y1, w in re.findall(
            r'<word xMin="[^"]+" yMin="([^"]+)" xMax="[^"]+" yMax="([^"]+)">([^<]*)</word>', page)]
        img = np.asarray(Image.open(images[k]).convert("L"))
        body = [w for w in words if w[1] < img.shape[0] - FOOT_PT]
        if not body:
            out.append(("", True))
            continue
        last_y = max(w[0] for w in body)
        line = " ".join(w[2] for w in body if abs(w[0] - last_y) < 2)
        below = img[int(max(w[1] for w in body if abs(w[0] - last_y) < 2)) + 2:
                    int(img.shape[0] - FOOT_PT)]
        out.append((line, bool((below < 200).any())))
    return out


def _orphans(endings) -> list[str]:
    return [line for line, drawn_below in endings
            if not drawn_below and line.startswith(HEADINGS)]


def test_the_progress_heading_stays_with_its_plot_wherever_it_falls(squat, tmp_path):
    """The heading is drawn at every height down a page (4 mm apart): it is never the last
    thing on a page, and its plot is on its page."""
    from formcheck.pdf_report import _new_document, _progress_section
    from formcheck.report import SetSummary
    from formcheck.store.repo import TrendPoint

    hist = [TrendPoint(i, dt.datetime(2025, 1, 1 + 7 * i), "side",
                       SetSummary(3, 3, 0.3 - 0.1 * i, 1, 40 - 5 * i, 0.0, -5.0, 5.0, None, 30.0,
                                  "parallel")) for i in range(3)]
    pdf = _new_document("sweep")
    for y in np.arange(200.0, 280.0, 4.0):
        pdf.add_page()
        pdf.set_y(float(y))
        _progress_section(pdf, hist, 2)
    endings = _page_endings(bytes(pdf.output()), tmp_path)
    assert _orphans(endings) == []
    headed = [k for k, (line, _) in enumerate(endings) if line.startswith("Progress across")]
    assert headed, "no page shows the heading last: the sweep did not test the page foot"
    assert all(endings[k][1] for k in headed)      # its plot drawn under it, on its page


@pytest.mark.slow
def test_no_page_of_a_multi_session_report_ends_with_a_heading(squat, tmp_path):
    """A client with three sessions and a long note (the Progress heading used to sit alone at
    the foot of page 2, its plot on page 3): each page's last line, read with pdftotext, is
    not a heading with nothing under it."""
    from formcheck.report import Correction, SetSummary
    from formcheck.store.repo import TrendPoint

    analysis, _ = squat
    hist = [TrendPoint(i, dt.datetime(2025, 1, 1 + 7 * i), "side",
                       SetSummary(3, 3, 0.3 - 0.1 * i, 1, 40 - 5 * i, 0.0, -5.0, 5.0, None, 30.0,
                                  "parallel")) for i in range(3)]
    corrections = [Correction(1, "wrong_value", "knee_flexion_deg", "measured by hand on frame 12",
                              "ana", dt.datetime(2026, 12, 1), 1, 95.0)]
    for lines in (1, 8, 16):
        pdf = session_pdf(analysis, history=hist, session_id=2, corrections=corrections,
                          physio_note="\n".join(f"Note line {k}" for k in range(lines)),
                          video_consent="shown to the client")
        endings = _page_endings(pdf, tmp_path)
        assert len(endings) >= 3
        assert _orphans(endings) == [], endings
