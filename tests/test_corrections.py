"""A physio's corrections (issue 13): stored apart from the analysis, shown with their author in
the report rows, the CSV, the trends and the PDF; the original comes back when withdrawn."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess

import pytest

from clinic_helpers import db_url, squat_analysis, store  # noqa: F401  (fixtures)
from formcheck.report import (Correction, apply_corrections, corrected_summary, csv_text,
                              rep_rows, summarize_rows)


def _saved(store, **kw):
    store.add_client("knee-07")
    a, raw = squat_analysis(**kw)
    info = store.save_session("knee-07", a, raw, recorded_at=dt.datetime(2026, 11, 2, 10))
    return a, info


def test_not_a_rep_drops_the_rep_from_the_summary_but_keeps_the_row():
    a, _ = squat_analysis(reps=3, bottom_thigh_deg=(5.0, 0.0, -5.0))
    rows = rep_rows(a)
    fixed = apply_corrections(rows, [Correction(3, "not_a_rep", None, "stood up early", "ana")])
    assert [r.get("excluded", False) for r in fixed] == [False, False, True]
    assert fixed[2]["corrections"] == ["not a rep (by ana: stood up early)"]
    assert "excluded" not in rows[2]                        # the input rows are not changed
    s = corrected_summary(rows, [Correction(3, "not_a_rep", None, "", "ana")])
    assert s == summarize_rows(rows[:2])
    assert s.rep_count == 2


def test_a_value_marked_wrong_is_left_out_and_its_flag_goes():
    a, _ = squat_analysis(reps=3, bottom_shin_deg=(38.0, 30.0, 24.0))   # knee-rehab: shin <= 30
    rows = rep_rows(a)
    assert "shin_angle" in rows[0]["flags"]
    original = rows[0]["shin_angle_deg"]
    c = Correction(1, "wrong_value", "shin_angle_deg", "foot hidden by the box", "ben",
                   dt.datetime(2026, 11, 30, 9, 0))
    fixed = apply_corrections(rows, [c])[0]
    assert fixed["shin_angle_deg"] is None
    assert fixed["checks"]["shin_angle_deg"] == "n/a"
    assert "shin_angle" not in fixed["flags"]
    assert fixed["wrong"] == ["shin_angle_deg"]
    assert fixed["corrections"] == [f"shin angle {original:.0f}° marked wrong (by ben, "
                                    "2026-11-30: foot hidden by the box)"]
    assert rows[0]["shin_angle_deg"] == original
    expected = max(r["shin_angle_deg"] for r in rows[1:])
    assert corrected_summary(rows, [c]).worst_shin_angle_deg == expected


def test_the_csv_shows_the_correction_and_who_made_it():
    a, _ = squat_analysis(reps=3)
    text = csv_text(a, [Correction(2, "not_a_rep", None, "a stumble", "ana")])
    got = list(csv.DictReader(io.StringIO(text)))
    assert [r["excluded"] for r in got] == ["False", "True", "False"]
    assert [r["correction"] for r in got] == ["", "not a rep (by ana: a stumble)", ""]
    assert [r["rep"] for r in got] == ["1", "2", "3"]          # the rep stays on record


def test_store_keeps_corrections_apart_and_the_trend_uses_them(store):
    a, info = _saved(store, reps=3, bottom_thigh_deg=(5.0, 0.0, -5.0))
    before = store.history("knee-07")[0].summary
    c = store.add_correction(info.id, 1, "not_a_rep", author="ana", note="warm-up")
    assert (c.rep, c.kind, c.author, c.note) == (1, "not_a_rep", "ana", "warm-up")
    h = store.history("knee-07")[0]
    assert h.summary.rep_count == 2 and h.corrections == 1
    assert h.summary == summarize_rows(store.get_session(info.id).reps[1:])
    # the analysis is not changed: the stored reps are the original ones
    assert len(store.get_session(info.id).reps) == 3
    store.delete_correction(c.id)
    assert store.history("knee-07")[0].summary == before
    with pytest.raises(Exception, match="no rep 9"):
        store.add_correction(info.id, 9, "not_a_rep", author="ana")
    with pytest.raises(Exception, match="Only these values"):
        store.add_correction(info.id, 1, "wrong_value", metric="rep", author="ana")


def test_the_trend_takes_the_corrected_value_and_judges_it_again(store):
    """A corrected knee-past-toes value and an excluded rep: the trend point is the corrected
    figure exactly, and the rep is flagged against the limit as the table and the CSV flag it
    (one function: report.corrected_set_summary over report.corrected_rows)."""
    from formcheck.report import corrected_rows, counted_rows

    # knee-rehab (knees stay behind the toes, limit 0.00; shin <= 30 deg): rep 1 and rep 2
    # are flagged for the shin, rep 3 for nothing (knee 0.34 foot lengths behind the toes)
    a, info = _saved(store, reps=3, bottom_shin_deg=(38.0, 30.0, 24.0))
    assert [r["flags"] for r in rep_rows(a)] == [["shin_angle"], ["shin_angle"], []]
    store.add_correction(info.id, 1, "not_a_rep", author="ana", note="warm-up")
    store.add_correction(info.id, 3, "wrong_value", metric="knee_over_toe_ratio", value=0.25,
                         author="ana", note="measured on the frame")
    point = store.history("knee-07")[0]
    assert point.corrections == 2
    assert point.summary.worst_knee_over_toe_ratio == 0.25
    assert point.summary.worst_knee_rep == 3
    assert point.summary.rep_count == 2
    # rep 2 (shin) and rep 3 (its corrected knee value is past the 0.00 limit)
    assert point.summary.reps_flagged == 2
    table = corrected_rows(store.load_analysis(info.id), store.corrections(info.id))
    assert [r["flags"] for r in counted_rows(table)] == [["shin_angle"], ["knee_travel"]]
    assert point.summary == summarize_rows(counted_rows(table))
    got = list(csv.DictReader(io.StringIO(csv_text(store.load_analysis(info.id),
                                                   store.corrections(info.id)))))
    assert float(got[2]["knee_over_toe_ratio"]) == 0.25


def test_a_corrected_trend_point_is_analysed_once_per_set_of_corrections(store, monkeypatch):
    from formcheck.store.repo import Store

    _a, info = _saved(store, reps=3, bottom_shin_deg=(38.0, 30.0, 24.0))
    store.add_correction(info.id, 1, "not_a_rep", author="ana")
    calls = []
    load = Store.load_analysis
    monkeypatch.setattr(Store, "load_analysis",
                        lambda self, sid, *a, **k: calls.append(sid) or load(self, sid, *a, **k))
    first = store.history("knee-07")[0].summary
    assert store.history("knee-07")[0].summary == first
    assert calls == [info.id]                       # the second time from the cache
    store.add_correction(info.id, 3, "wrong_value", metric="knee_over_toe_ratio", value=0.25,
                         author="ana")
    assert store.history("knee-07")[0].summary.worst_knee_over_toe_ratio == 0.25
    assert calls == [info.id, info.id]              # a new correction: analysed again


def test_corrections_travel_with_an_export(store, tmp_path):
    from formcheck.store import open_store

    _a, info = _saved(store, reps=3)
    store.add_correction(info.id, 2, "wrong_value", metric="knee_over_toe_ratio",
                         author="ben", note="toe hidden")
    store.export(tmp_path / "x.zip")
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    other.import_(tmp_path / "x.zip")
    sid = other.list_sessions("knee-07")[0].id
    got = other.corrections(sid)
    assert [(c.rep, c.kind, c.metric, c.author, c.note) for c in got] == [
        (2, "wrong_value", "knee_over_toe_ratio", "ben", "toe hidden")]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_the_pdf_lists_the_correction_with_its_author(store, tmp_path):
    from formcheck.pdf_report import session_files

    _a, info = _saved(store, reps=3)
    store.add_correction(info.id, 2, "not_a_rep", author="ana", note="camera bumped")
    pdf, csv_out = session_files(store, info.id)
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert "Corrections by the physiotherapist" in text
    assert "Rep 2: not a rep (by ana, " in text and "camera bumped)" in text
    assert "2 (1 excluded by the physio)" in text
    assert "not a rep (physio)" in text
    assert "not a rep (by ana" in csv_out


def test_one_corrected_analysis_feeds_the_cues_key_frames_and_box_advice():
    """report.corrected_analysis: an excluded rep and a value marked wrong leave the cues, the
    PDF's key frames (pdf_report.key_reps) and the box advice; the reps keep their numbers."""
    from formcheck.pdf_report import key_reps
    from formcheck.report import corrected_analysis, excluded_reps

    a, _ = squat_analysis(reps=3, bottom_shin_deg=(38.0, 34.0, 24.0))   # knee-rehab: shin <= 30
    (shin,) = [c for c in a.cues if c.code == "shin_angle"]
    assert shin.reps == (1, 2) and shin.seen.startswith("Reps 1, 2: shin up to 38°")
    out = [Correction(1, "not_a_rep", None, "", "ana")]
    fixed = corrected_analysis(a, out)
    (shin,) = [c for c in fixed.cues if c.code == "shin_angle"]
    assert shin.reps == (2,) and shin.seen.startswith("Rep 2: shin up to 34°")
    assert [m.index for m in fixed.metrics] == [1, 2, 3]            # numbers unchanged
    assert key_reps(fixed, excluded_reps(out)) == [1, 2]
    both = out + [Correction(2, "wrong_value", "shin_angle_deg", "", "ana")]
    fixed = corrected_analysis(a, both)
    assert [c.code for c in fixed.cues if c.code == "shin_angle"] == []
    assert fixed.metrics[1].shin_angle_deg is None and a.metrics[1].shin_angle_deg is not None
    assert corrected_analysis(a, []) is a
    # the rows made from it: the excluded rep is not flagged
    rows = apply_corrections(rep_rows(fixed), both)
    assert rows[0]["excluded"] and rows[0]["flags"] == []
    assert set(rows[0]["checks"].values()) == {"n/a"}


def test_a_corrected_value_replaces_the_measured_one_and_is_judged_by_the_limits(store):
    """The physio's value (kept with the correction, migration 0007) is what the rows, the
    CSV and the cues use; the words quote both; it travels with an export."""
    a, info = _saved(store, reps=3, bottom_shin_deg=(38.0, 30.0, 24.0))   # knee-rehab: <= 30
    measured = rep_rows(a)[0]["shin_angle_deg"]
    c = store.add_correction(info.id, 1, "wrong_value", metric="shin_angle_deg", value=25.0,
                             author="ana", note="measured on the frame")
    assert c.value == 25.0 and store.corrections(info.id)[0].value == 25.0
    from formcheck.report import corrected_analysis, corrected_rows

    rows = corrected_rows(a, [c])
    assert rows[0]["shin_angle_deg"] == 25.0 and rows[0]["checks"]["shin_angle_deg"] == "ok"
    assert rows[0]["corrections"] == [f"shin angle {measured:.0f}° corrected to 25° (by ana, "
                                      f"{c.created_at:%Y-%m-%d}: measured on the frame)"]
    (before,) = [x.reps for x in a.cues if x.code == "shin_angle"]
    assert before[0] == 1
    after = [x.reps for x in corrected_analysis(a, [c]).cues if x.code == "shin_angle"]
    assert after == ([before[1:]] if before[1:] else [])
    row = list(csv.DictReader(io.StringIO(csv_text(a, [c]))))[0]
    assert float(row["shin_angle_deg"]) == 25.0 and "corrected to 25°" in row["correction"]
    with pytest.raises(Exception, match="corrected value is a number"):
        store.add_correction(info.id, 2, "not_a_rep", value=3.0, author="ana")


def test_a_corrected_value_travels_with_an_export(store, tmp_path):
    from formcheck.store import open_store

    a, info = _saved(store, reps=3)
    store.add_correction(info.id, 2, "wrong_value", metric="knee_over_toe_ratio", value=0.1,
                         author="ana")
    store.export(tmp_path / "e.zip")
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    other.import_(tmp_path / "e.zip")
    (sid,) = [s.id for s in other.list_sessions("knee-07")]
    assert [(c.rep, c.metric, c.value) for c in other.corrections(sid)] == \
        [(2, "knee_over_toe_ratio", 0.1)]


def test_the_pdf_key_frames_draw_the_corrected_value_not_the_measured_one(monkeypatch):
    """A corrected knee-past-toes value is the number drawn on the rep's key frame (overlay's
    frame_values at its bottom frame), as in its caption; a shin marked wrong is not drawn."""
    from formcheck import pdf_report
    from formcheck.overlay import frame_values

    a, _ = squat_analysis(reps=3, bottom_shin_deg=(38.0, 34.0, 24.0))
    drawn = {}
    real = pdf_report.key_frame

    def spy(analysis, rep_index, clip_path):
        drawn[rep_index] = frame_values(analysis, analysis.reps[rep_index].bottom_i)
        drawn[(rep_index, "shin")] = analysis.metrics[rep_index].shin_angle_deg
        return real(analysis, rep_index, clip_path)

    monkeypatch.setattr(pdf_report, "key_frame", spy)
    fixes = [Correction(1, "wrong_value", "knee_over_toe_ratio", "", "ana", value=0.05),
             Correction(2, "wrong_value", "shin_angle_deg", "", "ana")]
    pdf_report.session_pdf(a, corrections=fixes)
    assert 0 in drawn and 1 in drawn
    assert a.metrics[0].knee_over_toe_ratio != 0.05
    assert drawn[0].knee_over_toe_ratio == 0.05
    assert drawn[(1, "shin")] is None and a.metrics[1].shin_angle_deg is not None
