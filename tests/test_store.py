"""The storage suite, run on SQLite and on PostgreSQL (FORMCHECK_TEST_POSTGRES_URL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile

import numpy as np
import pytest
from sqlalchemy import func, select, text

from clinic_helpers import db_url, squat, squat_analysis, store  # noqa: F401  (fixtures)
from formcheck.errors import UnknownProfileError
from formcheck import synthetic
from formcheck.analysis import analyze_sequence, with_box
from formcheck.synthetic import RepSpec
from formcheck.thresholds import get_profile
from formcheck.report import NO_BOX, analysis_summary, to_dict
from formcheck.store import (ClientExistsError, DatabaseTooNewError, DatabaseUnavailableError,
                             ExportFileError, ImportConflictError, Store, UnknownClientError,
                             UnknownSessionError, from_npz_bytes, to_npz_bytes)
from formcheck.store.db import Database, database_url, masked
from formcheck.store.models import Base, Client, Rep, Session, SessionFile
from formcheck.thresholds import get_profile


def _count(store, model) -> int:
    with store.db.session(write=False) as s:
        return s.scalar(select(func.count()).select_from(model))


# --- schema -----------------------------------------------------------------------------------------
def test_migrations_build_the_schema_the_models_describe(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert store.db.schema_revision() == "0007_correction_value"
    with store.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    # opening again is a no-op
    Database(store.db.url).dispose()
    assert store.db.schema_revision() == "0007_correction_value"


def test_a_database_from_a_newer_formcheck_is_refused(store):
    with store.db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(DatabaseTooNewError, match="newer formcheck"):
        Database(store.db.url)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "x.db").stat().st_mode & 0o077 == 0   # health data: owner only
    db.dispose()


def test_default_database_is_under_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("FORMCHECK_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'formcheck' / 'formcheck.db'}"
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", "postgresql://u:pw@db.example/clinic")
    assert database_url().startswith("postgresql+psycopg://")
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", str(tmp_path / "plain.db"))
    assert database_url() == f"sqlite:///{tmp_path / 'plain.db'}"


def test_unreachable_server_names_the_url_without_the_password():
    with pytest.raises(DatabaseUnavailableError) as e:
        Database("postgresql://clinic:s3cret-pw@127.0.0.1:9/formcheck")
    msg = str(e.value)
    assert "s3cret-pw" not in msg and "***" in msg and "127.0.0.1:9" in msg
    assert "FORMCHECK_DATABASE_URL" in msg
    assert "s3cret" not in masked("postgresql://clinic:s3cret@h/db")


def test_unwritable_sqlite_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseUnavailableError, match="Cannot open the database"):
        Database(f"sqlite:///{blocker / 'sub' / 'c.db'}")


# --- clients ------------------------------------------------------------------------------------------
def test_clients_have_labels_notes_and_their_own_thresholds(store):
    c = store.add_client("knee-07", notes="R knee, since March", profile="knee-rehab",
                         threshold_overrides={"depth_target_deg": -20.0})
    assert c.thresholds == get_profile("knee-rehab", depth_target_deg=-20.0)
    with pytest.raises(ClientExistsError):
        store.add_client("knee-07")
    with pytest.raises(UnknownProfileError):
        store.add_client("x", profile="nope")
    with pytest.raises(UnknownProfileError):
        store.add_client("y", threshold_overrides={"nonsense": 1})
    store.add_client("knee-12")
    assert [c.label for c in store.list_clients()] == ["knee-07", "knee-12"]
    c = store.update_client("knee-07", threshold_overrides={"knee_over_toe_max_ratio": 0.1})
    assert c.threshold_overrides == {"depth_target_deg": -20.0, "knee_over_toe_max_ratio": 0.1}
    c = store.update_client("knee-07", threshold_overrides={"knee_over_toe_max_ratio": None},
                            notes="better")
    assert c.threshold_overrides == {"depth_target_deg": -20.0} and c.notes == "better"
    c = store.update_client("knee-07", new_label="knee-07b")
    assert store.get_client("knee-07b").uid == c.uid
    with pytest.raises(ClientExistsError):
        store.update_client("knee-07b", new_label="knee-12")


def test_unknown_client_suggests_close_labels(store):
    store.add_client("knee-07")
    with pytest.raises(UnknownClientError, match="knee-07"):
        store.get_client("knee-7")
    with pytest.raises(UnknownClientError, match="formcheck clients add"):
        store.get_client("zzz")


# --- sessions ---------------------------------------------------------------------------------------
def test_save_session_keeps_everything_needed_to_rescore(store, squat, tmp_path):
    analysis, raw = squat
    clip = tmp_path / "visit1.mp4"
    clip.write_bytes(b"not really a video" * 100)
    store.add_client("knee-07")
    info = store.save_session("knee-07", analysis, raw, clip_path=clip, physio_note="pain 2/10")
    assert info.rep_count == 3 and len(info.reps) == 3
    assert info.clip_sha256 == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert info.clip_name == "visit1.mp4" and not info.has_video     # video only on opt-in
    assert info.thresholds == analysis.thresholds.as_dict() and info.profile == "knee-rehab"
    assert info.cues == to_dict(analysis)["cues"] and info.physio_note == "pain 2/10"
    got = store.get_session(info.id)
    assert got.report == json.loads(json.dumps(to_dict(analysis)))
    assert [r["knee_over_toe_ratio"] for r in got.reps] == \
        [r["knee_over_toe_ratio"] for r in to_dict(analysis)["reps"]]
    assert [r["flags"] for r in got.reps] == [["shin_angle"], ["shin_angle"], []]
    assert store.load_video(info.id) is None
    seq = store.load_landmarks(info.id)
    assert np.allclose(seq.xy_px, raw.xy_px, atol=1e-3, equal_nan=True)
    assert np.array_equal(seq.t_s, raw.t_s)
    # the stored landmarks reproduce the analysis...
    again = store.load_analysis(info.id)
    assert again.rep_count == 3
    assert [[f.code for f in a.flags] for a in again.assessments] == [r["flags"] for r in got.reps]
    # ...and can be re-scored with new thresholds without the model
    lenient = store.load_analysis(info.id, get_profile("general"), "general")
    assert [a.flags for a in lenient.assessments] == [(), (), ()]   # shin 38° is within 45°


def test_video_is_stored_only_on_opt_in(store, squat, tmp_path):
    analysis, raw = squat
    clip = tmp_path / "c.mov"
    clip.write_bytes(bytes(range(256)) * 50)
    store.add_client("a")
    info = store.save_session("a", analysis, raw, clip_path=clip, keep_video=True)
    assert info.has_video
    assert store.load_video(info.id) == clip.read_bytes()
    with store.db.session(write=False) as s:
        f = s.scalar(select(SessionFile).where(SessionFile.kind == "video"))
        assert f.media_type == "video/quicktime" and f.size_bytes == 256 * 50


def test_npz_bytes_round_trip(squat):
    _, raw = squat
    back = from_npz_bytes(to_npz_bytes(raw))
    assert back.xy_px.shape == raw.xy_px.shape and back.fps == raw.fps and back.source == raw.source


def test_a_failing_save_writes_nothing(store, squat, monkeypatch):
    analysis, raw = squat
    store.add_client("a")
    store.save_session("a", analysis, raw)
    import formcheck.report as report

    real = report.rep_rows
    # the second rep row repeats rep number 1: the database refuses it at the end of the save
    monkeypatch.setattr(report, "rep_rows", lambda a: [dict(r, rep=1) for r in real(a)])
    with pytest.raises(Exception):
        store.save_session("a", analysis, raw)
    assert _count(store, Session) == 1 and _count(store, Rep) == 3
    assert _count(store, SessionFile) == 1


def test_history_gives_trends_oldest_first(store):
    store.add_client("a")
    d0 = dt.datetime(2025, 3, 1, 10)
    shins = [(40.0, 34.0, 30.0), (33.0, 30.0, 27.0), (25.0, 24.0, 22.0)]
    saved = {}
    for week, shin in enumerate(shins):
        analysis, raw = squat_analysis(bottom_shin_deg=shin, seed=week)
        info = store.save_session("a", analysis, raw, recorded_at=d0 + dt.timedelta(weeks=2 - week))
        saved[info.id] = analysis
    hist = store.history("a")
    assert [h.recorded_at for h in hist] == sorted(h.recorded_at for h in hist)
    # the oldest is the last one saved (week 2 has the most upright shins)
    worst_shin = [h.summary.worst_shin_angle_deg for h in hist]
    assert worst_shin[0] < worst_shin[-1]
    for h in hist:
        # the store's summary is the library's summary of the analysis that was saved
        assert h.summary == analysis_summary(saved[h.session_id])
        reps = store.get_session(h.session_id).reps
        assert h.summary.rep_count == 3 and h.view == "side"
        assert h.summary.worst_knee_over_toe_ratio == max(r["knee_over_toe_ratio"] for r in reps)
        assert h.summary.worst_shin_angle_deg == max(r["shin_angle_deg"] for r in reps)
        assert h.summary.mean_thigh_angle_deg == pytest.approx(
            np.mean([r["thigh_angle_deg"] for r in reps]), abs=1e-12)
        assert h.summary.worst_fppa_deg is None     # side view: knees caving in is not measured
    assert [s.id for s in store.list_sessions("a")] == [h.session_id for h in hist]


def test_notes_and_deleting_a_session(store, squat):
    analysis, raw = squat
    store.add_client("a")
    info = store.save_session("a", analysis, raw)
    store.set_note(info.id, "box 45 cm, pain-free")
    assert store.get_session(info.id).physio_note == "box 45 cm, pain-free"
    store.delete_session(info.id, actor="ana")
    with pytest.raises(UnknownSessionError):
        store.get_session(info.id)
    assert _count(store, Rep) == 0 and _count(store, SessionFile) == 0


# --- export / import ----------------------------------------------------------------------------------
def _fill(store, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01video bytes" * 1000)
    store.add_client("knee-07", notes="left knee; ÄÖ ünïcode", threshold_overrides={"depth_target_deg": -15})
    store.add_client("knee-12", profile="general")
    from formcheck.analysis import with_body_size, with_box

    for i, (label, keep) in enumerate([("knee-07", True), ("knee-07", False), ("knee-12", False)]):
        analysis, raw = squat_analysis(seed=i)
        # what the user said about the person travels with the session (schema 0004)
        analysis = [with_body_size(with_box(analysis, False), 172), analysis,
                    with_body_size(analysis, shin_cm=41.5)][i]
        store.save_session(label, analysis, raw, clip_path=clip, keep_video=keep,
                           physio_note=f"visit {i}", recorded_at=dt.datetime(2025, 1, 1 + i, 9, 30))


def test_export_then_import_gives_back_identical_data(store, tmp_path):
    _fill(store, tmp_path)
    body = [(x["box"], x["height_cm"], x["shin_cm"]) for x in sorted(
        (x for c in store.dump()["clients"] for x in c["sessions"]), key=lambda x: x["recorded_at"])]
    assert body == [(False, 172.0, None), (True, None, None), (True, None, 41.5)]
    out = tmp_path / "backup.zip"
    assert store.export(out) == {"clients": 2, "sessions": 3, "files": 4}
    with zipfile.ZipFile(out) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["format"] == "formcheck-export" and manifest["version"] == 1
    other = Store(Database(f"sqlite:///{tmp_path / 'other.db'}"))
    assert other.import_(out)["sessions_added"] == 3
    assert other.dump(include_data=True) == store.dump(include_data=True)
    # importing twice adds nothing; a second export has the same content
    assert other.import_(out, merge=True) == {"clients_added": 0, "clients_merged": 2, "sessions_added": 0,
                                  "sessions_skipped": 3}
    out2 = tmp_path / "again.zip"
    other.export(out2)
    with zipfile.ZipFile(out) as a, zipfile.ZipFile(out2) as b:
        assert a.read("data.json") == b.read("data.json")
        assert sorted(a.namelist()) == sorted(b.namelist())
    other.db.dispose()


def test_a_session_keeps_its_box_setting_and_the_persons_height(store, squat):
    """Re-analysed from its landmarks, a saved session says what the analysis said when it
    was saved: the box setting (not the profile's default) and box heights in cm."""
    from formcheck.analysis import with_body_size, with_box
    from formcheck.report import box_words

    analysis, raw = squat                       # knee-rehab: a box squat by default
    store.add_client("knee-07")
    shown = with_body_size(with_box(analysis, False), height_cm=172)
    sid = store.save_session("knee-07", shown, raw).id
    info = store.get_session(sid)
    assert (info.box, info.height_cm, info.shin_cm) == (False, 172.0, None)
    again = store.load_analysis(sid)
    assert (again.box, again.height_cm, again.shin_cm) == (False, 172.0, None)
    # (the stored landmarks are rounded, so cm per shin is compared as the report gives it)
    assert to_dict(again)["cm_per_shin"] == to_dict(shown)["cm_per_shin"] == 41.46
    want = [box_words(r) for r in to_dict(shown)["reps"]]
    assert [box_words(r) for r in to_dict(again)["reps"]] == want
    assert [r["unmeasured"].get("box_contact") for r in to_dict(again)["reps"]] == [NO_BOX] * 3
    # the profile's default would have said otherwise: on the box, heights in shin lengths
    assert [box_words(r) for r in to_dict(analysis)["reps"]] != want
    # a box squat with a shin length given
    on_box = with_body_size(with_box(analysis, True), shin_cm=41.5)
    sid2 = store.save_session("knee-07", on_box, raw).id
    again2 = store.load_analysis(sid2)
    assert (again2.box, again2.height_cm, again2.shin_cm, again2.cm_per_shin) == \
        (True, None, 41.5, 41.5)
    rows = to_dict(again2)["reps"]
    assert [box_words(r) for r in rows] == [box_words(r) for r in to_dict(on_box)["reps"]]
    assert all(r["box_contact"] and r["box_hip_height_cm"] is not None for r in rows)
    # re-scoring with new thresholds keeps them too
    lenient = store.load_analysis(sid, get_profile("general"), "general")
    assert (lenient.box, lenient.height_cm) == (False, 172.0)


def test_a_session_saved_before_0004_takes_the_profiles_box_default(store, squat):
    analysis, raw = squat
    store.add_client("knee-07")
    sid = store.save_session("knee-07", with_box(analysis, False), raw).id
    with store.db.session() as s:
        s.get(Session, sid).box = None          # as the migration leaves older sessions
    assert store.get_session(sid).box is None
    assert store.load_analysis(sid).box is True  # knee-rehab: thresholds.BOX_PROFILES


def test_import_into_this_backend(store, tmp_path):
    src = Store(Database(f"sqlite:///{tmp_path / 'src.db'}"))
    _fill(src, tmp_path)
    src.export(tmp_path / "e.zip")
    store.import_(tmp_path / "e.zip")
    assert store.dump(include_data=True) == src.dump(include_data=True)
    src.db.dispose()


def test_import_refuses_bad_files_and_changes_nothing(store, tmp_path):
    _fill(store, tmp_path)
    store.export(tmp_path / "good.zip")
    junk = tmp_path / "junk.zip"
    junk.write_text("hello")
    with pytest.raises(ExportFileError, match="not a formcheck export"):
        store.import_(junk)
    with pytest.raises(ExportFileError, match="not found"):
        store.import_(tmp_path / "missing.zip")
    # a damaged payload: nothing at all is imported into a fresh database
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(tmp_path / "good.zip") as a, zipfile.ZipFile(bad, "w") as b:
        for name in a.namelist():
            data = a.read(name)
            if name.startswith("files/") and b"video bytes" in data:
                data = data.replace(b"video", b"VIDEO")
            b.writestr(name, data)
    fresh = Store(Database(f"sqlite:///{tmp_path / 'fresh.db'}"))
    with pytest.raises(ExportFileError, match="damaged"):
        fresh.import_(bad)
    assert fresh.list_clients() == []
    # a different client with the same label: refused, nothing imported
    fresh.add_client("knee-12")
    with pytest.raises(ImportConflictError, match="knee-12"):
        fresh.import_(tmp_path / "good.zip")
    assert [c.label for c in fresh.list_clients()] == ["knee-12"]
    fresh.db.dispose()


def _rewrite_sessions(src, dst, change) -> None:
    """A copy of export `src` with change(session dict) applied to every session."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for name in a.namelist():
            data = a.read(name)
            if name == "data.json":
                d = json.loads(data)
                for c in d["clients"]:
                    for x in c["sessions"]:
                        change(x)
                data = json.dumps(d).encode()
            b.writestr(name, data)


@pytest.mark.parametrize("key,value,said", [("box", "yes", "box is not true/false"),
                                            ("height_cm", 900, "height_cm is not a number"),
                                            ("shin_cm", "41", "shin_cm is not a number")])
def test_import_checks_the_box_and_size_of_a_session(store, tmp_path, key, value, said):
    _fill(store, tmp_path)
    store.export(tmp_path / "good.zip")
    _rewrite_sessions(tmp_path / "good.zip", tmp_path / "bad.zip", lambda x: x.update({key: value}))
    fresh = Store(Database(f"sqlite:///{tmp_path / 'fresh.db'}"))
    with pytest.raises(ExportFileError, match=said):
        fresh.import_(tmp_path / "bad.zip")
    assert fresh.list_clients() == []
    fresh.db.dispose()


def test_an_export_from_before_0004_imports_with_the_profiles_box_default(store, tmp_path):
    _fill(store, tmp_path)
    store.export(tmp_path / "good.zip")
    old = tmp_path / "old.zip"
    _rewrite_sessions(tmp_path / "good.zip", old,
                      lambda x: [x.pop(k) for k in ("box", "height_cm", "shin_cm")])
    fresh = Store(Database(f"sqlite:///{tmp_path / 'fresh.db'}"))
    assert fresh.import_(old)["sessions_added"] == 3
    sessions = [x for c in fresh.dump()["clients"] for x in c["sessions"]]
    assert [(x["box"], x["height_cm"], x["shin_cm"]) for x in sessions] == [(None, None, None)] * 3
    fresh.db.dispose()


# --- forget -----------------------------------------------------------------------------------------
MARKERS = [b"Zebra-Client-Label", b"PRIVATE-NOTE-4711", b"PHYSIO-NOTE-0815", b"VIDEO-PAYLOAD-42",
           b"secret-clip-name"]


def test_forget_with_a_reader_elsewhere_ends_unscrubbed_instead_of_hanging(tmp_path):
    """Another program (or another page of the app) holds a read snapshot of the SQLite file: the
    truncating checkpoint cannot run. forget_client still deletes the client and returns with
    scrubbed False after its tries (SCRUB_TRIES x SCRUB_WAIT_S, 5 s), instead of waiting out the
    30-s busy timeout on every try (25 min: the app's "Forget for good" seemed to hang); the
    pooled connection gets its busy timeout back; once the reader is gone a forget scrubs."""
    import sqlite3
    import threading

    from formcheck.store.db import BUSY_TIMEOUT_S

    db = tmp_path / "clinic.db"
    store = Store(Database(f"sqlite:///{db}"))
    for label in ("a1", "b2", "c3"):
        store.add_client(label)
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM clients").fetchone() == (3,)
    got = {}
    t = threading.Thread(target=lambda: got.update(store.forget_client("a1")), daemon=True)
    t.start()
    t.join(120)          # a hang detector only: it returns after its 5 s of tries
    assert not t.is_alive(), "forget_client hung while another connection held a snapshot"
    assert (got["client"], got["scrubbed"]) == ("a1", False)
    assert [c.label for c in store.list_clients()] == ["b2", "c3"]
    with store.db.engine.connect() as conn:       # the pool's connection: its usual timeout
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_S * 1000
    reader.rollback()
    reader.close()
    assert store.forget_client("b2")["scrubbed"] is True
    store.db.dispose()


def test_forget_leaves_nothing_behind(store, tmp_path):
    _fill(store, tmp_path)
    clip = tmp_path / "secret-clip-name.mp4"
    clip.write_bytes(b"VIDEO-PAYLOAD-42" * 5000)
    store.add_client("Zebra-Client-Label", notes="PRIVATE-NOTE-4711")
    for i in range(2):
        analysis, raw = squat_analysis(seed=10 + i)
        store.save_session("Zebra-Client-Label", analysis, raw, clip_path=clip, keep_video=True,
                           physio_note="PHYSIO-NOTE-0815")
    before = store.dump(include_data=True)
    before_files = _pg_files(store) if store.db.backend == "postgresql" else {}
    result = store.forget_client("Zebra-Client-Label")
    assert result["sessions"] == 2 and result["videos"] == 2 and result["scrubbed"]
    with pytest.raises(UnknownClientError):
        store.get_client("Zebra-Client-Label")
    # no row anywhere, and the other clients untouched
    after = store.dump(include_data=True)
    assert sorted(c["label"] for c in after["clients"]) == ["knee-07", "knee-12"]   # by uid
    assert after["clients"] == [c for c in before["clients"] if c["label"] != "Zebra-Client-Label"]
    with store.db.session(write=False) as s:
        ids = set(s.scalars(select(Session.id)))
        assert all(r in ids for r in s.scalars(select(Rep.session_id)))
        assert all(r in ids for r in s.scalars(select(SessionFile.session_id)))
        assert s.scalar(select(func.count()).select_from(Client)) == 2
    if store.db.backend == "sqlite":
        # not a byte of it in the database file, its WAL or its shared-memory index
        store.db.dispose()
        path = store.db.engine.url.database
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                raw_bytes = open(path + suffix, "rb").read()
            except FileNotFoundError:
                continue
            for m in MARKERS:
                assert m not in raw_bytes, (suffix, m)
    else:
        # VACUUM FULL rewrote every table (and its TOAST table, which holds the videos) into new
        # files and unlinked the old ones, deleted rows and all
        after_files = _pg_files(store)
        assert all(after_files[k] != before_files[k] for k in before_files), (before_files, after_files)


def _pg_files(store) -> dict:
    q = text("SELECT c.relname, c.relfilenode, t.relfilenode FROM pg_class c "
             "LEFT JOIN pg_class t ON t.oid = c.reltoastrelid "
             "WHERE c.oid = to_regclass(:t)")
    out = {}
    with store.db.engine.connect() as conn:
        for table in ("clients", "sessions", "reps", "session_files"):
            name, heap, toast = conn.execute(q, {"t": table}).one()
            out[name] = heap
            if toast is not None:
                out[name + ".toast"] = toast
    return out


def test_forget_unknown_client_is_an_error(store):
    with pytest.raises(UnknownClientError):
        store.forget_client("nobody")


def test_the_export_is_readable_by_its_owner_only_and_leaves_no_temporary_file(store, squat,
                                                                              tmp_path):
    analysis, raw = squat
    store.add_client("a")
    store.save_session("a", analysis, raw)
    out = tmp_path / "exports"
    out.mkdir()
    store.export(out / "backup.zip")
    assert [p.name for p in out.iterdir()] == ["backup.zip"]
    assert (out / "backup.zip").stat().st_mode & 0o777 == 0o600     # health data


def test_chair_stand_tests_are_kept_with_the_session_and_trended(store):
    from formcheck.chairstand import TEST_30S, from_analysis, to_dict

    sit = RepSpec(thigh_deg=0.0, shin_deg=15.0, lean_deg=40.0, down_s=0.9, pause_s=0.25,
                  up_s=0.9, rest_s=0.3)
    store.add_client("cs")
    d0 = dt.datetime(2025, 3, 1, 10)
    for week, n in enumerate((4, 6)):
        raw = synthetic.squat_sequence([sit] * n, lead_s=0.3, seated_start_s=1.0,
                                       seated_end_s=1.0, arms="chest")
        a = analyze_sequence(raw, get_profile("general"), "general")
        test = to_dict(from_analysis(a, TEST_30S, age=72, sex="F"), "cs.mp4")
        store.save_session("cs", a, raw, recorded_at=d0 + dt.timedelta(weeks=week), chair_stand=test)
    analysis, raw = squat_analysis()
    store.save_session("cs", analysis, raw, recorded_at=d0 + dt.timedelta(weeks=3))  # squats only
    hist = store.chair_stand_history("cs")
    assert [(h.test, h.stands) for h in hist] == [(TEST_30S, 5), (TEST_30S, 7)]
    # short clips: the time the clip covers after the first movement (it ends seated, 1 s on)
    assert [h.time_s for h in hist] == pytest.approx([0.9 + 0.3 + n * 2.35 + 0.9 + 1.0
                                                      for n in (4, 6)], abs=0.15)
    assert [h.verdict for h in hist] == ["below", "below"]
    assert hist[0].recorded_at < hist[1].recorded_at
