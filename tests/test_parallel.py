"""Chunk planning, seeking and merging: a rep straddling a chunk boundary is counted and measured
exactly as in one sequential pass."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import write_clip
from formcheck.analysis import analyze_sequence
from formcheck.parallel import (Chunk, OVERLAP_S, broken_seam, cut_time, merge_chunks,
                                plan_chunks)
from formcheck.synthetic import RepSpec, bottoms_s, squat_sequence
from formcheck.thresholds import get_profile

TH = get_profile("general")


def _part(seq, chunk: Chunk, warmup_frames: int = 0, offset_px: float = 0.0) -> dict:
    """What a worker returns for `chunk` of `seq`: its frames, the first `warmup_frames` of a
    fresh tracker off by `offset_px` (a new detection before tracking settles)."""
    end = np.inf if chunk.end_s is None else chunk.end_s
    m = (seq.t_s >= chunk.start_s - 1e-9) & (seq.t_s < end)
    xy = seq.xy_px[m].copy()
    xy[:warmup_frames] += offset_px
    return {"t_s": seq.t_s[m], "xy_px": xy, "z": seq.z[m], "visibility": seq.visibility[m],
            "world_m": seq.world_m[m], "warnings": []}


def test_plan_covers_the_clip_with_overlapping_chunks_on_the_frame_grid():
    chunks = plan_chunks(20.0, 2, max_fps=30.0)
    assert [c.boundary_s for c in chunks] == [0.0, 10.0]
    assert chunks[0].start_s == 0.0 and chunks[0].end_s == 10.0
    assert chunks[1].end_s is None
    assert chunks[1].start_s == pytest.approx(10.0 - OVERLAP_S)
    assert round(chunks[1].start_s * 30, 6) == int(round(chunks[1].start_s * 30))


def test_plan_never_makes_chunks_shorter_than_the_minimum():
    assert len(plan_chunks(7.9, 2, min_chunk_s=4.0)) == 1
    assert len(plan_chunks(8.0, 2, min_chunk_s=4.0)) == 2
    assert len(plan_chunks(600.0, 4)) == 4


def test_a_rep_straddling_a_boundary_is_merged_whole():
    reps = [RepSpec(thigh_deg=5.0, shin_deg=35.0), RepSpec(thigh_deg=-10.0, shin_deg=30.0),
            RepSpec(thigh_deg=8.0, shin_deg=40.0)]
    full = squat_sequence(reps, fps=30.0)
    duration = float(full.t_s[-1]) + 1 / 30
    chunks = plan_chunks(duration, 2, max_fps=30.0, min_chunk_s=1.0)
    boundary = chunks[1].boundary_s
    bottoms = bottoms_s(reps)
    # the boundary falls inside rep 2 (between its start and its end)
    assert bottoms[1] - 1.5 < boundary < bottoms[1] + 1.5
    # the second chunk's tracker starts 60 px off for 5 frames, then agrees
    parts = [_part(full, chunks[0]), _part(full, chunks[1], warmup_frames=5, offset_px=60.0)]
    merged = merge_chunks(parts, chunks, full.width_px, full.height_px, full.fps, "s")
    np.testing.assert_array_equal(merged.t_s, full.t_s)
    np.testing.assert_array_equal(merged.xy_px, full.xy_px)
    a, b = analyze_sequence(full, TH), analyze_sequence(merged, TH)
    assert b.rep_count == 3
    for ma, mb in zip(a.metrics, b.metrics):
        assert mb.bottom_s == ma.bottom_s
        assert mb.thigh_angle_deg == ma.thigh_angle_deg
        assert mb.knee_over_toe_ratio == ma.knee_over_toe_ratio


def test_cut_falls_where_the_two_trackers_agree_best_after_settling():
    seq = squat_sequence(2, fps=30.0)
    chunk = Chunk(1, 3.0, None, 4.0)
    prev = seq.replace(xy_px=seq.xy_px + 3.0)
    cur = seq.replace(xy_px=seq.xy_px.copy())
    agree = int(np.flatnonzero(np.isclose(seq.t_s, 3.8))[0])
    cur.xy_px[agree] = prev.xy_px[agree]       # the one frame where both say the same
    early = int(np.flatnonzero(np.isclose(seq.t_s, 3.2))[0])
    cur.xy_px[early] = prev.xy_px[early]       # agrees too, but before the tracker settled
    prev = prev.replace(t_s=seq.t_s[seq.t_s < 4.0], xy_px=prev.xy_px[seq.t_s < 4.0],
                        z=seq.z[seq.t_s < 4.0], visibility=seq.visibility[seq.t_s < 4.0],
                        world_m=seq.world_m[seq.t_s < 4.0])
    assert cut_time(prev, cur, chunk) == pytest.approx(seq.t_s[agree])


def test_a_tracker_that_lost_the_person_is_not_where_the_cut_goes():
    seq = squat_sequence(2, fps=30.0)
    chunk = Chunk(1, 3.0, None, 4.0)
    cur = seq.replace(xy_px=seq.xy_px + 1.0)
    lost = (seq.t_s > 3.55) & (seq.t_s < 3.75)
    prev_xy = seq.xy_px.copy()
    prev_xy[lost] = np.nan
    prev = seq.replace(xy_px=prev_xy)
    t = cut_time(prev, cur, chunk)
    assert not (3.55 < t < 3.75)


def test_warnings_of_chunks_are_kept_once_each():
    seq = squat_sequence(3, fps=30.0)
    chunks = plan_chunks(float(seq.t_s[-1]) + 1 / 30, 2, min_chunk_s=1.0)
    parts = [_part(seq, c) for c in chunks]
    note = "More than one person seems to be in the picture (2 of 6 checked frames)."
    parts[0]["warnings"] = [note]
    parts[1]["warnings"] = [note.replace("2 of 6", "3 of 6"), "The file ends early."]
    out: list[str] = []
    merge_chunks(parts, chunks, seq.width_px, seq.height_px, seq.fps, "s", out)
    assert out == [note, "The file ends early."]


@pytest.mark.slow
def test_a_chunk_decodes_the_frames_a_full_pass_keeps(tmp_path):
    from formcheck.video import iter_frames

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (64, 96, 3), dtype=np.uint8) for _ in range(240)]
    clip = write_clip(tmp_path / "sixty.mp4", frames, fps=60.0)
    full = [f.t_s for f in iter_frames(clip, max_fps=30.0)]
    assert len(full) == 120
    for c in plan_chunks(4.0, 2, max_fps=30.0, min_chunk_s=1.0):
        got = [f.t_s for f in iter_frames(clip, max_fps=30.0, start_s=c.start_s, end_s=c.end_s)]
        end = np.inf if c.end_s is None else c.end_s
        assert got == [t for t in full if c.start_s - 1e-6 <= t < end]


def test_a_chunk_that_follows_someone_else_is_a_broken_seam():
    seq = squat_sequence(3, fps=30.0)
    chunks = plan_chunks(float(seq.t_s[-1]) + 1 / 30, 2, min_chunk_s=1.0)
    settling = [_part(seq, chunks[0]), _part(seq, chunks[1], warmup_frames=5, offset_px=60.0)]
    assert broken_seam(settling, chunks, seq.width_px, seq.height_px, seq.fps) is None
    other = [_part(seq, chunks[0]), _part(seq, chunks[1], warmup_frames=10_000, offset_px=60.0)]
    assert broken_seam(other, chunks, seq.width_px, seq.height_px, seq.fps) == 1


def test_the_first_chunk_takes_the_head_start_and_the_rest_share_what_is_left():
    chunks = plan_chunks(20.0, 2, max_fps=30.0, head_start_s=6.0)
    # the first chunk is 6 s longer than the second: 13 s and 7 s
    assert [c.boundary_s for c in chunks] == [0.0, 13.0]
    assert chunks[0].end_s == 13.0 and chunks[1].end_s is None
    assert chunks[1].start_s == pytest.approx(12.0)
    three = plan_chunks(32.0, 3, max_fps=30.0, head_start_s=6.0)
    # first (32 + 2 * 6) / 3 = 14.667 s, then two of 8.667 s
    assert [round(c.boundary_s, 3) for c in three] == [0.0, 14.667, 23.333]


def test_a_clip_too_short_to_leave_the_others_a_chunk_is_one_chunk():
    # (11.9 - 4) / 2 < 4 s: the second chunk would be shorter than the minimum
    assert len(plan_chunks(11.9, 2, head_start_s=4.0, min_chunk_s=4.0)) == 1
    assert len(plan_chunks(12.0, 2, head_start_s=4.0, min_chunk_s=4.0)) == 2
    # with three cores, a 17-s clip gets two chunks: the others would get (17 - 6) / 3 < 4 s
    # each of three, (17 - 6) / 2 >= 4 s of two
    assert len(plan_chunks(17.0, 3, head_start_s=6.0, min_chunk_s=4.0)) == 2
    assert len(plan_chunks(18.0, 3, head_start_s=6.0, min_chunk_s=4.0)) == 3


def test_a_short_clip_is_tracked_alone_and_a_long_one_shared():
    from formcheck.parallel import STOP_COST_S, decide_sharing

    # 9 s: after 2 s of start-up, no second chunk of 4 s is left
    short = decide_sharing(9.0, 2.0, 2, rate=2.0)
    assert not short.share and "too short" in short.reason
    # 11 s at 2 s of video per second with 2 s tracked: the split saves 1.5 s, more than the
    # 0.5 s it must save
    eleven = decide_sharing(11.0, 2.0, 2, rate=2.0)
    assert STOP_COST_S == 0.5
    assert eleven.share
    assert eleven.saved_s == pytest.approx(9.0 / 2.0 - (5.0 / 2.0 + STOP_COST_S))
    # the same clip at 8 s of video per second: tracking alone ends in 1.1 s, the split saves
    # 9/8 - (5/8 + 0.5) = 0.0 s: not worth it
    fast = decide_sharing(11.0, 2.0, 2, rate=8.0)
    assert not fast.share and fast.saved_s == pytest.approx(0.0)
    # 60 s: the two trackers share what is left, the caller's chunk from where it is
    long = decide_sharing(60.0, 2.0, 2, rate=2.0)
    assert long.share and len(long.chunks) == 2
    assert long.chunks[0].end_s == pytest.approx((60.0 + 3.0) / 2)
    assert long.saved_s == pytest.approx(58.0 / 2.0 - (29.5 / 2.0 + STOP_COST_S))


def test_once_the_workers_are_up_what_is_left_decides():
    from formcheck.parallel import decide_sharing

    # the caller got to 50 s of a 60-s clip while the workers started: 10 s left, too little
    # to pay for stopping the workers at 5 s of video per second
    late = decide_sharing(60.0, 50.0, 2, rate=5.0)
    assert not late.share and late.saved_s <= 0.5
    # the same 10 s at real time pays
    assert decide_sharing(60.0, 50.0, 2, rate=1.0).share


def test_an_idle_worker_takes_the_end_of_the_callers_chunk_so_both_end_together():
    from formcheck.parallel import MIN_SAVING_S, NEW_CHUNK_COST_S, steal_chunk, steal_min_left_s

    # the minimum: the overlap, the new chunk's cost as video, and twice the saving wanted
    assert steal_min_left_s(2.0) == pytest.approx(OVERLAP_S + NEW_CHUNK_COST_S * 2.0
                                                  + 2 * MIN_SAVING_S * 2.0)
    # the caller is at 6 s of a chunk that ends at 16 s, at 2 s of video per second: the worker
    # takes from the boundary b where (b - 6) = (16 - b) + overlap + cost * rate
    d = steal_chunk(6.0, 16.0, 2.0, index=2, max_fps=30.0, new_chunk_cost_s=0.5)
    b = 6.0 + (10.0 + OVERLAP_S + 0.5 * 2.0) / 2
    assert b == 12.0
    assert d.chunk == Chunk(2, 11.0, 16.0, 12.0)
    # both end together: the caller tracks 6 s, the worker 5 s plus its 1 s of start-up
    assert (b - 6.0) / 2.0 == pytest.approx((16.0 - d.chunk.start_s) / 2.0 + 0.5)
    # the chunk starts on the frame grid, an overlap before its boundary
    d = steal_chunk(6.1, 16.0, 2.0, index=2, max_fps=30.0, new_chunk_cost_s=0.5)
    assert d.chunk.boundary_s == pytest.approx(12.05)
    assert d.chunk.start_s == pytest.approx(331 / 30)      # floor(11.05 * 30) / 30
    assert d.chunk.end_s == 16.0


def test_no_steal_when_too_little_is_left_for_a_new_chunk_to_pay():
    from formcheck.parallel import steal_chunk, steal_min_left_s

    need = steal_min_left_s(2.0, new_chunk_cost_s=0.5)        # 1 + 1 + 2 = 4 s
    assert need == pytest.approx(4.0)
    assert steal_chunk(12.0, 16.0, 2.0, 2, new_chunk_cost_s=0.5).chunk is None
    assert steal_chunk(11.9, 16.0, 2.0, 2, new_chunk_cost_s=0.5).chunk is not None
    # a slower tracker makes a shorter rest worth a new chunk
    assert steal_chunk(12.0, 16.0, 1.0, 2, new_chunk_cost_s=0.5).chunk is not None


def test_a_stolen_chunk_merges_in_order_of_start_as_one_pass():
    from formcheck.parallel import steal_chunk

    reps = [RepSpec(thigh_deg=5.0, shin_deg=35.0), RepSpec(thigh_deg=-10.0, shin_deg=30.0),
            RepSpec(thigh_deg=8.0, shin_deg=40.0), RepSpec(thigh_deg=0.0, shin_deg=38.0)]
    full = squat_sequence(reps, fps=30.0)
    duration = float(full.t_s[-1]) + 1 / 30
    first, last = plan_chunks(duration, 2, max_fps=30.0, min_chunk_s=1.0)
    # the worker finished `last` while the caller was at 1.0 s of `first`: it takes the end of
    # `first` as chunk 2
    stolen = steal_chunk(1.0, first.end_s, 1.0, 2, max_fps=30.0, new_chunk_cost_s=0.5).chunk
    assert stolen is not None and stolen.end_s == first.end_s
    assert 1.0 < stolen.start_s < stolen.boundary_s < first.end_s
    here = Chunk(0, 0.0, stolen.boundary_s, 0.0)
    chunks = sorted([here, last, stolen], key=lambda c: c.start_s)
    assert [c.index for c in chunks] == [0, 2, 1]
    # each new tracker starts 60 px off for 5 frames, then agrees
    parts = [_part(full, chunks[0])] + [_part(full, c, warmup_frames=5, offset_px=60.0)
                                        for c in chunks[1:]]
    assert broken_seam(parts, chunks, full.width_px, full.height_px, full.fps) is None
    merged = merge_chunks(parts, chunks, full.width_px, full.height_px, full.fps, "s")
    np.testing.assert_array_equal(merged.t_s, full.t_s)
    np.testing.assert_array_equal(merged.xy_px, full.xy_px)
    a, b = analyze_sequence(full, TH), analyze_sequence(merged, TH)
    assert b.rep_count == a.rep_count == 4
    for ma, mb in zip(a.metrics, b.metrics):
        assert mb.bottom_s == ma.bottom_s
        assert mb.thigh_angle_deg == ma.thigh_angle_deg
        assert mb.knee_over_toe_ratio == ma.knee_over_toe_ratio
