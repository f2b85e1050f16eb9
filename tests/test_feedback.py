"""Feedback: thresholds -> decisions, flags and cues. Parametrised tables on RepMetrics."""

from __future__ import annotations

from dataclasses import replace

import pytest

from formcheck.errors import UnknownProfileError
from formcheck.feedback import DISCLAIMER, assess_rep, classify_depth, cues
from formcheck.metrics import RepMetrics
from formcheck.thresholds import PROFILES, get_profile

BASE = RepMetrics(index=1, start_s=0.0, bottom_s=1.0, end_s=2.0, view="side", yaw_deg=88.0,
                  leg="left", thigh_angle_deg=0.0, knee_flexion_deg=110.0, hip_height_ratio=0.45,
                  knee_over_toe_px=10.0, knee_over_toe_ratio=0.1, shin_angle_deg=30.0,
                  trunk_lean_deg=35.0, fppa_deg=None, descent_s=1.0, pause_s=0.2, ascent_s=0.8)


def m(**kw) -> RepMetrics:
    return replace(BASE, **kw)


@pytest.mark.parametrize("hip,flex,view,expected", [
    (0.30, 130.0, "side", "below_parallel"),
    (0.45, 110.0, "side", "parallel"),
    (0.70, 80.0, "side", "above_parallel"),
    (0.45, 55.0, "side", "above_parallel"),     # a knee bent this little is never at parallel
    (0.45, 55.0, "front", "parallel"),          # ... but from the front 2-D flexion is unreliable
    (None, 110.0, "side", "unclear"),
])
def test_depth_classes(hip, flex, view, expected):
    assert classify_depth(m(hip_height_ratio=hip, knee_flexion_deg=flex, view=view),
                          get_profile("general")) == expected


@pytest.mark.parametrize("hip,err,expected", [
    (0.37, 0.02, "below_parallel"),     # 0.37 + 0.02 < 0.40: clears the cut
    (0.39, 0.02, "unclear"),            # the interval 0.37..0.41 straddles 0.40
    (0.45, 0.04, "parallel"),
    (0.58, 0.03, "unclear"),            # 0.55..0.61 straddles 0.60
    (0.64, 0.03, "above_parallel"),
    (0.39, None, "below_parallel"),     # no error known: the point value decides
])
def test_depth_class_only_when_the_ratio_and_its_error_clear_a_cut(hip, err, expected):
    assert classify_depth(m(hip_height_ratio=hip, hip_height_ratio_err=err),
                          get_profile("general")) == expected


@pytest.mark.parametrize("ratio,profile,past,flagged", [
    (-0.20, "general", False, False),
    (0.10, "general", True, False),       # past the toes, but normal for healthy lifters
    (0.50, "general", True, True),
    (0.05, "knee-rehab", True, True),     # rehab: the knee stays behind the toes
    (-0.10, "knee-rehab", False, False),
    (None, "general", None, False),
])
def test_knee_over_toe_decision_and_flag(ratio, profile, past, flagged):
    a = assess_rep(m(knee_over_toe_ratio=ratio, shin_angle_deg=20.0), get_profile(profile))
    assert a.knee_past_toes is past
    assert any(f.code == "knee_travel" for f in a.flags) is flagged
    assert a.checks["knee_over_toe_ratio"] == ("n/a" if ratio is None else
                                               "flag" if flagged else "ok")


@pytest.mark.parametrize("fppa,view,cave", [
    (20.0, "front", True), (5.0, "front", False), (20.0, "side", None), (None, "front", None)])
def test_knees_caving_in(fppa, view, cave):
    assert assess_rep(m(fppa_deg=fppa, view=view), get_profile("general")).knees_cave_in is cave


def test_shin_angle_limit_differs_by_profile():
    rep = m(shin_angle_deg=38.0, knee_over_toe_ratio=-0.3)
    assert not any(f.code == "shin_angle" for f in assess_rep(rep, get_profile("general")).flags)
    assert any(f.code == "shin_angle" for f in assess_rep(rep, get_profile("knee-rehab")).flags)


def test_depth_target_flags_shallow_reps():
    th = get_profile("general", depth_target_deg=-5.0)
    assert any(f.code == "shallow" for f in assess_rep(m(thigh_angle_deg=-15.0), th).flags)
    assert not any(f.code == "shallow" for f in assess_rep(m(thigh_angle_deg=0.0), th).flags)


def test_knee_travel_cue_explains_why_and_suggests_a_box_and_less_depth():
    ms = [m(index=i, knee_over_toe_ratio=0.5) for i in (1, 2)]
    th = get_profile("general")
    out = cues(ms, [assess_rep(x, th) for x in ms], th, "side")
    cue = out[0]
    assert cue.code == "knee_travel" and cue.reps == (1, 2)
    assert "kneecap" in cue.why
    assert "box" in cue.try_this and "higher box" in cue.try_this
    assert out[-1].code == "load" and "gradually" in out[-1].title


def test_knees_caving_in_cue_points_at_the_outer_hip():
    ms = [m(view="front", fppa_deg=25.0, knee_over_toe_ratio=None, shin_angle_deg=None)]
    th = get_profile("general")
    out = cues(ms, [assess_rep(x, th) for x in ms], th, "front")
    cave = next(c for c in out if c.code == "knees_cave_in")
    assert "outer-hip" in cave.why and "crab walks" in cave.try_this
    assert any(c.code == "view" for c in out)      # and: film from the side for knee-over-toe


def test_inconsistent_bottom_height_is_pointed_out():
    ms = [m(index=1, thigh_angle_deg=-20.0), m(index=2, thigh_angle_deg=5.0)]
    th = get_profile("general")
    assert any(c.code == "inconsistent_depth" for c in cues(ms, [assess_rep(x, th) for x in ms],
                                                             th, "side"))


def test_profiles_and_errors():
    assert {"general", "knee-rehab"} <= set(PROFILES)
    assert get_profile("knee-rehab").knee_over_toe_max_ratio <= 0.0
    with pytest.raises(UnknownProfileError, match="Choose one of"):
        get_profile("powerlifting")
    with pytest.raises(UnknownProfileError, match="Unknown threshold"):
        get_profile("general", knee_limit=1)


def test_the_disclaimer_says_education_not_diagnosis():
    assert "education, not diagnosis" in DISCLAIMER and "physiotherapist" in DISCLAIMER
