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


# --- issue 23.8: the app's words -----------------------------------------------------------------
def test_the_app_says_library_messages_without_command_line_words_or_error_class_names():
    from formcheck.app.session_files import app_words

    assert app_words("The clip is 41.0 min long; formcheck analyses up to 30 min. Trim it to "
                     "the sets you want checked (or raise the limit with --max-minutes).") == (
        "The clip is 41.0 min long; formcheck analyses up to 30 min. Trim it to the sets you "
        "want checked.")
    assert app_words("a.mp4 could not be decoded (InvalidDataError); the file is damaged.") == \
        "a.mp4 could not be decoded; the file is damaged."
    assert app_words("Keep it (as said before).") == "Keep it (as said before)."


def test_no_app_help_or_box_words_name_command_line_options():
    import re

    from formcheck.app import components, upload_page
    from formcheck.report import NO_BOX
    from formcheck.thresholds import PROFILE_HELP

    for module in (components, upload_page):
        text = Path(module.__file__).read_text()
        assert not re.search(r"--[a-z]", text.replace("---", "")), module.__name__
        assert "__name__}" not in text, module.__name__
    assert "--" not in NO_BOX
    assert "knees caving in" not in PROFILE_HELP["general"].replace(
        "in clips filmed from the front, knees caving in", "")


def test_an_import_clash_in_the_app_names_its_checkbox_not_a_command():
    from formcheck.app.clients_page import import_clash_words
    from formcheck.store.errors import ImportConflictError

    words = import_clash_words(ImportConflictError("… `formcheck clients set …`", ["knee-07"]))
    assert words == ("This database already has client(s) called 'knee-07', so nothing was "
                     "imported. Rename them here first (Targets and notes → Label), or tick "
                     "\"Add the export's sessions to clients with the same label here\" and "
                     "import again.")


def test_notes_say_rep_or_reps_as_many_as_there_are():
    from formcheck.analysis import _reps_words

    assert _reps_words([1]) == "rep 1" and _reps_words([1, 3]) == "reps 1, 3"


def test_the_overlay_says_a_cue_only_after_a_rep_and_within_limits_only_when_measured():
    import dataclasses

    from clinic_helpers import squat_analysis
    from formcheck.overlay import cue_line, reps_done

    a, _ = squat_analysis(profile="knee-rehab", reps=3, bottom_shin_deg=(38.0, 30.0, 24.0))
    assert a.cues and reps_done(a, 0) == 0
    assert cue_line(a, None, reps_done(a, 0)) == ("", cue_line(a, None, 0)[1])   # standing: none
    after = a.reps[0].end_i + 1
    assert cue_line(a, None, reps_done(a, after))[0] == a.cues[0].title
    blank = dataclasses.replace(a.assessments[2], flags=(),
                                checks={k: "n/a" for k in a.assessments[2].checks})
    b = dataclasses.replace(a, assessments=[*a.assessments[:2], blank])
    assert cue_line(b, 2)[0] == "Rep 3: not measured"
    assert cue_line(a, 2)[0] == "Rep 3: within limits"
