"""A real Dask cluster on 127.0.0.1 (a `dask scheduler` and two `dask worker` processes started
here): `formcheck batch --scheduler` and `analyze --scheduler` track on its workers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES
from formcheck.cli import main

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CLIPS = [FIXTURES / "side_knees_past_toes.mp4", FIXTURES / "side_box_pause.mp4"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, the workers' temp folder)."""
    if not all(c.is_file() for c in CLIPS):
        pytest.skip("fixture clips missing")
    base = tmp_path_factory.mktemp("cluster")
    sched_file = base / "scheduler.json"
    worker_tmp = base / "worker-tmp"
    worker_tmp.mkdir()
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                               "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.is_file(), "the scheduler did not start"
        env = dict(os.environ, TMPDIR=str(worker_tmp))
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", "--scheduler-file", str(sched_file), "--host",
                 "127.0.0.1", "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = json.loads(sched_file.read_text())["address"]
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=120)
        yield address, worker_tmp
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_a_batch_runs_on_the_cluster_workers(cluster, tmp_path, capsys):
    address, worker_tmp = cluster
    src = tmp_path / "clips"
    src.mkdir()
    for c in CLIPS:
        shutil.copy(c, src / c.name)
    out = tmp_path / "out"
    code = main(["batch", str(src / "*.mp4"), "--out", str(out), "--scheduler", address])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    for c in CLIPS:
        truth = json.loads(c.with_suffix(".truth.json").read_text())
        assert json.loads((out / f"{c.stem}.json").read_text())["rep_count"] == truth["rep_count"]
    # the clips were shipped to the workers (they track from their own copies, each worker in
    # a private folder of its own) and the copies were deleted when each clip's job ended
    folders = list(worker_tmp.glob("formcheck-worker-*"))
    assert folders and all(f.is_dir() and f.stat().st_mode & 0o777 == 0o700 for f in folders)
    assert f"formcheck-worker-{os.getuid()}" not in {f.name for f in folders}  # not guessable
    assert [p for f in folders for p in f.iterdir()] == []


def test_forget_deletes_copies_left_on_the_workers(cluster):
    """A copy left behind (a job cut off before its clean-up) is deleted by its clip's hash."""
    import hashlib

    from distributed import Client

    from formcheck.engine import drop_worker_copies
    from formcheck.parallel import local_copy

    address, worker_tmp = cluster
    data = CLIPS[0].read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    with Client(address, timeout="30s", set_as_default=False) as c:
        made = c.run(local_copy, CLIPS[0].name, data, sha[:16])
        assert len(made) == 2 and all(os.path.isfile(p) for p in made.values())
        assert drop_worker_copies(c, [sha]) == 2
        assert not any(os.path.exists(p) for p in made.values())


def test_analyze_with_the_scheduler_from_the_environment(cluster, tmp_path, capsys, monkeypatch):
    address, _ = cluster
    monkeypatch.setenv("FORMCHECK_DASK_SCHEDULER", address)
    report = tmp_path / "r.json"
    code = main(["analyze", str(CLIPS[0]), "--report", str(report)])
    assert code == 0, capsys.readouterr().err
    assert json.loads(report.read_text())["rep_count"] == 3


def test_an_unreachable_scheduler_is_a_clear_message(tmp_path, capsys):
    code = main(["analyze", str(CLIPS[0]), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "Traceback" not in err


def test_a_scheduler_without_workers_is_a_clear_message(tmp_path, capsys, monkeypatch):
    import formcheck.engine as engine

    monkeypatch.setattr(engine, "WORKER_WAIT_S", 3.0)
    sched_file = tmp_path / "scheduler.json"
    proc = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", str(sched_file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        code = main(["analyze", str(CLIPS[0]), "--scheduler", address])
        err = capsys.readouterr().err
        assert code == 2
        assert f"The Dask scheduler at {address} has no workers" in err
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_formcheck_forget_deletes_the_clients_clip_copies_on_the_cluster(cluster, tmp_path, capsys,
                                                                         monkeypatch):
    """`formcheck forget` with the scheduler in the environment: copies of the client's clips
    left on the workers are deleted, copies of another client's clip stay."""
    from distributed import Client

    from clinic_helpers import squat_analysis
    from formcheck.parallel import local_copy
    from formcheck.store import open_store
    from formcheck.store.repo import sha256_file

    address, _ = cluster
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    store = open_store(url)
    store.add_client("knee-07")
    store.add_client("hip-02")
    a, raw = squat_analysis()
    store.save_session("knee-07", a, raw, clip_path=CLIPS[0])
    store.save_session("hip-02", a, raw, clip_path=CLIPS[1])
    mine, other = sha256_file(CLIPS[0]), sha256_file(CLIPS[1])
    with Client(address, timeout="30s", set_as_default=False) as c:
        made_mine = c.run(local_copy, CLIPS[0].name, CLIPS[0].read_bytes(), mine[:16])
        made_other = c.run(local_copy, CLIPS[1].name, CLIPS[1].read_bytes(), other[:16])
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", url)
    monkeypatch.setenv("FORMCHECK_DASK_SCHEDULER", address)
    assert main(["forget", "knee-07", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "2 copy(ies) of their clips on the cluster's workers deleted." in out
    assert not any(os.path.exists(p) for p in made_mine.values())
    assert all(os.path.isfile(p) for p in made_other.values())


def _dask_bookkeeping():
    import dask

    return (dask.config.get("distributed.worker.profile.enabled"),
            dask.config.get("distributed.admin.tick.interval"),
            dask.config.get("distributed.admin.system-monitor.interval"),
            dask.config.get("distributed.worker.memory.monitor-interval"))


def test_the_local_clusters_workers_run_without_dasks_profiler():
    """Dask's statistical profiler (a thread sampling the running task every 10 ms), the 20 ms
    tick and the 0.5 s system monitor feed a dashboard formcheck does not serve: off or slowed
    in every worker of the local cluster (batch used 8-14% fewer CPU seconds). The memory
    checks run every second instead of 10 times a second (an idle 2-worker cluster: about half
    the CPU)."""
    from formcheck.engine import Engine

    eng = Engine(workers=1)
    try:
        got = eng.client.run(_dask_bookkeeping)
    finally:
        eng.close()
    assert list(got.values()) == [(False, "1s", "2s", "1s")]
