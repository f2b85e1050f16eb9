"""The tests' parallel clip tracking (tests/tracking.py) gives the landmarks sequential tracking
gives, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FIXTURES
from tracking import track_clips


@pytest.mark.slow
def test_two_worker_processes_track_exactly_what_this_process_tracks():
    from formcheck.pose import track_video

    clip = FIXTURES / "side_box_pause.mp4"
    here = track_video(clip)
    assert len(here) > 50 and here.detected.sum() > 50
    # the same clip twice, in two spawned worker processes, each with a fresh model
    pooled = track_clips([clip, clip], workers=2)
    assert len(pooled) == 2
    for seq in pooled:
        for name in ("t_s", "xy_px", "z", "visibility", "world_m"):
            assert np.array_equal(getattr(seq, name), getattr(here, name), equal_nan=True), name
        assert (seq.width_px, seq.height_px, seq.fps, seq.source, seq.meta) == (
            here.width_px, here.height_px, here.fps, here.source, here.meta)
