"""Rep segmentation: sequence tests on depth signals and on synthetic people."""

import numpy as np
import pytest

from formcheck.analysis import analyze_sequence
from formcheck.reps import RepSettings, find_reps
from formcheck.synthetic import RepSpec, bottoms_s, squat_sequence
from formcheck.thresholds import get_profile

FPS = 30.0


def dips(n=3, depth=1.0, period_s=3.0, lead_s=1.0, tail_s=1.0):
    """n cosine dips of the depth signal, standing in between."""
    t = np.arange(0, lead_s + n * period_s + tail_s, 1 / FPS)
    d = np.zeros_like(t)
    for k in range(n):
        t0 = lead_s + k * period_s
        m = (t >= t0) & (t < t0 + 2.0)
        d[m] = depth * (0.5 - 0.5 * np.cos(2 * np.pi * (t[m] - t0) / 2.0))
    return t, d


def test_three_dips_are_three_reps_with_their_bottoms():
    t, d = dips(3)
    reps = find_reps(t, d)
    assert len(reps) == 3
    assert [r.bottom_s for r in reps] == pytest.approx([2.0, 5.0, 8.0], abs=0.1)
    for r in reps:
        assert r.start_s < r.bottom_s < r.end_s
        assert r.peak_depth == pytest.approx(1.0, abs=0.01)


def test_jitter_shorter_than_the_debounce_adds_no_rep():
    t, d = dips(3)
    settings = RepSettings()
    n = int(settings.debounce_s * FPS) - 1            # shorter than the debounce
    i_bottom = int(2.0 * FPS)
    d[i_bottom:i_bottom + n] = 0.0                    # a glitch "standing" at the bottom
    i_top = int(3.5 * FPS)
    d[i_top:i_top + n] = 0.9                          # a glitch "squat" while standing
    assert len(find_reps(t, d, settings)) == 3


def test_a_brief_stand_between_quick_reps_still_separates_them():
    t, d = dips(2, period_s=2.3)       # only 0.3 s upright between the reps
    assert len(find_reps(t, d)) == 2


def test_short_tracking_loss_mid_rep_is_tolerated():
    t, d = dips(3)
    i = int(1.8 * FPS)
    d[i:i + int(0.6 * FPS)] = np.nan                  # the bar hides the body at the bottom
    reps = find_reps(t, d)
    assert len(reps) == 3


def test_long_tracking_loss_mid_rep_drops_that_rep():
    t, d = dips(3)
    d[int(1.5 * FPS):int(3.5 * FPS)] = np.nan         # 2 s gone, longer than max_lost_s
    assert len(find_reps(t, d)) == 2


def test_shallow_bobbing_is_not_a_rep():
    t, d = dips(3, depth=0.25)
    assert find_reps(t, d) == []


def test_a_descent_that_never_comes_back_up_is_not_a_rep():
    t, d = dips(3)
    d[int(7.0 * FPS):] = np.minimum(1.0, (t[int(7.0 * FPS):] - 7.0))   # last descent, no return
    reps = find_reps(t, d)
    assert len(reps) == 2


def test_a_clip_ending_three_quarters_up_does_not_count_the_last_rep():
    t, d = dips(3, tail_s=0.0)
    cut = t < 8.0 + 0.75    # 3/4 of the way up from the third bottom
    assert len(find_reps(t[cut], d[cut])) == 2


def test_a_clip_starting_mid_descent_counts_the_first_rep():
    t, d = dips(2)
    keep = t >= 1.6           # the first descent is already under way
    assert len(find_reps(t[keep], d[keep])) == 2


def _from(seq, t0_s):
    """The synthetic clip cut to start at t0_s (a recording started late)."""
    keep = seq.t_s >= t0_s - 1e-9
    return seq.replace(t_s=seq.t_s[keep] - seq.t_s[keep][0], xy_px=seq.xy_px[keep],
                       z=seq.z[keep], visibility=seq.visibility[keep], world_m=seq.world_m[keep])


def _way_down_s(spec, frac, lead_s=1.0):
    """When the synthetic squatter is `frac` of the way down its first descent (its cosine
    ease: u = (1 - cos(pi f)) / 2 at f of down_s)."""
    return lead_s + np.arccos(1.0 - 2.0 * frac) / np.pi * spec.down_s


@pytest.mark.parametrize("thigh_deg", [5.0, -15.0, -30.0])
@pytest.mark.parametrize("frac", [0.5, 0.85, 0.9])
def test_a_synthetic_squatter_filmed_from_mid_descent_counts_the_first_rep(thigh_deg, frac):
    """LABELS.tsv's convention: the first bottom is inside the clip and the person stands up
    after it, so the rep counts. Before the fix a clip that began more than 0.8 of the way
    down (its first depth >= seated_frac of the peak) lost that rep as a 'seated start'."""
    reps = [RepSpec(thigh_deg=thigh_deg)] * 3
    t0 = _way_down_s(reps[0], frac)
    a = analyze_sequence(_from(squat_sequence(reps, noise_px=1.0), t0), get_profile("general"))
    assert a.rep_count == 3
    assert [r.bottom_s + t0 for r in a.reps] == pytest.approx(bottoms_s(reps), abs=0.1)


@pytest.mark.parametrize("after_bottom_s", [0.15, 0.4])
def test_a_synthetic_squatter_filmed_from_the_bottom_or_mid_ascent_does_not_count_it(
        after_bottom_s):
    """The first bottom at or before the clip's first frame (in the pause, or on the way up):
    the person only rises, so that rep is not in the clip (intellifit-ErayBD__squat_1's case)."""
    reps = [RepSpec()] * 3
    t0 = bottoms_s(reps)[0] + after_bottom_s
    a = analyze_sequence(_from(squat_sequence(reps, noise_px=1.0), t0), get_profile("general"))
    assert a.rep_count == 2
    assert [r.bottom_s + t0 for r in a.reps] == pytest.approx(bottoms_s(reps)[1:], abs=0.1)


def test_a_seated_start_is_still_not_a_rep():
    seq = squat_sequence([RepSpec()] * 2, seated_start_s=1.5, noise_px=1.0)
    assert analyze_sequence(seq, get_profile("general")).rep_count == 2


def test_holding_the_bottom_with_small_pulses_is_one_rep_at_most():
    t = np.arange(0, 12, 1 / FPS)
    d = np.clip((t - 1.0), 0, 1.0) + 0.15 * np.sin(2 * np.pi * t) * (t > 2)
    assert find_reps(t, d) == []     # never stands back up: no complete rep


def test_synthetic_person_three_reps_and_their_bottoms():
    reps = [RepSpec(), RepSpec(thigh_deg=-15), RepSpec(thigh_deg=10)]
    seq = squat_sequence(reps, noise_px=1.0)
    a = analyze_sequence(seq, get_profile("general"))
    assert a.rep_count == 3
    assert [r.bottom_s for r in a.reps] == pytest.approx(bottoms_s(reps), abs=0.2)


def test_walking_off_after_the_set_adds_no_rep():
    seq = squat_sequence(2)
    n_walk = int(3 * FPS)
    walk = np.repeat(seq.xy_px[-1:], n_walk, axis=0).copy()
    walk[:, :, 0] += np.linspace(0, 900, n_walk)[:, None]          # walks out to the right
    walk[int(1.5 * FPS):] = np.nan                                 # and is gone
    t = np.concatenate([seq.t_s, seq.t_s[-1] + (np.arange(n_walk) + 1) / FPS])
    vis = np.concatenate([seq.visibility, np.where(np.isnan(walk[..., 0]), 0.0, 0.9)])
    longer = seq.replace(t_s=t, xy_px=np.concatenate([seq.xy_px, walk]),
                         z=np.concatenate([seq.z, np.zeros((n_walk, 33))]), visibility=vis,
                         world_m=np.concatenate([seq.world_m, np.repeat(seq.world_m[-1:], n_walk, 0)]))
    a = analyze_sequence(longer, get_profile("general"))
    assert a.rep_count == 2


def test_noisy_landmarks_do_not_add_reps():
    seq = squat_sequence(3, noise_px=4.0, seed=3)
    assert analyze_sequence(seq, get_profile("general")).rep_count == 3


def _hips_at_the_ankles(seq, start_s: float, frames: int):
    """The sequence with a tracking glitch: both hips put at their ankles' height for
    `frames` frames from `start_s` (as a pose model that jumps to the wrong body does)."""
    from formcheck.landmarks import Landmark as L

    xy = seq.xy_px.copy()
    i0 = int(round(start_s * FPS))
    for hip, ankle in ((L.LEFT_HIP, L.LEFT_ANKLE), (L.RIGHT_HIP, L.RIGHT_ANKLE)):
        xy[i0:i0 + frames, int(hip), 1] = xy[i0:i0 + frames, int(ankle), 1]
    return seq.replace(xy_px=xy)


def test_a_glitch_shorter_than_half_the_low_pass_period_is_not_the_bottom():
    # 2 frames at 30 fps (0.067 s) 0.7 s after the bottom, on the way up: shorter than half a
    # period of the 6 Hz low-pass (0.083 s). Taken as the deepest point it read 1.43 deep,
    # 0.75 s late, with a thigh 40 deg below level; the bottom is where the glitch-free
    # squatter's is, as deep.
    from dataclasses import replace

    from formcheck.clean import CleanSettings
    from formcheck.reps import settings_for_min_depth

    th = get_profile("general")
    reps = [RepSpec(), RepSpec()]
    clean_seq = squat_sequence(reps)
    glitch = _hips_at_the_ankles(clean_seq, bottoms_s(reps)[0] + 0.7, 2)
    assert 2 / FPS < CleanSettings().min_found_s
    a0, a1 = (analyze_sequence(s, th) for s in (clean_seq, glitch))
    assert a1.rep_count == 2
    r0, r1 = a0.reps[0], a1.reps[0]
    assert r1.bottom_s == r0.bottom_s == pytest.approx(bottoms_s(reps)[0], abs=1 / FPS)
    # the glitch nudges the body scale (a rolling percentile over +-2.5 s), not the bottom
    assert r1.peak_depth == pytest.approx(r0.peak_depth, abs=0.005)
    assert a1.metrics[0].thigh_angle_deg == pytest.approx(a0.metrics[0].thigh_angle_deg, abs=0.5)
    # the same with the deepest single sample as the bottom (no hold): the glitch wins
    plain = replace(settings_for_min_depth(th.min_rep_depth_ratio), bottom_hold_s=0.0)
    assert analyze_sequence(glitch, th, rep_settings=plain).reps[0].bottom_s > r0.bottom_s + 0.6


def test_the_bottom_is_the_deepest_sample_of_a_smooth_dip():
    t, d = dips(1)
    r = find_reps(t, d)[0]
    k = int(np.argmax(d))
    assert r.peak_depth == d[k]
