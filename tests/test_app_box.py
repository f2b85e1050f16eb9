"""The box in the app (issue 11): the rep tables gain the box columns (report.box_parts) when a
rep of the set touched the box, and lose them when none did; the bottom frame's caption is
report.box_words. Driven with Streamlit's AppTest on synthetic squatters (no model)."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from formcheck.analysis import analyze_sequence  # noqa: E402
from formcheck.report import box_parts, box_words, rep_rows  # noqa: E402
from formcheck.store import open_store  # noqa: E402
from formcheck.store.db import close_all  # noqa: E402
from formcheck.synthetic import RepSpec, squat_sequence  # noqa: E402
from formcheck.thresholds import get_profile  # noqa: E402

ON_BOX = RepSpec(thigh_deg=0.0, shin_deg=40.0, pause_s=1.0)      # a paused sit, knee past the toes
FREE = RepSpec(thigh_deg=-30.0, shin_deg=25.0, pause_s=0.0)      # turns around above the box
SETS = {"box": [ON_BOX, FREE], "free": [FREE, FREE]}
BASE = ["Rep", "Bottom s", "Depth", "Hip height", "Thigh °", "Knee bend °", "Knee past toes",
        "Shin °", "Trunk lean °", "Knees in °", "Down s", "Pause s", "Up s"]
BOX = ["Box", "Box hip height", "Higher box"]
WITH_BOX = BASE[:4] + BOX + BASE[4:]          # after the hip height


def _set(which: str):
    raw = squat_sequence(SETS[which])
    return analyze_sequence(raw, get_profile("knee-rehab"), "knee-rehab"), raw


def _results_page():
    """The Analyse page's results view (components.results), with a grey bottom frame."""
    import numpy as np
    import streamlit as st

    from formcheck.app import components
    from test_app_box import _set

    a, _ = _set(st.session_state.get("which", "box"))
    components.results(a, "clip.mp4", key="t", get_frame=lambda i: np.full((64, 48, 3), 128, np.uint8))


def _tables(at) -> dict:
    return {tuple(d.value.columns)[:4]: d.value for d in at.dataframe}


def _results(which: str) -> AppTest:
    at = AppTest.from_function(_results_page, default_timeout=120)
    at.session_state["which"] = which
    at.run()
    assert not at.exception, at.exception
    return at


def test_analyse_results_show_the_box_columns_when_a_rep_touched_the_box():
    at = _results("box")
    rows = rep_rows(_set("box")[0])
    assert [r["box_contact"] for r in rows] == [True, False]
    compact, full = at.dataframe[0].value, at.dataframe[1].value
    assert list(compact.columns) == ["Rep", "Depth", "Knee past toes", "Flag", "Box s"]
    assert list(full.columns) == WITH_BOX
    # the phone table's short words (report.box_parts(short=True)), the full table's long ones
    assert compact["Box s"].tolist() == [box_parts(r, short=True)["contact"] for r in rows]
    assert compact["Box s"].tolist() == [f"sat {rows[0]['box_contact_s']:.2f}", "none"]
    assert full["Box"].tolist() == [box_parts(r)["contact"] for r in rows]
    assert full["Box"].tolist() == [f"paused sit {rows[0]['box_contact_s']:.2f} s",
                                    "not on the box"]
    assert full["Box hip height"].tolist() == [box_parts(rows[0])["hip"], ""]
    assert full["Box hip height"][0].endswith("% of standing")        # no height given: no cm
    assert full["Higher box"].tolist() == [box_parts(r)["higher"] for r in rows]
    assert full["Higher box"][0].endswith(" shin lengths higher")
    assert full["Higher box"][1] == "within the limit"
    # under the bottom frame of rep 1: the box words
    captions = [c.value for c in at.caption]
    assert box_words(rows[0]) in captions


def test_analyse_results_hide_the_box_columns_when_no_rep_touched_the_box():
    at = _results("free")
    rows = rep_rows(_set("free")[0])
    assert not any(r["box_contact"] for r in rows)
    assert list(at.dataframe[0].value.columns) == ["Rep", "Depth", "Knee past toes", "Flag"]
    assert list(at.dataframe[1].value.columns) == BASE
    captions = [c.value for c in at.caption]
    assert not any(c.startswith(("On the box", "Turned around")) for c in captions)
    # the higher-box advice alone stays (here: the knee stayed within the limit)
    assert rows[0]["box_advice"] in captions


# --- the clients page: a saved session's rep table -------------------------------------------------
@pytest.fixture
def clinic(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    yield open_store()
    close_all()


def _clients_page():
    from formcheck.app import clients_page

    clients_page.render()


def _rep_table(at):
    found = [d.value for d in at.dataframe if list(d.value.columns[:3]) == BASE[:3]]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def test_clients_page_rep_table_with_and_without_the_box(clinic):
    clinic.add_client("knee-07", profile="knee-rehab")
    for which in ("free", "box"):                       # session 1 off the box, 2 on it
        clinic.save_session("knee-07", *_set(which))
    clinic.add_correction(2, 2, "not_a_rep", author="ana", note="stood up to adjust")
    at = AppTest.from_function(_clients_page, default_timeout=120)
    at.run()
    at.selectbox(key="client_select").select("knee-07").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="detail_knee-07").value == 2      # the newest session first
    df = _rep_table(at)
    rows = rep_rows(clinic.load_analysis(2))
    assert list(df.columns) == WITH_BOX
    assert df["Rep"].tolist() == ["1", "2 excluded"]
    assert df["Box"].tolist() == [box_parts(r)["contact"] for r in rows]
    assert df["Higher box"].tolist() == [box_parts(r)["higher"] for r in rows]
    at.selectbox(key="detail_knee-07").select(1).run()
    assert not at.exception, at.exception
    df = _rep_table(at)
    assert list(df.columns) == BASE
    assert df["Rep"].tolist() == ["1", "2"]


# --- the live page: the same box control as the Analyse page -----------------------------------
def _live_page():
    """The Live page after STOP (a finished set in its holder); the camera widget faked."""
    import types

    import streamlit_webrtc

    from formcheck.app import live_page
    from test_app_box import _set

    holder = live_page._holder()
    if holder["entry"] is None:
        a, raw = _set("box")
        holder["entry"] = {"raw": raw, "base": a, "by_view": {}, "clip_path": None,
                           "folder": None, "name": "Live set", "video": None, "frames": {}}
    real = streamlit_webrtc.webrtc_streamer
    streamlit_webrtc.webrtc_streamer = lambda **kw: types.SimpleNamespace(
        state=types.SimpleNamespace(playing=False))
    try:
        live_page.render()
    finally:
        streamlit_webrtc.webrtc_streamer = real


def test_the_live_page_has_the_box_control_and_its_set_says_what_a_clip_would():
    from formcheck.analysis import rescore, with_body_size, with_box

    pytest.importorskip("streamlit_webrtc")
    at = AppTest.from_function(_live_page, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    box = at.checkbox(key="box_general")              # general: not a box squat by default
    assert box.label == "Squatting onto a box or chair" and box.value is False
    assert list(at.dataframe[0].value.columns) == ["Rep", "Depth", "Knee past toes", "Flag"]
    box.check().run()
    at.number_input(key="height_cm").set_value(172).run()
    assert not at.exception, at.exception
    a, _ = _set("box")
    want = rep_rows(with_box(with_body_size(rescore(a, get_profile("general"), "general"),
                                            height_cm=172), True))
    compact, full = at.dataframe[0].value, at.dataframe[1].value
    assert compact["Box s"].tolist() == [box_parts(r, short=True)["contact"] for r in want]
    assert full["Box hip height"].tolist() == [box_parts(r)["hip"] for r in want]
    assert full["Box hip height"][0].endswith(" cm)")          # the height given: cm
    # what the Clients page would save: the set as shown
    published = at.session_state["analysis"]
    assert (published.box, published.height_cm) == (True, 172.0)
    assert rep_rows(published) == want


def test_the_bottom_frames_are_drawn_again_when_the_box_setting_changes(monkeypatch):
    """The drawn bottom frame carries the box words (overlay): ticking or unticking 'Squatting
    onto a box or chair' must not show a frame drawn with the other setting."""
    from formcheck import render
    from formcheck.analysis import with_box
    from formcheck.app import upload_page

    drawn = []

    def fake_bottom_frame(clip, analysis, i):
        drawn.append((i, analysis.box))
        return analysis.box

    monkeypatch.setattr(render, "bottom_frame", fake_bottom_frame)
    a, _ = _set("box")
    entry = {"clip_path": "clip.mp4", "frames": {}}
    assert upload_page._frame_getter(entry, with_box(a, True))(0) is True
    assert upload_page._frame_getter(entry, with_box(a, False))(0) is False
    assert upload_page._frame_getter(entry, with_box(a, True))(0) is True     # cached
    assert drawn == [(0, True), (0, False)]
