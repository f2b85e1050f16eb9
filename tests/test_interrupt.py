"""Ctrl-C with two workers ends `formcheck analyze` within 5 s (issue 24: it took 85 s, the
command finishing its own chunk first), with the command's words and no worker left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

LIMIT_S = 5.0


def looped_clip(path: Path, times: int = 4) -> Path:
    """The fixture's packets repeated with shifted timestamps (no re-encoding): a long clip."""
    import av

    src = FIXTURES / "side_knees_past_toes.mp4"
    with av.open(str(src)) as inp, av.open(str(path), "w") as out:
        ins = inp.streams.video[0]
        ost = out.add_stream_from_template(ins)
        pkts = [p for p in inp.demux(ins) if p.size]
        step = pkts[1].pts - pkts[0].pts
        seg = max(p.pts for p in pkts) - min(p.pts for p in pkts) + step
        for k in range(times):
            for p in pkts:
                q = av.Packet(bytes(p))
                q.pts, q.dts = p.pts + k * seg, p.dts + k * seg
                q.is_keyframe, q.time_base, q.stream = p.is_keyframe, ins.time_base, ost
                out.mux(q)
    return path


def _session(sid: int) -> dict[int, str]:
    """pid -> command line of the processes in session `sid` (the command and its children)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,sid=,stat=,args="], capture_output=True,
                         text=True).stdout
    rows = [ln.split(None, 3) for ln in out.splitlines()]
    return {int(r[0]): f"{r[2]} {r[3] if len(r) > 3 else ''}" for r in rows
            if int(r[1]) == sid and not r[2].startswith("Z")}    # zombies are gone already


def _session_pids(sid: int) -> list[int]:
    return list(_session(sid))


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    return looped_clip(tmp_path_factory.mktemp("long") / "long.mp4")


@pytest.mark.parametrize("whom", ["group", "command"])
def test_ctrl_c_with_two_workers_ends_within_5_s(long_clip, tmp_path, whom):
    """`group`: the terminal's Ctrl-C (SIGINT to every process of the foreground group);
    `command`: SIGINT to the command alone (its workers do not get it)."""
    err = tmp_path / "err.txt"
    with open(err, "wb") as e:
        p = subprocess.Popen([sys.executable, "-m", "formcheck.cli", "-v", "analyze",
                              str(long_clip), "--workers", "2"],
                             stdout=subprocess.DEVNULL, stderr=e, start_new_session=True,
                             # as from a terminal: a launcher run in the background without job
                             # control (nohup ... &) hands its children SIGINT ignored, and
                             # Python then installs no Ctrl-C handler at all
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while "worker(s) the rest" not in err.read_text() and time.monotonic() < deadline:
            assert p.poll() is None, err.read_text()[-3000:]
            time.sleep(0.2)
        assert "worker(s) the rest" in err.read_text(), "the workers never took a chunk"
        time.sleep(1.0)                                   # all of them tracking
        if whom == "group":
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGINT)
        t0 = time.monotonic()
        code = p.wait(timeout=60)
        took = time.monotonic() - t0
        while _session_pids(p.pid) and time.monotonic() - t0 < LIMIT_S:
            time.sleep(0.1)
        left = _session(p.pid)
        gone = time.monotonic() - t0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        for pid in _session_pids(p.pid):
            os.kill(pid, signal.SIGKILL)
    text = err.read_text()
    assert code == 130, text[-3000:]
    assert took <= LIMIT_S, f"exited after {took:.1f} s"
    assert left == {}, f"still running {gone:.1f} s after Ctrl-C: {left}"
    assert text.rstrip().endswith("formcheck: interrupted"), text[-3000:]
    assert "Traceback" not in text
    # Dask's own warnings about the workers' end do not reach the user (formcheck logs it)
    assert "WARNING distributed" not in text


def test_a_cancelled_job_stops_on_the_workers_at_once(long_clip):
    """The app's hook (Engine.track_video(cancel=EVENT)): setting the event ends the call with
    Cancelled, and the worker stops the chunk instead of tracking on for nobody."""
    import threading

    from formcheck import parallel
    from formcheck.engine import Cancelled, Engine

    cancel = threading.Event()
    started = threading.Event()

    def progress(done_s, total_s):
        if done_s > 0.5:
            started.set()

    with Engine(workers=1) as eng:
        eng.client.run(os.getpid)
        threading.Timer(0, lambda: started.wait(240) and cancel.set()).start()
        t0 = None
        with pytest.raises(Cancelled):
            try:
                eng.track_video(long_clip, progress=progress, cancel=cancel)
            finally:
                t0 = time.monotonic()
        assert cancel.is_set()
        # the worker's only thread is free within a moment: a new task runs at once (it
        # would wait for the rest of the 37-s clip otherwise)
        assert eng.client.submit(os.getpid, pure=False).result(timeout=5) != os.getpid()
        assert time.monotonic() - t0 < 5.0
        [stopped] = eng.client.run(lambda: sorted(parallel._CANCELLED_RUNS)).values()
        assert len(stopped) == 1
