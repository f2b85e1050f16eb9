"""Step rate from running video: foot contacts from ankle landmarks (synthetic tracks here; the
rendered clip through MediaPipe in the slow test)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import FormcheckError
from formcheck.landmarks import N_LANDMARKS, Landmark, PoseSequence
from formcheck.runs.video_cadence import cadence_from_pose

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "running" / "running_side.mp4"


def _runner(spm: float, seconds: float = 12.0, fps: float = 30.0, noise_px: float = 1.0,
            seed: int = 0) -> PoseSequence:
    """Side-on runner: ankles swing +-A around the hips, one full swing per stride, so the
    ankle distance peaks every 60/spm s (at t = (k + 1/2) * 60/spm)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, 1 / fps)
    n = len(t)
    xy = np.full((n, N_LANDMARKS, 2), np.nan)
    stride = 120.0 / spm
    for lm, (x, y) in {Landmark.LEFT_SHOULDER: (200, 120), Landmark.RIGHT_SHOULDER: (202, 121),
                       Landmark.LEFT_HIP: (200, 250), Landmark.RIGHT_HIP: (202, 251),
                       Landmark.LEFT_KNEE: (210, 340), Landmark.RIGHT_KNEE: (212, 341),
                       Landmark.NOSE: (225, 70)}.items():
        xy[:, lm] = (x, y)
    swing = 60 * np.sin(2 * np.pi * t / stride)
    for sign, (ank, heel, toe) in ((1, (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL,
                                        Landmark.LEFT_FOOT_INDEX)),
                                   (-1, (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL,
                                         Landmark.RIGHT_FOOT_INDEX))):
        xy[:, ank, 0] = 205 + sign * swing
        xy[:, ank, 1] = 430
        xy[:, heel] = xy[:, ank] + (-10, 8)
        xy[:, toe] = xy[:, ank] + (30, 12)
    xy += rng.normal(0, noise_px, xy.shape)
    vis = np.where(np.isfinite(xy[..., 0]), 0.99, 0.0)
    return PoseSequence(t, xy, np.zeros((n, N_LANDMARKS)), vis,
                        np.full((n, N_LANDMARKS, 3), np.nan), 400, 480, fps, "runner")


@pytest.mark.parametrize("spm", [150.0, 168.0, 185.0])
def test_step_rate_of_a_synthetic_runner(spm):
    r = cadence_from_pose(_runner(spm))
    assert abs(r.steps_per_min - spm) <= r.uncertainty_spm
    assert r.uncertainty_spm < 1.0
    step = 60.0 / spm
    want = np.arange(step / 2, 12.0 - 2 / 30, step)
    assert len(r.contacts_s) == len(want)
    assert np.max(np.abs(np.asarray(r.contacts_s) - want)) < 1 / 30


def test_left_right_swaps_do_not_matter():
    seq = _runner(170.0)
    xy = seq.xy_px.copy()
    swap = (np.arange(len(seq)) // 7) % 2 == 1      # labels swapped every other 7 frames
    la, ra = int(Landmark.LEFT_ANKLE), int(Landmark.RIGHT_ANKLE)
    xy[swap, la], xy[swap, ra] = seq.xy_px[swap, ra], seq.xy_px[swap, la]
    r = cadence_from_pose(seq.replace(xy_px=xy))
    assert abs(r.steps_per_min - 170.0) <= r.uncertainty_spm


def test_too_short_or_feet_missing_is_a_clear_error():
    with pytest.raises(FormcheckError, match="shorter than 10 s"):
        cadence_from_pose(_runner(170.0, seconds=6.0), "clip.mp4")
    seq = _runner(170.0)
    xy = seq.xy_px.copy()
    xy[: len(seq) // 2, int(Landmark.LEFT_ANKLE)] = np.nan
    with pytest.raises(FormcheckError, match="feet were found in only"):
        cadence_from_pose(seq.replace(xy_px=xy), "clip.mp4")


@pytest.mark.slow
@pytest.mark.skipif(not CLIP.is_file(), reason="rendered clip missing (tools/make_running_clip.py)")
def test_rendered_running_clip_through_mediapipe():
    from formcheck.pose import track_video

    truth = json.loads(CLIP.with_suffix(".truth.json").read_text())
    r = cadence_from_pose(track_video(CLIP), CLIP.name)
    assert abs(r.steps_per_min - truth["step_rate_spm"]) <= r.uncertainty_spm < 1.0
    assert len(r.contacts_s) == len(truth["contacts_s"]) == 33
    # every contact found at the same delay after the model's (the feet are furthest apart
    # shortly after landing): steady to a fraction of a frame, so the rate is unbiased
    lag = np.asarray(r.contacts_s) - np.asarray(truth["contacts_s"])
    assert 0.0 < lag.mean() < 0.15 and lag.std() < 1 / truth["fps"]


def test_cli_run_cadence_from_landmarks(tmp_path, capsys):
    from formcheck.cli import main
    from formcheck.landmarks import save_npz

    save_npz(_runner(160.0), tmp_path / "run.npz")
    assert main(["run-cadence", "--from-landmarks", str(tmp_path / "run.npz"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert abs(out["steps_per_min"] - 160.0) <= out["uncertainty_spm"]
    assert out["target_10_spm"] == pytest.approx(out["steps_per_min"] * 1.1, rel=1e-12)
    assert main(["run-cadence"]) == 2
    assert "Give a video of running" in capsys.readouterr().err
