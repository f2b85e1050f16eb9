#!/usr/bin/env python3
"""Render a treadmill-running clip of the make_fixtures.py mannequin with a known step rate.

    python tools/make_running_clip.py [--out videos/fixtures/running] [--spm 168] [--seconds 12]

The gait is a simple planar model (no flight phase): each leg's thigh swings sinusoidally,
the knee flexes a little in stance and a lot in swing, and the pelvis height puts the lower
foot on the floor, so a foot contact is the moment the other foot becomes the lower one. The
truth (the contact times, from the model; 60 / step interval = steps per minute) goes beside
the clip as running_side.truth.json. Deterministic.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402


def leg(phase: float) -> tuple[float, float]:
    """(thigh angle from vertical, + forward; knee flexion), degrees, at gait phase 0..1
    (0 = the middle of the thigh's forward swing, near contact)."""
    thigh = 5.0 + 22.0 * math.cos(2 * math.pi * phase)
    if phase < 0.4:
        knee = 15.0 + 25.0 * math.sin(math.pi * phase / 0.4)
    else:
        knee = 15.0 + 85.0 * math.sin(math.pi * (phase - 0.4) / 0.6)
    return thigh, knee


def leg_points(phase: float):
    """Knee and ankle (x, y) relative to the hip joint, metres."""
    th, kn = (math.radians(a) for a in leg(phase))
    knee = np.array([mf.THIGH * math.sin(th), -mf.THIGH * math.cos(th)])
    sh = th - kn
    ankle = knee + np.array([mf.SHANK * math.sin(sh), -mf.SHANK * math.cos(sh)])
    return knee, ankle


def phases(t: float, period_s: float) -> dict[str, float]:
    p = (t / period_s) % 1.0
    return {"left": p, "right": (p + 0.5) % 1.0}


def pose(t: float, period_s: float) -> dict:
    """The skeleton at time t (person frame, facing +X, treadmill: no forward travel)."""
    ph = phases(t, period_s)
    pts = {s: leg_points(p) for s, p in ph.items()}
    hip_y = mf.ANKLE_H - min(a[1] for _, a in pts.values())   # the lower foot on the floor
    lean = math.radians(8.0)
    ub = mf.upper_body(0.0, hip_y, lean, 0.0)
    P = {}
    for side, sg in (("left", -1.0), ("right", 1.0)):
        knee, ankle = pts[side]
        z = sg * mf.HIP_HALF_W
        P[f"{side}_hip"] = np.array([0.0, hip_y, z])
        P[f"{side}_knee"] = np.array([knee[0], hip_y + knee[1], z])
        a3 = np.array([ankle[0], hip_y + ankle[1], z])
        P[f"{side}_ankle"] = a3
        fdir = np.array([1.0, 0.0, 0.0])
        P[f"{side}_foot_dir"] = fdir
        P[f"{side}_heel"] = a3 + np.array([0, mf.HEEL_LABEL_H - mf.ANKLE_H, 0]) \
            - (mf.HEEL_BACK - mf.HEEL_LABEL_IN) * fdir
        P[f"{side}_foot_index"] = a3 + np.array([0, mf.TOE_LABEL_H - mf.ANKLE_H, 0]) \
            + mf.TOE_LABEL_FRAC * mf.TOE_FWD * fdir
        # arms swing against the legs
        sw = math.radians(25.0 * math.cos(2 * math.pi * ph[side] + math.pi))
        sho = np.array([*ub["shoulder"], sg * mf.SHOULDER_HALF_W])
        elbow = sho + mf.UPPER_ARM * np.array([math.sin(sw), -math.cos(sw), 0.0])
        fa = sw + math.radians(80)
        wrist = elbow + mf.FOREARM * np.array([math.sin(fa), -math.cos(fa), 0.0])
        P[f"{side}_shoulder"] = sho
        P[f"{side}_elbow"] = elbow
        P[f"{side}_wrist"] = wrist
        P[f"{side}_hand"] = wrist + 0.09 * np.array([math.sin(fa), -math.cos(fa), 0.0])
    P["skull"] = np.array([*ub["skull"], 0.0])
    P["head"] = np.array([*ub["head"], 0.0])
    dh = ub["head_dir"]
    P["head_up"] = np.array([dh[0], dh[1], 0.0])
    P["head_fwd"] = np.array([dh[1], -dh[0], 0.0])
    P["trunk_up"] = np.array([ub["trunk_dir"][0], ub["trunk_dir"][1], 0.0])
    P["trunk_fwd"] = np.array([ub["trunk_dir"][1], -ub["trunk_dir"][0], 0.0])
    P["nose"] = P["head"] + 0.115 * P["head_fwd"] - 0.01 * P["head_up"]
    return P


def primitives(P: dict) -> list:
    """make_fixtures' mannequin, its shoes lifted with the ankles (its squatters keep both
    feet on the floor, so it puts the shoes at floor level)."""
    prims = mf.body_primitives(P)
    for prim in prims:
        if isinstance(prim, mf.Ellipsoid) and prim.mat in ("shoe", "sole") and prim.c[1] < 0.12:
            side = "left" if prim.c[2] < 0 else "right"
            prim.c = prim.c + np.array([0.0, P[f"{side}_ankle"][1] - mf.ANKLE_H, 0.0])
    return prims


def contacts(duration_s: float, period_s: float, dt: float = 1e-4) -> list[float]:
    """Times at which the lower foot changes (a new foot contact), from the model."""
    out, prev = [], None
    for t in np.arange(0.0, duration_s, dt):
        pts = {s: leg_points(p)[1][1] for s, p in phases(float(t), period_s).items()}
        low = min(pts, key=pts.get)
        if prev is not None and low != prev:
            out.append(round(float(t), 4))
        prev = low
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("videos/fixtures/running"))
    ap.add_argument("--spm", type=float, default=168.0)
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--ss", type=int, default=1, help="supersampling per axis")
    args = ap.parse_args(argv)
    period = 120.0 / args.spm           # one stride (two steps)
    spec = mf.SquatSpec("running_side", "side", 90.0, fps=args.fps, cam_dist=5.0)
    cam = mf._framed_camera(spec, [primitives(pose(t, period))
                                   for t in np.linspace(0, period, 8)])
    facing, near = mf.facing_of(spec, cam)
    rnd = mf.Renderer(cam, ss=args.ss, light_cam=mf.light_for(facing))
    n = int(round(args.seconds * args.fps))
    images, t0 = [], time.perf_counter()
    for i in range(n):
        images.append(rnd.render(primitives(pose(i / args.fps, period))))
    per_frame = (time.perf_counter() - t0) / n
    args.out.mkdir(parents=True, exist_ok=True)
    mf.encode_mp4(args.out / "running_side.mp4", images, args.fps)
    c = contacts(n / args.fps, period)
    truth = {"name": "running_side", "fps": args.fps, "width": spec.width,
             "height": spec.height, "view": "side", "facing": facing,
             "duration_s": n / args.fps, "n_frames": n, "step_rate_spm": args.spm,
             "contacts_s": c,
             "notes": "Treadmill running of the make_fixtures mannequin rendered by "
                      "tools/make_running_clip.py; contacts_s = model times at which the lower "
                      "foot changes (a new foot contact); step_rate_spm = 60 / step interval."}
    (args.out / "running_side.truth.json").write_text(json.dumps(truth, indent=1))
    print(f"running_side: {n} frames, {per_frame:.3f} s/frame, {len(c)} contacts", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
