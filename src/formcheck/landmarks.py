"""The pose data every other module works on: BlazePose landmark names and PoseSequence."""

from __future__ import annotations

import os

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np

from .errors import LandmarksFileError

N_LANDMARKS = 33
FORMAT_VERSION = 1


class Landmark(IntEnum):
    """BlazePose's 33 landmarks, in MediaPipe's order."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# Joints of one leg, by side.
LEG = {
    "left": (Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE,
             Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    "right": (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE,
              Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
}

# Skeleton edges for drawing.
SKELETON = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW), (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW), (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP), (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE), (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE), (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL), (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL), (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
)


def _check_shape(name: str, arr: np.ndarray, shape: tuple) -> None:
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        expected = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"PoseSequence.{name}: expected shape {expected}, got {arr.shape}")


@dataclass(frozen=True)
class PoseSequence:
    """Landmarks of one person over time.

    Shapes (N = frames analysed):
      t_s          (N,)        seconds from the start of the file, increasing
      xy_px        (N, 33, 2)  image position in display pixels (x right, y down); NaN where not found
      z            (N, 33)     MediaPipe's relative depth (hip-centred, in units of image width)
      visibility   (N, 33)     0..1; 0 where not found
      world_m      (N, 33, 3)  MediaPipe world landmarks in metres (hip-centred); NaN where not found
    """

    t_s: np.ndarray
    xy_px: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    world_m: np.ndarray
    width_px: int
    height_px: int
    fps: float
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.t_s.shape[0] if self.t_s.ndim == 1 else -1
        _check_shape("t_s", self.t_s, (None,))
        _check_shape("xy_px", self.xy_px, (n, N_LANDMARKS, 2))
        _check_shape("z", self.z, (n, N_LANDMARKS))
        _check_shape("visibility", self.visibility, (n, N_LANDMARKS))
        _check_shape("world_m", self.world_m, (n, N_LANDMARKS, 3))
        if n > 1 and not np.all(np.diff(self.t_s) > 0):
            raise ValueError("PoseSequence.t_s must be strictly increasing")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def detected(self) -> np.ndarray:
        """(N,) bool: a pose was found in the frame."""
        return ~np.isnan(self.xy_px[:, Landmark.LEFT_HIP, 0])

    def point(self, lm: Landmark) -> np.ndarray:
        """(N, 2) pixel track of one landmark."""
        return self.xy_px[:, int(lm), :]

    def replace(self, **changes) -> "PoseSequence":
        fields = dict(t_s=self.t_s, xy_px=self.xy_px, z=self.z, visibility=self.visibility,
                      world_m=self.world_m, width_px=self.width_px, height_px=self.height_px,
                      fps=self.fps, source=self.source, meta=dict(self.meta))
        fields.update(changes)
        return PoseSequence(**fields)

    @classmethod
    def empty(cls, width_px: int, height_px: int, fps: float, source: str = "") -> "PoseSequence":
        return cls(np.zeros(0), np.zeros((0, N_LANDMARKS, 2)), np.zeros((0, N_LANDMARKS)),
                   np.zeros((0, N_LANDMARKS)), np.zeros((0, N_LANDMARKS, 3)),
                   width_px, height_px, fps, source)


def save_npz(seq: PoseSequence, path: str | Path) -> None:
    """Write landmarks so they can be re-scored later without MediaPipe (atomically)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npz")
    try:
        _savez(seq, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _savez(seq: PoseSequence, path: Path) -> None:
    np.savez_compressed(
        path, format_version=FORMAT_VERSION, t_s=seq.t_s, xy_px=seq.xy_px.astype(np.float32),
        z=seq.z.astype(np.float32), visibility=seq.visibility.astype(np.float32),
        world_m=seq.world_m.astype(np.float32), width_px=seq.width_px, height_px=seq.height_px,
        fps=seq.fps, source=seq.source,
    )


def load_npz(path: str | Path) -> PoseSequence:
    """Read landmarks written by `save_npz` (or `formcheck analyze --landmarks`)."""
    path = Path(path)
    if not path.is_file():
        raise LandmarksFileError(f"Landmarks file not found: {path}. "
                                 "Write one with `formcheck analyze CLIP --landmarks FILE.npz`.")
    try:
        with np.load(path, allow_pickle=False) as d:
            if int(d["format_version"]) > FORMAT_VERSION:
                raise LandmarksFileError(f"{path} was written by a newer formcheck; upgrade formcheck.")
            return PoseSequence(
                t_s=d["t_s"].astype(np.float64), xy_px=d["xy_px"].astype(np.float64),
                z=d["z"].astype(np.float64), visibility=d["visibility"].astype(np.float64),
                world_m=d["world_m"].astype(np.float64), width_px=int(d["width_px"]),
                height_px=int(d["height_px"]), fps=float(d["fps"]), source=str(d["source"]),
            )
    except LandmarksFileError:
        raise
    except Exception as exc:  # zip, key or shape problems all mean the same to the user
        raise LandmarksFileError(
            f"{path} is not a formcheck landmarks file ({type(exc).__name__}: {exc}). "
            "Write one with `formcheck analyze CLIP --landmarks FILE.npz`.") from exc
