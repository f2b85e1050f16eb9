"""Issue 19: the report and the saved landmarks name the pose backend, model file and
mediapipe version that made the landmarks."""

import json

import pytest

from formcheck.analysis import analyze_sequence
from formcheck.landmarks import load_npz, save_npz
from formcheck.pose import provenance
from formcheck.report import to_dict
from formcheck.synthetic import squat_sequence
from formcheck.thresholds import get_profile


def test_provenance_names_backend_model_and_mediapipe_version():
    import mediapipe

    p = provenance("legacy")
    assert p == {"pose_backend": "legacy", "model_file": "pose_landmark_full.tflite "
                 "(mediapipe solutions.pose, model_complexity=1)",
                 "mediapipe_version": mediapipe.__version__}
    assert provenance("tasks", "/x/heavy.task")["model_file"] == "heavy.task"
    assert provenance("tasks")["model_file"] == "pose_landmarker_full.task"


def test_saved_landmarks_and_the_report_carry_it(tmp_path):
    prov = provenance("legacy")
    seq = squat_sequence(2)
    seq = seq.replace(meta={"provenance": prov})
    save_npz(seq, tmp_path / "a.npz")
    back = load_npz(tmp_path / "a.npz")
    assert back.meta == {"provenance": prov}
    report = json.loads(json.dumps(to_dict(analyze_sequence(back, get_profile("general")))))
    assert report["provenance"] == prov
    # files saved before provenance was recorded still load, and say it is unknown
    save_npz(squat_sequence(2), tmp_path / "old.npz")
    old = load_npz(tmp_path / "old.npz")
    assert old.meta == {}
    assert to_dict(analyze_sequence(old, get_profile("general")))["provenance"][
        "pose_backend"] == "unknown"


@pytest.mark.slow
def test_a_tracked_clip_reports_the_backend_that_tracked_it():
    """The clip path (chunk tracking and its join) keeps the pose model's provenance: the
    report of a freshly tracked clip names the backend in use, not 'unknown'."""
    from conftest import ROOT

    from formcheck.pipeline import analyze_video
    from formcheck.pose import default_backend

    a, _ = analyze_video(ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4",
                      get_profile("general"), "general")
    prov = to_dict(a)["provenance"]
    assert prov["pose_backend"] == default_backend()
    import mediapipe

    assert prov["mediapipe_version"] == mediapipe.__version__


def test_stamp_provenance_names_the_backend_in_cached_files_that_lack_it(tmp_path, capsys):
    """tools/stamp_provenance.py: a cached landmarks file saved before provenance was recorded
    is taken for the legacy backend's (metrics.thigh_bias_for); stamped with this environment's
    backend it carries that backend's correction, its landmarks and modification time kept.
    A cache that names another backend than this environment's is refused."""
    import os
    import sys

    import numpy as np

    from conftest import ROOT
    from formcheck.metrics import pose_backend_of, thigh_bias_for
    from formcheck.pose import default_backend

    sys.path.insert(0, str(ROOT / "tools"))
    import stamp_provenance

    seq = squat_sequence()
    bare, named = tmp_path / "a__bare.npz", tmp_path / "b__named.npz"
    save_npz(seq, bare)
    save_npz(seq.replace(meta={"provenance": provenance(default_backend())}), named)
    os.utime(bare, ns=(1_000_000_000, 2_000_000_000))
    assert pose_backend_of(load_npz(bare).meta) is None
    assert stamp_provenance.main([str(tmp_path)]) == 0
    got = load_npz(bare)
    assert got.meta["provenance"] == provenance(default_backend())
    assert thigh_bias_for(got.meta) == thigh_bias_for({"provenance": provenance(default_backend())})
    assert np.array_equal(got.xy_px, load_npz(named).xy_px, equal_nan=True)
    assert bare.stat().st_mtime_ns == 2_000_000_000
    assert "a__bare.npz: no provenance -> " + default_backend() in capsys.readouterr().out
    other = "tasks" if default_backend() == "legacy" else "legacy"
    save_npz(seq.replace(meta={"provenance": provenance(other)}), tmp_path / "c__other.npz")
    assert stamp_provenance.main([str(tmp_path)]) == 1
