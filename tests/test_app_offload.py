"""The upload page tracks in the engine's worker processes, not in the web server's threads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
CLIP = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"


@pytest.mark.slow
def test_an_upload_is_tracked_in_worker_processes_and_shows_the_results():
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    import formcheck.pose as pose
    from formcheck.app import offload

    calls = {"n": 0}
    original = pose.PoseEstimator.process

    def counting(self, *a, **k):
        calls["n"] += 1
        return original(self, *a, **k)

    pose.PoseEstimator.process = counting
    try:
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()
        at.file_uploader[0].set_value((CLIP.name, CLIP.read_bytes(), "video/mp4"))
        at.run()
        assert not at.exception
        assert not at.error
        assert at.session_state["model_runs"] == 1
        assert at.session_state["analysis"].rep_count == 3
        assert calls["n"] == 0          # no frame went through MediaPipe in this process
        engine = offload.app_engine()
        assert engine.start_method == "spawn"
        workers = engine.client.scheduler_info()["workers"].values()
        assert len(workers) == engine.workers
        # the engine's workers did the tracking: their processes have the model loaded

        pids = engine.client.run(os.getpid)
        assert os.getpid() not in pids.values()
        loaded = engine.client.run(lambda: "mediapipe" in __import__("sys").modules)
        assert list(loaded.values()) == [True] * engine.workers
    finally:
        pose.PoseEstimator.process = original
        offload.app_engine().close()
        offload.app_engine.clear()
