"""Shared helpers for the clinic tests: a synthetic side-view squatter (no MediaPipe needed)."""

from __future__ import annotations

import math

import numpy as np

from formcheck.analysis import Analysis, analyze_sequence
from formcheck.landmarks import N_LANDMARKS, PoseSequence
from formcheck.landmarks import Landmark as L
from formcheck.thresholds import get_profile

# Segment lengths in pixels for a 720x1280 portrait frame, person ~1000 px tall.
SHANK, THIGH, TRUNK, NECK, FOOT_BACK, FOOT_FRONT = 250.0, 260.0, 300.0, 110.0, 45.0, 150.0


def _pose(ankle_x: float, ground_y: float, shin_deg: float, thigh_deg: float,
          lean_deg: float) -> dict[str, np.ndarray]:
    """2D side-view joints facing +x. shin_deg from vertical (+ knee forward), thigh_deg from
    horizontal (+ hip below knee), lean_deg trunk from vertical (+ forward)."""
    ankle = np.array([ankle_x, ground_y - 60.0])
    s = math.radians(shin_deg)
    knee = ankle + SHANK * np.array([math.sin(s), -math.cos(s)])
    t = math.radians(thigh_deg)
    hip = knee + THIGH * np.array([-math.cos(t), math.sin(t)])
    le = math.radians(lean_deg)
    shoulder = hip + TRUNK * np.array([math.sin(le), -math.cos(le)])
    head = shoulder + NECK * np.array([math.sin(le), -math.cos(le)])
    return {"ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder, "head": head,
            "heel": np.array([ankle_x - FOOT_BACK, ground_y - 15.0]),
            "toe": np.array([ankle_x + FOOT_FRONT, ground_y - 10.0])}


def _standing() -> tuple[float, float, float]:
    # thigh hanging: thigh angle -90 deg (knee straight below hip)
    return 2.0, -88.0, 4.0


def squat_sequence(reps: int = 3, fps: float = 30.0, bottom_thigh_deg=(5.0, 0.0, -5.0),
                   bottom_shin_deg=(38.0, 30.0, 24.0), seed: int = 0,
                   source: str = "synthetic.mp4") -> PoseSequence:
    """A person seen from the side squatting `reps` times (1 s stand, 1.2 s down, 0.5 s pause,
    1.0 s up, 1 s stand between). Per-rep bottom thigh and shin angles are given."""
    rng = np.random.default_rng(seed)
    phases = []  # (duration, u0, u1) with u 0 standing .. 1 bottom
    phases.append((1.0, 0.0, 0.0))
    for _ in range(reps):
        phases += [(1.2, 0.0, 1.0), (0.5, 1.0, 1.0), (1.0, 1.0, 0.0), (1.0, 0.0, 0.0)]
    total = sum(p[0] for p in phases)
    n = int(total * fps)
    t = np.arange(n) / fps
    xy = np.full((n, N_LANDMARKS, 2), np.nan)
    vis = np.full((n, N_LANDMARKS), 0.95)
    z = np.zeros((n, N_LANDMARKS))
    world = np.zeros((n, N_LANDMARKS, 3))
    sh0, th0, le0 = _standing()
    for i, ti in enumerate(t):
        acc, rep_i, u = 0.0, -1, 0.0
        for k, (d, u0, u1) in enumerate(phases):
            if ti < acc + d or k == len(phases) - 1:
                f = min(1.0, (ti - acc) / d)
                f = 0.5 - 0.5 * math.cos(math.pi * f)
                u = u0 + (u1 - u0) * f
                rep_i = max(0, (k - 1) // 4)
                break
            acc += d
        rep_i = min(rep_i, reps - 1)
        sh = sh0 + u * (bottom_shin_deg[rep_i % len(bottom_shin_deg)] - sh0)
        th = th0 + u * (bottom_thigh_deg[rep_i % len(bottom_thigh_deg)] - th0)
        le = le0 + u * (40.0 - le0)
        for side, dx, v, zz in (("left", 0.0, 0.98, -0.1), ("right", -8.0, 0.6, 0.1)):
            p = _pose(300.0 + dx, 1200.0, sh, th, le)
            ids = {"hip": L.LEFT_HIP, "knee": L.LEFT_KNEE, "ankle": L.LEFT_ANKLE,
                   "heel": L.LEFT_HEEL, "toe": L.LEFT_FOOT_INDEX, "shoulder": L.LEFT_SHOULDER}
            for name, lm in ids.items():
                idx = int(lm) + (1 if side == "right" else 0)
                xy[i, idx] = p[name]
                vis[i, idx] = v
                z[i, idx] = zz
                world[i, idx] = [p[name][0] / 1000, p[name][1] / 1000, zz]
            head = p["head"]
        for lm, off in ((L.NOSE, (30, 0)), (L.LEFT_EAR, (-10, 0)), (L.RIGHT_EAR, (-12, 0)),
                        (L.LEFT_EYE, (20, -10)), (L.RIGHT_EYE, (18, -10)),
                        (L.LEFT_ELBOW, (60, 150)), (L.RIGHT_ELBOW, (55, 150)),
                        (L.LEFT_WRIST, (180, 120)), (L.RIGHT_WRIST, (175, 120))):
            xy[i, int(lm)] = head + np.array(off) if "EAR" in lm.name or "EYE" in lm.name \
                or lm == L.NOSE else xy[i, int(L.LEFT_SHOULDER)] + np.array(off)
    # a shoulder/hip line pointing at the camera (side view) in world coordinates
    world[:, int(L.LEFT_SHOULDER), 2] = -0.18
    world[:, int(L.RIGHT_SHOULDER), 2] = 0.18
    world[:, int(L.LEFT_HIP), 2] = -0.1
    world[:, int(L.RIGHT_HIP), 2] = 0.1
    missing = np.isnan(xy[..., 0])
    world[missing] = np.nan
    vis[missing] = 0.0
    xy = xy + rng.normal(0, 0.8, xy.shape)
    return PoseSequence(t_s=t, xy_px=xy, z=z, visibility=vis, world_m=world, width_px=720,
                        height_px=1280, fps=fps, source=source)


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
