"""Live webcam analysis: one model per session, a streaming depth signal and a rep counter.

The offline pipeline (metrics.depth_signal + reps.find_reps) sees the whole clip; a camera only
gives the past. LiveSession keeps the same definitions, made causal:

- landmarks are gated by visibility and smoothed with the One-Euro filter (clean.OneEuro);
- depth per leg = 1 - (knee_y - hip_y) / thigh_ref, thigh_ref = 95th percentile of the thigh
  length over the last LIVE_WINDOW_S seconds (offline: over +-4 s); legs averaged;
- LiveRepCounter applies reps.RepSettings (enter / exit / min_depth / debounce / rep duration)
  as a hysteresis state machine, so a rep counts the moment the person is back up;
- the raw landmarks are recorded, and `finish()` scores them with analysis.analyze_sequence,
  so the end-of-set summary is exactly what the upload page shows for a clip.

Thread use: `process()` runs on the video worker thread; `latest()` and `finish()` on the
script thread. Shared state is guarded by one lock. Nothing here imports streamlit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields

import numpy as np

from .analysis import Analysis, analyze_sequence
from .clean import CleanSettings, OneEuro
from .errors import NoPersonError
from .geometry import angle_at, incline_deg
from .landmarks import LEG, N_LANDMARKS, SKELETON, PoseSequence
from .landmarks import Landmark as L
from .feedback import classify_depth
from .metrics import RepMetrics, HOLD_FLOOR, MIN_FOOT_VISIBILITY, SCALE_WINDOW_S, STANDING_DEPTH
from .reps import RepSettings
from .thresholds import Thresholds, get_profile
from .view import classify_yaw, yaw_per_frame

log = logging.getLogger(__name__)

LIVE_WINDOW_S = 5.0       # past window for the standing level (offline: +-STANDING_WINDOW_S)
VIEW_WINDOW_S = 2.0       # past window for view, facing and near leg
FOOT_WINDOW_S = 20.0      # past window for the standing foot length
MAX_RECORD_S = 20 * 60.0  # landmarks kept for the end-of-set summary (~2 MB per minute)
NEAR_LEG_MARGIN = 0.1     # the other leg must score this much better to take over


@dataclass
class RepCounterState:
    down: bool = False
    count: int = 0
    start_t: float | None = None
    peak: float = float("nan")


class LiveRepCounter:
    """Causal twin of reps.find_reps: hysteresis with debounce on a streaming depth signal.

    A descent starts when depth stays above `enter` for `debounce_s`; the rep ends when depth
    stays below max(`exit`, `exit_frac` x the rep's peak) for `debounce_s`, and counts if its
    peak reached `min_depth` and its duration (start -> first frame back up) lies within
    [min_rep_s, max_rep_s]. Tracking lost mid-rep for longer than `max_lost_s` drops the rep.
    """

    def __init__(self, settings: RepSettings = RepSettings()):
        self.settings = settings
        self.count = 0
        self.down = False
        self.start_t: float | None = None
        self.peak = float("nan")
        self._last_standing_t: float | None = None
        self._down_since: float | None = None
        self._down_peak = float("nan")
        self._up_since: float | None = None
        self._lost_since: float | None = None

    def update(self, t_s: float, depth: float) -> bool:
        """Feed one sample (NaN = not measured); True when it completes a counted rep."""
        s = self.settings
        if not np.isfinite(depth):
            self._down_since = self._up_since = None
            if self._lost_since is None:
                self._lost_since = t_s
            if self.down and t_s - self._lost_since > getattr(s, "max_lost_s", 0.0):
                self.down = False
            return False
        self._lost_since = None
        if not self.down:
            if depth > s.enter:
                if self._down_since is None:
                    self._down_since = t_s
                    self._down_peak = depth
                self._down_peak = max(self._down_peak, depth)
                if t_s - self._down_since >= s.debounce_s:
                    self.down = True
                    self.start_t = (self._last_standing_t if self._last_standing_t is not None
                                    else self._down_since)
                    self.peak = self._down_peak
                    self._up_since = None
            else:
                self._down_since = None
                if depth < s.exit:
                    self._last_standing_t = t_s
            return False
        self.peak = max(self.peak, depth)
        if depth < max(s.exit, getattr(s, "exit_frac", 0.0) * self.peak):
            if self._up_since is None:
                self._up_since = t_s
            if t_s - self._up_since >= s.debounce_s:
                dur = self._up_since - (self.start_t if self.start_t is not None else t_s)
                self.down = False
                self._down_since = None
                self._last_standing_t = t_s
                if self.peak >= s.min_depth and s.min_rep_s <= dur <= s.max_rep_s:
                    self.count += 1
                    return True
        else:
            self._up_since = None
        return False


@dataclass(frozen=True)
class LiveRep:
    """What the live view saw in one counted rep (the end-of-set summary measures it properly)."""

    index: int
    peak_depth: float
    bottom_thigh_deg: float | None
    bottom_hip_height_ratio: float | None
    max_knee_over_toe_ratio: float | None
    depth_label: str
    knee_flag: bool


@dataclass(frozen=True)
class LiveReadout:
    """The latest frame's numbers for the page and the overlay."""

    t_s: float = 0.0
    person: bool = False
    reps: int = 0
    phase: str = "waiting"            # waiting | no_person | standing | down
    depth: float | None = None        # 0 standing, 1 thigh level (metrics.depth_signal)
    thigh_deg: float | None = None    # near leg, to horizontal, + = hip below knee
    hip_height_ratio: float | None = None  # hip height / recent standing hip height
    depth_label: str = "unclear"      # above_parallel | parallel | below_parallel | unclear
    knee_over_toe_ratio: float | None = None  # near leg, foot lengths, + = knee ahead of toes
    knee_flag: bool = False
    leg: str | None = None
    view: str = "unknown"
    cue: str = "Start the camera and step into the picture."
    cue_level: str = "info"           # info | ok | warn
    last_rep: LiveRep | None = None
    process_ms: float = 0.0
    frames: int = 0
    xy_px: np.ndarray | None = field(default=None, repr=False)  # smoothed, analysis coordinates
    visibility: np.ndarray | None = field(default=None, repr=False)
    width_px: int = 0
    height_px: int = 0


def depth_label(thigh_deg: float | None, hip_height_ratio: float | None, view: str,
                th: Thresholds, knee_flexion_deg: float | None = None) -> str:
    """Depth class of the current frame, by the library's own rule (feedback.classify_depth),
    applied to a RepMetrics-shaped record holding what the live view measures."""
    from types import SimpleNamespace

    m = SimpleNamespace(**{f.name: None for f in fields(RepMetrics)})
    m.reasons = {}
    m.view, m.thigh_angle_deg, m.hip_height_ratio = view, thigh_deg, hip_height_ratio
    m.knee_flexion_deg = knee_flexion_deg
    try:
        return classify_depth(m, th)
    except (AttributeError, TypeError):  # the rule needs something the live view lacks
        log.debug("classify_depth failed on a live record", exc_info=True)
        return "unclear"


def _finite(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


class LiveSession:
    """One webcam session: a pose model (created lazily, released by close()), filters,
    the streaming depth signal, the rep counter and the recorded landmarks."""

    def __init__(self, thresholds: Thresholds | None = None, profile: str = "general",
                 rep_settings: RepSettings = RepSettings(), mirrored_input: bool = False,
                 clean_settings: CleanSettings = CleanSettings(), estimator=None):
        self.thresholds = thresholds or get_profile(profile)
        self.profile = profile
        self.rep_settings = rep_settings
        self.mirrored_input = mirrored_input
        self.min_visibility = clean_settings.min_visibility
        self._estimator = estimator
        self._own_estimator = estimator is None
        self._filter = OneEuro()
        self._counter = LiveRepCounter(rep_settings)
        self._lock = threading.Lock()
        self._hist: deque = deque()        # (t, drop_left, drop_right) in body-size units
        self._scale: deque = deque()       # (t, torso_px, shin_px)
        self._stand_hip: deque = deque()   # (t, hip height px) while standing
        self._session_ref = [0.0, 0.0]
        self._torso_per_shin = 1.0
        self._recent: deque = deque()      # (t, facing_dx, nose_dx, yaw, vis_left, vis_right, z_l, z_r)
        self._foot: deque = deque()        # (t, foot_left, foot_right) while standing
        self._near: str | None = None
        self._rep_thigh = float("nan")
        self._rep_kot = float("nan")
        self._rep_hip = self._rep_flex = float("nan")
        self._reps: list[LiveRep] = []
        self._rec_t: list[float] = []
        self._rec: list[tuple] = []
        self._width = self._height = 0
        self._last_t: float | None = None
        self._t0: float | None = None
        self._readout = LiveReadout()
        self._closed = False

    # ----------------------------------------------------------------- model side
    @property
    def estimator(self):
        if self._estimator is None:
            if self._closed:
                raise RuntimeError("LiveSession is closed")
            from .pose import PoseEstimator  # the only path to mediapipe

            self._estimator = PoseEstimator()
        return self._estimator

    def process(self, rgb: np.ndarray, t_s: float | None = None) -> LiveReadout:
        """Run the model on one RGB frame (as the camera sent it) and update everything."""
        t_start = time.perf_counter()
        if self.mirrored_input:
            rgb = np.ascontiguousarray(rgb[:, ::-1])
        h, w = rgb.shape[:2]
        fp = self.estimator.process(rgb)
        ms = (time.perf_counter() - t_start) * 1000.0
        return self.push_pose(time.monotonic() if t_s is None else t_s, fp.xy_px, fp.visibility,
                              w, h, z=fp.z, world_m=fp.world_m, process_ms=ms)

    def close(self) -> None:
        """Release the model; the recorded landmarks stay for finish()."""
        with self._lock:
            self._closed = True
            est, self._estimator = self._estimator, None
        if est is not None and self._own_estimator:
            est.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # ----------------------------------------------------------------- pure side
    def push_pose(self, t_s: float, xy_px: np.ndarray, visibility: np.ndarray, width_px: int,
                  height_px: int, z: np.ndarray | None = None, world_m: np.ndarray | None = None,
                  process_ms: float = 0.0) -> LiveReadout:
        """Feed one frame's landmarks (in pixels of the un-mirrored picture), bypassing the model."""
        xy_px = np.asarray(xy_px, dtype=np.float64).reshape(N_LANDMARKS, 2)
        visibility = np.nan_to_num(np.asarray(visibility, dtype=np.float64).reshape(N_LANDMARKS))
        z = np.full(N_LANDMARKS, np.nan) if z is None else np.asarray(z, dtype=np.float64)
        world_m = (np.full((N_LANDMARKS, 3), np.nan) if world_m is None
                   else np.asarray(world_m, dtype=np.float64))
        with self._lock:
            if self._last_t is not None and t_s <= self._last_t:
                t_s = self._last_t + 1e-3
            if self._t0 is None:
                self._t0 = t_s
            self._last_t = t_s
            self._width, self._height = int(width_px), int(height_px)
            if t_s - self._t0 <= MAX_RECORD_S:
                self._rec_t.append(t_s)
                self._rec.append((xy_px.copy(), z.copy(), visibility.copy(), world_m.copy()))
            readout = self._update(t_s, xy_px, visibility, z, world_m, process_ms)
            self._readout = readout
        return readout

    def _update(self, t, xy_raw, vis, z, world, process_ms) -> LiveReadout:
        frames = len(self._rec_t)
        person = bool(np.isfinite(xy_raw[L.LEFT_HIP, 0]))
        gated = xy_raw.copy()
        gated[vis < self.min_visibility] = np.nan
        xy = self._filter(t, gated)
        th = self.thresholds
        if not person:
            self._counter.update(t, float("nan"))  # the counter bridges short dropouts
            return LiveReadout(t, False, self._counter.count, "no_person", cue=(
                "Step into the picture: whole body and feet in view, side-on, 2-3 m away."),
                cue_level="warn", last_rep=self._reps[-1] if self._reps else None,
                process_ms=process_ms, frames=frames, width_px=self._width,
                height_px=self._height)

        depth, hip_ratio = self._depth(t, xy, vis)

        # view, facing and the near leg over the last couple of seconds
        one = PoseSequence(np.array([t]), xy[None], z[None], vis[None], world[None],
                           self._width, self._height, 30.0)
        yaw = float(yaw_per_frame(one)[0])
        feet_dx = np.nanmean([xy[L.LEFT_FOOT_INDEX, 0] - xy[L.LEFT_HEEL, 0],
                              xy[L.RIGHT_FOOT_INDEX, 0] - xy[L.RIGHT_HEEL, 0]]) \
            if np.isfinite(xy[[L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, L.LEFT_HEEL, L.RIGHT_HEEL], 0]).any() \
            else np.nan
        nose_dx = xy[L.NOSE, 0] - (xy[L.LEFT_EAR, 0] + xy[L.RIGHT_EAR, 0]) / 2.0
        scores = []
        for ids in LEG.values():
            ids = [int(i) for i in ids]
            zi = z[ids]
            zm = float(np.mean(zi[np.isfinite(zi)])) if np.isfinite(zi).any() else 0.0
            scores.append(float(np.mean(vis[ids])) - 0.5 * zm)
        self._recent.append((t, feet_dx, nose_dx, yaw, *scores))
        _trim(self._recent, t - VIEW_WINDOW_S)
        rec = np.array([r[1:] for r in self._recent], dtype=np.float64)
        with np.errstate(all="ignore"):
            med = np.nanmedian(rec, axis=0) if np.isfinite(rec).any() else np.full(rec.shape[1], np.nan)
        fdx = med[0] if np.isfinite(med[0]) and abs(med[0]) > 1e-6 else med[1]
        facing = 0 if not np.isfinite(fdx) or fdx == 0 else (1 if fdx > 0 else -1)
        view = classify_yaw(med[2])
        sl, sr = np.nanmean(rec[:, 3]), np.nanmean(rec[:, 4])
        best = "left" if sl >= sr else "right"
        if self._near is None or (best != self._near and abs(sl - sr) > NEAR_LEG_MARGIN):
            self._near = best
        leg = self._near
        hip, knee, ankle, heel, toe = LEG[leg]

        # standing foot length per leg (metrics: heel->toe horizontal length while standing)
        if np.isfinite(depth) and depth < STANDING_DEPTH:
            self._foot.append((t, abs(xy[L.LEFT_FOOT_INDEX, 0] - xy[L.LEFT_HEEL, 0]),
                               abs(xy[L.RIGHT_FOOT_INDEX, 0] - xy[L.RIGHT_HEEL, 0])))
        _trim(self._foot, t - FOOT_WINDOW_S)
        foot_len = float("nan")
        if self._foot:
            col = np.array([f[1 if leg == "left" else 2] for f in self._foot])
            col = col[np.isfinite(col)]
            foot_len = float(np.median(col)) if col.size else float("nan")

        thigh_deg = _finite(incline_deg(xy[hip], xy[knee]))
        flex = _finite(180.0 - angle_at(xy[hip], xy[knee], xy[ankle]))
        feet_seen = min(vis[int(heel)], vis[int(toe)]) >= MIN_FOOT_VISIBILITY
        kot = None
        if view != "front" and facing and feet_seen and np.isfinite(foot_len) and foot_len > 1:
            kot = _finite(facing * (xy[knee, 0] - xy[toe, 0]) / foot_len)
        hr = _finite(hip_ratio)
        label = depth_label(thigh_deg, hr, view, th, flex)
        knee_flag = kot is not None and kot > th.knee_over_toe_max_ratio

        # rep counting and the per-rep summary
        was_down = self._counter.down
        done = self._counter.update(t, depth)
        if self._counter.down and not was_down:
            self._rep_thigh = self._rep_kot = self._rep_hip = self._rep_flex = float("nan")
        if self._counter.down:
            if hr is not None:
                self._rep_hip = np.nanmin([self._rep_hip, hr])
            if flex is not None:
                self._rep_flex = np.nanmax([self._rep_flex, flex])
            if thigh_deg is not None:
                self._rep_thigh = np.nanmax([self._rep_thigh, thigh_deg])
            if kot is not None:
                self._rep_kot = np.nanmax([self._rep_kot, kot])
        if done:
            bt = _finite(self._rep_thigh)
            bk = _finite(self._rep_kot)
            self._reps.append(LiveRep(self._counter.count, self._counter.peak, bt,
                                      _finite(self._rep_hip), bk,
                                      depth_label(bt, _finite(self._rep_hip), view, th,
                                                  _finite(self._rep_flex)),
                                      bk is not None and bk > th.knee_over_toe_max_ratio))
        phase = "down" if self._counter.down or (np.isfinite(depth) and depth > self.rep_settings.enter) \
            else "standing"
        cue, level = self._cue(phase, view, feet_seen, knee_flag, label)
        return LiveReadout(t, True, self._counter.count, phase, _finite(depth), thigh_deg, hr, label,
                           kot, knee_flag, leg, view, cue, level,
                           self._reps[-1] if self._reps else None, process_ms, frames,
                           xy, vis, self._width, self._height)

    def _depth(self, t: float, xy: np.ndarray, vis: np.ndarray) -> tuple[float, float]:
        """metrics.depth_signal made causal: per leg, the hip-to-knee vertical drop in body-size
        units against its standing level (95th percentile over the past window, floored at
        HOLD_FLOOR x the session's), legs weighted by visibility squared. Also the hip height
        as a share of the recent standing hip height (for the depth class)."""
        torso = float(np.linalg.norm((xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
                                     - (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2))
        with np.errstate(all="ignore"):
            shin = float(np.nanmean([np.linalg.norm(xy[L.LEFT_KNEE] - xy[L.LEFT_ANKLE]),
                                     np.linalg.norm(xy[L.RIGHT_KNEE] - xy[L.RIGHT_ANKLE])]))
        self._scale.append((t, torso, shin))
        _trim(self._scale, t - SCALE_WINDOW_S)
        sc = np.array([x[1:] for x in self._scale], dtype=np.float64)
        with np.errstate(all="ignore"):
            torso_m, shin_m = np.nanmedian(sc[:, 0]), np.nanmedian(sc[:, 1])
        if np.isfinite(torso_m) and np.isfinite(shin_m) and shin_m > 0:
            self._torso_per_shin = torso_m / shin_m
        scale = torso_m if np.isfinite(torso_m) else shin_m * self._torso_per_shin
        drops = []
        for hip, knee, *_rest in LEG.values():
            drops.append((xy[knee, 1] - xy[hip, 1]) / scale if np.isfinite(scale) and scale > 0
                         else float("nan"))
        self._hist.append((t, *drops))
        _trim(self._hist, t - LIVE_WINDOW_S)
        hist = np.array([h[1:] for h in self._hist], dtype=np.float64)
        num = den = 0.0
        for k, (hip, knee, *_rest) in enumerate(LEG.values()):
            col = hist[:, k]
            col = col[np.isfinite(col)]
            if not col.size or not np.isfinite(drops[k]):
                continue
            ref = float(np.percentile(col, 95))
            self._session_ref[k] = max(self._session_ref[k], ref)
            ref = max(ref, HOLD_FLOOR * self._session_ref[k])
            if ref <= 0:
                continue
            w = min(vis[hip], vis[knee]) ** 2
            num += w * (1.0 - drops[k] / ref)
            den += w
        depth = num / den if den > 1e-6 else float("nan")
        ank_y = np.nanmean([xy[L.LEFT_ANKLE, 1], xy[L.RIGHT_ANKLE, 1]]) \
            if np.isfinite([xy[L.LEFT_ANKLE, 1], xy[L.RIGHT_ANKLE, 1]]).any() else np.nan
        hip_h = ank_y - (xy[L.LEFT_HIP, 1] + xy[L.RIGHT_HIP, 1]) / 2.0
        if np.isfinite(depth) and depth < STANDING_DEPTH and np.isfinite(hip_h):
            self._stand_hip.append((t, hip_h))
        _trim(self._stand_hip, t - FOOT_WINDOW_S)
        ratio = float("nan")
        if self._stand_hip:
            ref_h = float(np.median([x[1] for x in self._stand_hip]))
            if ref_h > 0:
                ratio = hip_h / ref_h
        return depth, ratio

    def _cue(self, phase: str, view: str, feet_seen: bool, knee_flag: bool, label: str
             ) -> tuple[str, str]:
        if phase == "down":
            if knee_flag:
                return "Knee past the toes: sit back onto the box, shins more upright.", "warn"
            if label in ("parallel", "below_parallel"):
                return "Depth reached: stand up.", "ok"
            return "Sit back and down onto the box.", "info"
        if view == "front":
            return "Turn side-on to the camera to see knee-over-toe.", "warn"
        if not feet_seen:
            return "Keep both feet in the picture.", "warn"
        last = self._reps[-1] if self._reps else None
        if last is not None:
            if last.knee_flag:
                return f"Rep {last.index}: knee went past the toes. Sit back more.", "warn"
            return f"Rep {last.index} done: good. Ready for the next.", "ok"
        return "Ready: squat when you are.", "info"

    # ----------------------------------------------------------------- script side
    def latest(self) -> LiveReadout:
        with self._lock:
            return self._readout

    @property
    def live_reps(self) -> list[LiveRep]:
        with self._lock:
            return list(self._reps)

    @property
    def recorded_frames(self) -> int:
        with self._lock:
            return len(self._rec_t)

    def recorded_sequence(self, source: str = "webcam") -> PoseSequence:
        """The raw landmarks recorded so far (un-mirrored picture coordinates)."""
        with self._lock:
            t = np.asarray(self._rec_t, dtype=np.float64)
            rec = list(self._rec)
            w, h = self._width, self._height
        if not rec:
            return PoseSequence.empty(w, h, 30.0, source)
        t = t - t[0]
        fps = float((len(t) - 1) / t[-1]) if len(t) > 1 and t[-1] > 0 else 30.0
        return PoseSequence(t, np.stack([r[0] for r in rec]), np.stack([r[1] for r in rec]),
                            np.stack([r[2] for r in rec]), np.stack([r[3] for r in rec]),
                            w, h, fps, source)

    def finish(self, thresholds: Thresholds | None = None, profile: str | None = None
               ) -> tuple[Analysis, PoseSequence]:
        """Score the whole set as the upload page scores a clip. Raises NoPersonError when
        nothing usable was recorded."""
        seq = self.recorded_sequence()
        if len(seq) < 2:
            raise NoPersonError("Nothing was recorded. Start the camera, step into the picture "
                                "and do a few squats before stopping.")
        th = thresholds or self.thresholds
        return analyze_sequence(seq, th, profile or self.profile), seq


def _trim(dq: deque, t_min: float) -> None:
    while dq and dq[0][0] < t_min:
        dq.popleft()


# ----------------------------------------------------------------------------- drawing
_COLORS = {"ok": (40, 170, 60), "warn": (220, 60, 40), "info": (40, 110, 200)}


def _shade(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, color, alpha: float) -> None:
    """Blend a filled box into img in place (only the box region is touched)."""
    x0, y0 = max(0, x0), max(0, y0)
    roi = img[y0:y1, x0:x1]
    if roi.size:
        roi[:] = (roi * (1 - alpha) + np.array(color, np.float32) * alpha).astype(np.uint8)


def annotate_live(rgb: np.ndarray, r: LiveReadout, mirror_view: bool = False,
                  mirrored_input: bool = False) -> np.ndarray:
    """The picture to send back: un-mirrored (or mirrored when `mirror_view`), with the
    skeleton and a panel of rep count, depth, knee-over-toe and the current cue."""
    import cv2

    img = rgb[:, ::-1] if mirrored_input else rgb
    if mirror_view:
        img = img[:, ::-1]
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    if r.person and r.xy_px is not None:
        xy = r.xy_px.copy()
        if mirror_view:
            xy[:, 0] = w - 1 - xy[:, 0]
        near = set(int(i) for i in LEG[r.leg]) if r.leg else set()
        for a, b in SKELETON:
            pa, pb = xy[int(a)], xy[int(b)]
            if np.isfinite(pa).all() and np.isfinite(pb).all():
                col = (255, 200, 0) if int(a) in near and int(b) in near else (235, 235, 235)
                cv2.line(img, tuple(int(v) for v in pa), tuple(int(v) for v in pb), col,
                         max(2, w // 240), cv2.LINE_AA)
        for i in range(11, N_LANDMARKS):
            p = xy[i]
            if np.isfinite(p).all():
                cv2.circle(img, (int(p[0]), int(p[1])), max(3, w // 160),
                           (255, 120, 0) if i in near else (255, 255, 255), -1, cv2.LINE_AA)
    scale = max(0.45, w / 900.0)
    lines = [f"Reps: {r.reps}"]
    if r.person:
        lines.append("Depth: " + ("--" if r.depth is None else f"{r.depth:.2f}")
                     + ("" if r.thigh_deg is None else f"  thigh {r.thigh_deg:+.0f} deg"))
        lines.append("Knee-over-toe: " + ("n/a" if r.knee_over_toe_ratio is None
                                          else f"{r.knee_over_toe_ratio:+.2f} foot"))
    pad = int(8 * scale)
    lh = int(30 * scale)
    box_h = pad * 2 + lh * len(lines)
    box_w = int(min(w - 2 * pad, 340 * scale))
    _shade(img, pad, pad, pad + box_w, pad + box_h, (0, 0, 0), 0.55)
    for k, text in enumerate(lines):
        y = pad + pad + lh * (k + 1) - int(8 * scale)
        cv2.putText(img, text, (2 * pad, y), cv2.FONT_HERSHEY_SIMPLEX,
                    scale * (0.95 if k == 0 else 0.7), (255, 255, 255),
                    max(1, int(2 * scale)), cv2.LINE_AA)
    cue = r.cue.encode("ascii", "replace").decode()
    cy0 = h - int(44 * scale)
    _shade(img, 0, cy0, w, h, _COLORS.get(r.cue_level, (40, 110, 200)), 0.8)
    fs = scale * 0.75
    (tw, _), _ = cv2.getTextSize(cue, cv2.FONT_HERSHEY_SIMPLEX, fs, 1)
    if tw > w - 2 * pad:
        fs *= (w - 2 * pad) / tw
    cv2.putText(img, cue, (pad, h - int(16 * scale)), cv2.FONT_HERSHEY_SIMPLEX, fs,
                (255, 255, 255), max(1, int(1.5 * scale)), cv2.LINE_AA)
    return img
