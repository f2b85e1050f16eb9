"""Abandoned app work stops (issue 24.3): a job whose browser session ended, or that ran past its
time limit, is cancelled, and the worker running it frees its core within seconds (Dask cannot
stop a running task; each chunk task checks at every frame whether it is still wanted)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from conftest import write_clip
from formcheck.errors import JobCancelledError

pytest.importorskip("streamlit")
pytest.importorskip("distributed")


def test_job_progress_stops_a_job_whose_session_ended():
    from formcheck.app import offload

    alive = {"s1": True}
    shown = []
    progress = offload.job_progress(lambda d, t: shown.append((d, t)), "s1", time_limit_s=60,
                                    alive=lambda sid: alive[sid])
    progress(1.0, 10.0)
    alive["s1"] = False
    with pytest.raises(JobCancelledError) as e:
        progress(2.0, 10.0)
    assert str(e.value) == ("The browser tab that asked for this analysis was closed; the "
                            "analysis was stopped.")
    assert shown == [(1.0, 10.0)]


def test_job_progress_stops_a_job_past_its_time_limit():
    from formcheck.app import offload

    now = [100.0]
    shown = []
    progress = offload.job_progress(lambda d, t: shown.append(d), "s1", time_limit_s=120,
                                    clock=lambda: now[0], alive=lambda sid: True)
    now[0] = 219.0
    progress(5.0, 10.0)
    now[0] = 221.0
    with pytest.raises(JobCancelledError) as e:
        progress(6.0, 10.0)
    assert str(e.value) == ("The analysis took longer than 2 min, this server's limit for one "
                            "clip, and was stopped. Trim the clip to the sets you want checked "
                            "(or ask whoever runs the server to raise "
                            "FORMCHECK_APP_JOB_TIME_LIMIT_S).")
    assert shown == [5.0]


def test_the_time_limit_is_a_setting(monkeypatch):
    from formcheck import limits

    assert limits.current().app_job_time_limit_s == 3600.0
    monkeypatch.setenv("FORMCHECK_APP_JOB_TIME_LIMIT_S", "90")
    assert limits.current().app_job_time_limit_s == 90.0


def test_progress_words_never_say_of_zero_seconds():
    from formcheck.app.offload import progress_words

    assert progress_words("a.webm", 12.0, 0.0) == "Tracking a.webm: 12.0 s so far"
    assert progress_words("a.webm", 12.0, 40.0) == "Tracking a.webm: 12.0 of 40.0 s"


@pytest.mark.slow
def test_a_cancelled_job_frees_its_worker_within_seconds(tmp_path):
    """One worker, one long clip (4 min of frames: about a minute of tracking). The job is
    abandoned 2 s into tracking; a tiny task sent next runs as soon as the worker's only thread
    is free again."""
    from formcheck.engine import Engine

    frame = np.full((64, 64, 3), 90, np.uint8)
    clip = write_clip(tmp_path / "long.mp4", [frame] * (240 * 30), fps=30)
    started = []

    def progress(done_s, total_s):
        if done_s > 0 and not started:
            started.append(time.monotonic())
        if started and time.monotonic() - started[0] > 2.0:
            raise JobCancelledError("session ended")

    with Engine(workers=1) as eng:
        with pytest.raises(JobCancelledError, match="session ended"):
            eng.track_video(clip, max_fps=30, progress=progress)
        t0 = time.monotonic()
        assert eng.client.submit(lambda: 7, pure=False).result(timeout=60) == 7
        freed_s = time.monotonic() - t0
    assert started, "tracking never started"
    assert freed_s < 5.0, f"the worker stayed busy {freed_s:.1f} s after the job was cancelled"
