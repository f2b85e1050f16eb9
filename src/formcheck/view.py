"""Camera view: side / front / oblique, which way the person faces, which leg is nearer.

Yaw (0 = facing the camera, 90 = side on) is estimated two ways and averaged:
from the picture (shoulder and hip widths relative to torso length; both shrink as the person
turns side-on) and from MediaPipe's world landmarks (the shoulder and hip lines' depth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import distance, midpoint, nanmean_of, nanmedian_or_nan
from .landmarks import Landmark as L
from .landmarks import PoseSequence
from .vocab import Leg, View

# Widths relative to torso length when facing the camera (median over the front-view clips).
FRONT_SHOULDER_RATIO = 0.75
FRONT_HIP_RATIO = 0.45
# A view is the nearest of the three canonical camera positions, 0 deg (front), 45 deg and 90 deg
# (side): the cut-offs are the midpoints between them. Not fitted to the labelled clips (cut-offs
# fitted to them sat within a degree of one clip's yaw and lost 4 of 26 clips under
# cross-validation; `formcheck eval --cv` prints both).
SIDE_MIN_YAW_DEG = 67.5
FRONT_MAX_YAW_DEG = 22.5


@dataclass(frozen=True)
class ViewInfo:
    view: View
    yaw_deg: float      # 0 facing the camera .. 90 side on
    facing: int         # +1 toes point to +x (right in the picture), -1 to the left, 0 unknown
    near_leg: Leg       # the leg nearer the camera (side and oblique views)


def yaw_per_frame(seq: PoseSequence) -> np.ndarray:
    """(N,) estimated yaw in degrees, NaN where the torso is not seen."""
    xy = seq.xy_px
    torso = distance(midpoint(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER]),
                     midpoint(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP]))
    with np.errstate(invalid="ignore", divide="ignore"):
        sh = np.abs(xy[:, L.LEFT_SHOULDER, 0] - xy[:, L.RIGHT_SHOULDER, 0]) / torso
        hp = np.abs(xy[:, L.LEFT_HIP, 0] - xy[:, L.RIGHT_HIP, 0]) / torso
    yaw_sh = np.degrees(np.arccos(np.clip(sh / FRONT_SHOULDER_RATIO, 0, 1)))
    yaw_hp = np.degrees(np.arccos(np.clip(hp / FRONT_HIP_RATIO, 0, 1)))
    w = seq.world_m
    vs = w[:, L.LEFT_SHOULDER] - w[:, L.RIGHT_SHOULDER]
    vh = w[:, L.LEFT_HIP] - w[:, L.RIGHT_HIP]
    yaw_ws = np.degrees(np.arctan2(np.abs(vs[:, 2]), np.abs(vs[:, 0])))
    yaw_wh = np.degrees(np.arctan2(np.abs(vh[:, 2]), np.abs(vh[:, 0])))
    return nanmean_of([yaw_sh, yaw_hp, yaw_ws, yaw_wh])


def classify_yaw(yaw_deg: float) -> View:
    if not np.isfinite(yaw_deg):
        return "unknown"
    if yaw_deg >= SIDE_MIN_YAW_DEG:
        return "side"
    if yaw_deg <= FRONT_MAX_YAW_DEG:
        return "front"
    return "oblique"


def facing_sign(seq: PoseSequence, idx: np.ndarray | slice = slice(None)) -> int:
    """+1 if the toes point to +x in the picture, -1 if to -x (median over frames and feet)."""
    xy = seq.xy_px[idx]
    d = np.concatenate([xy[:, L.LEFT_FOOT_INDEX, 0] - xy[:, L.LEFT_HEEL, 0],
                        xy[:, L.RIGHT_FOOT_INDEX, 0] - xy[:, L.RIGHT_HEEL, 0]])
    # the nose is ahead of the ears too; use it when the feet are not seen
    ears = midpoint(xy[:, L.LEFT_EAR, 0], xy[:, L.RIGHT_EAR, 0])
    nose = xy[:, L.NOSE, 0] - ears
    m = nanmedian_or_nan(d)
    if not np.isfinite(m) or abs(m) < 1e-6:
        m = nanmedian_or_nan(nose)
    if not np.isfinite(m) or m == 0:
        return 0
    return 1 if m > 0 else -1


def _mean_finite(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else 0.0


def near_leg(seq: PoseSequence, idx: np.ndarray | slice = slice(None)) -> Leg:
    """The leg nearer the camera: higher visibility and smaller MediaPipe z over the frames."""
    legs = {"left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
            "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)}
    score = {}
    for side, ids in legs.items():
        ids = [int(i) for i in ids]
        vis = _mean_finite(seq.visibility[idx][:, ids])
        z = _mean_finite(seq.z[idx][:, ids])
        score[side] = vis - 0.5 * z
    return max(score, key=score.get)


def detect_view(seq: PoseSequence, idx: np.ndarray | slice = slice(None)) -> ViewInfo:
    yaw = nanmedian_or_nan(yaw_per_frame(seq)[idx]) if len(seq) else float("nan")
    return ViewInfo(classify_yaw(yaw), yaw, facing_sign(seq, idx), near_leg(seq, idx))
