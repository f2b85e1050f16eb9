"""The command line: outputs, re-scoring, and bad input (clear message, non-zero exit, no
traceback, nothing the user made is lost)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from formcheck.pose import default_backend

from conftest import FIXTURES, read_frames, write_clip
from formcheck.cli import main
from formcheck.landmarks import load_npz, save_npz
from formcheck.synthetic import squat_sequence
from formcheck.video import VideoInfo, check_limits
from formcheck.errors import VideoTooLargeError

DEMO = FIXTURES / "side_knees_past_toes.mp4"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture()
def synthetic_npz(tmp_path):
    p = tmp_path / "synthetic.npz"
    save_npz(squat_sequence(3), p)
    return p


# --- re-scoring saved landmarks (no model) -----------------------------------------------------

def test_from_landmarks_writes_a_report_that_keeps_the_contract(capsys, tmp_path, synthetic_npz):
    report, csv = tmp_path / "r.json", tmp_path / "reps.csv"
    code, out, _ = run(capsys, "analyze", "--from-landmarks", synthetic_npz, "--report", report,
                       "--csv", csv)
    assert code == 0
    assert "3 rep(s), side view" in out
    data = json.loads(report.read_text())
    assert data["rep_count"] == 3 and data["view"] == "side"
    for rep in data["reps"]:
        assert set(rep) >= {"bottom_s", "depth", "knee_past_toes", "knees_cave_in",
                            "thigh_angle_deg", "knee_over_toe_ratio", "shin_angle_deg"}
        assert rep["depth"] in ("above_parallel", "parallel", "below_parallel", "unclear")
        assert rep["knee_past_toes"] in (True, False, None)
    assert [r["bottom_s"] for r in data["reps"]] == sorted(r["bottom_s"] for r in data["reps"])
    lines = csv.read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("rep,start_s,bottom_s")


def test_profile_and_overrides_change_the_flags(capsys, tmp_path, synthetic_npz):
    r1, r2 = tmp_path / "a.json", tmp_path / "b.json"
    run(capsys, "analyze", "--from-landmarks", synthetic_npz, "--report", r1, "--profile", "general")
    run(capsys, "analyze", "--from-landmarks", synthetic_npz, "--report", r2,
        "--set", "knee_over_toe_max_ratio=-0.5")
    a, b = json.loads(r1.read_text()), json.loads(r2.read_text())
    assert all("knee_travel" not in r["flags"] for r in a["reps"])
    assert all("knee_travel" in r["flags"] for r in b["reps"])
    assert b["thresholds"]["knee_over_toe_max_ratio"] == -0.5


@pytest.mark.parametrize("argv,words", [
    (["analyze", "--from-landmarks", "nope.npz"], "not found"),
    (["analyze", "--from-landmarks", "{bad}"], "not a formcheck landmarks file"),
    (["analyze", "--from-landmarks", "{good}", "--set", "no_such=1"], "Unknown threshold"),
    (["analyze", "--from-landmarks", "{good}", "--set", "fppa_max_deg=abc"], "not a number"),
    (["analyze"], "Give a video file"),
    (["analyze", "--from-landmarks", "{good}", "--model", "heavy.task"],
     "--model chooses the pose model that tracks a video; synthetic.npz holds landmarks already "
     "tracked, so it would not be used."),
    (["analyze", "missing.mp4"], "File not found"),
    (["eval", "--videos", "nowhere", "--labels", "nowhere/LABELS.tsv"], "Labels file not found"),
])
def test_bad_arguments_give_a_message_and_exit_2(capsys, tmp_path, synthetic_npz, argv, words):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not numpy")
    argv = [a.replace("{bad}", str(bad)).replace("{good}", str(synthetic_npz)) for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert words in err


# --- bad video files ---------------------------------------------------------------------------

def test_not_a_video(capsys, tmp_path):
    p = tmp_path / "notes.mp4"
    p.write_text("shopping list: eggs, milk\n" * 50)
    code, _, err = run(capsys, "analyze", p)
    assert code == 2 and "Cannot read notes.mp4 as a video" in err and "export it again" in err
    assert p.read_text().startswith("shopping list")      # the user's file is untouched


def test_empty_file(capsys, tmp_path):
    p = tmp_path / "empty.mov"
    p.write_bytes(b"")
    code, _, err = run(capsys, "analyze", p)
    assert code == 2 and "empty (0 bytes)" in err


def test_zero_frames(capsys, tmp_path):
    import av

    p = tmp_path / "noframes.mp4"
    with av.open(str(p), "w") as out:
        s = out.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()              # header written, not one frame
    code, _, err = run(capsys, "analyze", p)
    assert code == 2 and "noframes.mp4 has no video track" in err


@pytest.mark.parametrize("ext,kind", [(".png", "PNG"), (".jpg", "JPEG")])
def test_a_photo_renamed_as_a_video_is_called_a_still_image(capsys, tmp_path, ext, kind):
    import cv2

    pic = tmp_path / f"pic{ext}"
    cv2.imwrite(str(pic), np.full((120, 160, 3), 128, np.uint8))
    p = tmp_path / "holiday.mp4"
    p.write_bytes(pic.read_bytes())
    code, _, err = run(capsys, "analyze", p)
    assert code == 2
    assert f"holiday.mp4 is a still image ({kind}), not a video." in err


def test_truncated_file(capsys, tmp_path):
    """One process (FFmpeg's frame threads end the stream quietly at the cut: the pictures stop
    before the header's duration) and the default two workers (a chunk decodes in one thread,
    which reports the cut packet as an error: parallel.CHUNK_DECODER_THREADS): either way the
    part before the cut is analysed and the warning says where the file is cut."""
    p = tmp_path / "cut.mp4"
    data = DEMO.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    code, _, err = run(capsys, "analyze", p, "--workers", "1")
    assert code == 3   # analysed: the first half is there
    assert "The file ends early" in err and "(damaged or cut off)" in err
    code, _, err = run(capsys, "analyze", p)
    assert code == 3
    assert "The file is damaged or cut off after 4.3 s; analysed the part before that." in err


def test_no_person(capsys, tmp_path):
    p = write_clip(tmp_path / "wall.mp4", [np.full((96, 128, 3), 90 + i % 5, np.uint8)
                                           for i in range(30)])
    code, _, err = run(capsys, "analyze", p)
    assert code == 2 and "No person was found" in err


def test_too_long_is_refused_with_what_to_do(capsys, tmp_path):
    frames = [np.full((16, 16, 3), 100, np.uint8)] * 40
    p = write_clip(tmp_path / "long.mp4", frames, fps=Fraction(1, 50))   # 40 frames, 33 minutes
    code, _, err = run(capsys, "analyze", p)
    assert code == 2 and "Trim it" in err


@pytest.mark.parametrize("w,h,ok", [(1920, 1080, True), (3840, 2160, True), (9000, 6000, False)])
def test_size_limits(w, h, ok):
    info = VideoInfo("x.mp4", w, h, 30.0, 10.0, 0, "h264")
    if ok:
        check_limits(info)
    else:
        with pytest.raises(VideoTooLargeError, match="Export it at 1080p"):
            check_limits(info)


def test_unwritable_output_says_so_and_keeps_the_landmarks(capsys, tmp_path, synthetic_npz):
    code, _, err = run(capsys, "analyze", "--from-landmarks", synthetic_npz,
                       "--report", tmp_path / "no" / "such" / "dir" / "r.json")
    assert code == 2 and "does not exist" in err
    assert load_npz(synthetic_npz).t_s.size > 0


def test_a_bad_output_path_is_refused_before_tracking(capsys, tmp_path, monkeypatch):
    import formcheck.pipeline

    def never(*a, **k):
        raise AssertionError("tracking ran before the output paths were checked")

    monkeypatch.setattr(formcheck.pipeline, "analyze_video", never)
    code, _, err = run(capsys, "analyze", DEMO, "--annotated", tmp_path / "nope" / "a.mp4")
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "analyze", DEMO, "--annotated", tmp_path / "a.avi")
    assert code == 2 and ".mp4" in err


# --- clips that can be partly measured (MediaPipe runs) ---------------------------------------

@pytest.fixture(scope="module")
def demo_frames():
    return read_frames(DEMO)


@pytest.fixture(scope="module")
def demo_fps():
    return json.loads(DEMO.with_suffix(".truth.json").read_text())["fps"]


@pytest.mark.slow
def test_person_leaves_the_picture(capsys, tmp_path, demo_frames, demo_fps):
    bg = demo_frames[0][5:15, 5:15].reshape(-1, 3).mean(axis=0).astype(np.uint8)
    frames = [f if i < len(demo_frames) * 0.72 else np.broadcast_to(bg, f.shape).copy()
              for i, f in enumerate(demo_frames)]     # gone after the second rep
    p = write_clip(tmp_path / "leaves.mp4", frames, fps=demo_fps)
    report = tmp_path / "r.json"
    code, _, err = run(capsys, "analyze", p, "--report", report)
    assert code == 3 and "found in only" in err
    data = json.loads(report.read_text())
    assert data["rep_count"] == 2                      # the reps before leaving still count
    assert all(r["knee_past_toes"] is True for r in data["reps"])


@pytest.mark.slow
def test_feet_cut_off_make_knee_over_toe_null_with_the_reason(capsys, tmp_path, demo_frames,
                                                            demo_fps):
    h = demo_frames[0].shape[0]
    keep = int(h * 0.86) // 2 * 2     # the camera was aimed too high: no feet in the picture
    frames = [np.ascontiguousarray(f[:keep]) for f in demo_frames]
    p = write_clip(tmp_path / "nofeet.mp4", frames, fps=demo_fps)
    report = tmp_path / "r.json"
    code, _, err = run(capsys, "analyze", p, "--report", report)
    data = json.loads(report.read_text())
    assert code == 3 and "Feet not clearly visible" in err
    assert data["rep_count"] == 3
    for r in data["reps"]:
        assert r["knee_past_toes"] is None and r["knee_over_toe_ratio"] is None
        assert "feet" in r["unmeasured"]["knee_over_toe"]
        assert r["thigh_angle_deg"] is not None


@pytest.mark.slow
def test_more_than_one_person_is_reported(capsys, tmp_path, demo_frames, demo_fps):
    frames = [np.concatenate([f, f[:, ::-1]], axis=1) for f in demo_frames[::2]]
    p = write_clip(tmp_path / "two.mp4", frames, fps=demo_fps / 2)
    code, _, err = run(capsys, "analyze", p)
    assert code == 3 and "More than one person" in err


@pytest.mark.slow
def test_cli_subprocess_prints_no_traceback_for_a_bad_file(tmp_path):
    p = tmp_path / "broken.webm"
    p.write_bytes(os.urandom(4096))
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    r = subprocess.run([sys.executable, "-m", "formcheck.cli", "analyze", str(p)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "formcheck:" in r.stderr


@pytest.mark.skipif(__import__("shutil").which("pdftotext") is None,
                    reason="needs pdftotext (Debian poppler-utils; .ci/run installs it)")
def test_pdf_report_from_the_command_line(capsys, tmp_path, synthetic_npz):
    pdf = tmp_path / "session.pdf"
    code, _, _ = run(capsys, "analyze", "--from-landmarks", synthetic_npz, "--pdf", pdf,
                     "--profile", "knee-rehab")
    assert code == 0 and pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "education, not diagnosis" in text and "knee-rehab" in text


@pytest.mark.slow
def test_mediapipe_log_lines_are_silenced_unless_verbose():
    """A real CLI run (model and worker processes included): MediaPipe's C++ log lines
    (W0000 ..., INFO: Created TensorFlow Lite ...) reach stderr only with --verbose: as they are
    printed, or, those caught while the model loads, through our log ("... mediapipe: W0000 ...")."""
    from formcheck.pose import NATIVE_LOG

    clip = FIXTURES / "side_knees_past_toes.mp4"

    def run(*flags):
        p = subprocess.run([sys.executable, "-m", "formcheck.cli", *flags, "analyze", str(clip)],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("side_knees_past_toes.mp4: 3 rep(s)")
        return [ln for ln in p.stderr.splitlines()
                if NATIVE_LOG.match(ln.split(" mediapipe: ", 1)[-1])]

    assert run() == []
    if default_backend() == "legacy":
        # the legacy graph prints them, and does when asked; the Tasks backend (3.13) printed
        # none in CI's run at all, so there is nothing to show with --verbose there
        assert len(run("--verbose")) >= 1


def test_eval_warns_about_cached_landmarks_that_do_not_name_their_pose_backend(tmp_path, capsys):
    """A cached landmarks file saved before provenance was recorded is scored with the legacy
    backend's corrections (issue 19: 22 files of the Tasks cache were); eval says so and what
    to do, and is silent about one that names its backend."""
    from formcheck.pose import provenance

    videos, cache = tmp_path / "videos", tmp_path / "cache"
    videos.mkdir()
    cache.mkdir()
    (videos / "LABELS.tsv").write_text(
        "file\tview\trep_count\trep_bottoms_s\tdepth_per_rep\tknee_past_toes_per_rep\t"
        "knees_cave_in_per_rep\na__one.mp4\tside\t3\t\t\t\t\nb__two.mp4\tside\t3\t\t\t\t\n")
    for name in ("a__one.mp4", "b__two.mp4"):
        (videos / name).write_bytes(b"")
        os.utime(videos / name, (1_000_000, 1_000_000))
    save_npz(squat_sequence(3), cache / "a__one.npz")
    save_npz(squat_sequence(3).replace(meta={"provenance": provenance("tasks")}),
             cache / "b__two.npz")
    code, _, err = run(capsys, "eval", "--videos", videos, "--labels", videos / "LABELS.tsv",
                       "--cache", cache)
    assert code == 0
    warned = [ln for ln in err.splitlines() if "does not name the pose backend" in ln]
    assert warned == [f"formcheck: warning: {cache / 'a__one.npz'} does not name the pose "
                      "backend that made it, so it is scored with the legacy backend's "
                      "corrections; delete it to track again, or run "
                      "tools/stamp_provenance.py on the cache with the environment that made it"]


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """`formcheck ... | head`: the reader has gone before formcheck writes. The command stops
    with the exit status of SIGPIPE (141) and writes nothing to stderr (it used to say
    "Broken pipe: . Check the path and that you may write there.")."""
    r, w = os.pipe()
    os.close(r)                       # the reader is gone: every write to w fails with EPIPE
    env = {**os.environ, "FORMCHECK_DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.db'}"}
    try:
        p = subprocess.run([sys.executable, "-m", "formcheck.cli", "clients", "--json"], stdout=w,
                           stderr=subprocess.PIPE, env=env, timeout=120)
    finally:
        os.close(w)
    assert (p.returncode, p.stderr.decode()) == (141, "")
