"""User text is text: labels, notes and file names show as typed in the PDF (the app's
rendering is checked in a real browser in test_browser_clinic.py)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from clinic_helpers import squat  # noqa: F401 - fixture
from formcheck.app.safe_text import WORD_JOINER, md

LABEL = "**knee** <b>07</b>"
NOTE = "![p](http://192.0.2.9/pixel.png) _see_ <img src='http://192.0.2.9/n.png'> # not a heading"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_pdf_shows_markdown_and_html_literally_and_links_nothing(squat, tmp_path):
    from formcheck.pdf_report import session_pdf

    analysis, _ = squat
    pdf = session_pdf(analysis, client_label=LABEL, recorded_at=dt.datetime(2025, 3, 4),
                      clip_name="<i>clip</i>.mp4", physio_note=NOTE)
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    assert f"Client: {LABEL}" in flat and "<i>clip</i>.mp4" in flat and NOTE in flat
    assert b"/URI" not in pdf and b"/Link" not in pdf


def test_md_escapes_every_markdown_and_streamlit_construct():
    assert md("side_view.mp4") == "side\\_view.mp4"
    assert md("# title\n1. one\n- two\n    code") == "\\# title  \n1\\. one  \n\\- two  \ncode"
    assert md(":red[alarm] :material/home: $x$") == "\\:red\\[alarm\\] \\:material/home\\: \\$x\\$"
    assert md("see http://x.org") == f"see http\\:{WORD_JOINER}//x.org"
    assert md("plain words, 3 reps.") == "plain words, 3 reps."
