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


def test_a_cached_copy_is_read_back_exactly_and_only_from_this_runs_pose_model(tmp_path):
    """A landmark cache the gates read (FORMCHECK_LANDMARK_CACHE, FORMCHECK_GRID_CACHE) gives
    back what was saved; a file another backend, model or MediaPipe version made, or one naming
    none, is refused."""
    import dataclasses

    from formcheck.landmarks import N_LANDMARKS, PoseSequence, save_npz
    from formcheck.pose import default_backend, provenance
    from tracking import load_cached

    rng = np.random.default_rng(7)
    n = 12
    seq = PoseSequence(np.arange(n) / 30.0, rng.uniform(0, 640, (n, N_LANDMARKS, 2)),
                       rng.normal(size=(n, N_LANDMARKS)), rng.uniform(size=(n, N_LANDMARKS)),
                       rng.normal(size=(n, N_LANDMARKS, 3)), 640, 480, 30.0, "clip.mp4",
                       meta={"provenance": provenance(default_backend())})
    save_npz(seq, tmp_path / "here.npz", exact=True)
    back = load_cached(tmp_path / "here.npz")
    for name in ("t_s", "xy_px", "z", "visibility", "world_m"):
        assert np.array_equal(getattr(back, name), getattr(seq, name)), name
    assert back.meta == seq.meta
    other = "tasks" if default_backend() == "legacy" else "legacy"
    for name, meta in (("other.npz", {"provenance": provenance(other)}),
                       ("older.npz", {"provenance": {**provenance(default_backend()),
                                                     "mediapipe_version": "0.0.1"}}),
                       ("unnamed.npz", {})):
        save_npz(dataclasses.replace(seq, meta=meta), tmp_path / name, exact=True)
        with pytest.raises(RuntimeError, match=f"{name} was tracked by"):
            load_cached(tmp_path / name)
