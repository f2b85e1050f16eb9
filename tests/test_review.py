"""The review player's data (issue 13): every frame's numbers are overlay.frame_values, so at a
rep's bottom they are the rep's reported values."""

from __future__ import annotations

import pytest

from clinic_helpers import squat_analysis
from formcheck.app import review
from formcheck.overlay import frame_values
from formcheck.report import rep_rows
from formcheck.values import fmt_num


def test_at_each_reps_bottom_the_player_shows_the_reported_values():
    a, _ = squat_analysis(reps=3)
    d = review.review_data(a)
    assert len(d["vt"]) == len(a.clean_seq) and d["vt"][0] == 0.0
    assert d["vt"][-1] == pytest.approx(a.clean_seq.t_s[-1] - a.clean_seq.t_s[0], abs=1e-4)
    assert [r["n"] for r in d["reps"]] == [1, 2, 3]
    for r, row in zip(d["reps"], rep_rows(a)):
        b = r["bottom"]
        assert d["cols"]["rep"][b] == row["rep"] and d["cols"]["reported"][b] is True
        assert d["cols"]["kot"][b] == fmt_num(row["knee_over_toe_ratio"], "+.2f", " foot lengths")
        assert d["cols"]["knee"][b] == f"{row['knee_flexion_deg']:.0f}°"


def test_between_reps_the_player_shows_the_frames_own_values():
    a, _ = squat_analysis(reps=2)
    d = review.review_data(a)
    i = 5                                      # standing, before the first rep
    v = frame_values(a, i)
    assert v.rep is None and d["cols"]["rep"][i] is None and d["cols"]["reported"][i] is False
    assert d["cols"]["knee"][i] == f"{v.knee_flexion_deg:.0f}°"


def test_front_view_frames_say_knee_travel_cannot_be_seen():
    from formcheck.analysis import analyze_sequence
    from formcheck.synthetic import squat_sequence
    from formcheck.thresholds import get_profile

    a = analyze_sequence(squat_sequence(2, view="front"), get_profile("general"), "general")
    assert set(review.review_data(a)["cols"]["kot"]) == {review.NOT_FROM_FRONT}


def test_no_player_for_a_missing_or_too_large_video(tmp_path, monkeypatch):
    a, _ = squat_analysis(reps=1)
    assert review.player_spec(a, tmp_path / "missing.mp4", "x") is None
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\0" * 2048)
    monkeypatch.setattr(review, "MAX_VIDEO_BYTES", 1024)
    assert review.player_spec(a, big, "x") is None
    monkeypatch.setattr(review, "MAX_VIDEO_BYTES", 4096)
    spec = review.player_spec(a, big, "Rep 1", 0)
    assert (spec["title"], spec["rep"], len(spec["b64"])) == ("Rep 1", 0, 2732)
    assert review.signature([spec]) != review.signature([{**spec, "rep": 1}])


def test_the_box_words_of_the_video_are_beside_it_on_a_set_that_touched_the_box():
    from formcheck.analysis import analyze_sequence
    from formcheck.report import box_words
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    on_box = RepSpec(thigh_deg=0.0, shin_deg=40.0, pause_s=1.0)
    free = RepSpec(thigh_deg=-30.0, shin_deg=25.0, pause_s=0.0)
    a = analyze_sequence(squat_sequence([on_box, free]), get_profile("knee-rehab"), "knee-rehab")
    d = review.review_data(a)
    rows = rep_rows(a)
    assert d["has_box"] is True
    b = a.reps[0].bottom_i
    assert d["cols"]["box"][b] == box_words(rows[0], short=True).replace("\n", " · ")
    assert d["cols"]["box"][b].startswith("On the box: paused sit ")
    assert d["cols"]["box"][b - 1] == review.NO_BOX == d["cols"]["box"][a.reps[1].bottom_i]
    a = analyze_sequence(squat_sequence([free, free]), get_profile("knee-rehab"), "knee-rehab")
    d = review.review_data(a)
    assert d["has_box"] is False and set(d["cols"]["box"]) == {review.NO_BOX}


# --- measuring by hand (issue 23) ------------------------------------------------------------------
def test_hand_angle_and_distance_on_known_points():
    assert review.hand_angle_deg((10, 0), (0, 0), (0, 10)) == pytest.approx(90.0, abs=1e-9)
    assert review.hand_angle_deg((1, 0), (0, 0), (-1, 0)) == pytest.approx(180.0, abs=1e-9)
    assert review.hand_angle_deg((2, 2), (0, 0), (1, 1)) == pytest.approx(0.0, abs=1e-5)   # arccos near 1
    assert review.hand_angle_deg((3, 3), (3, 3), (0, 1)) is None           # a point twice
    assert review.hand_distance_px((0, 0), (3, 4)) == 5.0
    assert review.hand_words("angle", [(10, 0), (0, 0), (0, 10)]) == "Angle 90.0°"
    assert review.hand_words("distance", [(0, 0), (30, 40)], 100.0) == \
        "Distance 50.0 px · 0.50 foot lengths"
    assert review.hand_words("distance", [(0, 0), (30, 40)], None) == \
        "Distance 50.0 px (no foot-length scale on this frame: not side on)"


def test_a_hand_distance_from_toe_to_knee_is_the_analysis_knee_travel_in_foot_lengths():
    """The scale is the analysis's own unit: on a side-on frame, the horizontal distance from
    the front-most toe to the front-most knee over the frame's foot length is the knee travel
    past the toes the analysis reports for that frame."""
    from formcheck.metrics import knee_and_toe_points

    a, _ = squat_analysis(reps=2)
    d = review.review_data(a)
    assert d["display_px"] == [a.clean_seq.width_px, a.clean_seq.height_px]
    checked = 0
    for r in a.reps:
        i = r.bottom_i
        foot = d["foot_px"][i]
        assert foot is not None and foot > 0
        knee, toe = knee_and_toe_points(a.clean_seq.xy_px[i], "front_most", a.series.facing)
        y = float(knee[1])
        px = review.hand_distance_px((float(toe[0]), y), (float(knee[0]), y))
        assert px / foot == pytest.approx(abs(a.series.knee_over_toe_ratio[i]), rel=2e-4)
        checked += 1
    assert checked == 2


def test_front_view_frames_have_no_foot_length_scale():
    from formcheck.analysis import analyze_sequence
    from formcheck.synthetic import squat_sequence
    from formcheck.thresholds import get_profile

    a = analyze_sequence(squat_sequence(view="front"), get_profile("general"), "general")
    assert a.view.view == "front"
    d = review.review_data(a)
    assert d["foot_px"] == [None] * len(a.clean_seq)


def test_a_hand_measurement_gives_the_values_of_its_kind_for_a_correction():
    angle = {"kind": "angle", "value_deg": 97.4, "frame": 12, "rep": 2}
    assert review.correction_metrics(angle) == ("knee_flexion_deg", "thigh_angle_deg",
                                                "shin_angle_deg", "trunk_lean_deg", "fppa_deg")
    assert review.correction_value("knee_flexion_deg", angle) == 82.6    # 180 - hip-knee-ankle
    assert review.correction_value("shin_angle_deg", angle) == 97.4
    assert review.correction_value("knee_over_toe_ratio", angle) is None
    dist = {"kind": "distance", "px": 40.0, "foot_lengths": 0.4213, "frame": 3}
    assert review.correction_metrics(dist) == ("knee_over_toe_ratio", "heel_lift_ratio")
    assert review.correction_value("knee_over_toe_ratio", dist) == 0.42
    assert review.correction_metrics({"kind": "distance", "px": 40.0, "foot_lengths": None,
                                      "frame": 3}) == ()
    assert review.hand_note(angle) == "measured by hand on frame 12"
