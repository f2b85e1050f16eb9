"""Decoding: real timestamps (variable frame rate), rotation metadata, frame-rate cap, prefetch."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from conftest import FIXTURES, ffmpeg_decoder_threads, write_clip
from formcheck.video import Frame, iter_frames, prefetch, probe


def vfr_clip(path, times_s):
    """A clip whose frames sit at the given (irregular) times; brightness encodes the index."""
    import av

    out = av.open(str(path), "w")
    s = out.add_stream("libx264", rate=30)
    s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
    s.codec_context.time_base = Fraction(1, 1000)
    for k, t in enumerate(times_s):
        img = np.full((48, 64, 3), 20 + 10 * k, np.uint8)
        f = av.VideoFrame.from_ndarray(img, format="rgb24")
        f.pts = int(round(t * 1000))
        f.time_base = Fraction(1, 1000)
        for p in s.encode(f):
            out.mux(p)
    for p in s.encode(None):
        out.mux(p)
    out.close()
    return path


def test_variable_frame_rate_keeps_the_real_timestamps(tmp_path):
    times = [0.0, 0.033, 0.066, 0.2, 0.233, 0.5, 0.533, 0.9]
    p = vfr_clip(tmp_path / "vfr.mp4", times)
    got = [f.t_s for f in iter_frames(p, max_fps=None)]
    assert got == pytest.approx(times, abs=0.002)


def test_frame_rate_is_capped_by_time_not_by_count(tmp_path):
    frames = [np.full((48, 64, 3), i % 250, np.uint8) for i in range(120)]
    p = write_clip(tmp_path / "sixty.mp4", frames, fps=60)
    got = [f.t_s for f in iter_frames(p, max_fps=30)]
    assert len(got) == pytest.approx(60, abs=1)
    assert np.diff(got) == pytest.approx(np.full(len(got) - 1, 1 / 30), abs=0.002)
    assert len(list(iter_frames(p, max_fps=None))) == 120


def test_large_frames_are_scaled_in_the_decoder(tmp_path):
    p = write_clip(tmp_path / "big.mp4", [np.zeros((1080, 1920, 3), np.uint8)] * 3, fps=30)
    f = next(iter(iter_frames(p, max_side_px=1280)))
    assert f.rgb.shape == (720, 1280, 3) and f.scale == pytest.approx(2 / 3, abs=0.01)
    assert probe(p).width_px == 1920


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command (Debian "
                    "package ffmpeg; .ci/run installs it) to write rotation metadata")
def test_rotation_metadata_is_applied_like_a_player_does(tmp_path):
    src = FIXTURES / "side_knees_past_toes.mp4"
    rot = tmp_path / "rot.mp4"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(src), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rot)], check=True)
    ref = tmp_path / "ref.png"
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(rot), "-frames:v", "1",
                    str(ref)], check=True)    # ffmpeg applies the rotation, as players do
    import cv2

    expected = cv2.cvtColor(cv2.imread(str(ref)), cv2.COLOR_BGR2RGB)
    info = probe(rot)
    first = next(iter(iter_frames(rot)))
    assert info.rotation_deg in (90, 270)
    assert (info.height_px, info.width_px) == first.rgb.shape[:2] == expected.shape[:2]
    assert np.abs(first.rgb.astype(int) - expected.astype(int)).mean() < 2.0


def test_prefetch_yields_everything_in_order_and_passes_errors_on():
    frames = [Frame(i, i / 10, np.zeros((2, 2, 3), np.uint8)) for i in range(50)]
    assert [f.index for f in prefetch(iter(frames), depth=3)] == list(range(50))

    def broken():
        yield frames[0]
        raise RuntimeError("decoder fell over")

    got = []
    with pytest.raises(RuntimeError, match="fell over"):
        for f in prefetch(broken()):
            got.append(f)
    assert len(got) == 1


def test_prefetch_stops_its_thread_when_the_consumer_stops():
    import threading

    def endless():
        i = 0
        while True:
            yield Frame(i, i / 30, np.zeros((2, 2, 3), np.uint8))
            i += 1

    before = threading.active_count()
    gen = prefetch(endless(), depth=2)
    for _ in range(5):
        next(gen)
    gen.close()
    assert threading.active_count() == before


def test_one_decoder_thread_decodes_the_same_pictures_without_ffmpegs_threads(tmp_path):
    """A chunk tracked beside other trackers decodes in its own thread (issue 20: FFmpeg's
    frame threads cost about 16% more decoding CPU); the frames, times and pixels, are the
    same as with FFmpeg's threads."""
    import os

    rng = np.random.default_rng(3)
    frames = [np.clip(rng.normal(120 + i, 40, (96, 128, 3)), 0, 255).astype(np.uint8)
              for i in range(90)]
    p = write_clip(tmp_path / "sixty.mp4", frames, fps=60)
    seen: dict[str, set[str]] = {}
    got = {}
    for threads in (None, 1):
        out, names = [], set()
        for f in iter_frames(p, max_fps=30, decoder_threads=threads):
            names |= ffmpeg_decoder_threads()
            out.append((f.index, round(f.t_s, 6), f.rgb.copy()))
        got[threads], seen[threads] = out, names
    assert len(got[1]) == 45
    assert [(i, t) for i, t, _ in got[1]] == [(i, t) for i, t, _ in got[None]]
    assert all(np.array_equal(a, b) for (_, _, a), (_, _, b) in zip(got[1], got[None]))
    assert seen[1] == set()
    if (os.cpu_count() or 1) > 1:      # FFmpeg starts cores + 1 frame threads by default
        assert seen[None], "expected FFmpeg's own decoder threads by default"
