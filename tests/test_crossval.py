"""The cross-validation protocol on made-up rows: grouping, fitting on the other sources only."""

from __future__ import annotations

import pytest

from formcheck.crossval import (ClipRow, RepRow, Score, fit_cave, fit_kpt, fit_min_depth,
                                kpt_margin, score_counts, score_kpt, source_of)


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


def kpt_rep(name, ratio, label):
    return RepRow(name, source_of(name), None, label, None, "side", None, None, None, None,
                  None, ratio)


def test_knee_past_toes_fit_takes_the_middle_of_the_widest_gap_among_equal_scores():
    """Every cut from 0.01 to 0.19 separates these reps perfectly; the fit takes the one
    furthest from every rep (0.10), so that no single rep decides where the cut lies."""
    rows = [kpt_rep("a__x.mp4", 0.0, False), kpt_rep("b__x.mp4", -0.2, False),
            kpt_rep("c__x.mp4", 0.2, True), kpt_rep("d__x.mp4", 0.5, True)]
    assert fit_kpt(rows) == pytest.approx(0.10)
    assert kpt_margin(rows, 0.10) == pytest.approx(0.10)
    assert score_kpt(rows, 0.10).agree == 4


def sig_rep(name, view, label, signal_deg, marked_deg=None):
    return RepRow(name, source_of(name), label, None, None, view, None, None, None, None, None,
                  None, {}, marked_thigh_deg=marked_deg, depth_signal_deg=signal_deg)


def test_depth_signal_class_takes_one_bias_from_the_marks_and_its_edges_from_the_labels():
    """The depth-signal angle's correction is the median of marked - read over the marked reps
    of every view (4, 6 and 8 deg here: 6); the band edges then put each labelled rep, front
    view included, in its class."""
    from formcheck.crossval import _signal_class, fit_signal_bias, fit_signal_depth

    rows = [sig_rep("a__1.mp4", "side", "parallel", -4.0, 0.0),
            sig_rep("a__1.mp4", "side", "below_parallel", 4.0, 12.0),
            sig_rep("b__1.mp4", "oblique", "above_parallel", -36.0, -30.0),
            sig_rep("c__1.mp4", "front", "below_parallel", 10.0),
            sig_rep("c__1.mp4", "front", "parallel", -2.0),
            sig_rep("c__1.mp4", "front", None, None)]
    assert fit_signal_bias(rows) == pytest.approx(6.0)
    bias, edges = fit_signal_depth(rows)
    assert bias == pytest.approx(6.0)
    assert [_signal_class(r, bias, edges) for r in rows] == \
        ["parallel", "below_parallel", "above_parallel", "below_parallel", "parallel", None]


def hip_rep(name, label, hip, err):
    return RepRow(name, source_of(name), label, None, None, "side", 110.0, hip, err, None, None,
                  None, {})


NO_SIGNAL = (0.0, (-10.0, 10.0))   # no rep has a depth-signal angle: the ratio alone decides


def _hip_rows(good_per_class):
    """`good_per_class` reps of each class far from the cuts (error 0.005), and two reps whose
    labels disagree with the ratio 1.6 errors (0.016) either side of 0.40: no cut gets both
    right, so with the ratio's error unscaled one of them is always decided wrong."""
    rows = []
    for i in range(good_per_class):
        rows += [hip_rep(f"g{i}__b.mp4", "below_parallel", 0.35 + 0.002 * i, 0.005),
                 hip_rep(f"g{i}__p.mp4", "parallel", 0.45 + 0.002 * i, 0.005),
                 hip_rep(f"g{i}__a.mp4", "above_parallel", 0.75, 0.005)]
    return rows + [hip_rep("m__p.mp4", "parallel", 0.384, 0.01),
                   hip_rep("m__b.mp4", "below_parallel", 0.416, 0.01)]


def test_the_call_widens_the_ratios_error_when_the_training_reps_stay_decided():
    """With 10 reps of each class and the two split ones, a factor of 1.75 on the error leaves
    both split reps undecided (0.384 + 0.0175 > 0.40 > 0.416 - 0.0175) and every other rep
    decided (30 of 32, 94 % >= 85 %), all right; 1.5 still decides one wrongly whatever the
    cut. The cuts come with it: 0.40, and the first upper cut over 0.468 + 1.75 x 0.005."""
    from formcheck.crossval import _call_class, fit_call

    rows = _hip_rows(10)
    assert fit_call(rows, NO_SIGNAL) == (0.40, 0.48, 1.75)
    assert [_call_class(r, 0.40, 0.48, NO_SIGNAL, 1.75) for r in rows[-2:]] == [None, None]
    assert [_call_class(r, 0.40, 0.48, NO_SIGNAL, 1.0) for r in rows[-2:]] == \
        ["below_parallel", "parallel"]


def test_the_call_keeps_the_ratios_own_error_when_widening_it_would_decide_too_few():
    """With 3 reps of each class, leaving both split reps undecided decides 9 of 11 (82 % <
    85 %), so no wider error may be chosen: every factor that keeps 85 % scores the same one
    wrong call, and the smallest, 1.0, is taken."""
    from formcheck.crossval import fit_call

    assert fit_call(_hip_rows(3), NO_SIGNAL)[2] == 1.0
