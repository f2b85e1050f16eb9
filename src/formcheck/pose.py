"""MediaPipe BlazePose, and the only module that imports mediapipe.

Frames in, PoseSequence out. The BlazePose *full* model in tracking mode: the detector finds the
person, then the landmark model follows them from frame to frame and the detector runs again only
when it loses them. Two backends run it, chosen by the installed mediapipe:

* ``legacy``: ``mp.solutions.pose`` of mediapipe 0.10.21 (installed on Python 3.10-3.12), with
  the model in that wheel and MediaPipe's smoothing off. Used wherever it is installed, because
  formcheck's thresholds were set on it and the Tasks backend does not reproduce its per-rep
  numbers on every real clip (tools/compare_backends.py; README "The pose model").
* ``tasks``: MediaPipe's Tasks API (``PoseLandmarker``, mediapipe 1.x, installed on Python >= 3.13
  where 0.10.21 has no wheel) with the model shipped in this package
  (``models/pose_landmarker_full.task``, built by tools/build_pose_task.py from the same two
  networks). Nothing is downloaded. ``model=PATH`` (CLI ``--model``) runs another ``.task``,
  e.g. a heavy model the user fetched themselves; it needs this backend (mediapipe 0.10.21 has
  the Tasks API too, so ``--model`` works there as well).

FORMCHECK_POSE_BACKEND=tasks|legacy overrides the choice. clean.py filters with the real
timestamps in both cases.

Both backends hand out each frame's own landmarks, unfiltered (formcheck filters them once, in
clean.py). The legacy one is told so (``smooth_landmarks=False``). The Tasks API's VIDEO mode has
no such option: for one person it always smooths the landmarks (a One-Euro filter, driven by the
timestamps) and their visibility (an exponential average, alpha 0.1, whatever the timestamps;
mediapipe/tasks/cc/vision/pose_landmarker/pose_landmarks_detector_graph.cc). So the Tasks backend
(a) gives MediaPipe frame numbers (from 1: at a zero timestamp the filter keeps its default rate for
the next frame) VIDEO_FRAME_GAP_MS apart as timestamps, which makes the One-Euro filter pass each
value through (its weight for the new value is 1 / (1 + 1 / (2 pi f_c dt)) >
0.99996 for dt = 1e5 s), and (b) undoes the visibility average exactly (raw_t = (s_t - (1 - alpha)
s_prev) / alpha, the filter keeping its state across frames without a person). Neither touches
the tracking. The one difference left is not configurable: the legacy graph crops the next frame
around its auxiliary landmarks after a heavy One-Euro filter that is always on
(pose_landmark_filtering.pbtxt), the Tasks graph around the raw ones; the two crops differ by a
few pixels and the landmark model answers a little differently to each (README "The pose model").
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import tempfile
import threading
import types
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .errors import FormcheckError
from .landmarks import N_LANDMARKS, PoseSequence
from .video import MAX_DURATION_S, Frame, check_limits, iter_frames, prefetch, probe

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]  # (seconds done, seconds total)

BACKENDS = ("tasks", "legacy")
VIDEO_FRAME_GAP_MS = 100_000_000  # Tasks VIDEO mode: frame n is given timestamp n * 1e5 s (see above)
TASKS_VISIBILITY_ALPHA = 0.1      # the Tasks graph's visibility low-pass, undone (see above)
BACKEND_ENV = "FORMCHECK_POSE_BACKEND"
MODEL_FILE = "pose_landmarker_full.task"


# MediaPipe's C++ log lines ("INFO: [environment.cc:36] ...", "W0000 00:00:... file.cc:81] ...").
NATIVE_LOG = re.compile(r"^(INFO|WARNING|ERROR|VERBOSE\d*): |^[IWEF]\d{4} \d\d:\d\d:\d\d")
NATIVE_LOG_FIRST = (b"I", b"W", b"E", b"F", b"V")  # the first letters NATIVE_LOG can match
QUIET_FRAMES = 3  # MediaPipe logs once on the first frames
DRAIN_WAIT_S = 2.0  # NativeLogFilter.remove: a bound for a pump thread that died, never reached
_STDERR_LOCK = threading.Lock()  # fd 2 is process-wide: one redirection at a time (app threads)


@contextmanager
def native_logs_to_logger():
    """MediaPipe's C++ side writes dozens of INFO/WARNING lines straight to the process's stderr
    when a model loads and on the first frames. Catch fd 2 meanwhile and hand those lines to our
    logger (INFO, shown with --verbose; errors at WARNING); anything else written then goes back
    to stderr unchanged."""
    with _STDERR_LOCK:
        yield from _redirect_native_logs()


def _redirect_native_logs():
    try:
        fd = sys.stderr.fileno()
        sys.stderr.flush()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. captured by a test)
        yield
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            other = []
            for line in tmp.read().decode("utf-8", "replace").splitlines():
                if NATIVE_LOG.match(line):
                    level = logging.WARNING if line[:1] in "EF" else logging.INFO
                    log.log(level, "mediapipe: %s", line)
                elif line.strip():
                    other.append(line)
            if other:
                sys.stderr.write("\n".join(other) + "\n")


class NativeLogFilter:
    """Process-wide: fd 2 becomes a pipe read by a thread that drops MediaPipe's C++ log lines
    (NATIVE_LOG; handed to our logger at DEBUG) and passes every other line to the real stderr
    (at once, also a progress bar's unfinished line). The CLI installs it unless --verbose.

    Worker processes started meanwhile inherit the pipe as their stderr, so their models' lines
    are dropped too; they keep its write end open for as long as they run, which is why
    `remove` never waits for the pipe's end: it writes a private marker into the pipe and waits
    only until the pump has passed on everything before it (what this process wrote). The pump
    then stays on, a daemon thread writing to its own copy of the real stderr, for whatever
    children still write; it never delays the process's exit."""

    def __init__(self):
        self._saved: int | None = None
        self._thread: threading.Thread | None = None
        self._marker = b"\x00formcheck-stderr-" + secrets.token_hex(8).encode() + b"\x00"
        self._drained = threading.Event()

    def install(self) -> "NativeLogFilter":
        try:
            sys.stderr.flush()
            fd = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            return self            # no real stderr: nothing to filter
        self._fd = fd
        self._saved = os.dup(fd)
        out = os.dup(fd)           # the pump's own copy, open for as long as it runs
        r, w = os.pipe()
        os.dup2(w, fd)
        os.close(w)
        self._thread = threading.Thread(target=self._pump, args=(r, out),
                                        name="native-log-filter", daemon=True)
        self._thread.start()
        return self

    def _pump(self, r: int, out: int) -> None:
        with os.fdopen(r, "rb", buffering=0) as pipe:
            buf = b""
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buf += chunk
                marked = self._marker in buf
                if marked:
                    buf = buf.replace(self._marker, b"")
                *lines, buf = re.split(rb"(?<=[\r\n])", buf)
                if buf and buf[:1] not in NATIVE_LOG_FIRST:   # cannot be a log line: pass it now
                    lines.append(buf)
                    buf = b""
                self._emit(lines, out)
                if marked:
                    self._drained.set()
            if buf:
                self._emit([buf], out)
        os.close(out)

    def _emit(self, lines: list[bytes], out: int) -> None:
        keep = []
        for raw in lines:
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            if NATIVE_LOG.match(line):
                log.debug("mediapipe: %s", line)
            elif raw:
                keep.append(raw)
        if keep:
            try:
                os.write(out, b"".join(keep))
            except OSError:
                pass               # the real stderr is gone (closed terminal): nothing to do

    def remove(self) -> None:
        """Give fd 2 back, once what this process wrote has been passed on. Child processes that
        still hold the pipe do not delay it (see the class's notes)."""
        if self._saved is None:
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        try:
            os.write(self._fd, self._marker)   # after everything this process wrote
            # the pump reaches the marker in a moment; the bound is for a pump that died
            self._drained.wait(DRAIN_WAIT_S)
        except OSError:
            pass
        os.dup2(self._saved, self._fd)
        os.close(self._saved)
        self._saved = None

    def __enter__(self) -> "NativeLogFilter":
        return self.install()

    def __exit__(self, *exc) -> None:
        self.remove()


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


class _OnDemand(types.ModuleType):
    """Stands in for a module while mediapipe is imported (see _mediapipe): an attribute looked
    up on it imports the real module (of the stand-in's name) then."""

    def __getattr__(self, name: str):
        import importlib

        return getattr(importlib.import_module(self.__name__), name)


# Two more modules mediapipe imports at import time for code formcheck never calls, each with a
# stand-in too: sounddevice, for the Tasks audio package's AudioRecord (recording from a
# microphone; its import loads and initialises PortAudio, or looks for it: 0.07-0.11 s here), and
# OpenCV (cv2), used only inside the functions of mediapipe's drawing_utils (formcheck draws
# with its own overlay.py, which imports the real cv2; about 0.09 s of import). Every process
# that imports mediapipe pays them before its first frame (python -X importtime, both backends).
_UNUSED_AT_IMPORT = ("sounddevice", "cv2")


def _mediapipe():
    """`import mediapipe`, without importing matplotlib.pyplot: mediapipe's drawing_utils
    imports pyplot at import time for a plotting helper formcheck never calls, and pyplot is
    about 80% of mediapipe's import time (benchmarks/bench_startup.py). While mediapipe is
    imported, sys.modules holds a stand-in that imports the real pyplot if drawing_utils ever
    uses it; afterwards the stand-in is taken out, so `import matplotlib.pyplot` elsewhere
    (pdf_report) gets the real module. sounddevice and cv2 (_UNUSED_AT_IMPORT) the same way."""
    if "mediapipe" in sys.modules or "matplotlib.pyplot" in sys.modules:
        import mediapipe

        return mediapipe
    stand_in = _OnDemand("matplotlib.pyplot")
    sys.modules["matplotlib.pyplot"] = stand_in
    others = {n: _OnDemand(n) for n in _UNUSED_AT_IMPORT if n not in sys.modules}
    sys.modules.update(others)
    # `import matplotlib.pyplot as plt` imports the package `matplotlib` first even when the
    # submodule is in sys.modules: about 0.4 CPU-s per process (issue 20, cpu_profile.py), so
    # the package gets a stand-in too while mediapipe is imported, when nothing loaded it yet.
    package = None
    if "matplotlib" not in sys.modules:
        package = types.ModuleType("matplotlib")
        package.pyplot = stand_in
        sys.modules["matplotlib"] = package
    try:
        import mediapipe
    finally:
        for n, other in others.items():
            if sys.modules.get(n) is other:
                del sys.modules[n]
        if sys.modules.get("matplotlib.pyplot") is stand_in:
            del sys.modules["matplotlib.pyplot"]
        if package is not None and sys.modules.get("matplotlib") is package:
            del sys.modules["matplotlib"]
        parent = sys.modules.get("matplotlib")
        if parent is not None and getattr(parent, "__dict__", {}).get("pyplot") is stand_in:
            del parent.pyplot
    return mediapipe


def _has_legacy() -> bool:
    mp = _mediapipe()

    return hasattr(mp, "solutions") and hasattr(mp.solutions, "pose")


def default_backend(model: str | Path | None = None) -> str:
    """FORMCHECK_POSE_BACKEND if set; else the legacy API where mediapipe still has it (0.10.21)
    and no other model is asked for; else the Tasks API."""
    env = os.environ.get(BACKEND_ENV, "").strip().lower()
    if env:
        if env not in BACKENDS:
            raise FormcheckError(f"{BACKEND_ENV}={env!r} is not a pose backend; use one of "
                                 f"{', '.join(BACKENDS)} (or unset it).")
        return env
    if model is None and _has_legacy():
        return "legacy"
    return "tasks"


def bundled_model() -> bytes:
    """The .task file shipped in the package (package data, read with importlib.resources)."""
    return resources.files("formcheck").joinpath("models", MODEL_FILE).read_bytes()


def _model_bytes(model: str | Path | None) -> bytes:
    if model is None:
        return bundled_model()
    path = Path(model)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormcheckError(f"Cannot read the pose model {path.name}: {exc.strerror or exc}. "
                             "Check the path given to --model.") from exc
    if not data.startswith(b"PK"):
        raise FormcheckError(f"{path.name} is not a MediaPipe .task file (a zip with "
                             "pose_detector.tflite and pose_landmarks_detector.tflite).")
    return data


class PoseEstimator:
    """A BlazePose model following one person: use one per video or per live session; close it.

    still=True treats every picture on its own (the detector runs on each), for single photos."""

    def __init__(self, min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 *, backend: str | None = None, model: str | Path | None = None,
                 still: bool = False, num_poses: int = 1):
        self.backend = backend or default_backend(model)
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown pose backend {self.backend!r}")
        self._still = still
        self._num_poses = num_poses
        self._pose = None
        self._frames = 0
        self._vis_smoothed: np.ndarray | None = None  # Tasks VIDEO mode: MediaPipe's last average
        if self.backend == "legacy":
            if model is not None or num_poses != 1:
                raise FormcheckError("The legacy pose backend runs only its built-in model and one "
                                     "person; --model needs the Tasks backend.")
            mp = _mediapipe()
            if not hasattr(mp, "solutions"):
                raise FormcheckError(f"The legacy pose backend needs mediapipe 0.10.21 (this is "
                                     f"{getattr(mp, '__version__', '?')}); unset {BACKEND_ENV}.")
            with native_logs_to_logger():
                self._pose = mp.solutions.pose.Pose(
                    static_image_mode=still, model_complexity=1, smooth_landmarks=False,
                    enable_segmentation=False, min_detection_confidence=min_detection_confidence,
                    min_tracking_confidence=min_tracking_confidence)
            return
        mp = _mediapipe()
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python.vision import (PoseLandmarker, PoseLandmarkerOptions,
                                                   RunningMode)

        self._mp_image = lambda rgb: mp.Image(image_format=mp.ImageFormat.SRGB,
                                              data=np.ascontiguousarray(rgb))
        opts = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=_model_bytes(model)),
            running_mode=RunningMode.IMAGE if still else RunningMode.VIDEO,
            num_poses=num_poses, min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_tracking_confidence,
            min_tracking_confidence=min_tracking_confidence, output_segmentation_masks=False)
        try:
            with native_logs_to_logger():
                self._pose = PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError, OSError) as exc:
            where = f"the model {Path(model).name}" if model is not None else "the bundled pose model"
            raise FormcheckError(f"MediaPipe could not load {where}: {exc}. A pose model must be "
                                 "a MediaPipe PoseLandmarker .task file.") from exc

    def process(self, rgb: np.ndarray, width_px: int | None = None,
                height_px: int | None = None, t_s: float | None = None) -> FramePose:
        """Landmarks for one RGB frame, in pixels of a (width_px x height_px) picture.

        t_s: the frame's time. Neither backend needs it (the Tasks one is given frame numbers,
        see the module's notes); callers pass it for the record. Of several people found
        (num_poses > 1), the first is returned; see detect_all."""
        poses = self.detect_all(rgb, width_px, height_px, t_s)
        return poses[0] if poses else FramePose.missing()

    def detect_all(self, rgb: np.ndarray, width_px: int | None = None,
                   height_px: int | None = None, t_s: float | None = None) -> list[FramePose]:
        """Every person found (at most num_poses), each in pixels of a (width_px x height_px) picture."""
        if self._pose is None:
            raise RuntimeError("PoseEstimator is closed")
        self._frames += 1
        if self._still or self._frames <= QUIET_FRAMES:  # a still one sees only a few pictures
            with native_logs_to_logger():
                return self._detect_all(rgb, width_px, height_px, t_s)
        return self._detect_all(rgb, width_px, height_px, t_s)

    def _detect_all(self, rgb: np.ndarray, width_px: int | None, height_px: int | None,
                    t_s: float | None) -> list[FramePose]:
        h, w = rgb.shape[:2]
        scale = np.array([width_px or w, height_px or h], dtype=np.float64)
        if self.backend == "legacy":
            result = self._pose.process(rgb)
            if result.pose_landmarks is None:
                return []
            lms = [result.pose_landmarks.landmark]
            worlds = [result.pose_world_landmarks.landmark if result.pose_world_landmarks else None]
        else:
            image = self._mp_image(rgb)
            if self._still:
                result = self._pose.detect(image)
            else:
                result = self._pose.detect_for_video(image, self._frames * VIDEO_FRAME_GAP_MS)
            lms = result.pose_landmarks
            worlds = list(result.pose_world_landmarks) + [None] * (len(lms) - len(result.pose_world_landmarks))
        out = []
        for lm, wl in zip(lms, worlds):
            arr = np.array([(p.x, p.y, p.z, 0.0 if p.visibility is None else p.visibility)
                            for p in lm], dtype=np.float64)
            world = np.full((N_LANDMARKS, 3), np.nan)
            if wl is not None:
                world = np.array([(p.x, p.y, p.z) for p in wl], dtype=np.float64)
            out.append(FramePose(arr[:, :2] * scale, arr[:, 2], arr[:, 3], world))
        if self.backend == "tasks" and not self._still and self._num_poses == 1 and out:
            out[0].visibility = self._unsmoothed_visibility(out[0].visibility)
        return out

    def _unsmoothed_visibility(self, smoothed: np.ndarray) -> np.ndarray:
        """The visibility the landmark model gave, from the Tasks graph's running average of it."""
        prev, self._vis_smoothed = self._vis_smoothed, smoothed
        if prev is None:  # the average starts at the first value
            return smoothed
        a = TASKS_VISIBILITY_ALPHA
        return np.clip((smoothed - (1.0 - a) * prev) / a, 0.0, 1.0)

    def close(self) -> None:
        """Release the model. Always call it (or use `with`): the Tasks API's finaliser fails at
        interpreter exit."""
        if self._pose is not None:
            with native_logs_to_logger():
                self._pose.close()
            self._pose = None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


MULTI_PERSON_SAMPLES = 6


def others_in_picture(samples: list[tuple[np.ndarray, FramePose, float]],
                      backend: str | None = None, model: str | Path | None = None) -> int:
    """How many sampled frames show a second person once the tracked one is covered up.

    MediaPipe follows one person; to find others, paint over the tracked person's box and ask a
    fresh detector (the same model, still-image mode) whether anyone is left."""
    if not samples:
        return 0
    found = 0
    with PoseEstimator(min_detection_confidence=0.6, still=True, backend=backend,
                       model=model) as still:
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
            other = still.process(masked)
            if np.isfinite(other.xy_px).any():
                found += float(np.mean(other.visibility[[11, 12, 23, 24]])) > 0.7
    return found


def track_frames(frames: Iterable[Frame], width_px: int, height_px: int, fps: float,
                 source: str = "", progress: ProgressFn | None = None,
                 total_s: float = 0.0, on_frame: Callable[[Frame, FramePose], None] | None = None,
                 warnings: list[str] | None = None, backend: str | None = None,
                 model: str | Path | None = None,
                 estimator: "PoseEstimator | None" = None) -> PoseSequence:
    """Run pose on each frame; frames are streamed, only landmarks are kept (and a handful of
    frames to check for other people when `warnings` is given). backend/model: see PoseEstimator.
    `estimator`: one made beforehand for these frames (a worker process makes it while it
    starts), with no frame seen yet; used instead of a new one, and closed at the end."""
    if estimator is not None and estimator._frames:
        raise ValueError("track_frames needs a fresh PoseEstimator (it follows one person "
                         "from the first frame)")
    ts, xys, zs, vis, worlds = [], [], [], [], []
    samples: list[tuple[np.ndarray, FramePose, float]] = []
    sample_every = max(total_s, 1.0) / MULTI_PERSON_SAMPLES
    next_sample = sample_every / 2
    with estimator or PoseEstimator(backend=backend, model=model) as est:
        prov = provenance(est.backend, model)
        for frame in frames:
            fp = est.process(frame.rgb, width_px, height_px, t_s=frame.t_s)
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
        n = others_in_picture(samples, backend=backend, model=model)
        if n >= max(1, len(samples) // 3):
            warnings.append(f"More than one person seems to be in the picture ({n} of "
                            f"{len(samples)} checked frames). formcheck follows one of them; if "
                            "the reps look wrong, film with only the person squatting in view.")
    if not ts:
        return PoseSequence.empty(width_px, height_px, fps, source)
    return PoseSequence(np.asarray(ts, dtype=np.float64), np.stack(xys), np.stack(zs),
                        np.stack(vis), np.stack(worlds), width_px, height_px, fps, source,
                        meta={"provenance": prov})


def provenance(backend: str, model: str | Path | None = None) -> dict:
    """Which pose model made the landmarks: the backend, the model file and the mediapipe
    version (the two backends differ on real clips; README "The pose model"). Saved with the
    landmarks and named in the report."""
    try:
        import mediapipe as mp

        version = str(getattr(mp, "__version__", "unknown"))
    except ImportError:
        version = "not installed"
    if backend == "legacy":
        name = "pose_landmark_full.tflite (mediapipe solutions.pose, model_complexity=1)"
    else:
        name = Path(model).name if model else MODEL_FILE
    return {"pose_backend": backend, "model_file": name, "mediapipe_version": version}


def track_video(path: str | Path, max_fps: float | None = 30.0, progress: ProgressFn | None = None,
                warnings: list[str] | None = None, max_duration_s: float | None = None,
                backend: str | None = None, model: str | Path | None = None) -> PoseSequence:
    """Decode a clip (in a background thread) and track the person in it."""
    info = probe(path)
    if max_duration_s is not None:
        check_limits(info, max_duration_s)
    else:
        check_limits(info)
    frames = prefetch(iter_frames(path, max_fps=max_fps, warnings=warnings,
                                  max_duration_s=max_duration_s or MAX_DURATION_S))
    seq = track_frames(frames, info.width_px, info.height_px, info.fps, str(Path(path).name),
                       progress=progress, total_s=info.duration_s, warnings=warnings,
                       backend=backend, model=model)
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
    _mediapipe()
