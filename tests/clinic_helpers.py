"""Shared helpers for the clinic tests: a synthetic side-view squatter (no MediaPipe needed)."""

from __future__ import annotations

from formcheck import synthetic
from formcheck.analysis import Analysis, analyze_sequence
from formcheck.landmarks import PoseSequence
from formcheck.synthetic import RepSpec
from formcheck.thresholds import get_profile


def squat_sequence(reps: int = 3, fps: float = 30.0, bottom_thigh_deg=(5.0, 0.0, -5.0),
                   bottom_shin_deg=(38.0, 30.0, 24.0), seed: int = 0,
                   source: str = "synthetic.mp4") -> PoseSequence:
    """A person seen from the side squatting `reps` times (1 s stand, 1.2 s down, 0.5 s pause,
    1.0 s up, 1 s stand between), with the given per-rep bottom thigh and shin angles."""
    specs = [RepSpec(thigh_deg=bottom_thigh_deg[k % len(bottom_thigh_deg)],
                     shin_deg=bottom_shin_deg[k % len(bottom_shin_deg)], pause_s=0.5)
             for k in range(reps)]
    return synthetic.squat_sequence(specs, fps=fps, noise_px=0.8, seed=seed, source=source)


def squat_analysis(profile: str = "knee-rehab", **kw) -> tuple[Analysis, PoseSequence]:
    raw = squat_sequence(**kw)
    return analyze_sequence(raw, get_profile(profile), profile), raw


# --- database fixtures (imported by the clinic test modules) ------------------------------------
import os
import uuid

import pytest

PG_ENV = "FORMCHECK_TEST_POSTGRES_URL"


def _pg_engine(base: str):
    import sqlalchemy as sa

    from formcheck.store.db import database_url

    return sa.create_engine(database_url(base))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a new schema on the test PostgreSQL."""
    from formcheck.store.db import close_all

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
        close_all()
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (start a server with `bash ci/postgres.sh` and export "
                    "the URL it prints)")
    schema = "t_" + uuid.uuid4().hex[:12]
    eng = _pg_engine(base)
    with eng.begin() as c:
        c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    close_all()
    with eng.begin() as c:
        c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    eng.dispose()


@pytest.fixture
def store(db_url):
    from formcheck.store import Store
    from formcheck.store.db import Database

    db = Database(db_url)
    yield Store(db)
    db.dispose()


@pytest.fixture(scope="session")
def squat():
    """(analysis, raw landmarks) of three synthetic side-view box squats."""
    return squat_analysis()


# --- the review player's browser tests: saved fixture sessions and an app on them --------------
def saved_fixture_sessions_app(tmp_path_factory, name: str, clips, consent: str = ""):
    """Generator for a module fixture of the review-player browser tests: a SQLite database
    with client knee-07 (knee-rehab) and one session per rendered fixture clip (videos kept,
    recorded 2026-11-02 10:00 and every 14 days after), and the app running on it; yields
    (url, store). The clips' landmarks are the test session's tracked copies
    (tests/tracking.py: what pipeline.analyze_video gives, tracked once per session)."""
    import datetime as dt

    from formcheck.store import open_store
    from formcheck.store.db import close_all
    from formcheck.thresholds import get_profile
    from test_browser import running_app
    from tracking import analyze_fixture

    missing = [c for c in clips if not c.is_file()]
    if missing:
        pytest.skip(f"fixture clip missing: {missing[0]}")
    d = tmp_path_factory.mktemp(name)
    store = open_store(f"sqlite:///{d / 'clinic.db'}")
    store.add_client("knee-07", profile="knee-rehab")
    for k, clip in enumerate(clips):
        analysis, raw = analyze_fixture(clip, get_profile("knee-rehab"), "knee-rehab")
        store.save_session("knee-07", analysis, raw, clip_path=clip, keep_video=True,
                           recorded_at=dt.datetime(2026, 11, 2 + 14 * k, 10, 0),
                           video_consent=consent)
    env = {"FORMCHECK_DATABASE_URL": f"sqlite:///{d / 'clinic.db'}",
           "FORMCHECK_APP_FILES": str(d / "app-files")}
    with running_app(d, env=env) as url:
        yield url, store
    close_all()


# --- a saving process for the kill and concurrency tests ----------------------------------------
def save_loop(url: str, client: str, n: int, hang_at: int = 0, tag: str = "") -> None:
    """Save n sessions for `client`, printing "SAVED i <id>" after each commit. With hang_at=k,
    the k-th save stops for a minute after its rows reached the database, before COMMIT, and
    prints "FLUSHED k" (so a test can kill the process mid-transaction)."""
    import sys
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    from formcheck.store import Store
    from formcheck.store.db import Database
    from formcheck.store.errors import ClientExistsError

    analysis, raw = squat_analysis()
    store = Store(Database(url))
    try:
        store.add_client(client)
    except ClientExistsError:
        pass
    state = {"i": 0}

    @event.listens_for(OrmSession, "after_flush")
    def _hang(session, ctx):
        if hang_at and state["i"] == hang_at:
            print(f"FLUSHED {hang_at}", flush=True)
            time.sleep(60)

    for i in range(1, n + 1):
        state["i"] = i
        info = store.save_session(client, analysis, raw, physio_note=f"{tag} save {i}",
                                  clip_name=f"{tag}-{i}.mp4")
        print(f"SAVED {i} {info.id}", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    url, client, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hang = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    tag = sys.argv[5] if len(sys.argv) > 5 else "p"
    save_loop(url, client, n, hang, tag)
