"""Runs: reading FIT/GPX/TCX written here with known truth, duplicates, the training load
(ACWR) against a hand computation, step-rate targets and the metronome."""

from __future__ import annotations

import datetime as dt
import io
import wave
from pathlib import Path

import numpy as np
import pytest

import runs_fixtures as fx
from formcheck.runs.errors import RunFileError
from formcheck.runs.inputs import collect, collect_upload
from formcheck.runs.load import load_to_dict, load_text, training_load
from formcheck.runs.model import Run
from formcheck.runs.readers import read_bytes
from formcheck.runs.steprate import metronome_wav, step_rate

SHARED_RUNS = Path(__file__).resolve().parents[1] / ".." / "shared" / "runs"
if not SHARED_RUNS.is_dir():
    SHARED_RUNS = Path("/work/shared/runs")


def test_fit_written_here_reads_back_exactly():
    (r,) = read_bytes(fx.fit_run(), "run.fit")
    assert r.sport == "running"
    assert r.start == "2026-03-02T07:30:00+01:00"     # UTC 06:30, the watch at +01:00
    assert r.duration_s == fx.FIT_ELAPSED_S
    assert r.moving_s == fx.FIT_TIMER_S
    assert r.distance_m == pytest.approx(fx.FIT_DISTANCE_M, abs=0.005)   # FIT stores cm
    assert r.cadence_spm == 171.0                      # 2 x (85 + 0.5), the session summary
    rec = [169.0 if i % 2 == 0 else 173.0 for i in range(fx.FIT_RECORDS)]
    assert r.cadence_sd_spm == pytest.approx(float(np.std(rec)), rel=1e-12)
    assert r.pace_s_per_km == pytest.approx(580.0 / 1.8, rel=1e-6)
    assert r.step_length_m == pytest.approx((1800.0 / 580.0) / (171.0 / 60.0), rel=1e-6)
    assert r.device == "garmin/hrm1/305419896"
    assert r.counts_as_running


def test_fit_sub_sport_treadmill_and_gz(tmp_path):
    import gzip

    from fit_tool.profile.profile_type import SubSport

    p = tmp_path / "tm.fit.gz"
    p.write_bytes(gzip.compress(fx.fit_run(sub_sport=SubSport.TREADMILL)))
    (r,) = collect([p]).runs
    assert (r.sport, r.source_file, r.cadence_spm) == ("treadmill", "tm.fit.gz", 171.0)


def test_gpx_written_by_gpxpy():
    (r,) = read_bytes(fx.gpx_run(), "run.gpx")
    assert (r.sport, r.start, r.duration_s, r.moving_s) == ("running",
                                                            "2026-03-04T07:00:00+00:00",
                                                            300.0, 300.0)
    assert r.distance_m == pytest.approx(1000.0, abs=0.01)
    assert (r.cadence_spm, r.cadence_sd_spm) == (170.0, 0.0)   # cad 85 per leg, doubled
    assert r.device == "formcheck-test-watch"


def test_gpx_without_sport_is_listed_not_counted_unless_told():
    (r,) = read_bytes(fx.gpx_run(sport=None), "walk.gpx")
    assert r.sport == "unknown" and not r.counts_as_running and r.cadence_spm is None
    (r,) = read_bytes(fx.gpx_run(sport=None), "walk.gpx", default_sport="running")
    assert r.sport == "running" and r.cadence_spm == 170.0


def test_tcx():
    (r,) = read_bytes(fx.TCX.encode(), "run.tcx")
    assert (r.sport, r.start, r.duration_s, r.moving_s, r.distance_m) == (
        "running", "2026-03-05T18:00:00+00:00", 1260.0, 1200.0, 4000.0)
    assert r.cadence_spm == 168.0                               # 2 x mean(80, 84, 88)
    assert r.cadence_sd_spm == pytest.approx(float(np.std([160, 168, 176])), rel=1e-12)
    assert r.pace_s_per_km == 300.0 and r.device == "Forerunner Test/42"


def test_same_device_and_start_counted_once(tmp_path):
    import zipfile

    (tmp_path / "a.fit").write_bytes(fx.fit_run())
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as z:
        z.writestr("activities/1.fit", fx.fit_run())
        z.writestr("activities.csv", "id\n1\n")
    got = collect([tmp_path / "a.fit", tmp_path / "export.zip"])
    assert len(got.runs) == 1 and len(got.duplicates) == 1
    assert got.skipped == ("export.zip/activities.csv",)
    other = fx.fit_run(serial=7)       # another watch, same minute: a different activity
    assert len(collect_upload("b.fit", other).runs) == 1
    assert collect_upload("b.fit", other).runs[0].key != got.runs[0].key


def _run(day: str, km: float, sport: str = "running", hour: int = 7, offset_h: int = 1,
         cadence: float | None = None, minutes: float = 50.0) -> Run:
    tz = dt.timezone(dt.timedelta(hours=offset_h))
    start = dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=tz)
    return Run(sport, start.isoformat(), minutes * 60, minutes * 60, km * 1000, None, cadence,
               None, None, f"{day}.fit", "w")


# A made-up 10-week history (weeks start on Monday 2026-01-05); weeks 3 and 7 have no runs.
HISTORY = [
    _run("2026-01-05", 5), _run("2026-01-07", 5), _run("2026-01-10", 10),      # wk1 20
    _run("2026-01-13", 5), _run("2026-01-17", 10),                            # wk2 15
    _run("2026-01-26", 10), _run("2026-01-31", 10),                           # wk4 20
    _run("2026-02-02", 10), _run("2026-02-04", 10), _run("2026-02-08", 10),   # wk5 30
    _run("2026-02-10", 10),                                                   # wk6 10
    _run("2026-02-23", 10), _run("2026-02-25", 10), _run("2026-03-01", 20),   # wk8 40
    # Sunday 21:00 at UTC-05:00 is Monday in UTC: it counts on the runner's Sunday (wk9)
    _run("2026-03-02", 10), _run("2026-03-08", 10, hour=21, offset_h=-5),     # wk9 20
    _run("2026-03-09", 30), _run("2026-03-11", 30), _run("2026-03-15", 20),   # wk10 80
    _run("2026-03-10", 50, sport="cycling"),                                  # not running
]
WEEK_KM = [20, 15, 0, 20, 30, 10, 0, 40, 20, 80]


def test_acwr_against_hand_computation():
    load = training_load(HISTORY)
    assert load.as_of == dt.date(2026, 3, 15) and load.days_of_history == 70
    assert [w.distance_m / 1000 for w in load.weeks] == WEEK_KM
    assert [w.runs for w in load.weeks] == [3, 2, 0, 2, 3, 1, 0, 3, 2, 3]
    # Weeks end on Sundays, so each week's acute:chronic (rolling) is
    # (this week / 7) / (last four weeks / 28). The chronic window is full only from day 28
    # (Sunday 2026-02-01, week 4): weeks 1-3 show no ratio.
    hand = [None, None, None, 4 * 20 / 55, 4 * 30 / 65, 4 * 10 / 60, 0.0, 4 * 40 / 80,
            4 * 20 / 70, 4 * 80 / 140]
    for w, h in zip(load.weeks, hand):
        assert (w.acwr is None) if h is None else w.acwr == pytest.approx(h, rel=1e-12)
    assert load.acwr == pytest.approx(16 / 7, rel=1e-12)
    assert load.acute_m_per_day == pytest.approx(80_000 / 7, rel=1e-12)
    assert load.chronic_m_per_day == pytest.approx(140_000 / 28, rel=1e-12)
    # EWMA (Williams 2017), in its closed form: E = sum_k lambda (1 - lambda)^(days since k) L_k
    day0 = dt.date(2026, 3, 15)
    la, lc = 2 / 8, 2 / 29
    loads = {}
    for r in HISTORY:
        if r.sport == "running":
            d = dt.date.fromisoformat(r.source_file[:10])
            loads[d] = loads.get(d, 0) + r.distance_m
    ea = sum(la * (1 - la) ** (day0 - d).days * x for d, x in loads.items())
    ec = sum(lc * (1 - lc) ** (day0 - d).days * x for d, x in loads.items())
    assert load.acwr_ewma == pytest.approx(ea / ec, rel=1e-12)
    incs = [w.increase_ratio for w in load.weeks]
    assert incs[0] is None and incs[3] is None and incs[7] is None   # after 0 km: no ratio
    assert incs[1] == pytest.approx(-0.25) and incs[9] == pytest.approx(3.0)
    assert load.zone == "spike (above 1.5)"


def test_spike_plan_halves_then_builds_up_ten_percent_a_week():
    plan = training_load(HISTORY).plan
    want = [40.0, 44.0, 48.4, 53.24, 58.564, 64.4204, 70.86244, 77.948684, 80.0]
    assert [x / 1000 for x in plan.weeks_m] == pytest.approx(want, rel=1e-12)
    assert "Halve this week's distance" in plan.reason
    assert any("Gabbett 2016" in s for s in plan.sources)
    assert training_load(HISTORY, dt.date(2026, 3, 8)).plan is None     # ACWR 1.14 then


def test_first_month_has_no_ratio_and_says_so():
    load = training_load(HISTORY, as_of=dt.date(2026, 1, 20))
    assert load.days_of_history == 16 and load.acwr is None and load.acwr_ewma is None
    assert load.plan is None and [w.distance_m for w in load.weeks] == [20000, 15000, 0]
    assert "not yet, it needs 28 days of history (have 16)" in load_text(load)
    d = load_to_dict(load)
    assert d["acwr"] is None and d["weeks"][0] == {
        "week_start": "2026-01-05", "distance_m": 20000.0, "duration_s": 9000.0, "runs": 3,
        "increase_ratio": None, "acwr": None, "acwr_ewma": None, "cadence_spm": None}


def test_no_running_gives_no_load():
    assert training_load([_run("2026-01-05", 30, sport="cycling")]) is None
    assert training_load(HISTORY, as_of=dt.date(2026, 1, 4)) is None    # before the first run


def test_step_rate_targets_and_weekly_trend():
    r = _run("2026-01-05", 10, cadence=160.0)
    s = step_rate(r)
    assert (s.cadence_spm, s.target_5_spm, s.target_10_spm) == (160.0, 168.0, 176.0)
    assert step_rate(_run("2026-01-05", 10, sport="cycling", cadence=80.0)) is None
    load = training_load([r, _run("2026-01-06", 5, cadence=170.0, minutes=25)])
    # moving-time weighted: (160*50 + 170*25) / 75
    assert load.weeks[0].cadence_spm == pytest.approx((160 * 50 + 170 * 25) / 75, rel=1e-12)


def test_metronome_clicks_at_the_step_rate():
    data = metronome_wav(180.0, seconds=2.0, sample_rate=8000)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (
            1, 2, 8000, 16000)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    loud = np.flatnonzero(np.abs(pcm) > 3000)
    onsets = loud[np.insert(np.diff(loud) > 400, 0, True)]
    # a click every 1/3 s; its sine starts at 0, so the first loud sample is the next one
    assert list(onsets) == [int(round(k * 8000 / 3)) + 1 for k in range(6)]
    with pytest.raises(ValueError):
        metronome_wav(20.0)


@pytest.mark.skipif(not (SHARED_RUNS / "activity-small-fenix2-run.fit").is_file(),
                    reason="../shared/runs is not here (real device files, not shipped)")
def test_fenix2_run_matches_its_own_session_summary():
    import fitdecode

    path = SHARED_RUNS / "activity-small-fenix2-run.fit"
    with fitdecode.FitReader(str(path)) as fr:
        session = next(f for f in fr if isinstance(f, fitdecode.FitDataMessage)
                       and f.name == "session")
    (r,) = collect([path]).runs
    assert r.distance_m == session.get_value("total_distance") == 9008.22
    assert r.duration_s == session.get_value("total_elapsed_time") == 2832.0
    frac = session.get_value("avg_fractional_cadence", fallback=None) or 0.0
    assert r.cadence_spm == 2 * (session.get_value("avg_running_cadence") + frac) == 162.0
    assert r.start == "2015-08-15T16:45:08+02:00"
