"""LiveSession without a camera: the synthetic squatter's landmarks through push_pose, a stub
model for the mirrored input, and (slow) a fixture clip through the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import NoPersonError
from formcheck.landmarks import N_LANDMARKS, PoseSequence
from formcheck.live import LiveSession, annotate_live, depth_words
from formcheck.synthetic import RepSpec, squat_sequence

FIXTURES = Path(__file__).resolve().parents[1] / "videos" / "fixtures"
PAST_TOES = RepSpec(shin_deg=55.0)   # knee (55 - 35 deg shin) well past the toes at the bottom


def feed(session: LiveSession, seq: PoseSequence, drop: set[int] = frozenset()):
    r = None
    for i in range(len(seq)):
        lost = i in drop
        r = session.push_pose(float(seq.t_s[i]),
                              np.full((N_LANDMARKS, 2), np.nan) if lost else seq.xy_px[i],
                              np.zeros(N_LANDMARKS) if lost else seq.visibility[i],
                              seq.width_px, seq.height_px, z=seq.z[i], world_m=seq.world_m[i])
    return r


def test_counts_synthetic_reps_and_reads_out():
    s = LiveSession(profile="general")
    r = feed(s, squat_sequence([PAST_TOES] * 4))
    assert r.reps == 4 and len(s.live_reps) == 4
    assert r.person and r.phase == "standing" and r.view == "side" and r.leg == "left"
    # standing at the end: knee behind the toes, depth near 0
    assert r.knee_over_toe_ratio < 0 and abs(r.depth) < 0.05 and not r.knee_flag
    assert depth_words(r) == "standing"
    # every counted rep is measured as the clip path measures a rep
    for k, rep in enumerate(s.live_reps, start=1):
        assert rep.index == k and rep.metrics.view == "side"
        assert rep.metrics.knee_over_toe_ratio > 0.2
        assert rep.assessment.knee_past_toes is True


def test_cue_names_the_check_that_fired_at_the_bottom():
    seq = squat_sequence([PAST_TOES])
    s = LiveSession(profile="knee-rehab")
    bottom = int(np.argmin(np.abs(seq.t_s - 2.35)))
    r = feed(s, PoseSequence(seq.t_s[:bottom], seq.xy_px[:bottom], seq.z[:bottom],
                             seq.visibility[:bottom], seq.world_m[:bottom], seq.width_px,
                             seq.height_px, seq.fps))
    assert r.phase == "down" and r.knee_flag and r.cue_level == "warn"
    assert r.depth_label == "below_parallel" and depth_words(r) == "below parallel"
    assert r.cue.startswith("Sit back onto the box: knee ") and "past the toes" in r.cue


def test_shallow_bobs_do_not_count():
    bob = RepSpec(thigh_deg=-80.0, shin_deg=8.0, lean_deg=8.0)
    assert feed(LiveSession(), squat_sequence([bob] * 3)).reps == 0


def test_short_dropout_is_bridged_long_one_drops_the_rep():
    seq = squat_sequence(2)
    bottom = int(round(2.35 * seq.fps))           # bottom of rep 1
    short = set(range(bottom, bottom + 6))        # 0.2 s
    assert feed(LiveSession(), seq, short).reps == 2
    long = set(range(bottom - 30, bottom + 45))   # 2.5 s, longer than RepSettings.max_lost_s
    assert feed(LiveSession(), seq, long).reps == 1


def test_no_person_readout_and_cue():
    s = LiveSession()
    r = s.push_pose(0.0, np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS), 360, 480)
    assert not r.person and r.phase == "no_person" and "picture" in r.cue


def test_end_of_set_is_the_counted_set():
    """The summary has exactly the reps the counter showed, with the same numbers."""
    s = LiveSession()
    r = feed(s, squat_sequence([PAST_TOES, RepSpec(), PAST_TOES]))
    analysis, raw = s.finish()
    assert analysis.rep_count == r.reps == 3
    assert [m.knee_over_toe_ratio for m in analysis.metrics] == \
        [rep.metrics.knee_over_toe_ratio for rep in s.live_reps]
    assert [a.flags for a in analysis.assessments] == [rep.assessment.flags for rep in s.live_reps]
    assert raw.t_s[0] == 0.0 and len(raw) == s.recorded_frames


def test_end_of_set_is_the_clip_paths_analysis_of_the_recorded_set():
    """The end of a live set is what the Analyse page makes of the same landmarks (the general
    profile, pipeline.analyze_landmarks; the page re-scores both alike), here also what the
    live counter counted."""
    from formcheck.pipeline import analyze_landmarks
    from formcheck.report import rep_rows, to_dict
    from formcheck.thresholds import get_profile

    s = LiveSession(profile="knee-rehab")
    seq = squat_sequence([PAST_TOES, RepSpec(), PAST_TOES], noise_px=1.0, seed=3)
    r = feed(s, seq.replace(t_s=seq.t_s + 500.0))      # webcam times do not start at 0
    analysis, raw = s.recorded_analysis(warnings=["A note."])
    upload = analyze_landmarks(raw, get_profile("general"), "general", warnings=["A note."])
    assert analysis.rep_count == upload.rep_count == r.reps == 3
    assert rep_rows(analysis) == rep_rows(upload)
    assert to_dict(analysis) == to_dict(upload)
    assert analysis.warnings[0] == "A note." and raw.t_s[0] == 0.0


def test_end_of_set_with_nothing_recorded_says_what_to_do():
    with pytest.raises(NoPersonError, match="Start the camera"):
        LiveSession().recorded_analysis()


def test_a_smaller_picture_for_the_model_keeps_full_size_landmarks_and_recording(tmp_path):
    from formcheck.live import SetRecorder

    seq = squat_sequence(1, width_px=640, height_px=480, scale=0.3)
    est = StubEstimator(seq.xy_px[0])
    s = LiveSession(estimator=est, recorder=SetRecorder(tmp_path / "set.mp4"))
    r = s.process(np.zeros((480, 640, 3), np.uint8), 0.0, scale_ratio=0.5)
    assert est.frames[0].shape == (240, 320, 3) and est.sizes[0] == (640, 480)
    assert r.width_px == 640 and r.height_px == 480
    s.process(np.zeros((480, 640, 3), np.uint8), 0.1)
    assert est.frames[1].shape == (480, 640, 3) and est.sizes[1] == (640, 480)
    s.close()
    from formcheck.video import iter_frames

    assert [f.rgb.shape for f in iter_frames(s.recording, max_fps=None)] == [(480, 640, 3)] * 2


class StubEstimator:
    def __init__(self, xy: np.ndarray):
        self.xy = xy
        self.frames = []
        self.sizes = []
        self.closed = False

    def process(self, rgb, width_px=None, height_px=None, t_s=None):
        from formcheck.pose import FramePose

        self.frames.append(rgb.copy())
        self.sizes.append((width_px, height_px))
        fp = FramePose.missing()
        fp.xy_px = self.xy
        fp.visibility = np.full(N_LANDMARKS, 0.9)
        return fp

    def close(self):
        self.closed = True


def test_mirrored_input_is_unflipped_before_the_model_and_drawn_back():
    seq = squat_sequence(1, width_px=360, height_px=480, scale=0.3)
    est = StubEstimator(seq.xy_px[0])
    s = LiveSession(mirrored_input=True, estimator=est)
    rgb = np.zeros((480, 360, 3), np.uint8)
    rgb[:, :10] = 255                       # a white stripe on the left of the mirrored picture
    r = s.process(rgb, 0.0)
    assert est.frames[0][:, -10:].min() == 255 and est.frames[0][:, :10].max() == 0
    out = annotate_live(rgb, r, mirror_view=False, mirrored_input=True)
    assert out.shape == rgb.shape and out[240, -5].min() == 255   # shown un-mirrored
    out_m = annotate_live(rgb, r, mirror_view=True, mirrored_input=True)
    assert out_m[240, 5].min() == 255                              # shown as a mirror


def test_the_model_loads_apart_from_the_frames_and_not_after_close():
    s = LiveSession()
    assert not s.model_ready
    s.load_model()
    assert s.model_ready
    s.close()
    assert not s.model_ready
    late = LiveSession()
    late.close()
    late.load_model()                # a thread that finishes after STOP loads nothing
    assert not late.model_ready


def test_an_alert_is_drawn_in_the_panel():
    seq = squat_sequence(1, width_px=360, height_px=480, scale=0.3)
    s = LiveSession(estimator=StubEstimator(seq.xy_px[0]))
    rgb = np.zeros((480, 360, 3), np.uint8)
    r = s.process(rgb, 0.0)
    plain = annotate_live(rgb, r)
    alerted = annotate_live(rgb, r, alert="Device too slow: reps may be missed")
    rows = np.nonzero((plain != alerted).any(axis=(1, 2)))[0]
    assert len(rows) > 0 and rows.max() < 240          # in the panel, at the top
    red = alerted[rows][..., 0].astype(int) - alerted[rows][..., 2].astype(int)
    assert red.max() > 100                              # red text


def test_close_releases_the_model_and_keeps_the_recording():
    seq = squat_sequence(1)
    est = StubEstimator(seq.xy_px[0])
    s = LiveSession(estimator=est)
    feed(s, seq)
    s.close()
    assert s.closed and s.recorded_frames == len(seq)
    with pytest.raises(RuntimeError):
        s.estimator
    raw = s.recorded_sequence()
    assert len(raw) == len(seq) and raw.t_s[0] == 0.0


def test_finish_with_nothing_recorded_says_what_to_do():
    with pytest.raises(NoPersonError, match="Start the camera"):
        LiveSession().finish()


@pytest.mark.slow
def test_fixture_clip_through_the_real_model_counts_the_truth():
    from formcheck.video import iter_frames

    clip = FIXTURES / "side_knees_past_toes.mp4"
    truth = json.loads(clip.with_suffix(".truth.json").read_text())["rep_count"]
    s = LiveSession()
    try:
        for f in iter_frames(clip):
            r = s.process(f.rgb, f.t_s)
    finally:
        s.close()
    assert r.reps == truth
    analysis, _ = s.finish()
    assert analysis.rep_count == truth
    assert analysis.view.view == "side"


@pytest.mark.slow
def test_a_live_set_and_the_upload_of_the_same_frames_agree():
    """Every frame of a fixture clip through the live page's session (the real model), then the
    end of the set; and the clip uploaded: the same reps with the same numbers."""
    from formcheck import pipeline
    from formcheck.report import rep_rows
    from formcheck.thresholds import get_profile
    from formcheck.video import iter_frames

    clip = FIXTURES / "side_knees_past_toes.mp4"
    s = LiveSession()
    try:
        for f in iter_frames(clip):
            s.process(f.rgb, f.t_s)
    finally:
        s.close()
    live, _ = s.recorded_analysis()
    upload, _ = pipeline.analyze_video(clip, get_profile("general"), "general")
    assert live.rep_count == upload.rep_count == 3
    assert rep_rows(live) == rep_rows(upload)


def test_the_set_is_recorded_to_disk_as_it_comes_and_lines_up_with_the_landmarks(tmp_path):
    """SetRecorder: one mp4 frame per analysed frame, at the landmarks' times (from 0), the
    un-mirrored picture; the file is only finished (and reported) after close()."""
    from formcheck.live import SetRecorder
    from formcheck.video import iter_frames

    seq = squat_sequence(1, width_px=320, height_px=240, scale=0.3)
    est = StubEstimator(seq.xy_px[0])
    rec = SetRecorder(tmp_path / "set.mp4")
    s = LiveSession(mirrored_input=True, estimator=est, recorder=rec)
    n = 45
    # the camera's clock starts anywhere; frames come irregularly (some 5 ms apart, far less
    # than the median gap) and WebRTC changes the picture size under load
    times = 100.0 + np.cumsum([0.0] + [0.005 if i % 7 == 3 else 0.09 for i in range(n - 1)])
    for i, t in enumerate(times):
        size = (240, 321) if i < 20 else (120, 160)
        rgb = np.zeros((*size, 3), np.uint8)        # an odd width is cropped to even
        rgb[:, :size[1] // 8] = 255                 # white on the left of the mirrored picture
        s.process(rgb, float(t))
    assert s.recording is None                     # not before the set ends
    s.close()
    path = s.recording
    assert path == tmp_path / "set.mp4"
    frames = list(iter_frames(path, max_fps=None))
    raw = s.recorded_sequence()
    assert len(frames) == n == len(raw)
    assert np.allclose([f.t_s for f in frames], raw.t_s, atol=1e-3)
    assert frames[0].rgb.shape == (240, 320, 3)
    assert frames[0].rgb[:, -30:].mean() > 200 and frames[0].rgb[:, :30].mean() < 50   # un-mirrored
    assert frames[-1].rgb.shape == (240, 320, 3) and frames[-1].rgb[:, -30:].mean() > 200


def test_a_set_without_recording_has_no_video():
    seq = squat_sequence(1)
    s = LiveSession(estimator=StubEstimator(seq.xy_px[0]))
    s.process(np.zeros((480, 640, 3), np.uint8), 0.0)
    s.close()
    assert s.recording is None


def test_spoken_cues_wait_between_cues_and_do_not_repeat_each_rep():
    from formcheck.live import SpokenCues

    sp = SpokenCues(gap_s=4.0, repeat_s=20.0)
    assert sp.next("Ready: squat when you are.", "info", 0.0) is None      # info is not spoken
    assert sp.next("Sit back onto the box.", "warn", 1.0) == "Sit back onto the box."
    assert sp.next("Rep 1 done.", "ok", 3.0) is None                       # within the gap
    assert sp.next("Rep 1 done.", "ok", 5.5) == "Rep 1 done."
    assert sp.next("Sit back onto the box.", "warn", 12.0) is None         # said 11 s ago
    assert sp.next("Sit back onto the box.", "warn", 21.5) == "Sit back onto the box."


def test_framing_check_before_counting():
    from dataclasses import replace

    from formcheck.landmarks import Landmark as L
    from formcheck.live import framing_check
    from formcheck.stream import LiveReadout

    seq = squat_sequence(1)
    r = LiveReadout(person=True, view="side", xy_px=seq.xy_px[0].copy())
    assert framing_check(r) is None
    assert framing_check(replace(r, view="front")) == "Turn side-on to the camera."
    no_feet = seq.xy_px[0].copy()
    no_feet[[int(L.LEFT_HEEL), int(L.LEFT_FOOT_INDEX), int(L.RIGHT_HEEL), int(L.RIGHT_FOOT_INDEX)]] = np.nan
    assert framing_check(replace(r, xy_px=no_feet)) == "Step back: feet not in view."
    assert framing_check(LiveReadout()).startswith("Step into the picture")


@pytest.mark.parametrize("backend,bias", [("tasks", 3.5), ("legacy", 5.6)])
def test_a_live_set_names_the_model_and_takes_its_bias_correction(backend, bias):
    """The live model's backend (an estimator's `backend`) is the live set's provenance, and
    its counted and finished reps take that backend's thigh-angle correction."""

    class Model:   # a stand-in model: only its backend is read here
        def __init__(self, backend):
            self.backend = backend

        def close(self):
            pass

    s = LiveSession(profile="general", estimator=Model(backend))
    feed(s, squat_sequence([PAST_TOES] * 2))
    assert [r.metrics.depth_angle_bias_deg for r in s.live_reps] == [bias, bias]
    analysis, raw = s.finish()
    assert raw.meta["provenance"]["pose_backend"] == backend
    assert [m.depth_angle_bias_deg for m in analysis.metrics] == [bias, bias]
