"""Clip -> PoseSequence -> Analysis: the edge that joins video, MediaPipe and the pure pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .analysis import Analysis, analyze_sequence, check_person
from .errors import NoPersonError, VideoOpenError
from .landmarks import PoseSequence
from .pose import ProgressFn, track_video
from .thresholds import Thresholds

if TYPE_CHECKING:
    import threading

    from .engine import Engine


def analyze_video(path: str | Path, thresholds: Thresholds, profile: str = "custom",
                  view: str = "auto", progress: ProgressFn | None = None,
                  max_fps: float | None = 30.0, max_duration_s: float | None = None,
                  replay_live: bool = False, engine: "Engine | None" = None,
                  model: str | Path | None = None, backend: str | None = None,
                  cancel: "threading.Event | None" = None) -> tuple[Analysis, PoseSequence]:
    """Track and analyse a clip. Returns the analysis and the raw landmarks (for re-scoring).
    `replay_live` analyses the frames as the live page does, one by one at their timestamps.
    With an `engine` (engine.py), the clip's chunks are tracked in parallel on its workers;
    without, or with another pose `model` (a .task file) or `backend` ("tasks" / "legacy", see
    formcheck.pose), in this process. `cancel` (with an engine): set it from another thread to
    stop the clip's chunks on the workers at their next frame; engine.Cancelled is raised."""
    warnings: list[str] = []
    if engine is not None and model is None and backend is None:
        seq = engine.track_video(path, max_fps=max_fps, progress=progress, warnings=warnings,
                                 max_duration_s=max_duration_s, cancel=cancel)
    else:
        seq = track_video(path, max_fps=max_fps, progress=progress, warnings=warnings,
                          max_duration_s=max_duration_s, model=model, backend=backend)
    try:
        return analyze_landmarks(seq, thresholds, profile, view, warnings, replay_live), seq
    except NoPersonError:
        damaged = [w for w in warnings if "damaged" in w]
        if not damaged:
            raise
        # the reason is the damage, not the filming
        raise VideoOpenError(f"{Path(path).name} is damaged: {damaged[0]} Nobody was found in "
                             "the part that could be read. Copy or export the clip again (the "
                             "original on the phone or camera is usually intact).") from None


def analyze_landmarks(seq: PoseSequence, thresholds: Thresholds, profile: str = "custom",
                      view: str = "auto", warnings: list[str] | None = None,
                      replay_live: bool = False) -> Analysis:
    """Score tracked landmarks by the clip path, or replayed through the live path."""
    if replay_live:
        from .stream import replay

        check_person(seq)
        return replay(seq, thresholds, profile, warnings=warnings)
    return analyze_sequence(seq, thresholds, profile, view, warnings=warnings)
