"""Per-frame series and per-rep metrics: every measurement's one definition.

Pure functions: PoseSequence in, arrays and frozen dataclasses out. The clip path calls them on
the whole clip; the live path calls the same functions on a trailing window of the frames it
has seen, passing in the body references (ScaleRefs, StandingRefs) it has gathered so far.
Definitions and their sources: docs/METRICS.md and the README.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .geometry import (angle_at, distance, midpoint, nanmean_of, nanmedian_or_nan,
                       rolling_nanpercentile)
from .landmarks import LEG, PoseSequence
from .landmarks import Landmark as L
from .reps import Rep
from .view import FRONT_MAX_YAW_DEG, SIDE_MIN_YAW_DEG, classify_yaw, facing_sign, near_leg, yaw_per_frame
from .values import clean_float
from .valgus import KneeValgus, fppa, rep_knee_valgus  # noqa: F401  (fppa: metrics' API)
from .vocab import Leg, View

STANDING_DEPTH = 0.12       # depth signal below this counts as standing (for baselines)
MIN_FOOT_VISIBILITY = 0.5   # heel and toe must be seen this well to judge knee-over-toe
# Foot length over shank length (knee joint to ankle joint), from the segment lengths as shares
# of body height in Winter, "Biomechanics and Motor Control of Human Movement" (4th ed., fig.
# 4.1): foot 0.152 H; shank = knee height 0.285 H - ankle height 0.039 H = 0.246 H. Knee travel
# past the toes is measured in shank lengths (the shank stands upright, so it does not
# foreshorten as the camera turns; the foot does) and reported in foot lengths with this.
FOOT_PER_SHANK = 0.152 / 0.246
STANDING_WINDOW_S = 2.5     # half-width of the window that finds the local standing level
# The body scale is the torso's length while standing nearby: its 95th percentile within
# +-SCALE_WINDOW_S. A trunk leaning toward the camera at the bottom of a squat (seen from the
# front or at an angle) shortens in the picture and must not shrink the scale: with the scale
# following it (a 1-s median before), from the front the hips read as dropping less than they
# do (a thigh 25 deg above level read 30 deg on the synthetic front-view squat; exact now).
SCALE_WINDOW_S = STANDING_WINDOW_S
SCALE_PERCENTILE = 95.0
MIN_TORSO_RISE = 0.2        # shoulders must be this many body lengths above the hips
DROP_CAP = 1.1              # thigh drop per body length is capped at this share of the clip's
HOLD_FLOOR = 0.7            # the local standing level never drops below this share of the clip's
# A squat's bottom cannot look like this; such a reading means the view or the tracking failed.
MIN_BOTTOM_KNEE_FLEXION_DEG = 30.0   # a knee almost straight at the deepest point of a rep
MIN_SIDE_SHIN_DEG = -5.0             # a shin leaning backwards at the bottom, side on
MIN_TRUNK_LEAN_DEG = -10.0           # a trunk leaning backwards at the bottom
# The body turned during a rep: its yaw at the start and at the end of the rep (both near
# standing, where the yaw estimate is steadiest) differ by more than this. On the development
# clips no rep exceeds 25 deg; turning from side-on to facing the camera is 90.
MAX_REP_TURN_DEG = 40.0
# Bent far forward with the hips still well above the knees: a stoop or a hinge (picking
# something up), not a squat. A squat's trunk can lean a lot only once the thighs near level.
# (On the development clips, the squats with the hips above the knees lean at most 58 deg, and
# those leaning that far have thighs at -23 deg or deeper.)
STOOP_MIN_TRUNK_LEAN_DEG = 70.0
STOOP_MAX_THIGH_DEG = -30.0
# Knees (3-D, both legs averaged) bent less than this at the deepest point while the hips stay
# at least STANCE_SHIFT_MIN_HIP_RATIO of their standing height: a stance shift, a lean or a
# step, not a squat. A quarter squat bends the knees 45-70 deg (hips at about 0.8). With the
# hips clearly lower the squat is real and the 3-D knee angle is what failed. On the development
# clips the dip this drops (a walk into the rack at 45 deg of yaw) has its hips at 0.84 of
# standing. Not from the front: there MediaPipe's 3-D knee angle reads far too little (the
# rendered grid's 60-deg quarter squat: 14 deg from the front; 24 deg at 30 deg of yaw, which
# this drops, and 41-51 deg at 45-90 deg).
MIN_SQUAT_KNEE_FLEXION_3D_DEG = 40.0
# One foot off the floor at the bottom: the two ankles' heights in the picture differ by this
# many standing shin lengths more than they did while standing (the difference while standing
# is the camera's perspective on the far foot). A squat keeps both feet down; a one-legged hinge
# to pick something up lifts the free leg behind (issue 19: counted as a squat on an unseen
# clip). Half a shin: far beyond the ankle's tracking noise, far below a leg lifted behind.
MAX_FOOT_LIFT_SHIN = 0.5
STANCE_SHIFT_MIN_HIP_RATIO = 0.75
# In every view a dip is not a squat when the hips stay above halfway between standing and a
# quarter squat. A quarter squat (thigh 45 deg below level, shin upright) lowers the hips by
# 0.245 H x (1 - sin 45 deg) from their standing height above the ankle, 0.491 H (Winter's
# segment lengths: hip 0.530 H, knee 0.285 H, ankle 0.039 H), to 0.85 of it; halfway is 0.93.
QUARTER_SQUAT_HIP_RATIO = 1.0 - (0.530 - 0.285) * (1.0 - 0.5 ** 0.5) / (0.530 - 0.039)
MAX_SQUAT_HIP_RATIO = (1.0 + QUARTER_SQUAT_HIP_RATIO) / 2.0
# A hip-height ratio above this is a failed standing reference (the feet or the standing frames
# were not seen: the live path once read 6.1 on a clip whose person had stood only 0.7 s), not
# hips that stayed up; the rule above then says nothing.
MAX_MEASURED_HIP_RATIO = 1.5
# The thigh angle's own error, one standard error, from the landmarks alone: side on, the
# picture and MediaPipe's world landmarks give two independent readings of the same thigh
# angle; their disagreement at the bottom of the side-view reps of the development clips (35
# reps matched to a labelled rep; the labels' values are not used) has an RMS of 6.6 deg, i.e.
# about RMS / sqrt(2) = 4.7 deg each (`formcheck eval --cv` prints it: crossval.thigh_angle_pair_rms).
DEPTH_ANGLE_PAIR_RMS_DEG = 6.6
DEPTH_ANGLE_ERR_DEG = DEPTH_ANGLE_PAIR_RMS_DEG / 2 ** 0.5


KneeKey = str   # a Leg, or "front_most": the knee furthest forward against the toe furthest forward


@dataclass(frozen=True)
class ScaleRefs:
    """What the depth signal needs from beyond its window: the torso-to-shin length ratio (to
    stand in for the torso when the shoulders are out of the picture) and, per leg, the 95th
    percentile of the thigh's vertical drop per body length (the standing drop). The clip path
    takes them from the whole clip, the live path from the frames it has seen."""

    torso_per_shin: float = 1.0
    drop_p95: tuple[float, float] = (float("nan"), float("nan"))   # left, right


@dataclass(frozen=True)
class StandingRefs:
    """Lengths measured while standing, per clip (or, live, over the recent standing frames)."""

    foot_len_px: dict            # "left" / "right": heel->toe horizontal length; "front_most": mean
    shin_len_px: float           # knee->ankle, both legs
    hip_height_px: float         # mid-hip above mid-ankle
    shin_len_m: float = float("nan")   # knee->ankle in 3-D (world landmarks), both legs


@dataclass(frozen=True)
class LegSeries:
    """Per-frame values (N,) of one leg."""

    thigh_deg: np.ndarray            # thigh to horizontal, +ve hip below knee
    knee_flexion_deg: np.ndarray     # 180 - hip-knee-ankle
    shin_deg: np.ndarray             # shank from vertical, +ve knee forward (needs facing)
    knee_over_toe_px: np.ndarray     # +ve knee ahead of this leg's toes
    fppa_deg: np.ndarray             # frontal-plane projection angle, +ve valgus (knee inward)
    thigh_world_deg: np.ndarray      # thigh to horizontal from the world landmarks (3-D)
    knee_flexion_world_deg: np.ndarray   # 180 - hip-knee-ankle in 3-D (world landmarks)


@dataclass(frozen=True)
class Series:
    """Per-frame values (N,), per leg in `legs`."""

    t_s: np.ndarray
    depth: np.ndarray                 # 0 standing, 1 thigh level, >1 deeper
    yaw_deg: np.ndarray
    hip_height_px: np.ndarray         # mid-hip height above the mid-ankle, in pixels
    hip_height_ratio: np.ndarray      # the same / the standing hip height
    legs: dict                        # Leg -> LegSeries
    front_most_knee_over_toe_px: np.ndarray  # the knee furthest forward vs the toe furthest forward
    trunk_lean_deg: np.ndarray        # +ve leaning forward
    standing: StandingRefs
    facing: int
    knee_over_toe_ratio: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # ^ knee travel past the toes in foot lengths (knee_over_toe_ratio_frames), +ve knee ahead
    thigh_turned_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # ^ both thighs to horizontal from the picture, corrected for the yaw (thigh_angle_turned_deg)

    def knee_over_toe(self, key: KneeKey) -> tuple[np.ndarray, float]:
        """(per-frame px, standing foot length px) for a leg or "front_most"."""
        px = self.front_most_knee_over_toe_px if key == "front_most" else self.legs[key].knee_over_toe_px
        return px, self.standing.foot_len_px.get(key, float("nan"))

    def replace(self, **changes) -> "Series":
        from dataclasses import replace

        return replace(self, **changes)


def _torso_shin(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray]:
    xy = seq.xy_px
    torso = distance(midpoint(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER]),
                     midpoint(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP]))
    shin = nanmean_of([distance(xy[:, L.LEFT_KNEE], xy[:, L.LEFT_ANKLE]),
                       distance(xy[:, L.RIGHT_KNEE], xy[:, L.RIGHT_ANKLE])])
    return (rolling_nanpercentile(seq.t_s, torso, SCALE_WINDOW_S, SCALE_PERCENTILE),
            rolling_nanpercentile(seq.t_s, shin, SCALE_WINDOW_S, SCALE_PERCENTILE))


def body_scale(seq: PoseSequence, refs: ScaleRefs | None = None) -> np.ndarray:
    """(N,) a body length in pixels that squatting does not change much: the torso
    (mid-shoulder to mid-hip), or the shins where the shoulders are out of the picture, as long
    as it was while standing nearby (SCALE_WINDOW_S), so that it follows the camera zooming and
    the person walking nearer or away but not the trunk leaning toward the camera."""
    torso, shin = _torso_shin(seq)
    ratio = (refs or scale_refs(seq)).torso_per_shin
    scale = np.where(np.isfinite(torso), torso, shin * ratio)
    return np.where(np.isfinite(scale), scale, 1.0) if not np.isfinite(scale).any() else scale


def _thigh_drops(seq: PoseSequence, scale: np.ndarray) -> list[np.ndarray]:
    """Per leg: the thigh's vertical extent (knee y - hip y) in body lengths."""
    xy = seq.xy_px
    with np.errstate(all="ignore"):
        return [(xy[:, knee, 1] - xy[:, hip, 1]) / scale
                for hip, knee in ((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE))]


def scale_refs(seq: PoseSequence) -> ScaleRefs:
    """ScaleRefs measured over a whole sequence."""
    torso, shin = _torso_shin(seq)
    both = np.isfinite(torso) & np.isfinite(shin)
    ratio = float(np.median(torso[both] / shin[both])) if both.any() else 1.0
    scale = np.where(np.isfinite(torso), torso, shin * ratio)
    scale = np.where(np.isfinite(scale), scale, 1.0) if not np.isfinite(scale).any() else scale
    p95 = []
    for drop in _thigh_drops(seq, scale):
        finite = drop[np.isfinite(drop)]
        p95.append(float(np.percentile(finite, 95)) if finite.size else float("nan"))
    return ScaleRefs(ratio, (p95[0], p95[1]))


def depth_signal(seq: PoseSequence, refs: ScaleRefs | None = None) -> np.ndarray:
    """How far the thighs have turned from hanging to level, scale-free, per frame.

    Per leg: drop = (knee y - hip y) / body_scale, and depth = 1 - drop / standing drop, where
    the standing drop is the largest the drop is nearby in time (standing, the thigh hangs
    straight), but no less than HOLD_FLOOR of the clip's. 0 standing, 1 with the hip level with
    the knee, above 1 deeper. From the front the thigh shortens toward the camera and the hip
    drops toward the knee in the same way, so the signal works in every view; it does not move
    when the camera pans or zooms, nor with a change of stance. Legs are weighted by visibility;
    frames with the shoulders down at hip level are NaN (lying, planking: not a squat).

    "Nearby" is +-STANDING_WINDOW_S: at the last frame of a sequence that is the past only, which
    is how the live path uses it (on a trailing window, with `refs` from what it has seen).
    """
    if not len(seq):
        return np.zeros(0)
    refs = refs or scale_refs(seq)
    xy = seq.xy_px
    scale = body_scale(seq, refs)
    legs, weights = [], []
    for (hip, knee), drop, p95 in zip(((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE)),
                                      _thigh_drops(seq, scale), refs.drop_p95):
        if np.isfinite(p95):
            # A collapsed body scale (lying down facing the camera) must not set the level.
            drop = np.fmin(drop, DROP_CAP * p95)
        ref = rolling_nanpercentile(seq.t_s, drop, STANDING_WINDOW_S, 95)
        if np.isfinite(p95):
            ref = np.fmax(ref, HOLD_FLOOR * p95)
        with np.errstate(all="ignore"):
            d = 1.0 - drop / ref
        w = np.minimum(seq.visibility[:, hip], seq.visibility[:, knee]) ** 2
        w = np.where(np.isfinite(d), w, 0.0)
        legs.append(np.nan_to_num(d))
        weights.append(w)
    wsum = weights[0] + weights[1]
    with np.errstate(all="ignore"):
        out = (legs[0] * weights[0] + legs[1] * weights[1]) / wsum
        # Shoulders level with or below the hips: lying, planking or bent double, not a squat.
        rise = (midpoint(xy[:, L.LEFT_HIP, 1], xy[:, L.RIGHT_HIP, 1])
                - midpoint(xy[:, L.LEFT_SHOULDER, 1], xy[:, L.RIGHT_SHOULDER, 1]))
        lying = rise < MIN_TORSO_RISE * scale
    return np.where((wsum > 1e-6) & ~lying, out, np.nan)


# --- the angle table ----------------------------------------------------------------------------
# Every body-segment angle in the picture: one table (ANGLES) and one generic function
# (segment_angle_deg) with one range guard, in the manner of Pose2Sim's angle_dict /
# points_to_angles. A segment runs from the mean of its `start` landmarks to the mean of its
# `end` ones (`either`: from whichever of the pairs are seen, averaged as vectors).
# - "horizontal": the segment to horizontal, +ve when its start lies lower than its end (hip
#   below knee). It is measured along the segment's horizontal extent, whichever way that
#   points, so it needs no facing: a facing read from other frames (set-up frames facing the
#   other way) cannot flip it into the wrong half-plane.
# - "vertical": the segment's lean from vertical, +ve toward the way the person faces. x is
#   multiplied by `facing` (the rep's own, view.facing_sign over the rep's frames), so every
#   angle is computed as for a person facing +x.
# At an angle to the camera the forward extent is divided by sin(yaw) (`sin_yaw`). Whatever
# comes out beyond [-90, 90] deg is no angle of a squatting body: it is NaN (the range guard).
@dataclass(frozen=True)
class SegmentAngle:
    start: tuple
    end: tuple
    ref: str               # "horizontal" | "vertical"
    either: bool = False   # the vector from whichever start/end pairs are seen (nanmean)


ANGLES: dict[str, SegmentAngle] = {
    "thigh_left": SegmentAngle((L.LEFT_HIP,), (L.LEFT_KNEE,), "horizontal"),
    "thigh_right": SegmentAngle((L.RIGHT_HIP,), (L.RIGHT_KNEE,), "horizontal"),
    "thighs": SegmentAngle((L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_KNEE, L.RIGHT_KNEE), "horizontal",
                           either=True),
    "shin_left": SegmentAngle((L.LEFT_ANKLE,), (L.LEFT_KNEE,), "vertical"),
    "shin_right": SegmentAngle((L.RIGHT_ANKLE,), (L.RIGHT_KNEE,), "vertical"),
    "trunk": SegmentAngle((L.LEFT_HIP, L.RIGHT_HIP), (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
                          "vertical"),
}
ANGLE_RANGE_DEG = 90.0


def guard_angle_deg(a: np.ndarray) -> np.ndarray:
    """The range guard: angles outside [-ANGLE_RANGE_DEG, ANGLE_RANGE_DEG] become NaN."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(a) <= ANGLE_RANGE_DEG, a, np.nan)


def segment_angle_deg(xy: np.ndarray, name: str, facing: int = 1,
                      sin_yaw: np.ndarray | float | None = None) -> np.ndarray:
    """(N,) the angle ANGLES[name] per frame of (N, 33, 2) picture points, in degrees, within
    [-90, 90] or NaN (see the table's notes)."""
    spec = ANGLES[name]
    with np.errstate(all="ignore"):
        if spec.either:
            vec = np.stack([nanmean_of([xy[:, int(b), k] - xy[:, int(a), k]
                                        for a, b in zip(spec.start, spec.end)])
                            for k in (0, 1)], axis=-1)
        else:
            vec = (np.mean([xy[:, int(b)] for b in spec.end], axis=0)
                   - np.mean([xy[:, int(a)] for a in spec.start], axis=0))
        fwd = vec[:, 0] * (facing if spec.ref == "vertical" else 1.0)
        if sin_yaw is not None:
            s = np.asarray(sin_yaw, dtype=np.float64)
            fwd = fwd / np.where(s > 1e-3, s, np.nan)
        up = -vec[:, 1]   # image y grows downward
        if spec.ref == "horizontal":
            ang = np.degrees(np.arctan2(up, np.abs(fwd)))
        else:
            ang = np.degrees(np.arctan2(fwd, up))
    return guard_angle_deg(ang)


def thigh_angle_turned_deg(xy: np.ndarray, yaw_deg: np.ndarray, facing: int = 0) -> np.ndarray:
    """(N,) the thighs' angle to horizontal (+ve hip below knee) from the picture, at any yaw
    but the front: both legs' hip->knee vectors averaged (a knee pushed out to one side and the
    other knee to the other side cancel), the forward part divided by sin(yaw) (a distance along
    the way the person faces shows shortened by sin(yaw); the vertical part does not shorten).
    Exact for a level camera and knees tracking symmetrically; side on it is the 2-D angle.
    An angle to horizontal needs no facing (segment_angle_deg); `facing` is accepted and unused."""
    with np.errstate(all="ignore"):
        sin_yaw = np.sin(np.radians(np.asarray(yaw_deg, float)))
    return segment_angle_deg(xy, "thighs", sin_yaw=sin_yaw)


def thigh_angle_from_depth_deg(depth: np.ndarray) -> np.ndarray:
    """(N,) the thigh's angle to horizontal (+ve hip below knee) from the depth signal alone:
    depth = 1 - (the thigh's vertical extent / its standing extent) = 1 - sin(-angle), so
    angle = asin(depth - 1). It needs no horizontal extent, so it holds from the front, where
    the thigh points at the camera."""
    return np.degrees(np.arcsin(np.clip(np.asarray(depth, float) - 1.0, -1.0, 1.0)))


def world_leg_angles_deg(world_m: np.ndarray, leg: Leg) -> tuple[np.ndarray, np.ndarray]:
    """(N,) thigh to horizontal and knee flexion, both in 3-D from MediaPipe's world landmarks
    (metres, y down like the picture): they do not foreshorten when the thigh points at the
    camera. Thigh: +ve with the hip joint below the knee joint, against the plane normal to the
    picture's vertical; knee flexion: 180 - the 3-D hip-knee-ankle angle."""
    hip, knee, ankle = (world_m[:, int(i)] for i in LEG[leg][:3])
    with np.errstate(all="ignore"):
        level = np.hypot(knee[:, 0] - hip[:, 0], knee[:, 2] - hip[:, 2])
        thigh = np.degrees(np.arctan2(hip[:, 1] - knee[:, 1], level))
    return thigh, 180.0 - angle_at(hip, knee, ankle)


def knee_ankle_separation_ratio(world_m: np.ndarray) -> np.ndarray:
    """(N,) the distance between the knees over the distance between the ankles, in 3-D from
    the world landmarks (a candidate measure of knees caving in: it drops when the knees move
    toward each other relative to the feet)."""
    with np.errstate(all="ignore"):
        return (np.linalg.norm(world_m[:, L.LEFT_KNEE] - world_m[:, L.RIGHT_KNEE], axis=-1)
                / np.linalg.norm(world_m[:, L.LEFT_ANKLE] - world_m[:, L.RIGHT_ANKLE], axis=-1))


def knee_ankle_separation_px_ratio(xy: np.ndarray) -> np.ndarray:
    """(N,) the knees' horizontal distance over the ankles' in the picture: the knee-to-ankle
    separation ratio of 2-D front-view screening (Mizner et al. 2012; < 1 knees inside the
    ankles). A candidate measure of knees caving in, seen from the front."""
    with np.errstate(all="ignore"):
        return (np.abs(xy[:, L.LEFT_KNEE, 0] - xy[:, L.RIGHT_KNEE, 0])
                / np.abs(xy[:, L.LEFT_ANKLE, 0] - xy[:, L.RIGHT_ANKLE, 0]))


def medial_knee_displacement_ratio(world_m: np.ndarray) -> np.ndarray:
    """(N,) how far the knees sit toward the midline of the hip-to-ankle line, in the body's
    frontal plane (its left-right axis from the hips, and the vertical), from the world
    landmarks; both legs averaged, over the hip width. +ve knees inward (a candidate measure of
    knees caving in; its change from standing to the bottom is the dynamic valgus)."""
    lat = world_m[:, L.LEFT_HIP] - world_m[:, L.RIGHT_HIP]
    lat = lat * np.array([1.0, 0.0, 1.0])
    with np.errstate(all="ignore"):
        width = np.linalg.norm(lat, axis=-1)
        lat = lat / width[:, None]
        legs = []
        for (hip, knee, ankle, _he, _to), medial in ((LEG["left"], -1.0), (LEG["right"], 1.0)):
            h, k, a = (np.sum(world_m[:, int(i)] * lat, axis=-1) for i in (hip, knee, ankle))
            hy, ky, ay = (world_m[:, int(i), 1] for i in (hip, knee, ankle))
            line = h + (ky - hy) / (ay - hy) * (a - h)
            legs.append((k - line) * medial)
        return nanmean_of(legs) / width


def hip_height_px(xy: np.ndarray) -> np.ndarray:
    """(N,) mid-hip height above the mid-ankle, in pixels."""
    ank_y = nanmean_of([xy[:, L.LEFT_ANKLE, 1], xy[:, L.RIGHT_ANKLE, 1]])
    return ank_y - midpoint(xy[:, L.LEFT_HIP, 1], xy[:, L.RIGHT_HIP, 1])


def knee_over_toe_px(xy: np.ndarray, facing: int) -> dict:
    """Per frame, +ve with the knee ahead of the toes along the way the person faces: per leg
    (knee against its own toes) and "front_most" (the knee furthest forward against the toe
    furthest forward: side on, MediaPipe often mixes up which knee and foot are left or right,
    and this needs no pairing)."""
    out = {side: facing * (xy[:, knee, 0] - xy[:, toe, 0])
           for side, (_h, knee, _a, _he, toe) in LEG.items()}
    with np.errstate(all="ignore"):
        out["front_most"] = (np.fmax(facing * xy[:, L.LEFT_KNEE, 0], facing * xy[:, L.RIGHT_KNEE, 0])
                             - np.fmax(facing * xy[:, L.LEFT_FOOT_INDEX, 0],
                                       facing * xy[:, L.RIGHT_FOOT_INDEX, 0]))
    return out


def _forward_world(world_m: np.ndarray) -> np.ndarray:
    """(N, 3) the way the body faces, in the world landmarks' horizontal plane: normal to the
    hip line, signed so that the feet (heel -> toe, both feet, median over the frames) point
    along it."""
    lat = (world_m[:, L.LEFT_HIP] - world_m[:, L.RIGHT_HIP]) * np.array([1.0, 0.0, 1.0])
    with np.errstate(all="ignore"):
        lat = lat / np.linalg.norm(lat, axis=-1, keepdims=True)
    fwd = np.stack([-lat[:, 2], np.zeros(len(lat)), lat[:, 0]], axis=-1)
    feet = (world_m[:, L.LEFT_FOOT_INDEX] - world_m[:, L.LEFT_HEEL]
            + world_m[:, L.RIGHT_FOOT_INDEX] - world_m[:, L.RIGHT_HEEL])
    sign = nanmedian_or_nan(np.einsum("ij,ij->i", feet, fwd))
    return fwd * (-1.0 if np.isfinite(sign) and sign < 0 else 1.0)


def foot_length_in_picture_px(standing: StandingRefs, yaw_deg: np.ndarray) -> np.ndarray:
    """(N,) one foot length along the way the person faces, as it shows in the picture (px):
    the unit knee travel past the toes is reported in (knee_over_toe_ratio_frames), i.e. the
    standing shank length times sin(yaw) times FOOT_PER_SHANK; NaN where the person faces the
    camera (sin(yaw) ~ 0). A distance measured by hand on a side-on frame is in foot lengths
    with this (app.review)."""
    with np.errstate(all="ignore"):
        sin_yaw = np.sin(np.radians(np.asarray(yaw_deg, float)))
        sin_yaw = np.where(sin_yaw > 1e-3, sin_yaw, np.nan)
        return standing.shin_len_px * sin_yaw * FOOT_PER_SHANK


def knee_over_toe_ratio_frames(xy_px: np.ndarray, world_m: np.ndarray, standing: StandingRefs,
                               yaw_deg: np.ndarray, facing: int,
                               side: np.ndarray | bool | None = None) -> np.ndarray:
    """(N,) how far the knees travel past the toes, in foot lengths, +ve knee ahead: the one
    definition (per rep: its 90th percentile over the deep part, knee_over_toe).

    Measured in shank lengths (the upright shank does not foreshorten as the camera turns; the
    foot does, and differently with the toes turned out) from two readings:
    - the picture: the front-most knee against the front-most toe (side on, MediaPipe often
      swaps which knee and foot are left or right; this needs no pairing), over the standing
      shank length times sin(yaw): a distance along the way the person faces shows in the
      picture shortened by sin(yaw), the upright shank does not;
    - the world landmarks (3-D): both legs' knee minus toe along the way the body faces (normal
      to the hip line), over the standing 3-D shank length.
    Side on (`side`: per frame, or the rep's view; by default each frame's yaw) the picture
    alone: it is exact geometry there, while the world landmarks put the knee ahead of the toes
    on the rendered side clip whose knees stay 0.19 foot lengths behind them. At an angle the
    picture also shows a knee beside its toes as if ahead of them (by cot(yaw) of the sideways
    offset), which the world reading does not, so the two are averaged. The shank lengths
    become foot lengths by FOOT_PER_SHANK."""
    with np.errstate(all="ignore"):
        picture = knee_over_toe_px(xy_px, facing)["front_most"] / (
            foot_length_in_picture_px(standing, yaw_deg) / FOOT_PER_SHANK)
        w = world_m
        fwd = _forward_world(w)
        legs = [np.einsum("ij,ij->i", w[:, int(knee)] - w[:, int(toe)], fwd)
                for _h, knee, _a, _he, toe in LEG.values()]
        world = nanmean_of(legs) / standing.shin_len_m
        if side is None:
            side = np.asarray(yaw_deg, float) >= SIDE_MIN_YAW_DEG
        return np.where(side, picture, nanmean_of([picture, world])) / FOOT_PER_SHANK


def knee_and_toe_points(xy: np.ndarray, key: KneeKey, facing: int) -> tuple[np.ndarray, np.ndarray]:
    """The knee and toe points (2,) that knee_over_toe_px compares in one frame (33, 2)."""
    if key != "front_most":
        return xy[int(LEG[key][1])], xy[int(LEG[key][4])]

    def front(a, b):
        pa, pb = xy[int(a)], xy[int(b)]
        if not np.isfinite(pb[0]) or (np.isfinite(pa[0]) and facing * pa[0] >= facing * pb[0]):
            return pa
        return pb

    return front(L.LEFT_KNEE, L.RIGHT_KNEE), front(L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


def standing_refs(seq: PoseSequence, depth: np.ndarray) -> StandingRefs:
    """Foot, shin and hip lengths over the standing frames (all frames when none stand)."""
    xy = seq.xy_px
    standing = np.isfinite(depth) & (depth < STANDING_DEPTH)
    pick = standing if standing.any() else np.ones(len(seq), bool)
    foot = {}
    for side, (_h, _k, _a, heel, toe) in LEG.items():
        foot[side] = nanmedian_or_nan(np.abs(xy[pick, toe, 0] - xy[pick, heel, 0]))
    known = [v for v in (foot["left"], foot["right"]) if np.isfinite(v)]
    foot["front_most"] = float(np.mean(known)) if known else float("nan")
    shin = nanmedian_or_nan(np.concatenate([
        distance(xy[standing, L.LEFT_KNEE], xy[standing, L.LEFT_ANKLE]),
        distance(xy[standing, L.RIGHT_KNEE], xy[standing, L.RIGHT_ANKLE])]))
    w = seq.world_m[pick]
    shin_m = nanmedian_or_nan(np.concatenate([
        np.linalg.norm(w[:, L.LEFT_KNEE] - w[:, L.LEFT_ANKLE], axis=-1),
        np.linalg.norm(w[:, L.RIGHT_KNEE] - w[:, L.RIGHT_ANKLE], axis=-1)]))
    return StandingRefs(foot, shin, nanmedian_or_nan(hip_height_px(xy[pick])), shin_m)


def compute_series(seq: PoseSequence, depth: np.ndarray | None = None,
                   refs: ScaleRefs | None = None, standing: StandingRefs | None = None,
                   facing: int | None = None) -> Series:
    """Every per-frame measurement. The live path passes the depth it streamed and the
    references it has gathered; the clip path lets them be measured over the clip."""
    xy = seq.xy_px
    depth = depth_signal(seq, refs) if depth is None else depth
    standing = standing or standing_refs(seq, depth)
    facing = facing or facing_sign(seq) or 1
    kot = knee_over_toe_px(xy, facing)
    mid_hip_x = midpoint(xy[:, L.LEFT_HIP, 0], xy[:, L.RIGHT_HIP, 0])
    legs = {}
    for side, (hip, knee, ankle, _heel, _toe) in LEG.items():
        H, K, A = xy[:, hip], xy[:, knee], xy[:, ankle]
        medial = np.sign(mid_hip_x - H[:, 0])  # toward the body's midline
        legs[side] = LegSeries(segment_angle_deg(xy, f"thigh_{side}"), 180.0 - angle_at(H, K, A),
                               shin_deg(xy, side, facing), kot[side], fppa(H, K, A, medial),
                               *world_leg_angles_deg(seq.world_m, side))
    trunk = trunk_lean_deg(xy, facing)
    hip_h = hip_height_px(xy) if len(seq) else np.zeros(0)
    with np.errstate(all="ignore"):
        hip_ratio = hip_h / standing.hip_height_px
    yaw = yaw_per_frame(seq)
    return Series(seq.t_s, depth, yaw, hip_h, hip_ratio, legs, kot["front_most"],
                  trunk, standing, facing,
                  knee_over_toe_ratio_frames(xy, seq.world_m, standing, yaw, facing),
                  thigh_angle_turned_deg(xy, yaw, facing))


@dataclass(frozen=True)
class RepMetrics:
    """What one rep measured. None where the view cannot tell; `reasons` says why.

    Every number the product shows for a rep (table, CSV/JSON, bottom frame, annotated video,
    PDF, clients page) is read from this one record."""

    index: int
    start_s: float
    bottom_s: float
    end_s: float
    view: View
    yaw_deg: float
    leg: Leg
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
    facing: int = 0                        # this rep's: +1 toes toward +x in the picture, -1 -x
    knee_key: KneeKey = ""                 # which knee/toe pair knee_over_toe compares
    bottom_i: int = -1                     # frame index of the bottom in the analysed sequence
    # Depth as a measurement: the thigh's angle to horizontal at the bottom (+ve hip joint below
    # the knee joint), its uncertainty (one standard error, deg) and where it came from
    # ("thigh_px" side on, "thigh_px_turned" at an angle, "depth_signal" from the front; "" when
    # unmeasured; see depth_angle).
    depth_angle_deg: float | None = None
    depth_angle_err_deg: float | None = None
    depth_source: str = ""
    # Knee flexion in 3-D from the world landmarks, both legs averaged (does not foreshorten).
    knee_flexion_3d_deg: float | None = None
    # hip_height_ratio's own error: its frame-to-frame scatter while standing around the rep
    hip_height_ratio_err: float | None = None
    # The box (box.py): did the hip's descent stop on a plateau and hold (None: hip height
    # unmeasured), for how long (s), and the hip height there over the standing hip height and
    # over the knee height (standing shin length); None off the box.
    box_contact: bool | None = None
    contact_s: float | None = None
    box_hip_height_ratio: float | None = None
    box_hip_per_knee_ratio: float | None = None
    # The hip height at the bottom (its lowest, box.lowest) in shin lengths, and the descent's (hip height in shin
    # lengths, knee-over-toe in foot lengths) per frame: what box.higher_box_shin reads.
    bottom_hip_shin: float | None = None
    descent_kot: tuple = ()
    # Knees caving in (valgus.rep_knee_valgus): the peak FPPA per leg, when, the knee-to-ankle
    # separation then and its uncertainty; fppa_deg above is its value. None where unmeasured.
    valgus: KneeValgus | None = None
    # The near leg's raw 2-D thigh angle at the bottom (internal: the stoop rule reads it;
    # every shell shows thigh_angle_deg, the corrected one) and the keypoint-bias correction
    # (THIGH_BIAS_DEG) included in thigh_angle_deg / depth_angle_deg.
    thigh_px_deg: float | None = None
    depth_angle_bias_deg: float = 0.0
    # how much higher one ankle is than the other at the bottom than while standing, in standing
    # shin lengths (internal: not_a_squat's one-foot rule)
    foot_lift_shin: float | None = None
    # The thigh angle read from the depth signal over the bottom band, uncorrected
    # (thigh_angle_from_depth_deg: the thighs' vertical extent against their standing extent,
    # the same formula in every view): the second reading the depth call checks itself against
    # (feedback.depth_call, depth_signal_class)
    depth_signal_deg: float | None = None
    # that angle's correction and band edges for the pose backend that made the landmarks
    # (signal_depth_for; None: the legacy backend's SIGNAL_BIAS_DEG / SIGNAL_EDGES_DEG)
    depth_signal_bias_deg: float | None = None
    depth_signal_edges_deg: tuple | None = None
    # the factor the depth call widens hip_height_ratio_err by before asking whether the ratio
    # clears a cut (hip_err_scale_for the landmarks' pose backend; None: 1.0)
    hip_height_ratio_err_scale: float | None = None


def _foot_seen(seq: PoseSequence, idx: np.ndarray, leg: str) -> float:
    vis = seq.visibility[idx]
    he, to = int(LEG[leg][3]), int(LEG[leg][4])
    return float(np.nanmedian(np.minimum(vis[:, he], vis[:, to]))) if len(idx) else 0.0


def shin_deg(xy: np.ndarray, leg: Leg, facing: int) -> np.ndarray:
    """(N,) the leg's shank from vertical, +ve with the knee forward of the ankle."""
    return segment_angle_deg(xy, f"shin_{leg}", facing)


def trunk_lean_deg(xy: np.ndarray, facing: int) -> np.ndarray:
    """(N,) mid-shoulder -> mid-hip from vertical, +ve leaning forward."""
    return segment_angle_deg(xy, "trunk", facing)


def knee_over_toe(seq: PoseSequence, series: Series, idx: np.ndarray, view: str, leg: str,
                  facing: int) -> tuple[float | None, float | None, float | None, str, KneeKey]:
    """(px, foot lengths, shin angle, reason if unmeasured, knee key) over the frames idx: the
    90th percentile over the deep part of the rep of knee_over_toe_ratio_frames along this
    rep's facing and for this rep's view, with the picture's front-most knee-to-toe
    distance in pixels and the near leg's shin angle beside it."""
    feet_missing = ("feet not clearly visible at the bottom: keep the whole foot in the "
                    "picture")
    seen = {k: _foot_seen(seq, idx, k) for k in ("left", "right")}
    if max(seen.values()) < MIN_FOOT_VISIBILITY:
        return None, None, None, feet_missing, ""
    ratio = knee_over_toe_ratio_frames(seq.xy_px[idx], seq.world_m[idx], series.standing,
                                       series.yaw_deg[idx], facing, view == "side")
    ratio = ratio[np.isfinite(ratio)]
    if not ratio.size:   # the toes were left out of the picture (cleaned away as off-frame)
        return None, None, None, feet_missing, ""
    px = knee_over_toe_px(seq.xy_px[idx], facing)["front_most"]
    px = px[np.isfinite(px)]
    shin = shin_deg(seq.xy_px[idx], leg, facing)
    return (float(np.percentile(px, 90)) if px.size else None, float(np.percentile(ratio, 90)),
            _f(np.nanpercentile(shin, 90)) if np.isfinite(shin).any() else None, "",
            "front_most")


def knee_over_toe_ratio_series(series: Series, view: str, leg: str) -> np.ndarray:
    """(N,) knee-over-toe per frame in foot lengths, the per-rep value's definition
    (knee_over_toe_ratio_frames), for plots and the overlay; NaN from the front, where it is
    not judged."""
    if view == "front":
        return np.full(len(series.t_s), np.nan)
    return series.knee_over_toe_ratio


def knee_key_for(view: str, leg: str) -> KneeKey:
    """The knee/toe pair the picture's reading compares frame by frame (knee_over_toe_ratio_frames):
    the front-most knee against the front-most toe, in every view it is judged in."""
    return "front_most"


def _standing_hip_heights(series: Series, rep: Rep, around_s: float) -> list[np.ndarray]:
    """Finite hip heights while standing just before and after this rep, then over the whole
    clip's standing frames (the fallback): the one definition both functions below use."""
    t = series.t_s
    near = ((t >= rep.start_s - around_s) & (t <= rep.start_s)) | \
           ((t >= rep.end_s) & (t <= rep.end_s + around_s))
    standing = np.isfinite(series.depth) & (series.depth < STANDING_DEPTH)
    out = []
    for mask in (near & standing, standing):
        h = series.hip_height_px[mask]
        out.append(h[np.isfinite(h)])
    return out


def standing_hip_height(series: Series, rep: Rep, around_s: float = 1.0) -> float:
    """Hip height when standing just before and after this rep (the camera may zoom between
    reps), falling back to the whole clip's standing frames."""
    for h in _standing_hip_heights(series, rep, around_s):
        if h.size and float(np.median(h)) > 0:
            return float(np.median(h))
    return float("nan")


def hip_height_ratio_err(series: Series, rep: Rep, around_s: float = 1.0) -> float | None:
    """The hip-height ratio's own error, from the landmarks alone: the robust scatter (1.4826 x
    median absolute deviation) of the hip height over the standing frames just before and after
    this rep, as a share of their median (the whole clip's standing frames as a fallback)."""
    for h in _standing_hip_heights(series, rep, around_s):
        if h.size >= 5 and np.median(h) > 0:
            med = float(np.median(h))
            return float(1.4826 * np.median(np.abs(h - med)) / med)
    return None


_f = clean_float


def rep_turn_deg(yaw: np.ndarray) -> float:
    """How far the body turned over one rep: the yaw over its first fifth against its last
    fifth (0 when either is unknown)."""
    k = max(3, len(yaw) // 5)
    a, b = nanmedian_or_nan(yaw[:k]), nanmedian_or_nan(yaw[-k:])
    return float(abs(a - b)) if np.isfinite(a) and np.isfinite(b) else 0.0


def rep_body_yaw_deg(yaw_deg: np.ndarray, depth: np.ndarray, rep: Rep) -> float:
    """The body's yaw to the camera over one rep (`yaw_deg`, `depth`: per frame, as in Series,
    indexed as the rep is): the median over the rep's frames shallower than half its peak
    depth, where the yaw estimate is steadiest (view.yaw_per_frame reads the
    hip and shoulder widths against the torso, which the folded, leaning body at the bottom
    distorts: on the labelled clips seen at an angle the bottom band reads a median 3.5-4 deg
    nearer the front, and up to 47 deg where a rack hides the hip). All the rep's frames when
    none of those is seen. The body does not turn within a rep (rep_turn_deg guards that).
    The live readout applies it to the rep so far (stream.StreamingAnalyser: its frames up to
    now, reps.make_rep of them), so at the bottom it reads the descent's shallower half."""
    rng = np.arange(rep.start_i, rep.end_i + 1)
    d = depth[rng]
    upper = rng[np.isfinite(d) & (d < 0.5 * rep.peak_depth)]
    yaw = nanmedian_or_nan(yaw_deg[upper]) if upper.size else float("nan")
    return yaw if np.isfinite(yaw) else nanmedian_or_nan(yaw_deg[rng])


def with_rep_yaw(series: Series, xy: np.ndarray, yaw_deg: float) -> Series:
    """The series as seen with the body at one yaw for the whole rep: its per-frame yaw and the
    turned thigh angle (thigh_angle_turned_deg) that divides by sin(yaw) take the rep's."""
    yaw = np.full(len(series.t_s), yaw_deg, float)
    return series.replace(yaw_deg=yaw, thigh_turned_deg=thigh_angle_turned_deg(xy, yaw))


def rep_metrics(seq: PoseSequence, series: Series, rep: Rep, index: int,
                force_view: str | None = None) -> RepMetrics:
    """Measure one rep: values at the bottom (median over the bottom band), peaks over the rep.

    The view, facing and near leg are this rep's own. A rep whose view changed while it lasted,
    or whose bottom is physically impossible for a squat, gets the affected values None with
    the reason, never a number."""
    rng = np.arange(rep.start_i, rep.end_i + 1)
    band = np.arange(rep.band_start_i, rep.band_end_i + 1)
    deep = rng[np.nan_to_num(series.depth[rng]) >= 0.6 * rep.peak_depth]
    if deep.size == 0:
        deep = band
    yaw = nanmedian_or_nan(series.yaw_deg[rng])
    spread = rep_turn_deg(series.yaw_deg[rng])
    turned = force_view is None and spread > MAX_REP_TURN_DEG
    view = force_view or ("unknown" if turned else classify_yaw(yaw))
    leg = near_leg(seq, band if view != "front" else rng)
    facing = facing_sign(seq, rng) or series.facing
    reasons: dict[str, str] = {}
    xy = seq.xy_px

    lg = series.legs[leg]
    thigh = _f(nanmedian_or_nan(lg.thigh_deg[band]))
    flex = _f(nanmedian_or_nan(lg.knee_flexion_deg[band]))
    hip_h = _f(nanmedian_or_nan(series.hip_height_px[band]) / standing_hip_height(series, rep))
    trunk = _f(nanmedian_or_nan(trunk_lean_deg(xy[band], facing)))

    kot_px = kot_ratio = shin = None
    key: KneeKey = ""
    fp = None
    if turned:
        why = (f"the view changed during this rep (the body turned by about {spread:.0f} deg): "
               "stay side-on (or facing the camera) for the whole rep")
        for k in ("knee_over_toe", "thigh_angle", "knee_flexion", "trunk_lean", "fppa"):
            reasons[k] = why
        thigh = flex = trunk = None
    elif view == "front":
        reasons["knee_over_toe"] = ("front view: knee travel past the toes can only be measured "
                                    "from the side; film from the side at hip height")
    else:
        kot_px, kot_ratio, shin, why, key = knee_over_toe(seq, series, deep, view, leg, facing)
        if why:
            reasons["knee_over_toe"] = why
    valgus = None
    if not turned:
        valgus, why = rep_knee_valgus(xy, series.t_s, series.depth, series.yaw_deg,
                                      rep.start_i, rep.end_i, rep.bottom_i, view,
                                      seq.world_m, (seq.width_px, seq.height_px),
                                      seq.meta.get("camera_focal_px"))
        if valgus is None:
            reasons["fppa"] = why
        else:
            fp = valgus.fppa_deg
    if view == "front":
        reasons["thigh_angle"] = "front view: the thigh points at the camera, so its angle is rough"
    # physically impossible at the bottom of a squat: the view or the tracking failed there
    if view in ("side", "oblique"):
        if flex is not None and flex < MIN_BOTTOM_KNEE_FLEXION_DEG:
            reasons["knee_flexion"] = reasons["thigh_angle"] = (
                f"the knee reads as almost straight ({flex:.0f} deg) at the bottom of the rep, "
                "which a squat cannot be: the leg was hidden or mistracked")
            flex = thigh = None
        if view == "side" and shin is not None and shin < MIN_SIDE_SHIN_DEG:
            reasons["knee_over_toe"] = (
                f"the shin reads as leaning backwards ({shin:.0f} deg) at the bottom, which a "
                "squat seen from the side cannot be: the legs were mistracked")
            kot_px = kot_ratio = shin = None
            key = ""
        if trunk is not None and trunk < MIN_TRUNK_LEAN_DEG:
            reasons["trunk_lean"] = (
                f"the trunk reads as leaning backwards ({trunk:.0f} deg) at the bottom: "
                "the shoulders or hips were mistracked")
            trunk = None
    heel = heel_lift(seq, series, deep, leg) if view in ("side", "oblique") else None
    body_yaw = (rep_body_yaw_deg(series.yaw_deg, series.depth, rep) if view == "oblique"
                else float("nan"))
    dep, dep_err, dep_src = (None, None, "") if turned else depth_angle(
        with_rep_yaw(series, xy, body_yaw) if np.isfinite(body_yaw) else series, band, view, leg)
    flex3d = _f(nanmedian_or_nan(nanmean_of([series.legs["left"].knee_flexion_world_deg[band],
                                             series.legs["right"].knee_flexion_world_deg[band]])))
    if view in ("side", "oblique") and thigh is None and not turned:
        dep, dep_err, dep_src = None, None, ""   # the leg was mistracked at the bottom
    dep, bias = corrected_depth_angle(dep, view, thigh_bias_for(seq.meta))
    sig_bias, sig_edges = signal_depth_for(seq.meta)
    signal = _f(nanmedian_or_nan(thigh_angle_from_depth_deg(series.depth[band])))
    why = thigh_disagreement(dep, signal, sig_bias, view)
    if why:
        dep, dep_err, dep_src, bias = None, None, "", 0.0
        reasons["thigh_angle"] = why
    thigh_px = thigh
    # THE depth number: the view- and bias-corrected thigh angle is what `thigh_angle_deg`
    # reports everywhere (table, flag, PDF, trends, live); the near leg's raw 2-D reading stays
    # internal (`thigh_px_deg`, for the stoop rule).
    thigh = _f(dep)
    if dep is None:
        reasons.setdefault("thigh_angle", "the thigh was not seen at the bottom")
        reasons["depth_angle"] = reasons["thigh_angle"]
    else:
        reasons.pop("thigh_angle", None)
    box = rep_box(series, rep, rng, band, key if kot_ratio is not None else "")
    return RepMetrics(index, rep.start_s, rep.bottom_s, rep.end_s, view, yaw, leg,
                      thigh, flex, hip_h, _f(kot_px) if kot_px is not None else None,
                      _f(kot_ratio) if kot_ratio is not None else None, shin, trunk, fp,
                      rep.descent_s, rep.pause_s, rep.ascent_s, reasons, heel, facing, key,
                      rep.bottom_i, dep, dep_err, dep_src, flex3d,
                      None if hip_h is None else hip_height_ratio_err(series, rep),
                      thigh_px_deg=thigh_px, depth_angle_bias_deg=bias,
                      foot_lift_shin=foot_lift_shin(seq, series, rep, band), **box,
                      valgus=valgus, depth_signal_bias_deg=sig_bias,
                      depth_signal_edges_deg=sig_edges, depth_signal_deg=signal,
                      hip_height_ratio_err_scale=hip_err_scale_for(seq.meta))


def foot_lift_shin(seq: PoseSequence, series: Series, rep: Rep, band: np.ndarray) -> float | None:
    """How much more the two feet's heights differ at the bottom (median over the bottom
    band) than while standing around the rep, in standing shin lengths; None unmeasured."""
    # each foot's lowest point of ankle, heel and toe: a lifted foot raises all three, an ankle
    # mistracked up the leg leaves the heel and toe on the floor
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = [np.nanmax(seq.xy_px[:, [int(i) for i in LEG[leg][2:]], 1], axis=1)
               for leg in ("left", "right")]
    gap = np.abs(low[0] - low[1])
    shin = series.standing.shin_len_px
    t = series.t_s
    near = (((t >= rep.start_s - 1.0) & (t <= rep.start_s))
            | ((t >= rep.end_s) & (t <= rep.end_s + 1.0)))
    standing = np.isfinite(series.depth) & (series.depth < STANDING_DEPTH)
    base = nanmedian_or_nan(gap[near & standing])
    if not np.isfinite(base):
        base = nanmedian_or_nan(gap[standing])
    bottom = nanmedian_or_nan(gap[band])
    if not (np.isfinite(base) and np.isfinite(bottom) and np.isfinite(shin) and shin > 1):
        return None
    return float((bottom - base) / shin)


def rep_box(series: Series, rep: Rep, rng: np.ndarray, band: np.ndarray, key: KneeKey) -> dict:
    """The box fields of RepMetrics (see box.py): contact, its duration and height, the bottom
    hip height in shin lengths and the descent's knee-over-toe against hip height (when
    knee-over-toe is measured, i.e. `key` is set)."""
    from . import box

    stand = standing_hip_height(series, rep)
    shin = series.standing.shin_len_px
    out: dict = {}
    if not (np.isfinite(stand) and stand > 0):
        return out
    with np.errstate(all="ignore"):
        ratio = series.hip_height_px[rng] / stand
    if np.isfinite(ratio).sum() >= 3:
        on, held, h, per_knee = box.box_contact(series.t_s[rng], ratio, shin / stand)
        out.update(box_contact=on, contact_s=_f(held), box_hip_height_ratio=_f(h),
                   box_hip_per_knee_ratio=_f(per_knee))
    if np.isfinite(shin) and shin > 0:
        with np.errstate(all="ignore"):
            hip_shin = series.hip_height_px / shin
        out["bottom_hip_shin"] = _f(box.lowest(hip_shin[band])[1])
        if key:
            px, foot = series.knee_over_toe(key)
            desc = np.arange(rep.start_i, rep.bottom_i + 1)
            if np.isfinite(foot) and foot > 1:
                out["descent_kot"] = box.descent_profile(hip_shin[desc], px[desc] / foot)
    return out


def thigh_bias_for(meta: dict | None) -> dict:
    """The keypoint-bias corrections (deg per view) for the pose backend that made the
    landmarks, as PoseSequence.meta's provenance names it (THIGH_BIAS_BY_BACKEND_DEG); the
    legacy backend's where none is named (landmarks saved before provenance was recorded, made
    by that backend, and synthetic ones)."""
    return THIGH_BIAS_BY_BACKEND_DEG.get(pose_backend_of(meta), THIGH_BIAS_DEG)


def pose_backend_of(meta: dict | None) -> str | None:
    """The pose backend PoseSequence.meta's provenance names (None when not recorded)."""
    return ((meta or {}).get("provenance") or {}).get("pose_backend")


def corrected_depth_angle(raw_deg: float | None, view: str, biases: dict | None = None
                          ) -> tuple[float | None, float]:
    """(the one depth number, the bias correction in it): depth_angle's reading plus this
    view's keypoint-bias correction (`biases`: thigh_bias_for the landmarks' meta; default
    THIGH_BIAS_DEG), range-guarded; None when unmeasured."""
    if raw_deg is None:
        return None, 0.0
    bias = float((THIGH_BIAS_DEG if biases is None else biases).get(view, 0.0))
    a = float(guard_angle_deg(np.array([raw_deg + bias]))[0])
    return (a, bias) if np.isfinite(a) else (None, 0.0)


def depth_angle(series: Series, band: np.ndarray, view: str, leg: str
                ) -> tuple[float | None, float | None, str]:
    """(thigh angle deg, its standard error deg, source) at the bottom of a rep.

    - side on: the near leg's thigh angle in the picture ("thigh_px");
    - at an angle: both thighs from the picture with their forward part divided by sin(yaw)
      (thigh_angle_turned_deg, "thigh_px_turned"); its error is the side-on error over sin(yaw);
    - from the front: from the depth signal, the thigh's vertical extent against its standing
      extent (thigh_angle_from_depth_deg, "depth_signal"), with the error of the most turned
      oblique view (over sin(FRONT_MAX_YAW_DEG)).
    MediaPipe's 3-D world landmarks are not used: on the rendered truth grid their thigh angle
    was 8-27 deg off at 30 and 45 deg and 17-63 deg off from the front (docs/ACCURACY.md, "The
    truth grid: error by view angle"). The error also includes how much the angle moves over
    the bottom band."""
    if view == "side":
        vals, source, err = series.legs[leg].thigh_deg[band], "thigh_px", DEPTH_ANGLE_ERR_DEG
    elif view == "oblique":
        yaw = nanmedian_or_nan(series.yaw_deg[band])
        if not np.isfinite(yaw):
            return None, None, ""
        vals, source = series.thigh_turned_deg[band], "thigh_px_turned"
        err = DEPTH_ANGLE_ERR_DEG / np.sin(np.radians(np.clip(yaw, FRONT_MAX_YAW_DEG, 90.0)))
    elif view == "front":
        vals, source = thigh_angle_from_depth_deg(series.depth[band]), "depth_signal"
        err = DEPTH_ANGLE_ERR_DEG / np.sin(np.radians(FRONT_MAX_YAW_DEG))
    else:
        return None, None, ""
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return None, None, ""
    spread = float(np.std(vals)) if vals.size > 1 else 0.0
    return float(np.median(vals)), float(np.hypot(err, spread)), source


# BlazePose's systematic keypoint bias on the thigh angle: its hip sits high, so the thigh
# reads above the angle between the hip and knee joint centres. Added to the reading, per view.
# Side on and at an angle: the median of (marked - formcheck) over the 43 reps of
# ../shared/videos/DEPTH_POINTS.tsv (joint centres marked by hand on the deepest frame) that
# formcheck finds, one figure for both views (crossval.fit_thigh_bias; fitted per view it
# cross-validated worse at an angle, where only two sources are marked). From the front the
# angle comes from the thighs' vertical extent (thigh_angle_from_depth_deg) and no joint
# centre is marked there: the offset is chosen from the depth labels of the front-view reps
# (crossval.fit_front_bias; 11 reps, 2 sources, all labelled below parallel: weak). All three
# chosen per held-out source by `formcheck eval --cv` (docs/ACCURACY.md, "Depth (issue 19)").
# The figures are the pose model's: measured on the legacy backend's landmarks (THIGH_BIAS_DEG)
# and, the same way, on the Tasks backend's (mediapipe 1.x; the same clips tracked by it:
# median 3.5 deg over its 42 marked reps found side on or at an angle, 2.9-3.8 chosen per
# held-out source; front 15 from the labels with the committed band edges). Its hip sits
# less high: with the legacy 5.6 its corrected angle read +2.1 deg over the marked joint
# centres (median), and on the rendered grid side on +3.5 deg against +2.8 for the legacy
# backend (README, "The pose model").
THIGH_BIAS_DEG: dict = {"side": 5.6, "oblique": 5.6, "front": 14.0}
THIGH_BIAS_TASKS_DEG: dict = {"side": 3.5, "oblique": 3.5, "front": 15.0}
THIGH_BIAS_BY_BACKEND_DEG: dict = {"legacy": THIGH_BIAS_DEG, "tasks": THIGH_BIAS_TASKS_DEG}

# The thigh-angle depth class (secondary: the report's `depth` call is the hip-height class,
# feedback.classify_depth, which cross-validated better), from the one depth number (the
# corrected thigh angle, + = hip joint below the knee joint), in the convention people use (the thigh parallel to the floor): above parallel
# under DEPTH_EDGES_DEG[0], below parallel over DEPTH_EDGES_DEG[1], parallel between. The edges
# are chosen from the labels by cross-validation grouped by source (crossval.fit_depth_edges,
# `formcheck eval --cv`).
DEPTH_EDGES_DEG = (-13.0, 0.0)
DEPTH_CLASSES = ("above_parallel", "parallel", "below_parallel")


def depth_class_from_angle(angle_deg: float | None, err_deg: float | None = None,
                           edges: tuple = DEPTH_EDGES_DEG) -> str:
    """The thigh-angle class: the band the corrected thigh angle falls in; "unclear" only when it
    was not measured. Near an edge the class does not flip to "unclear": depth_near names the
    neighbouring class the angle is within its error of."""
    if angle_deg is None or not np.isfinite(angle_deg):
        return "unclear"
    lo, hi = edges
    if angle_deg < lo:
        return "above_parallel"
    if angle_deg > hi:
        return "below_parallel"
    return "parallel"


# The depth-signal angle's class (depth_signal_class): the class of its reading plus one
# correction for every view (the median of marked - read over the reps of DEPTH_POINTS.tsv,
# crossval.fit_signal_bias), in bands whose edges are chosen from the labels of every view
# (crossval.fit_signal_depth); both chosen per held-out source by `formcheck eval --cv`
# (docs/ACCURACY.md, "Depth (issue 19)"). Per pose backend, each fitted on its own landmarks
# (SIGNAL_BIAS_DEG / SIGNAL_EDGES_DEG the legacy backend's; the Tasks backend's from its cache
# of the same clips, `formcheck eval --cv` run with it), chosen by signal_depth_for as
# thigh_bias_for does.
SIGNAL_BIAS_DEG = 4.5
SIGNAL_EDGES_DEG = (-17.0, -2.0)
SIGNAL_DEPTH_BY_BACKEND: dict = {"legacy": (SIGNAL_BIAS_DEG, SIGNAL_EDGES_DEG),
                                 "tasks": (4.0, (-16.0, -3.0))}


# The depth call's confidence (issue 19): hip_height_ratio_err is the standing hip height's own
# frame-to-frame scatter, which leaves out how far people's own "parallel" sits from the ratio's
# cut. Under grouped leave-one-source-out CV a call decided 1-2 errors from a cut was wrong on
# 4 of 12 reps (legacy) and 4 of 13 (Tasks): the error is too small to be a 1-SD error
# (tools/depth_call_calibration.py). So the call widens it by a factor chosen with the cuts
# by `formcheck eval --cv` (crossval.fit_call: the largest agreement on the training sources
# while they stay decided on at least CALL_MIN_DECIDED of their labelled reps), per pose backend,
# fitted on all the labelled clips as thigh_bias_for's corrections are.
HIP_ERR_SCALE_BY_BACKEND: dict = {"legacy": 1.25, "tasks": 1.0}


def hip_err_scale_for(meta: dict | None) -> float:
    """The factor on hip_height_ratio_err the depth call uses for the pose backend that made
    the landmarks (HIP_ERR_SCALE_BY_BACKEND; the legacy backend's where none is named)."""
    return HIP_ERR_SCALE_BY_BACKEND.get(pose_backend_of(meta), HIP_ERR_SCALE_BY_BACKEND["legacy"])


def signal_depth_for(meta: dict | None) -> tuple[float, tuple]:
    """(bias deg, band edges deg) of the depth-signal angle's class for the pose backend that
    made the landmarks, as PoseSequence.meta's provenance names it (SIGNAL_DEPTH_BY_BACKEND);
    the legacy backend's where none is named (as thigh_bias_for)."""
    return SIGNAL_DEPTH_BY_BACKEND.get(pose_backend_of(meta), SIGNAL_DEPTH_BY_BACKEND["legacy"])


# The tracking-quality test on the depth number (issue 19): side on and at an angle the thigh
# angle is read twice, from the picture (the hip and knee points) and from the depth signal (the
# thighs' vertical extent against standing), each corrected for the pose backend's bias. Over
# the 66 side and oblique reps of ../shared/videos the two differ by a robust SD (1.4826 x MAD)
# of 2.6 deg (legacy backend; 2.0 deg Tasks), measured without labels or marks. A gap of more
# than 3.5 robust SDs is an outlier by Iglewicz & Hoaglin's modified z-score rule (|z| > 3.5;
# "How to Detect and Handle Outliers", ASQC 1993): the picture's hip or knee is not where the
# body is (a burned-in skeleton, a rack arm over the hip), so the number is withheld with the
# reason, not shown. One limit for both backends (the Tasks gap is narrower, so looser there).
THIGH_GAP_ROBUST_SD_DEG = 2.6
MAX_THIGH_GAP_DEG = round(3.5 * THIGH_GAP_ROBUST_SD_DEG, 1)   # 9.1


def thigh_disagreement(angle_deg: float | None, signal_deg: float | None, signal_bias_deg: float,
                       view: str) -> str:
    """Why the depth number is withheld ("" when it is not): side on or at an angle, the
    corrected picture thigh angle `angle_deg` and the depth-signal angle `signal_deg` (corrected
    by `signal_bias_deg`) differ by more than MAX_THIGH_GAP_DEG."""
    if view not in ("side", "oblique") or angle_deg is None or signal_deg is None:
        return ""
    sig = signal_deg + signal_bias_deg
    if not (np.isfinite(angle_deg) and np.isfinite(sig)) or abs(angle_deg - sig) <= MAX_THIGH_GAP_DEG:
        return ""
    return (f"the hip or knee was hidden or mistracked at the bottom: the thigh in the picture "
            f"reads {angle_deg:+.0f} deg but the hip's drop says {sig:+.0f} deg, so no depth "
            "angle is given for this rep")


def depth_signal_class(signal_deg: float | None, bias_deg: float = SIGNAL_BIAS_DEG,
                       edges: tuple = SIGNAL_EDGES_DEG) -> str:
    """The depth class of the depth-signal angle (RepMetrics.depth_signal_deg) corrected by
    `bias_deg`, in bands `edges`; "unclear" when unmeasured."""
    if signal_deg is None or not np.isfinite(signal_deg):
        return "unclear"
    return depth_class_from_angle(signal_deg + bias_deg, None, edges)


def depth_near(angle_deg: float | None, err_deg: float | None,
               edges: tuple = DEPTH_EDGES_DEG) -> str | None:
    """The neighbouring class when the angle lies within its error of a band edge ("close to
    below"), else None."""
    if angle_deg is None or err_deg is None or not np.isfinite(angle_deg):
        return None
    lo, hi = edges
    c = depth_class_from_angle(angle_deg, err_deg, edges)
    # the nearest edge, and the class beyond it
    cands = [(abs(angle_deg - lo), "above_parallel" if c != "above_parallel" else "parallel"),
             (abs(angle_deg - hi), "below_parallel" if c != "below_parallel" else "parallel")]
    d, other = min(cands)
    return other if d <= err_deg and other != c else None


def heel_lift(seq: PoseSequence, series: Series, idx: np.ndarray, leg: str) -> float | None:
    """How far the heel rises relative to the toes during the deep part of a rep, over its
    standing height, in foot lengths (side and oblique views; 0 = heel stays down). Measured
    against the same foot's toes so that a moving camera does not count as a lift."""
    if _foot_seen(seq, idx, leg) < MIN_FOOT_VISIBILITY:
        return None
    rise = seq.xy_px[:, int(LEG[leg][4]), 1] - seq.xy_px[:, int(LEG[leg][3]), 1]
    standing = np.isfinite(series.depth) & (series.depth < STANDING_DEPTH)
    base = nanmedian_or_nan(rise[standing])
    foot = series.standing.foot_len_px.get(leg, float("nan"))
    vals = rise[idx][np.isfinite(rise[idx])]
    if not (np.isfinite(base) and np.isfinite(foot) and foot > 1 and vals.size):
        return None
    return float(max(0.0, float(np.percentile(vals, 90)) - base) / foot)


def not_a_squat(m: RepMetrics) -> str:
    """Why a dip in the depth signal is not a squat ("" when it is one). In every view: the
    hips hardly went down (a lean or a shift). Seen from the side or at an angle: knees that stay
    almost straight (3-D) with the hips still up (a stance shift or a step), and the trunk bent
    far forward while the hips stayed well above the knees (a stoop or a hinge, picking
    something up). From the front the 3-D knee angle and the trunk's lean cannot be trusted,
    so only the first applies there."""
    if (m.hip_height_ratio is not None
            and MAX_SQUAT_HIP_RATIO < m.hip_height_ratio <= MAX_MEASURED_HIP_RATIO):
        return (f"the hips stayed at {m.hip_height_ratio:.2f} of their standing height: "
                "a stance shift or a lean, not a squat")
    if (m.view != "front" and m.knee_flexion_3d_deg is not None
            and m.knee_flexion_3d_deg < MIN_SQUAT_KNEE_FLEXION_3D_DEG
            and (m.hip_height_ratio is None or m.hip_height_ratio >= STANCE_SHIFT_MIN_HIP_RATIO)):
        return (f"the knees bent only {m.knee_flexion_3d_deg:.0f} deg: a stance shift or a lean, "
                "not a squat")
    if m.foot_lift_shin is not None and m.foot_lift_shin > MAX_FOOT_LIFT_SHIN:
        return (f"one foot rose {m.foot_lift_shin:.1f} shin lengths off the floor at the bottom: "
                "a one-legged hinge or a step, not a squat")
    if (m.view in ("side", "oblique") and m.trunk_lean_deg is not None
            and m.thigh_px_deg is not None and m.trunk_lean_deg >= STOOP_MIN_TRUNK_LEAN_DEG
            and m.thigh_px_deg <= STOOP_MAX_THIGH_DEG):
        return (f"bent forward {m.trunk_lean_deg:.0f} deg with the hips above the knees "
                f"(thigh {m.thigh_px_deg:+.0f} deg): a stoop or hinge, not a squat")
    return ""
