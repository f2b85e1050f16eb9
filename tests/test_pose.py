"""The pose model: shipped as package data, loaded without any download, replaceable with --model,
and bad models or backends refused with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from importlib import resources

import numpy as np
import pytest

from conftest import FIXTURES, read_frames
from formcheck.cli import main
from formcheck.pose import BACKEND_ENV, MODEL_FILE, PoseEstimator, bundled_model

DEMO = FIXTURES / "side_knees_past_toes.mp4"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_the_model_is_package_data_with_the_two_networks():
    ref = resources.files("formcheck").joinpath("models", MODEL_FILE)
    with ref.open("rb") as f, zipfile.ZipFile(f) as z:
        assert sorted(z.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        assert z.getinfo("pose_detector.tflite").file_size == 2959178
        assert z.getinfo("pose_landmarks_detector.tflite").file_size == 6438942
    assert resources.files("formcheck").joinpath("models", "LICENSE").read_text().lstrip().startswith(
        "Apache License")


def test_a_missing_model_file_is_named_with_what_to_do(capsys, tmp_path):
    code, _, err = run(capsys, "analyze", DEMO, "--model", tmp_path / "heavy.task")
    assert code == 2
    assert "heavy.task" in err and "--model" in err


def test_a_file_that_is_not_a_task_is_refused(capsys, tmp_path):
    p = tmp_path / "notes.task"
    p.write_text("not a model")
    code, _, err = run(capsys, "analyze", DEMO, "--model", p)
    assert code == 2 and "notes.task is not a MediaPipe .task file" in err


def test_a_zip_without_pose_networks_is_refused(capsys, tmp_path):
    p = tmp_path / "other.task"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hand_detector.tflite", b"\0" * 64)
    code, _, err = run(capsys, "analyze", DEMO, "--model", p)
    assert code == 2 and "could not load the model other.task" in err


def test_an_unknown_backend_is_refused(capsys, monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "gpu-magic")
    code, _, err = run(capsys, "analyze", DEMO)
    assert code == 2 and "FORMCHECK_POSE_BACKEND='gpu-magic' is not a pose backend" in err


@pytest.mark.slow
def test_model_path_runs_that_file(tmp_path):
    """--model runs the Tasks backend on that file (mediapipe 0.10.21 and 1.x both have it)."""
    p = tmp_path / "copy.task"
    p.write_bytes(bundled_model())
    frames = read_frames(DEMO)[:12]
    with PoseEstimator(backend="tasks") as a, PoseEstimator(model=p) as b:
        for i, rgb in enumerate(frames):
            fa, fb = a.process(rgb, t_s=i / 24), b.process(rgb, t_s=i / 24)
            assert np.isfinite(fa.xy_px).all()
            np.testing.assert_array_equal(fa.xy_px, fb.xy_px)


@pytest.mark.slow
def test_repeated_timestamps_are_accepted():
    rgb = read_frames(DEMO)[0]
    with PoseEstimator() as est:
        first = est.process(rgb, t_s=1.0)
        again = est.process(rgb, t_s=1.0)        # a camera repeating a timestamp
        assert np.isfinite(first.xy_px).all() and np.isfinite(again.xy_px).all()
    with pytest.raises(RuntimeError, match="closed"):
        est.process(rgb)


@pytest.mark.slow
def test_the_tasks_backend_gives_each_frames_own_landmarks_not_mediapipes_smoothed_ones():
    """The Tasks API smooths one person's landmarks and visibility over time in VIDEO mode; the
    backend undoes that (see pose.py), as the legacy one runs with smoothing off. After the
    picture jumps from standing to the bottom of the squat, six frames on give what a fresh
    tracker gives on that picture. With MediaPipe's smoothing left on they still differed by
    3.8 px and 0.13 in visibility (0.7 px and 0.016 without)."""
    frames = read_frames(DEMO)
    standing, bottom = frames[0], frames[50]
    with PoseEstimator(backend="tasks") as jumped, PoseEstimator(backend="tasks") as fresh:
        for i, rgb in enumerate([standing] * 5 + [bottom] * 6):
            after_jump = jumped.process(rgb, t_s=i / 24)
        for i in range(6):
            only_bottom = fresh.process(bottom, t_s=i / 24)
    legs = slice(23, 33)
    assert np.abs(after_jump.visibility[legs] - only_bottom.visibility[legs]).max() < 0.04
    assert np.abs(after_jump.xy_px[legs] - only_bottom.xy_px[legs]).max() < 1.5


@pytest.mark.slow
def test_after_losing_the_person_the_tasks_backend_gives_what_a_single_picture_gives():
    """When the person comes back, MediaPipe runs the detector and then the landmark model on
    the detector's box, as it does for a single picture (still=True): so the frame's own
    landmarks are exactly those of the still picture. MediaPipe's video-mode smoothing would
    mix in the frames from before the person left; the backend must have undone it."""
    frames = read_frames(DEMO)
    empty = np.empty_like(frames[0])
    empty[:] = np.median(frames[0][:, :8].reshape(-1, 3), axis=0).astype(np.uint8)
    with PoseEstimator(backend="tasks") as video, PoseEstimator(backend="tasks", still=True) as still:
        for i, rgb in enumerate(frames[:3] + [empty] * 3 + [frames[50]]):
            back = video.process(rgb, t_s=i / 24)
        alone = still.process(frames[50])
    assert np.isfinite(back.xy_px).all()
    assert np.abs(back.visibility - alone.visibility).max() < 1e-4
    assert np.abs(back.xy_px - alone.xy_px).max() < 0.05


@pytest.mark.slow
def test_a_still_picture_with_two_people_gives_two_poses():
    rgb = read_frames(DEMO)[0]
    two = np.ascontiguousarray(np.concatenate([rgb, rgb[:, ::-1]], axis=1))
    with PoseEstimator(still=True, num_poses=2, backend="tasks") as est:
        poses = est.detect_all(two)
    assert len(poses) == 2
    hips_x = sorted(float(np.nanmean(p.xy_px[[23, 24], 0])) for p in poses)
    w = rgb.shape[1]
    assert hips_x[0] < w < hips_x[1]


@pytest.mark.slow
def test_no_error_at_interpreter_exit(tmp_path):
    """PoseLandmarker's finaliser raises at exit if the model was not closed; ours is."""
    code = ("import numpy as np\nfrom formcheck.pose import PoseEstimator\n"
            "with PoseEstimator() as e:\n    e.process(np.zeros((64, 64, 3), np.uint8), t_s=0.0)\n"
            "e2 = PoseEstimator(still=True)\ne2.process(np.zeros((64, 64, 3), np.uint8))\ne2.close()\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Exception ignored" not in r.stderr and "Traceback" not in r.stderr


def test_the_legacy_backend_without_its_mediapipe_says_what_to_do(capsys, monkeypatch):
    mp = pytest.importorskip("mediapipe")
    if hasattr(mp, "solutions"):
        pytest.skip("this mediapipe still has the legacy API")
    monkeypatch.setenv(BACKEND_ENV, "legacy")
    code, _, err = run(capsys, "analyze", DEMO)
    assert code == 2 and "needs mediapipe 0.10.21" in err and "unset FORMCHECK_POSE_BACKEND" in err


@pytest.mark.slow
def test_the_command_line_prints_no_mediapipe_chatter(tmp_path):
    """MediaPipe's C++ log lines go to formcheck's logger, not the user's terminal (Tasks
    backend; the legacy one may still print a line from one of its threads)."""
    r = subprocess.run([sys.executable, "-m", "formcheck.cli", "analyze", str(DEMO)],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONWARNINGS="ignore", FORMCHECK_POSE_BACKEND="tasks"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stderr == ""
    assert r.stdout.startswith("side_knees_past_toes.mp4: 3 rep(s)")
