#!/usr/bin/env python3
"""Check that MediaPipe BlazePose tracks the rendered fixture clips.

    python tools/check_fixtures.py [--only NAME] [--dir videos/fixtures] [--json OUT]

For every ``<name>.mp4`` with a ``<name>.truth.json`` beside it, runs formcheck's pose model
(``formcheck.pose.PoseEstimator``: BlazePose full, tracking mode; FORMCHECK_POSE_BACKEND picks
the backend) on each decoded frame and prints:

* detection rate (target >= 95 %),
* median / 90th-percentile pixel error of hip, knee, ankle, heel, foot_index
  (left/right pairs are compared with and without swapping sides and the
  smaller error is taken, because BlazePose may swap sides in a side view),
* at every labelled rep bottom: knee-over-toe ratio, thigh angle and knee
  flexion recovered from the landmarks vs the truth (side / oblique views;
  side-view targets: ratio within 0.1, thigh within 5 deg), and the
  knee/ankle separation ratio (front view).

Exit status is 1 if a target is missed.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

IDX = {"nose": 0, "left_shoulder": 11, "right_shoulder": 12, "left_hip": 23,
       "right_hip": 24, "left_knee": 25, "right_knee": 26, "left_ankle": 27,
       "right_ankle": 28, "left_heel": 29, "right_heel": 30, "left_foot_index": 31,
       "right_foot_index": 32}
PAIRS = ["hip", "knee", "ankle", "heel", "foot_index"]


def decode(path: Path):
    import av
    with av.open(str(path)) as c:
        for fr in c.decode(video=0):
            yield fr.to_ndarray(format="rgb24")


def track(path: Path, w: int, h: int, fps: float = 30.0):
    """Per frame: dict name -> (x, y) in px, or None when nothing was found."""
    from formcheck.pose import PoseEstimator  # formcheck's default backend and bundled model

    out = []
    with PoseEstimator() as pose:
        for n, img in enumerate(decode(path)):
            fp = pose.process(img, w, h, t_s=n / fps)
            if not np.isfinite(fp.xy_px).all():
                out.append(None)
                continue
            out.append({k: fp.xy_px[i].copy() for k, i in IDX.items()})
    return out


def frame_errors(det: dict, truth: dict):
    """Per-joint errors (px) with the left/right swap that fits best; and swap flag."""
    def pair_err(swap):
        e = {}
        for j in PAIRS:
            for side, other in (("left", "right"), ("right", "left")):
                src = other if swap else side
                e[f"{side}_{j}"] = float(np.linalg.norm(det[f"{src}_{j}"] - truth[f"{side}_{j}"]))
        return e
    a, b = pair_err(False), pair_err(True)
    swap = sum(b.values()) < sum(a.values())
    return (b if swap else a), swap


def thigh_angle(hip, knee):
    return math.degrees(math.atan2(hip[1] - knee[1], abs(knee[0] - hip[0])))


def flexion(hip, knee, ankle):
    u, v = hip - knee, ankle - knee
    c = u @ v / (np.linalg.norm(u) * np.linalg.norm(v))
    return 180 - math.degrees(math.acos(float(np.clip(c, -1, 1))))


def check_clip(mp4: Path, show=print) -> dict:
    truth = json.loads(mp4.with_name(mp4.stem + ".truth.json").read_text())
    w, h, fps = truth["width"], truth["height"], truth["fps"]
    frames = truth["frames"]
    dets = track(mp4, w, h, fps)
    n = min(len(dets), len(frames))
    tj = [{k: np.array(v) for k, v in f["joints_px"].items()} for f in frames[:n]]
    found = [i for i in range(n) if dets[i] is not None]
    rate = len(found) / n
    errs = {j: [] for j in PAIRS}
    swaps = {}
    for i in found:
        e, swap = frame_errors(dets[i], tj[i])
        swaps[i] = swap
        for j in PAIRS:
            errs[j] += [e[f"left_{j}"], e[f"right_{j}"]]
    near = truth.get("near_side", "right")
    other = "left" if near == "right" else "right"
    res = {"name": truth["name"], "view": truth["view"], "frames": n,
           "detected_pct": round(100 * rate, 1), "errors_px": {}, "reps": [], "ok": True}
    show(f"== {truth['name']}  ({truth['view']}, facing {truth['facing']}, {n} frames, "
         f"{truth['rep_count']} reps)")
    show(f"   detected: {100 * rate:.1f}%  (left/right swapped in "
         f"{100 * np.mean(list(swaps.values())) if swaps else 0:.0f}% of detected frames)")
    if rate < 0.95:
        res["ok"] = False
    for j in PAIRS:
        if errs[j]:
            med, p90 = float(np.median(errs[j])), float(np.percentile(errs[j], 90))
            res["errors_px"][j] = [round(med, 1), round(p90, 1)]
            show(f"   {j:<11} err median {med:5.1f} px   p90 {p90:5.1f} px")

    def leg(i, side):
        d = dets[i]
        src = (("left" if side == "right" else "right") if swaps.get(i) else side)
        return {k: d[f"{src}_{k}"] for k in PAIRS}

    # foot length from the standing frames at the start (first 0.5 s)
    stand = [i for i in found if frames[i]["t_s"] <= 0.5]
    s = 1.0 if truth["facing"] == "right" else -1.0
    foot_len = (float(np.median([np.linalg.norm(leg(i, near)["heel"] - leg(i, near)["foot_index"])
                                 for i in stand])) if stand else float("nan"))
    for rep in truth["per_rep"]:
        i = int(round(rep["bottom_s"] * fps))
        win = [k for k in range(i - 1, i + 2) if 0 <= k < n and dets[k] is not None]
        if not win:
            show(f"   bottom {rep['bottom_s']:.2f}s: no detection")
            res["ok"] = False
            continue
        L = {k: np.median([leg(q, near)[k] for q in win], axis=0) for k in PAIRS}
        O = {k: np.median([leg(q, other)[k] for q in win], axis=0) for k in PAIRS}
        r = {"bottom_s": rep["bottom_s"]}
        if truth["view"] != "front":
            kot = s * (L["knee"][0] - L["foot_index"][0]) / foot_len
            th = thigh_angle(L["hip"], L["knee"])
            fl = flexion(L["hip"], L["knee"], L["ankle"])
            r.update(kot=round(kot, 3), kot_true=rep["knee_over_toe_ratio"],
                     thigh=round(th, 1), thigh_true=rep["thigh_angle_deg"],
                     flex=round(fl, 1), flex_true=rep["knee_flexion_deg"])
            show(f"   bottom {rep['bottom_s']:5.2f}s  knee-over-toe {kot:+.3f} (true "
                 f"{rep['knee_over_toe_ratio']:+.3f})  thigh {th:+6.1f} (true "
                 f"{rep['thigh_angle_deg']:+6.1f})  knee flex {fl:5.1f} (true "
                 f"{rep['knee_flexion_deg']:5.1f})")
            if truth["view"] == "side" and (abs(kot - rep["knee_over_toe_ratio"]) > 0.1
                                            or abs(th - rep["thigh_angle_deg"]) > 5):
                res["ok"] = False
        ks = abs(L["knee"][0] - O["knee"][0])
        as_ = abs(L["ankle"][0] - O["ankle"][0])
        r.update(knee_ankle_sep=round(ks / max(as_, 1e-6), 3),
                 knee_ankle_sep_true=rep["knee_to_ankle_sep_ratio"])
        if truth["view"] == "front":
            show(f"   bottom {rep['bottom_s']:5.2f}s  knee/ankle separation {ks / max(as_, 1e-6):.3f}"
                 f" (true {rep['knee_to_ankle_sep_ratio']:.3f})")
        res["reps"].append(r)
    show(f"   {'OK' if res['ok'] else 'MISSED TARGET'}")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=str(Path(__file__).resolve().parent.parent / "videos" / "fixtures"))
    ap.add_argument("--only")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    clips = sorted(p for p in Path(args.dir).glob("*.mp4")
                   if p.with_name(p.stem + ".truth.json").exists()
                   and args.only in (None, p.stem))
    if not clips:
        ap.error("no clips with truth found")
    results = [check_clip(p) for p in clips]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
