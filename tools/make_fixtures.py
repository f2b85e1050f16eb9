#!/usr/bin/env python3
"""Render synthetic squat clips with exactly known joint positions.

A shaded 3D mannequin (spheres, ellipsoids, rounded cones, one box) is driven
by a planar squat kinematics model, ray-cast analytically with numpy through a
pinhole camera, and encoded as H.264 mp4 with PyAV.  The skeleton's joints,
projected with the same camera, are written next to each clip as ground truth.

    python tools/make_fixtures.py [--only NAME] [--out videos/fixtures]

Outputs per clip: ``<name>.mp4`` and ``<name>.truth.json``.  Deterministic:
no randomness is used anywhere.

Coordinate conventions
----------------------
World / person frame (metres): X = the person's forward, Y = up, Z = the
person's right.  The feet are planted around the origin, floor is Y = 0.
Image: pixels, x right, y down, pixel (u, v) covers [u, u+1) x [v, v+1), so a
landmark with MediaPipe's normalised coordinates maps to (x*W, y*H).
"""
from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------------------
# Body model (proportions after Winter's anthropometric table, height HT)
# ---------------------------------------------------------------------------
HT = 1.75
SOLE_H = 0.02                   # shoe sole lifts the body this much
ANKLE_H = 0.039 * HT + SOLE_H   # ankle centre above the floor
SOCK_H = 0.09                   # visible sock between trouser hem and shoe (m, 0 = none)
SHANK = 0.246 * HT              # ankle -> knee
THIGH = 0.245 * HT              # knee -> hip joint
TRUNK = 0.288 * HT              # hip-joint line -> shoulder-joint line
NECK = 0.052 * HT               # shoulder line -> base of the skull
UPPER_ARM = 0.186 * HT
FOREARM = 0.146 * HT
FOOT_LEN = 0.152 * HT
HEEL_BACK = 0.23 * FOOT_LEN     # ankle -> back of the heel (horizontal)
TOE_FWD = FOOT_LEN - HEEL_BACK  # ankle -> tip of the shoe
HIP_HALF_W = 0.05 * HT          # half distance between hip joint centres
SHOULDER_HALF_W = 0.10 * HT

# Segment masses (fraction of body mass) for the balance solver.
MASS = dict(head=0.081, trunk=0.497, upper_arm=0.028, forearm=0.016, hand=0.006,
            thigh=0.100, shank=0.0465, foot=0.0145)

# Landmark labelling on the shoe (calibrated against BlazePose, see NOTES).
TOE_LABEL_FRAC = 0.93    # fraction of ankle->toe-tip distance for foot_index
TOE_LABEL_H = 0.050      # height of the labelled foot_index point (m)
HEEL_LABEL_H = 0.045     # height of the labelled heel point (m)
HEEL_LABEL_IN = 0.035    # labelled heel point sits this far in front of the shoe's back

COLORS = {
    "skin": (0.87, 0.68, 0.55),
    "shirt": (0.20, 0.42, 0.72),
    "pants": (0.35, 0.38, 0.50),
    "shoe": (0.15, 0.15, 0.17),
    "sole": (0.90, 0.90, 0.88),
    "sock": (0.92, 0.92, 0.92),
    "hair": (0.25, 0.16, 0.10),
    "eye": (0.08, 0.08, 0.10),
    "box": (0.70, 0.52, 0.30),
}
WALL = np.array([0.93, 0.93, 0.90])
FLOOR = np.array([0.78, 0.76, 0.72])


@dataclass
class SquatSpec:
    """One clip: camera placement plus the squat parameters at the bottom."""
    name: str
    view: str                    # side | front | oblique
    yaw_deg: float               # camera azimuth around the person, 0 = in front,
                                 # +90 = on the person's right (person faces image right)
    reps: int = 3
    shin_deg: float = 30.0       # shank forward lean from vertical at the bottom
    thigh_deg: float = 0.0       # thigh to horizontal at bottom (+ = hip below knee)
    pause_s: float = 0.15        # time held at the bottom
    down_s: float = 1.1
    up_s: float = 1.0
    between_s: float = 0.35
    stand_s: float = 0.9
    toe_out_deg: float = 8.0
    stance_half_w: float = 0.12  # ankle half-distance
    valgus_m: float = 0.0        # inward knee shift at the bottom (each knee)
    box: bool = False
    fps: int = 24
    width: int = 360
    height: int = 480
    cam_dist: float = 5.5
    notes: str = ""


CLIPS = [
    SquatSpec("side_knees_past_toes", "side", 90.0, shin_deg=43.0, thigh_deg=9.0,
              notes="Knees travel well past the toes; slightly below parallel."),
    SquatSpec("side_knees_behind_toes", "side", -90.0, shin_deg=20.0, thigh_deg=-20.0,
              notes="Hips sit back, shins near vertical, big trunk lean; above parallel."),
    SquatSpec("side_box_pause", "side", 90.0, reps=2, shin_deg=27.0, thigh_deg=-5.0,
              pause_s=1.0, box=True,
              notes="Sits on a box for ~1 s at each bottom; thigh just above parallel."),
    SquatSpec("front_knees_cave_in", "front", 0.0, shin_deg=32.0, thigh_deg=-8.0,
              valgus_m=0.085, stance_half_w=0.17, toe_out_deg=12.0,
              notes="Facing the camera, squatting to about parallel, knees cave in at the bottom."),
    SquatSpec("oblique_squat", "oblique", 45.0, shin_deg=35.0, thigh_deg=0.0, notes="Camera 45 deg off the person's front, to their right."),
]


# ---------------------------------------------------------------------------
# Kinematics
# ---------------------------------------------------------------------------
def ease(u: float) -> float:
    """Cosine ease-in/out of u in [0, 1]."""
    u = min(max(u, 0.0), 1.0)
    return 0.5 - 0.5 * math.cos(math.pi * u)


def timeline(spec: SquatSpec):
    """Return (duration, [bottom times], depth(t) function in [0, 1])."""
    segs = []  # (t0, t1, s0, s1)
    t = spec.stand_s
    bottoms = []
    for i in range(spec.reps):
        segs.append((t, t + spec.down_s, 0.0, 1.0))
        t += spec.down_s
        bottoms.append(t + spec.pause_s / 2)
        t += spec.pause_s
        segs.append((t, t + spec.up_s, 1.0, 0.0))
        t += spec.up_s
        if i < spec.reps - 1:
            t += spec.between_s
    duration = t + spec.stand_s

    def depth(tt: float) -> float:
        for t0, t1, s0, s1 in segs:
            if t0 <= tt < t1:
                return s0 + (s1 - s0) * ease((tt - t0) / (t1 - t0))
        for (t0, t1, s0, s1), nxt in zip(segs, segs[1:] + [None]):
            if tt >= t1 and (nxt is None or tt < nxt[0]):
                return s1
        return 0.0

    return duration, bottoms, depth


def _rot_y(v, deg):
    """Rotate a (x, z) foot direction about the vertical axis."""
    a = math.radians(deg)
    return np.array([math.cos(a) * v[0] - math.sin(a) * v[2], v[1],
                     math.sin(a) * v[0] + math.cos(a) * v[2]])


def leg_sagittal(s: float, spec: SquatSpec):
    """Planar (x, y) of ankle, knee, hip for squat depth s in [0, 1]."""
    shin = math.radians(s * spec.shin_deg)
    thigh = math.radians(-90.0 + s * (spec.thigh_deg + 90.0))
    ankle = np.array([0.0, ANKLE_H])
    knee = ankle + SHANK * np.array([math.sin(shin), math.cos(shin)])
    hip = knee + THIGH * np.array([-math.cos(thigh), -math.sin(thigh)])
    return ankle, knee, hip


def arm_angles(s: float):
    """Arm elevation (from hanging) of the upper arm and forearm, world frame."""
    return math.radians(70 + 20 * s), math.radians(85 + 15 * s)


def upper_body(hip_x, hip_y, lean, s):
    """Planar points of the upper body given trunk lean (rad from vertical)."""
    d = np.array([math.sin(lean), math.cos(lean)])
    hip = np.array([hip_x, hip_y])
    shoulder = hip + TRUNK * d
    head_lean = 0.5 * lean
    dh = np.array([math.sin(head_lean), math.cos(head_lean)])
    skull = shoulder + NECK * d
    head_c = skull + 0.085 * dh + 0.015 * np.array([dh[1], -dh[0]])
    ua, fa = arm_angles(s)
    elbow = shoulder + UPPER_ARM * np.array([math.sin(ua), -math.cos(ua)])
    wrist = elbow + FOREARM * np.array([math.sin(fa), -math.cos(fa)])
    hand = wrist + 0.09 * np.array([math.sin(fa), -math.cos(fa)])
    return dict(shoulder=shoulder, skull=skull, head=head_c, elbow=elbow,
                wrist=wrist, hand=hand, trunk_dir=d, head_dir=dh)


def com_x(ankle, knee, hip, ub):
    """Whole-body centre of mass x (planar, both sides summed)."""
    m = MASS
    parts = [
        (2 * m["foot"], ankle[0] + 0.5 * (TOE_FWD - HEEL_BACK)),
        (2 * m["shank"], 0.57 * ankle[0] + 0.43 * knee[0]),
        (2 * m["thigh"], 0.57 * knee[0] + 0.43 * hip[0]),
        (m["trunk"], 0.5 * (hip[0] + ub["shoulder"][0])),
        (m["head"], ub["head"][0]),
        (2 * m["upper_arm"], 0.5 * (ub["shoulder"][0] + ub["elbow"][0])),
        (2 * m["forearm"], 0.5 * (ub["elbow"][0] + ub["wrist"][0])),
        (2 * m["hand"], ub["hand"][0]),
    ]
    return sum(w * x for w, x in parts) / sum(w for w, _ in parts)


def solve_lean(ankle, knee, hip, s):
    """Trunk lean that puts the centre of mass over the mid-foot."""
    target = ankle[0] + 0.04
    lo, hi = math.radians(-5), math.radians(75)
    if com_x(ankle, knee, hip, upper_body(*hip, lo, s)) >= target:
        return lo
    if com_x(ankle, knee, hip, upper_body(*hip, hi, s)) <= target:
        return hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if com_x(ankle, knee, hip, upper_body(*hip, mid, s)) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def pose3d(s: float, spec: SquatSpec) -> dict:
    """3D skeleton (person frame) at squat depth s."""
    ankle, knee, hip = leg_sagittal(s, spec)
    lean = solve_lean(ankle, knee, hip, s)
    ub = upper_body(*hip, lean, s)
    P = {}

    def p3(xy, z):
        return np.array([xy[0], xy[1], z])

    for side, sg in (("left", -1.0), ("right", 1.0)):
        za = sg * spec.stance_half_w
        zh = sg * HIP_HALF_W
        zk = 0.5 * (za + zh) + 0.25 * (za - zh) - sg * spec.valgus_m * s
        fdir = _rot_y(np.array([1.0, 0.0, 0.0]), sg * spec.toe_out_deg)
        a3 = p3(ankle, za)
        P[f"{side}_ankle"] = a3
        P[f"{side}_knee"] = p3(knee, zk)
        P[f"{side}_hip"] = p3(hip, zh)
        P[f"{side}_foot_dir"] = fdir
        P[f"{side}_heel"] = (np.array([a3[0], HEEL_LABEL_H, a3[2]])
                             - (HEEL_BACK - HEEL_LABEL_IN) * fdir)
        P[f"{side}_foot_index"] = (np.array([a3[0], TOE_LABEL_H, a3[2]])
                                   + TOE_LABEL_FRAC * TOE_FWD * fdir)
        P[f"{side}_shoulder"] = p3(ub["shoulder"], sg * SHOULDER_HALF_W)
        P[f"{side}_elbow"] = p3(ub["elbow"], sg * (SHOULDER_HALF_W + 0.01))
        P[f"{side}_wrist"] = p3(ub["wrist"], sg * (SHOULDER_HALF_W - 0.01))
        P[f"{side}_hand"] = p3(ub["hand"], sg * (SHOULDER_HALF_W - 0.015))
    P["skull"] = p3(ub["skull"], 0.0)
    P["head"] = p3(ub["head"], 0.0)
    dh = ub["head_dir"]
    P["head_up"] = np.array([dh[0], dh[1], 0.0])
    P["head_fwd"] = np.array([dh[1], -dh[0], 0.0])
    P["trunk_up"] = np.array([ub["trunk_dir"][0], ub["trunk_dir"][1], 0.0])
    P["trunk_fwd"] = np.array([ub["trunk_dir"][1], -ub["trunk_dir"][0], 0.0])
    P["nose"] = P["head"] + 0.115 * P["head_fwd"] - 0.01 * P["head_up"]
    P["lean_deg"] = math.degrees(lean)
    return P


# ---------------------------------------------------------------------------
# Primitives (analytic ray intersection, vectorised over rays)
# Each hit(o, d) takes origins o of shape (3,) or (N, 3) and unit directions d
# of shape (N, 3) and returns (t, normal) with t = inf where the ray misses.
# ---------------------------------------------------------------------------
def _dot(a, b):
    return np.sum(a * b, axis=-1)


def _frame(axis):
    """Orthonormal basis whose first column is `axis`."""
    a = axis / np.linalg.norm(axis)
    h = np.array([0.0, 1.0, 0.0]) if abs(a[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    b = np.cross(a, h)
    b /= np.linalg.norm(b)
    c = np.cross(a, b)
    return np.stack([a, b, c], axis=1)


@dataclass
class Ellipsoid:
    c: np.ndarray
    R: np.ndarray          # columns = local axes
    r: np.ndarray          # radii along local axes
    mat: str

    def bound(self):
        return self.c, float(np.max(self.r))

    def hit(self, o, d):
        ol = ((o - self.c) @ self.R) / self.r
        dl = (d @ self.R) / self.r
        a = _dot(dl, dl)
        b = _dot(dl, ol)
        cc = _dot(ol, ol) - 1.0
        h = b * b - a * cc
        ok = h > 0
        t = np.where(ok, (-b - np.sqrt(np.maximum(h, 0))) / a, np.inf)
        pl = ol + np.where(ok, t, 0.0)[:, None] * dl
        n = (pl / self.r) @ self.R.T
        return t, n


def sphere(c, r, mat):
    return Ellipsoid(np.asarray(c, float), np.eye(3), np.array([r, r, r], float), mat)


def ellipsoid(c, axis, r, mat, up=None):
    """Ellipsoid with first radius along `axis`; `up` fixes the second axis."""
    a = np.asarray(axis, float)
    a /= np.linalg.norm(a)
    if up is None:
        R = _frame(a)
    else:
        u = np.asarray(up, float)
        u = u - a * (u @ a)
        u /= np.linalg.norm(u)
        R = np.stack([a, u, np.cross(a, u)], axis=1)
    return Ellipsoid(np.asarray(c, float), R, np.asarray(r, float), mat)


@dataclass
class RoundCone:
    """Convex hull of two spheres (a capsule when ra == rb)."""
    a: np.ndarray
    b: np.ndarray
    ra: float
    rb: float
    mat: str

    def bound(self):
        c = 0.5 * (self.a + self.b)
        return c, 0.5 * float(np.linalg.norm(self.b - self.a)) + max(self.ra, self.rb)

    def hit(self, o, d):
        pa, pb, ra, rb = self.a, self.b, self.ra, self.rb
        ba = pb - pa
        oa = o - pa
        ob = o - pb
        rr = ra - rb
        m0 = ba @ ba
        m1 = _dot(oa, ba)
        m2 = d @ ba
        m3 = _dot(d, oa)
        m5 = _dot(oa, oa)
        m6 = _dot(d, ob)
        m7 = _dot(ob, ob)
        d2 = m0 - rr * rr
        k2 = d2 - m2 * m2
        k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
        k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
        h = k1 * k1 - k0 * k2
        n = np.zeros_like(d)
        t = np.full(len(d), np.inf)
        valid = h >= 0
        tb = (-np.sqrt(np.maximum(h, 0)) - k1) / np.where(np.abs(k2) > 1e-12, k2, 1e-12)
        y = m1 - ra * rr + tb * m2
        body = valid & (y > 0) & (y < d2)
        t = np.where(body, tb, t)
        pn = d2 * (oa + tb[:, None] * d) - ba * y[:, None]
        n[body] = pn[body]
        # caps
        h1 = m3 * m3 - m5 + ra * ra
        h2 = m6 * m6 - m7 + rb * rb
        t1 = np.where(valid & ~body & (h1 > 0), -m3 - np.sqrt(np.maximum(h1, 0)), np.inf)
        t2 = np.where(valid & ~body & (h2 > 0), -m6 - np.sqrt(np.maximum(h2, 0)), np.inf)
        use1 = t1 <= t2
        tc = np.where(use1, t1, t2)
        cap = np.isfinite(tc)
        nc = np.where(use1[:, None], (oa + t1[:, None] * d) / ra,
                      (ob + t2[:, None] * d) / rb)
        t = np.where(cap, tc, t)
        n[cap] = nc[cap]
        return t, n


@dataclass
class Box:
    lo: np.ndarray
    hi: np.ndarray
    mat: str

    def bound(self):
        return 0.5 * (self.lo + self.hi), 0.5 * float(np.linalg.norm(self.hi - self.lo))

    def hit(self, o, d):
        inv = 1.0 / np.where(np.abs(d) > 1e-12, d, 1e-12)
        t0 = (self.lo - o) * inv
        t1 = (self.hi - o) * inv
        tmin = np.minimum(t0, t1)
        tmax = np.maximum(t0, t1)
        tn = tmin.max(axis=1)
        tf = tmax.min(axis=1)
        ok = (tn <= tf) & (tn > 0)
        t = np.where(ok, tn, np.inf)
        axis = tmin.argmax(axis=1)
        n = np.zeros_like(d)
        n[np.arange(len(d)), axis] = -np.sign(d[np.arange(len(d)), axis])
        return t, n


def body_primitives(P: dict) -> list:
    """The mannequin's shapes for skeleton P."""
    prims = []
    for side, sg in (("left", -1.0), ("right", 1.0)):
        a, k, h = P[f"{side}_ankle"], P[f"{side}_knee"], P[f"{side}_hip"]
        f = P[f"{side}_foot_dir"]
        # shoe: main ellipsoid from heel to toe tip, plus a sole and an ankle collar
        heel = np.array([a[0], 0.0, a[2]]) - HEEL_BACK * f
        toe = np.array([a[0], 0.0, a[2]]) + TOE_FWD * f
        yv = np.array([0.0, 1.0, 0.0])
        front = heel + 0.035 * f    # toe box: from behind the ankle to the toe tip
        c = 0.5 * (front + toe) + 0.040 * yv
        prims.append(ellipsoid(c, f, [0.5 * np.linalg.norm(toe - front), 0.040, 0.050], "shoe",
                               up=yv))
        # blunt heel counter, its back at the heel point
        prims.append(ellipsoid(heel + 0.045 * f + 0.050 * yv, f, [0.045, 0.050, 0.044], "shoe",
                               up=yv))
        prims.append(ellipsoid(0.5 * (heel + toe) + 0.016 * yv, f,
                               [FOOT_LEN / 2 + 0.002, 0.016, 0.053], "sole", up=yv))
        prims.append(sphere(a + np.array([0, -0.005, 0]) - 0.012 * f, 0.046, "shoe"))
        # legs
        if SOCK_H > 0:
            hem = a + SOCK_H * (k - a) / np.linalg.norm(k - a)
            prims.append(RoundCone(a, hem, 0.036, 0.040, "sock"))
            prims.append(RoundCone(hem, k, 0.046, 0.056, "pants"))
        else:
            prims.append(RoundCone(a, k, 0.043, 0.056, "pants"))
        prims.append(RoundCone(k, h, 0.060, 0.082, "pants"))
        prims.append(sphere(k, 0.060, "pants"))
        # arms
        s_, e, w, hd = (P[f"{side}_shoulder"], P[f"{side}_elbow"], P[f"{side}_wrist"],
                        P[f"{side}_hand"])
        prims.append(RoundCone(s_, e, 0.052, 0.040, "shirt"))
        prims.append(RoundCone(e, w, 0.037, 0.028, "skin"))
        prims.append(ellipsoid(hd, hd - w, [0.075, 0.022, 0.042], "skin", up=[0, 1, 0]))
    up, fwd = P["trunk_up"], P["trunk_fwd"]
    hipc = 0.5 * (P["left_hip"] + P["right_hip"])
    # pelvis and torso
    prims.append(ellipsoid(hipc + 0.05 * up - 0.015 * fwd, up, [0.13, 0.115, 0.175], "pants",
                           up=fwd))
    prims.append(ellipsoid(hipc + 0.20 * up, up, [0.16, 0.105, 0.155], "shirt", up=fwd))
    prims.append(ellipsoid(hipc + 0.36 * up + 0.01 * fwd, up, [0.16, 0.125, 0.185], "shirt",
                           up=fwd))
    shc = 0.5 * (P["left_shoulder"] + P["right_shoulder"])
    for side in ("left", "right"):
        prims.append(sphere(P[f"{side}_shoulder"] + 0.01 * up, 0.058, "shirt"))
    prims.append(RoundCone(shc, P["skull"] + 0.01 * fwd, 0.05, 0.045, "skin"))
    # head
    hc, hu, hf = P["head"], P["head_up"], P["head_fwd"]
    prims.append(ellipsoid(hc, hu, [0.118, 0.098, 0.080], "skin", up=hf))
    prims.append(ellipsoid(hc + 0.03 * hu - 0.022 * hf, hu, [0.105, 0.092, 0.085], "hair",
                           up=hf))
    prims.append(ellipsoid(hc - 0.045 * hu + 0.045 * hf, hf, [0.06, 0.055, 0.06], "skin",
                           up=hu))  # jaw / chin
    prims.append(ellipsoid(P["nose"] - 0.012 * hf, hf, [0.022, 0.012, 0.022], "skin", up=hu))
    lat = np.cross(hf, hu)
    for sg in (-1.0, 1.0):
        prims.append(sphere(hc + 0.072 * hf + 0.025 * hu + sg * 0.033 * lat, 0.013, "eye"))
        prims.append(ellipsoid(hc - 0.005 * hf + sg * 0.078 * lat, hu, [0.03, 0.015, 0.012],
                               "skin", up=hf))  # ears
    return prims


# ---------------------------------------------------------------------------
# Camera
# ---------------------------------------------------------------------------
@dataclass
class Camera:
    pos: np.ndarray
    right: np.ndarray
    up: np.ndarray
    fwd: np.ndarray
    f: float
    cx: float
    cy: float
    width: int
    height: int

    def project(self, p):
        q = np.asarray(p, float) - self.pos
        z = q @ self.fwd
        return np.array([self.cx + self.f * (q @ self.right) / z,
                         self.cy - self.f * (q @ self.up) / z])

    def rays(self, scale: int = 1):
        """Unit ray directions for every (sub)pixel centre, shape (h, w, 3)."""
        w, h = self.width * scale, self.height * scale
        u = (np.arange(w) + 0.5) / scale - self.cx
        v = (np.arange(h) + 0.5) / scale - self.cy
        d = (self.fwd * self.f + u[None, :, None] * self.right
             - v[:, None, None] * self.up)
        return d / np.linalg.norm(d, axis=2, keepdims=True)


def _camera(spec: SquatSpec, target: np.ndarray) -> Camera:
    yaw = math.radians(spec.yaw_deg)
    horiz = np.array([math.cos(yaw), 0.0, math.sin(yaw)])
    pos = target + spec.cam_dist * horiz
    fwd = -horiz
    up = np.array([0.0, 1.0, 0.0])
    right = np.cross(fwd, up)
    return Camera(pos, right, up, fwd, _focal(spec), spec.width / 2, spec.height / 2,
                  spec.width, spec.height)


def _focal(spec: SquatSpec) -> float:
    """Focal length (px) that fits a 1.8 m tall person with 20/30 px margins."""
    return (spec.height - 50) * spec.cam_dist / 1.8


def _framed_camera(spec: SquatSpec, scenes: list[list]) -> Camera:
    """Level pinhole camera at spec's distance and yaw, moved sideways so that everything in
    `scenes` (lists of primitives) is centred in the picture."""
    f = _focal(spec)
    cam_h = 1.8 - (spec.height / 2 - 20) * spec.cam_dist / f
    cam = _camera(spec, np.array([0.0, cam_h, 0.0]))
    xs = []
    for prims in scenes:
        for prim in prims:
            c, r = prim.bound()
            x = cam.project(c)[0]
            rp = f * r / ((c - cam.pos) @ cam.fwd)
            xs += [x - rp, x + rp]
    shift = 0.5 * (min(xs) + max(xs)) - cam.cx
    target = np.array([0.0, cam_h, 0.0]) + cam.right * shift * spec.cam_dist / f
    return _camera(spec, target)


def make_camera(spec: SquatSpec) -> Camera:
    """Level pinhole camera; framed so the person's motion is centred."""
    return _framed_camera(spec, [body_primitives(pose3d(s, spec)) + box_primitives(spec)
                                 for s in (0.0, 0.5, 1.0)])


def box_primitives(spec: SquatSpec) -> list:
    """A box under the buttocks at the bottom of the squat (box squats)."""
    if not spec.box:
        return []
    _, _, hip_b = leg_sagittal(1.0, spec)
    top = hip_b[1] - 0.10
    return [Box(np.array([hip_b[0] - 0.42, 0.0, -0.20]),
                np.array([hip_b[0] + 0.02, top, 0.20]), "box")]


# ---------------------------------------------------------------------------
# Renderer
# ---------------------------------------------------------------------------
class Renderer:
    def __init__(self, cam: Camera, ss: int = 2, light_cam=(-0.45, 0.75, 0.55)):
        self.cam, self.ss = cam, ss
        self.D = cam.rays(ss)
        lc = np.asarray(light_cam, float)
        L = lc[0] * cam.right + lc[1] * cam.up - lc[2] * cam.fwd
        self.L = L / np.linalg.norm(L)
        self.bg, self.floor_pts = self._background()

    def _background(self):
        """Wall behind the person and the floor, lit and static."""
        D, o = self.D, self.cam.pos
        h, w, _ = D.shape
        img = np.empty((h, w, 3))
        img[:] = WALL
        wall_depth = self.cam.fwd @ (-self.cam.pos) + 1.6
        with np.errstate(divide="ignore", invalid="ignore"):
            t_floor = -o[1] / D[..., 1]
            t_wall = wall_depth / (D @ self.cam.fwd)
        floor = (D[..., 1] < 0) & (t_floor < t_wall)
        pts = o + t_floor[..., None] * D
        shade = 1.0 - 0.04 * np.clip((t_floor - 3.0), 0, 3)
        img[floor] = FLOOR * shade[floor, None]
        # soft line where floor meets wall
        img[~floor & (D[..., 1] < 0) & (t_wall * np.abs(D[..., 1]) > o[1] - 0.03)] *= 0.9
        return img, np.where(floor[..., None], pts, np.nan)

    def _bbox(self, prim):
        c, r = prim.bound()
        z = (c - self.cam.pos) @ self.cam.fwd
        x, y = self.cam.project(c)
        rp = self.cam.f * r / max(z - r, 1e-3) + 2
        s = self.ss
        h, w = self.D.shape[:2]
        c0, c1 = int(max(0, (x - rp) * s)), int(min(w, (x + rp) * s + 1))
        r0, r1 = int(max(0, (y - rp) * s)), int(min(h, (y + rp) * s + 1))
        return r0, r1, c0, c1

    def render(self, prims) -> np.ndarray:
        h, w = self.D.shape[:2]
        zbuf = np.full((h, w), np.inf)
        nrm = np.zeros((h, w, 3))
        mat = np.full((h, w), -1, int)
        names = list(COLORS)
        for prim in prims:
            r0, r1, c0, c1 = self._bbox(prim)
            if r1 <= r0 or c1 <= c0:
                continue
            d = self.D[r0:r1, c0:c1].reshape(-1, 3)
            t, n = prim.hit(self.cam.pos, d)
            t = t.reshape(r1 - r0, c1 - c0)
            closer = (t > 0) & (t < zbuf[r0:r1, c0:c1])
            zbuf[r0:r1, c0:c1][closer] = t[closer]
            nrm[r0:r1, c0:c1][closer] = n.reshape(r1 - r0, c1 - c0, 3)[closer]
            mat[r0:r1, c0:c1][closer] = names.index(prim.mat)
        img = self.bg.copy()
        self._floor_shadow(img, prims, mat)
        hit = mat >= 0
        n = nrm[hit]
        n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
        lam = np.clip(n @ self.L, 0, 1)
        # a little fill light from the camera side and a soft rim
        fill = np.clip(-(n @ self.cam.fwd), 0, 1)
        albedo = np.array([COLORS[k] for k in names])[mat[hit]]
        img[hit] = albedo * (0.28 + 0.62 * lam + 0.12 * fill)[:, None]
        img = np.clip(img, 0, 1)
        if self.ss > 1:
            s = self.ss
            img = img.reshape(h // s, s, w // s, s, 3).mean(axis=(1, 3))
        return (img * 255 + 0.5).astype(np.uint8)

    def _floor_shadow(self, img, prims, mat):
        """Darken floor points whose ray toward the light hits the body."""
        valid = ~np.isnan(self.floor_pts[..., 0]) & (mat < 0)
        sel = np.argwhere(valid)
        p = self.floor_pts[valid]
        near = (np.abs(p[:, 0]) < 1.2) & (np.abs(p[:, 2]) < 1.2)
        p, sel = p[near], sel[near]
        blocked = np.zeros(len(p), bool)
        for prim in prims:
            c, r = prim.bound()
            v = c - p                       # cull by distance to the shadow ray
            along = v @ self.L
            cand = (along > 0) & (_dot(v, v) - along ** 2 < r * r) & ~blocked
            if cand.any():
                pc = p[cand] + 1e-4 * self.L
                t, _ = prim.hit(pc, np.broadcast_to(self.L, pc.shape))
                blocked[np.where(cand)[0][np.isfinite(t) & (t > 0)]] = True
        ys, xs = sel[blocked].T
        img[ys, xs] *= 0.72


# ---------------------------------------------------------------------------
# Truth
# ---------------------------------------------------------------------------
LANDMARKS = ["nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip",
             "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
             "right_heel", "left_foot_index", "right_foot_index"]


def facing_of(spec: SquatSpec, cam: Camera) -> tuple[str, str]:
    """(facing, near side) as seen in the image."""
    fx = np.array([1.0, 0, 0]) @ cam.right
    if spec.view == "front":
        return "camera", "right"
    near = "right" if (np.array([0, 0, 1.0]) @ -cam.fwd) > 0 else "left"
    return ("right" if fx > 0 else "left"), near


def light_for(facing: str):
    """Light direction in camera terms (right, up, toward camera): high, slightly
    from the side behind the person.  Mirroring it for left-facing clips makes a
    left-facing clip the mirror image of a right-facing one (BlazePose's errors
    were measurably larger with the light in the person's face)."""
    return (0.45 if facing == "left" else -0.45, 0.75, 0.55)


def angle_deg(a, b, c):
    """Angle at b of the triangle a-b-c."""
    u, v = np.asarray(a) - b, np.asarray(c) - b
    cosv = u @ v / (np.linalg.norm(u) * np.linalg.norm(v))
    return math.degrees(math.acos(float(np.clip(cosv, -1, 1))))


def rep_metrics(J: dict, J0: dict, near: str, facing: str, view: str) -> dict:
    """Image-space per-rep numbers for the camera-near leg (see module doc)."""
    hip, knee, ankle = (np.array(J[f"{near}_{k}"]) for k in ("hip", "knee", "ankle"))
    toe = np.array(J[f"{near}_foot_index"])
    foot_len = float(np.linalg.norm(np.array(J0[f"{near}_heel"]) - np.array(J0[f"{near}_foot_index"])))
    out = {"knee_flexion_deg": round(180 - angle_deg(hip, knee, ankle), 2)}
    if view == "front":
        out["thigh_angle_deg"] = None
        out["knee_over_toe_ratio"] = None
        out["knee_flexion_deg"] = None
    else:
        s = 1.0 if facing == "right" else -1.0
        out["thigh_angle_deg"] = round(math.degrees(math.atan2(hip[1] - knee[1],
                                                               abs(knee[0] - hip[0]))), 2)
        out["knee_over_toe_ratio"] = round(s * (knee[0] - toe[0]) / foot_len, 3)
    kl, kr = np.array(J["left_knee"]), np.array(J["right_knee"])
    al, ar = np.array(J["left_ankle"]), np.array(J["right_ankle"])
    out["knee_sep_px"] = round(float(abs(kl[0] - kr[0])), 2)
    out["ankle_sep_px"] = round(float(abs(al[0] - ar[0])), 2)
    out["knee_to_ankle_sep_ratio"] = round(out["knee_sep_px"] / max(out["ankle_sep_px"], 1e-6), 3)
    return out


def sagittal_metrics(P: dict, near: str) -> dict:
    """The same quantities measured in 3D in the person's sagittal plane."""
    hip, knee, ankle = P[f"{near}_hip"], P[f"{near}_knee"], P[f"{near}_ankle"]
    toe = np.array([ankle[0], 0, ankle[2]]) + TOE_LABEL_FRAC * TOE_FWD * P[f"{near}_foot_dir"]
    return {
        "thigh_angle_3d_deg": round(math.degrees(math.atan2(knee[1] - hip[1],
                                                            knee[0] - hip[0])), 2),
        "knee_over_toe_ratio_3d": round(float((knee[0] - toe[0]) / (HEEL_BACK - HEEL_LABEL_IN + TOE_LABEL_FRAC * TOE_FWD)), 3),
        "knee_flexion_3d_deg": round(180 - angle_deg(hip, knee, ankle), 2),
        "trunk_lean_deg": round(P["lean_deg"], 2),
    }


# ---------------------------------------------------------------------------
# Encoder
# ---------------------------------------------------------------------------
def encode_mp4(path: Path, frames, fps: int, crf: int = 26, preset: str = "slow"):
    import av
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        st = out.add_stream("libx264", rate=fps)
        st.pix_fmt = "yuv420p"
        st.options = {"crf": str(crf), "preset": preset, "threads": "1",
                      "x264-params": "keyint=48"}
        first = True
        for img in frames:
            if first:
                st.height, st.width = img.shape[:2]
                first = False
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            for pkt in st.encode(fr):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)


# ---------------------------------------------------------------------------
# Clip assembly
# ---------------------------------------------------------------------------
NOTES = (
    "Synthetic mannequin rendered by tools/make_fixtures.py with a level pinhole camera "
    "(see 'camera'). joints_px are exact projections (px, origin at the top-left image corner, "
    "pixel centres at +0.5, so MediaPipe's x*width, y*height compare directly) of model points: "
    "hip/knee/ankle/shoulder = skeleton joint centres (ankle "
    f"{ANKLE_H * 100:.1f} cm above the floor incl. a {SOLE_H * 100:.0f} cm shoe sole); nose = nose "
    f"tip; heel = {HEEL_LABEL_IN * 100:.1f} cm in front of the back of the shoe, "
    f"{HEEL_LABEL_H * 100:.1f} cm high; foot_index = on the shoe's axis at {TOE_LABEL_FRAC:.2f} "
    f"of the ankle->toe-tip distance, {TOE_LABEL_H * 100:.1f} cm high. heel and foot_index were "
    "moved from the shoe outline to where BlazePose (full model) reports them on this mannequin "
    "(it puts the heel ~3.5 cm inside the back of the shoe and the toe point inside the toe "
    "tip, about half-way up the toe box); with that the knee-over-toe ratio recovered from "
    "BlazePose matches the truth within ~0.03 in the side views. Remaining systematic BlazePose "
    "offsets on these clips (1 px ~ 4.2 mm at the person): ankle ~2 cm above the joint centre "
    "and, with the shin inclined at the bottom, 2-4 cm forward of it; shoulder 3-7 cm forward "
    "of the joint centre (arms held forward); hip ~1.5 cm higher; knee flexion from BlazePose "
    "~2-7 deg less than the truth. In side views BlazePose puts both legs on nearly the same "
    "image points while the truth keeps the perspective offset between near and far leg (far "
    "leg a few px higher), so compare the camera-near leg (near_side). per_rep: "
    "thigh_angle_deg, knee_over_toe_ratio, knee_flexion_deg from joints_px of the near leg "
    "exactly as specified (foot length from frame 0, standing); null in the front view where "
    "they are meaningless; *_3d = the same quantities in the person's sagittal plane; "
    "knee_to_ankle_sep_ratio = |x_lknee - x_rknee| / |x_lankle - x_rankle| at the bottom "
    "(< 1 = knees inside the ankles). rep_bottoms_s = middle of the time at the bottom; "
    "pause_s = time held at the bottom. Clip-specific: "
)


def render_frames(spec: SquatSpec, cam: Camera, rnd: Renderer, pose, depth, n: int,
                  truth_only: bool = False) -> tuple[list[dict], list[np.ndarray], float]:
    """Frames 0..n-1 of a clip (frame i at i / spec.fps, the body in pose(depth(t), spec), with
    spec's box): the truth of each frame (its time and the joints projected to pixels), the
    pictures (none when `truth_only`) and the seconds spent rendering them."""
    box_prims = box_primitives(spec)
    frames_json, images = [], []
    t_render = 0.0
    for i in range(n):
        t = i / spec.fps
        P = pose(depth(t), spec)
        t0 = time.perf_counter()
        if not truth_only:
            images.append(rnd.render(body_primitives(P) + box_prims))
        t_render += time.perf_counter() - t0
        J = {k: [round(float(v), 2) for v in cam.project(P[k])] for k in LANDMARKS}
        frames_json.append({"t_s": round(t, 4), "joints_px": J})
    return frames_json, images, t_render


def write_clip(spec: SquatSpec, out_dir: Path, truth: dict, images: list[np.ndarray],
               t_render: float, truth_only: bool = False) -> None:
    """Write a clip's truth JSON and (unless `truth_only`) its mp4; say what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{spec.name}.truth.json").write_text(json.dumps(truth, separators=(",", ":")))
    if truth_only:
        print(f"{spec.name}: truth written", flush=True)
        return
    encode_mp4(out_dir / f"{spec.name}.mp4", images, spec.fps)
    print(f"{spec.name}: {len(images)} frames, {t_render / len(images):.3f} s/frame render, "
          f"{(out_dir / f'{spec.name}.mp4').stat().st_size / 1024:.0f} KB", flush=True)


def render_clip(spec: SquatSpec, out_dir: Path, ss: int = 2, truth_only: bool = False) -> dict:
    """Render a clip and write its truth (`truth_only`: the truth alone, no pictures)."""
    cam = make_camera(spec)
    facing, near = facing_of(spec, cam)
    rnd = Renderer(cam, ss=ss, light_cam=light_for(facing))
    duration, bottoms, depth = timeline(spec)
    n = int(round(duration * spec.fps))
    frames_json, images, t_render = render_frames(spec, cam, rnd, pose3d, depth, n, truth_only)
    J0 = frames_json[0]["joints_px"]
    per_rep = []
    for tb in bottoms:
        Pb = pose3d(1.0, spec)
        Jb = {k: list(cam.project(Pb[k])) for k in LANDMARKS}
        m = {"bottom_s": round(tb, 3)}
        m.update(rep_metrics(Jb, J0, near, facing, spec.view))
        m.update(sagittal_metrics(Pb, near))
        m["pause_s"] = spec.pause_s
        per_rep.append(m)
    truth = {
        "name": spec.name, "fps": spec.fps, "width": spec.width, "height": spec.height,
        "view": spec.view, "facing": facing, "yaw_deg": spec.yaw_deg, "near_side": near,
        "rep_count": spec.reps, "rep_bottoms_s": [round(b, 3) for b in bottoms],
        "duration_s": round(n / spec.fps, 4), "n_frames": n,
        "camera": {"f_px": round(cam.f, 3), "cx": cam.cx, "cy": cam.cy,
                   "distance_m": spec.cam_dist,
                   "height_m": round(float(cam.pos[1]), 4), "pitch_deg": 0.0},
        "per_rep": per_rep, "frames": frames_json,
        "notes": NOTES + spec.notes,
    }
    write_clip(spec, out_dir, truth, images, t_render, truth_only)
    return truth


# ---------------------------------------------------------------------------
# Truth grid (issue 8): views x depths x knee travel, and knees caving in
# ---------------------------------------------------------------------------
# Unlike the clips above, whose heel / foot_index labels were placed where BlazePose reports
# them, the grid's truth comes from the mesh alone: the toe is the tip of the shoe, the heel
# the back of the shoe, the foot length the distance between them (FOOT_LEN). Nothing in it
# was calibrated against the pose model, so the errors measured on it include BlazePose's own
# systematic foot-point offset (tools/grid_eval.py measures and reports that offset).
GRID_DEPTH_THIGH_DEG = {"quarter": -45.0, "half": -25.0, "parallel": 0.0, "deep": 15.0}
GRID_TRAVEL_RATIO = {"behind": -0.35, "level": 0.0, "past": 0.30}   # knee - toe tip, foot lengths
# The depth x travel reps of each yaw's clip: every depth once, every travel level at least
# once (the full 4 x 3 factorial would take three times as long to render and to track in CI).
GRID_DEPTH_TRAVEL = (("quarter", "behind"), ("half", "past"), ("parallel", "level"),
                     ("deep", "past"))
GRID_FPPA_DEG = (0.0, 8.0, 15.0, 20.0)
GRID_CAVE_MIN_FPPA_DEG = 12.0      # truth: a rep "caves in" at FPPA >= this (15 and 20 do; 0, 8 not)
GRID_YAWS_DEG = (0.0, 30.0, 45.0, 60.0, 90.0)
GRID_FPPA_YAWS_DEG = (0.0, 45.0)
GRID_FPPA_DEPTHS = ("quarter", "half")   # FPPA needs the thigh to rise in the frontal plane
GRID_TIMING = dict(down_s=0.9, pause_s=0.2, up_s=0.8, between_s=0.4, stand_s=0.9)
GRID_DEPTH_TRAVEL_TIMING = dict(down_s=0.7, pause_s=0.15, up_s=0.6, between_s=0.35, stand_s=0.7)


@dataclass(frozen=True)
class GridRep:
    """One rep of a grid clip: its bottom pose and what it stands for."""
    depth: str
    travel: str
    fppa_deg: float | None
    thigh_deg: float
    shin_deg: float
    valgus_m: float


def shin_for_travel(ratio: float, toe_out_deg: float) -> float:
    """Shank lean (deg) that puts the knee `ratio` foot lengths ahead of the shoe's toe tip,
    along the person's forward axis."""
    x = ratio * FOOT_LEN + TOE_FWD * math.cos(math.radians(toe_out_deg))
    return math.degrees(math.asin(x / SHANK))


def frontal_fppa_deg(P: dict, side: str) -> float:
    """Frontal-plane projection angle of one leg from the model's joint centres: the
    hip-knee-ankle angle projected on the body's frontal plane (up x left-right), as
    180 - that angle, +ve with the knee on the medial side of the hip-ankle line."""
    h, k, a = (np.array([P[f"{side}_{j}"][2], P[f"{side}_{j}"][1]]) for j in ("hip", "knee", "ankle"))
    ang = 180.0 - angle_deg(h, k, a)
    line_z = h[0] + (k[1] - h[1]) / (a[1] - h[1]) * (a[0] - h[0])
    medial = -1.0 if side == "right" else 1.0   # right leg's medial side is toward -Z
    return ang if (k[0] - line_z) * medial >= 0 else -ang


def valgus_for_fppa(spec: SquatSpec, target_deg: float) -> float:
    """Inward knee shift (m) at the bottom that gives FPPA = target (bisection)."""
    lo, hi = -0.15, 0.25
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        P = pose3d(1.0, _replace(spec, valgus_m=mid))
        if frontal_fppa_deg(P, "right") < target_deg:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _replace(spec: SquatSpec, **kw) -> SquatSpec:
    from dataclasses import replace
    return replace(spec, **kw)


def grid_rep(base: SquatSpec, depth: str, travel: str, fppa: float | None) -> GridRep:
    """fppa None: the knees track the feet as the model builds them (no inward shift)."""
    thigh = GRID_DEPTH_THIGH_DEG[depth]
    shin = shin_for_travel(GRID_TRAVEL_RATIO[travel], base.toe_out_deg)
    spec = _replace(base, thigh_deg=thigh, shin_deg=shin)
    return GridRep(depth, travel, fppa, thigh, shin,
                   0.0 if fppa is None else valgus_for_fppa(spec, fppa))


def grid_specs() -> list[tuple[SquatSpec, list[GridRep]]]:
    """One clip per yaw whose reps walk through depth x knee travel (GRID_DEPTH_TRAVEL; the
    knees track the feet), plus clips at 0 and 45 deg whose reps walk through the FPPA levels at
    quarter and half depth."""
    out = []
    for yaw in GRID_YAWS_DEG:
        view = "front" if yaw < 22 else ("side" if yaw > 59 else "oblique")
        base = SquatSpec(f"grid_yaw{yaw:02.0f}_depth_travel", view, yaw,
                         **GRID_DEPTH_TRAVEL_TIMING)
        reps = [grid_rep(base, d, tr, None) for d, tr in GRID_DEPTH_TRAVEL]
        out.append((_replace(base, reps=len(reps)), reps))
    for yaw in GRID_FPPA_YAWS_DEG:
        view = "front" if yaw < 22 else "oblique"
        base = SquatSpec(f"grid_yaw{yaw:02.0f}_knees_in", view, yaw, stance_half_w=0.16,
                         toe_out_deg=10.0, **GRID_TIMING)
        reps = [grid_rep(base, d, "level", f) for f in GRID_FPPA_DEG for d in GRID_FPPA_DEPTHS]
        out.append((_replace(base, reps=len(reps)), reps))
    return out


def grid_rep_spec(base: SquatSpec, r: GridRep) -> SquatSpec:
    return _replace(base, thigh_deg=r.thigh_deg, shin_deg=r.shin_deg, valgus_m=r.valgus_m)


def mesh_foot_points(P: dict, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(toe tip, back of the heel) of the shoe mesh, on the floor."""
    a, f = P[f"{side}_ankle"], P[f"{side}_foot_dir"]
    base = np.array([a[0], 0.0, a[2]])
    return base + TOE_FWD * f, base - HEEL_BACK * f


def grid_rep_truth(P: dict) -> dict:
    """Exact per-rep truth at the bottom, from the model (no BlazePose calibration)."""
    out = {}
    for side in ("left", "right"):
        hip, knee, ankle = P[f"{side}_hip"], P[f"{side}_knee"], P[f"{side}_ankle"]
        toe, _heel = mesh_foot_points(P, side)
        out[side] = {
            "thigh_angle_deg": round(math.degrees(math.atan2(knee[1] - hip[1],
                                                             knee[0] - hip[0])), 2),
            "knee_over_toe_ratio": round(float((knee[0] - toe[0]) / FOOT_LEN), 3),
            "knee_flexion_deg": round(180 - angle_deg(hip, knee, ankle), 2),
            # undefined when the thigh points at the camera of the frontal plane (hip ~ knee height)
            "fppa_deg": (round(frontal_fppa_deg(P, side), 2) if hip[1] - knee[1] > 0.1 else None),
        }
    ks = float(np.linalg.norm(P["left_knee"] - P["right_knee"]))
    an = float(np.linalg.norm(P["left_ankle"] - P["right_ankle"]))
    out["knee_ankle_sep_ratio"] = round(ks / an, 3)
    out["trunk_lean_deg"] = round(P["lean_deg"], 2)
    return out


GRID_POINTS = LANDMARKS + ["left_toe_tip", "right_toe_tip", "left_heel_back", "right_heel_back"]


def _grid_points_px(cam: Camera, P: dict) -> dict:
    Q = dict(P)
    for side in ("left", "right"):
        Q[f"{side}_toe_tip"], Q[f"{side}_heel_back"] = mesh_foot_points(P, side)
    return {k: [round(float(v), 2) for v in cam.project(Q[k])] for k in GRID_POINTS}


def render_grid_clip(spec: SquatSpec, reps: list[GridRep], out_dir: Path, ss: int = 2,
                     max_frames: int | None = None) -> dict:
    """Render one grid clip: rep i squats to reps[i]'s bottom pose (the standing pose is the
    same for every rep, so switching between reps while standing is seamless)."""
    specs = [grid_rep_spec(spec, r) for r in reps]
    cam = make_grid_camera(specs)
    facing, near = facing_of(spec, cam)
    rnd = Renderer(cam, ss=ss, light_cam=light_for(facing))
    duration, bottoms, depth = timeline(spec)
    n = int(round(duration * spec.fps))
    if max_frames:
        n = min(n, max_frames)
    rep_end = [b + spec.pause_s / 2 + spec.up_s for b in bottoms]
    images = []
    t0 = time.perf_counter()
    for i in range(n):
        t = i / spec.fps
        k = min(sum(1 for e in rep_end if t >= e), len(reps) - 1)
        images.append(rnd.render(body_primitives(pose3d(depth(t), specs[k]))))
    per_frame_s = (time.perf_counter() - t0) / n
    per_rep = []
    for r, s_r, tb in zip(reps, specs, bottoms):
        Pb = pose3d(1.0, s_r)
        per_rep.append({"bottom_s": round(tb, 3), "depth": r.depth, "travel": r.travel,
                        "fppa_target_deg": r.fppa_deg,
                        "knees_cave_in": r.fppa_deg is not None and r.fppa_deg >= GRID_CAVE_MIN_FPPA_DEG,
                        "valgus_m": round(r.valgus_m, 4), "truth": grid_rep_truth(Pb),
                        "points_px": _grid_points_px(cam, Pb)})
    P0 = pose3d(0.0, spec)
    truth = {
        "name": spec.name, "fps": spec.fps, "width": spec.width, "height": spec.height,
        "yaw_deg": spec.yaw_deg, "view": spec.view, "facing": facing, "near_side": near,
        "rep_count": spec.reps, "rep_bottoms_s": [round(b, 3) for b in bottoms],
        "n_frames": n, "foot_len_m": round(FOOT_LEN, 4),
        "camera": {"f_px": round(cam.f, 3), "cx": cam.cx, "cy": cam.cy,
                   "pos_m": [round(float(v), 4) for v in cam.pos],
                   "fwd": [round(float(v), 5) for v in cam.fwd]},
        "standing_points_px": _grid_points_px(cam, P0),
        "standing_points_m": {k: [round(float(v), 4) for v in p] for k, p in
                              {**{k: P0[k] for k in LANDMARKS},
                               **{f"{sd}_{nm}": pt for sd in ("left", "right") for nm, pt in
                                  zip(("toe_tip", "heel_back"), mesh_foot_points(P0, sd))}}.items()},
        "per_rep": per_rep,
        "notes": ("Truth grid rendered by tools/make_fixtures.py --grid. Person frame: X forward, "
                  "Y up, Z the person's right (metres). Truth per rep at the bottom, both legs, "
                  "from the model's joint centres and the shoe mesh: thigh_angle_deg (+ = hip "
                  "below knee), knee_over_toe_ratio = (knee - shoe toe tip) along X over the "
                  "shoe's heel-to-toe length, fppa_deg in the body's frontal plane (+ = knee "
                  "medial of the hip-ankle line). points_px / standing_points_px: exact "
                  "projections (pixel centres at +0.5); toe_tip / heel_back are the mesh's."),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    encode_mp4(out_dir / f"{spec.name}.mp4", images, spec.fps, preset="fast")
    (out_dir / f"{spec.name}.truth.json").write_text(json.dumps(truth, separators=(",", ":")))
    print(f"{spec.name}: {n} frames, {per_frame_s:.3f} s/frame, "
          f"{(out_dir / f'{spec.name}.mp4').stat().st_size / 1024:.0f} KB", flush=True)
    return truth


# Box sessions and chair-stand tests (issue 11): per-rep depth and pause, seated start/end
# ---------------------------------------------------------------------------
@dataclass
class SessionSpec(SquatSpec):
    """A set on a box (or chair) with per-rep depth (1 = sitting on the box, hip 10 cm above
    its top) and time held at the bottom; optionally starting and/or ending seated."""
    rep_depths: tuple = ()
    rep_pauses: tuple = ()
    seated_start_s: float = 0.0
    seated_end_s: float = 0.0
    arms: str = "forward"        # forward | chest (arms folded, wrists at the chest)
    test: str = ""               # "" | "chair-stand" (truth gains the test's stand times)
    tail_s: float = 0.0          # chair stand: time after the last sit


SESSIONS = [
    SessionSpec("box_side_session", "side", 90.0, reps=4, shin_deg=34.0, thigh_deg=0.0,
                box=True, rep_depths=(1.0, 0.7, 1.0, 0.7), rep_pauses=(1.0, 0.0, 0.1, 0.0),
                seated_start_s=1.5, seated_end_s=1.5,
                notes="Box squats side on: starts and ends seated on the box; reps 1 and 3 "
                      "sit on the box (1.0 s paused sit, 0.1 s touch-and-go), reps 2 and 4 turn "
                      "around above it. Knees pass the toes only in the reps on the box."),
    SessionSpec("box_oblique_session", "oblique", 45.0, reps=3, shin_deg=34.0, thigh_deg=0.0,
                box=True, rep_depths=(1.0, 0.7, 1.0), rep_pauses=(0.8, 0.0, 0.1),
                seated_start_s=1.5, seated_end_s=1.5,
                notes="Box squats, camera 45 deg off the person's front: starts and ends seated; "
                      "reps 1 and 3 sit on the box (0.8 s paused, 0.1 s touch-and-go)."),
    SessionSpec("chair_stand_30s", "side", 90.0, reps=14, shin_deg=20.0, thigh_deg=0.0,
                box=True, rep_depths=(1.0,) * 14, rep_pauses=(0.25,) * 14, down_s=0.9,
                up_s=0.9, between_s=0.3, stand_s=0.3, seated_start_s=1.0, seated_end_s=1.0,
                arms="chest", test="chair-stand",
                notes="30-second chair stand: arms folded on the chest, starts seated, stands "
                      "fully and sits 14 times at a steady pace (stands_s = when each stand is "
                      "complete, seat_contacts_s = when the buttocks reach the chair after each)."),
]


def session_timeline(spec: SessionSpec):
    """(duration, per-rep dicts, stands, depth(t)) for a session. A rep runs standing -> its
    depth -> standing; the seated start's first stand and the seated end's last sit are not reps."""
    segs, reps, stands = [], [], []
    t = 0.0
    if spec.seated_start_s:
        t = spec.seated_start_s
        stands.append({"start_s": round(t, 4), "end_s": round(t + spec.up_s, 4)})
        segs.append((t, t + spec.up_s, 1.0, 0.0))
        t += spec.up_s + spec.stand_s
    else:
        t = spec.stand_s
    for i, (d, p) in enumerate(zip(spec.rep_depths, spec.rep_pauses)):
        last = i == len(spec.rep_depths) - 1
        segs.append((t, t + spec.down_s, 0.0, d))
        reps.append({"start_s": round(t, 4), "depth_s": d, "bottom_start_s": round(t + spec.down_s, 4),
                     "bottom_s": round(t + spec.down_s + p / 2, 4), "pause_s": p})
        t += spec.down_s + p
        if spec.test and last:
            break
        segs.append((t, t + spec.up_s, d, 0.0))
        stands.append({"start_s": round(t, 4), "end_s": round(t + spec.up_s, 4)})
        reps[-1]["end_s"] = round(t + spec.up_s, 4)
        t += spec.up_s + spec.between_s
    if spec.seated_end_s and not spec.test:
        t += spec.stand_s - spec.between_s
        segs.append((t, t + spec.down_s, 0.0, 1.0))
        t += spec.down_s
    duration = t + (spec.seated_end_s or spec.stand_s)
    if spec.test:   # the last descent is the final sit, not a rep
        reps.pop()

    def depth(tt: float) -> float:
        level = 1.0 if spec.seated_start_s else 0.0
        for t0, t1, s0, s1 in segs:
            if tt < t0:
                return level
            if tt < t1:
                return s0 + (s1 - s0) * ease((tt - t0) / (t1 - t0))
            level = s1
        return level

    return duration, reps, stands, depth


def _chest_arms(P: dict) -> None:
    """Fold the arms across the chest: upper arms down along the trunk, forearms up and across
    so that the wrists sit in front of the chest near the midline."""
    up, fwd = P["trunk_up"], P["trunk_fwd"]
    for side in ("left", "right"):
        sh = P[f"{side}_shoulder"]
        z = sh[2]
        elbow = sh - 0.85 * UPPER_ARM * up + 0.45 * UPPER_ARM * fwd
        wrist = elbow + 0.58 * FOREARM * up + 0.2 * FOREARM * fwd
        hand = wrist + 0.06 * up
        P[f"{side}_elbow"] = np.array([elbow[0], elbow[1], z * 1.05])
        P[f"{side}_wrist"] = np.array([wrist[0], wrist[1], -z * 0.15])
        P[f"{side}_hand"] = np.array([hand[0], hand[1], -z * 0.45])


def session_pose(s: float, spec: SessionSpec) -> dict:
    P = pose3d(s, spec)
    if spec.arms == "chest":
        _chest_arms(P)
    return P


def _near_kot_ratio(s: float, spec: SessionSpec, cam, near: str, facing: str, J0: dict) -> float:
    """Knee over toe (foot lengths) of the near leg in the person's sagittal plane (3-D: the
    physical quantity, the same in every view)."""
    return sagittal_metrics(session_pose(s, spec), near)["knee_over_toe_ratio_3d"]


def _hip_above_ankle_m(s: float, spec: SessionSpec) -> float:
    ankle, _knee, hip = leg_sagittal(s, spec)
    return float(hip[1] - ankle[1])


def box_advice_truth(spec: SessionSpec, cam, near: str, facing: str, J0: dict, d: float,
                     limit: float) -> dict:
    """The exact box-height advice for a rep of depth d against a knee-over-toe limit (3-D,
    sagittal plane): the hip height (above the ankle) at which the near knee passes the limit
    on the way down, and
    how much higher than this rep's bottom that is (cm, and in shin lengths); null when the
    knee stays within the limit. Knee travel grows monotonically with depth here."""
    if _near_kot_ratio(d, spec, cam, near, facing, J0) <= limit:
        return {"limit_ratio": limit, "within_limit": True, "raise_cm": None, "raise_shin": None}
    lo, hi = 0.0, d
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _near_kot_ratio(mid, spec, cam, near, facing, J0) > limit:
            hi = mid
        else:
            lo = mid
    rise = _hip_above_ankle_m(0.5 * (lo + hi), spec) - _hip_above_ankle_m(d, spec)
    return {"limit_ratio": limit, "within_limit": False, "crossing_depth_s": round(0.5 * (lo + hi), 4),
            "raise_cm": round(100 * rise, 2), "raise_shin": round(rise / SHANK, 4)}


def render_session(spec: SessionSpec, out_dir: Path, ss: int = 2, truth_only: bool = False) -> dict:
    """Render a session clip and write its truth (`truth_only`: the truth alone, no pictures)."""
    cam = make_camera(spec)
    facing, near = facing_of(spec, cam)
    rnd = Renderer(cam, ss=ss, light_cam=light_for(facing))
    duration, reps, stands, depth = session_timeline(spec)
    n = int(round(duration * spec.fps))
    frames_json, images, t_render = render_frames(spec, cam, rnd, session_pose, depth, n,
                                                  truth_only)
    P0 = session_pose(0.0, spec)
    J0 = {k: list(cam.project(P0[k])) for k in LANDMARKS}
    stand_hip = _hip_above_ankle_m(0.0, spec)
    per_rep = []
    for r in reps:
        Pb = session_pose(r["depth_s"], spec)
        Jb = {k: list(cam.project(Pb[k])) for k in LANDMARKS}
        m = dict(r)
        m.update(rep_metrics(Jb, J0, near, facing, spec.view))
        m.update(sagittal_metrics(Pb, near))
        on_box = spec.box and r["depth_s"] >= 1.0
        m["box_contact"] = bool(on_box)
        m["contact_s"] = r["pause_s"] if on_box else None
        hip = _hip_above_ankle_m(r["depth_s"], spec)
        m["hip_height_ratio"] = round(hip / stand_hip, 4)
        m["hip_per_knee_ratio"] = round(hip / SHANK, 4)
        m["hip_above_ankle_cm"] = round(100 * hip, 2)
        m["box_advice"] = {p: box_advice_truth(spec, cam, near, facing, J0, r["depth_s"], lim)
                           for p, lim in (("general", 0.35), ("knee-rehab", 0.0))}
        per_rep.append(m)
    _, _, hip_top = leg_sagittal(1.0, spec)
    truth = {
        "name": spec.name, "fps": spec.fps, "width": spec.width, "height": spec.height,
        "view": spec.view, "facing": facing, "yaw_deg": spec.yaw_deg, "near_side": near,
        "person_height_cm": HT * 100, "shin_len_cm": round(SHANK * 100, 2),
        "standing_hip_above_ankle_cm": round(100 * stand_hip, 2),
        "box_top_above_floor_cm": round(100 * (hip_top[1] - 0.10), 2) if spec.box else None,
        "starts_seated": bool(spec.seated_start_s), "ends_seated": bool(spec.seated_end_s),
        "rep_count": len(per_rep), "rep_bottoms_s": [r["bottom_s"] for r in per_rep],
        "stands": stands,
        "duration_s": round(n / spec.fps, 4), "n_frames": n,
        "camera": {"f_px": round(cam.f, 3), "cx": cam.cx, "cy": cam.cy,
                   "distance_m": spec.cam_dist,
                   "height_m": round(float(cam.pos[1]), 4), "pitch_deg": 0.0},
        "per_rep": per_rep, "frames": frames_json,
        "notes": NOTES + spec.notes + " Session fields: depth_s = bottom depth (1 = on the box), "
                 "hip_height_ratio / hip_per_knee_ratio = hip joint above the ankle over its "
                 "standing height / over the shin length (knee height above the ankle), "
                 "box_advice = exact box-height advice per profile limit.",
    }
    if spec.test == "chair-stand":
        first = stands[0]["start_s"]
        ends = [s_["end_s"] for s_ in stands]
        # the seat contacts: the bottom (depth 1) reached after each stand
        seats = [r["bottom_start_s"] for r in reps[0:]] + [None]
        seats = [r["bottom_start_s"] for r in reps]
        # after the last stand comes the final sit
        t_last_sit = stands[-1]["end_s"] + spec.between_s + spec.down_s
        seats.append(round(t_last_sit, 4))
        seats = seats[1:] if len(seats) > len(stands) else seats
        truth["test"] = {
            "first_movement_s": first, "stands_s": ends, "seat_contacts_s": seats,
            "chair_stand_30": sum(1 for e in ends if e - first <= 30.0),
            "five_sts_time_s": round(seats[4] - first, 4),
            "five_sts_end": "seat contact after the fifth stand",
        }
    write_clip(spec, out_dir, truth, images, t_render, truth_only)
    return truth


def make_grid_camera(specs: list[SquatSpec]) -> Camera:
    """make_camera framed on every rep of a grid clip."""
    return _framed_camera(specs[0], [body_primitives(pose3d(s, sp)) for sp in specs
                                     for s in (0.0, 0.5, 1.0)])


def main_grid(out: Path, only: str | None, ss: int, max_frames: int | None) -> None:
    for spec, reps in grid_specs():
        if only in (None, spec.name):
            render_grid_clip(spec, reps, out, ss=ss, max_frames=max_frames)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="render just this clip")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "videos" / "fixtures"))
    ap.add_argument("--ss", type=int, help="supersampling factor (default 2; the grid 1)")
    ap.add_argument("--still", type=float, help="write a PNG of depth STILL (0..1) instead")
    ap.add_argument("--grid", action="store_true",
                    help="render the truth grid (views x depths x knee travel, knees caving in) "
                         "into videos/fixtures/grid instead")
    ap.add_argument("--max-frames", type=int, help="grid: stop each clip after this many frames")
    ap.add_argument("--truth-only", action="store_true",
                    help="write the truth JSON only (no rendering; not with --grid)")
    args = ap.parse_args(argv)
    if args.grid and args.truth_only:
        ap.error("--truth-only writes the truth of the clips and sessions, not of --grid")
    if args.grid:
        names = [s.name for s, _ in grid_specs()]
        if args.only not in [None] + names:
            ap.error(f"unknown grid clip {args.only!r}; choose from {names}")
        out = Path(args.out) / "grid" if args.out == ap.get_default("out") else Path(args.out)
        main_grid(out, args.only, args.ss or 1, args.max_frames)
        return
    specs = [c for c in CLIPS + SESSIONS if args.only in (None, c.name)]
    if not specs:
        ap.error(f"unknown clip {args.only!r}; choose from {[c.name for c in CLIPS + SESSIONS]}")
    for spec in specs:
        if args.still is not None:
            import cv2
            cam = make_camera(spec)
            rnd = Renderer(cam, ss=args.ss or 2, light_cam=light_for(facing_of(spec, cam)[0]))
            pose = session_pose if isinstance(spec, SessionSpec) else pose3d
            img = rnd.render(body_primitives(pose(args.still, spec))
                             + box_primitives(spec))
            p = Path(args.out) / f"{spec.name}_{args.still:.2f}.png"
            p.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(p), img[..., ::-1])
            print(p)
        elif isinstance(spec, SessionSpec):
            render_session(spec, Path(args.out), ss=args.ss or 2, truth_only=args.truth_only)
        else:
            render_clip(spec, Path(args.out), ss=args.ss or 2, truth_only=args.truth_only)


if __name__ == "__main__":
    main()
