"""The live path (stream.StreamingAnalyser, replayed frame by frame) against the clip path, and
what both refuse to count or measure: synthetic squatters with exact geometry, and (slow) the
rendered fixture clips through the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis import analyze_sequence
from formcheck.landmarks import LEG
from formcheck.stream import replay
from formcheck.synthetic import HINGE, PICK_UP, RepSpec, bottoms_s, squat_sequence
from formcheck.thresholds import get_profile

TH = get_profile("general")
FIXTURES = Path(__file__).resolve().parents[1] / "videos" / "fixtures"
TRACKED_FIXTURES = sorted(FIXTURES.glob("*.mp4"))   # tests/tracking.py
SPECS = [RepSpec(shin_deg=55.0), RepSpec(), RepSpec(thigh_deg=-10.0, shin_deg=30.0)]


def both(seq):
    return analyze_sequence(seq, TH, "general"), replay(seq, TH, "general")


def assert_parity(clip, live, bottom_tol_s=0.1):
    assert live.rep_count == clip.rep_count
    for mc, ml, ac, al in zip(clip.metrics, live.metrics, clip.assessments, live.assessments):
        assert abs(mc.bottom_s - ml.bottom_s) <= bottom_tol_s
        assert mc.view == ml.view
        if mc.view != "front":  # from the front neither leg is nearer (ViewInfo.near_leg): the
            assert mc.leg == ml.leg  # two paths' windows may break that tie differently
        if mc.view == "side":
            assert mc.knee_key == ml.knee_key == "front_most"
        if mc.knee_over_toe_ratio is not None:
            assert ml.knee_over_toe_ratio == pytest.approx(mc.knee_over_toe_ratio, abs=0.1)
        assert (ac.knee_past_toes, ac.knees_cave_in) == (al.knee_past_toes, al.knees_cave_in)
        if "unclear" in (ac.depth, al.depth) and mc.hip_height_ratio is not None:
            # near a depth cut one path's interval may straddle it and the other's not: the
            # paths then read the same hip height, and never class the rep differently. 0.03: the
            # largest gap seen between the causal and the zero-phase reading on the rendered
            # fixtures is 0.024 (front clip, Tasks backend on Python 3.13)
            assert ml.hip_height_ratio == pytest.approx(mc.hip_height_ratio, abs=0.03)
        else:
            assert ac.depth == al.depth


@pytest.mark.parametrize("view,yaw", [("side", 90.0), ("front", 0.0), ("oblique", 45.0)])
def test_live_replay_matches_the_clip_path(view, yaw):
    seq = squat_sequence(SPECS, view=view, yaw_deg=yaw, noise_px=1.0)
    clip, live = both(seq)
    assert clip.rep_count == 3
    assert [m.bottom_s for m in clip.metrics] == pytest.approx(bottoms_s(SPECS), abs=0.1)
    assert {m.view for m in clip.metrics} == {view}
    assert_parity(clip, live)
    if view != "front":
        assert [a.knee_past_toes for a in clip.assessments] == [True, False, False]


@pytest.mark.parametrize("not_squat", [PICK_UP, HINGE], ids=["pick-up", "hinge"])
def test_picking_something_up_or_a_hinge_is_not_a_rep(not_squat):
    specs = [RepSpec(), not_squat, RepSpec(), not_squat]
    clip, live = both(squat_sequence(specs))
    truth = bottoms_s(specs)
    assert clip.rep_count == live.rep_count == 2
    for an in (clip, live):
        assert [m.bottom_s for m in an.metrics] == pytest.approx([truth[0], truth[2]], abs=0.1)
        assert [m.index for m in an.metrics] == [1, 2]


def test_a_person_who_turns_during_a_rep_gets_no_numbers_for_it():
    # side-on for rep 1, turns to face the camera during rep 2 (4.5-8 s), front-on for rep 3
    def yaw(t):
        return 90.0 if t < 5.0 else 0.0 if t > 6.5 else 90.0 - 60.0 * (t - 5.0)

    seq = squat_sequence([RepSpec(shin_deg=55.0)] * 3, view="oblique", yaw_deg=yaw)
    clip, live = both(seq)
    for an in (clip, live):
        assert an.rep_count == 3
        views = [m.view for m in an.metrics]
        assert views == ["side", "unknown", "front"]
        turned = an.metrics[1]
        assert turned.knee_over_toe_ratio is None and turned.thigh_angle_deg is None
        assert turned.trunk_lean_deg is None and turned.fppa_deg is None
        assert "the view changed during this rep" in turned.reasons["knee_over_toe"]
        assert an.assessments[1].knee_past_toes is None
        assert an.metrics[0].knee_over_toe_ratio > 0.2
        assert any("turned during rep 2:" in w for w in an.warnings)


def test_impossible_bottoms_are_not_measured():
    """A shin leaning back side on, a trunk leaning back, a straight knee at the bottom."""
    seq = squat_sequence([RepSpec(shin_deg=-15.0), RepSpec(lean_deg=-25.0), RepSpec()])
    # rep 3: the near leg's ankle tracked onto the thigh's line at the bottom (a straight knee)
    hip, knee, ankle = (int(LEG["left"][k]) for k in range(3))
    bottom = (seq.t_s > 8.5) & (seq.t_s < 9.6)
    xy = seq.xy_px.copy()
    xy[bottom, ankle] = xy[bottom, knee] + (xy[bottom, knee] - xy[bottom, hip])
    an = analyze_sequence(seq.replace(xy_px=xy), TH, "general")
    m1, m2, m3 = an.metrics
    assert m1.knee_over_toe_ratio is None and m1.shin_angle_deg is None
    assert "leaning backwards" in m1.reasons["knee_over_toe"]
    assert m2.trunk_lean_deg is None and "trunk reads as leaning backwards" in m2.reasons["trunk_lean"]
    assert m3.knee_flexion_deg is None and m3.thigh_angle_deg is None
    assert "almost straight" in m3.reasons["knee_flexion"]
    assert m3.hip_height_ratio is not None and an.assessments[2].depth != "unclear"
    # the depth number (the thigh angle) was not measured: it says why
    assert m3.depth_angle_deg is None and "almost straight" in m3.reasons["depth_angle"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.mp4")))
def test_rendered_fixtures_live_replay_matches_the_clip_path(name):
    from tracking import tracked_fixture

    seq = tracked_fixture(FIXTURES / f"{name}.mp4")[0]      # tracked once per test session
    truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
    clip, live = both(seq)
    assert clip.rep_count == live.rep_count == truth["rep_count"]
    assert_parity(clip, live, bottom_tol_s=0.3)
