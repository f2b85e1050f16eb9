"""The rendered truth grid (videos/fixtures/grid, tools/make_fixtures.py --grid): the truth is the
body model's and the shoe mesh's, and formcheck's error against it by camera yaw stays within
the targets (thigh angle within 6 deg, knee over toe within 0.15 foot lengths, every yaw up to
60 deg)."""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import pytest

from conftest import ROOT
from pathlib import Path

sys.path.insert(0, str(ROOT / "tools"))
import grid_eval  # noqa: E402
import make_fixtures as mf  # noqa: E402
from tracking import load_cached, track_clips  # noqa: E402

GRID = ROOT / "videos" / "fixtures" / "grid"
TRUTHS = grid_eval.load_truths(GRID)


def test_the_grid_is_committed_with_every_yaw_and_level():
    assert {t["yaw_deg"] for t in TRUTHS.values()} == set(mf.GRID_YAWS_DEG)
    depth_travel = [t for n, t in TRUTHS.items() if n.endswith("_depth_travel")]
    assert sorted(t["yaw_deg"] for t in depth_travel) == sorted(mf.GRID_YAWS_DEG)
    for t in depth_travel:
        assert [(r["depth"], r["travel"]) for r in t["per_rep"]] == list(mf.GRID_DEPTH_TRAVEL)
        assert {r["depth"] for r in t["per_rep"]} == set(mf.GRID_DEPTH_THIGH_DEG)
        assert {r["travel"] for r in t["per_rep"]} == set(mf.GRID_TRAVEL_RATIO)
    knees_in = [t for n, t in TRUTHS.items() if n.endswith("_knees_in")]
    assert sorted(t["yaw_deg"] for t in knees_in) == sorted(mf.GRID_FPPA_YAWS_DEG)
    for t in knees_in:
        assert sorted({r["fppa_target_deg"] for r in t["per_rep"]}) == list(mf.GRID_FPPA_DEG)
    for name in TRUTHS:
        assert (GRID / f"{name}.mp4").stat().st_size < 1_500_000


def test_truth_comes_from_the_mesh_not_from_blazepose_labels():
    """Knee over toe is measured to the shoe's toe tip over the heel-to-toe length, and the
    rendered levels are what the grid asks for."""
    for t in TRUTHS.values():
        for r in t["per_rep"]:
            tr = r["truth"]
            for side in ("left", "right"):
                assert tr[side]["knee_over_toe_ratio"] == pytest.approx(
                    mf.GRID_TRAVEL_RATIO[r["travel"]], abs=0.002)
                assert tr[side]["thigh_angle_deg"] == pytest.approx(
                    mf.GRID_DEPTH_THIGH_DEG[r["depth"]], abs=0.01)
                if r["fppa_target_deg"] is not None:
                    assert tr[side]["fppa_deg"] == pytest.approx(r["fppa_target_deg"], abs=0.05)
            assert r["knees_cave_in"] == (r["fppa_target_deg"] is not None
                                          and r["fppa_target_deg"] >= mf.GRID_CAVE_MIN_FPPA_DEG)
        # the mesh's toe tip lies TOE_FWD ahead of the ankle along the foot, on the floor
        m = t["standing_points_m"]
        toe, heel, ankle = (np.array(m[f"right_{k}"]) for k in ("toe_tip", "heel_back", "ankle"))
        assert np.linalg.norm(toe - heel) == pytest.approx(mf.FOOT_LEN, abs=1e-3)
        assert toe[1] == 0.0 and heel[1] == 0.0
        assert toe[0] - ankle[0] == pytest.approx(mf.TOE_FWD * math.cos(math.radians(
            8.0 if t["name"].endswith("_depth_travel") else 10.0)), abs=1e-3)


def test_the_definitions_are_exact_side_on_and_off_by_perspective_at_an_angle():
    """formcheck's own thigh-angle and knee-over-toe definitions on the exact projected joint
    centres and toe tips (no pose model): side on both are exact; at an angle the thigh angle is
    off by about the perspective term alone, and the picture's knee over toe by the sideways gap
    between knee and toe tip (cot(yaw) times it: the depth-and-travel clips' stance and toe-out
    are the same at every yaw, so its error is a fixed gap times cot(yaw))."""
    by = {}
    for name, truth in TRUTHS.items():
        for term in grid_eval.exact_point_terms(truth):
            by.setdefault((name, truth["yaw_deg"]), []).append(term)
    for (name, yaw), terms in by.items():
        for t in terms:
            if yaw == 90:
                assert abs(t["thigh_exact_err_deg"]) < 0.2
                assert abs(t["kot_exact_err_ratio"]) < 0.01
                assert abs(t["perspective_deg"]) < 1e-9
            elif yaw > 0:
                # the term is first-order (it leaves out the perspective across the picture)
                assert t["thigh_exact_err_deg"] == pytest.approx(t["perspective_deg"], abs=0.6)
                assert t["perspective_deg"] < -1.0      # the thigh is below the level camera
    gap = {yaw: [t["kot_exact_err_ratio"] / (1 / math.tan(math.radians(yaw))) for t in terms]
           for (name, yaw), terms in by.items() if name.endswith("_depth_travel") and 0 < yaw < 90}
    flat = [g for v in gap.values() for g in v]
    # 0.13-0.145 foot lengths at 30, 45 and 60 deg (the leftover spread is perspective)
    assert max(flat) - min(flat) < 0.02 and -0.15 < min(flat) and max(flat) < -0.12


def test_fppa_truth_is_the_frontal_plane_angle():
    """frontal_fppa_deg against a hand-made leg: knee 0.1 m medial of a vertical hip-ankle line,
    0.4 m below the hip and above the ankle -> 2 * atan(0.1 / 0.4)."""
    P = {"right_hip": np.array([0.0, 0.9, 0.1]), "right_knee": np.array([0.3, 0.5, 0.0]),
         "right_ankle": np.array([0.0, 0.1, 0.1])}
    assert mf.frontal_fppa_deg(P, "right") == pytest.approx(2 * math.degrees(math.atan(0.25)))
    P["right_knee"] = np.array([0.3, 0.5, 0.2])   # lateral: negative
    assert mf.frontal_fppa_deg(P, "right") == pytest.approx(-2 * math.degrees(math.atan(0.25)))


# ------------------------------------------------------------------ tracked (MediaPipe)
_rows: dict = {}
_analyses: dict = {}
_raws: dict = {}         # {grid clip: its tracked landmarks}, filled by analyses()


def analyses() -> dict:
    """{grid clip: its analysis}, every clip tracked once per session: read from
    FORMCHECK_GRID_CACHE (tracked landmarks, .npz, optional) where it holds a copy no older than
    the clip (as grid_eval.track reads it) and made by this run's pose model, the rest tracked in worker processes
    (tests/tracking.py) and saved there."""
    if not _analyses:
        from formcheck.landmarks import save_npz
        from formcheck.pipeline import analyze_landmarks
        from formcheck.thresholds import get_profile

        cache = os.environ.get("FORMCHECK_GRID_CACHE")
        raws, todo = {}, []
        for name in TRUTHS:
            clip, npz = GRID / f"{name}.mp4", Path(cache) / f"{name}.npz" if cache else None
            if npz is not None and npz.is_file() and npz.stat().st_mtime >= clip.stat().st_mtime:
                raws[name] = load_cached(npz)      # refused if another pose model made it
            else:
                todo.append(name)
        for name, raw in zip(todo, track_clips([GRID / f"{n}.mp4" for n in todo])):
            raws[name] = raw
            if cache:
                Path(cache).mkdir(parents=True, exist_ok=True)
                save_npz(raw, Path(cache) / f"{name}.npz")
        # the renderer's focal length, as grid_eval.track gives it (valgus undoes the perspective)
        raws = {name: grid_eval.with_grid_camera(raw, name, GRID) for name, raw in raws.items()}
        _raws.update(raws)
        _analyses.update({name: analyze_landmarks(raws[name], get_profile("general"), "general")
                          for name in TRUTHS})
    return _analyses


def rows() -> list[dict]:
    if not _rows:
        _rows["all"] = [r for name, truth in TRUTHS.items()
                        for r in grid_eval.rep_rows(truth, analyses()[name])]
    return _rows["all"]




BASELINE = ROOT / "tests" / "grid_baseline.json"   # {pose backend: {yaw: worst errors, reps}}
THIGH_TARGET_DEG, KOT_TARGET_RATIO = 6.0, 0.15


@pytest.fixture(scope="module")
def by_yaw() -> dict:
    from formcheck.pose import default_backend

    now = {f"{s['yaw_deg']:.0f}": s for s in grid_eval.by_yaw(rows())}
    if os.environ.get("FORMCHECK_UPDATE_BASELINE"):
        all_ = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
        all_[default_backend()] = {y: {k: s[k] for k in BASELINE_KEYS} for y, s in now.items()}
        BASELINE.write_text(json.dumps(all_, indent=1, sort_keys=True) + "\n")
    return now


BASELINE_KEYS = ("matched", "thigh_measured", "thigh_max_abs_err_deg", "kot_measured",
                 "kot_max_abs_err_ratio")


def _base() -> dict:
    from formcheck.pose import default_backend

    base = json.loads(BASELINE.read_text()).get(default_backend())
    if base is None:
        pytest.skip(f"no grid baseline for the {default_backend()} pose backend yet: record it "
                    "with FORMCHECK_UPDATE_BASELINE=1")
    return base


@pytest.mark.slow
def test_grid_reps_found_and_measured_no_fewer_than_committed(by_yaw):
    base = _base()
    assert set(by_yaw) == set(base)
    for yaw, b in base.items():
        for k in ("matched", "thigh_measured", "kot_measured"):
            assert by_yaw[yaw][k] >= b[k], (yaw, k)


@pytest.mark.slow
def test_error_by_yaw_is_no_worse_than_committed_and_within_target_where_it_was(by_yaw):
    """Per yaw, the worst thigh-angle and knee-over-toe error against the mesh truth stay within
    the committed figures (+0.5 deg / +0.02 foot lengths for tracking noise between machines);
    where the committed figure met the target (yaw up to 60 deg), the target holds."""
    for yaw, b in _base().items():
        s = by_yaw[yaw]
        for key, tol, target in (("thigh_max_abs_err_deg", 0.5, THIGH_TARGET_DEG),
                                 ("kot_max_abs_err_ratio", 0.02, KOT_TARGET_RATIO)):
            if b[key] is None:
                continue
            limit = b[key] + tol
            if b[key] <= target and float(yaw) <= 60:
                limit = min(limit, target)
            assert s[key] <= limit, (yaw, key, s[key], limit)


# ------------------------------------------------------------------ knees caving in (valgus.py)
def _exact_points_xy(points_px: dict) -> np.ndarray:
    xy = np.full((1, 33, 2), np.nan)
    for name, i in (("left_hip", 23), ("right_hip", 24), ("left_knee", 25), ("right_knee", 26),
                    ("left_ankle", 27), ("right_ankle", 28)):
        xy[0, i] = points_px[name]
    return xy


@pytest.mark.parametrize("name", ["grid_yaw00_knees_in", "grid_yaw45_knees_in"])
def test_the_fppa_definition_on_the_exact_points_is_within_about_2_deg_of_the_mesh(name):
    """valgus.fppa_frames on the exact projected joint centres at each rep's bottom: from the
    front each leg (perspective costs 0.7-2.1 deg), at 45 deg both legs rebuilt over cos(yaw)
    (within 1.1 deg), for rendered 0, 8, 15 and 20 deg."""
    from formcheck.valgus import fppa_frames

    t = TRUTHS[name]
    errs = []
    for r in t["per_rep"]:
        f = fppa_frames(_exact_points_xy(r["points_px"]), t["yaw_deg"], both_legs=t["yaw_deg"] > 0)
        truth = r["truth"]["left"]["fppa_deg"]
        got = [f["both"][0]] if t["yaw_deg"] > 0 else [f["left"][0], f["right"][0]]
        errs += [g - truth for g in got]
    assert max(abs(e) for e in errs) <= (2.1 if t["yaw_deg"] == 0 else 1.1)
    if t["yaw_deg"] == 0:   # the knees, nearer the camera, are magnified outward: it reads low
        assert max(errs) < -0.6


@pytest.mark.parametrize("name", ["grid_yaw00_knees_in", "grid_yaw45_knees_in"])
def test_undoing_the_perspective_on_the_exact_points_gives_the_mesh_fppa(name):
    """valgus.perspective_undone_xy with the exact 3-D joint centres (as world landmarks) and the
    renderer's focal length: the 0.7-2.0 deg the picture reads low from the front (0.4-1.1 high
    at 45 deg, both legs rebuilt) is gone, every rep within 0.01 deg of the mesh."""
    before = grid_eval.exact_fppa(name, undo_perspective=False)
    after = grid_eval.exact_fppa(name, undo_perspective=True)
    assert len(after) == 8
    assert max(abs(r["err_deg"]) for r in before) > 0.9
    assert max(abs(r["err_deg"]) for r in after) < 0.01


FPPA_KEY = "knees_in_peak_fppa"   # grid_baseline.json: {FPPA_KEY: {pose backend: {yaw: figures}}}
FPPA_KEYS = ("reps", "fppa_max_abs_err_deg", "flag_balanced_accuracy")
FPPA_TARGET_DEG = 5.0


@pytest.mark.slow
def test_tracked_knees_in_grid_peak_fppa_no_worse_than_committed():
    """The reported peak FPPA on the tracked knees-caving-in clips against the mesh truth
    (docs/ACCURACY.md, "Knees caving in: the peak FPPA"), per yaw against the committed figures
    of the pose backend: no fewer reps measured, the call's balanced accuracy no lower, and the
    worst error within the 5-deg target where the committed figure met it with the 0.5-deg room
    for tracking noise between machines, else no more than 0.5 deg over the committed figure.
    Legacy backend: 4 and 8 reps, worst 5.0 deg from the front (rendered 20, read 15.0) and 3.2
    at 45, balanced accuracy 0.75 and 0.88 (committed before the perspective was undone; now 4.9
    and 3.6); Tasks backend: 4 and 6 reps, 4.1 and 7.5 deg, 0.75 and 0.62 (recorded with the
    perspective undone: at 45 deg that takes away the definition's own 0.4-1.1 deg over-read
    that had hidden part of this backend's under-read, 6.7 deg and 0.75 before;
    docs/ACCURACY.md, "Knees caving in: the peak FPPA")."""
    from formcheck.pose import default_backend

    rows = []
    for name in ("grid_yaw00_knees_in", "grid_yaw45_knees_in"):
        rows += grid_eval.rep_rows(TRUTHS[name], analyses()[name])
    stats = {f"{s['yaw_deg']:.0f}": s for s in grid_eval.fppa_stats(rows)}
    if os.environ.get("FORMCHECK_UPDATE_BASELINE"):
        all_ = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
        all_.setdefault(FPPA_KEY, {})[default_backend()] = {
            y: {k: s[k] for k in FPPA_KEYS} for y, s in stats.items()}
        BASELINE.write_text(json.dumps(all_, indent=1, sort_keys=True) + "\n")
    base = json.loads(BASELINE.read_text()).get(FPPA_KEY, {}).get(default_backend())
    if base is None:
        pytest.skip(f"no knees-in grid baseline for the {default_backend()} pose backend yet: "
                    "record it with FORMCHECK_UPDATE_BASELINE=1")
    assert set(stats) == set(base) == {"0", "45"}
    for yaw, b in base.items():
        s = stats[yaw]
        assert s["reps"] >= b["reps"], (yaw, s["reps"], b["reps"])
        limit = max(b["fppa_max_abs_err_deg"] + 0.5, FPPA_TARGET_DEG)
        assert s["fppa_max_abs_err_deg"] <= limit, (yaw, s["fppa_max_abs_err_deg"], limit)
        assert s["flag_balanced_accuracy"] >= b["flag_balanced_accuracy"], (
            yaw, s["flag_balanced_accuracy"], b["flag_balanced_accuracy"])


@pytest.mark.slow
def test_the_front_under_read_is_blazeposes_knee_placement_not_ours():
    """Where the peak FPPA's error comes from (grid_eval.fppa_attribution, each truth rep's
    bottom frame, docs/ACCURACY.md, "Knees caving in: the peak FPPA"): the cleaning and low-pass
    move the reading by at most 1 deg (so smoothing does not clip the peak); from the front
    BlazePose places every knee outward of the joint centre, so the rendered 15 and 20 deg reps
    read 1.5 deg or more under the definition on the exact points, and with only the knees' x
    put back they read within 2 deg of it: the under-read is the pose model's knee point (plus
    the 0.7-2.1 deg of perspective the exact-points test measures), not our definition,
    smoothing or window."""
    rows = []
    for name in ("grid_yaw00_knees_in", "grid_yaw45_knees_in"):
        rows += grid_eval.fppa_attribution(TRUTHS[name], analyses()[name], _raws[name])
    assert len(rows) == 16
    for r in rows:
        assert abs(r["cleaned_deg"] - r["tracked_deg"]) <= 1.5, r
    # frame-to-frame noise, not a clipped peak: the low-pass moves it both ways
    moves = [r["cleaned_deg"] - r["tracked_deg"] for r in rows]
    assert min(moves) < 0 < max(moves)
    front = [r for r in rows if r["yaw_deg"] == 0]
    assert len(front) == 8 and all(r["knee_x_lateral_px"] > 0 for r in front)
    for r in front:
        if r["fppa_target_deg"] >= 15:
            assert r["exact_deg"] - r["tracked_deg"] >= 1.2, r
            assert abs(r["knee_x_exact_deg"] - r["exact_deg"]) <= 2.0, r


@pytest.mark.slow
def test_knees_over_the_feet_are_never_called_caving_in_at_any_yaw():
    """The depth-and-travel clips (knees over the feet, no inward shift): no rep flagged at any
    yaw. At 60 deg the parallel and deep reps (turned 56-59 deg, read at an angle) read +36.7
    and +179.9 deg from frames with the thigh near level until valgus.KNEE_LEVEL_MAX_DEPTH left
    those out; every reading now stays under 10 deg."""
    reps = [r for r in rows() if r["clip"].endswith("_depth_travel") and r["matched"]]
    assert [r for r in reps if r["knees_cave_in_reported"]] == []
    read = [r["cave"]["fppa_deg"] for r in reps if r["cave"].get("fppa_deg") is not None]
    assert len(read) >= 10 and max(read) < 10.0
