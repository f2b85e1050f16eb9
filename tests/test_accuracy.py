"""Accuracy gate on the labelled real clips in ../shared/videos (skipped when absent).

The targets are the product's: exact rep count on >= 26 of 29, rep F1 >= 0.95, knee-past-toes
agreement >= 85% with balanced accuracy >= 0.75, depth >= 80% with balanced accuracy >= 0.7,
deciding on >= 80% of the reps the label decides, view right on >= 90% of single-view clips.
"""

from __future__ import annotations

import pytest

from formcheck.analysis import analyze_sequence
from formcheck.evaluate import evaluate_clip, new_tallies, read_labels, summarize
from formcheck.pose import track_video
from formcheck.report import to_dict
from formcheck.thresholds import get_profile

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


@pytest.fixture(scope="module")
def summary(shared_videos):
    labels = read_labels(shared_videos / "LABELS.tsv")
    tallies = new_tallies()
    results = []
    for lab in labels:
        raw = track_video(shared_videos / lab["file"])
        rep = to_dict(analyze_sequence(raw, get_profile("general"), "general"))
        results.append(evaluate_clip(lab, rep, tallies))
    return summarize(results, tallies)


def test_rep_counts(summary):
    assert summary["clips"] == 29
    assert summary["exact_count"] >= 26
    assert summary["rep_f1"] >= 0.95


def test_knee_past_toes(summary):
    k = summary["knee_past_toes"]
    assert k["accuracy"] >= 0.85 and k["balanced_accuracy"] >= 0.75
    assert k["decided_rate"] >= 0.8


def test_depth(summary):
    d = summary["depth"]
    assert d["accuracy"] >= 0.80 and d["balanced_accuracy"] >= 0.7
    assert d["decided_rate"] >= 0.8


def test_view(summary):
    assert summary["view_right"] >= 0.9 * summary["view_clips"]
