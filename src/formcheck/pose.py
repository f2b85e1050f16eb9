"""MediaPipe BlazePose, and the only module that imports mediapipe.

Frames in, PoseSequence out. Full model (model_complexity=1, shipped in the 0.10.21 wheel),
tracking mode (static_image_mode=False), MediaPipe's own smoothing off: clean.py filters
with the real timestamps instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .landmarks import N_LANDMARKS, PoseSequence
from .video import Frame, check_limits, iter_frames, prefetch, probe

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]  # (seconds done, seconds total)


@dataclass
class FramePose:
    """One frame's landmarks, in display pixels."""

    xy_px: np.ndarray       # (33, 2)
    z: np.ndarray           # (33,)
    visibility: np.ndarray  # (33,)
    world_m: np.ndarray     # (33, 3)

    @classmethod
    def missing(cls) -> "FramePose":
        nan2 = np.full((N_LANDMARKS, 2), np.nan)
        return cls(nan2, np.full(N_LANDMARKS, np.nan), np.zeros(N_LANDMARKS),
                   np.full((N_LANDMARKS, 3), np.nan))


class PoseEstimator:
    """A BlazePose full model in tracking mode. Use one per video or per live session; close it."""

    def __init__(self, min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5):
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False, model_complexity=1, smooth_landmarks=False,
            enable_segmentation=False, min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)

    def process(self, rgb: np.ndarray, width_px: int | None = None,
                height_px: int | None = None) -> FramePose:
        """Landmarks for one RGB frame, in pixels of a (width_px x height_px) picture."""
        h, w = rgb.shape[:2]
        width_px = width_px or w
        height_px = height_px or h
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return FramePose.missing()
        lms = result.pose_landmarks.landmark
        arr = np.array([(p.x, p.y, p.z, p.visibility) for p in lms], dtype=np.float64)
        xy = arr[:, :2] * np.array([width_px, height_px], dtype=np.float64)
        world = np.full((N_LANDMARKS, 3), np.nan)
        if result.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark])
        return FramePose(xy, arr[:, 2], arr[:, 3], world)

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def track_frames(frames: Iterable[Frame], width_px: int, height_px: int, fps: float,
                 source: str = "", progress: ProgressFn | None = None,
                 total_s: float = 0.0, on_frame: Callable[[Frame, FramePose], None] | None = None
                 ) -> PoseSequence:
    """Run pose on each frame; frames are streamed, only landmarks are kept."""
    ts, xys, zs, vis, worlds = [], [], [], [], []
    with PoseEstimator() as est:
        for frame in frames:
            fp = est.process(frame.rgb, width_px, height_px)
            ts.append(frame.t_s)
            xys.append(fp.xy_px)
            zs.append(fp.z)
            vis.append(fp.visibility)
            worlds.append(fp.world_m)
            if on_frame is not None:
                on_frame(frame, fp)
            if progress is not None:
                progress(frame.t_s, total_s)
    if not ts:
        return PoseSequence.empty(width_px, height_px, fps, source)
    return PoseSequence(np.asarray(ts, dtype=np.float64), np.stack(xys), np.stack(zs),
                        np.stack(vis), np.stack(worlds), width_px, height_px, fps, source)


def track_video(path: str | Path, max_fps: float | None = 30.0, progress: ProgressFn | None = None,
                warnings: list[str] | None = None, max_duration_s: float | None = None
                ) -> PoseSequence:
    """Decode a clip (in a background thread) and track the person in it."""
    info = probe(path)
    if max_duration_s is not None:
        check_limits(info, max_duration_s)
    else:
        check_limits(info)
    frames = prefetch(iter_frames(path, max_fps=max_fps, warnings=warnings))
    seq = track_frames(frames, info.width_px, info.height_px, info.fps, str(Path(path).name),
                       progress=progress, total_s=info.duration_s)
    return seq
