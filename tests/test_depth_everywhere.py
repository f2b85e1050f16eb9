"""Issue 19: one rep's depth class (the hip-height class) and number (the corrected thigh
angle) are the same in every view of it: the table,
the overlay, the PDF, CSV, JSON, the live readout and the live path's rep."""

import csv
import io
import json

import pytest

from formcheck.analysis import analyze_sequence
from formcheck.feedback import call_words, depth_words
from formcheck.live import LiveSession
from formcheck.metrics import depth_class_from_angle, depth_near
from formcheck.overlay import frame_values
from formcheck.pdf_report import _caption_lines
from formcheck.report import csv_text, rep_rows, to_dict
from formcheck.stream import replay
from formcheck.synthetic import RepSpec, squat_sequence
from formcheck.thresholds import get_profile

TH = get_profile("general")


# thighs whose hip heights (0.66, 0.50, 0.36 of standing) sit well clear of the 0.40 / 0.60 cuts
@pytest.mark.parametrize("thigh", [-28.0, -9.0, 8.0])
def test_one_rep_shows_one_depth_class_and_number_everywhere(thigh):
    seq = squat_sequence([RepSpec(thigh_deg=thigh, shin_deg=30.0)] * 2)
    an = analyze_sequence(seq, TH, "general")
    assert an.rep_count == 2
    m, a = an.metrics[0], an.assessments[0]
    err = m.depth_angle_err_deg
    number, cls, words = m.thigh_angle_deg, a.depth, call_words(a)
    assert cls != "unclear" and words == depth_words(cls)
    shown = f"{number:+.0f}"

    row = rep_rows(an)[0]                                   # the table's and the PDF's rows
    assert (row["depth"], row["depth_words"]) == (cls, words)
    assert row["depth_angle_class"] == depth_words(depth_class_from_angle(number, err),
                                                   depth_near(number, err))  # secondary
    assert row["thigh_angle_deg"] == row["depth_angle_deg"] == round(number, 1)
    js = json.loads(json.dumps(to_dict(an)))["reps"][0]      # JSON
    assert (js["depth"], js["thigh_angle_deg"], js["depth_angle_deg"], js["depth_words"]) == \
        (cls, round(number, 1), round(number, 1), words)
    assert js["depth_close_to"] is None and a.depth_close_to is None   # clear of both cuts
    c = next(csv.DictReader(io.StringIO(csv_text(an))))     # CSV
    assert (c["depth"], c["depth_words"]) == (cls, words)
    assert float(c["thigh_angle_deg"]) == float(c["depth_angle_deg"]) == round(number, 1)
    v = frame_values(an, m.bottom_i)                         # the overlay at the bottom
    assert v.thigh_deg == round(number, 1) and v.labels["thigh"] == f"thigh {shown} deg"
    cap = _caption_lines(row, TH)                            # the PDF's key-frame caption
    assert cap[0] == f"Depth: {words} (thigh {shown}°)"

    live = replay(seq, TH, "general")                        # the live path's rep
    lm, la = live.metrics[0], live.assessments[0]
    assert la.depth == cls and lm.thigh_angle_deg == pytest.approx(number, abs=0.5)

    # the live readout at the bottom frame: the same class, the same number
    s = LiveSession(profile="general")
    r = None
    for k in range(m.bottom_i + 1):
        r = s.push_pose(float(seq.t_s[k]), seq.xy_px[k], seq.visibility[k], seq.width_px,
                        seq.height_px, z=seq.z[k], world_m=seq.world_m[k])
    assert r.phase == "down"
    assert r.depth_label == cls and r.thigh_deg == pytest.approx(number, abs=0.5)


# at an angle the turned thigh divides its forward part by sin(yaw); the yaw estimate reads up to
# 9 deg nearer the front at the bottom of this 35-deg squatter (25.8 against 35.2 standing), so
# a readout dividing by its own frame's yaw showed -16.4 at the bottom of the -28 rep whose row
# says -21.6 (and -1.3 against -3.1, 11.7 against 13.2)
@pytest.mark.parametrize("thigh", [-28.0, -9.0, 8.0])
def test_live_readout_at_an_angle_takes_the_reps_yaw(thigh):
    """The live readout at the bottom of a rep seen at an angle divides by the body's yaw over
    the rep so far (metrics.rep_body_yaw_deg of its descent), so it shows the number the rep's
    row then says, on the clip path and on the live path."""
    seq = squat_sequence([RepSpec(thigh_deg=thigh, shin_deg=30.0)] * 2, view="oblique",
                         yaw_deg=35.0)
    an = analyze_sequence(seq, TH, "general")
    assert an.rep_count == 2
    m = an.metrics[0]
    assert m.view == "oblique" and m.depth_source == "thigh_px_turned"
    live = replay(seq, TH, "general")
    assert live.metrics[0].thigh_angle_deg == pytest.approx(m.thigh_angle_deg, abs=0.5)
    s = LiveSession(profile="general")
    r = None
    for k in range(m.bottom_i + 1):
        r = s.push_pose(float(seq.t_s[k]), seq.xy_px[k], seq.visibility[k], seq.width_px,
                        seq.height_px, z=seq.z[k], world_m=seq.world_m[k])
    assert r.phase == "down" and r.view == "oblique"
    assert r.thigh_deg == pytest.approx(m.thigh_angle_deg, abs=0.5)
    assert r.thigh_deg == pytest.approx(live.metrics[0].thigh_angle_deg, abs=0.5)


@pytest.mark.parametrize("label,between,close_to,words", [
    ("parallel", (), None, "parallel"),
    ("parallel", (), "below_parallel", "parallel, close to below"),
    ("unclear", ("below_parallel", "parallel"), None, "below parallel, close to parallel"),
])
def test_the_live_readout_words_a_call_near_a_cut_as_the_reps_row_does(label, between, close_to,
                                                                       words):
    """A decided call within two of its errors of a cut says what is across it, live as in the
    rep's row (feedback.depth_call_words, the one wording)."""
    from formcheck.feedback import RepAssessment, call_words
    from formcheck.live import depth_words as live_words
    from formcheck.stream import LiveReadout

    r = LiveReadout(person=True, phase="down", depth_label=label, depth_between=between,
                    depth_close_to=close_to)
    a = RepAssessment(label, None, None, depth_between=between, depth_close_to=close_to)
    assert live_words(r) == call_words(a) == words


def test_a_call_close_to_a_cut_reads_the_same_in_every_view_of_the_rep():
    """A decided call near a cut ("below parallel, close to parallel") is worded the same in the
    command line's table, the report rows (table, PDF), JSON and CSV; the table's depth column
    widens to the words."""
    from dataclasses import replace

    from formcheck.report import summary_text

    seq = squat_sequence([RepSpec(thigh_deg=8.0, shin_deg=30.0)] * 2)
    an = analyze_sequence(seq, TH, "general")
    a0 = an.assessments[0]
    assert (a0.depth, a0.depth_close_to) == ("below_parallel", None)
    an = replace(an, assessments=[replace(a0, depth_close_to="parallel"), *an.assessments[1:]])
    words = "below parallel, close to parallel"
    row = rep_rows(an)[0]
    assert (row["depth"], row["depth_words"]) == ("below_parallel", words)
    js = json.loads(json.dumps(to_dict(an)))["reps"][0]
    assert (js["depth"], js["depth_words"], js["depth_close_to"]) == \
        ("below_parallel", words, "parallel")
    c = next(csv.DictReader(io.StringIO(csv_text(an))))
    assert (c["depth"], c["depth_words"]) == ("below_parallel", words)
    assert _caption_lines(row, TH)[0].startswith(f"Depth: {words} (thigh ")
    lines = summary_text(an).splitlines()
    assert lines[1] == ("  rep  bottom   depth                              thigh   knee>toe  "
                        "shin   cave-in")
    assert lines[2].startswith(f"    1  {row['bottom_s']:5.2f}s  {words}  ")
    assert lines[3].startswith(f"    2  {rep_rows(an)[1]['bottom_s']:5.2f}s  below parallel"
                               + " " * (len(words) - len("below parallel")) + "  ")
