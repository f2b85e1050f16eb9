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
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .errors import FormcheckError
from .landmarks import N_LANDMARKS, PoseSequence
from .video import Frame, check_limits, iter_frames, prefetch, probe

log = logging.getLogger(__name__)

ProgressFn = Callable[[float, float], None]  # (seconds done, seconds total)

BACKENDS = ("tasks", "legacy")
VIDEO_FRAME_GAP_MS = 100_000_000  # Tasks VIDEO mode: frame n is given timestamp n * 1e5 s (see above)
TASKS_VISIBILITY_ALPHA = 0.1      # the Tasks graph's visibility low-pass, undone (see above)
BACKEND_ENV = "FORMCHECK_POSE_BACKEND"
MODEL_FILE = "pose_landmarker_full.task"


# MediaPipe's C++ log lines ("INFO: [environment.cc:36] ...", "W0000 00:00:... file.cc:81] ...").
NATIVE_LOG = re.compile(r"^(INFO|WARNING|ERROR|VERBOSE\d*): |^[IWEF]\d{4} \d\d:\d\d:\d\d")
QUIET_FRAMES = 3  # MediaPipe logs once on the first frames
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
    (NATIVE_LOG; handed to our logger at DEBUG) and passes every other line to the real stderr.
    Worker processes started afterwards inherit the pipe as their stderr, so the lines their
    models print (which `native_logs_to_logger` cannot catch: they come from other threads and
    processes, after the first frames) are dropped too. The CLI installs it unless --verbose."""

    def __init__(self):
        self._saved: int | None = None
        self._thread: threading.Thread | None = None

    def install(self) -> "NativeLogFilter":
        try:
            sys.stderr.flush()
            fd = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            return self            # no real stderr: nothing to filter
        self._fd = fd
        self._saved = os.dup(fd)
        r, w = os.pipe()
        os.dup2(w, fd)
        os.close(w)
        self._thread = threading.Thread(target=self._pump, args=(r,), name="native-log-filter",
                                        daemon=True)
        self._thread.start()
        return self

    def _pump(self, r: int) -> None:
        with os.fdopen(r, "rb", buffering=0) as pipe:
            buf = b""
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                self._emit(lines)
            if buf:
                self._emit([buf])

    def _emit(self, lines: list[bytes]) -> None:
        keep = []
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            if NATIVE_LOG.match(line):
                log.debug("mediapipe: %s", line)
            else:
                keep.append(raw + b"\n")
        if keep and self._saved is not None:
            os.write(self._saved, b"".join(keep))

    def remove(self) -> None:
        """Give fd 2 back and pass on what is still in the pipe (workers must have ended)."""
        if self._saved is None:
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self._saved, self._fd)     # closes our end of the pipe: the pump sees EOF
        if self._thread is not None:
            self._thread.join(timeout=5)
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


def _has_legacy() -> bool:
    import mediapipe as mp

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
            import mediapipe as mp

            if not hasattr(mp, "solutions"):
                raise FormcheckError(f"The legacy pose backend needs mediapipe 0.10.21 (this is "
                                     f"{getattr(mp, '__version__', '?')}); unset {BACKEND_ENV}.")
            with native_logs_to_logger():
                self._pose = mp.solutions.pose.Pose(
                    static_image_mode=still, model_complexity=1, smooth_landmarks=False,
                    enable_segmentation=False, min_detection_confidence=min_detection_confidence,
                    min_tracking_confidence=min_tracking_confidence)
            return
        import mediapipe as mp
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
                 model: str | Path | None = None) -> PoseSequence:
    """Run pose on each frame; frames are streamed, only landmarks are kept (and a handful of
    frames to check for other people when `warnings` is given). backend/model: see PoseEstimator."""
    ts, xys, zs, vis, worlds = [], [], [], [], []
    samples: list[tuple[np.ndarray, FramePose, float]] = []
    sample_every = max(total_s, 1.0) / MULTI_PERSON_SAMPLES
    next_sample = sample_every / 2
    with PoseEstimator(backend=backend, model=model) as est:
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
    frames = prefetch(iter_frames(path, max_fps=max_fps, warnings=warnings))
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
    import mediapipe  # noqa: F401
