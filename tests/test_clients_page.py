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
    assert len(at.dataframe) == 3     # the sessions table, the session's reps and the comparison
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


def test_the_comparison_shows_the_library_summary_of_both_sessions(clinic):
    from formcheck.app.clients_page import _worst_rep
    from formcheck.report import analysis_summary

    clinic.add_client("knee-07", profile="knee-rehab")
    for seed, shins in enumerate([(40.0, 34.0, 30.0), (25.0, 24.0, 22.0)]):
        a, raw = squat_analysis(seed=seed, bottom_shin_deg=shins)
        clinic.save_session("knee-07", a, raw)
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "measure" in d.value.columns)
    first, second = (analysis_summary(clinic.load_analysis(i)) for i in (1, 2))
    rows = {r["measure"]: list(r.values)[1:] for _, r in table.iterrows()}
    shin = [first.worst_shin_angle_deg, second.worst_shin_angle_deg]
    assert rows["Steepest shin (°)"] == [f"{shin[0]:.0f}", f"{shin[1]:.0f}",
                                         f"{shin[1] - shin[0]:+.0f}"]
    assert rows["Reps"] == ["3", "3", "+0"]
    assert rows["Reps flagged"] == [str(first.reps_flagged), str(second.reps_flagged),
                                    f"{second.reps_flagged - first.reps_flagged:+d}"]
    # the rep picked for the picture is the summary's worst knee
    assert _worst_rep(clinic.load_analysis(1)) == first.worst_knee_rep - 1


def test_the_header_counts_the_session_just_saved(clinic):
    clinic.add_client("knee-07", profile="knee-rehab")
    a, raw = squat_analysis(seed=0)
    clinic.save_session("knee-07", a, raw)
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    assert any("· 1 session" in c.value and "sessions" not in c.value for c in at.caption)
    at.session_state["analysis"] = a
    at.session_state["raw_landmarks"] = raw
    at.session_state["clip_name"] = "visit2.mp4"
    at.run()
    at.button[[b.label for b in at.button].index("Save session")].click().run()
    assert not at.exception, at.exception
    assert any("Saved as session 2" in s.value for s in at.success)
    assert any("· 2 sessions" in c.value for c in at.caption)


def _save_button(at):
    return at.button[[b.label for b in at.button].index("Save session")]


def test_the_same_analysis_is_not_saved_twice_and_says_so(clinic):
    clinic.add_client("knee-07", profile="knee-rehab")
    a, raw = squat_analysis(seed=0)
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    at.session_state["analysis"] = a
    at.session_state["raw_landmarks"] = raw
    at.session_state["clip_name"] = "visit1.mp4"
    at.run()
    assert not at.warning and _save_button(at).disabled is False
    _save_button(at).click().run()
    assert any("Saved as session 1" in s.value for s in at.success)
    assert [w.value for w in at.warning] == [
        "This analysis is already saved for knee-07 as session 1; it is not saved twice. "
        "Analyse another clip, or change the thresholds, to save a new session."]
    assert _save_button(at).disabled is True
    _save_button(at).click().run()
    assert [s.id for s in clinic.list_sessions("knee-07")] == [1]
    # another analysis (another clip) can be saved; the one deleted since can be saved again
    b, raw_b = squat_analysis(seed=1)
    at.session_state["analysis"] = b
    at.session_state["raw_landmarks"] = raw_b
    at.run()
    assert not at.warning and _save_button(at).disabled is False
    clinic.delete_session(1, actor="test")
    at.session_state["analysis"] = a
    at.session_state["raw_landmarks"] = raw
    at.run()
    assert not at.warning and _save_button(at).disabled is False


def test_what_is_saved_is_named_as_what_it_is(clinic):
    clinic.add_client("knee-07", profile="knee-rehab")
    a, raw = squat_analysis(seed=0)
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    at.session_state["analysis"] = a
    at.session_state["raw_landmarks"] = raw
    at.session_state["clip_name"] = "Live set 2026-12-07 06-40"
    at.session_state["result_kind"] = "live"
    at.run()
    assert "Current analysis: **Live set 2026-12-07 06-40**, a live set of 3 reps, side view, " \
           "profile knee-rehab." in [m.value for m in at.markdown]


def test_a_correction_made_on_the_page_names_its_author_and_can_be_withdrawn(clinic):
    clinic.add_client("knee-07", profile="knee-rehab")
    a, raw = squat_analysis(seed=0)
    sid = clinic.save_session("knee-07", a, raw).id
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    at.selectbox(key=f"corr_rep_{sid}").select(2)
    at.selectbox(key=f"corr_what_{sid}").select("Not a rep (exclude it)")
    at.text_input(key=f"corr_note_{sid}").input("stood up halfway")
    at.button[[b.label for b in at.button].index("Save correction")].click().run()
    assert not at.exception, at.exception
    (c,) = clinic.corrections(sid)
    assert (c.rep, c.kind, c.author, c.note) == (2, "not_a_rep", "local", "stood up halfway")
    assert any(m.value.startswith("**Rep 2:** not a rep (by local, ") for m in at.markdown)
    assert clinic.history("knee-07")[0].summary.rep_count == 2
    at.button(key=f"undo_corr_{c.id}").click().run()
    assert not at.exception, at.exception
    assert clinic.corrections(sid) == []
    assert clinic.history("knee-07")[0].summary.rep_count == 3


def test_a_chair_stand_test_is_saved_from_the_analyse_page_and_trended(clinic):
    from formcheck.analysis import analyze_sequence
    from formcheck.chairstand import TEST_30S, from_analysis
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    sit = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25,
                  up_s=0.9, rest_s=0.3)
    clinic.add_client("sts-01", profile="general")
    at = _app()
    at.selectbox(key="client_select").select("sts-01").run()
    for n, clip in ((4, "week1.mp4"), (6, "week3.mp4")):
        raw = squat_sequence([sit] * n, lead_s=0.3, seated_start_s=1.0, seated_end_s=1.0,
                             arms="chest")
        a = analyze_sequence(raw, get_profile("general"), "general")
        at.session_state["analysis"] = a
        at.session_state["raw_landmarks"] = raw
        at.session_state["clip_name"] = clip
        at.session_state["result_kind"] = "chair-stand"     # as the Analyse page publishes it
        at.session_state["chair_stand"] = from_analysis(a, TEST_30S, 72, "F")
        at.run()
        at.button[[b.label for b in at.button].index("Save session")].click().run()
        assert not at.exception, at.exception
    hist = clinic.chair_stand_history("sts-01")
    assert [h.stands for h in hist] == [5, 7]
    assert "Chair-stand tests" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "complete stands" in d.value.columns)
    assert list(table["complete stands"]) == [5, 7]
    assert list(table["test"]) == ["30-second chair stand"] * 2
    # the PDF of a saved test, the newest offered first
    assert at.selectbox(key="cs_pick_sts-01").value == hist[1].session_id
    pdf = at.get("download_button")
    assert any(b.proto.label == "PDF of this test" for b in pdf)


def _pdf_text(data: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, check=True,
                          capture_output=True).stdout.decode()


def test_a_chair_stand_session_offers_the_chair_stand_pdf_in_its_detail(clinic, monkeypatch):
    """A session saved in the "Chair-stand test" mode: its detail's PDF is the test's
    (pdf_report.chair_stand_pdf), not the squat report; a squat session keeps the squat PDF."""
    import shutil

    from streamlit.runtime.media_file_manager import MediaFileManager

    from formcheck.analysis import analyze_sequence
    from formcheck.chairstand import TEST_30S, from_analysis, to_dict
    from formcheck.pdf_report import chair_stand_pdf, session_files
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    if not shutil.which("pdftotext"):
        pytest.skip("needs pdftotext (apt-get install poppler-utils)")
    made = {}         # the download buttons' deferred data, by file name
    real = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None):
        made[file_name] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name=file_name)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    sit = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25,
                  up_s=0.9, rest_s=0.3)
    clinic.add_client("sts-01", profile="general")
    raw = squat_sequence([sit] * 4, lead_s=0.3, seated_start_s=1.0, seated_end_s=1.0,
                         arms="chest")
    a = analyze_sequence(raw, get_profile("general"), "general")
    cs = to_dict(from_analysis(a, TEST_30S, 72, "F"), "week1.mp4")
    squat_id = clinic.save_session("sts-01", *squat_analysis(profile="general")).id
    cs_id = clinic.save_session("sts-01", a, raw, chair_stand=cs).id
    at = _app()
    at.selectbox(key="client_select").select("sts-01").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="detail_sts-01").value == cs_id        # the newest first
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Chair-stand PDF" in labels and "PDF report" not in labels
    info = clinic.get_session(cs_id)
    name = f"sts-01_{info.recorded_at:%Y-%m-%d}_chair-stand-30.pdf"
    want = _pdf_text(chair_stand_pdf(info.report["chair_stand"], client_label="sts-01",
                                     recorded_at=info.recorded_at,
                                     history=clinic.chair_stand_history("sts-01")))
    assert "30-second chair stand" in want
    assert _pdf_text(made[name]()) == want
    # the squat session keeps the squat report
    made.clear()
    at.selectbox(key="detail_sts-01").select(squat_id).run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert "PDF report" in labels and "Chair-stand PDF" not in labels
    squat = next(f for n, f in made.items() if n.endswith(f"_s{squat_id}.pdf"))
    assert _pdf_text(squat()) == _pdf_text(session_files(clinic, squat_id)[0])


def test_the_sessions_rep_table_and_csv_apply_the_corrections(clinic, monkeypatch):
    """The app's "Reps as CSV" is `formcheck report --csv`'s (report.csv_text with the
    session's corrections); the rep table counts the reps that count."""
    import csv
    import io

    from streamlit.runtime.media_file_manager import MediaFileManager

    from formcheck.report import csv_text

    made = {}
    real = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None):
        made[file_name] = data_callable
        return real(self, data_callable, mimetype, coordinates, file_name=file_name)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    clinic.add_client("knee-07", profile="knee-rehab")
    a, raw = squat_analysis(seed=0)
    sid = clinic.save_session("knee-07", a, raw).id
    clinic.add_correction(sid, 1, "not_a_rep", author="ana", note="stood up early")
    at = _app()
    at.selectbox(key="client_select").select("knee-07").run()
    assert not at.exception, at.exception
    assert "Every rep (2, 1 excluded)" in str(at.main), [e.label for e in at.expander]
    (name,) = [n for n in made if n.endswith(f"_s{sid}.csv")]
    got = made[name]()
    assert got.decode() == csv_text(clinic.load_analysis(sid), clinic.corrections(sid))
    rows = list(csv.DictReader(io.StringIO(got.decode())))
    assert [r["excluded"] for r in rows] == ["True", "False", "False"]
    assert rows[0]["flags"] == "" and rows[0]["correction"].startswith("not a rep (by ana")
