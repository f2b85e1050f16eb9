"""AppTest: the Analyse page's "Chair-stand test" mode (app/chairstand_panel.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _panel_app():
    import streamlit as st

    from formcheck.analysis import analyze_sequence
    from formcheck.app import chairstand_panel
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    if "cs_analysis" not in st.session_state:
        sit = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25,
                      up_s=0.9, rest_s=0.3)
        seq = squat_sequence([sit] * 6, lead_s=0.3, seated_start_s=1.0, seated_end_s=1.0,
                             arms="chest")
        st.session_state["cs_analysis"] = analyze_sequence(seq, get_profile("general"))
    if chairstand_panel.chosen():
        chairstand_panel.render(st.session_state["cs_analysis"], "sts.mp4")


def test_the_analyse_page_offers_the_chair_stand_mode():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert "Chair-stand test" in at.button_group(key="analyse_mode").options


def test_chair_stand_mode_counts_times_and_compares_with_the_norms():
    at = AppTest.from_function(_panel_app, default_timeout=120)
    at.run()
    assert not at.exception
    assert not at.metric                                  # squat analysis mode: no test shown
    at.button_group(key="analyse_mode").set_value("Chair-stand test").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Complete stands"] == "7"              # 30-s test: all seven stands
    at.radio(key="cs_test").set_value("five-times-sit-to-stand").run()
    at.number_input(key="cs_age").set_value(70).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Complete stands"] == "5"
    t = float(metrics["Time"].rstrip(" s"))
    assert t == pytest.approx(0.9 + 4 * 2.35 + 0.3 + 0.9, abs=0.3)
    assert metrics["Bohannon 2006 (age 70-79)"] == "12.6 s"
    assert any("faster" in m.value for m in at.markdown)


def _squat_clip_panel_app():
    import streamlit as st

    from formcheck.analysis import analyze_sequence
    from formcheck.app import chairstand_panel
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    a = analyze_sequence(squat_sequence([RepSpec(thigh_deg=0.0, shin_deg=30.0)] * 3),
                         get_profile("general"))
    if chairstand_panel.chosen():
        st.session_state["shown"] = chairstand_panel.render(a, "squats.mp4")


def test_a_squat_clip_in_the_chair_stand_mode_shows_why_and_no_empty_tables():
    at = AppTest.from_function(_squat_clip_panel_app, default_timeout=120)
    at.run()
    at.button_group(key="analyse_mode").set_value("Chair-stand test").run()
    assert not at.exception
    assert at.session_state["shown"] is None
    assert not at.metric and not at.dataframe and not at.get("download_button")
    assert "does not start seated" in at.warning[0].value
    assert at.info[0].value.startswith("No stand was found in squats.mp4. Upload the clip")
    assert at.number_input(key="cs_age").value is None          # not given, not 0


def test_the_page_title_says_which_test_is_analysed():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert at.title[0].value == "Analyse a squat clip"
    at.button_group(key="analyse_mode").set_value("Chair-stand test").run()
    assert at.title[0].value == "Analyse a chair-stand test"
