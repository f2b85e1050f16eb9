"""Accuracy gate on the labelled real clips in ../shared/videos (skipped when absent).

Not an absolute bar: the figures must not get worse than the committed ones in
tests/accuracy_baseline.json (in-sample, and leave-one-source-out cross-validated for every
constant fitted on the clips), within BASELINE_TOLERANCE. After an improvement, rewrite the
baseline with FORMCHECK_UPDATE_BASELINE=1 and commit it with the change that earned it.

With FORMCHECK_LANDMARK_CACHE=DIR the landmarks are read from DIR/<clip stem>.npz (as
`formcheck eval --cache DIR` writes them) instead of running the pose model on every clip; a file
made by another pose backend, model or MediaPipe version than this run's is refused.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import pytest

from formcheck.analysis import analyze_sequence
from formcheck.crossval import collect, read_depth_points, run_cv
from formcheck.evaluate import evaluate_clip, new_tallies, read_labels, summarize
from formcheck.pose import default_backend
from formcheck.report import to_dict
from formcheck.thresholds import get_profile

from conftest import ROOT
from tracking import load_cached, track_clips

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

BASELINE = Path(__file__).with_name("accuracy_baseline.json")   # {pose backend: figures}
BASELINE_TOLERANCE = 0.02          # rates (accuracy, F1, balanced accuracy, decided share)
EXACT_COUNT_TOLERANCE = 0.04       # share of clips counted exactly (about one clip in 29)


def _load_all(shared_videos: Path, labels: list[dict]) -> dict:
    """{clip file: raw landmarks}: from the cache where it has them, the rest tracked in
    worker processes (tests/tracking.py: the same landmarks as tracking one after another)."""
    cache = os.environ.get("FORMCHECK_LANDMARK_CACHE")
    raws = {}
    for lab in labels:
        npz = Path(cache) / (Path(lab["file"]).stem + ".npz") if cache else None
        if npz is not None and npz.is_file():
            raws[lab["file"]] = load_cached(npz)    # refused if another pose model made it
    todo = [lab["file"] for lab in labels if lab["file"] not in raws]
    raws.update(zip(todo, track_clips([shared_videos / f for f in todo])))
    return raws


def figures(summary: dict, cv: dict) -> dict:
    """The gated figures, all rates (higher is better), NaN-free."""
    out = {"exact_count_rate": summary["exact_count"] / summary["clips"],
           "rep_f1": summary["rep_f1"],
           "view_right_rate": summary["view_right"] / max(1, summary["view_clips"])}
    for name in ("depth", "knee_past_toes", "knees_cave_in"):
        for k in ("accuracy", "balanced_accuracy", "decided_rate"):
            out[f"{name}_{k}"] = summary[name][k]
    # knees caving in: nothing is fitted (the cut-off is published), so in-sample is the
    # held-out figure; the share of reps labelled as tracking well that are not flagged
    no = summary["knees_cave_in"]["per_class"].get("False", [0, 0])
    out["knees_cave_in_well_tracking_unflagged_rate"] = no[0] / no[1] if no[1] else None
    md = cv["min_rep_depth_ratio"]
    out["cv_exact_count_rate"] = md["cv_exact"] / md["cv_clips"]
    out["cv_rep_f1"] = md["cv_f1"]
    out["cv_depth_accuracy"] = cv["depth_hip_ratio"]["cv_accuracy"]
    out["cv_depth_balanced_accuracy"] = cv["depth_hip_ratio"]["cv_balanced"]
    out["cv_knee_past_toes_accuracy"] = cv["knee_past_toes"]["cv_accuracy"]
    out["cv_knee_past_toes_balanced_accuracy"] = cv["knee_past_toes"]["cv_balanced"]
    out["cv_view_right_rate"] = cv["view"]["cv_right"] / max(1, cv["view"]["cv_clips"])
    return {k: round(float(v), 4) for k, v in out.items() if v is not None and math.isfinite(v)}


@pytest.fixture(scope="module")
def measured(shared_videos):
    labels = read_labels(shared_videos / "LABELS.tsv")
    th = get_profile("general")
    raws = _load_all(shared_videos, labels)
    tallies = new_tallies()
    reports = {lab["file"]: to_dict(analyze_sequence(raws[lab["file"]], th, "general"))
               for lab in labels}
    results = [evaluate_clip(lab, reports[lab["file"]], tallies) for lab in labels]
    clips, reps = collect(labels, lambda lab: raws[lab["file"]], th,
                          points=read_depth_points(shared_videos / "DEPTH_POINTS.tsv"))
    _, cv = run_cv(clips, reps, th)
    got = figures(summarize(results, tallies), cv)
    got.update(robustness_figures(labels, raws, th))
    # every front / oblique rep has a knees-in angle or the reason it has none
    fr = [r for rep in reports.values() for r in rep["reps"] if r["view"] in ("front", "oblique")]
    got["fppa_or_reason_rate"] = round(sum(r["fppa_deg"] is not None or bool(
        r["unmeasured"].get("fppa")) for r in fr) / max(1, len(fr)), 4)
    if os.environ.get("FORMCHECK_UPDATE_BASELINE"):
        all_ = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
        all_[default_backend()] = got
        BASELINE.write_text(json.dumps(all_, indent=2, sort_keys=True) + "\n")
    return got


def robustness_figures(labels: list[dict], raws: dict, th) -> dict:
    """The share of clips counted exactly and the rep F1 when the same landmarks come at half
    the frame rate and mirrored (tools/robustness_eval.py's variants): formcheck's own
    dependence on frame rate and direction."""
    sys.path.insert(0, str(ROOT / "tools"))
    import robustness_eval

    out = {}
    for key, change in (("half_fps", lambda s: robustness_eval.decimate(s, 2)),
                        ("mirrored", robustness_eval.mirror)):
        tallies = new_tallies()
        res = [evaluate_clip(lab, to_dict(analyze_sequence(change(raws[lab["file"]]), th,
                                                           "general")), tallies)
               for lab in labels]
        summary = summarize(res, tallies)
        out[f"{key}_exact_count_rate"] = summary["exact_count"] / summary["clips"]
        out[f"{key}_rep_f1"] = summary["rep_f1"]
    return {k: round(float(v), 4) for k, v in out.items()}


def _baseline() -> dict:
    """The committed figures for the pose backend in use (the two backends track differently,
    so each has its own; see README "The pose model")."""
    return json.loads(BASELINE.read_text())[default_backend()]


def test_no_figure_got_worse_than_the_committed_baseline(measured):
    base = _baseline()
    worse = {k: (v, measured.get(k)) for k, v in base.items()
             if measured.get(k) is None or measured[k] < v - (
                 EXACT_COUNT_TOLERANCE if "exact_count" in k else BASELINE_TOLERANCE)}
    assert worse == {}, (f"worse than the committed baseline of the {default_backend()} pose "
                         f"backend (committed, now): {worse}")


def test_the_baseline_covers_the_cross_validated_figures():
    base = _baseline()
    assert {"cv_exact_count_rate", "cv_rep_f1", "cv_depth_accuracy",
            "cv_knee_past_toes_accuracy", "cv_view_right_rate", "half_fps_exact_count_rate",
            "mirrored_exact_count_rate"} <= set(base)
