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


MULTI_PERSON_SAMPLES = 6


def others_in_picture(samples: list[tuple[np.ndarray, FramePose, float]]) -> int:
    """How many sampled frames show a second person once the tracked one is covered up.

    MediaPipe follows one person; to find others, paint over the tracked person's box and ask a
    fresh detector (the same bundled model, still-image mode) whether anyone is left."""
    if not samples:
        return 0
    import mediapipe as mp

    found = 0
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                min_detection_confidence=0.6) as still:
        for rgb, fp, scale in samples:
            pts = fp.xy_px[fp.visibility > 0.3] * scale
            pts = pts[np.isfinite(pts).all(axis=1)]
            if len(pts) < 5:
                continue
            h, w = rgb.shape[:2]
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            mx, my = 0.25 * (x1 - x0) + 10, 0.15 * (y1 - y0) + 10
            masked = rgb.copy()
            masked[max(0, int(y0 - my)):min(h, int(y1 + my)),
                   max(0, int(x0 - mx)):min(w, int(x1 + mx))] = np.median(rgb, axis=(0, 1))
            res = still.process(masked)
            if res.pose_landmarks is not None:
                v = [res.pose_landmarks.landmark[i].visibility for i in (11, 12, 23, 24)]
                found += float(np.mean(v)) > 0.7
    return found


def track_frames(frames: Iterable[Frame], width_px: int, height_px: int, fps: float,
                 source: str = "", progress: ProgressFn | None = None,
                 total_s: float = 0.0, on_frame: Callable[[Frame, FramePose], None] | None = None,
                 warnings: list[str] | None = None) -> PoseSequence:
    """Run pose on each frame; frames are streamed, only landmarks are kept (and a handful of
    frames to check for other people when `warnings` is given)."""
    ts, xys, zs, vis, worlds = [], [], [], [], []
    samples: list[tuple[np.ndarray, FramePose, float]] = []
    sample_every = max(total_s, 1.0) / MULTI_PERSON_SAMPLES
    next_sample = sample_every / 2
    with PoseEstimator() as est:
        for frame in frames:
            fp = est.process(frame.rgb, width_px, height_px)
            if warnings is not None and frame.t_s >= next_sample and np.isfinite(fp.xy_px).any():
                samples.append((frame.rgb.copy(), fp, frame.scale))
                next_sample += sample_every
            ts.append(frame.t_s)
            xys.append(fp.xy_px)
            zs.append(fp.z)
            vis.append(fp.visibility)
            worlds.append(fp.world_m)
            if on_frame is not None:
                on_frame(frame, fp)
            if progress is not None:
                progress(frame.t_s, total_s)
    if warnings is not None:
        n = others_in_picture(samples)
        if n >= max(1, len(samples) // 3):
            warnings.append(f"More than one person seems to be in the picture ({n} of "
                            f"{len(samples)} checked frames). formcheck follows one of them; if "
                            "the reps look wrong, film with only the person squatting in view.")
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
                       progress=progress, total_s=info.duration_s, warnings=warnings)
    if warnings is not None:
        note_early_end(info.duration_s, seq, warnings)
    return seq


def note_early_end(duration_s: float, seq: PoseSequence, warnings: list[str]) -> None:
    """Warn when the pictures stop well before the duration the file's header claims."""
    if len(seq) and duration_s - seq.t_s[-1] > max(1.0, 0.1 * duration_s):
        if not any("damaged" in w for w in warnings):
            warnings.append(f"The file ends early: its header says {duration_s:.1f} s but "
                            f"pictures stop at {seq.t_s[-1]:.1f} s (damaged or cut off); "
                            "analysed the part that is there.")


def preload() -> None:
    """Import MediaPipe now, so that worker processes forked later start with it loaded."""
    import mediapipe  # noqa: F401
