"""Issue 11's targets on the rendered box and chair-stand clips (MediaPipe included): box contact
per rep exact, hold within 0.1 s, box height within 5% of standing hip height, the advised box
height within 3 cm, no rep from a seated start or end; chair-stand count exact and the 5xSTS
time within 0.3 s."""

from __future__ import annotations

import json

import pytest


from conftest import FIXTURES, tasks_backend_gap
from formcheck.analysis import with_body_size
from formcheck.chairstand import TEST_5X, TEST_30S, from_analysis
from formcheck.report import rep_rows
from formcheck.thresholds import get_profile
from tracking import analyze_fixture

pytestmark = pytest.mark.slow

BOX = ["box_side_session", "box_oblique_session"]
TRACKED_FIXTURES = [FIXTURES / f"{n}.mp4" for n in (*BOX, "chair_stand_30s")]   # tests/tracking.py
_cache: dict = {}


def run(name: str, profile: str):
    if (name, profile) not in _cache:
        path = FIXTURES / f"{name}.mp4"
        if not path.is_file():
            pytest.skip(f"fixture missing: {path}")
        truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
        analysis, raw = analyze_fixture(path, get_profile(profile), profile)
        _cache[(name, profile)] = (truth, analysis, raw)
    return _cache[(name, profile)]


# Known gap (issue 12, open), measured with tools/probe_backend_gaps.py: on the Tasks backend
# the 45-deg clip's rep 2, which turns around above the box without touching it, reads a 0.072 s
# hold (legacy 0.039 s, truth 0) against CONTACT_MIN_S 0.06 s; the touch-and-go reads 0.094 s on
# both. The Tasks landmarks put the hip 0.010-0.012 of the standing hip height higher than the
# truth on that rep's three lowest frames, against -0.002 (median) on the frames around them
# (legacy: +0.001..+0.004 against -0.003): a bump over three frames that flattens the turnaround
# into a short plateau.
TASKS_BOX_GAP = tasks_backend_gap(
    "known gap (issue 12, open): tracking. The Tasks landmarks read the hip ~0.012 of the "
    "standing hip height high on the 3 lowest frames of the 45-deg clip's free turnaround "
    "(rep 2), a 0.072 s hold (legacy 0.039, truth 0) over CONTACT_MIN_S 0.06 s: "
    "[True, True, True] against [True, False, True]")


@pytest.mark.parametrize("name", ["box_side_session",
                                  pytest.param("box_oblique_session", marks=TASKS_BOX_GAP)])
def test_box_contact_hold_and_height(name):
    truth, a, raw = run(name, "knee-rehab")
    assert raw.detected.mean() >= 0.95
    assert a.rep_count == truth["rep_count"]            # the seated start and end are not reps
    rows = rep_rows(a)
    assert [r["box_contact"] for r in rows] == [t["box_contact"] for t in truth["per_rep"]]
    for r, t in zip(rows, truth["per_rep"]):
        if t["box_contact"]:
            assert r["box_contact_s"] == pytest.approx(t["contact_s"], abs=0.1)
            assert r["box_hip_height_ratio"] == pytest.approx(t["hip_height_ratio"], abs=0.05)


@pytest.mark.parametrize("name", BOX)
def test_higher_box_advice_within_3_cm(name):
    truth, a, _ = run(name, "knee-rehab")
    rows = rep_rows(with_body_size(a, height_cm=truth["person_height_cm"]))
    for r, t in zip(rows, truth["per_rep"]):
        advice = t["box_advice"]["knee-rehab"]
        if advice["within_limit"]:
            assert r["higher_box_cm"] == 0.0
        else:
            assert r["higher_box_cm"] == pytest.approx(advice["raise_cm"], abs=3.0)


def test_chair_stand_count_and_five_times_time():
    truth, a, raw = run("chair_stand_30s", "general")
    assert raw.detected.mean() >= 0.95
    t = truth["test"]
    r30 = from_analysis(a, TEST_30S)
    assert r30.stands == t["chair_stand_30"]
    r5 = from_analysis(a, TEST_5X)
    assert r5.time_s == pytest.approx(t["five_sts_time_s"], abs=0.3)
    assert not any(s.arms_off_chest for s in r30.stand_list)
    assert all(s.complete for s in r30.stand_list)
