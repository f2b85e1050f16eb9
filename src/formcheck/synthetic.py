"""Synthetic landmark sequences with exactly known geometry, for tests and examples.

A 2D stick person (pixels, y down) squats with given per-rep bottom angles. Seen from the side
(facing +x or -x) or from the front. The joint positions are exact, so every metric's true value
is known: knee-over-toe = shank * sin(shin) - toe_ahead_of_ankle, thigh angle as given, and so on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .landmarks import N_LANDMARKS, PoseSequence
from .landmarks import Landmark as L

SHANK, THIGH, TRUNK, NECK = 250.0, 260.0, 300.0, 110.0
HEEL_BEHIND, TOE_AHEAD = 45.0, 155.0      # of the ankle, along the foot
FOOT_LEN = HEEL_BEHIND + TOE_AHEAD
STAND = (2.0, -88.0, 4.0)                  # shin from vertical, thigh from horizontal, lean


@dataclass(frozen=True)
class RepSpec:
    """One rep: bottom angles and timing (seconds)."""

    thigh_deg: float = 5.0       # + = hip below knee at the bottom
    shin_deg: float = 35.0       # + = knee forward of the ankle
    lean_deg: float = 40.0
    valgus_px: float = 0.0       # front view: each knee moves this far toward the midline
    down_s: float = 1.2
    pause_s: float = 0.3
    up_s: float = 1.0
    rest_s: float = 1.0
    top_u: float = 0.0           # how far down the rise ends (0 = standing straight; a chair
                                 # stand that stops at 0.4 leaves the knees bent)


# Stooping to pick something up: knees bent a little, the trunk bent far forward. Not a squat.
PICK_UP = RepSpec(thigh_deg=-35.0, shin_deg=20.0, lean_deg=82.0, down_s=1.0, pause_s=0.5,
                  up_s=1.0, rest_s=1.5)
# A hip hinge (good morning / deadlift pattern): hips back, shins near vertical. Not a squat.
HINGE = RepSpec(thigh_deg=-62.0, shin_deg=6.0, lean_deg=70.0, down_s=1.2, pause_s=0.3,
                up_s=1.0, rest_s=1.5)
SHOULDER_HALF, HIP_HALF = 112.0, 67.0     # half widths: 0.75 and 0.45 of the trunk length


def knee_over_toe_ratio(shin_deg: float) -> float:
    """True knee-over-toe at a shin angle, in the foot lengths formcheck reports (a typical
    foot for the shank, metrics.FOOT_PER_SHANK shank lengths; this model's own foot is longer),
    from the model's exact geometry."""
    from .metrics import FOOT_PER_SHANK

    return (SHANK * math.sin(math.radians(shin_deg)) - TOE_AHEAD) / (SHANK * FOOT_PER_SHANK)


def _timeline(reps: list[RepSpec], lead_s: float, seated_start_s: float = 0.0,
              seated_end_s: float = 0.0) -> list[tuple[float, float, float, int]]:
    """(duration, u_from, u_to, rep index) phases; u is 0 standing .. 1 at the bottom. A seated
    start sits at rep 1's bottom for seated_start_s and stands up before the lead; a seated end
    sits down after the last rep and stays for seated_end_s."""
    phases = []
    if seated_start_s:
        phases += [(seated_start_s, 1.0, 1.0, 0), (reps[0].up_s, 1.0, 0.0, 0)]
    phases.append((lead_s, 0.0, 0.0, 0))
    top = 0.0
    for k, r in enumerate(reps):
        phases += [(r.down_s, top, 1.0, k), (r.pause_s, 1.0, 1.0, k), (r.up_s, 1.0, r.top_u, k),
                   (r.rest_s, r.top_u, r.top_u, k)]
        top = r.top_u
    if seated_end_s:
        k = len(reps) - 1
        phases += [(reps[k].down_s, top, 1.0, k), (seated_end_s, 1.0, 1.0, k)]
    return phases


def bottoms_s(reps: list[RepSpec], lead_s: float = 1.0) -> list[float]:
    """The true bottom time (middle of the pause) of each rep."""
    out, t = [], lead_s
    for r in reps:
        out.append(t + r.down_s + r.pause_s / 2)
        t += r.down_s + r.pause_s + r.up_s + r.rest_s
    return out


def _state(phases, ti: float) -> tuple[float, int]:
    acc = 0.0
    for k, (d, u0, u1, rep) in enumerate(phases):
        if ti < acc + d or k == len(phases) - 1:
            f = min(1.0, max(0.0, (ti - acc) / d)) if d > 0 else 1.0
            return u0 + (u1 - u0) * (0.5 - 0.5 * math.cos(math.pi * f)), rep
        acc += d
    return 0.0, 0


def _side_joints(origin_x: float, ground_y: float, facing: int, shin: float, thigh: float,
                 lean: float) -> dict[str, np.ndarray]:
    ankle = np.array([origin_x, ground_y - 60.0])
    s, t, le = (math.radians(a) for a in (shin, thigh, lean))
    knee = ankle + SHANK * np.array([facing * math.sin(s), -math.cos(s)])
    hip = knee + THIGH * np.array([-facing * math.cos(t), math.sin(t)])
    shoulder = hip + TRUNK * np.array([facing * math.sin(le), -math.cos(le)])
    head = shoulder + NECK * np.array([facing * math.sin(le), -math.cos(le)])
    return {"ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder, "head": head,
            "heel": ankle + np.array([-facing * HEEL_BEHIND, 45.0]),
            "toe": ankle + np.array([facing * TOE_AHEAD, 45.0])}


_IDS = {"hip": (L.LEFT_HIP, L.RIGHT_HIP), "knee": (L.LEFT_KNEE, L.RIGHT_KNEE),
        "ankle": (L.LEFT_ANKLE, L.RIGHT_ANKLE), "heel": (L.LEFT_HEEL, L.RIGHT_HEEL),
        "toe": (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
        "shoulder": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER)}


def _fill_head_and_arms(xy: np.ndarray, i: int, head: np.ndarray, facing: int,
                        arms: str = "forward") -> None:
    for lm, (dx, dy) in ((L.NOSE, (30, 0)), (L.LEFT_EYE, (20, -10)), (L.RIGHT_EYE, (18, -10)),
                         (L.LEFT_EAR, (-10, 0)), (L.RIGHT_EAR, (-12, 0))):
        xy[i, int(lm)] = head + np.array([facing * dx, dy])
    for side in (0, 1):
        sh = xy[i, int(_IDS["shoulder"][side])]
        xy[i, int((L.LEFT_ELBOW, L.RIGHT_ELBOW)[side])] = sh + np.array([facing * 60, 150])
        xy[i, int((L.LEFT_WRIST, L.RIGHT_WRIST)[side])] = sh + np.array([facing * 180, 120])
        if arms == "chest":   # folded on the chest: the wrists in front of the sternum
            xy[i, int((L.LEFT_ELBOW, L.RIGHT_ELBOW)[side])] = sh + np.array([facing * 40, 170])
            xy[i, int((L.LEFT_WRIST, L.RIGHT_WRIST)[side])] = sh + np.array([facing * 60, 60])
        elif arms == "thighs":   # pushing off the thighs: the wrists on the middle of the thigh
            hip, knee = (xy[i, int(_IDS[k][side])] for k in ("hip", "knee"))
            xy[i, int((L.LEFT_WRIST, L.RIGHT_WRIST)[side])] = (hip + knee) / 2
            xy[i, int((L.LEFT_ELBOW, L.RIGHT_ELBOW)[side])] = (sh + (hip + knee) / 2) / 2


def squat_sequence(reps: list[RepSpec] | int = 3, view: str = "side", facing: int = 1,
                   fps: float = 30.0, lead_s: float = 1.0, noise_px: float = 0.0,
                   seed: int = 0, width_px: int = 720, height_px: int = 1280,
                   source: str = "synthetic", yaw_deg: float | Callable[[float], float] = 45.0,
                   scale: float = 1.0, seated_start_s: float = 0.0,
                   seated_end_s: float = 0.0, arms: str = "forward",
                   arms_at: Callable[[float], str] | None = None) -> PoseSequence:
    """A person squatting. `view` "side" (facing +x if facing=1), "front", or "oblique": the
    body turned `yaw_deg` from facing the camera (0 front .. 90 side on; a function of time
    makes a person who turns during the set). `scale` shrinks the person (and the pixel
    coordinates) for small pictures: lengths in pixels scale with it, angles and ratios do not.
    `seated_start_s` / `seated_end_s` start / end sitting at the bottom (side view); `arms`
    "chest" folds the arms (a chair-stand test), "thighs" puts the hands on the thighs (pushing
    off them), `arms_at(t)` picks it per time."""
    if isinstance(reps, int):
        reps = [RepSpec() for _ in range(reps)]
    phases = _timeline(reps, lead_s, seated_start_s, seated_end_s)
    total = sum(p[0] for p in phases)
    t = np.arange(int(round(total * fps))) / fps
    n = len(t)
    xy = np.full((n, N_LANDMARKS, 2), np.nan)
    vis = np.full((n, N_LANDMARKS), 0.95)
    z = np.zeros((n, N_LANDMARKS))
    world = np.zeros((n, N_LANDMARKS, 3))
    for i, ti in enumerate(t):
        u, k = _state(phases, ti)
        r = reps[k]
        shin = STAND[0] + u * (r.shin_deg - STAND[0])
        thigh = STAND[1] + u * (r.thigh_deg - STAND[1])
        lean = STAND[2] + u * (r.lean_deg - STAND[2])
        if view == "side":
            _side_frame(xy, vis, z, world, i, facing, shin, thigh, lean,
                        arms_at(ti) if arms_at else arms)
        elif view == "oblique":
            yaw = yaw_deg(ti) if callable(yaw_deg) else yaw_deg
            _turned_frame(xy, vis, z, world, i, facing, shin, thigh, lean, yaw)
        else:
            _front_frame(xy, world, i, shin, thigh, lean, u * r.valgus_px)
    xy = xy * scale
    if noise_px:
        xy = xy + np.random.default_rng(seed).normal(0.0, noise_px, xy.shape)
    # drawn orthographically: no perspective for valgus.perspective_undone_xy to undo
    return PoseSequence(t_s=t, xy_px=xy, z=z, visibility=vis, world_m=world, width_px=width_px,
                        height_px=height_px, fps=fps, source=source,
                        meta={"camera_focal_px": math.inf})


def _side_frame(xy, vis, z, world, i, facing, shin, thigh, lean, arms="forward") -> None:
    for side, dx, v, zz in ((0, 0.0, 0.98, -0.1), (1, -6.0, 0.7, 0.1)):
        p = _side_joints(300.0 + dx, 1200.0, facing, shin, thigh, lean)
        for name, ids in _IDS.items():
            xy[i, int(ids[side])] = p[name]
            vis[i, int(ids[side])] = v
            z[i, int(ids[side])] = zz
            world[i, int(ids[side])] = [p[name][0] / 1000, p[name][1] / 1000, zz * 2]
        head = p["head"]
    _fill_head_and_arms(xy, i, head, facing, arms)


def _front_frame(xy, world, i, shin, thigh, lean, valgus) -> None:
    """Facing the camera: depth shows as the thigh and trunk shortening toward the camera."""
    ground, cx = 1200.0, 360.0
    s, t, le = (math.radians(a) for a in (shin, thigh, lean))
    for side, sgn in ((0, 1.0), (1, -1.0)):  # the person's left is the picture's right
        ankle = np.array([cx + sgn * 90.0, ground - 60.0])
        knee = ankle + np.array([-sgn * valgus, -SHANK * math.cos(s)])
        hip = np.array([cx + sgn * 70.0, knee[1] - THIGH * -math.sin(t)])
        shoulder = np.array([cx + sgn * 110.0, hip[1] - TRUNK * math.cos(le)])
        p = {"ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder,
             "heel": ankle + np.array([0.0, 40.0]), "toe": ankle + np.array([sgn * 15.0, 60.0])}
        # how far each point is toward the camera (the picture does not show it; the world
        # landmarks do, with z smaller nearer the camera)
        fwd_knee = SHANK * math.sin(s)
        fwd_hip = fwd_knee - THIGH * math.cos(t)
        fwd = {"ankle": 0.0, "knee": fwd_knee, "hip": fwd_hip,
               "shoulder": fwd_hip + TRUNK * math.sin(le), "heel": -HEEL_BEHIND, "toe": TOE_AHEAD}
        for name, ids in _IDS.items():
            xy[i, int(ids[side])] = p[name]
            world[i, int(ids[side])] = [p[name][0] / 1000, p[name][1] / 1000, -fwd[name] / 1000]
    head = np.array([cx, xy[i, int(L.LEFT_SHOULDER), 1] - NECK])
    for lm, dx in ((L.NOSE, 0), (L.LEFT_EYE, 15), (L.RIGHT_EYE, -15), (L.LEFT_EAR, 35),
                   (L.RIGHT_EAR, -35)):
        xy[i, int(lm)] = head + np.array([dx, 0.0])
    for side, sgn in ((0, 1.0), (1, -1.0)):
        sh = xy[i, int(_IDS["shoulder"][side])]
        xy[i, int((L.LEFT_ELBOW, L.RIGHT_ELBOW)[side])] = sh + np.array([sgn * 20, 150])
        xy[i, int((L.LEFT_WRIST, L.RIGHT_WRIST)[side])] = sh + np.array([sgn * 10, 280])


def _turned_frame(xy, vis, z, world, i, facing, shin, thigh, lean, yaw_deg) -> None:
    """The side-view body in 3-D (forward, lateral, up), seen with the body turned yaw_deg from
    facing the camera: picture x = forward * sin(yaw) * facing + lateral * cos(yaw)."""
    yaw = math.radians(yaw_deg)
    cx = 360.0
    for side, lat, v, zz in ((0, -1.0, 0.98, -0.1), (1, 1.0, 0.7, 0.1)):
        p = _side_joints(0.0, 1200.0, 1, shin, thigh, lean)
        for name, ids in _IDS.items():
            half = SHOULDER_HALF if name == "shoulder" else HIP_HALF
            fwd, up = p[name][0], p[name][1]
            x = cx + facing * fwd * math.sin(yaw) + lat * half * math.cos(yaw)
            xy[i, int(ids[side])] = [x, up]
            vis[i, int(ids[side])] = v
            z[i, int(ids[side])] = zz
            world[i, int(ids[side])] = [(x - cx) / 1000, up / 1000,
                                        (lat * half * math.sin(yaw) - facing * fwd * math.cos(yaw)) / 1000]
        head = np.array([cx + facing * p["head"][0] * math.sin(yaw), p["head"][1]])
    _fill_head_and_arms(xy, i, head, facing)
