"""The streaming analyser: the clip path's own definitions, fed one frame at a time.

Pure (numpy in, frozen dataclasses out): no model, no camera, no threads. The live page feeds it
through live.LiveSession; `formcheck analyze --replay-live` feeds it a clip's frames at their
timestamps, so what the live page does can be replayed and compared with the clip path.

Per frame: the landmarks are gated as clean.gate does, smoothed by a causal filter (a strategy
passed in; One-Euro by default) and measured by metrics' functions over a trailing window
(depth_signal, compute_series, knee_over_toe, detect_view); the depth drives the one rep
segmenter (reps.RepSegmenter). When a rep is confirmed, metrics.rep_metrics measures it on the
frames around it and feedback.assess_rep judges it. `finish()` assembles the same Analysis the
clip path makes, with exactly the reps the counter showed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .analysis import Analysis, assemble, check_person
from .clean import CleanSettings, OneEuro, gate
from .errors import NoPersonError
from .feedback import RepAssessment, assess_rep
from .landmarks import N_LANDMARKS, PoseSequence
from .landmarks import Landmark as L
from .metrics import (STANDING_DEPTH, STANDING_WINDOW_S, SCALE_WINDOW_S, RepMetrics, ScaleRefs, StandingRefs,
                      compute_series, corrected_depth_angle, depth_angle, depth_signal,
                      knee_over_toe, not_a_squat, rep_body_yaw_deg, rep_metrics, scale_refs,
                      standing_refs, thigh_bias_for, with_rep_yaw)
from .reps import Rep, RepSegmenter, RepSettings, make_rep, settings_for_min_depth
from .thresholds import Thresholds
from .values import clean_float
from .view import detect_view, yaw_per_frame
from .vocab import DepthClass, Phase, View

log = logging.getLogger(__name__)

WINDOW_S = STANDING_WINDOW_S + SCALE_WINDOW_S   # trailing window for one frame's depth
VIEW_WINDOW_S = 2.0        # trailing window for the view, facing and near leg
VIEW_EVERY_S = 0.25        # how often they are re-measured
REFS_EVERY_S = 0.5         # how often the body references are re-measured over the buffer
REP_MARGIN_S = 1.5         # frames kept before a rep's start for its standing references
MAX_RECORD_S = 20 * 60.0   # landmarks kept for the end-of-set summary
RECORD_DTYPE = np.float32  # halves the recording's memory; landmarks files use it too

Smoother = Callable[[float, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class LiveRep:
    """A rep the counter counted, measured and judged as the clip path measures and judges."""

    rep: Rep                     # frame indices into the recorded sequence
    metrics: RepMetrics
    assessment: RepAssessment

    @property
    def index(self) -> int:
        return self.metrics.index


@dataclass(frozen=True)
class LiveReadout:
    """The latest frame's numbers for the page and the overlay."""

    t_s: float = 0.0
    person: bool = False
    reps: int = 0
    phase: Phase = "waiting"
    depth: float | None = None        # the rep signal: 0 standing, 1 thigh level
    depth_label: DepthClass = "unclear"
    depth_between: tuple = ()         # split evidence: (the hip height's class, its neighbour)
    depth_close_to: str | None = None  # decided, near a cut: the class across it
    thigh_deg: float | None = None    # near leg, to horizontal, + = hip below knee
    hip_height_ratio: float | None = None
    knee_over_toe_ratio: float | None = None  # foot lengths, + = knee ahead of the toes
    shin_deg: float | None = None
    knee_flag: bool = False           # knee_travel or shin_angle fired on this frame
    leg: str | None = None
    view: View = "unknown"
    cue: str = "Start the camera and step into the picture."
    cue_level: str = "info"           # info | ok | warn
    last_rep: LiveRep | None = None
    process_ms: float = 0.0
    frames: int = 0
    xy_px: np.ndarray | None = field(default=None, repr=False)  # smoothed, analysis coordinates
    visibility: np.ndarray | None = field(default=None, repr=False)
    width_px: int = 0
    height_px: int = 0


class _Frames:
    """Frames in arrival order, in growable numpy arrays; `g0` is the global index of the first
    kept frame. Trimming from the front only moves a cursor (the arrays are compacted later)."""

    _SHAPES = {"xy": (N_LANDMARKS, 2), "z": (N_LANDMARKS,), "vis": (N_LANDMARKS,),
               "world": (N_LANDMARKS, 3)}

    def __init__(self, dtype=np.float64, capacity: int = 256):
        self.meta: dict = {}   # PoseSequence.meta of every seq() (the pose model's provenance)
        self.g0 = 0
        self._lo = self._hi = 0
        self._dtype = dtype
        self._t = np.zeros(capacity)
        self._depth = np.zeros(capacity)
        self._a = {k: np.zeros((capacity, *sh), dtype) for k, sh in self._SHAPES.items()}

    def __len__(self) -> int:
        return self._hi - self._lo

    def _make_room(self) -> None:
        n = len(self)
        cap = len(self._t)
        if self._lo > 0 and n < cap // 2:      # compact in place
            for arr in (self._t, self._depth, *self._a.values()):
                arr[:n] = arr[self._lo:self._hi]
        else:                                    # grow
            new = max(256, 2 * cap)
            self._t = np.concatenate([self._t[self._lo:self._hi], np.zeros(new - n)])
            self._depth = np.concatenate([self._depth[self._lo:self._hi], np.zeros(new - n)])
            self._a = {k: np.concatenate([v[self._lo:self._hi],
                                          np.zeros((new - n, *self._SHAPES[k]), self._dtype)])
                       for k, v in self._a.items()}
        self._lo, self._hi = 0, n

    def append(self, t, xy, z, vis, world) -> None:
        if self._hi == len(self._t):
            self._make_room()
        i = self._hi
        self._t[i], self._depth[i] = t, np.nan
        for k, v in (("xy", xy), ("z", z), ("vis", vis), ("world", world)):
            self._a[k][i] = v
        self._hi += 1

    def trim_before(self, t_min: float) -> None:
        k = int(np.searchsorted(self._t[self._lo:self._hi], t_min, side="left"))
        self._lo += k
        self.g0 += k

    @property
    def t(self) -> np.ndarray:
        return self._t[self._lo:self._hi]

    @property
    def depth(self) -> np.ndarray:
        """Streamed depth per kept frame (a view: writable)."""
        return self._depth[self._lo:self._hi]

    def last(self, key: str) -> np.ndarray:
        return self._a[key][self._hi - 1].copy()

    def since(self, t_min: float) -> int:
        """Position of the first kept frame at or after t_min."""
        return int(np.searchsorted(self.t, t_min, side="left"))

    def seq(self, start: int, w: int, h: int, source: str = "", stop: int | None = None
            ) -> tuple[PoseSequence, np.ndarray]:
        """Kept frames [start:stop] as a PoseSequence (float64 copies) and their streamed depth."""
        lo = self._lo + start
        hi = self._hi if stop is None else self._lo + stop
        a = {k: v[lo:hi].astype(np.float64) for k, v in self._a.items()}
        seq = PoseSequence(self._t[lo:hi].copy(), a["xy"], a["z"], a["vis"], a["world"], w, h,
                           30.0, source, meta=dict(self.meta))
        return seq, self._depth[lo:hi].copy()


class StreamingAnalyser:
    """Feed frames with `push`; read `reps`; end with `finish()`."""

    def __init__(self, thresholds: Thresholds, profile: str = "custom",
                 rep_settings: RepSettings | None = None,
                 clean_settings: CleanSettings = CleanSettings(),
                 smoother: Smoother | None = None, source: str = "webcam",
                 meta: dict | None = None):
        """meta: the landmarks' PoseSequence.meta (its provenance names the pose backend, whose
        keypoint-bias correction the depth number takes, metrics.thigh_bias_for); it can also
        be set later with set_meta, once the model is known."""
        self.thresholds = thresholds
        self.profile = profile
        # reps count from the profile's minimum depth, as on the clip path
        rep_settings = rep_settings or settings_for_min_depth(thresholds.min_rep_depth_ratio)
        self.rep_settings = rep_settings
        self.clean_settings = clean_settings
        self.source = source
        self._smooth: Smoother = smoother or OneEuro()
        self._segmenter = RepSegmenter(rep_settings)
        self._buffer_s = rep_settings.max_rep_s + 2 * STANDING_WINDOW_S + REP_MARGIN_S
        self._buf = _Frames()            # smoothed frames, the last _buffer_s seconds
        self._rec_raw = _Frames(RECORD_DTYPE)     # everything as the model gave it (bounded)
        self._rec_smooth = _Frames(RECORD_DTYPE)  # the same smoothed, with the streamed depth
        self._refs = ScaleRefs()
        self._standing: StandingRefs | None = None
        self._refs_t = -np.inf
        self._view = None
        self._view_t = -np.inf
        self._reps: list[LiveRep] = []
        self._n = 0
        self._last_t: float | None = None
        self._t0: float | None = None
        self._w = self._h = 0
        self._readout = LiveReadout()
        self._truncated = False
        self.set_meta(meta or {})

    def set_meta(self, meta: dict) -> None:
        for frames in (self._buf, self._rec_raw, self._rec_smooth):
            frames.meta = dict(meta)

    # ------------------------------------------------------------------ input
    def push(self, t_s: float, xy_px: np.ndarray, visibility: np.ndarray, width_px: int,
             height_px: int, z: np.ndarray | None = None, world_m: np.ndarray | None = None,
             process_ms: float = 0.0) -> LiveReadout:
        """One frame's landmarks (pixels of the un-mirrored picture), as the model gave them."""
        xy_raw = np.asarray(xy_px, dtype=np.float64).reshape(N_LANDMARKS, 2)
        vis = np.nan_to_num(np.asarray(visibility, dtype=np.float64).reshape(N_LANDMARKS))
        z = np.full(N_LANDMARKS, np.nan) if z is None else np.asarray(z, np.float64).reshape(N_LANDMARKS)
        world = (np.full((N_LANDMARKS, 3), np.nan) if world_m is None
                 else np.asarray(world_m, np.float64).reshape(N_LANDMARKS, 3))
        if self._last_t is not None and t_s <= self._last_t:
            t_s = self._last_t + 1e-3
        self._t0 = t_s if self._t0 is None else self._t0
        self._last_t = t_s
        self._w, self._h = int(width_px), int(height_px)
        xy = self._smooth(t_s, gate(xy_raw, vis, self._w, self._h, self.clean_settings))
        recording = t_s - self._t0 <= MAX_RECORD_S
        if recording:
            self._rec_raw.append(t_s, xy_raw, z, vis, world)
            self._rec_smooth.append(t_s, xy, z, vis, world)
        else:
            self._truncated = True
        self._buf.append(t_s, xy, z, vis, world)
        self._buf.trim_before(t_s - self._buffer_s)
        self._n += 1
        person = bool(np.isfinite(xy_raw[L.LEFT_HIP, 0]))
        if t_s - self._refs_t >= REFS_EVERY_S and person:
            self._update_refs()
            self._refs_t = t_s
        readout = self._measure(t_s, person, process_ms)
        if recording:
            self._rec_smooth.depth[-1] = self._buf.depth[-1]
        self._readout = readout
        return readout

    def _update_refs(self) -> None:
        seq, depth = self._buf.seq(0, self._w, self._h)
        if not np.isfinite(seq.xy_px[:, L.LEFT_HIP, 0]).any():
            return
        self._refs = scale_refs(seq)
        standing = np.isfinite(depth) & (depth < STANDING_DEPTH)
        if standing.any() or self._standing is None:
            self._standing = standing_refs(seq, depth)

    # ------------------------------------------------------------------ per frame
    def _measure(self, t: float, person: bool, process_ms: float) -> LiveReadout:
        buf, th = self._buf, self.thresholds
        depth = np.nan
        win = None
        if person:
            win, _ = buf.seq(buf.since(t - WINDOW_S), self._w, self._h)
            depth = float(depth_signal(win, self._refs)[-1])
        buf.depth[-1] = depth
        span = self._segmenter.update(t, depth)
        if span is not None:
            self._rep_done(*span)
        last = self._reps[-1] if self._reps else None
        common = dict(reps=len(self._reps), last_rep=last, process_ms=process_ms,
                      frames=self._n, width_px=self._w, height_px=self._h)
        if not person:
            return LiveReadout(t, False, phase="no_person", cue=(
                "Step into the picture: whole body and feet in view, side-on, 2-3 m away."),
                cue_level="warn", **common)
        m = self._frame_metrics(t, depth)
        a = assess_rep(m, th)
        knee_flag = any(f.code in ("knee_travel", "shin_angle") for f in a.flags)
        down = self._segmenter.down or (np.isfinite(depth) and depth > self.rep_settings.enter)
        phase: Phase = "down" if down else "standing"
        cue, level = self._cue(phase, m, a, last)
        return LiveReadout(t, True, phase=phase, depth=depth if np.isfinite(depth) else None,
                           depth_label=a.depth, depth_between=a.depth_between,
                           depth_close_to=a.depth_close_to,
                           thigh_deg=m.thigh_angle_deg,
                           hip_height_ratio=m.hip_height_ratio,
                           knee_over_toe_ratio=m.knee_over_toe_ratio, shin_deg=m.shin_angle_deg,
                           knee_flag=knee_flag, leg=m.leg, view=m.view, cue=cue, cue_level=level,
                           xy_px=buf.last("xy"), visibility=buf.last("vis"), **common)

    def _frame_metrics(self, t: float, depth: float) -> RepMetrics:
        """This frame measured as a rep's bottom is, by the same functions, on one frame."""
        buf = self._buf
        if self._view is None or t - self._view_t >= VIEW_EVERY_S:
            vwin, _ = buf.seq(buf.since(t - VIEW_WINDOW_S), self._w, self._h)
            self._view, self._view_t = detect_view(vwin), t
        vinfo = self._view
        one, _ = buf.seq(len(buf) - 1, self._w, self._h)
        standing = self._standing or standing_refs(one, np.array([depth]))
        series = compute_series(one, depth=np.array([depth]), refs=self._refs, standing=standing,
                                facing=vinfo.facing or None)
        leg, view = vinfo.near_leg, vinfo.view
        if view == "oblique":   # the turned thigh divides by sin of the rep's yaw, as a rep's does
            yaw = self._rep_yaw_so_far_deg()
            if np.isfinite(yaw):
                series = with_rep_yaw(series, one.xy_px, yaw)
        reasons: dict[str, str] = {}
        kot_px = kot_ratio = shin = None
        key = ""
        if view in ("side", "oblique"):
            kot_px, kot_ratio, shin, why, key = knee_over_toe(one, series, np.array([0]), view,
                                                              leg, series.facing)
            if why:
                reasons["knee_over_toe"] = why
        lg = series.legs[leg]
        f = clean_float
        with np.errstate(all="ignore"):
            hip = series.hip_height_px[0] / standing.hip_height_px
        # the one depth number, as a rep's is (metrics.depth_angle + corrected_depth_angle)
        raw, err, src = depth_angle(series, np.array([0]), view, leg)
        dep, bias = corrected_depth_angle(raw, view, thigh_bias_for(one.meta))
        return RepMetrics(0, t, t, t, view, vinfo.yaw_deg, leg, f(dep),
                          f(lg.knee_flexion_deg[0]), f(hip), kot_px, kot_ratio, shin,
                          f(series.trunk_lean_deg[0]), None, 0.0, 0.0, 0.0, reasons, None,
                          series.facing, key, -1, dep, err if dep is not None else None,
                          src if dep is not None else "", thigh_px_deg=f(lg.thigh_deg[0]),
                          depth_angle_bias_deg=bias)

    def _rep_yaw_so_far_deg(self) -> float:
        """The body's yaw over the rep under way, from its frames so far: metrics.rep_body_yaw_deg
        of the rep they make (reps.make_rep up to this frame, on the frames _rep_done will
        measure it on). Until the bottom these are the descent's frames, so at the bottom it
        reads the descent's shallower half, where the rep's row reads both halves'. NaN when no
        rep is under way (standing: the readout shows no depth number then) or its start has
        left the buffer."""
        buf = self._buf
        start_g = self._segmenter.under_way_i
        if start_g is None or start_g < buf.g0:
            return float("nan")
        first = buf.since(float(buf.t[start_g - buf.g0]) - REP_MARGIN_S)
        seq, depth = buf.seq(first, self._w, self._h)
        rep = make_rep(seq.t_s, depth, start_g - buf.g0 - first, len(seq) - 1, self.rep_settings)
        return rep_body_yaw_deg(yaw_per_frame(seq), depth, rep)

    # ------------------------------------------------------------------ per rep
    def _rep_done(self, start_g: int, end_g: int) -> None:
        buf = self._buf
        if start_g < buf.g0:
            log.warning("rep longer than the buffer; not measured")
            return
        t_start = float(buf.t[start_g - buf.g0])
        first = buf.since(t_start - REP_MARGIN_S)
        seq, depth = buf.seq(first, self._w, self._h, self.source)
        off = buf.g0 + first
        rep = make_rep(seq.t_s, depth, start_g - off, end_g - off, self.rep_settings)
        standing = self._standing or standing_refs(seq, depth)
        series = compute_series(seq, depth=depth, refs=self._refs, standing=standing)
        m = rep_metrics(seq, series, rep, len(self._reps) + 1)
        if (why := not_a_squat(m)):
            log.info("not counted at %.2f s: %s", m.bottom_s, why)
            return
        g = replace(rep, start_i=rep.start_i + off, bottom_i=rep.bottom_i + off,
                    end_i=rep.end_i + off, band_start_i=rep.band_start_i + off,
                    band_end_i=rep.band_end_i + off)
        m = replace(m, bottom_i=g.bottom_i)
        self._reps.append(LiveRep(g, m, assess_rep(m, self.thresholds)))

    def _cue(self, phase: Phase, m: RepMetrics, a: RepAssessment, last: LiveRep | None
             ) -> tuple[str, str]:
        knee = [f for f in a.flags if f.code in ("knee_travel", "shin_angle")]
        if phase == "down":
            if knee:
                return f"Sit back onto the box: {knee[0].message}.", "warn"
            if a.depth in ("parallel", "below_parallel"):
                return "Depth reached: stand up.", "ok"
            return "Sit back and down onto the box.", "info"
        if m.view == "front":
            return "Turn side-on to the camera to see knee-over-toe.", "warn"
        if "feet" in m.reasons.get("knee_over_toe", ""):
            return "Keep both feet in the picture.", "warn"
        if last is not None:
            warn = [f for f in last.assessment.flags if f.severity == "warn"]
            if warn:
                return f"Rep {last.index}: {warn[0].message}.", "warn"
            return f"Rep {last.index} done: within your limits. Ready for the next.", "ok"
        return "Ready: squat when you are.", "info"

    # ------------------------------------------------------------------ output
    @property
    def reps(self) -> list[LiveRep]:
        return list(self._reps)

    @property
    def readout(self) -> LiveReadout:
        return self._readout

    @property
    def recorded_frames(self) -> int:
        return len(self._rec_raw)

    def recorded_sequence(self) -> PoseSequence:
        """The raw landmarks recorded (un-mirrored picture coordinates), t from 0."""
        seq, _ = self._rec_raw.seq(0, self._w, self._h, self.source)
        if len(seq) == 0:
            return seq
        t = seq.t_s - seq.t_s[0]
        fps = float((len(t) - 1) / t[-1]) if len(t) > 1 and t[-1] > 0 else 30.0
        return seq.replace(t_s=t, fps=fps)

    def finish(self, thresholds: Thresholds | None = None, profile: str | None = None,
               warnings: list[str] | None = None) -> tuple[Analysis, PoseSequence]:
        """The set as an Analysis, with the reps the counter counted; and the raw landmarks.
        Times count from the first frame. Raises NoPersonError when nothing usable was seen."""
        raw = self.recorded_sequence()
        if len(raw) < 2:
            raise NoPersonError("Nothing was recorded. Start the camera, step into the picture "
                                "and do a few squats before stopping.")
        frac = check_person(raw)
        t0 = float(self._rec_raw.t[0])
        smooth_seq, depth = self._rec_smooth.seq(0, self._w, self._h, self.source)
        smooth = raw.replace(xy_px=smooth_seq.xy_px)
        series = compute_series(smooth, depth=depth, refs=scale_refs(smooth),
                                standing=standing_refs(smooth, depth))
        n = len(raw)
        reps, metrics = [], []
        for lr in self._reps:
            if lr.rep.end_i >= n:
                continue
            reps.append(replace(lr.rep, start_s=lr.rep.start_s - t0, bottom_s=lr.rep.bottom_s - t0,
                                end_s=lr.rep.end_s - t0, pause_start_s=lr.rep.pause_start_s - t0,
                                pause_end_s=lr.rep.pause_end_s - t0))
            metrics.append(replace(lr.metrics, start_s=lr.metrics.start_s - t0,
                                   bottom_s=lr.metrics.bottom_s - t0, end_s=lr.metrics.end_s - t0))
        notes = list(warnings or [])
        if self._truncated:
            notes.append(f"The set ran past {MAX_RECORD_S / 60:.0f} minutes: only the first "
                         f"{MAX_RECORD_S / 60:.0f} minutes are in this summary.")
        th = thresholds or self.thresholds
        an = assemble(raw, smooth, series, reps, metrics, detect_view(smooth), th,
                      profile or self.profile, notes, frac)
        return an, raw


def replay(seq: PoseSequence, thresholds: Thresholds, profile: str = "custom",
           rep_settings: RepSettings | None = None, clean_settings: CleanSettings = CleanSettings(),
           warnings: list[str] | None = None) -> Analysis:
    """Feed a recorded landmark sequence through the live path, frame by frame at its
    timestamps, and return the live path's Analysis (what the live page would have shown)."""
    sa = StreamingAnalyser(thresholds, profile, rep_settings, clean_settings, source=seq.source,
                           meta=seq.meta)
    for i in range(len(seq)):
        sa.push(float(seq.t_s[i]), seq.xy_px[i], seq.visibility[i], seq.width_px, seq.height_px,
                z=seq.z[i], world_m=seq.world_m[i])
    analysis, _ = sa.finish(warnings=warnings)
    if len(seq):  # times from the start of the file, as the clip path reports them
        t0 = float(seq.t_s[0])
        analysis = shift_times(analysis, t0)
    return analysis


def shift_times(analysis: Analysis, dt_s: float) -> Analysis:
    """The same analysis with every time moved by dt_s (live times count from the first frame)."""
    if dt_s == 0:
        return analysis
    reps = [replace(r, start_s=r.start_s + dt_s, bottom_s=r.bottom_s + dt_s, end_s=r.end_s + dt_s,
                    pause_start_s=r.pause_start_s + dt_s, pause_end_s=r.pause_end_s + dt_s)
            for r in analysis.reps]
    ms = [replace(m, start_s=m.start_s + dt_s, bottom_s=m.bottom_s + dt_s, end_s=m.end_s + dt_s)
          for m in analysis.metrics]
    seq = analysis.clean_seq.replace(t_s=analysis.clean_seq.t_s + dt_s)
    series = analysis.series.replace(t_s=seq.t_s)
    return replace(analysis, reps=reps, metrics=ms, clean_seq=seq, series=series)
