"""Clip -> PoseSequence -> Analysis: the edge that joins video, MediaPipe and the pure pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .analysis import Analysis, analyze_sequence
from .landmarks import PoseSequence
from .pose import ProgressFn, track_video
from .thresholds import Thresholds

if TYPE_CHECKING:
    from .engine import Engine


def analyze_video(path: str | Path, thresholds: Thresholds, profile: str = "custom",
                  view: str = "auto", progress: ProgressFn | None = None,
                  max_fps: float | None = 30.0, max_duration_s: float | None = None,
                  engine: "Engine | None" = None) -> tuple[Analysis, PoseSequence]:
    """Track and analyse a clip. Returns the analysis and the raw landmarks (for re-scoring).

    With an `engine` (engine.py), the clip's chunks are tracked in parallel on its workers;
    without, in this process."""
    warnings: list[str] = []
    track = engine.track_video if engine is not None else track_video
    seq = track(path, max_fps=max_fps, progress=progress, warnings=warnings,
                max_duration_s=max_duration_s)
    return analyze_sequence(seq, thresholds, profile, view, warnings=warnings), seq
