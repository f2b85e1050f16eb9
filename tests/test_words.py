"""Words and charts for people (issue 13): one label table for the thresholds, axis spans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from dataclasses import fields

import pytest

from formcheck.thresholds import LABELS, WORDS, Thresholds, cli_help, label
from formcheck.values import axis_range, min_axis_span


def test_every_threshold_has_a_human_label_with_its_unit():
    names = [f.name for f in fields(Thresholds)]
    assert sorted(WORDS) == sorted(names)
    for n in names:
        name, unit = WORDS[n]
        assert unit and name and "_" not in name
        assert LABELS[n] == label(n) == f"{name} ({unit})"
    assert label("knee_over_toe_max_ratio") == "Knee past toes: limit (foot lengths)"


def test_cli_help_names_every_threshold_with_its_label():
    out = subprocess.run([str(Path(sys.executable).with_name("formcheck")), "analyze", "--help"],
                         capture_output=True, text=True, check=True).stdout
    flat = " ".join(out.split())
    assert " ".join(cli_help().split()) in flat
    assert "shin_angle_max_deg = Shin angle: limit (° from vertical)" in flat


def test_a_tiny_spread_gets_the_minimum_span_around_its_middle():
    lo, hi = axis_range([36.8, 36.9], min_axis_span("mean_thigh_angle_deg"))
    assert (lo, hi) == pytest.approx((31.85, 41.85))
    assert axis_range([0.10, 0.12, None], min_axis_span("worst_knee_over_toe_ratio")) == \
        pytest.approx((0.01, 0.21))
    assert axis_range([None, float("nan")], 10.0) is None


def test_a_wide_spread_is_padded_not_squeezed():
    assert axis_range([0.0, 50.0], 10.0) == pytest.approx((-4.0, 54.0))


def test_units_pick_the_minimum_span():
    assert (min_axis_span("x_deg"), min_axis_span("x_ratio"), min_axis_span("pause_s"),
            min_axis_span("reps")) == (10.0, 0.2, 1.0, 4.0)


def test_front_view_clips_get_no_knee_past_toes_plot_or_limit_line():
    from formcheck.analysis import analyze_sequence
    from formcheck.report import knee_travel_visible
    from formcheck.synthetic import squat_sequence
    from formcheck.thresholds import get_profile

    front = analyze_sequence(squat_sequence(2, view="front"), get_profile("general"), "general")
    side = analyze_sequence(squat_sequence(2, view="side"), get_profile("general"), "general")
    assert (front.view.view, side.view.view) == ("front", "side")
    assert knee_travel_visible(front) is False and knee_travel_visible(side) is True


def test_the_app_plots_leave_out_knee_travel_for_a_front_view_clip():
    from formcheck.analysis import analyze_sequence
    from formcheck.app.components import plot_specs
    from formcheck.synthetic import squat_sequence
    from formcheck.thresholds import get_profile

    def specs(view):
        a = analyze_sequence(squat_sequence(2, view=view), get_profile("general"), "general")
        return [k for k, _title, _limit in plot_specs(a)]

    assert specs("front") == ["thigh_deg", "hip_height"]
    assert specs("side") == ["knee_over_toe", "thigh_deg", "hip_height"]


def test_pdf_trend_axes_never_span_less_than_the_minimum():
    import datetime as dt

    from formcheck.pdf_report import session_ticks, trend_plot, trend_spans
    from formcheck.report import summarize_rows
    from formcheck.store.repo import TrendPoint

    def point(sid, day, thigh):
        rows = [{"rep": 1, "view": "side", "depth": "parallel", "flags": [],
                 "thigh_angle_deg": thigh, "knee_over_toe_ratio": 0.1, "shin_angle_deg": 30.0}]
        return TrendPoint(sid, dt.datetime(2026, 11, day, 9 + sid), "side", summarize_rows(rows))

    history = [point(1, 2, 36.8), point(2, 16, 36.9)]
    spans = trend_spans(history)
    lo, hi = spans["mean_thigh_angle_deg"]
    assert hi - lo == pytest.approx(10.0) and lo < 36.8 < 36.9 < hi
    lo, hi = spans["worst_knee_over_toe_ratio"]
    assert hi - lo == pytest.approx(0.2)
    assert trend_plot(history).getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    assert session_ticks([h.recorded_at for h in history]) == ["02 Nov 2026", "16 Nov 2026"]
    same_day = [dt.datetime(2026, 11, 2, 9, 5), dt.datetime(2026, 11, 2, 15, 30)]
    assert session_ticks(same_day) == ["02 Nov 2026\n09:05", "02 Nov 2026\n15:30"]


def test_app_trends_are_labelled_by_session_date():
    import datetime as dt

    import pandas as pd

    from formcheck.app.clients_page import trend_frame

    df = pd.DataFrame({"id": [3, 1, 2],
                       "date": [dt.datetime(2026, 11, 20, 10), dt.datetime(2026, 11, 2, 10),
                                dt.datetime(2026, 11, 2, 16)]})
    assert list(trend_frame(df)["session"]) == ["02 Nov 2026 10:00", "02 Nov 2026 16:00",
                                                "20 Nov 2026"]
