"""`formcheck analyze` on this machine's cores: the calling process starts tracking the clip at
once while its worker processes start (plain spawned processes, local_workers.py: no Dask), then
shares what is left with them; a clip too short to share is tracked here with no worker at all."""

from __future__ import annotations

import logging
import os
import threading

import numpy as np
import pytest

from conftest import FIXTURES
from formcheck import engine as engine_mod
from formcheck.analysis import analyze_sequence
from formcheck.engine import Engine
from formcheck.pose import track_video
from formcheck.thresholds import get_profile

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

TH = get_profile("general")


def test_a_clip_too_short_to_share_is_tracked_here_without_starting_a_cluster():
    clip = FIXTURES / "side_box_pause.mp4"    # 200 frames at 24 fps: 8.33 s
    with Engine(workers=2, track_here=True) as eng:
        # even with the workers ready after 2 s, the second chunk would be (8.33 - 3) / 2 < 4 s
        seq = eng.track_video(clip)
        assert eng._local is None and eng._cluster is None and eng._client is None
    ref = track_video(clip)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)
    np.testing.assert_allclose(seq.xy_px, ref.xy_px, atol=1e-3)


def test_the_caller_tracks_while_the_worker_starts_then_they_share_the_rest(monkeypatch, caplog):
    clip = FIXTURES / "side_knees_past_toes.mp4"   # 222 frames at 24 fps: 9.25 s
    monkeypatch.setattr(engine_mod, "MIN_CHUNK_S", 1.0)
    # a slow tracker (as this test makes it: it waits for the worker), so sharing pays up front
    monkeypatch.setattr(engine_mod, "RATE_GUESS", 0.5)
    # the caller's tracker waits at 2 s of video until the worker has MediaPipe loaded, so the
    # rest is shared whatever the machine's speed
    ready = threading.Event()
    start = Engine._start_workers

    def start_and_tell(self):
        start(self)
        ready.set()

    monkeypatch.setattr(Engine, "_start_workers", start_and_tell)
    callers: set[str] = set()

    def progress(done_s: float, total_s: float) -> None:
        callers.add(threading.current_thread().name)
        if threading.current_thread().name.startswith("formcheck-here") and done_s >= 2.0:
            assert ready.wait(300)

    caplog.set_level(logging.INFO, logger="formcheck.engine")
    with Engine(workers=2, track_here=True) as eng:
        seq = eng.track_video(clip, progress=progress)
        # one worker process, no Dask cluster: the caller is the other of the two trackers
        assert len(eng._local.pids) == 1 and os.getpid() not in eng._local.pids
        assert eng._cluster is None and eng._client is None
    [split] = [r.getMessage() for r in caplog.records if "worker(s) the rest" in r.getMessage()]
    assert split.endswith("1 worker(s) the rest")
    assert any("starting 1 worker process(es)" in r.getMessage() for r in caplog.records)
    # the caller tracked from the start; its progress came from its own thread
    assert any(n.startswith("formcheck-here") for n in callers)
    ref = track_video(clip)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)
    a, b = analyze_sequence(ref, TH), analyze_sequence(seq, TH)
    assert b.rep_count == a.rep_count == 3
    for ma, mb in zip(a.metrics, b.metrics):
        assert abs(mb.bottom_s - ma.bottom_s) <= 0.1
        assert abs(mb.thigh_angle_deg - ma.thigh_angle_deg) <= 2.0


def test_a_worker_that_cannot_read_its_chunk_sends_the_users_message_and_ends_on_close(tmp_path):
    from formcheck.errors import VideoOpenError
    from formcheck.local_workers import LocalWorkers
    from formcheck.parallel import Chunk

    bad = tmp_path / "holiday.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    workers = LocalWorkers(1)
    try:
        workers.start()
        [pid] = workers.pids
        assert pid != os.getpid()
        workers.track(0, (str(bad), Chunk(0, 0.0, None, 0.0), 30.0, 640, 480, 30.0, 10.0,
                          "holiday.mp4"))
        got = []
        for _ in range(240):                   # up to 60 s on a busy machine
            got += [m for m in workers.collect(0.25) if m[0] != "progress"]
            if got:
                break
        [(kind, tag, exc)] = got
        assert (kind, tag, type(exc)) == ("error", 0, VideoOpenError)
        assert "holiday.mp4" in str(exc)
        procs = list(workers._procs)
    finally:
        workers.close()
    assert [p.is_alive() for p in procs] == [False]


def test_chunks_on_this_machines_workers_decode_with_slice_threads_only():
    """Worker processes of this machine decode at once on its cores: no frame threads (video.
    decoder_threads_for); a remote cluster's machines decide for themselves."""
    from formcheck.engine import Engine

    assert Engine(workers=2)._decoder_threads() == "SLICE"
    assert Engine(workers=1)._decoder_threads() == "AUTO"
    assert Engine(scheduler="tls://192.0.2.1:8786", workers=2)._decoder_threads() == "AUTO"
