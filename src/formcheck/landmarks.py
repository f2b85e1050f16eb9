"""The pose data every other module works on: BlazePose landmark names and PoseSequence."""

from __future__ import annotations

import json


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


def save_npz(seq: PoseSequence, path: str | Path, *, exact: bool = False,
             mode: int = 0o666) -> None:
    """Write landmarks so they can be re-scored later without MediaPipe (atomically, created
    with permissions `mode` less the umask). The coordinates are stored as float32 (half the
    size, far finer than the model resolves), or with `exact` as they are (float64), so that
    load_npz gives back the very same numbers."""
    from .atomic import atomic_path

    with atomic_path(Path(path), mode=mode) as tmp:
        _savez(seq, tmp, np.float64 if exact else np.float32)


def _savez(seq: PoseSequence, path: Path, dtype=np.float32) -> None:
    np.savez_compressed(
        path, format_version=FORMAT_VERSION, t_s=seq.t_s, xy_px=seq.xy_px.astype(dtype),
        z=seq.z.astype(dtype), visibility=seq.visibility.astype(dtype),
        world_m=seq.world_m.astype(dtype), width_px=seq.width_px, height_px=seq.height_px,
        fps=seq.fps, source=seq.source,
        **({"provenance": json.dumps(seq.meta["provenance"], sort_keys=True)}
           if seq.meta.get("provenance") else {}),
    )


def _provenance_meta(raw) -> dict:
    """PoseSequence.meta from a file's provenance member (absent in older files: {})."""
    if raw is None:
        return {}
    try:
        prov = json.loads(str(raw))
    except ValueError:
        return {}
    if not isinstance(prov, dict):
        return {}
    return {"provenance": {str(k): str(v) for k, v in prov.items()}}


# Expected members of a landmarks file: name -> (dtype kinds accepted, shape with N for frames).
_MEMBERS = {
    "format_version": ("iu", ()),
    "t_s": ("f", ("N",)),
    "xy_px": ("f", ("N", N_LANDMARKS, 2)),
    "z": ("f", ("N", N_LANDMARKS)),
    "visibility": ("f", ("N", N_LANDMARKS)),
    "world_m": ("f", ("N", N_LANDMARKS, 3)),
    "width_px": ("iu", ()),
    "height_px": ("iu", ()),
    "fps": ("fiu", ()),
    "source": ("U", ()),
}
# Optional members (files written before them still load): the pose model that made the
# landmarks, as JSON ({"pose_backend", "model_file", "mediapipe_version"}; PoseSequence.meta).
_OPTIONAL = {"provenance": ("U", ())}
MAX_SIDE_PX = 16384     # no camera makes larger frames
MAX_ABS_COORD = 1e6     # pixel positions, depths and metres beyond this are not a body


def regular_file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a file, in the user's words, or None when it can."""
    import stat

    try:
        st = path.stat()
    except FileNotFoundError:
        return "was not found"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(st.st_mode):
        return "is a pipe (FIFO), not a file"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "is a device, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file"
    return None


def _npy_header(f) -> tuple[tuple, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"npy format version {version}")
    return tuple(int(x) for x in shape), np.dtype(dtype)


def _check_members(z, limits) -> int:
    """Read every member's npy header (a few hundred bytes each) and check names, kinds and
    shapes against what save_npz writes and the frame limit. Returns N. Nothing large is
    allocated before this passes."""
    names = {n[:-4] if n.endswith(".npy") else n for n in z.namelist()}
    allowed = set(_MEMBERS) | set(_OPTIONAL)
    if len(z.namelist()) != len(names) or not set(_MEMBERS) <= names <= allowed:
        missing, extra = set(_MEMBERS) - names, names - set(_MEMBERS) - set(_OPTIONAL)
        raise ValueError("unexpected contents"
                         + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                         + (f"; unexpected {', '.join(sorted(extra))[:200]}" if extra else ""))
    n = None
    for name, (kinds, shape) in {**_MEMBERS, **{k: v for k, v in _OPTIONAL.items()
                                                if k in names}}.items():
        info = z.getinfo(name + ".npy")
        with z.open(info) as f:
            got, dtype = _npy_header(f)
            header_len = f.tell()
        if dtype.kind not in kinds or dtype.hasobject:
            raise ValueError(f"{name} holds {dtype} values")
        if name in ("source", "provenance") and dtype.itemsize > 4 * 4096:
            raise ValueError(f"{name} is too long")
        if len(got) != len(shape):
            raise ValueError(f"{name} has shape {got}")
        for g, want in zip(got, shape):
            if want == "N":
                if n is None:
                    n = g
                    if n > limits.landmark_frames:
                        raise _TooBig(f"it claims {n:,} frames; at most "
                                      f"{limits.landmark_frames:,} are accepted")
                if g != n:
                    raise ValueError(f"{name} has {g} frames, t_s has {n}")
            elif g != want:
                raise ValueError(f"{name} has shape {got}")
        need = header_len + int(np.prod(got, dtype=np.int64)) * dtype.itemsize
        if info.file_size != need:
            raise ValueError(f"{name} is {info.file_size} bytes where its header says {need}")
    return int(n or 0)


class _TooBig(ValueError):
    pass


def _check_values(seq_arrays: dict, limits) -> None:
    t = seq_arrays["t_s"]
    if not np.all(np.isfinite(t)):
        raise ValueError("frame times are not all finite numbers")
    if len(t) > 1 and not np.all(np.diff(t) > 0):
        raise ValueError("frame times do not increase")
    if len(t) and t[-1] - t[0] > limits.landmark_duration_s:
        raise _TooBig(f"it covers {t[-1] - t[0]:.0f} s; at most "
                      f"{limits.landmark_duration_s:.0f} s are accepted")
    for name in ("xy_px", "z", "world_m", "visibility"):
        a = seq_arrays[name]
        if np.isinf(a).any() or (np.nanmax(np.abs(a), initial=0.0) > MAX_ABS_COORD):
            raise ValueError(f"{name} holds infinite or impossibly large values")
    for name in ("width_px", "height_px"):
        if not 1 <= seq_arrays[name] <= MAX_SIDE_PX:
            raise ValueError(f"{name} is {seq_arrays[name]}")
    if not (np.isfinite(seq_arrays["fps"]) and 0 < seq_arrays["fps"] <= 1000):
        raise ValueError(f"fps is {seq_arrays['fps']}")


def load_npz(path: str | Path, display_name: str | None = None) -> PoseSequence:
    """Read landmarks written by `save_npz` (or `formcheck analyze --landmarks`).

    Bounded whatever the file claims: the file size, then every member's npy header (names,
    dtypes, shapes, frame count) are checked against `formcheck.limits` before any array is
    read, then the values (finite times, sane coordinates, duration). `display_name` is how
    messages name the file (default: the path)."""
    from . import limits as _limits

    path = Path(path)
    name = display_name or str(path)
    lim = _limits.current()
    why = regular_file_problem(path)
    if why == "was not found":
        raise LandmarksFileError(f"Landmarks file not found: {name}. "
                                 "Write one with `formcheck analyze CLIP --landmarks FILE.npz`.")
    if why:
        raise LandmarksFileError(f"{name} {why}.")
    size = path.stat().st_size
    if size > lim.landmark_file_bytes:
        raise LandmarksFileError(
            f"{name} is {size / 2**20:.0f} MB; landmark files are at most "
            f"{lim.landmark_file_bytes / 2**20:.0f} MB (set FORMCHECK_MAX_LANDMARK_FILE_BYTES to "
            "allow more).")
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            _check_members(z, lim)
            arrays = {}
            for member in [*_MEMBERS, *(k for k in _OPTIONAL if k + ".npy" in z.namelist())]:
                with z.open(member + ".npy") as f:
                    arrays[member] = np.lib.format.read_array(f, allow_pickle=False)
        if int(arrays["format_version"]) > FORMAT_VERSION:
            raise LandmarksFileError(f"{name} was written by a newer formcheck; upgrade formcheck.")
        for k in ("width_px", "height_px", "format_version"):
            arrays[k] = int(arrays[k])
        arrays["fps"] = float(arrays["fps"])
        _check_values(arrays, lim)
        return PoseSequence(
            t_s=arrays["t_s"].astype(np.float64), xy_px=arrays["xy_px"].astype(np.float64),
            z=arrays["z"].astype(np.float64), visibility=arrays["visibility"].astype(np.float64),
            world_m=arrays["world_m"].astype(np.float64), width_px=arrays["width_px"],
            height_px=arrays["height_px"], fps=arrays["fps"], source=str(arrays["source"]),
            meta=_provenance_meta(arrays.get("provenance")),
        )
    except LandmarksFileError:
        raise
    except _TooBig as exc:
        raise LandmarksFileError(
            f"{name} is too large to re-score: {exc} (the limits are settings: "
            "FORMCHECK_MAX_LANDMARK_FRAMES, FORMCHECK_MAX_LANDMARK_DURATION_S).") from None
    except Exception as exc:  # zip, header, key or value problems all mean the same to the user
        raise LandmarksFileError(
            f"{name} is not a formcheck landmarks file or is damaged ({exc}). "
            "Write one with `formcheck analyze CLIP --landmarks FILE.npz`.") from None
