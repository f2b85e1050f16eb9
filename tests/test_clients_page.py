"""The Clients page, driven with Streamlit's AppTest (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from clinic_helpers import squat_analysis  # noqa: E402
from formcheck.store import open_store  # noqa: E402
from formcheck.store.db import close_all  # noqa: E402


def _page():
    from formcheck.app import clients_page

    clients_page.render()


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    yield open_store()
    close_all()


def _app() -> AppTest:
    at = AppTest.from_function(_page, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_empty_clinic_asks_for_a_client(clinic):
    at = _app()
    assert "Choose a client" in at.info[0].value


def test_save_the_current_analysis_then_see_progress_and_compare(clinic):
    clinic.add_client("knee-07", profile="knee-rehab")
    for seed in range(2):
        a, raw = squat_analysis(seed=seed)
        clinic.save_session("knee-07", a, raw)
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    # no analysis in this browser session yet
    assert any("No clip analysed yet" in i.value for i in at.info)
    # progress table and comparison rendered
    assert len(at.dataframe) >= 2
    # now an analysis arrives from the Analyse page (with the general profile)
    a, raw = squat_analysis(profile="general", seed=5)
    at.session_state["analysis"] = a
    at.session_state["raw_landmarks"] = raw
    at.session_state["clip_name"] = "visit3.mp4"
    at.run()
    assert at.checkbox(key="save_rescore").value is True
    at.text_area(key="save_note").input("box 45 cm")
    at.button[[b.label for b in at.button].index("Save session")].click().run()
    assert not at.exception, at.exception
    assert any("Saved as session 3" in s.value for s in at.success)
    s3 = clinic.get_session(3)
    assert s3.profile == "knee-rehab" and s3.physio_note == "box 45 cm" and s3.clip_name == "visit3.mp4"
    assert clinic.get_client("knee-07").session_count == 3


def test_analyse_page_uses_the_chosen_clients_targets(clinic):
    clinic.add_client("knee-12", profile="knee-rehab",
                      threshold_overrides={"knee_over_toe_max_ratio": -0.1})
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"),
                           default_timeout=120)
    at.run()
    assert not at.exception
    at.toggle(key="clinic_mode").set_value(True).run()
    at.selectbox(key="client_select").set_value("knee-12").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="profile").value == "knee-rehab"
    assert at.number_input(key="th_knee-rehab_knee_over_toe_max_ratio").value == -0.1
    assert any("knee-12's targets" in c.value for c in at.sidebar.caption)
