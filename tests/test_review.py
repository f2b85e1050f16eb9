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
