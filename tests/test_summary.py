"""The set summary (report.summarize) and the number helpers (values): exact tables."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from clinic_helpers import squat  # noqa: F401  (fixture)
from formcheck.feedback import assess_rep
from formcheck.metrics import RepMetrics
from formcheck.report import SetSummary, summarize, summarize_rows, to_dict
from formcheck.thresholds import HELP, LABELS, Thresholds, get_profile
from formcheck.values import clean_float, fmt_num

BASE = RepMetrics(index=1, start_s=0.0, bottom_s=1.0, end_s=2.0, view="side", yaw_deg=88.0,
                  leg="left", thigh_angle_deg=0.0, knee_flexion_deg=110.0, hip_height_ratio=0.45,
                  knee_over_toe_px=10.0, knee_over_toe_ratio=0.1, shin_angle_deg=30.0,
                  trunk_lean_deg=35.0, fppa_deg=None, descent_s=1.0, pause_s=0.2, ascent_s=0.8)


def test_summary_of_a_set_from_the_reported_values():
    th = get_profile("knee-rehab")
    ms = [replace(BASE, index=1, knee_over_toe_ratio=0.1234, shin_angle_deg=37.46, thigh_angle_deg=4.0,
                  trunk_lean_deg=41.0, hip_height_ratio=0.30),
          replace(BASE, index=2, knee_over_toe_ratio=-0.2, shin_angle_deg=22.0, thigh_angle_deg=-6.0,
                  trunk_lean_deg=44.04),
          replace(BASE, index=3, knee_over_toe_ratio=None, shin_angle_deg=None, thigh_angle_deg=-2.0,
                  trunk_lean_deg=30.0)]
    got = summarize(ms, [assess_rep(m, th) for m in ms])
    assert got == SetSummary(
        rep_count=3, reps_flagged=1, worst_knee_over_toe_ratio=0.123, worst_knee_rep=1,
        worst_shin_angle_deg=37.5, mean_thigh_angle_deg=-4.0 / 3, shallowest_thigh_angle_deg=-6.0,
        deepest_thigh_angle_deg=4.0, worst_fppa_deg=None, most_trunk_lean_deg=44.0,
        most_common_depth="parallel")


def test_front_view_reps_give_no_thigh_angle_and_side_view_reps_no_knees_in_angle():
    rows = [{"rep": 1, "view": "front", "depth": "parallel", "flags": ["knees_cave_in"],
             "thigh_angle_deg": -30.0, "fppa_deg": 14.0, "knee_over_toe_ratio": None},
            {"rep": 2, "view": "side", "depth": "below_parallel", "flags": [],
             "thigh_angle_deg": 3.0, "fppa_deg": 20.0, "knee_over_toe_ratio": 0.2},
            {"rep": 3, "view": "oblique", "depth": "below_parallel", "flags": [],
             "thigh_angle_deg": 5.0, "fppa_deg": 9.0, "knee_over_toe_ratio": 0.2}]
    got = summarize_rows(rows)
    assert (got.mean_thigh_angle_deg, got.shallowest_thigh_angle_deg) == (4.0, 3.0)
    assert got.worst_fppa_deg == 14.0
    assert (got.worst_knee_over_toe_ratio, got.worst_knee_rep) == (0.2, 2)   # first on a tie
    assert (got.reps_flagged, got.most_common_depth) == (1, "below_parallel")


def test_an_empty_set_has_nothing_measured():
    assert summarize_rows([]) == SetSummary(0, 0, None, None, None, None, None, None, None, None,
                                            None)


def test_the_json_report_carries_the_summary(squat):
    analysis, _ = squat
    d = to_dict(analysis)
    assert d["summary"]["rep_count"] == 3
    assert d["summary"]["worst_shin_angle_deg"] == max(r["shin_angle_deg"] for r in d["reps"])
    assert d["summary"]["worst_knee_rep"] == 1


@pytest.mark.parametrize("x,nd,expected", [
    (None, None, None), (float("nan"), 1, None), (math.inf, None, None), (1.26, 1, 1.3),
    (-0.04, 1, 0.0), (3, None, 3.0)])
def test_clean_float(x, nd, expected):
    got = clean_float(x, nd)
    assert got == expected and (got is None or math.copysign(1, got) == math.copysign(1, expected))


@pytest.mark.parametrize("x,spec,unit,none,expected", [
    (0.004, "+.2f", "", "n/a", "0.00"), (-0.004, "+8.2f", "", "n/a", "    0.00"),
    (-0.3, "+.0f", "°", "n/a", "0°"), (0.51, "+.2f", " ft", "n/a", "+0.51 ft"),
    (None, ".0f", "°", "–", "–"), (float("nan"), ".0f", "", "n/a", "n/a"), (3.0, "d", "", "", "3"),
    (-2, "+d", "", "", "-2")])
def test_fmt_num(x, spec, unit, none, expected):
    assert fmt_num(x, spec, unit, none) == expected


def test_every_threshold_has_a_label_and_help():
    names = {f for f in Thresholds.__dataclass_fields__}
    assert set(LABELS) == names and set(HELP) == names
