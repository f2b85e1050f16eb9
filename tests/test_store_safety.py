"""Data safety: a process killed (SIGKILL) during a save loses nothing saved before and leaves no
half-written session; concurrent savers (processes and threads) corrupt nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clinic_helpers import db_url, squat, squat_analysis, store  # noqa: F401  (fixtures)
from formcheck.store import Store
from formcheck.store.db import Database
from formcheck.store.models import Client, Rep, Session, SessionFile

HELPER = Path(__file__).with_name("clinic_helpers.py")
ROOT = Path(__file__).resolve().parents[1]


def _saver(url: str, client: str, n: int, hang_at: int = 0, tag: str = "p") -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, str(HELPER), url, client, str(n), str(hang_at), tag],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _read_until(proc: subprocess.Popen, prefix: str, timeout_s: float = 120) -> list[str]:
    lines, t0 = [], time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"saver ended early: {proc.stderr.read()[-2000:]}")
        lines.append(line.strip())
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no {prefix!r} within {timeout_s} s")


def _assert_consistent(store: Store) -> dict:
    """Every session is whole: its rep rows, its landmarks; no orphans; the file is sound."""
    with store.db.session(write=False) as s:
        if store.db.backend == "sqlite":
            assert s.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert s.connection().exec_driver_sql("PRAGMA foreign_key_check").all() == []
        per_session = dict(s.execute(
            select(Session.id, Session.rep_count)).all())
        reps = dict(s.execute(select(Rep.session_id, func.count()).group_by(Rep.session_id)).all())
        lms = dict(s.execute(select(SessionFile.session_id, func.count())
                             .where(SessionFile.kind == "landmarks")
                             .group_by(SessionFile.session_id)).all())
        for sid, n in per_session.items():
            assert reps.get(sid, 0) == n, f"session {sid}: {reps.get(sid, 0)} rep rows of {n}"
            assert lms.get(sid) == 1, f"session {sid} has no landmarks"
        assert set(reps) <= set(per_session) and set(lms) <= set(per_session)
        notes = list(s.scalars(select(Session.physio_note)))
    for sid in per_session:
        assert store.load_landmarks(sid).xy_px.shape[1] == 33
    return {"sessions": len(per_session), "notes": notes}


def test_kill_during_a_save_keeps_earlier_sessions_and_drops_the_half_written_one(db_url):
    proc = _saver(db_url, "knee-07", 10, hang_at=4, tag="k")
    try:
        lines = _read_until(proc, "FLUSHED 4")
        # the 4th session's rows have reached the database, uncommitted: kill now
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert [ln for ln in lines if ln.startswith("SAVED")][-1].startswith("SAVED 3")
    store = Store(Database(db_url))
    got = _assert_consistent(store)
    assert got["sessions"] == 3
    assert sorted(got["notes"]) == ["k save 1", "k save 2", "k save 3"]
    # the database is usable afterwards
    analysis, raw = squat_analysis()
    store.save_session("knee-07", analysis, raw)
    assert _assert_consistent(store)["sessions"] == 4
    store.db.dispose()


def test_kills_at_random_moments_never_leave_a_partial_session(db_url):
    rnd = random.Random(4)
    confirmed = 0
    for round_ in range(3):
        proc = _saver(db_url, "knee-07", 200, tag=f"r{round_}")
        try:
            _read_until(proc, "SAVED 1")     # the saver is up and writing
            time.sleep(rnd.uniform(0.05, 0.6))
            os.kill(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        confirmed += 1 + out.count("SAVED ")
        store = Store(Database(db_url))
        got = _assert_consistent(store)
        # every save the process reported as done is there (at most one more: committed but
        # killed before it could print)
        assert confirmed <= got["sessions"] <= confirmed + round_ + 1
        confirmed = got["sessions"]
        store.db.dispose()


def test_two_processes_saving_at_once_corrupt_nothing(db_url):
    Store(Database(db_url)).db.dispose()     # schema in place (the migration also takes a lock)
    procs = [_saver(db_url, "knee-07", 6, tag="a"), _saver(db_url, "knee-12", 6, tag="b"),
             _saver(db_url, "knee-07", 6, tag="c")]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
        assert out.count("SAVED ") == 6
    store = Store(Database(db_url))
    got = _assert_consistent(store)
    assert got["sessions"] == 18
    assert {c.label: c.session_count for c in store.list_clients()} == {"knee-07": 12, "knee-12": 6}
    store.db.dispose()


def test_two_processes_migrating_a_new_database_at_once(db_url):
    procs = [_saver(db_url, f"c{i}", 1, tag=f"m{i}") for i in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-2000:]
    store = Store(Database(db_url))
    assert _assert_consistent(store)["sessions"] == 2
    store.db.dispose()


def test_threads_sharing_one_store_save_at_once(store, squat):
    """Two app sessions in one Streamlit server share the process and its engine."""
    analysis, raw = squat
    for label in ("t0", "t1", "t2", "t3"):
        store.add_client(label)
    errors = []

    def work(label):
        try:
            for i in range(4):
                store.save_session(label, analysis, raw, physio_note=f"{label}-{i}")
                store.history(label)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    got = _assert_consistent(store)
    assert got["sessions"] == 16
    with store.db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 4


def test_switching_a_new_file_to_wal_waits_out_a_locked_answer():
    """Two processes opening a new SQLite file at once: the switch to WAL can be answered
    "database is locked" at once (both hold a shared lock and want the exclusive one; SQLite
    will not wait on that). db._set_wal asks again until it goes through; another error is
    raised at once."""
    import sqlite3

    from formcheck.store.db import _set_wal

    class Cursor:
        def __init__(self, answers):
            self.answers, self.calls = list(answers), []

        def execute(self, sql):
            self.calls.append(sql)
            a = self.answers.pop(0)
            if a is not None:
                raise sqlite3.OperationalError(a)

    cur = Cursor(["database is locked", "database is locked", None])
    _set_wal(cur)
    assert cur.calls == ["PRAGMA journal_mode = WAL"] * 3
    cur = Cursor(["disk I/O error"])
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _set_wal(cur)
    assert cur.calls == ["PRAGMA journal_mode = WAL"]
