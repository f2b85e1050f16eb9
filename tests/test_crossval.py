"""The cross-validation protocol on made-up rows: grouping, fitting on the other sources only."""

from __future__ import annotations

import pytest

from formcheck.crossval import (ClipRow, RepRow, Score, fit_cave, fit_min_depth, score_counts,
                                source_of)


def test_source_is_the_file_name_prefix_before_the_double_underscore():
    assert source_of("Spotter__squat-full-squat.mp4") == "Spotter"
    assert source_of("intellifit-ErayBD__squat_1.mp4") == "intellifit-ErayBD"
    assert source_of("plain.mp4") == "plain.mp4"


def clip(name, label_reps, counts, view="side", yaw=85.0):
    return ClipRow(name, source_of(name), view, label_reps, yaw, counts, [0.5])


def test_min_depth_fit_prefers_the_shallowest_among_ties_and_scores_exact_counts():
    clips = [clip("a__1.mp4", 3, {0.2: (3, 3), 0.3: (3, 3), 0.4: (2, 2)}),
             clip("b__1.mp4", 2, {0.2: (3, 2), 0.3: (2, 2), 0.4: (2, 2)})]
    assert fit_min_depth(clips) == 0.3
    c = score_counts(clips, 0.2)
    assert (c.exact, c.fp, c.fn) == (1, 1, 0)


def rep(name, cave_value, label):
    return RepRow(name, source_of(name), None, None, label, "front", None, None, None, None,
                  None, None, {"x": cave_value})


def test_cave_fit_with_one_class_sets_the_cut_past_its_most_extreme_value():
    cut, sign = fit_cave([rep("a__1.mp4", 1.0, False), rep("a__1.mp4", 2.0, False)], "x")
    assert sign == 1 and cut == pytest.approx(2.0)


def test_held_out_source_is_scored_with_a_cut_chosen_without_it():
    """Source c's "yes" rep can only be caught if the other sources' reps put the cut below
    it; here they do not (a and b have only "no" reps, up to 5.0). And with c in training, the
    cut falls between c's reps, which flags b's 5.0 when b is held out."""
    reps = [rep("a__1.mp4", 1.0, False), rep("b__1.mp4", 5.0, False),
            rep("c__1.mp4", 4.0, True), rep("c__1.mp4", 2.0, False)]
    score = Score()
    for s in "abc":
        cut, sign = fit_cave([r for r in reps if r.source != s], "x")
        for r in reps:
            if r.source == s:
                score.add(r.label_cave, bool(sign * (r.cave["x"] - cut) > 0))
    assert score.per_class == {"False": [2, 3], "True": [0, 1]}
    assert score.balanced == pytest.approx(1 / 3)
