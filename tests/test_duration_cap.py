"""The 30-minute cap holds by the frames' own timestamps, not by what a header says (issue 24.3),
and a sound file with cover art is called a sound file, not a damaged video (24.10)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import VideoOpenError, VideoTooLargeError
from formcheck.video import iter_frames, probe

ROOT = Path(__file__).resolve().parents[1]


class _Pipe(io.RawIOBase):
    """A write-only sink that cannot seek: the muxer cannot go back to write the duration."""

    def __init__(self, f):
        self.f = f

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, b):
        return self.f.write(b)


def no_duration_clip(path: Path, times_s, fmt: str, codec: str) -> Path:
    """Five 16x16 frames at the given times, muxed through a pipe: no duration in the header."""
    import av

    with open(path, "wb") as raw:
        out = av.open(_Pipe(raw), "w", format=fmt)
        s = out.add_stream(codec, rate=1)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
        s.codec_context.time_base = Fraction(1, 1000)
        for k, t in enumerate(times_s):
            f = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 20 * k, np.uint8), format="rgb24")
            f.pts, f.time_base = int(t * 1000), Fraction(1, 1000)
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
        out.close()
    return path


FORTY_MIN = [0.0, 600.0, 1200.0, 1800.0, 2400.0]


@pytest.fixture(params=[("matroska", "libx264", "mkv"), ("webm", "libvpx", "webm")],
                ids=["mkv", "webm"])
def forty_min(request, tmp_path):
    fmt, codec, ext = request.param
    p = no_duration_clip(tmp_path / f"forty.{ext}", FORTY_MIN, fmt, codec)
    import av

    with av.open(str(p)) as c:   # the file really has no duration in its header
        assert c.duration is None and c.streams.video[0].duration is None
    return p


def test_a_header_without_duration_is_measured_from_the_packets(forty_min):
    assert probe(forty_min).duration_s == pytest.approx(2401.0, abs=0.01)


def test_decoding_stops_at_the_cap_by_the_frames_timestamps(forty_min):
    with pytest.raises(VideoTooLargeError) as e:
        list(iter_frames(forty_min, max_fps=None))
    assert str(e.value) == (f"{forty_min.name} goes on past 30 min; formcheck analyses up to "
                            "30 min. Trim it to the sets you want checked (or raise the limit "
                            "with --max-minutes).")
    # a raised cap lets them through, frame times as written
    assert [f.t_s for f in iter_frames(forty_min, max_fps=None, max_duration_s=3000)] == FORTY_MIN
    assert [f.t_s for f in iter_frames(forty_min, max_fps=None, max_duration_s=None)] == FORTY_MIN


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_cli_refuses_a_forty_minute_file_without_a_duration(forty_min, workers):
    r = subprocess.run([sys.executable, "-m", "formcheck.cli", "analyze", str(forty_min),
                        "--workers", workers], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 2
    assert r.stderr.strip() == ("formcheck: The clip is 40.0 min long; formcheck analyses up to "
                                "30 min. Trim it to the sets you want checked (or raise the "
                                "limit with --max-minutes).")
    assert "Traceback" not in r.stderr


def test_the_chunk_worker_keeps_the_cap_when_the_header_is_wrong(forty_min):
    """A chunk planned from a header that claimed 10 min still stops at the cap."""
    from formcheck.parallel import Chunk, track_chunk

    with pytest.raises(VideoTooLargeError, match="goes on past 30 min"):
        track_chunk(str(forty_min), Chunk(0, 0.0, None, 0.0), None, 16, 16, 1.0, 600.0,
                    forty_min.name)


def test_a_sound_file_with_cover_art_is_called_a_sound_file(tmp_path):
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs the ffmpeg command (Debian package ffmpeg) to write an m4a")
    cover = tmp_path / "cover.png"
    song = tmp_path / "song.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=red:s=32x32:d=1", "-frames:v", "1", str(cover)], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(cover), "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=3", "-map", "1", "-map", "0", "-c:a", "aac",
                    "-c:v", "mjpeg", "-disposition:v", "attached_pic", str(song)], check=True)
    with pytest.raises(VideoOpenError) as e:
        probe(song)
    assert str(e.value) == ("song.m4a is a sound file: it has no video, only sound and a cover "
                            "picture. Choose the video of the squats (mp4, mov, webm...).")
    plain = tmp_path / "plain.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=3", "-c:a", "aac", str(plain)], check=True)
    with pytest.raises(VideoOpenError) as e:
        probe(plain)
    assert str(e.value) == ("plain.m4a is a sound file: it has no video, only sound. Choose the "
                            "video of the squats (mp4, mov, webm...).")


def test_annotated_videos_are_private_to_their_owner(tmp_path):
    """The app's videos of a person are 0600 whatever the umask, as the README says (issue
    24.10); the command line's keep the usual permissions (tests/test_render.py)."""
    import os
    import stat

    from formcheck.render import _Encoder

    old = os.umask(0o022)
    try:
        out = tmp_path / "annotated.mp4"
        enc = _Encoder(out, 32, 32, Fraction(30), mode=0o600)
        enc.write(np.zeros((32, 32, 3), np.uint8), 0.0)
        enc.close()
        existing = tmp_path / "existing.mp4"
        existing.write_bytes(b"")
        os.chmod(existing, 0o644)
        enc = _Encoder(existing, 32, 32, Fraction(30), mode=0o600)
        enc.write(np.zeros((32, 32, 3), np.uint8), 0.0)
        enc.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert out.stat().st_size > 0



def test_the_apps_annotated_video_is_written_0600(tmp_path):
    import os
    import stat

    from formcheck.render import write_annotated
    from test_render import make_clip, make_sequence
    from formcheck.analysis import analyze_sequence
    from formcheck.thresholds import get_profile

    analysis = analyze_sequence(make_sequence(), get_profile("general"), "general")
    clip = make_clip(tmp_path / "squat.mp4")
    old = os.umask(0o022)
    try:
        out = write_annotated(clip, analysis, tmp_path / "annotated.mp4", mode=0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_the_app_refuses_a_forty_minute_webm_without_a_duration(tmp_path):
    """Refused before any tracking (the engine's workers are not even started)."""
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    from formcheck.app import offload

    clip = no_duration_clip(tmp_path / "long_set.webm", FORTY_MIN, "webm", "libvpx")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.file_uploader[0].set_value((clip.name, clip.read_bytes(), "video/webm"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The clip is 40.0 min long; formcheck analyses up to 30 min. Trim it to the sets you "
        "want checked."]    # the app's words: no command-line option (session_files.app_words)
    assert offload.app_engine()._client is None     # no worker was started for it
