"""Knees caving in (valgus.py): the per-rep peak FPPA, its call and its report fields, on exact
geometry."""

import math

import numpy as np
import pytest

from formcheck.analysis import analyze_sequence
from formcheck.report import rep_rows, csv_text
from formcheck.synthetic import SHANK, THIGH, RepSpec, squat_sequence
from formcheck.thresholds import get_profile
from formcheck.valgus import (HEALTHY_FPPA_DEG, PFP_FPPA_DEG, PUBLISHED_CUTOFF_DEG, fppa_frames,
                              published_cutoff_deg, report_fields)


def _pdf(x, m, s):
    return math.exp(-0.5 * ((x - m) / s) ** 2) / s


def test_the_cutoff_is_where_the_published_groups_are_equally_likely():
    cut = published_cutoff_deg(sem_deg=0.0)
    assert _pdf(cut, *HEALTHY_FPPA_DEG) == pytest.approx(_pdf(cut, *PFP_FPPA_DEG), rel=1e-9)
    assert cut == pytest.approx(12.667, abs=1e-3)
    assert PUBLISHED_CUTOFF_DEG == 12.7
    assert get_profile("general").fppa_max_deg == get_profile("knee-rehab").fppa_max_deg == 12.7


def _frame(points: dict) -> np.ndarray:
    xy = np.full((1, 33, 2), np.nan)
    for i, p in points.items():
        xy[0, i] = p
    return xy


def test_fppa_is_the_angle_between_thigh_and_shank_signed_inward():
    # the person's left leg on the picture's right (x larger); midline at x = 100
    knee_in = _frame({23: (140, 0), 24: (60, 0), 25: (130, 100), 26: (70, 100),
                      27: (140, 200), 28: (60, 200)})
    f = fppa_frames(knee_in)
    want = 2 * math.degrees(math.atan2(10, 100))   # thigh and shank each 10 px off over 100 px
    assert f["left"][0] == pytest.approx(want, abs=1e-9)
    assert f["right"][0] == pytest.approx(want, abs=1e-9)
    knee_out = _frame({23: (140, 0), 24: (60, 0), 25: (150, 100), 26: (50, 100),
                       27: (140, 200), 28: (60, 200)})
    assert fppa_frames(knee_out)["left"][0] == pytest.approx(-want, abs=1e-9)


@pytest.mark.parametrize("yaw", [30.0, 45.0, 60.0])
@pytest.mark.parametrize("valgus_m", [0.0, 0.03, 0.06])
def test_at_an_angle_both_legs_cancel_the_forward_travel_and_restore_the_sideways_offset(yaw, valgus_m):
    """Legs in 3-D (lateral, forward, down): the knees travel 0.25 m forward and `valgus_m`
    inward; seen turned `yaw` (orthographic), each leg alone reads the forward travel as a
    sideways one, both legs together read the frontal-plane angle."""
    def seen(at_yaw):
        c, s = math.cos(math.radians(at_yaw)), math.sin(math.radians(at_yaw))
        pts = {}
        for (h, k, a), side in (((23, 25, 27), 1.0), ((24, 26, 28), -1.0)):
            hip = (side * 0.10, -0.30, 0.0)
            knee = (side * (0.15 - valgus_m), 0.0, 0.20)
            ankle = (side * 0.15, 0.0, 0.65)
            for i, (lat, fwd, down) in ((h, hip), (k, knee), (a, ankle)):
                pts[i] = (1000 * (lat * c + fwd * s), 1000 * down)
        return _frame(pts)

    f = fppa_frames(seen(yaw), yaw, both_legs=True)
    front = fppa_frames(seen(0.0))
    assert front["left"][0] == pytest.approx(front["right"][0], abs=1e-9)
    assert f["both"][0] == pytest.approx(front["left"][0], abs=1e-6)
    assert abs(f["left"][0] - f["right"][0]) > 10      # each leg alone is far off


def _thigh_past_level(yaw: float, last_deg: float = 100.0):
    """(xy, t_s, depth, frontal FPPA) of a rep seen turned `yaw` (orthographic, 1 px = 1 mm):
    the knees 0.25 m forward of the ankles and 1 cm inside the hips' line, the ankles 5 cm
    outside it; the thighs (0.42 m) turn from hanging to `last_deg` off vertical (past level:
    the hips end below the knees) and back. The frontal-plane angle (+ inward) per frame is
    atan(5 / 45 cm) + atan(1 cm / the thigh's frontal height)."""
    c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    phi = np.radians(np.concatenate([np.linspace(0, last_deg, 40), np.linspace(last_deg, 0, 40)]))
    xy = np.full((len(phi), 33, 2), np.nan)
    for (h, k, a), side in (((23, 25, 27), 1.0), ((24, 26, 28), -1.0)):
        knee = np.array([side * 0.09, 0.25, 0.0])            # lateral, forward, down
        ankle = np.array([side * 0.15, 0.0, 0.45])
        for i, f in enumerate(phi):
            hip = np.array([side * 0.10, 0.25 - 0.42 * math.sin(f), -0.42 * math.cos(f)])
            for j, (lat, fwd, down) in ((h, hip), (k, knee), (a, ankle)):
                xy[i, j] = (1000 * (lat * c + fwd * s), 1000 * down)
    with np.errstate(divide="ignore"):
        frontal = np.degrees(np.arctan(0.06 / 0.45) + np.arctan2(0.01, 0.42 * np.cos(phi)))
    return xy, np.arange(len(phi)) / 30.0, 1.0 - np.cos(phi), frontal


@pytest.mark.parametrize("view, yaw", [("front", 0.0), ("oblique", 45.0), ("oblique", 55.0)])
def test_frames_with_the_thigh_near_level_are_left_out(view, yaw):
    """With the thigh near level the hip sits beside the knee in the picture: the thigh's
    picture is too short for an angle and past level it flips (this rep read +179.8 at its
    bottom, flagged; the rendered grid's deep reps at 56-59 deg read +36.7 and +179.9). The
    peak is read only while the thigh's picture is at least a quarter of its standing length
    (depth signal <= 0.75): it is then the frontal-plane angle's largest over those frames,
    and the bottom, past level, has no reading."""
    from formcheck.valgus import KNEE_BENT_MIN_DEPTH, KNEE_LEVEL_MAX_DEPTH, rep_knee_valgus

    xy, t, depth, frontal = _thigh_past_level(yaw)
    v, why = rep_knee_valgus(xy, t, depth, np.full(len(t), yaw), 0, len(t) - 1, 39, view)
    assert why == "" and v is not None
    assert KNEE_LEVEL_MAX_DEPTH == pytest.approx(0.75)
    read = (depth >= KNEE_BENT_MIN_DEPTH) & (depth <= KNEE_LEVEL_MAX_DEPTH)
    assert v.fppa_deg == pytest.approx(float(frontal[read].max()), abs=1e-6)
    assert v.fppa_deg < 20
    assert depth[v.peak_i] <= KNEE_LEVEL_MAX_DEPTH
    assert v.bottom_fppa_deg is None


def test_a_rep_never_read_between_straight_and_level_says_why():
    from formcheck.valgus import rep_knee_valgus

    xy, t, depth, _ = _thigh_past_level(0.0)
    depth = np.where(depth > 0.05, 0.9, depth)     # straight, then at once past level
    v, why = rep_knee_valgus(xy, t, depth, np.zeros(len(t)), 0, len(t) - 1, 39, "front")
    assert v is None
    assert why.startswith("the thighs went from nearly straight to about level")


def _front(reps):
    return analyze_sequence(squat_sequence(reps, view="front"), get_profile("general"))


def _true_bottom_fppa(valgus_px: float, thigh_deg: float, shin_deg: float) -> float:
    """synthetic._front_frame at the bottom: ankle at 90 px from the midline, knee `valgus_px`
    inside it, hip at 70 px, the thigh's vertical extent THIGH*sin(-thigh)."""
    thigh = np.array([90 - valgus_px - 70, THIGH * math.sin(math.radians(-thigh_deg))])
    shank = np.array([valgus_px, SHANK * math.cos(math.radians(shin_deg))])
    a = math.degrees(math.atan2(thigh[0], thigh[1]) - math.atan2(shank[0], shank[1]))
    return -a   # knee inside the hip-ankle line: + (the thigh leans out, the shank in)


def test_front_view_peak_fppa_matches_the_geometry_and_is_judged():
    spec = dict(thigh_deg=-30.0, shin_deg=30.0)
    a = _front([RepSpec(valgus_px=40.0, **spec), RepSpec(valgus_px=0.0, **spec)])
    assert a.view.view == "front" and a.rep_count == 2
    caved, straight = a.metrics
    want = _true_bottom_fppa(40.0, -30.0, 30.0)
    assert want > PUBLISHED_CUTOFF_DEG + 5
    assert caved.fppa_deg == pytest.approx(want, abs=1.0)
    assert caved.valgus.legs["left"].fppa_deg == pytest.approx(want, abs=1.0)
    assert caved.valgus.legs["right"].fppa_deg == pytest.approx(want, abs=1.0)
    assert caved.start_s <= caved.valgus.peak_s <= caved.end_s
    assert caved.valgus.knee_ankle_sep_ratio == pytest.approx((180 - 80) / 180, abs=0.02)
    assert caved.valgus.fppa_err_deg >= 3.0
    # knees over the feet (outside the hip-ankle line): the angle is most negative at the bottom,
    # so the peak is the least bent frame still counted, between the bottom's reading and 0
    assert straight.valgus.bottom_fppa_deg == pytest.approx(_true_bottom_fppa(0.0, -30.0, 30.0),
                                                            abs=1.0)
    assert straight.valgus.bottom_fppa_deg + 2 < straight.fppa_deg < 0
    assert abs(straight.valgus.peak_s - straight.bottom_s) > 0.3   # not the bottom frame
    assert [x.knees_cave_in for x in a.assessments] == [True, False]
    assert "fppa" not in caved.reasons and "fppa" not in straight.reasons
    assert any(c.code == "knees_cave_in" for c in a.cues)
    card = next(c for c in a.cues if c.code == "knees_cave_in")
    assert "crab walks" in card.try_this and "bridges" in card.try_this
    assert f"{caved.fppa_deg:.1f}°" in card.seen and card.reps == (1,)


def test_side_view_has_no_reading_with_the_reason():
    a = analyze_sequence(squat_sequence(2), get_profile("general"))
    assert all(m.fppa_deg is None and m.valgus is None for m in a.metrics)
    assert all(m.reasons["fppa"].startswith("side view") for m in a.metrics)
    assert all(x.knees_cave_in is None for x in a.assessments)


def test_the_report_csv_and_fields_carry_the_same_value():
    a = _front([RepSpec(valgus_px=40.0, thigh_deg=-30.0, shin_deg=30.0)])
    m = a.metrics[0]
    row = rep_rows(a)[0]
    assert row["fppa_deg"] == round(m.valgus.fppa_deg, 1)
    assert row["knees_cave_in"] is True
    assert row["fppa_leg"] in ("left", "right")
    assert row["fppa_peak_s"] == round(m.valgus.peak_s, 3)
    assert {k: row[k] for k in report_fields(m.valgus)} == report_fields(m.valgus)
    text = csv_text(a)
    header, first = text.splitlines()[:2]
    cols = dict(zip(header.split(","), first.split(",")))
    assert float(cols["fppa_deg"]) == row["fppa_deg"]
    assert float(cols["fppa_err_deg"]) == row["fppa_err_deg"]
    # drawn orthographically (focal length infinite): undoing the perspective added nothing
    assert row["fppa_perspective_deg"] == 0.0 and float(cols["fppa_perspective_deg"]) == 0.0
    # the value marked wrong: its error and its perspective share go with it
    from formcheck.report import Correction, apply_corrections

    fixed = apply_corrections([row], [Correction(1, "wrong_value", "fppa_deg", "", "ana")])[0]
    assert fixed["fppa_deg"] is fixed["fppa_err_deg"] is fixed["fppa_perspective_deg"] is None


def test_overlay_and_player_show_the_reported_peak_at_its_frame():
    import cv2  # noqa: F401  (the overlay draws with it)

    from formcheck.app import review
    from formcheck.overlay import annotate_frame, frame_values

    a = _front([RepSpec(valgus_px=40.0, thigh_deg=-30.0, shin_deg=30.0), RepSpec(valgus_px=0.0)])
    rows = rep_rows(a)
    d = review.review_data(a)
    assert d["has_knees_in"] is True
    for k, (m, row) in enumerate(zip(a.metrics, rows)):
        p = m.valgus.peak_i
        assert d["reps"][k]["peak"] == p
        v = frame_values(a, p)
        leg = f"{m.valgus.leg} leg"
        assert v.knees_in == f"knees in {row['fppa_deg']:+.1f} deg, {leg} (peak)"
        assert v.knees_in_flagged is row["knees_cave_in"]
        assert d["cols"]["knees_in"][p] == f"knees in {row['fppa_deg']:+.1f}°, {leg} (peak)"
    far = a.metrics[0].valgus.peak_i
    far = far + int(0.5 * a.clean_seq.fps) if far + int(0.5 * a.clean_seq.fps) < len(a.clean_seq) \
        else far - int(0.5 * a.clean_seq.fps)
    assert frame_values(a, far).knees_in == ""
    # drawn: the frame at the peak differs from the same frame without the knees-in lines
    blank = np.zeros((a.clean_seq.height_px, a.clean_seq.width_px, 3), np.uint8)
    p = a.metrics[0].valgus.peak_i

    def red(i):
        img = annotate_frame(blank, a, i)
        return int(((img[..., 0] > 200) & (img[..., 1] < 120)).sum())

    assert red(p) > red(p + int(0.4 * a.clean_seq.fps)) + 100   # the flagged rep's lines: red


def test_a_physio_marking_the_angle_wrong_takes_the_call_and_the_flag_with_it():
    from formcheck.report import Correction, apply_corrections, corrected_summary

    a = _front([RepSpec(valgus_px=40.0, thigh_deg=-30.0, shin_deg=30.0)] * 2)
    rows = rep_rows(a)
    assert [r["knees_cave_in"] for r in rows] == [True, True]
    fix = [Correction(rep=1, kind="wrong_value", metric="fppa_deg", note="", author="ana")]
    got = apply_corrections(rows, fix)
    assert got[0]["fppa_deg"] is None and got[0]["knees_cave_in"] is None
    assert "knees_cave_in" not in got[0]["flags"] and got[0]["checks"]["fppa_deg"] == "n/a"
    assert got[1]["knees_cave_in"] is True and got[1]["fppa_deg"] == rows[1]["fppa_deg"]
    assert corrected_summary(rows, fix).worst_fppa_deg == rows[1]["fppa_deg"]


def _pinhole_squat(focal_px: float, dist_m: float = 2.5, knee_fwd_m: float = 0.35,
                   valgus_m: float = 0.04):
    """(xy (1, 33, 2), world (1, 33, 3), size, orthographic FPPA) of a squat's bottom seen from
    the front by a level pinhole camera `dist_m` from the hips (principal point at the picture's
    centre, 720 x 1280 px): the knees `knee_fwd_m` nearer the camera than the hips, the ankles
    half that, each knee `valgus_m` inside the line between hip (0.10 m out) and ankle
    (0.16 m out). The world landmarks are the exact 3-D points (metres from the hips' midpoint,
    x right, y down, z away from the camera), as MediaPipe gives them."""
    size = (720, 1280)
    pts = {11: (0.18, -0.50, 0.05), 12: (-0.18, -0.50, 0.05)}
    for (h, k, a), s in (((23, 25, 27), 1.0), ((24, 26, 28), -1.0)):
        pts[h] = (s * 0.10, 0.0, 0.0)
        pts[k] = (s * (0.13 - valgus_m), 0.25, -knee_fwd_m)
        pts[a] = (s * 0.16, 0.65, -knee_fwd_m / 2)
    xy, world, ortho = (np.full((1, 33, n), np.nan) for n in (2, 3, 2))
    hips = np.array([0.05, 0.20, dist_m])        # the hips' midpoint, camera axes
    for i, p in pts.items():
        q = hips + np.array(p)
        xy[0, i] = (size[0] / 2 + focal_px * q[0] / q[2], size[1] / 2 + focal_px * q[1] / q[2])
        ortho[0, i] = (size[0] / 2 + focal_px * q[0] / dist_m, size[1] / 2 + focal_px * q[1] / dist_m)
        world[0, i] = p
    return xy, world, size, fppa_frames(ortho)["left"][0]


def test_undoing_perspective_gives_the_orthographic_picture():
    """Knees nearer the camera are magnified away from the picture's centre, outward: the
    picture's FPPA reads low. With the exact depths and focal length the perspective is undone
    exactly (to 1e-3 deg: the scale is refitted on the undone picture), both legs."""
    from formcheck.valgus import perspective_undone_xy

    f = 1000.0
    xy, world, size, ortho = _pinhole_squat(f)
    raw = fppa_frames(xy)
    undone = fppa_frames(perspective_undone_xy(xy, world, *size, f))
    for leg in ("left", "right"):
        assert raw[leg][0] < ortho - 1.0
        assert undone[leg][0] == pytest.approx(ortho, abs=1e-3)
    # no world landmarks: the picture as it is
    same = perspective_undone_xy(xy, np.full_like(world, np.nan), *size, f)
    assert np.array_equal(same, xy, equal_nan=True)


def test_the_phone_lens_and_its_range_set_the_focal_length_and_the_error():
    """A clip without its focal length is read as a 26 mm-equivalent phone camera (69.4 deg
    across the long side); half the reading's change between 60 and 78 deg is added to the
    error in quadrature. With the camera's own focal length nothing is added, and an
    orthographic picture (focal length infinite) reads as the plain picture."""
    from formcheck.valgus import (HFOV_RANGE_DEG, PHONE_HFOV_DEG, focal_px_for,
                                  perspective_undone_xy, rep_knee_valgus)

    assert PHONE_HFOV_DEG == pytest.approx(69.39, abs=0.01)
    f_phone = focal_px_for(720, 1280)
    assert f_phone == pytest.approx(640 / math.tan(math.radians(PHONE_HFOV_DEG / 2)))
    xy1, w1, size, _ = _pinhole_squat(f_phone)
    n = 5
    xy, world = np.repeat(xy1, n, 0), np.repeat(w1, n, 0)
    t, depth, yaw = np.arange(n) / 30.0, np.full(n, 0.5), np.zeros(n)
    args = (xy, t, depth, yaw, 0, n - 1, 2, "front")
    plain, _ = rep_knee_valgus(*args)
    known, _ = rep_knee_valgus(*args, world, size, f_phone)
    guessed, _ = rep_knee_valgus(*args, world, size)
    ortho, _ = rep_knee_valgus(*args, world, size, math.inf)
    assert plain.perspective_deg is None and ortho.perspective_deg == 0.0
    assert ortho.fppa_deg == plain.fppa_deg
    assert known.fppa_deg == guessed.fppa_deg > plain.fppa_deg + 1.0
    assert known.perspective_deg == pytest.approx(known.fppa_deg - plain.fppa_deg)
    # reported beside fppa_deg: the plain picture's FPPA is the one minus the other
    assert report_fields(known)["fppa_perspective_deg"] == round(known.perspective_deg, 1) > 1.0
    assert report_fields(plain)["fppa_perspective_deg"] is None
    assert known.fppa_err_deg == plain.fppa_err_deg == 3.0
    lo, hi = (fppa_frames(perspective_undone_xy(xy1, w1, *size, focal_px_for(*size, h)))
              for h in HFOV_RANGE_DEG)
    e_f = abs(lo[guessed.leg][0] - hi[guessed.leg][0]) / 2
    assert e_f > 0.2
    assert guessed.fppa_err_deg == pytest.approx(math.hypot(3.0, e_f), abs=1e-9)
