"""The whole pipeline, MediaPipe included, on clips the project renders itself with known truth."""

from __future__ import annotations

import json

import numpy as np
import pytest


from conftest import FIXTURES, tasks_backend_gap
from formcheck.thresholds import get_profile
from tracking import analyze_fixture

pytestmark = pytest.mark.slow

CLIPS = sorted(p.stem for p in FIXTURES.glob("*.mp4"))
TRACKED_FIXTURES = [FIXTURES / f"{c}.mp4" for c in CLIPS]   # tests/tracking.py
SIDE = [c for c in CLIPS if c.startswith("side_")]
_cache: dict = {}


def run(name: str):
    if name not in _cache:
        truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
        analysis, raw = analyze_fixture(FIXTURES / f"{name}.mp4", get_profile("general"), "general")
        _cache[name] = (truth, analysis, raw)
    return _cache[name]


def test_there_are_rendered_fixtures():
    assert {"side_knees_past_toes", "side_knees_behind_toes", "side_box_pause",
            "front_knees_cave_in", "oblique_squat"} <= set(CLIPS)


@pytest.mark.parametrize("name", CLIPS)
def test_mediapipe_tracks_the_rendered_person(name):
    _, _, raw = run(name)
    assert raw.detected.mean() >= 0.95


@pytest.mark.parametrize("name", CLIPS)
def test_reps_and_bottoms(name):
    truth, a, _ = run(name)
    assert a.rep_count == truth["rep_count"]
    assert [r.bottom_s for r in a.reps] == pytest.approx(truth["rep_bottoms_s"], abs=0.3)


@pytest.mark.parametrize("name", CLIPS)
def test_view(name):
    truth, a, _ = run(name)
    assert a.view.view == truth["view"]


# Known gap (issues 8 and 12, open), measured with tools/probe_backend_gaps.py: the pose model
# places the knee differently. Over the deep frames of side_knees_behind_toes the Tasks backend
# puts the front-most knee 3.1-3.8 px ahead of the true joint (legacy 1.6-1.9 px) and the toe
# 1.1-1.5 px (legacy 0.7-1.1 px); the standing shank (102.5 vs 103.0 px) and sin(yaw) (0.999 vs
# 0.996) that scale it agree. Per rep: Tasks -0.100, -0.082, -0.094 foot lengths, legacy -0.121,
# -0.129, -0.126, truth -0.191 (tolerance 0.1). The margin is small for any backend: the truth's
# own joint points read -0.154 through the same definition (the mannequin's heel-to-toe points
# are 0.497 of its shank, FOOT_PER_SHANK is 0.618).
TASKS_KOT_GAP = tasks_backend_gap(
    "known gap (issues 8 and 12, open): pose model. The Tasks backend puts the knee "
    "3.1-3.8 px ahead of the true joint at the bottom (legacy 1.6-1.9 px; shank length "
    "and yaw agree): knee behind the toes -0.082..-0.100 against the truth -0.191 foot "
    "lengths (legacy -0.121..-0.129), outside the 0.1 tolerance")


@pytest.mark.parametrize("name", [pytest.param(c, marks=TASKS_KOT_GAP)
                                  if c == "side_knees_behind_toes" else c for c in SIDE])
def test_side_view_knee_over_toe_and_thigh_angle_match_the_truth(name):
    truth, a, _ = run(name)
    assert a.view.facing == (1 if truth["facing"] == "right" else -1)
    for m, t in zip(a.metrics, truth["per_rep"]):
        assert m.knee_over_toe_ratio == pytest.approx(t["knee_over_toe_ratio"], abs=0.1)
        assert m.thigh_angle_deg == pytest.approx(t["thigh_angle_deg"], abs=5.0)


@pytest.mark.parametrize("name,expected", [
    ("side_knees_past_toes", True), ("side_knees_behind_toes", False), ("oblique_squat", True)])
def test_knee_past_toes_decision(name, expected):
    _, a, _ = run(name)
    assert [x.knee_past_toes for x in a.assessments] == [expected] * a.rep_count


def test_knee_rehab_profile_flags_knee_travel_and_suggests_a_box():
    from formcheck.analysis import rescore

    _, a, _ = run("side_knees_past_toes")
    r = rescore(a, get_profile("knee-rehab"), "knee-rehab")
    assert all(any(f.code == "knee_travel" for f in x.flags) for x in r.assessments)
    cue = next(c for c in r.cues if c.code == "knee_travel")
    assert "box" in cue.try_this and "higher box" in cue.try_this


def test_knees_behind_the_toes_pass_the_knee_rehab_profile():
    from formcheck.analysis import rescore

    _, a, _ = run("side_knees_behind_toes")
    r = rescore(a, get_profile("knee-rehab"), "knee-rehab")
    assert not any(f.code == "knee_travel" for x in r.assessments for f in x.flags)


def test_box_pause_is_measured():
    truth, a, _ = run("side_box_pause")
    for m, t in zip(a.metrics, truth["per_rep"]):
        assert m.pause_s == pytest.approx(t["pause_s"], abs=0.35)


def test_front_view_judges_knees_caving_in_but_not_knee_over_toe():
    """The rendered front clip's knees cave in far (knee/ankle separation 0.40 at the bottom):
    every rep's peak FPPA is over the published cut-off, with the separation read at the peak."""
    truth, a, _ = run("front_knees_cave_in")
    assert a.rep_count == 3
    assert all(x.knees_cave_in is True for x in a.assessments)
    for m, t in zip(a.metrics, truth["per_rep"]):
        assert m.fppa_deg > a.thresholds.fppa_max_deg
        assert m.valgus.knee_ankle_sep_ratio == pytest.approx(t["knee_to_ankle_sep_ratio"], abs=0.1)
    assert all(x.knee_past_toes is None for x in a.assessments)


def test_landmarks_round_trip_rescores_identically(tmp_path):
    from formcheck.analysis import analyze_sequence
    from formcheck.landmarks import load_npz, save_npz
    from formcheck.report import to_dict

    _, a, raw = run("side_knees_past_toes")
    save_npz(raw, tmp_path / "l.npz")
    again = analyze_sequence(load_npz(tmp_path / "l.npz"), get_profile("general"), "general")
    r1, r2 = to_dict(a), to_dict(again)
    assert r1["rep_count"] == r2["rep_count"]
    for x, y in zip(r1["reps"], r2["reps"]):
        assert x["bottom_s"] == pytest.approx(y["bottom_s"], abs=1e-3)
        assert x["knee_over_toe_ratio"] == pytest.approx(y["knee_over_toe_ratio"], abs=1e-3)
    assert np.allclose(raw.t_s, load_npz(tmp_path / "l.npz").t_s)
