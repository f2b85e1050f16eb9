"""Clip -> PoseSequence -> Analysis: the edge that joins video, MediaPipe and the pure pipeline."""

from __future__ import annotations

from pathlib import Path

from .analysis import Analysis, analyze_sequence
from .errors import NoPersonError, VideoOpenError
from .landmarks import PoseSequence
from .pose import ProgressFn, track_video
from .thresholds import Thresholds


def analyze_video(path: str | Path, thresholds: Thresholds, profile: str = "custom",
                  view: str = "auto", progress: ProgressFn | None = None,
                  max_fps: float | None = 30.0, max_duration_s: float | None = None
                  ) -> tuple[Analysis, PoseSequence]:
    """Track and analyse a clip. Returns the analysis and the raw landmarks (for re-scoring)."""
    warnings: list[str] = []
    seq = track_video(path, max_fps=max_fps, progress=progress, warnings=warnings,
                      max_duration_s=max_duration_s)
    try:
        return analyze_sequence(seq, thresholds, profile, view, warnings=warnings), seq
    except NoPersonError:
        damaged = [w for w in warnings if "damaged" in w]
        if not damaged:
            raise
        # the reason is the damage, not the filming
        raise VideoOpenError(f"{Path(path).name} is damaged: {damaged[0]} Nobody was found in "
                             "the part that could be read. Copy or export the clip again (the "
                             "original on the phone or camera is usually intact).") from None
