"""render.py: annotated frames and the H.264 annotated video.

Most tests use a synthetic side-view squatter (landmarks made from planar kinematics) and a
synthetic clip whose frame brightness encodes its time, so no model runs. The one test that
runs MediaPipe is marked slow and uses the project's fixture clip when it exists.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

av = pytest.importorskip("av")

from formcheck.analysis import analyze_sequence, rescore  # noqa: E402
from formcheck.errors import FormcheckError  # noqa: E402
from formcheck.landmarks import PoseSequence  # noqa: E402
from formcheck.landmarks import Landmark as L  # noqa: E402
from formcheck.metrics import knee_and_toe_points  # noqa: E402
from formcheck.overlay import GREEN, RED, Style, frame_values, knee_color  # noqa: E402
from formcheck.report import rep_rows  # noqa: E402
from formcheck.synthetic import RepSpec, squat_sequence  # noqa: E402
from formcheck.render import annotate_frame, bottom_frame, write_annotated  # noqa: E402
from formcheck.thresholds import get_profile  # noqa: E402

W, H = 240, 320          # display size of the synthetic clip (portrait, like a phone)
SCALE = 0.25             # the synthetic squatter (1200 px tall) shrunk to fit
FPS = 15.0
DURATION_S = 11.5        # squat_sequence(3): 1 s lead + 3 reps of 3.5 s
FIXTURE = Path(__file__).resolve().parents[1] / "videos" / "fixtures" / "side_knees_past_toes.mp4"
TRACKED_FIXTURES = [FIXTURE]   # tests/tracking.py


def make_sequence(fps: float = FPS) -> PoseSequence:
    """The project's synthetic squatter, shrunk to the small portrait clip: 3 reps, side on,
    facing +x, the knee past the toes at the bottom (shin 55 deg)."""
    return squat_sequence([RepSpec(shin_deg=55.0)] * 3, fps=fps, width_px=W, height_px=H,
                          scale=SCALE)


@pytest.fixture(scope="module")
def analysis():
    a = analyze_sequence(make_sequence(), get_profile("general"), "general")
    assert a.rep_count == 3 and a.view.view == "side", "the synthetic squatter should be scored"
    return a


def make_clip(path: Path, fps: float = FPS, size=(W, H), codec: str = "libx264") -> Path:
    """A clip whose grey level encodes the frame number (frame k has value 40 + 2k)."""
    out = av.open(str(path), "w")
    s = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    s.width, s.height = size
    s.pix_fmt = "yuv420p" if codec == "libx264" else "yuv444p"
    if codec == "libx264":
        s.options = {"preset": "ultrafast", "qp": "0"}
    for k in range(int(round(DURATION_S * fps))):
        img = np.full((size[1], size[0], 3), 40 + 2 * (k % 100), np.uint8)
        for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(p)
    out.mux(s.encode(None))
    out.close()
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip") / "squat.mp4")


def _frame():
    return np.full((H, W, 3), 128, np.uint8)


# ------------------------------------------------------------------------- drawing


def test_annotate_frame_draws_skeleton_and_leaves_input_alone(analysis):
    i = analysis.reps[0].bottom_i
    rgb = _frame()
    out = annotate_frame(rgb, analysis, i)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert (rgb == 128).all(), "the input frame must not be drawn on"
    xy = analysis.clean_seq.xy_px[i]
    shin_mid = ((xy[L.LEFT_KNEE] + xy[L.LEFT_ANKLE]) / 2).round().astype(int)
    assert np.abs(out[shin_mid[1], shin_mid[0]].astype(int) - 128).sum() > 60
    assert (out[H - 3, 3] == 128).all(), "a corner away from every overlay stays as it was"


def test_annotate_frame_scale_maps_display_pixels_to_picture(analysis):
    i = analysis.reps[0].bottom_i
    small = np.full((H // 2, W // 2, 3), 128, np.uint8)
    out = annotate_frame(small, analysis, i, scale=0.5)
    knee = (analysis.clean_seq.xy_px[i, L.LEFT_KNEE] * 0.5).round().astype(int)
    assert out.shape == small.shape
    assert np.abs(out[knee[1], knee[0]].astype(int) - 128).sum() > 60


def test_knee_line_colour_follows_the_threshold(analysis):
    i = analysis.reps[0].bottom_i
    m = analysis.metrics[0]
    knee, toe = knee_and_toe_points(analysis.clean_seq.xy_px[i], m.knee_key, m.facing)
    ratio = m.knee_over_toe_ratio
    assert m.knee_key == "front_most" and ratio > 0.2, "side on, the front-most knee is past the toes"
    x = int(round((knee[0] + toe[0]) / 2)), int(round(knee[1]))
    lenient = rescore(analysis, get_profile("general", knee_over_toe_max_ratio=ratio + 0.5))
    strict = rescore(analysis, get_profile("knee-rehab"))
    px_ok = annotate_frame(_frame(), lenient, i)[x[1], x[0]]
    px_bad = annotate_frame(_frame(), strict, i)[x[1], x[0]]
    assert tuple(px_ok) == GREEN and tuple(px_bad) == RED
    assert knee_color(0.5, 0.35) == RED and knee_color(0.0, 0.35) == GREEN


@pytest.mark.parametrize("view", ["side", "oblique", "front"])
def test_numbers_drawn_on_each_bottom_frame_are_the_reported_ones(view):
    """The bottom frame of every rep shows the report's numbers for that rep: same leg, same
    knee/toe pair, same values as the table and the JSON (rounded as each displays them)."""
    seq = squat_sequence([RepSpec(shin_deg=55.0)] * 3, view=view)
    an = analyze_sequence(seq, get_profile("general"), "general")
    rows = rep_rows(an)
    assert an.rep_count == 3
    for k, (rep, m, row) in enumerate(zip(an.reps, an.metrics, rows)):
        drawn = []
        annotate_frame(np.zeros((seq.height_px, seq.width_px, 3), np.uint8), an, rep.bottom_i,
                       values_out=drawn)
        v = drawn[0]
        assert v.from_report and v.rep == k and v.leg == m.leg == row["leg"]
        assert (v.knee_over_toe_px, v.knee_over_toe_ratio) == (row["knee_over_toe_px"],
                                                               row["knee_over_toe_ratio"])
        assert (v.knee_flexion_deg, v.thigh_deg) == (row["knee_flexion_deg"], row["thigh_angle_deg"])
        if view == "front":
            assert "knee_over_toe" not in v.labels and row["knee_over_toe_ratio"] is None
        else:
            assert v.knee_key == m.knee_key
            assert v.labels["knee_over_toe"] == (f"past toes {row['knee_over_toe_px']:+.0f} px\n"
                                                 f"= {row['knee_over_toe_ratio']:+.2f} foot len")
        assert v.labels["knee"] == f"knee {row['knee_flexion_deg']:.0f} deg"
        assert v.labels["thigh"] == f"thigh {row['thigh_angle_deg']:+.0f} deg"
        assert frame_values(an, rep.bottom_i) == v


def test_frames_outside_the_bottom_show_their_own_values_on_the_same_pair(analysis):
    rep, m = analysis.reps[0], analysis.metrics[0]
    i = rep.start_i + 3
    v = frame_values(analysis, i)
    assert not v.from_report and v.rep == 0 and v.knee_key == m.knee_key == "front_most"
    px, _ = analysis.series.knee_over_toe("front_most")
    assert v.knee_over_toe_px == pytest.approx(px[i])
    assert v.knee_over_toe_ratio == pytest.approx(analysis.series.knee_over_toe_ratio[i])


def test_rep_counter_and_cue_change_over_time(analysis):
    first, last = 0, len(analysis.clean_seq) - 1
    a, b = annotate_frame(_frame(), analysis, first), annotate_frame(_frame(), analysis, last)
    st = Style.for_size(H, W)
    panel = (slice(0, 6 * st.pad + 20), slice(0, W // 2))
    assert not np.array_equal(a[panel], b[panel]), "'Reps done: 0 of 3' -> '3 of 3'"


def test_style_scales_with_picture_size():
    small, big = Style.for_size(480, 360), Style.for_size(1080, 1920)
    assert 0.4 <= small.font < 0.6 and small.thick >= 1
    assert big.font > 2 * small.font and big.line > small.line


# ----------------------------------------------------------------------------- video


def _decode(path: Path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        times = [f.time for f in c.decode(s)]
        return s.codec_context.name, s.codec_context.pix_fmt, s.width, s.height, times


def test_write_annotated_is_h264_with_one_frame_per_analysed_frame(analysis, clip, tmp_path):
    seen = []
    out = write_annotated(clip, analysis, tmp_path / "ann.mp4", progress=lambda d, t: seen.append((d, t)))
    codec, pix, w, h, times = _decode(out)
    t_s = analysis.clean_seq.t_s
    assert (codec, pix, w % 2, h % 2) == ("h264", "yuv420p", 0, 0)
    assert len(times) == len(t_s)
    assert times[-1] == pytest.approx(t_s[-1] - t_s[0], abs=1e-3)
    assert np.allclose(np.diff(times), 1 / FPS, atol=2e-3)
    assert seen and seen[-1][0] == pytest.approx(seen[-1][1])
    assert open(out, "rb").read(64).find(b"moov") > 0, "+faststart puts the index first"
    assert not [p for p in tmp_path.iterdir() if p.name != "ann.mp4"], "no temp file left"


def test_write_annotated_matches_frames_by_time_not_index(tmp_path):
    """A 30 fps clip, landmarks at 15 fps: only the analysed times are written."""
    a = analyze_sequence(make_sequence(15.0), get_profile("general"))
    clip30 = make_clip(tmp_path / "c30.mp4", fps=30.0)
    out = write_annotated(clip30, a, tmp_path / "ann.mp4", max_fps=None)
    _, _, _, _, times = _decode(out)
    assert len(times) == len(a.clean_seq)
    assert np.allclose(times, a.clean_seq.t_s - a.clean_seq.t_s[0], atol=2e-3)


def test_odd_sized_clip_gives_even_output(analysis, tmp_path):
    odd = make_clip(tmp_path / "odd.mkv", size=(W + 1, H + 1), codec="ffv1")
    _, _, w, h, times = _decode(write_annotated(odd, analysis, tmp_path / "ann.mp4"))
    assert (w, h) == (W, H) and len(times) == len(analysis.clean_seq)


@pytest.mark.parametrize("where, words", [
    ("missing_dir/ann.mp4", "does not exist"),
    ("afile.txt/ann.mp4", "does not exist"),
    ("ann.avi", ".mp4"),
])
def test_bad_output_path_says_what_to_do(analysis, clip, tmp_path, where, words):
    (tmp_path / "afile.txt").write_text("x")
    with pytest.raises(FormcheckError, match=words):
        write_annotated(clip, analysis, tmp_path / where)


def test_unwritable_folder_says_what_to_do(analysis, clip, tmp_path):
    if os.geteuid() == 0:          # root may write anywhere; /sys refuses new files even to root
        target = Path("/sys/formcheck_annotated.mp4")
        if not Path("/sys").is_dir():
            pytest.skip("running as root and no /sys to stand in for a read-only folder")
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = ro / "ann.mp4"
    with pytest.raises(FormcheckError, match="write"):
        write_annotated(clip, analysis, target)


def test_failure_keeps_existing_output_and_input(analysis, clip, tmp_path):
    out = tmp_path / "ann.mp4"
    out.write_bytes(b"previous result")
    other = analyze_sequence(make_sequence().replace(t_s=make_sequence().t_s + 100.0),
                             get_profile("general"))
    with pytest.raises(FormcheckError, match="matched"):
        write_annotated(clip, other, out)
    assert out.read_bytes() == b"previous result"
    before = clip.read_bytes()
    with pytest.raises(FormcheckError, match="input"):
        write_annotated(clip, analysis, clip)
    assert clip.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ann.mp4"]


def test_bottom_frame_seeks_to_the_rep_bottom(analysis, clip):
    for k, rep in enumerate(analysis.reps):
        img = bottom_frame(clip, analysis, k)
        assert img.shape == (H, W, 3)
        frame_no = int(round(analysis.clean_seq.t_s[rep.bottom_i] * FPS))
        assert abs(int(img[H - 3, 3, 0]) - (40 + 2 * (frame_no % 100))) <= 2, f"rep {k + 1}: wrong frame"
    with pytest.raises(FormcheckError, match="Rep 9"):
        bottom_frame(clip, analysis, 8)


# ------------------------------------------------------------------------ with model


@pytest.mark.slow
@pytest.mark.skipif(not FIXTURE.exists(), reason=f"fixture clip {FIXTURE.name} not generated yet")
def test_fixture_clip_end_to_end(tmp_path):
    from tracking import analyze_fixture

    a, _ = analyze_fixture(FIXTURE, get_profile("general"), "general")
    out = write_annotated(FIXTURE, a, tmp_path / "ann.mp4")
    codec, _, _, _, times = _decode(out)
    assert codec == "h264" and len(times) == len(a.clean_seq)
    if a.reps:
        img = bottom_frame(FIXTURE, a, 0)
        assert img.ndim == 3 and img.shape[2] == 3


def test_annotated_video_gets_the_usual_file_permissions(analysis, clip, tmp_path):
    out = tmp_path / "perm.mp4"
    old = os.umask(0o022)
    try:
        write_annotated(clip, analysis, out)
    finally:
        os.umask(old)
    assert (out.stat().st_mode & 0o777) == 0o644


# ------------------------------------------------------------------------- the box (issue 11)
def test_wrap_keeps_a_number_with_its_unit():
    from formcheck.overlay import _text_size, _wrap

    st = Style.for_size(H, W)
    text = "On the box: paused sit 1.03 s"
    width = _text_size("On the box: paused sit 1.03", st)[0]    # "s" alone would fit no further
    assert _wrap(text, width, st) == ["On the box: paused sit", "1.03 s"]
    width = _text_size("hip at 42% of standing (35", st)[0]
    assert _wrap("hip at 42% of standing (35 cm)", width, st) == ["hip at 42% of standing",
                                                                  "(35 cm)"]


def test_box_words_are_drawn_in_the_panel_from_the_bottom_of_a_rep_on_the_box(monkeypatch):
    import formcheck.overlay as overlay
    from formcheck.report import box_words

    seq = squat_sequence([RepSpec(thigh_deg=0.0, shin_deg=40.0, pause_s=1.0)], fps=FPS,
                         width_px=W, height_px=H, scale=SCALE)
    a = analyze_sequence(seq, get_profile("knee-rehab"), "knee-rehab")
    rep = a.reps[0]
    values = []
    with_box = annotate_frame(_frame(), a, rep.bottom_i, values_out=values)
    assert values[0].box == box_words(rep_rows(a)[0], short=True) != ""
    monkeypatch.setattr(overlay, "_box_words", lambda *args: ("", False))
    without = annotate_frame(_frame(), a, rep.bottom_i)
    diff = (with_box != without).any(axis=2)
    rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
    st = Style.for_size(H, W)
    assert rows.size and cols.min() >= st.pad and cols.max() < W   # only the panel, top-left,
    # below its first line: within the panel as it was without the box lines (they may widen
    # its background, by how wide the font draws them)
    top = st.pad + 1
    panel_right = np.flatnonzero((without[top] != _frame()[top]).any(axis=1)).max()
    assert np.flatnonzero(diff[:, :panel_right - st.pad].any(axis=1)).min() > 3 * st.pad
    before = annotate_frame(_frame(), a, rep.bottom_i - 1)
    monkeypatch.undo()
    assert np.array_equal(annotate_frame(_frame(), a, rep.bottom_i - 1), before)
