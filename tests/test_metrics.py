"""Per-rep metrics on synthetic people whose true values are known exactly."""

import math

import numpy as np
import pytest

from formcheck.view import FRONT_MAX_YAW_DEG

from formcheck.analysis import analyze_sequence
from formcheck.metrics import (DEPTH_ANGLE_ERR_DEG, DEPTH_EDGES_DEG, THIGH_BIAS_DEG,
                               depth_class_from_angle, depth_near)
from formcheck.stream import replay
from formcheck.synthetic import (HINGE, PICK_UP, SHANK, STAND, THIGH, RepSpec,
                                 knee_over_toe_ratio, squat_sequence)
from formcheck.thresholds import get_profile


def analyse(reps, **kw):
    return analyze_sequence(squat_sequence(reps, **kw), get_profile("general"))


def true_hip_ratio(thigh_deg, shin_deg):
    def height(th, sh):
        return SHANK * math.cos(math.radians(sh)) + THIGH * math.sin(math.radians(-th))
    return height(thigh_deg, shin_deg) / height(STAND[1], STAND[0])


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("thigh,shin", [(8.0, 42.0), (0.0, 30.0), (-20.0, 20.0), (15.0, 35.0)])
def test_side_view_metrics_match_the_geometry(facing, thigh, shin):
    a = analyse([RepSpec(thigh_deg=thigh, shin_deg=shin)] * 2, facing=facing, noise_px=0.5)
    assert a.rep_count == 2 and a.view.view == "side"
    assert a.view.facing == facing
    for m in a.metrics:
        # the one depth number: the thigh angle plus the keypoint-bias correction (the synthetic
        # body has no bias); the raw reading stays internal
        assert m.thigh_angle_deg == pytest.approx(thigh + THIGH_BIAS_DEG["side"], abs=1.5)
        assert m.thigh_px_deg == pytest.approx(thigh, abs=1.5)
        assert m.knee_over_toe_ratio == pytest.approx(knee_over_toe_ratio(shin), abs=0.03)
        assert m.shin_angle_deg == pytest.approx(shin, abs=1.5)
        assert m.hip_height_ratio == pytest.approx(true_hip_ratio(thigh, shin), abs=0.03)
        assert m.knee_flexion_deg == pytest.approx(thigh + shin + 90.0, abs=2.0)


@pytest.mark.parametrize("offset,shin,depth", [
    (6.0, 38.0, "below_parallel"),
    (None, 30.0, "parallel"),
    (-6.0, 20.0, "above_parallel"),
])
def test_depth_classes(offset, shin, depth):
    """The class is the band the corrected thigh angle falls in (the synthetic body has no
    keypoint bias, so its thigh reads the true angle plus the correction)."""
    b = THIGH_BIAS_DEG["side"]
    thigh = ((LO + HI) / 2 if offset is None else (HI + offset if offset > 0 else LO + offset)) - b
    a = analyse([RepSpec(thigh_deg=thigh, shin_deg=shin)])
    assert a.assessments[0].depth == depth
    assert a.metrics[0].thigh_angle_deg == pytest.approx(thigh + b, abs=1.5)


def test_front_view_judges_knees_caving_in_from_the_peak_fppa():
    a = analyse([RepSpec(valgus_px=45.0), RepSpec(valgus_px=0.0)], view="front")
    assert a.view.view == "front" and a.rep_count == 2
    caved, straight = a.metrics
    assert caved.fppa_deg > straight.fppa_deg + 10      # the measurement follows the geometry
    assert [x.knees_cave_in for x in a.assessments] == [True, False]   # valgus.py has the exact figures
    for m, asm in zip(a.metrics, a.assessments):
        assert m.knee_over_toe_ratio is None and asm.knee_past_toes is None
        assert "side" in m.reasons["knee_over_toe"]


def test_side_view_does_not_judge_knees_caving_in():
    a = analyse(2)
    assert all(asm.knees_cave_in is None for asm in a.assessments)
    assert all("front" in m.reasons["fppa"] for m in a.metrics)


def test_feet_out_of_the_picture_make_knee_over_toe_unknown_with_a_reason():
    seq = squat_sequence(2)
    vis = seq.visibility.copy()
    from formcheck.landmarks import Landmark as L
    for lm in (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX):
        vis[:, lm] = 0.1
    a = analyze_sequence(seq.replace(visibility=vis), get_profile("general"))
    assert a.rep_count == 2
    for m, asm in zip(a.metrics, a.assessments):
        assert m.knee_over_toe_ratio is None and asm.knee_past_toes is None
        assert "feet" in m.reasons["knee_over_toe"]
        assert m.thigh_angle_deg is not None          # what could be measured still is
    assert any("Feet not clearly visible" in w for w in a.warnings)


def test_tempo_and_box_pause():
    a = analyse([RepSpec(down_s=1.5, pause_s=1.0, up_s=1.0)] * 2)
    for m in a.metrics:
        assert m.pause_s == pytest.approx(1.0, abs=0.35)
        # descent and ascent run from leaving standing to the pause; eased ends take a little off
        assert 0.8 <= m.descent_s <= 1.6
        assert 0.5 <= m.ascent_s <= 1.1


def test_heel_lift_is_measured_in_foot_lengths():
    from formcheck.landmarks import Landmark as L
    from formcheck.synthetic import FOOT_LEN

    seq = squat_sequence(2)
    xy = seq.xy_px.copy()
    a0 = analyze_sequence(seq, get_profile("general"))
    deep = a0.series.depth > 0.5
    for heel in (L.LEFT_HEEL, L.RIGHT_HEEL):
        xy[deep, heel, 1] -= 0.45 * FOOT_LEN          # heels come up almost half a foot
    a = analyze_sequence(seq.replace(xy_px=xy), get_profile("general"))
    assert all(m.heel_lift_ratio == pytest.approx(0.0, abs=0.02) for m in a0.metrics)
    assert all(m.heel_lift_ratio == pytest.approx(0.45, abs=0.05) for m in a.metrics)
    assert all(any(f.code == "heel_lift" for f in x.flags) for x in a.assessments)


def test_plotted_knee_over_toe_matches_the_rep_value_at_the_bottom():
    from formcheck.metrics import knee_over_toe_ratio_series

    a = analyse([RepSpec(shin_deg=40.0)] * 2)
    ratio = knee_over_toe_ratio_series(a.series, a.view.view, a.view.near_leg)
    for r, m in zip(a.reps, a.metrics):
        assert ratio[r.bottom_i] == pytest.approx(m.knee_over_toe_ratio, abs=0.02)


@pytest.mark.parametrize("view,source", [("side", "thigh_px"), ("oblique", "thigh_px_turned"),
                                         ("front", "depth_signal")])
@pytest.mark.parametrize("thigh", [-25.0, 0.0, 15.0])
def test_depth_angle_is_the_thigh_angle_in_every_view(view, source, thigh):
    """Side on from the near leg in the picture; at 45 deg from both legs in the picture with
    the forward part divided by sin(yaw); from the front from the thighs' vertical extent (the
    depth signal): the synthetic body's true thigh angle within a degree either way, with the
    error the view's geometry gives (side-on error / sin(yaw); from the front, that of the most
    turned oblique view)."""
    a = analyse([RepSpec(thigh_deg=thigh, shin_deg=30.0)] * 2, view=view)
    assert a.rep_count == 2
    base = {"side": DEPTH_ANGLE_ERR_DEG,
            "oblique": DEPTH_ANGLE_ERR_DEG / math.sin(math.radians(45.0)),
            "front": DEPTH_ANGLE_ERR_DEG / math.sin(math.radians(FRONT_MAX_YAW_DEG))}[view]
    for m in a.metrics:
        assert m.depth_source == source
        expected = thigh
        if view == "oblique":
            # the forward part is divided by sin(the estimated yaw) (42.6-42.9 deg here)
            t = math.radians(thigh)
            expected = math.degrees(math.atan2(math.sin(t), math.cos(t) * math.sin(
                math.radians(45.0)) / math.sin(math.radians(m.yaw_deg))))
        assert m.depth_angle_bias_deg == THIGH_BIAS_DEG[view]
        assert m.depth_angle_deg == m.thigh_angle_deg
        assert m.depth_angle_deg == pytest.approx(expected + THIGH_BIAS_DEG[view], abs=1.0)
        # exact geometry: only the landmarks' own error and the bottom band's spread remain
        assert base - 0.3 <= m.depth_angle_err_deg < base + 1.0


LO, HI = DEPTH_EDGES_DEG


@pytest.mark.parametrize("angle,err,expected,near", [
    (HI + 6.0, 5.0, "below_parallel", None),
    (HI + 4.0, 5.0, "below_parallel", "parallel"),    # within its error of the edge: says so
    (HI - 4.0, 5.0, "parallel", "below_parallel"),
    ((LO + HI) / 2, 1.0, "parallel", None),
    (LO + 4.0, 5.0, "parallel", "above_parallel"),
    (LO - 4.0, 5.0, "above_parallel", "parallel"),
    (LO - 6.0, 5.0, "above_parallel", None),
    (None, None, "unclear", None),
])
def test_depth_class_is_the_band_and_near_an_edge_it_says_so(angle, err, expected, near):
    assert depth_class_from_angle(angle, err) == expected
    assert depth_near(angle, err) == near


QUARTER = RepSpec(thigh_deg=-45.0, shin_deg=25.0, lean_deg=30.0)


@pytest.mark.parametrize("view,profile", [("side", "general"), ("oblique", "general"),
                                          ("side", "knee-rehab"), ("front", "knee-rehab")])
def test_quarter_squats_count_in_both_paths(view, profile):
    """A quarter squat (thigh 45 deg below level, knee bent 70 deg) is a rep, counted the same
    by the clip path and the live path."""
    seq = squat_sequence([QUARTER] * 3, view=view)
    th = get_profile(profile)
    clip = analyze_sequence(seq, th, profile)
    live = replay(seq, th, profile)
    assert clip.rep_count == 3 and live.rep_count == 3
    for m in clip.metrics:
        assert m.knee_flexion_3d_deg == pytest.approx(70.0, abs=1.0)


@pytest.mark.parametrize("view", ["side", "oblique"])
@pytest.mark.parametrize("spec", [PICK_UP, HINGE], ids=["pick_up", "hinge"])
def test_pick_ups_and_hinges_still_do_not_count(view, spec):
    seq = squat_sequence([spec] * 3, view=view)
    th = get_profile("knee-rehab")   # the shallowest profile
    assert analyze_sequence(seq, th).rep_count == 0
    assert replay(seq, th).rep_count == 0


def test_a_quarter_squat_counts_in_every_view_with_the_default():
    """A quarter squat (thigh 45 deg below level) reads 1 - sin 45 = 0.29 on the depth signal
    in every view, the front included (the body scale is the standing torso, which a trunk
    leaning toward the camera does not shorten): it counts with general's minimum depth."""
    for view in ("side", "oblique", "front"):
        seq = squat_sequence([QUARTER] * 3, view=view)
        a = analyze_sequence(seq, get_profile("general"))
        assert a.rep_count == 3, view
        assert [round(r.peak_depth, 2) for r in a.reps] == [0.29] * 3, view


def test_a_shallow_profile_setting_counts_what_the_default_does_not():
    """The minimum depth is a profile setting: a squat with the thigh 52 deg below level reads
    1 - sin 52 = 0.21 on the depth signal: it counts with knee-rehab's 0.20, not general's 0.22."""
    seq = squat_sequence([RepSpec(thigh_deg=-52.0, shin_deg=20.0, lean_deg=25.0)] * 3,
                         view="front")
    assert get_profile("general").min_rep_depth_ratio == 0.22
    assert analyze_sequence(seq, get_profile("general")).rep_count == 0
    assert analyze_sequence(seq, get_profile("knee-rehab")).rep_count == 3


def test_medial_knee_displacement_follows_the_knees_moving_inward():
    """Synthetic front view: each knee 45 px toward the midline at the bottom of the first rep."""
    from formcheck.metrics import medial_knee_displacement_ratio

    a = analyse([RepSpec(valgus_px=45.0), RepSpec(valgus_px=0.0)], view="front")
    mkd = medial_knee_displacement_ratio(a.clean_seq.world_m)
    caved, straight = (float(np.nanmedian(mkd[r.band_start_i:r.band_end_i + 1])) for r in a.reps)
    # the hips are 140 px apart: each knee 45 px further inward is 0.32 hip widths more
    assert caved - straight == pytest.approx(45.0 / 140.0, abs=0.02)


def test_knee_ankle_separation_px_ratio_is_the_knees_width_over_the_ankles_in_the_picture():
    from formcheck.landmarks import Landmark as L
    from formcheck.metrics import knee_ankle_separation_px_ratio

    xy = np.full((2, 33, 2), np.nan)
    xy[:, L.LEFT_ANKLE, 0], xy[:, L.RIGHT_ANKLE, 0] = 260.0, 100.0      # 160 px apart
    xy[0, L.LEFT_KNEE, 0], xy[0, L.RIGHT_KNEE, 0] = 240.0, 120.0        # 120 px: knees inside
    xy[1, L.LEFT_KNEE, 0], xy[1, L.RIGHT_KNEE, 0] = 100.0, 260.0        # swapped sides: same width
    assert knee_ankle_separation_px_ratio(xy).tolist() == [0.75, 1.0]


@pytest.mark.parametrize("shin", [20.0, 40.0])
@pytest.mark.parametrize("view,yaw", [("side", None), ("oblique", 75.0), ("oblique", 60.0),
                                      ("oblique", 45.0)])
def test_knee_over_toe_holds_as_the_camera_turns(shin, view, yaw):
    """The knee travel in foot lengths does not depend on the camera's yaw: the shank is the
    ruler (it does not foreshorten as the body turns), the picture's reading is scaled by
    sin(yaw), and at an angle the world landmarks' forward distance is averaged in. Truth: the
    synthetic body's exact geometry, in the foot lengths formcheck reports."""
    kw = {"view": view} if yaw is None else {"view": view, "yaw_deg": yaw}
    a = analyse([RepSpec(shin_deg=shin)] * 2, **kw)
    assert a.rep_count == 2
    for m in a.metrics:
        assert m.view == ("side" if yaw is None or yaw >= 67.5 else "oblique")
        assert m.knee_over_toe_ratio == pytest.approx(knee_over_toe_ratio(shin), abs=0.03)


@pytest.mark.parametrize("view", ["front", "oblique", "side"])
@pytest.mark.parametrize("hip,dropped", [(0.90, False), (0.95, True), (1.25, True), (6.1, False)])
def test_hips_that_stay_up_make_a_dip_no_squat_in_every_view(view, hip, dropped):
    """Above halfway between standing and a quarter squat's hips (0.93 of standing) a dip is a
    lean or a shift, in every view; a ratio above 1.5 is a failed standing reference, on which
    the rule says nothing. (Knees bent 90 deg in 3-D and an upright trunk: no other rule fires.)"""
    from dataclasses import replace

    from formcheck.metrics import (MAX_MEASURED_HIP_RATIO, MAX_SQUAT_HIP_RATIO,
                                   QUARTER_SQUAT_HIP_RATIO, not_a_squat)

    assert round(QUARTER_SQUAT_HIP_RATIO, 3) == 0.854 and round(MAX_SQUAT_HIP_RATIO, 3) == 0.927
    assert MAX_MEASURED_HIP_RATIO == 1.5
    m = analyse([RepSpec(thigh_deg=-20.0, shin_deg=30.0)] * 2).metrics[0]
    m = replace(m, view=view, hip_height_ratio=hip, knee_flexion_3d_deg=90.0, trunk_lean_deg=20.0)
    why = not_a_squat(m)
    assert why == (f"the hips stayed at {hip:.2f} of their standing height: a stance shift or a "
                   "lean, not a squat" if dropped else "")


def _setup_facing_the_other_way(reps, setup_s: float = 18.0, lead_s: float = 20.0):
    """An oblique squatter facing -x whose first `setup_s` seconds (standing, setting up) face
    +x: the whole clip's facing (+1) differs from each rep's (-1)."""
    a = squat_sequence(reps, view="oblique", facing=1, lead_s=lead_s)
    b = squat_sequence(reps, view="oblique", facing=-1, lead_s=lead_s)
    xy = b.xy_px.copy()
    k = int(setup_s * b.fps)
    xy[:k] = a.xy_px[:k]
    return b.replace(xy_px=xy)


@pytest.mark.parametrize("thigh", [-25.0, 0.0, 15.0])
def test_turned_thigh_angle_with_set_up_frames_facing_the_other_way(thigh):
    """The bug of issue 19: the turned thigh angle once took the whole clip's facing, and a rep
    facing the other way read 166 deg for a true +15. Now it is the same as on the clip that
    faces one way throughout (angles to horizontal need no facing)."""
    reps = [RepSpec(thigh_deg=thigh, shin_deg=30.0)] * 2
    mixed = analyze_sequence(_setup_facing_the_other_way(reps), get_profile("general"))
    plain = analyse(reps, view="oblique", facing=-1, lead_s=20.0)
    assert mixed.view.facing == 1 and mixed.rep_count == plain.rep_count == 2
    for m, p in zip(mixed.metrics, plain.metrics):
        assert m.facing == -1 and m.view == "oblique"
        assert m.depth_angle_deg == pytest.approx(p.depth_angle_deg, abs=0.01)
        assert m.depth_angle_deg == pytest.approx(thigh + THIGH_BIAS_DEG["oblique"], abs=2.5)


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("view", ["side", "oblique"])
def test_angles_do_not_depend_on_the_facing(view, facing):
    a = analyse([RepSpec(thigh_deg=10.0, shin_deg=35.0, lean_deg=40.0)] * 2, view=view,
                facing=facing)
    b = analyse([RepSpec(thigh_deg=10.0, shin_deg=35.0, lean_deg=40.0)] * 2, view=view,
                facing=-facing)
    for m, n in zip(a.metrics, b.metrics):
        assert m.facing == facing and n.facing == -facing
        for name in ("thigh_angle_deg", "depth_angle_deg", "trunk_lean_deg", "shin_angle_deg"):
            assert getattr(m, name) == pytest.approx(getattr(n, name), abs=0.01), name


def test_range_guard_no_segment_angle_leaves_minus_90_to_90():
    from formcheck.landmarks import Landmark as L
    from formcheck.metrics import ANGLES, guard_angle_deg, segment_angle_deg

    assert np.array_equal(np.isnan(guard_angle_deg(np.array([-120.0, -90.0, 0.0, 90.0, 95.0]))),
                          [True, False, False, False, True])
    # shoulders below the hips (lying, bent double), a shin upside down, a knee behind the hip
    xy = squat_sequence(1).xy_px[:1].copy()
    xy[0, [int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)], 1] += 2000.0
    xy[0, int(L.LEFT_KNEE), 1] += 1000.0
    xy[0, int(L.LEFT_KNEE), 0] -= 500.0
    rng = np.random.default_rng(1)
    many = rng.uniform(-2000, 2000, (500, 33, 2))
    for name in ANGLES:
        for facing in (1, -1):
            for pts, sin_yaw in ((xy, None), (many, rng.uniform(0.0, 1.0, 500))):
                a = segment_angle_deg(pts, name, facing, sin_yaw)
                assert np.all(np.abs(a[np.isfinite(a)]) <= 90.0), name
    assert np.isnan(segment_angle_deg(xy, "trunk", 1)[0])
    assert np.isnan(segment_angle_deg(xy, "shin_left", 1)[0])


@pytest.mark.parametrize("view", ["side", "oblique", "front"])
def test_a_one_legged_pick_up_after_the_set_does_not_count(view, caplog):
    """Issue 19: a one-legged hinge to pick up a bottle after the set (the free leg lifted
    behind) was counted as a squat. Both feet stay down in a squat: the same dip with both
    feet down counts, with one foot raised it does not."""
    from formcheck.landmarks import LEG
    from formcheck.synthetic import bottoms_s

    specs = [RepSpec(), RepSpec(), RepSpec(thigh_deg=-20.0, shin_deg=25.0, lean_deg=50.0)]
    seq = squat_sequence(specs, view=view)
    three = analyze_sequence(seq, get_profile("general"))
    assert three.rep_count == 3
    xy = seq.xy_px.copy()
    last = bottoms_s(specs)[-1]
    lift = (seq.t_s > last - 0.6) & (seq.t_s < last + 0.6)
    shin = float(np.nanmedian(np.linalg.norm(
        xy[:30, int(LEG["right"][1])] - xy[:30, int(LEG["right"][2])], axis=-1)))
    for k in LEG["right"][2:]:
        xy[lift, int(k), 1] -= 1.2 * shin       # the free leg raised behind
    with caplog.at_level("INFO", logger="formcheck.analysis"):
        a = analyze_sequence(seq.replace(xy_px=xy), get_profile("general"))
    assert a.rep_count == 2
    assert [r.bottom_s for r in a.reps] == [r.bottom_s for r in three.reps[:2]]
    assert "one foot rose" in caplog.text and "a one-legged hinge" in caplog.text


@pytest.mark.parametrize("backend,side_bias,signal", [
    ("legacy", 5.6, (4.5, (-17.0, -2.0))), ("tasks", 3.5, (4.0, (-16.0, -3.0))),
    (None, 5.6, (4.5, (-17.0, -2.0)))])
def test_the_bias_correction_is_the_pose_backends_on_the_clip_and_live_paths(backend, side_bias,
                                                                              signal):
    """The keypoint-bias correction and the depth-signal angle's correction and band edges (the
    depth call's second reading) are the pose backend's that made the landmarks (their
    provenance; the legacy backend's where none is recorded), on the clip path and replayed
    through the live path alike."""
    from formcheck.metrics import THIGH_BIAS_BY_BACKEND_DEG, signal_depth_for, thigh_bias_for

    seq = squat_sequence([RepSpec(thigh_deg=0.0, shin_deg=30.0)] * 2)
    if backend is not None:
        seq = seq.replace(meta={"provenance": {"pose_backend": backend}})
    assert thigh_bias_for(seq.meta)["side"] == side_bias
    assert THIGH_BIAS_BY_BACKEND_DEG["legacy"] is THIGH_BIAS_DEG
    th = get_profile("general")
    for a in (analyze_sequence(seq, th), replay(seq, th)):
        assert a.rep_count == 2
        for m in a.metrics:
            assert m.depth_angle_bias_deg == side_bias
            assert m.thigh_angle_deg == pytest.approx(m.thigh_px_deg + side_bias, abs=0.01)
            assert (m.depth_signal_bias_deg, m.depth_signal_edges_deg) == signal
    assert signal_depth_for(seq.meta) == signal


def test_a_thigh_the_picture_puts_far_from_the_hips_drop_gets_no_depth_number():
    """The tracking-quality test (metrics.thigh_disagreement): side on, the hips mistracked
    toward the knees (the picture's thigh then reads 42 deg above level for a true 15) while the
    hips' drop still reads -15: the depth number is withheld with the reason, on the clip and
    the live path; the same squatter tracked right keeps its number."""
    from formcheck.landmarks import Landmark as L

    seq = squat_sequence([RepSpec(thigh_deg=-15.0, shin_deg=30.0)] * 2)
    xy = seq.xy_px.copy()
    for hip, knee in ((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE)):
        xy[:, hip, 0] = xy[:, knee, 0] + 0.3 * (xy[:, hip, 0] - xy[:, knee, 0])
    th = get_profile("general")
    for a in (analyze_sequence(seq, th), replay(seq, th)):
        assert [round(m.thigh_angle_deg) for m in a.metrics] == [-9, -9]
        assert all("thigh_angle" not in m.reasons for m in a.metrics)
    for a in (analyze_sequence(seq.replace(xy_px=xy), th), replay(seq.replace(xy_px=xy), th)):
        assert a.rep_count == 2
        for m in a.metrics:
            assert (m.thigh_angle_deg, m.depth_angle_deg, m.depth_source) == (None, None, "")
            assert round(m.thigh_px_deg) == -42
            assert m.reasons["thigh_angle"] == m.reasons["depth_angle"] == (
                "the hip or knee was hidden or mistracked at the bottom: the thigh in the "
                "picture reads -36 deg but the hip's drop says -11 deg, so no depth angle is "
                "given for this rep")


@pytest.mark.parametrize("angle,signal,view,withheld", [
    (18.7, 5.0, "side", True),       # corrected signal 9.5: 9.2 apart
    (18.5, 5.0, "side", False),      # 9.0 apart: kept
    (-30.0, -5.0, "oblique", True),
    (20.0, 5.0, "front", False),     # from the front the number IS the signal's
    (None, 5.0, "side", False),
    (20.0, None, "side", False),
])
def test_the_depth_number_is_withheld_only_past_the_gap(angle, signal, view, withheld):
    from formcheck.metrics import MAX_THIGH_GAP_DEG, thigh_disagreement

    assert MAX_THIGH_GAP_DEG == 9.1
    assert bool(thigh_disagreement(angle, signal, 4.5, view)) is withheld


@pytest.mark.parametrize("thigh", [-20.0, 0.0, 15.0])
def test_the_turned_thigh_takes_the_bodys_yaw_not_the_bottoms(thigh):
    """The yaw estimate collapses toward the front at the bottom of a squat (the folded body
    and a hidden hip distort the widths it reads; on the labelled clips at an angle the bottom
    reads a median 3.5-4 deg nearer the front, up to 47 deg under a rack arm). The turned thigh
    divides its forward part by sin(yaw), so it takes the body's yaw over the rep's shallower
    half (rep_body_yaw_deg): an estimate that reads 25 deg at the bottom of a 45 deg clip leaves
    the depth number where it was."""
    from formcheck.metrics import rep_body_yaw_deg, rep_metrics, thigh_angle_turned_deg

    seq = squat_sequence([RepSpec(thigh_deg=thigh, shin_deg=30.0)] * 2, view="oblique")
    a = analyze_sequence(seq, get_profile("general"))
    assert a.rep_count == 2
    s = a.series
    yaw = s.yaw_deg.copy()
    for r in a.reps:
        rng = np.arange(r.start_i, r.end_i + 1)
        deep = rng[s.depth[rng] >= 0.5 * r.peak_depth]
        yaw[deep] = 25.0
    bad = s.replace(yaw_deg=yaw, thigh_turned_deg=thigh_angle_turned_deg(seq.xy_px, yaw))
    for i, (r, m) in enumerate(zip(a.reps, a.metrics)):
        assert rep_body_yaw_deg(bad.yaw_deg, bad.depth, r) == pytest.approx(
            rep_body_yaw_deg(s.yaw_deg, s.depth, r), abs=1e-9)
        assert 40.0 < rep_body_yaw_deg(s.yaw_deg, s.depth, r) < 50.0
        got = rep_metrics(seq, bad, r, i)
        assert got.view == "oblique"
        assert got.depth_angle_deg == pytest.approx(m.depth_angle_deg, abs=0.05)
        assert got.depth_angle_deg == pytest.approx(thigh + THIGH_BIAS_DEG["oblique"], abs=1.0)
