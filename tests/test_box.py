"""The box in the rep (box.py): contact, its duration and height, the higher-box advice, and
seated starts and ends, on synthetic people whose geometry is exact."""

import math

import numpy as np
import pytest

from formcheck.analysis import analyze_sequence, with_body_size
from formcheck.box import (HIP_ABOVE_ANKLE_PER_HEIGHT, advice_text, box_spread_ratio,
                           cm_per_shin, higher_box_shin, hold_s)
from formcheck.report import box_parts, box_words, rep_rows, to_dict
from formcheck.reps import RepSegmenter, RepSettings, find_reps
from formcheck.stream import replay
from formcheck.synthetic import SHANK, STAND, THIGH, TOE_AHEAD, RepSpec, squat_sequence
from formcheck.thresholds import get_profile

ON_BOX = RepSpec(thigh_deg=0.0, shin_deg=40.0, pause_s=1.0)      # a paused sit
TOUCH = RepSpec(thigh_deg=0.0, shin_deg=40.0, pause_s=0.1)       # touch-and-go
FREE = RepSpec(thigh_deg=-30.0, shin_deg=25.0, pause_s=0.0)      # turns around above the box


def hip_above_ankle(thigh_deg, shin_deg):
    return SHANK * math.cos(math.radians(shin_deg)) + THIGH * math.sin(math.radians(-thigh_deg))


def analyse(reps, profile="knee-rehab", **kw):
    return analyze_sequence(squat_sequence(reps, **kw), get_profile(profile), profile)


def test_a_hold_is_box_contact_only_when_the_person_squats_onto_a_box():
    """The landmarks cannot tell a box from a paused squat: with a profile whose protocol is
    not a box squat, a hold is not called box contact unless the user says there is a box."""
    from formcheck.analysis import with_box
    from formcheck.report import NO_BOX, to_dict

    plain = analyse([ON_BOX, FREE], profile="general")
    assert plain.box is False and analyse([FREE], profile="knee-rehab").box is True
    rows = rep_rows(plain)
    assert [(r["box_squat"], r["box_contact"], r["box_contact_s"], r["box_sit"],
             r["box_hip_height_ratio"], r["box_pause"]) for r in rows] == \
        [(False, None, None, None, None, False)] * 2
    assert rows[0]["unmeasured"]["box_contact"] == NO_BOX
    assert rows[0]["higher_box_shin"] is not None          # the advice stays
    assert box_words(rows[0]) == rows[0]["box_advice"]      # ... and is all that is said
    assert box_words(rows[0], short=True) == ""
    assert to_dict(plain)["box"]["squats_onto_box"] is False
    assert to_dict(plain)["box"]["reps_on_box"] == 0
    declared = with_box(plain, True)
    rows = rep_rows(declared)
    assert [r["box_contact"] for r in rows] == [True, False]
    assert "box_contact" not in rows[0]["unmeasured"]
    assert box_words(rows[0]).startswith("On the box: paused sit ")
    assert with_box(declared, None) is declared and with_box(declared, False).box is False


def test_contact_touch_and_go_and_no_contact():
    a = analyse([ON_BOX, FREE, TOUCH])
    rows = rep_rows(a)
    assert [r["box_contact"] for r in rows] == [True, False, True]
    assert [r["box_sit"] for r in rows] == ["paused_sit", None, "touch_and_go"]
    assert rows[0]["box_contact_s"] == pytest.approx(1.0, abs=0.05)
    assert rows[2]["box_contact_s"] == pytest.approx(0.1, abs=0.05)
    assert rows[1]["box_contact_s"] is None


def test_box_height_against_the_geometry():
    a = analyse([ON_BOX, TOUCH, ON_BOX])
    stand = hip_above_ankle(STAND[1], STAND[0])
    truth = hip_above_ankle(0.0, 40.0)
    for m in a.metrics:
        assert m.box_hip_height_ratio == pytest.approx(truth / stand, abs=0.01)
        assert m.box_hip_per_knee_ratio == pytest.approx(truth / SHANK, abs=0.02)
    box = to_dict(a)["box"]
    assert box["reps_on_box"] == 3
    assert box["consistent"] is True
    assert box["hip_height_ratio_spread"] < 0.01


def test_box_height_in_cm_from_the_shin_length():
    a = with_body_size(analyse([ON_BOX, ON_BOX]), shin_cm=43.0)
    assert a.cm_per_shin == 43.0
    for r in rep_rows(a):
        assert r["box_hip_height_cm"] == pytest.approx(43.0 * hip_above_ankle(0, 40) / SHANK, abs=1.0)


def test_cm_per_shin_from_the_height():
    # hip 0.491 H above the ankle, standing, 2 shin lengths up: a shin is 0.2455 H
    assert cm_per_shin(2.0, height_cm=180.0) == pytest.approx(180 * HIP_ABOVE_ANKLE_PER_HEIGHT / 2)
    assert cm_per_shin(2.0, shin_cm=41.0) == 41.0
    assert cm_per_shin(2.0) is None


def test_higher_box_advice_against_the_geometry():
    # The knee passes the toes (the knee-rehab limit, 0 foot lengths) where
    # SHANK sin(shin) = TOE_AHEAD; the shin and thigh move together from standing to the
    # bottom, so the hip height there is known exactly.
    shin_x = math.degrees(math.asin(TOE_AHEAD / SHANK))
    u = (shin_x - STAND[0]) / (40.0 - STAND[0])
    thigh_x = STAND[1] + u * (0.0 - STAND[1])
    truth = (hip_above_ankle(thigh_x, shin_x) - hip_above_ankle(0.0, 40.0)) / SHANK
    a = analyse([ON_BOX, FREE, TOUCH])
    rows = rep_rows(a)
    assert rows[0]["higher_box_shin"] == pytest.approx(truth, abs=0.01)
    assert rows[2]["higher_box_shin"] == pytest.approx(truth, abs=0.01)
    assert rows[1]["higher_box_shin"] == 0.0          # the knee stayed behind the toes
    assert "stayed within the limit" in rows[1]["box_advice"]
    assert "shin lengths higher" in rows[0]["box_advice"]


def test_within_the_general_limit_the_advice_says_so():
    rows = rep_rows(analyse([ON_BOX], profile="general"))
    assert rows[0]["higher_box_shin"] == 0.0


def test_higher_box_shin_unknown_cases():
    assert higher_box_shin((), None, None, 0.0) is None            # knee-over-toe unmeasured
    assert higher_box_shin(((2.0, 0.1), (1.9, 0.2), (1.8, 0.3)), 1.8, 0.3, 0.0) is None  # past from the start
    profile = tuple((2.0 - 0.1 * k, -0.3 + 0.1 * k) for k in range(8))   # linear: 0 at hip 1.7
    assert higher_box_shin(profile, 1.3, 0.4, 0.0) == pytest.approx(0.4)


def test_advice_text_in_cm_in_shin_lengths_and_within_the_limit():
    assert advice_text(0.2, 0.0, 8.04) == ("The knee passed the limit near the bottom: a box "
                                           "about 8 cm higher would keep it within the limit.")
    assert advice_text(0.2, 0.0, None) == (
        "The knee passed the limit near the bottom: a box about 0.20 shin lengths higher would "
        "keep it within the limit (give the height of the person filmed for centimetres).")
    assert advice_text(0.0, 0.35, None) == ("The knee stayed within the limit (+0.35 foot "
                                            "lengths past the toes) at this depth.")
    assert advice_text(0.2, 0.0, 8.04, short=True) == "a box 8 cm higher keeps the knee within the limit"
    assert advice_text(0.0, 0.35, None, short=True) == "knee stayed within the limit"
    assert advice_text(None, 0.35, None) == advice_text(None, 0.35, None, short=True) == ""


# report.box_words: the one wording of a rep's box result (app, PDF, command line, video)
SAT = {"box_contact": True, "box_contact_s": 1.03, "box_sit": "paused_sit",
       "box_hip_height_ratio": 0.418, "box_hip_per_knee_ratio": 0.866, "box_hip_height_cm": 35.4,
       "higher_box_shin": 0.466, "higher_box_cm": 19.6,
       "box_advice": advice_text(0.466, 0.0, 19.6)}
TOUCHED = {"box_contact": True, "box_contact_s": 0.11, "box_sit": "touch_and_go",
           "box_hip_height_ratio": 0.436, "box_hip_per_knee_ratio": 0.9, "box_hip_height_cm": None,
           "higher_box_shin": 0.0, "higher_box_cm": None, "box_advice": advice_text(0.0, 0.35, None)}
MISSED = {"box_contact": False, "box_contact_s": None, "box_sit": None,
          "box_hip_height_ratio": None, "box_hip_per_knee_ratio": None, "box_hip_height_cm": None,
          "higher_box_shin": 0.0, "higher_box_cm": None, "box_advice": advice_text(0.0, 0.0, None)}


def test_box_words_long():
    assert box_words(SAT) == (
        "On the box: paused sit 1.03 s; hip at 42% of standing hip height, 0.87 × knee height "
        "(35 cm above the ankle). The knee passed the limit near the bottom: a box about 20 cm "
        "higher would keep it within the limit.")
    assert box_words(TOUCHED) == (
        "On the box: touch-and-go 0.11 s; hip at 44% of standing hip height, 0.90 × knee "
        "height. The knee stayed within the limit (+0.35 foot lengths past the toes) at this "
        "depth.")
    assert box_words(MISSED) == ("Turned around without sitting on the box. The knee stayed "
                                 "within the limit (+0.00 foot lengths past the toes) at this depth.")
    assert box_words({**MISSED, "box_contact": None, "higher_box_shin": None, "box_advice": ""}) \
        == "Box contact not measured (the hip height is unknown)."


def test_box_words_short_is_ascii_lines_with_the_same_numbers():
    assert box_words(SAT, short=True) == ("On the box: paused sit 1.03 s\n"
                                          "hip at 42% of standing (35 cm)\n"
                                          "a box 20 cm higher keeps the knee within the limit")
    assert box_words(TOUCHED, short=True) == ("On the box: touch-and-go 0.11 s\n"
                                              "hip at 44% of standing\n"
                                              "knee stayed within the limit")
    assert box_words({**TOUCHED, "higher_box_shin": None}, short=True) == \
        "On the box: touch-and-go 0.11 s\nhip at 44% of standing"
    assert box_words(MISSED, short=True) == ""
    assert box_words(SAT, short=True).isascii()


def test_box_words_everywhere_on_an_analysed_set():
    """The command line, the annotated video's frames and the report rows say the same."""
    from formcheck.overlay import frame_values
    from formcheck.report import summary_text

    a = with_body_size(analyse([ON_BOX, FREE, TOUCH]), height_cm=175)
    rows = rep_rows(a)
    text = summary_text(a).splitlines()
    for r in rows:
        assert f"  {r['rep']:>3}  {box_words(r)}" in text
    assert "a box about" in box_words(rows[0]) and "cm higher" in box_words(rows[0])
    for k, rep in enumerate(a.reps):
        expected = box_words(rows[k], short=True)
        assert frame_values(a, rep.bottom_i).box == expected
        assert frame_values(a, rep.end_i).box == expected
        assert frame_values(a, rep.bottom_i - 1).box == ""      # from the bottom on
    assert frame_values(a, a.reps[0].bottom_i).box_over_limit is True
    assert frame_values(a, a.reps[1].bottom_i).box == ""        # turned around above the box


def test_no_box_lines_in_the_summary_when_no_rep_touched_the_box():
    from formcheck.report import summary_text

    a = analyse([FREE, FREE])
    assert not any(r["box_contact"] for r in rep_rows(a))
    assert "the box:" not in summary_text(a)


def test_hold_of_a_free_turnaround_is_zero_and_of_a_plateau_its_length():
    t = np.arange(0, 4, 1 / 30)
    free = 0.5 + 0.5 * (t - 2.0) ** 2
    assert hold_s(t, free)[0] == pytest.approx(0.0, abs=0.02)
    held = np.where(np.abs(t - 2.0) < 0.4, 0.5, 0.5 + 0.5 * (np.abs(t - 2.0) - 0.4) ** 2)
    assert hold_s(t, held)[0] == pytest.approx(0.8, abs=0.04)


def test_box_spread():
    assert box_spread_ratio([0.40, None, 0.43]) == pytest.approx(0.03)
    assert box_spread_ratio([0.40]) is None


@pytest.mark.parametrize("start,end", [(1.5, 0.0), (0.0, 1.5), (1.5, 2.0)])
def test_seated_start_and_end_are_not_reps(start, end):
    a = analyse([ON_BOX, FREE, TOUCH], seated_start_s=start, seated_end_s=end)
    assert a.rep_count == 3
    assert [r["box_contact"] for r in rep_rows(a)] == [True, False, True]


def test_seated_start_and_end_on_the_live_path():
    seq = squat_sequence([ON_BOX, FREE, TOUCH], seated_start_s=1.5, seated_end_s=1.5)
    live = replay(seq, get_profile("knee-rehab"), "knee-rehab")
    assert live.rep_count == 3
    assert [m.box_contact for m in live.metrics] == [True, False, True]


def seated_depth(seated_s=1.5):
    """Depth signal: seated (1.0) from the start, stands up, then two dips, then sits down."""
    t = np.arange(0, 12, 1 / 30)
    d = np.ones_like(t)
    rise = (t >= seated_s) & (t < seated_s + 1)
    d[rise] = 0.5 + 0.5 * np.cos(np.pi * (t[rise] - seated_s))
    d[t >= seated_s + 1] = 0.0
    for t0 in (4.0, 7.0):
        m = (t >= t0) & (t < t0 + 2)
        d[m] = 0.5 - 0.5 * np.cos(np.pi * (t[m] - t0))
    m = t >= 10.0
    d[m] = np.minimum(1.0, (t[m] - 10.0))
    return t, d


def test_segmenter_keeps_the_seated_start_apart():
    t, d = seated_depth()
    seg = RepSegmenter(RepSettings())
    spans = [s for ti, di in zip(t, d) if (s := seg.update(ti, di)) is not None]
    assert len(spans) == 2
    assert seg.seated_start is not None and seg.seated_start[0] == 0
    assert seg.down is True                         # ended seated


def test_a_clip_starting_mid_descent_still_counts_its_first_rep():
    # starts at 0.5 of the way down and goes on down: the rep's bottom is in the clip
    t = np.arange(0, 6, 1 / 30)
    d = np.where(t < 1.0, 0.5 + 0.5 * t, np.where(t < 2.0, 1.0 - (t - 1.0), 0.0))
    d = np.concatenate([d, np.zeros(0)])
    assert len(find_reps(t, d)) == 1


def test_box_parts_are_the_rep_tables_cells():
    assert box_parts(SAT) == {"contact": "paused sit 1.03 s", "hip": "42% of standing (35 cm)",
                              "higher": "20 cm higher"}
    assert box_parts(TOUCHED) == {"contact": "touch-and-go 0.11 s", "hip": "44% of standing",
                                  "higher": "within the limit"}
    assert box_parts({**SAT, "higher_box_cm": None}) ["higher"] == "0.47 shin lengths higher"
    assert box_parts(MISSED) == {"contact": "not on the box", "hip": "", "higher": "within the limit"}
    # the phone table's short words: the same seconds, the unit in its column's name
    assert [box_parts(r, short=True)["contact"] for r in (SAT, TOUCHED, MISSED)] == \
        ["sat 1.03", "tap 0.11", "none"]
    assert box_parts({**MISSED, "box_contact": None}, short=True)["contact"] == "n/a"
    assert box_parts({**MISSED, "box_contact": None, "higher_box_shin": None}) == \
        {"contact": "n/a", "hip": "", "higher": ""}


def test_an_adjusted_box_profile_is_still_a_box_squat():
    """The app labels a profile whose thresholds were changed "knee-rehab (adjusted)": its
    protocol is still the box squat (a saved session with that label reloads with box contact)."""
    from formcheck.thresholds import is_box_profile

    assert [is_box_profile(p) for p in ("knee-rehab", "knee-rehab (adjusted)", "general",
                                        "general (adjusted)", "custom")] == \
        [True, True, False, False, False]
    seq = squat_sequence([ON_BOX])
    assert analyze_sequence(seq, get_profile("knee-rehab"), "knee-rehab (adjusted)").box is True
    assert analyze_sequence(seq, get_profile("general"), "general (adjusted)").box is False
