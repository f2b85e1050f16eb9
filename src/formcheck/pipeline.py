"""Clip -> PoseSequence -> Analysis: the edge that joins video, MediaPipe and the pure pipeline."""

from __future__ import annotations

from pathlib import Path

from .analysis import Analysis, analyze_sequence
from .landmarks import PoseSequence
from .pose import ProgressFn, track_video
from .thresholds import Thresholds


def analyze_video(path: str | Path, thresholds: Thresholds, profile: str = "custom",
                  view: str = "auto", progress: ProgressFn | None = None,
                  max_fps: float | None = 30.0, max_duration_s: float | None = None,
                  model: str | Path | None = None, backend: str | None = None
                  ) -> tuple[Analysis, PoseSequence]:
    """Track and analyse a clip. Returns the analysis and the raw landmarks (for re-scoring).
    model: another pose .task file; backend: "tasks" / "legacy" (see formcheck.pose)."""
    warnings: list[str] = []
    seq = track_video(path, max_fps=max_fps, progress=progress, warnings=warnings,
                      max_duration_s=max_duration_s, model=model, backend=backend)
    return analyze_sequence(seq, thresholds, profile, view, warnings=warnings), seq
