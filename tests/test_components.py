"""The app's per-rep table marks and prints values as the library's checks judged them."""

from __future__ import annotations

import pytest

pytest.importorskip("streamlit")

from clinic_helpers import squat  # noqa: E402,F401  (fixture)
from formcheck.app.components import rep_table_frame  # noqa: E402
from formcheck.report import rep_rows  # noqa: E402
from formcheck.values import fmt_num  # noqa: E402


def test_rep_table_marks_flags_and_never_shows_a_flagged_value_equal_to_its_limit(squat):
    analysis, _ = squat                       # knee-rehab: shin limit 30°
    df = rep_table_frame(analysis)
    rows = rep_rows(analysis)
    for (_, cells), r in zip(df.iterrows(), rows):
        mark = "⚠" if r["checks"]["shin_angle_deg"] == "flag" else "✓"
        shin = fmt_num(r["shin_angle_deg"], ".0f")
        if shin == "30" and r["shin_angle_deg"] != 30.0:
            shin = fmt_num(r["shin_angle_deg"], ".1f")
        assert cells["Shin °"] == f"{mark} {shin}"
        assert cells["Knee past toes"] == f"✓ {fmt_num(r['knee_over_toe_ratio'], '+.2f')}"
    assert list(df["Shin °"].str[0]) == ["⚠", "⚠", "✓"]


def test_the_compact_rep_table_has_four_columns_and_one_flag_column():
    """The phone table: rep, depth, knee past toes (marked by the library's check) and the
    rep's flags in a few words."""
    from formcheck.analysis import analyze_sequence
    from formcheck.app.components import COMPACT_COLUMNS, compact_rep_frame
    from formcheck.report import rep_rows
    from formcheck.synthetic import RepSpec, squat_sequence
    from formcheck.thresholds import get_profile

    # no pause at the bottom, so no box contact (with one: a fifth column, test_app_box.py)
    a = analyze_sequence(squat_sequence([RepSpec(pause_s=0.0), RepSpec(shin_deg=55.0, pause_s=0.0)]),
                         get_profile("general"), "general")
    df = compact_rep_frame(a)
    rows = rep_rows(a)
    assert list(df.columns) == COMPACT_COLUMNS == ["Rep", "Depth", "Knee past toes", "Flag"]
    assert df["Rep"].tolist() == ["1", "2"]
    assert rows[0]["flags"] == [] and df["Flag"][0] == "✓"
    assert rows[1]["flags"] == ["shin_angle"]
    assert df["Flag"][1] == "shin"                     # the column's help: shin leans far
    assert df["Depth"].tolist() == [{"above_parallel": "above", "parallel": "parallel",
                                     "below_parallel": "below"}[r["depth"]] for r in rows]
    assert df["Knee past toes"][1] == f"✓ {rows[1]['knee_over_toe_ratio']:+.2f}"
