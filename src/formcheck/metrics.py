"""Per-frame series and per-rep metrics. Pure functions: PoseSequence in, arrays and dataclasses out.

Definitions and sources: see ../shared/DESIGN.md §4 and the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .geometry import (angle_at, distance, incline_deg, midpoint, nanmedian_or_nan,
                       rolling_nanmedian, rolling_nanpercentile, tilt_from_vertical_deg)
from .landmarks import LEG, PoseSequence
from .landmarks import Landmark as L
from .reps import Rep
from .view import classify_yaw, facing_sign, near_leg, yaw_per_frame

STANDING_DEPTH = 0.12       # depth signal below this counts as standing (for baselines)
MIN_FOOT_VISIBILITY = 0.5   # heel and toe must be seen this well to judge knee-over-toe
MIN_FOOT_TO_SHIN = 0.3      # a foot shorter than this (in the picture) points at the camera
STANDING_WINDOW_S = 2.5     # half-width of the window that finds the local standing level
SCALE_WINDOW_S = 1.0        # half-width of the window that smooths the body scale
MIN_TORSO_RISE = 0.2        # shoulders must be this many body lengths above the hips
DROP_CAP = 1.1              # thigh drop per body length is capped at this share of the clip's
HOLD_FLOOR = 0.7            # the local standing level never drops below this share of the clip's


@dataclass(frozen=True)
class Series:
    """Per-frame values (N,) or per-leg values {"left": (N,), "right": (N,)}."""

    t_s: np.ndarray
    depth: np.ndarray                 # 0 standing, 1 thigh level, >1 deeper
    yaw_deg: np.ndarray
    hip_height_px: np.ndarray         # mid-hip height above the mid-ankle, in pixels
    hip_height_ratio: np.ndarray      # the same / the clip's standing hip height (for plots)
    thigh_deg: dict                   # thigh to horizontal, +ve hip below knee
    knee_flexion_deg: dict            # 180 - hip-knee-ankle
    shin_deg: dict                    # shank from vertical, +ve knee forward (needs facing)
    knee_over_toe_px: dict            # +ve knee ahead of the toes; "front_most": the knee
                                      # furthest forward vs the toe furthest forward
    trunk_lean_deg: np.ndarray        # +ve leaning forward
    fppa_deg: dict                    # frontal-plane projection angle, +ve valgus (knee inward)
    foot_len_px: dict                 # standing heel->toe horizontal length (scalar per leg)
    facing: int


def body_scale(seq: PoseSequence) -> np.ndarray:
    """(N,) a body length in pixels that squatting does not change much: the torso
    (mid-shoulder to mid-hip), or the shins where the shoulders are out of the picture; smoothed
    over a second so that it follows the camera zooming and the person walking nearer or away."""
    xy = seq.xy_px
    torso = distance(midpoint(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER]),
                     midpoint(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP]))
    with np.errstate(all="ignore"):
        shin = np.nanmean(np.stack([distance(xy[:, L.LEFT_KNEE], xy[:, L.LEFT_ANKLE]),
                                    distance(xy[:, L.RIGHT_KNEE], xy[:, L.RIGHT_ANKLE])]), axis=0)
    torso = rolling_nanmedian(seq.t_s, torso, SCALE_WINDOW_S)
    shin = rolling_nanmedian(seq.t_s, shin, SCALE_WINDOW_S)
    both = np.isfinite(torso) & np.isfinite(shin)
    ratio = float(np.median(torso[both] / shin[both])) if both.any() else 1.0
    scale = np.where(np.isfinite(torso), torso, shin * ratio)
    return np.where(np.isfinite(scale), scale, 1.0) if not np.isfinite(scale).any() else scale


def depth_signal(seq: PoseSequence) -> np.ndarray:
    """How far the thighs have turned from hanging to level, scale-free, per frame.

    Per leg: drop = (knee y - hip y) / body_scale, and depth = 1 - drop / standing drop, where
    the standing drop is the largest the drop is nearby in time (standing, the thigh hangs
    straight), but no less than HOLD_FLOOR of the clip's. 0 standing, 1 with the hip level with
    the knee, above 1 deeper. From the front the thigh shortens toward the camera and the hip
    drops toward the knee in the same way, so the signal works in every view; it does not move
    when the camera pans or zooms, nor with a change of stance. Legs are weighted by visibility;
    frames with the shoulders down at hip level are NaN (lying, planking: not a squat).
    """
    xy = seq.xy_px
    scale = body_scale(seq)
    legs, weights = [], []
    for hip, knee in ((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE)):
        # vertical thigh extent in body-size units: largest when standing
        with np.errstate(all="ignore"):
            drop = (xy[:, knee, 1] - xy[:, hip, 1]) / scale
        finite = drop[np.isfinite(drop)]
        if finite.size:
            # A collapsed body scale (lying down facing the camera) must not set the level.
            drop = np.fmin(drop, DROP_CAP * np.percentile(finite, 95))
        ref = rolling_nanpercentile(seq.t_s, drop, STANDING_WINDOW_S, 95)
        if finite.size:
            ref = np.fmax(ref, HOLD_FLOOR * np.percentile(finite, 95))
        with np.errstate(all="ignore"):
            d = 1.0 - drop / ref
        w = np.minimum(seq.visibility[:, hip], seq.visibility[:, knee]) ** 2
        w = np.where(np.isfinite(d), w, 0.0)
        legs.append(np.nan_to_num(d))
        weights.append(w)
    if not len(seq):
        return np.zeros(0)
    wsum = weights[0] + weights[1]
    with np.errstate(all="ignore"):
        out = (legs[0] * weights[0] + legs[1] * weights[1]) / wsum
        # Shoulders level with or below the hips: lying, planking or bent double, not a squat.
        rise = (midpoint(xy[:, L.LEFT_HIP, 1], xy[:, L.RIGHT_HIP, 1])
                - midpoint(xy[:, L.LEFT_SHOULDER, 1], xy[:, L.RIGHT_SHOULDER, 1]))
        lying = rise < MIN_TORSO_RISE * scale
    return np.where((wsum > 1e-6) & ~lying, out, np.nan)


def fppa(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial_sign: float) -> np.ndarray:
    """Frontal-plane projection angle: 180 - hip-knee-ankle, signed +ve when the knee lies on
    the medial side (toward `medial_sign` in x) of the hip-ankle line."""
    ang = 180.0 - angle_at(hip, knee, ankle)
    # x of the hip-ankle line at the knee's height
    with np.errstate(all="ignore"):
        frac = (knee[:, 1] - hip[:, 1]) / (ankle[:, 1] - hip[:, 1])
        line_x = hip[:, 0] + frac * (ankle[:, 0] - hip[:, 0])
    side = np.sign((knee[:, 0] - line_x) * medial_sign)
    return ang * np.where(side == 0, 1.0, side)


def compute_series(seq: PoseSequence) -> Series:
    xy = seq.xy_px
    t = seq.t_s
    depth = depth_signal(seq)
    standing = np.isfinite(depth) & (depth < STANDING_DEPTH)
    facing = facing_sign(seq) or 1
    thigh, flex, shin, kot, fp, foot = {}, {}, {}, {}, {}, {}
    mid_hip_x = midpoint(xy[:, L.LEFT_HIP, 0], xy[:, L.RIGHT_HIP, 0])
    for side, (hip, knee, ankle, heel, toe) in LEG.items():
        H, K, A, He, T = xy[:, hip], xy[:, knee], xy[:, ankle], xy[:, heel], xy[:, toe]
        thigh[side] = incline_deg(H, K)
        flex[side] = 180.0 - angle_at(H, K, A)
        shin[side] = tilt_from_vertical_deg(K, A, facing)
        kot[side] = facing * (K[:, 0] - T[:, 0])
        flen = np.abs(T[:, 0] - He[:, 0])
        foot[side] = nanmedian_or_nan(flen[standing]) if standing.any() else nanmedian_or_nan(flen)
        medial = np.sign(mid_hip_x - H[:, 0])  # toward the body's midline
        fp[side] = fppa(H, K, A, medial)
    # Side on, MediaPipe often mixes up which knee and foot are left or right; the front-most
    # knee against the front-most toe needs no pairing.
    with np.errstate(all="ignore"):
        kot["front_most"] = (np.fmax(facing * xy[:, L.LEFT_KNEE, 0], facing * xy[:, L.RIGHT_KNEE, 0])
                             - np.fmax(facing * xy[:, L.LEFT_FOOT_INDEX, 0],
                                       facing * xy[:, L.RIGHT_FOOT_INDEX, 0]))
        shin_len = nanmedian_or_nan(np.concatenate([
            distance(xy[:, L.LEFT_KNEE], xy[:, L.LEFT_ANKLE])[standing],
            distance(xy[:, L.RIGHT_KNEE], xy[:, L.RIGHT_ANKLE])[standing]]))
    foot["front_most"] = float(np.nanmean([foot["left"], foot["right"]]))
    foot["shin_len"] = shin_len
    ms = midpoint(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER])
    mh = midpoint(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP])
    trunk = tilt_from_vertical_deg(ms, mh, facing)
    ank_y = np.nanmean(np.stack([xy[:, L.LEFT_ANKLE, 1], xy[:, L.RIGHT_ANKLE, 1]]), axis=0) \
        if len(seq) else np.zeros(0)
    hip_h = ank_y - mh[:, 1]
    hip_stand = nanmedian_or_nan(hip_h[standing]) if standing.any() else nanmedian_or_nan(hip_h)
    return Series(t, depth, yaw_per_frame(seq), hip_h, hip_h / hip_stand, thigh, flex, shin, kot,
                  trunk, fp, foot, facing)


@dataclass(frozen=True)
class RepMetrics:
    """What one rep measured. None where the view cannot tell; `reasons` says why."""

    index: int
    start_s: float
    bottom_s: float
    end_s: float
    view: str
    yaw_deg: float
    leg: str
    thigh_angle_deg: float | None
    knee_flexion_deg: float | None
    hip_height_ratio: float | None
    knee_over_toe_px: float | None
    knee_over_toe_ratio: float | None
    shin_angle_deg: float | None
    trunk_lean_deg: float | None
    fppa_deg: float | None
    descent_s: float
    pause_s: float
    ascent_s: float
    reasons: dict = field(default_factory=dict)
    heel_lift_ratio: float | None = None   # heel rise over its standing height, foot lengths


def _foot_seen(seq: PoseSequence, idx: np.ndarray, leg: str) -> float:
    vis = seq.visibility[idx]
    he, to = int(LEG[leg][3]), int(LEG[leg][4])
    return float(np.nanmedian(np.minimum(vis[:, he], vis[:, to]))) if len(idx) else 0.0


def knee_over_toe(seq: PoseSequence, series: Series, idx: np.ndarray, view: str, leg: str
                  ) -> tuple[float | None, float | None, float | None, str]:
    """(px, foot lengths, shin angle, reason if unmeasured) over the frames idx of one rep.

    Side view: the front-most knee against the front-most toe. Oblique: the leg whose knee
    travels furthest past its own toes. The 90th percentile over the deep part of the rep."""
    seen = {k: _foot_seen(seq, idx, k) for k in ("left", "right")}
    if max(seen.values()) < MIN_FOOT_VISIBILITY:
        return None, None, None, ("feet not clearly visible at the bottom: keep the whole foot "
                                  "in the picture")
    shin_len = series.foot_len_px.get("shin_len", float("nan"))
    candidates = ["front_most"] if view == "side" else \
        [k for k in ("left", "right") if seen[k] >= MIN_FOOT_VISIBILITY]
    best = None
    for key in candidates:
        foot_len = series.foot_len_px[key]
        if not (np.isfinite(foot_len) and foot_len > 1):
            continue
        if np.isfinite(shin_len) and foot_len < MIN_FOOT_TO_SHIN * shin_len:
            continue  # the foot points at the camera: its length is not seen
        vals = series.knee_over_toe_px[key][idx]
        vals = vals[np.isfinite(vals)]
        if vals.size:
            px = float(np.percentile(vals, 90))
            if best is None or px / foot_len > best[1]:
                shin_key = leg if key == "front_most" else key
                best = (px, px / foot_len, _f(np.nanpercentile(series.shin_deg[shin_key][idx], 90)))
    if best is None:
        return None, None, None, ("the feet point toward the camera, so knee travel past the toes "
                                  "cannot be seen: film from the side")
    return best[0], best[1], best[2], ""


def knee_over_toe_ratio_series(series: Series, view: str, leg: str) -> np.ndarray:
    """(N,) knee-over-toe per frame in foot lengths, measured as the per-rep value is (side on:
    the front-most knee and toe; otherwise the given leg), for plots."""
    key = "front_most" if view == "side" else leg
    foot = series.foot_len_px.get(key, float("nan"))
    if not (np.isfinite(foot) and foot > 1):
        return np.full(len(series.t_s), np.nan)
    return series.knee_over_toe_px[key] / foot


def standing_hip_height(series: Series, rep: Rep, around_s: float = 1.0) -> float:
    """Hip height when standing just before and after this rep (the camera may zoom between
    reps), falling back to the whole clip's standing frames."""
    t = series.t_s
    near = ((t >= rep.start_s - around_s) & (t <= rep.start_s)) | \
           ((t >= rep.end_s) & (t <= rep.end_s + around_s))
    standing = np.isfinite(series.depth) & (series.depth < STANDING_DEPTH)
    for mask in (near & standing, standing):
        val = nanmedian_or_nan(series.hip_height_px[mask]) if mask.any() else float("nan")
        if np.isfinite(val) and val > 0:
            return val
    return float("nan")


def _f(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def rep_metrics(seq: PoseSequence, series: Series, rep: Rep, index: int,
                force_view: str | None = None) -> RepMetrics:
    """Measure one rep: values at the bottom (median over the bottom band), peaks over the rep."""
    rng = np.arange(rep.start_i, rep.end_i + 1)
    band = np.arange(rep.band_start_i, rep.band_end_i + 1)
    deep = rng[np.nan_to_num(series.depth[rng]) >= 0.6 * rep.peak_depth]
    if deep.size == 0:
        deep = band
    yaw = nanmedian_or_nan(series.yaw_deg[rng])
    view = force_view or classify_yaw(yaw)
    leg = near_leg(seq, band if view != "front" else rng)
    reasons: dict[str, str] = {}

    thigh = nanmedian_or_nan(series.thigh_deg[leg][band])
    flex = nanmedian_or_nan(series.knee_flexion_deg[leg][band])
    hip_h = nanmedian_or_nan(series.hip_height_px[band]) / standing_hip_height(series, rep)
    trunk = nanmedian_or_nan(series.trunk_lean_deg[band])

    kot_px = kot_ratio = shin = None
    if view == "front":
        reasons["knee_over_toe"] = ("front view: knee travel past the toes can only be measured "
                                    "from the side; film from the side at hip height")
    else:
        kot_px, kot_ratio, shin, why = knee_over_toe(seq, series, deep, view, leg)
        if why:
            reasons["knee_over_toe"] = why
    fp = None
    if view == "side":
        reasons["fppa"] = ("side view: knees caving in can only be judged from the front; film "
                           "from the front at knee height")
    else:
        both = np.stack([series.fppa_deg["left"][rng], series.fppa_deg["right"][rng]])
        with np.errstate(all="ignore"):
            per_frame = np.nanmean(both, axis=0)
        per_frame = per_frame[np.isfinite(per_frame)]
        if per_frame.size:
            fp = float(np.percentile(per_frame, 90))
    if view == "front":
        reasons["thigh_angle"] = "front view: the thigh points at the camera, so its angle is rough"
    heel = heel_lift(seq, series, deep, leg) if view != "front" else None
    return RepMetrics(index, rep.start_s, rep.bottom_s, rep.end_s, view, yaw, leg,
                      _f(thigh), _f(flex), _f(hip_h), _f(kot_px) if kot_px is not None else None,
                      _f(kot_ratio) if kot_ratio is not None else None, shin, _f(trunk), fp,
                      rep.descent_s, rep.pause_s, rep.ascent_s, reasons, heel)


def heel_lift(seq: PoseSequence, series: Series, idx: np.ndarray, leg: str) -> float | None:
    """How far the heel rises relative to the toes during the deep part of a rep, over its
    standing height, in foot lengths (side and oblique views; 0 = heel stays down). Measured
    against the same foot's toes so that a moving camera does not count as a lift."""
    if _foot_seen(seq, idx, leg) < MIN_FOOT_VISIBILITY:
        return None
    rise = seq.xy_px[:, int(LEG[leg][4]), 1] - seq.xy_px[:, int(LEG[leg][3]), 1]
    standing = np.isfinite(series.depth) & (series.depth < STANDING_DEPTH)
    base = nanmedian_or_nan(rise[standing])
    foot = series.foot_len_px.get(leg, float("nan"))
    vals = rise[idx][np.isfinite(rise[idx])]
    if not (np.isfinite(base) and np.isfinite(foot) and foot > 1 and vals.size):
        return None
    return float(max(0.0, float(np.percentile(vals, 90)) - base) / foot)
