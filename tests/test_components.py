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
