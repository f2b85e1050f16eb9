"""The command line's summary text says which check fired, with the reported numbers."""

from __future__ import annotations

import pytest

from clinic_helpers import squat  # noqa: F401  (fixture)
from formcheck.analysis import rescore
from formcheck.metrics import THIGH_BIAS_DEG
from formcheck.report import rep_rows, summary_text
from formcheck.thresholds import get_profile


def test_summary_text_names_only_the_check_that_fired(squat):
    analysis, _ = squat
    a = rescore(analysis, get_profile("knee-rehab", knee_over_toe_max_ratio=0.6), "knee-rehab")
    lines = summary_text(a).splitlines()
    cue = lines.index("- Shin leans far forward — Reps 1, 2: shin up to 38° from vertical "
                      "(limit 30°).")
    assert lines[cue + 1].startswith("  Sit back onto a box placed behind you")
    # the cues name the shin only; the box lines (the synthetic squats sit on a box) give the
    # knee-over-toe limit in the box's words
    assert "  the box:" in lines
    box_end = lines.index("  the box:") + 1 + len(rep_rows(a))
    assert lines[box_end] == "- Shin leans far forward — Reps 1, 2: shin up to 38° from vertical (limit 30°)."
    assert not any("foot lengths" in x or "Knee travels" in x for x in lines[box_end:])
    # the per-rep lines print the reported values: the knee level with the toes reads 0.00
    r = rep_rows(a)[0]
    # (knee_past_toes from knee_past_toes_min_ratio 0.12: level with the toes is not "past")
    assert (r["knee_over_toe_ratio"], r["knee_past_toes"]) == (0.0, False)
    # the depth number: the synthetic thigh's +5 deg plus the keypoint-bias correction
    assert r["thigh_angle_deg"] == pytest.approx(5.0 + THIGH_BIAS_DEG["side"], abs=1.0)
    assert lines[2] == (f"    1  {r['bottom_s']:5.2f}s  below parallel  "
                        f"{r['thigh_angle_deg']:+5.0f}°   0.00 no    38°  "
                        "n/a  ! shin_angle")
