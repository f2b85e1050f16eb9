"""`formcheck analyze` on this machine's cores: the calling process starts tracking the clip at
once while its worker processes start (plain spawned processes, local_workers.py: no Dask), then
shares what is left with them; a clip too short to share is tracked here with no worker at all."""

from __future__ import annotations

import logging
import os
import threading

import numpy as np
import pytest

from conftest import FIXTURES, ffmpeg_decoder_threads
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


def test_a_worker_tracks_its_first_chunk_with_the_model_it_made_while_starting():
    """The worker makes its pose model before it says it is ready (so the split, decided then,
    does not wait for it); its chunk's landmarks are those of a model made for the chunk."""
    from formcheck.local_workers import LocalWorkers
    from formcheck.parallel import Chunk, track_chunk

    clip = str(FIXTURES / "side_knees_past_toes.mp4")
    args = (clip, Chunk(1, 2.0, 4.0, 3.0), 30.0, 360, 480, 24.0, 9.25, "side_knees_past_toes.mp4")
    here = track_chunk(*args)
    workers = LocalWorkers(1)
    try:
        workers.start()
        workers.track(1, args)
        got = []
        for _ in range(480):                   # up to 120 s on a busy machine
            got += [m for m in workers.collect(0.25) if m[0] != "progress"]
            if got:
                break
    finally:
        workers.close()
    [(kind, tag, part)] = got
    assert (kind, tag) == ("done", 1)
    assert len(part["t_s"]) == len(here["t_s"]) == 48
    np.testing.assert_array_equal(part["t_s"], here["t_s"])
    np.testing.assert_array_equal(part["xy_px"], here["xy_px"])
    np.testing.assert_array_equal(part["world_m"], here["world_m"])


def test_tracking_refuses_a_model_that_has_seen_frames():
    from formcheck.pose import PoseEstimator, track_frames
    from formcheck.video import iter_frames

    frames = list(iter_frames(FIXTURES / "side_knees_past_toes.mp4", end_s=0.2))
    with PoseEstimator() as est:
        est.process(frames[0].rgb, 360, 480)
        with pytest.raises(ValueError, match="fresh"):
            track_frames(frames, 360, 480, 24.0, estimator=est)


def test_workers_start_from_the_sys_path_they_were_launched_with(tmp_path, monkeypatch):
    """OpenCV's import puts its own folder first on sys.path for a moment (its `typing` package
    then hides Python's); a worker spawned in that moment died at start. Workers are launched
    (their sys.path copied) before this process imports anything for the clip; what sys.path
    holds afterwards does not reach them."""
    from formcheck.local_workers import LocalWorkers

    shadow = tmp_path / "shadow" / "typing"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('the wrong typing')\n")
    workers = LocalWorkers(1)
    try:
        workers.launch()
        monkeypatch.syspath_prepend(str(shadow.parent))
        workers.start()
        assert len(workers.pids) == 1
    finally:
        workers.close()


def test_a_shared_clip_launches_its_workers_before_this_process_tracks(monkeypatch):
    """The order that keeps OpenCV's sys.path change away from the workers: spawned from the
    calling thread, before the chunk tracked here (which imports MediaPipe) begins."""
    seen = []

    def fake_track_chunk(*args, **kwargs):
        seen.append(eng._local is not None and len(eng._local._procs))
        raise RuntimeError("stop here")

    monkeypatch.setattr(engine_mod, "track_chunk", fake_track_chunk)
    eng = Engine(workers=2, track_here=True)
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            eng.track_video(FIXTURES / "chair_stand_30s.mp4")
    finally:
        eng.close()
    assert seen == [1]


def test_a_worker_that_finishes_first_takes_the_end_of_the_callers_chunk(monkeypatch, caplog):
    """Work stealing: the worker's chunk is back while the caller still has 3.1 s of its own
    to track; the worker tracks the end of it as a new chunk (from an overlap before the new
    boundary), the caller stops at that boundary, and the three chunks merge, in order of
    start, into what one pass gives."""
    from formcheck import parallel
    from formcheck.local_workers import LocalWorkers
    from formcheck.parallel import Chunk

    clip = FIXTURES / "side_knees_past_toes.mp4"   # 222 frames at 24 fps: 9.25 s
    monkeypatch.setattr(engine_mod, "MIN_CHUNK_S", 1.0)
    monkeypatch.setattr(engine_mod, "RATE_GUESS", 0.5)
    at_2, split = threading.Event(), threading.Event()
    at_3, stolen = threading.Event(), threading.Event()
    # the caller's own tracker (its progress is the video it has tracked) waits at 2 s of
    # video until the clip is split, and at 3 s until the worker has taken the end of its
    # chunk; the split waits for the caller at 2 s, the worker's chunk comes back once the
    # caller is at 3 s
    track = engine_mod.track_chunk

    def track_and_wait(*args, **kwargs):
        args = list(args)
        told = args[8]

        def progress(done_s: float, total_s: float) -> None:
            told(done_s, total_s)
            if done_s >= 2.0 - 1e-6 and not at_2.is_set():
                at_2.set()
                assert split.wait(300)
            if done_s >= 3.0 - 1e-6 and not at_3.is_set():
                at_3.set()
                assert stolen.wait(300)

        args[8] = progress
        return track(*args, **kwargs)

    monkeypatch.setattr(engine_mod, "track_chunk", track_and_wait)
    start = Engine._start_workers

    def start_when_caller_at_2(self):
        start(self)
        assert at_2.wait(300)

    monkeypatch.setattr(Engine, "_start_workers", start_when_caller_at_2)
    rest = Engine._track_rest

    def rest_after_split(self, *args, **kwargs):
        split.set()
        return rest(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "_track_rest", rest_after_split)
    collect = LocalWorkers.collect

    def collect_when_caller_at_3(self, timeout_s, wake=None):
        got = collect(self, timeout_s, wake)
        if any(kind == "done" and tag == 1 for kind, tag, _ in got):
            assert at_3.wait(300)
        return got

    monkeypatch.setattr(LocalWorkers, "collect", collect_when_caller_at_3)
    decisions = []

    def one_steal(here_s, here_end_s, rate, index, max_fps):
        # the first as parallel.steal_chunk decides it (no start-up cost for the new chunk, so
        # that the boundary does not depend on the machine's speed); no second
        d = parallel.steal_chunk(here_s, here_end_s, rate, index, max_fps, new_chunk_cost_s=0.0)
        if decisions:
            d = parallel.StealDecision(None, d.min_left_s, "one steal in this test")
        decisions.append((here_s, here_end_s, index, d.chunk))
        stolen.set()
        return d

    monkeypatch.setattr(engine_mod, "steal_chunk", one_steal)
    merged_chunks = []
    merge = engine_mod.merge_chunks

    def merge_and_keep(parts, chunks, *args, **kwargs):
        merged_chunks.append(list(chunks))
        return merge(parts, chunks, *args, **kwargs)

    monkeypatch.setattr(engine_mod, "merge_chunks", merge_and_keep)

    caplog.set_level(logging.INFO, logger="formcheck.engine")
    with Engine(workers=2, track_here=True) as eng:
        seq = eng.track_video(clip)
    here_s, here_end_s, index, chunk = decisions[0]
    assert here_s == pytest.approx(3.0) and here_end_s == pytest.approx((9.25 + 3.0) / 2)
    boundary = 3.0 + (here_end_s - 3.0 + parallel.OVERLAP_S) / 2
    assert boundary == pytest.approx(5.0625)
    assert (index, chunk.start_s, chunk.end_s) == (2, pytest.approx(121 / 30),
                                                   pytest.approx(6.125))
    assert chunk.boundary_s == pytest.approx(boundary)
    [chunks] = merged_chunks
    assert [c.index for c in chunks] == [0, 2, 1]
    assert chunks[0] == Chunk(0, 0.0, chunk.boundary_s, 0.0)
    assert chunks[1] == chunk
    assert (chunks[2].start_s, chunks[2].end_s) == (pytest.approx(153 / 30), None)
    logs = [r.getMessage() for r in caplog.records]
    assert any("a worker is idle;" in m and "a worker takes 4.03-6.12 s" in m for m in logs)
    ref = track_video(clip)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)
    a, b = analyze_sequence(ref, TH), analyze_sequence(seq, TH)
    assert b.rep_count == a.rep_count == 3
    for ma, mb in zip(a.metrics, b.metrics):          # the parity tolerances (bench_parity.py)
        assert abs(mb.bottom_s - ma.bottom_s) <= 0.1
        assert abs(mb.thigh_angle_deg - ma.thigh_angle_deg) <= 2.0
        assert abs(mb.knee_over_toe_ratio - ma.knee_over_toe_ratio) <= 0.05


def test_the_callers_chunk_ending_last_is_seen_at_once_not_at_the_next_poll(monkeypatch):
    """The worker's chunk is back first; the caller's tracker ends later. Waiting for the
    workers' messages (here POLL_S = 30 s, and a worker with nothing to track sends none) ends
    as soon as the caller's chunk does, not at the wait's timeout."""
    import time

    from formcheck.local_workers import LocalWorkers

    clip = FIXTURES / "side_knees_past_toes.mp4"   # 222 frames at 24 fps: 9.25 s
    monkeypatch.setattr(engine_mod, "MIN_CHUNK_S", 1.0)
    monkeypatch.setattr(engine_mod, "RATE_GUESS", 0.5)
    monkeypatch.setattr(engine_mod, "POLL_S", 30.0)
    ready, worker_done = threading.Event(), threading.Event()
    start = Engine._start_workers

    def start_and_tell(self):
        start(self)
        ready.set()

    monkeypatch.setattr(Engine, "_start_workers", start_and_tell)
    collect = LocalWorkers.collect

    def collect_and_tell(self, timeout_s, wake=None):
        got = collect(self, timeout_s, wake)
        if any(kind == "done" for kind, _, _ in got):
            worker_done.set()
        return got

    monkeypatch.setattr(LocalWorkers, "collect", collect_and_tell)
    from formcheck.parallel import StealDecision

    monkeypatch.setattr(engine_mod, "steal_chunk", lambda *a, **k: StealDecision(
        None, 0.0, "no steal in this test"))
    track = engine_mod.track_chunk
    ended: list[float] = []

    def track_and_wait(*args, **kwargs):
        args = list(args)
        told = args[8]

        def progress(done_s: float, total_s: float) -> None:
            told(done_s, total_s)
            if done_s >= 2.0 - 1e-6:
                assert ready.wait(300)
            if done_s >= 3.0 - 1e-6:      # the caller's chunk goes on after the worker's
                assert worker_done.wait(300)

        args[8] = progress
        try:
            return track(*args, **kwargs)
        finally:
            ended.append(time.monotonic())

    monkeypatch.setattr(engine_mod, "track_chunk", track_and_wait)
    rest = Engine._track_rest
    back: list[float] = []

    def rest_and_time(self, *args, **kwargs):
        try:
            return rest(self, *args, **kwargs)
        finally:
            back.append(time.monotonic())

    monkeypatch.setattr(Engine, "_track_rest", rest_and_time)
    with Engine(workers=2, track_here=True) as eng:
        seq = eng.track_video(clip)
    assert worker_done.is_set() and len(ended) == 1 and len(back) == 1
    assert back[0] - ended[0] < 5.0       # without the wake-up: about 25 s (POLL_S)
    ref = track_video(clip)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="FFmpeg starts frame threads on 2+ cores")
def test_a_clip_tracked_here_alone_decodes_in_ffmpegs_threads_as_one_worker_does():
    """The default two workers on a clip too short to share track it in this process alone:
    decoded as `--workers 1` decodes it, in FFmpeg's frame threads (one decoder thread is for
    a chunk beside other trackers), the same frames and landmarks."""
    clip = FIXTURES / "side_box_pause.mp4"    # 8.33 s: too short to share
    seen: set[str] = set()

    def progress(done_s: float, total_s: float) -> None:
        seen.update(ffmpeg_decoder_threads())

    with Engine(workers=2, track_here=True) as eng:
        seq = eng.track_video(clip, progress=progress)
        assert eng._local is None
    assert seen, "expected FFmpeg's decoder threads while the clip was tracked alone"
    ref = track_video(clip)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)
    np.testing.assert_array_equal(seq.xy_px, ref.xy_px)
