"""`formcheck analyze` on this machine's cores: the calling process tracks the clip's first chunk
while the local cluster's other worker processes start, and a clip too short to share is tracked
here with no cluster at all."""

from __future__ import annotations

import os

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

CLIP = FIXTURES / "side_knees_past_toes.mp4"   # 9.25 s
TH = get_profile("general")


def test_a_short_clip_is_tracked_here_without_starting_a_cluster():
    with Engine(workers=2, track_here=True) as eng:
        # (9.25 - 6) / 2 s would leave the worker less than the 4-s minimum chunk
        seq = eng.track_video(CLIP)
        assert eng._cluster is None and eng._client is None
    ref = track_video(CLIP)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)
    np.testing.assert_allclose(seq.xy_px, ref.xy_px, atol=1e-3)


def test_the_caller_tracks_the_first_chunk_and_one_worker_the_second(monkeypatch):
    monkeypatch.setattr(engine_mod, "WORKER_HEAD_START_S", 1.0)
    from distributed import get_task_stream

    with Engine(workers=2, track_here=True) as eng:
        with get_task_stream(client=eng.client) as stream:
            seq = eng.track_video(CLIP)
        # a cluster of one worker process: the caller is the other of the two
        assert len(eng.client.scheduler_info()["workers"]) == 1
        assert os.getpid() not in set(eng.client.run(os.getpid).values())
        # the worker tracked one chunk; the first was tracked here
        assert [t["key"].startswith("formcheck-track-") for t in stream.data] == [True]
    ref = track_video(CLIP)
    np.testing.assert_array_equal(seq.t_s, ref.t_s)
    a, b = analyze_sequence(ref, TH), analyze_sequence(seq, TH)
    assert b.rep_count == a.rep_count == 3
    for ma, mb in zip(a.metrics, b.metrics):
        assert abs(mb.bottom_s - ma.bottom_s) <= 0.1
        assert abs(mb.thigh_angle_deg - ma.thigh_angle_deg) <= 2.0
