"""The evaluation maths: rep matching, F1, agreement and balanced accuracy."""

import pytest

from formcheck.evaluate import ClipResult, Tally, match_reps, new_tallies, summarize


def test_matching_is_one_to_one_within_the_tolerance():
    assert match_reps([1.0, 3.0, 5.0], [1.2, 3.9, 5.1, 5.3]) == [(0, 0), (2, 2)]
    assert match_reps([1.0], [1.5, 1.6]) == [(0, 0)]
    assert match_reps([], [1.0]) == []


def test_balanced_accuracy_does_not_reward_always_yes():
    t = Tally()
    for _ in range(78):
        t.add(True, True)
    for _ in range(22):
        t.add(False, True)
    assert t.accuracy == pytest.approx(0.78)
    assert t.balanced_accuracy == pytest.approx(0.5)


def test_unclear_answers_count_against_the_decided_rate_not_the_accuracy():
    t = Tally()
    t.add(True, None)
    t.add(True, True)
    t.add(None, False)
    assert t.accuracy == 1.0 and t.decided_rate == 0.5 and t.report_unclear == 1


def test_summary_rep_f1_and_exact_counts():
    res = [ClipResult("a", "side", "side", 3, 3, 3), ClipResult("b", "front", "oblique", 2, 3, 2),
           ClipResult("c", "mixed", "side", 1, 0, 0)]
    s = summarize(res, new_tallies())
    assert s["exact_count"] == 1
    assert s["rep_precision"] == pytest.approx(5 / 6) and s["rep_recall"] == pytest.approx(5 / 6)
    assert s["view_right"] == 1 and s["view_clips"] == 2
