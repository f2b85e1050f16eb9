"""Live webcam session: the camera concerns around the pure streaming analyser.

LiveSession owns the pose model (created lazily, under the lock, released by close()), the lock
between the video worker thread (`process`) and the script thread (`latest`, `finish`), and
un-mirroring. Everything measured comes from stream.StreamingAnalyser, which runs the clip
path's definitions frame by frame; the end-of-set summary is that analyser's Analysis, with the
reps the counter showed. Nothing here imports streamlit.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np

from .analysis import Analysis
from .clean import CleanSettings
from .feedback import depth_call_words
from .landmarks import PoseSequence
from .reps import RepSettings
from .stream import MAX_RECORD_S, LiveReadout, LiveRep, StreamingAnalyser
from .thresholds import Thresholds, get_profile

log = logging.getLogger(__name__)

__all__ = ["LiveSession", "LiveReadout", "LiveRep", "SetRecorder", "SpokenCues", "annotate_live",
           "depth_words", "framing_check"]


class SetRecorder:
    """The camera picture of a live set, written frame by frame to an H.264 mp4 as it comes
    (memory stays one frame whatever the set's length), with the frames' real times, so the
    recording lines up with the recorded landmarks (times from the first frame) and is read
    back like any uploaded clip. Stops at the analyser's MAX_RECORD_S."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.frames = 0
        self._enc = None
        self._t0: float | None = None
        self.failed = False

    def write(self, rgb: np.ndarray, t_s: float) -> None:
        if self.failed:
            return
        if self._t0 is None:
            self._t0 = t_s
        t = t_s - self._t0
        if t > MAX_RECORD_S:
            return
        try:
            if self._enc is None:
                from fractions import Fraction

                from .render import _Encoder

                h, w = rgb.shape[:2]
                # a video of the person, in the session's private folder: 0600
                self._enc = _Encoder(self.path, w - w % 2, h - h % 2, Fraction(30), mode=0o600)
                self._size = (w, h)
            if (rgb.shape[1], rgb.shape[0]) != self._size:   # WebRTC lowers the size under load
                import cv2

                rgb = cv2.resize(rgb, self._size, interpolation=cv2.INTER_AREA)
            self._enc.write(rgb, t)
            self.frames += 1
        except Exception:  # a failing recording must not stop the set: the landmarks go on
            log.exception("recording the live set to %s failed; landmarks only", self.path)
            self.failed = True

    def close(self) -> Path | None:
        """Finish the file; its path, or None when nothing usable was written."""
        enc, self._enc = self._enc, None
        if enc is not None:
            try:
                enc.close()
            except Exception:
                log.exception("closing the live recording %s", self.path)
                self.failed = True
        ok = self.frames > 0 and not self.failed and self.path.is_file()
        return self.path if ok else None


class LiveSession:
    """One webcam session: a pose model and a StreamingAnalyser, thread-safe."""

    def __init__(self, thresholds: Thresholds | None = None, profile: str = "general",
                 rep_settings: RepSettings | None = None, mirrored_input: bool = False,
                 clean_settings: CleanSettings = CleanSettings(), estimator=None,
                 recorder: SetRecorder | None = None):
        self.thresholds = thresholds or get_profile(profile)
        self.profile = profile
        self.mirrored_input = mirrored_input
        self._analyser = StreamingAnalyser(self.thresholds, profile, rep_settings, clean_settings)
        self._estimator = estimator
        self._own_estimator = estimator is None
        self._name_the_model(estimator)
        self._lock = threading.Lock()
        self._closed = False
        self._recorder = recorder
        self._recording: Path | None = None

    # ----------------------------------------------------------------- model side
    @property
    def estimator(self):
        with self._lock:
            if self._estimator is None:
                if self._closed:
                    raise RuntimeError("LiveSession is closed")
                from .pose import PoseEstimator  # the only path to mediapipe

                self._estimator = PoseEstimator()
                self._name_the_model(self._estimator)
            return self._estimator

    def _name_the_model(self, estimator) -> None:
        """The live set's landmarks carry the pose model's provenance, as a tracked clip's do
        (the report names it; the depth number takes that backend's bias correction)."""
        backend = getattr(estimator, "backend", None)
        if backend:
            from .pose import provenance

            self._analyser.set_meta({"provenance": provenance(backend)})

    def load_model(self) -> None:
        """Load the pose model now, without holding the lock while it loads (the page's
        readouts go on); for a thread started with the session. No-op once loaded or closed."""
        with self._lock:
            if self._estimator is not None or self._closed:
                return
        from .pose import PoseEstimator

        est = PoseEstimator()
        with self._lock:
            if self._estimator is None and not self._closed:
                self._estimator, est = est, None
                self._name_the_model(self._estimator)
        if est is not None:
            est.close()

    @property
    def model_ready(self) -> bool:
        """Whether the pose model is loaded (process() then does not wait for it)."""
        return self._estimator is not None

    def process(self, rgb: np.ndarray, t_s: float | None = None,
                scale_ratio: float = 1.0) -> LiveReadout:
        """Run the model on one RGB frame (as the camera sent it) and update everything.
        `scale_ratio` < 1: the model is given a smaller copy of the picture (less work, see
        pace.LOADS); the landmarks and the recording stay in the full picture's pixels."""
        t_start = time.perf_counter()
        if self.mirrored_input:
            rgb = np.ascontiguousarray(rgb[:, ::-1])
        h, w = rgb.shape[:2]
        t_s = time.monotonic() if t_s is None else t_s
        small = rgb
        if scale_ratio < 1.0:
            import cv2

            small = cv2.resize(rgb, (max(1, round(w * scale_ratio)), max(1, round(h * scale_ratio))),
                               interpolation=cv2.INTER_AREA)
        fp = self.estimator.process(small, width_px=w, height_px=h, t_s=t_s)
        ms = (time.perf_counter() - t_start) * 1000.0
        readout = self.push_pose(t_s, fp.xy_px, fp.visibility, w, h, z=fp.z, world_m=fp.world_m,
                                 process_ms=ms)
        with self._lock:
            if self._recorder is not None:   # the picture the landmarks were measured on
                self._recorder.write(rgb, t_s)
        return readout

    def push_pose(self, t_s: float, xy_px: np.ndarray, visibility: np.ndarray, width_px: int,
                  height_px: int, z: np.ndarray | None = None, world_m: np.ndarray | None = None,
                  process_ms: float = 0.0) -> LiveReadout:
        """Feed one frame's landmarks (in pixels of the un-mirrored picture), bypassing the model."""
        with self._lock:
            return self._analyser.push(t_s, xy_px, visibility, width_px, height_px, z=z,
                                       world_m=world_m, process_ms=process_ms)

    def close(self) -> None:
        """Release the model; the recorded landmarks stay for finish()."""
        with self._lock:
            self._closed = True
            est, self._estimator = self._estimator, None
            rec, self._recorder = self._recorder, None
            if rec is not None:
                self._recording = rec.close()
        if est is not None and self._own_estimator:
            est.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def recording(self) -> Path | None:
        """The set's video (after close()), None when not recorded or nothing usable."""
        with self._lock:
            return self._recording

    # ----------------------------------------------------------------- script side
    def latest(self) -> LiveReadout:
        with self._lock:
            return self._analyser.readout

    @property
    def live_reps(self) -> list[LiveRep]:
        with self._lock:
            return self._analyser.reps

    @property
    def recorded_frames(self) -> int:
        with self._lock:
            return self._analyser.recorded_frames

    def recorded_sequence(self) -> PoseSequence:
        with self._lock:
            return self._analyser.recorded_sequence()

    def finish(self, thresholds: Thresholds | None = None, profile: str | None = None
               ) -> tuple[Analysis, PoseSequence]:
        """The set as the counter counted it, measured and judged as a clip is. Raises
        NoPersonError when nothing usable was recorded."""
        with self._lock:
            return self._analyser.finish(thresholds, profile)

    def recorded_analysis(self, warnings: list[str] | None = None) -> tuple[Analysis, PoseSequence]:
        """The end of the set: the recorded landmarks analysed by the clip path, as an uploaded
        clip's are (pipeline.analyze_landmarks with the general profile; the page then
        re-scores with its settings, as the Analyse page does), so the end of a live set and
        the upload of the same frames cannot disagree. Raises NoPersonError when nothing
        usable was recorded."""
        from .errors import NoPersonError
        from .pipeline import analyze_landmarks

        raw = self.recorded_sequence()
        if len(raw) < 2:
            raise NoPersonError("Nothing was recorded. Start the camera, step into the picture "
                                "and do a few squats before stopping.")
        return analyze_landmarks(raw, get_profile("general"), "general", warnings=warnings), raw


# ----------------------------------------------------------------------------- framing and cues
def framing_check(r: LiveReadout) -> str | None:
    """What to fix in the framing before the reps can be measured, or None when it is fine.
    From the readout's own judgements: the person found, the view (view.detect_view) and the
    feet seen (clean.gate's visibility rule left them NaN when they are not)."""
    from .landmarks import Landmark as L

    if not r.person or r.xy_px is None:
        return "Step into the picture: whole body in view, 2-3 m away."
    if r.view == "front":
        return "Turn side-on to the camera."
    feet = [L.LEFT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX]
    if not np.isfinite(r.xy_px[[int(i) for i in feet]]).any():
        return "Step back: feet not in view."
    return None


class SpokenCues:
    """Which cue to speak now, if any: a new cue is spoken at most every `gap_s` seconds, and
    the same words not again within `repeat_s` (so "Sit back onto the box" is not said every
    rep). Warnings and rep results are spoken; plain info lines are not."""

    def __init__(self, gap_s: float = 4.0, repeat_s: float = 20.0):
        self.gap_s, self.repeat_s = gap_s, repeat_s
        self._last_t = -np.inf
        self._said: dict[str, float] = {}

    def next(self, cue: str, level: str, now_s: float) -> str | None:
        if level not in ("warn", "ok") or not cue:
            return None
        if now_s - self._last_t < self.gap_s or now_s - self._said.get(cue, -np.inf) < self.repeat_s:
            return None
        self._last_t = now_s
        self._said[cue] = now_s
        return cue


# ----------------------------------------------------------------------------- drawing
def depth_words(r: LiveReadout) -> str:
    """The depth to show for the latest frame: "standing" between reps, else its class."""
    if r.phase != "down":
        return "standing"
    return depth_call_words(r.depth_label, r.depth_between, r.depth_close_to)


_CUE_COLORS = {"ok": (40, 170, 60), "warn": (220, 60, 40), "info": (40, 110, 200)}


def annotate_live(rgb: np.ndarray, r: LiveReadout, mirror_view: bool = False,
                  mirrored_input: bool = False, alert: str | None = None) -> np.ndarray:
    """The picture to send back: un-mirrored (or mirrored when `mirror_view`), with the
    skeleton (overlay.draw_skeleton), a panel of the rep count, depth class and knee-over-toe
    (and `alert`, in red, e.g. that the device falls behind), and the current cue in a band
    along the bottom."""
    from .overlay import GREEN, RED, WHITE, Style, draw_panel, draw_skeleton, fill_band

    img = rgb[:, ::-1] if mirrored_input else rgb
    if mirror_view:
        img = img[:, ::-1]
    img = np.ascontiguousarray(img).copy()
    h, w = img.shape[:2]
    st = Style.for_size(h, w)
    if r.person and r.xy_px is not None:
        xy = r.xy_px.copy()
        if mirror_view:
            xy[:, 0] = w - 1 - xy[:, 0]
        draw_skeleton(img, xy, r.leg if r.view != "front" else None, st)
    lines = [(f"Reps: {r.reps}", WHITE)]
    if r.person:
        lines.append((f"Depth: {depth_words(r)}" + (
            "" if r.thigh_deg is None or r.view == "front" or r.phase != "down"
            else f"  (thigh {r.thigh_deg:+.0f} deg)"), WHITE))
        lines.append(("Knee past toes: " + ("n/a" if r.knee_over_toe_ratio is None
                                            else f"{r.knee_over_toe_ratio:+.2f} foot len"),
                      RED if r.knee_flag else GREEN if r.knee_over_toe_ratio is not None else WHITE))
    if alert:
        lines.append((alert, RED))
    draw_panel(img, lines, st)
    fill_band(img, r.cue.encode("ascii", "replace").decode(),
              _CUE_COLORS.get(r.cue_level, _CUE_COLORS["info"]), st)
    return img
