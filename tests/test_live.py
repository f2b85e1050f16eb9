"""LiveSession without a camera: synthetic landmark frames through push_pose, a stub model for
the mirrored input, and (slow) a fixture clip through the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.landmarks import N_LANDMARKS
from formcheck.landmarks import Landmark as L
from formcheck.live import LiveRepCounter, LiveSession, annotate_live
from formcheck.reps import RepSettings, find_reps

FIXTURES = Path(__file__).resolve().parents[1] / "videos" / "fixtures"
W, H = 360, 480


def side_pose(bend: float) -> np.ndarray:
    """A side-view squatter facing +x; bend 0 = standing, 1 = thighs level (pixels)."""
    thigh, shin, torso = 100.0, 100.0, 130.0
    ankle = np.array([180.0, 420.0])
    shin_ang = np.radians(35 * bend)            # shank leans forward
    knee = ankle + [shin * np.sin(shin_ang), -shin * np.cos(shin_ang)]
    thigh_ang = np.radians(90 * bend)           # 0 = hanging, 90 = level
    hip = knee + [-thigh * np.sin(thigh_ang), -thigh * np.cos(thigh_ang)]
    lean = np.radians(40 * bend)
    shoulder = hip + [torso * np.sin(lean), -torso * np.cos(lean)]
    xy = np.full((N_LANDMARKS, 2), np.nan)
    for side, dz in (("LEFT", -3.0), ("RIGHT", 3.0)):
        xy[L[f"{side}_ANKLE"]] = ankle + [dz, 0]
        xy[L[f"{side}_KNEE"]] = knee + [dz, 0]
        xy[L[f"{side}_HIP"]] = hip + [dz, 0]
        xy[L[f"{side}_SHOULDER"]] = shoulder + [dz, 0]
        xy[L[f"{side}_HEEL"]] = ankle + [-15 + dz, 8]
        xy[L[f"{side}_FOOT_INDEX"]] = ankle + [45 + dz, 10]
        xy[L[f"{side}_EAR"]] = shoulder + [dz, -45]
        xy[L[f"{side}_ELBOW"]] = shoulder + [40 + dz, 10]
        xy[L[f"{side}_WRIST"]] = shoulder + [80 + dz, 10]
    xy[L.NOSE] = shoulder + [20, -50]
    for i in range(N_LANDMARKS):
        if np.isnan(xy[i, 0]):
            xy[i] = shoulder + [10, -50]
    return xy


def squat_track(reps: int, fps: float = 30.0, period_s: float = 2.5, stand_s: float = 1.0,
                depth: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0, stand_s * 2 + reps * period_s, 1 / fps)
    phase = np.clip((t - stand_s) / period_s, 0, reps)
    bend = depth * np.where(phase < reps, np.sin(np.pi * (phase % 1.0)) ** 2, 0.0)
    return t, bend


def feed(session: LiveSession, t: np.ndarray, bend: np.ndarray, drop: set[int] = frozenset()):
    vis = np.full(N_LANDMARKS, 0.95)
    r = None
    for i, (ti, b) in enumerate(zip(t, bend)):
        xy = side_pose(b) if i not in drop else np.full((N_LANDMARKS, 2), np.nan)
        r = session.push_pose(float(ti), xy, vis if i not in drop else np.zeros(N_LANDMARKS), W, H)
    return r


def test_counts_synthetic_reps_and_reads_out():
    s = LiveSession(profile="general")
    t, bend = squat_track(4)
    r = feed(s, t, bend)
    assert r.reps == 4
    assert len(s.live_reps) == 4
    assert r.person and r.phase == "standing"
    assert r.leg in ("left", "right")
    # standing at the end: knee behind the toes, depth near 0
    assert r.knee_over_toe_ratio is not None and r.knee_over_toe_ratio < 0
    assert abs(r.depth) < 0.15
    # at the bottom the knee was ahead of the toes (35 deg shin lean)
    assert all(rep.max_knee_over_toe_ratio > 0.2 for rep in s.live_reps)


def test_shallow_bobs_do_not_count():
    s = LiveSession()
    t, bend = squat_track(3, depth=0.25)
    assert feed(s, t, bend).reps == 0


def test_short_dropout_is_bridged_long_one_drops_the_rep():
    t, bend = squat_track(2)
    fps = 30
    mid = int((1.0 + 0.5 * 2.5) * fps)  # bottom of rep 1
    short = set(range(mid, mid + 6))     # 0.2 s
    assert feed(LiveSession(), t, bend, short).reps == 2
    long = set(range(mid, mid + 75))     # 2.5 s, longer than RepSettings.max_lost_s
    assert feed(LiveSession(), t, bend, long).reps == 1


def test_counter_agrees_with_offline_find_reps():
    rng = np.random.default_rng(0)
    t = np.arange(0, 30, 1 / 30)
    depth = np.clip(np.sin(2 * np.pi * t / 3.0) * 0.7 + 0.3, 0, None) + rng.normal(0, 0.01, t.size)
    c = LiveRepCounter(RepSettings())
    live = sum(c.update(ti, di) for ti, di in zip(t, depth))
    assert live == len(find_reps(t, depth, RepSettings())) == c.count


def test_no_person_readout_and_cue():
    s = LiveSession()
    r = s.push_pose(0.0, np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS), W, H)
    assert not r.person and r.phase == "no_person" and "picture" in r.cue


class StubEstimator:
    def __init__(self):
        self.frames = []
        self.closed = False

    def process(self, rgb):
        from formcheck.pose import FramePose

        self.frames.append(rgb.copy())
        fp = FramePose.missing()
        fp.xy_px = side_pose(0.0)
        fp.visibility = np.full(N_LANDMARKS, 0.9)
        return fp

    def close(self):
        self.closed = True


def test_mirrored_input_is_unflipped_before_the_model_and_drawn_back():
    est = StubEstimator()
    s = LiveSession(mirrored_input=True, estimator=est)
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[:, :10] = 255                       # a white stripe on the left of the mirrored picture
    r = s.process(rgb, 0.0)
    assert est.frames[0][:, -10:].min() == 255 and est.frames[0][:, :10].max() == 0
    out = annotate_live(rgb, r, mirror_view=False, mirrored_input=True)
    assert out.shape == rgb.shape and out[H // 2, -5].min() == 255   # shown un-mirrored
    out_m = annotate_live(rgb, r, mirror_view=True, mirrored_input=True)
    assert out_m[H // 2, 5].min() == 255                               # shown as a mirror


def test_close_releases_the_model_and_keeps_the_recording():
    est = StubEstimator()
    s = LiveSession(estimator=est)
    t, bend = squat_track(1)
    feed(s, t, bend)
    s.close()
    assert s.closed and s.recorded_frames == len(t)
    with pytest.raises(RuntimeError):
        s.estimator
    seq = s.recorded_sequence()
    assert len(seq) == len(t) and seq.t_s[0] == 0.0


def test_finish_with_nothing_recorded_says_what_to_do():
    from formcheck.errors import NoPersonError

    with pytest.raises(NoPersonError, match="Start the camera"):
        LiveSession().finish()


@pytest.mark.slow
def test_fixture_clip_through_the_real_model_counts_the_truth():
    from formcheck.video import iter_frames

    clip = FIXTURES / "side_knees_past_toes.mp4"
    if not clip.is_file():
        pytest.skip(f"fixture clip missing: {clip}")
    truth = json.loads(clip.with_suffix(".truth.json").read_text())["rep_count"]
    s = LiveSession()
    try:
        for f in iter_frames(clip):
            r = s.process(f.rgb, f.t_s)
    finally:
        s.close()
    assert r.reps == truth
    analysis, seq = s.finish()
    assert analysis.rep_count == truth
    assert analysis.view.view == "side"
