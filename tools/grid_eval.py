#!/usr/bin/env python3
"""Score formcheck against the rendered truth grid (videos/fixtures/grid): error by camera yaw.

    python tools/grid_eval.py [--cache DIR] [--json OUT.json]
        [--real ../shared/videos --real-cache /work/lmcache]

The grid's truth comes from the body model and the shoe mesh (tools/make_fixtures.py --grid),
never from where BlazePose puts a point, so a systematic pose-model error shows up here. For each
yaw it prints the error of the reported depth angle (thigh to horizontal) and of the
knee-over-toe ratio against the truth, BlazePose's foot points against the mesh's toe tip and
heel, and each knees-caving-in candidate's separation. With --real it also cross-validates each
candidate's threshold over the grid clips plus the labelled real clips (leave one source out;
each grid clip is its own source).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GRID = ROOT / "videos" / "fixtures" / "grid"


def load_truths(grid: Path = GRID) -> dict[str, dict]:
    return {p.name[:-len(".truth.json")]: json.loads(p.read_text())
            for p in sorted(grid.glob("*.truth.json"))}


def track(name: str, grid: Path = GRID, cache: Path | None = None):
    """(analysis, raw landmarks) of one grid clip, tracking it unless cached."""
    from formcheck.landmarks import load_npz, save_npz
    from formcheck.pipeline import analyze_landmarks, analyze_video
    from formcheck.thresholds import get_profile

    clip = grid / f"{name}.mp4"
    npz = cache / f"{name}.npz" if cache else None
    if npz is not None and npz.is_file() and npz.stat().st_mtime >= clip.stat().st_mtime:
        raw = load_npz(npz)
    else:
        _, raw = analyze_video(clip, get_profile("general"), "general")
        if npz is not None:
            npz.parent.mkdir(parents=True, exist_ok=True)
            save_npz(raw, npz)
    raw = with_grid_camera(raw, name, grid)
    return analyze_landmarks(raw, get_profile("general"), "general"), raw


def with_grid_camera(raw, name: str, grid: Path = GRID):
    """The tracked landmarks with the renderer's true focal length in their meta
    (`camera_focal_px`: valgus undoes the perspective with it instead of a phone's)."""
    f = json.loads((grid / f"{name}.truth.json").read_text())["camera"]["f_px"]
    return raw.replace(meta={**raw.meta, "camera_focal_px": float(f)})


_MP_INDEX = {"nose": 0, "left_shoulder": 11, "right_shoulder": 12, "left_hip": 23, "right_hip": 24,
             "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28,
             "left_heel": 29, "right_heel": 30, "left_foot_index": 31, "right_foot_index": 32}


def exact_rep_points(name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per rep of a grid clip, at its bottom: (33, 2) the exact projected points and (33, 3) the
    exact 3-D points as MediaPipe's world landmarks give them (metres from the hips' midpoint,
    camera axes: x right, y down, z away from the camera), from the body model and the
    renderer's camera (tools/make_fixtures.py; nothing rendered). NaN where the model has no
    such landmark."""
    import make_fixtures as mf

    spec, reps = next((s, r) for s, r in mf.grid_specs() if s.name == name)
    specs = [mf.grid_rep_spec(spec, r) for r in reps]
    cam = mf.make_grid_camera(specs)
    out = []
    for s_r in specs:
        P = mf.pose3d(1.0, s_r)
        xy, w = np.full((33, 2), np.nan), np.full((33, 3), np.nan)
        for k, i in _MP_INDEX.items():
            q = P[k] - cam.pos
            xy[i] = cam.project(P[k])
            w[i] = [q @ cam.right, -(q @ cam.up), q @ cam.fwd]
        out.append((xy, w - (w[23] + w[24]) / 2.0))
    return out


def exact_fppa(name: str, undo_perspective: bool) -> list[dict]:
    """Per rep of a knees-caving-in clip, valgus's picture FPPA (the larger leg from the front,
    both legs rebuilt at an angle) on the exact projected joint centres, with or without the
    perspective undone (valgus.perspective_undone_xy with the exact 3-D points and the renderer's
    focal length), beside the mesh truth."""
    from formcheck.valgus import fppa_frames, perspective_undone_xy

    truth = load_truths()[name]
    cam, yaw = truth["camera"], float(truth["yaw_deg"])
    out = []
    for r, (xy, w) in zip(truth["per_rep"], exact_rep_points(name)):
        pts = xy[None]
        if undo_perspective:
            pts = perspective_undone_xy(pts, w[None], truth["width"], truth["height"],
                                        cam["f_px"])
        f = fppa_frames(pts, np.array([yaw]), both_legs=yaw > 0)
        got = float(f["both"][0]) if yaw > 0 else float(max(f["left"][0], f["right"][0]))
        tr = max(r["truth"]["left"]["fppa_deg"], r["truth"]["right"]["fppa_deg"])
        out.append({"fppa_target_deg": r["fppa_target_deg"], "depth": r["depth"],
                    "truth_deg": tr, "exact_deg": got, "err_deg": got - tr})
    return out


def rep_rows(truth: dict, analysis) -> list[dict]:
    """One row per truth rep: what formcheck reported against the truth (None = not matched or
    not measured)."""
    from formcheck.crossval import cave_candidates
    from formcheck.evaluate import match_reps

    pairs = dict(match_reps(truth["rep_bottoms_s"], [r.bottom_s for r in analysis.reps]))
    rows = []
    for i, t in enumerate(truth["per_rep"]):
        tr = t["truth"]
        row = {"clip": truth["name"], "yaw_deg": truth["yaw_deg"], "depth": t["depth"],
               "travel": t["travel"], "fppa_target_deg": t["fppa_target_deg"],
               "knees_cave_in": t["knees_cave_in"], "matched": i in pairs,
               "thigh_truth_deg": tr["right"]["thigh_angle_deg"],
               "kot_truth_ratio": tr["right"]["knee_over_toe_ratio"],
               "view": None, "depth_angle_deg": None, "thigh_err_deg": None,
               "knee_over_toe_ratio": None, "kot_err_ratio": None, "cave": {}}
        if i in pairs:
            j = pairs[i]
            m = analysis.metrics[j]
            row["view"] = m.view
            row["depth_angle_deg"] = m.depth_angle_deg
            if m.depth_angle_deg is not None:
                row["thigh_err_deg"] = m.depth_angle_deg - row["thigh_truth_deg"]
            row["knee_over_toe_ratio"] = m.knee_over_toe_ratio
            if m.knee_over_toe_ratio is not None:
                row["kot_err_ratio"] = m.knee_over_toe_ratio - row["kot_truth_ratio"]
            row["cave"] = cave_candidates(analysis, j)
            row["knees_cave_in_reported"] = analysis.assessments[j].knees_cave_in
            if m.valgus is not None and t["fppa_target_deg"] is not None:
                truth_fppa = max(tr["left"]["fppa_deg"], tr["right"]["fppa_deg"])
                row.update(fppa_deg=m.fppa_deg, fppa_truth_deg=truth_fppa,
                           fppa_err_deg=m.fppa_deg - truth_fppa,
                           fppa_bottom_deg=m.valgus.bottom_fppa_deg,
                           peak_minus_bottom_s=m.valgus.peak_s - m.bottom_s)
        rows.append(row)
    return rows


def foot_point_offsets(truth: dict, raw) -> dict | None:
    """Side views only: where BlazePose puts heel and foot_index against the mesh's heel back
    and toe tip, over the standing frames before the first rep, along the way the person faces
    (+ = toward the toes) and up, in cm and in foot lengths."""
    from formcheck.landmarks import Landmark as L

    if abs(truth["yaw_deg"]) != 90:
        return None
    cam = truth["camera"]
    near = truth["near_side"]
    sp = truth["standing_points_px"]
    pos = np.array(cam["pos_m"])
    m = truth["standing_points_m"]
    # px per metre at the near foot's depth
    depth_m = float((np.array(m[f"{near}_ankle"]) - pos) @ np.array(cam["fwd"]))
    px_per_m = cam["f_px"] / depth_m
    face = 1.0 if truth["facing"] == "right" else -1.0
    stand = raw.t_s < truth["rep_bottoms_s"][0] - 1.0
    out = {}
    for name, lm, mesh in (("heel", L.LEFT_HEEL if near == "left" else L.RIGHT_HEEL,
                            f"{near}_heel_back"),
                           ("toe", L.LEFT_FOOT_INDEX if near == "left" else L.RIGHT_FOOT_INDEX,
                            f"{near}_toe_tip")):
        xy = raw.xy_px[stand, int(lm)]
        xy = xy[np.isfinite(xy).all(axis=1)]
        if not len(xy):
            return None
        dx = (float(np.median(xy[:, 0])) - sp[mesh][0]) * face / px_per_m
        dy = -(float(np.median(xy[:, 1])) - sp[mesh][1]) / px_per_m
        out[name] = {"forward_cm": round(100 * dx, 1), "up_cm": round(100 * dy, 1),
                     "forward_foot_lengths": round(dx / truth["foot_len_m"], 3)}
    bp_len = (out["toe"]["forward_cm"] - out["heel"]["forward_cm"]) / 100 + truth["foot_len_m"]
    out["blazepose_foot_len_over_mesh"] = round(bp_len / truth["foot_len_m"], 3)
    return out


def exact_point_terms(truth: dict) -> list[dict]:
    """Per rep, the error that formcheck's own definitions make on the *exact* projected points
    (no pose model): what is left is the pose model's share of the error in the table.

    - perspective_deg: a thigh pointing partly toward a level camera has its near end drawn
      further from the horizon (the image row of the camera's height) than its far end, so
      the picture's thigh angle at yaw Y reads off by about -atan(cos Y * (y - cy) / f), with
      y the thigh's middle row at the bottom, cy the horizon row and f the focal length in px
      (negative: too shallow, when the thigh is below the camera). Not at 0 deg, where the
      angle comes from the depth signal instead.
    - thigh_exact_err_deg: formcheck's thigh angle (metrics.thigh_angle_turned_deg at an angle;
      from the front metrics.thigh_angle_from_depth_deg of the thighs' vertical drop at the
      bottom over standing) on the projected hip and knee joint centres, less the truth.
    - kot_exact_err_ratio: formcheck's picture reading of knee over toe (metrics.
      knee_over_toe_px's front-most knee against the front-most toe, over the standing shank
      length times sin(yaw), in foot lengths) applied to the projected knee joint centres and
      the shoe's toe tips, less the 3-D truth. At an angle a knee beside its toes shows as
      ahead of or behind them by cot(yaw) times the sideways gap."""
    from formcheck.landmarks import N_LANDMARKS
    from formcheck.landmarks import Landmark as L
    from formcheck.metrics import (FOOT_PER_SHANK, knee_over_toe_px, thigh_angle_from_depth_deg,
                                   thigh_angle_turned_deg)

    yaw = float(truth["yaw_deg"])
    cam = truth["camera"]
    face = 1 if truth["facing"] == "right" else -1
    sp = truth["standing_points_px"]
    shin_px = float(np.mean([math.dist(sp[f"{s}_knee"], sp[f"{s}_ankle"])
                             for s in ("left", "right")]))
    out = []
    for t in truth["per_rep"]:
        p = t["points_px"]
        y_mid = float(np.mean([p[f"{s}_{j}"][1] for s in ("left", "right")
                               for j in ("hip", "knee")]))
        persp = (None if yaw < 22.5 else
                 -math.degrees(math.atan(math.cos(math.radians(yaw)) * (y_mid - cam["cy"])
                                         / cam["f_px"])))
        kot = thigh = None
        if yaw < 22.5:   # from the front: the depth signal's thigh drop, standing -> bottom
            depth = float(np.mean([1 - (p[f"{s}_knee"][1] - p[f"{s}_hip"][1])
                                   / (sp[f"{s}_knee"][1] - sp[f"{s}_hip"][1])
                                   for s in ("left", "right")]))
            thigh = (float(thigh_angle_from_depth_deg(np.array([depth]))[0])
                     - t["truth"]["right"]["thigh_angle_deg"])
        else:
            xy = np.full((1, N_LANDMARKS, 2), np.nan)
            for s, hip, knee, toe in (("left", L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_FOOT_INDEX),
                                      ("right", L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_FOOT_INDEX)):
                xy[0, int(hip)] = p[f"{s}_hip"]
                xy[0, int(knee)] = p[f"{s}_knee"]
                xy[0, int(toe)] = p[f"{s}_toe_tip"]
            px = float(knee_over_toe_px(xy, face)["front_most"][0])
            kot = (px / (shin_px * math.sin(math.radians(yaw))) / FOOT_PER_SHANK
                   - t["truth"]["right"]["knee_over_toe_ratio"])
            thigh = (float(thigh_angle_turned_deg(xy, np.array([yaw]), face)[0])
                     - t["truth"]["right"]["thigh_angle_deg"])
        out.append({"perspective_deg": persp, "thigh_exact_err_deg": thigh,
                    "kot_exact_err_ratio": kot})
    return out


def exact_point_table(truths: dict, stats: list[dict]) -> str:
    """Per yaw: the measured errors beside the definitions' own error on exact points."""
    lines = ["| camera yaw | thigh angle: measured mean error | on exact points "
             "| of which perspective | knee over toe: measured mean / worst error "
             "| the picture reading on exact points: mean / worst error |",
             "|---|---|---|---|---|---|"]
    for s in stats:
        terms = [x for name, tr in truths.items() if tr["yaw_deg"] == s["yaw_deg"]
                 for x in exact_point_terms(tr)]
        pe = [x["perspective_deg"] for x in terms]
        te = [x["thigh_exact_err_deg"] for x in terms]
        ke = [x["kot_exact_err_ratio"] for x in terms]
        lines.append(f"| {s['yaw_deg']:.0f}° | {_fmt(s['thigh_mean_err_deg'], '+.1f')}° | "
                     f"{_fmt(_mean(te), '+.1f')}° | {_fmt(_mean(pe), '+.1f')}° | "
                     f"{_fmt(s['kot_mean_err_ratio'], '+.2f')} / "
                     f"{_fmt(s['kot_max_abs_err_ratio'], '.2f')} | {_fmt(_mean(ke), '+.2f')} / "
                     f"{_fmt(_maxabs(ke), '.2f')} |")
    return "\n".join(lines)


def _maxabs(v):
    v = [abs(x) for x in v if x is not None]
    return max(v) if v else None


def _mean(v):
    v = [x for x in v if x is not None]
    return sum(v) / len(v) if v else None


def by_yaw(rows: list[dict]) -> list[dict]:
    """Depth-angle and knee-over-toe error per yaw, over every grid rep at that yaw (the
    knees-caving-in reps included: their knee over toe is level, their thigh quarter or half)."""
    out = []
    for yaw in sorted({r["yaw_deg"] for r in rows}):
        rs = [r for r in rows if r["yaw_deg"] == yaw]
        if not rs:
            continue
        th = [r["thigh_err_deg"] for r in rs]
        kt = [r["kot_err_ratio"] for r in rs]
        out.append({"yaw_deg": yaw, "reps": len(rs), "matched": sum(r["matched"] for r in rs),
                    "views": sorted({r["view"] for r in rs if r["view"]}),
                    "thigh_measured": sum(x is not None for x in th),
                    "thigh_mean_err_deg": _mean(th), "thigh_max_abs_err_deg": _maxabs(th),
                    "kot_measured": sum(x is not None for x in kt),
                    "kot_mean_err_ratio": _mean(kt), "kot_max_abs_err_ratio": _maxabs(kt)})
    return out


def _fmt(v, f):
    return "-" if v is None else format(v, f)


def table(stats: list[dict]) -> str:
    lines = ["| camera yaw | reps found | view | thigh angle: measured, mean / worst error (deg) "
             "| knee over toe: measured, mean / worst error (foot lengths) |",
             "|---|---|---|---|---|"]
    for s in stats:
        lines.append(
            f"| {s['yaw_deg']:.0f}° | {s['matched']}/{s['reps']} | {', '.join(s['views'])} | "
            f"{s['thigh_measured']}: {_fmt(s['thigh_mean_err_deg'], '+.1f')} / "
            f"{_fmt(s['thigh_max_abs_err_deg'], '.1f')} | "
            f"{s['kot_measured']}: {_fmt(s['kot_mean_err_ratio'], '+.2f')} / "
            f"{_fmt(s['kot_max_abs_err_ratio'], '.2f')} |")
    return "\n".join(lines)


def cave_separation(rows: list[dict], names) -> str:
    """Each candidate's values on caving-in and straight reps, per yaw."""
    lines = []
    for yaw in sorted({r["yaw_deg"] for r in rows}):
        rs = [r for r in rows if r["yaw_deg"] == yaw and r["matched"] and r["view"] != "side"]
        if not rs:
            continue
        for name in names:
            yes = [r["cave"].get(name) for r in rs if r["knees_cave_in"]]
            no = [r["cave"].get(name) for r in rs if not r["knees_cave_in"]]
            yes = sorted(round(v, 2) for v in yes if v is not None)
            no = sorted(round(v, 2) for v in no if v is not None)
            lines.append(f"yaw {yaw:.0f}: {name}: caving in {yes}  straight {no}")
    return "\n".join(lines)


def fppa_errors(rows: list[dict]) -> str:
    """The reported peak FPPA (valgus.rep_knee_valgus) against the rendered FPPA, per yaw and
    level."""
    lines = []
    for yaw in sorted({r["yaw_deg"] for r in rows if r["fppa_target_deg"] is not None}):
        parts = []
        for level in sorted({r["fppa_target_deg"] for r in rows if r["fppa_target_deg"] is not None}):
            got = [round(r["cave"]["fppa_deg"], 1) for r in rows
                   if r["yaw_deg"] == yaw and r["fppa_target_deg"] == level and r["matched"]
                   and r["cave"].get("fppa_deg") is not None]
            parts.append(f"{level:.0f} deg -> {got if got else 'rep not found'}")
        lines.append(f"FPPA at yaw {yaw:.0f} (rendered -> measured): " + "; ".join(parts))
    return "\n".join(lines)


def fppa_stats(rows: list[dict]) -> list[dict]:
    """Per yaw, over the knees-caving-in reps found: the reported peak FPPA (valgus.py) against
    the mesh truth (mean / worst error), and the call against the truth called with the same
    published cut-off (balanced accuracy)."""
    from formcheck.evaluate import Tally
    from formcheck.valgus import PUBLISHED_CUTOFF_DEG

    out = []
    for yaw in sorted({r["yaw_deg"] for r in rows if r.get("fppa_err_deg") is not None}):
        rs = [r for r in rows if r["yaw_deg"] == yaw and r.get("fppa_err_deg") is not None]
        t = Tally()
        for r in rs:
            t.add(r["fppa_truth_deg"] > PUBLISHED_CUTOFF_DEG, r["knees_cave_in_reported"])
        out.append({"yaw_deg": yaw, "reps": len(rs),
                    "fppa_mean_err_deg": _mean([r["fppa_err_deg"] for r in rs]),
                    "fppa_max_abs_err_deg": _maxabs([r["fppa_err_deg"] for r in rs]),
                    "flag_balanced_accuracy": t.balanced_accuracy,
                    "by_level": [(r["fppa_truth_deg"], round(r["fppa_deg"], 1),
                                  r["knees_cave_in_reported"]) for r in rs]})
    return out


_LEG_POINTS = {"left": (("hip", 23), ("knee", 25), ("ankle", 27)),
               "right": (("hip", 24), ("knee", 26), ("ankle", 28))}


def fppa_attribution(truth: dict, analysis, raw) -> list[dict]:
    """Where the peak FPPA's error on a knees-caving-in grid clip comes from, per truth rep, at
    its bottom frame (the rendered valgus grows with depth, so the truth peaks there), every
    reading the rep's value (valgus.fppa_frames; the larger leg from the front, both legs
    rebuilt at an angle), found as a rep or not:

    - truth_deg: the mesh's frontal-plane angle (orthographic, body frame);
    - exact_deg: formcheck's picture definition on the exact projected joint centres (the
      definition and the camera's perspective, no pose model);
    - tracked_deg: on BlazePose's raw points; cleaned_deg: after cleaning and the low-pass
      (what the peak is taken over);
    - knee_x_exact_deg: BlazePose's points with only the knees' x swapped for the exact ones
      (the pose model's sideways knee placement taken out);
    - knee_x_lateral_px: how far BlazePose puts each knee (mean of both) to the outside of the
      joint centre (+ = lateral);
    - exact_undone_deg / cleaned_undone_deg: the same with the perspective undone
      (valgus.perspective_undone_xy at the renderer's focal length; the exact 3-D points, or
      BlazePose's world landmarks);
    - knee_fwd_exact_m / knee_fwd_tracked_m: how far the knees are nearer the camera than the
      hips, exact and in BlazePose's world landmarks;
    - reported_deg: the rep's reported peak (None: the rep was not found or not measured)."""
    from formcheck.evaluate import match_reps
    from formcheck.valgus import fppa_frames, perspective_undone_xy

    yaw = float(truth["yaw_deg"])
    size, f_px = (truth["width"], truth["height"]), truth["camera"]["f_px"]
    exact3d = exact_rep_points(truth["name"])
    angle = yaw > 0
    pairs = dict(match_reps(truth["rep_bottoms_s"], [r.bottom_s for r in analysis.reps]))
    clean = analysis.clean_seq

    def value(xy):
        f = fppa_frames(xy[None], np.array([yaw]), both_legs=angle)
        return float(f["both"][0]) if angle else float(max(f["left"][0], f["right"][0]))

    def undone(xy, world):
        return value(perspective_undone_xy(xy[None], world[None], *size, f_px)[0])

    out = []
    for i, r in enumerate(truth["per_rep"]):
        if r["fppa_target_deg"] is None:
            continue
        p = r["points_px"]
        ex_xy, ex_w = exact3d[i]
        j = int(np.argmin(np.abs(raw.t_s - r["bottom_s"])))
        jc = int(np.argmin(np.abs(clean.t_s - r["bottom_s"])))
        exact = np.full((33, 2), np.nan)
        knee_x = raw.xy_px[j].copy()
        lateral = []
        mid = (p["left_hip"][0] + p["right_hip"][0]) / 2.0
        for leg, pts in _LEG_POINTS.items():
            for joint, k in pts:
                exact[k] = p[f"{leg}_{joint}"]
            k = pts[1][1]
            knee_x[k, 0] = p[f"{leg}_knee"][0]
            out_sign = np.sign(p[f"{leg}_hip"][0] - mid)
            lateral.append(float((raw.xy_px[j, k, 0] - p[f"{leg}_knee"][0]) * out_sign))
        m = analysis.metrics[pairs[i]] if i in pairs else None
        out.append({"clip": truth["name"], "yaw_deg": yaw, "depth": r["depth"],
                    "fppa_target_deg": r["fppa_target_deg"],
                    "truth_deg": max(r["truth"]["left"]["fppa_deg"],
                                     r["truth"]["right"]["fppa_deg"]),
                    "exact_deg": value(exact), "tracked_deg": value(raw.xy_px[j]),
                    "cleaned_deg": value(clean.xy_px[jc]), "knee_x_exact_deg": value(knee_x),
                    "exact_undone_deg": undone(ex_xy, ex_w),
                    "cleaned_undone_deg": undone(clean.xy_px[jc], clean.world_m[jc]),
                    "knee_fwd_exact_m": float(-np.mean(ex_w[[25, 26], 2])),
                    "knee_fwd_tracked_m": float(-np.mean(clean.world_m[jc, [25, 26], 2]
                                                         - np.mean(clean.world_m[jc, [23, 24], 2]))),
                    "knee_x_lateral_px": float(np.mean(lateral)),
                    "reported_deg": None if m is None else m.fppa_deg})
    return out


def fppa_attribution_table(rows: list[dict]) -> str:
    lines = ["| yaw | rendered | squat | mesh truth | exact points | exact, perspective undone "
             "| BlazePose raw | cleaned | cleaned, perspective undone | knees nearer than hips: "
             "exact / BlazePose world (m) | BlazePose, exact knee x | knees placed outward (px) "
             "| reported peak |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rep = "not a rep" if r["reported_deg"] is None else f"{r['reported_deg']:.1f}"
        lines.append(f"| {r['yaw_deg']:.0f}° | {r['fppa_target_deg']:.0f}° | {r['depth']} | "
                     f"{r['truth_deg']:.1f} | {r['exact_deg']:.1f} | {r['exact_undone_deg']:.1f} | "
                     f"{r['tracked_deg']:.1f} | {r['cleaned_deg']:.1f} | "
                     f"{r['cleaned_undone_deg']:.1f} | {r['knee_fwd_exact_m']:.2f} / "
                     f"{r['knee_fwd_tracked_m']:.2f} | {r['knee_x_exact_deg']:.1f} | "
                     f"{r['knee_x_lateral_px']:+.1f} | {rep} |")
    return "\n".join(lines)


def fppa_table(stats: list[dict]) -> str:
    lines = ["| camera yaw | reps | peak FPPA error: mean / worst (deg) | rendered -> measured "
             "(flagged) | flag balanced accuracy |", "|---|---|---|---|---|"]
    for s in stats:
        lv = ", ".join(f"{t:.0f}->{m:.1f}{' (yes)' if f else ''}" for t, m, f in s["by_level"])
        lines.append(f"| {s['yaw_deg']:.0f}° | {s['reps']} | {s['fppa_mean_err_deg']:+.1f} / "
                     f"{s['fppa_max_abs_err_deg']:.1f} | {lv} | "
                     f"{_fmt(s['flag_balanced_accuracy'], '.2f')} |")
    return "\n".join(lines)


def grid_rep_rows(rows: list[dict]):
    """The grid reps as cross-validation rows (each grid clip its own source)."""
    from formcheck.crossval import RepRow

    return [RepRow(r["clip"] + ".mp4", r["clip"], None, None, r["knees_cave_in"], r["view"],
                   None, None, None, None, None, None, dict(r["cave"]))
            for r in rows if r["matched"]]


def cross_validate(reps, names) -> dict:
    """Leave-one-source-out: per candidate, the held-out figure on grid 0 deg, grid 45 deg and
    the real front clips, and the threshold chosen on everything."""
    from formcheck.crossval import Score, fit_cave

    sources = sorted({r.source for r in reps})
    out = {}
    for name in names:
        groups = {"grid 0°": Score(), "grid 45°": Score(), "real front": Score(),
                  "real 45°": Score()}
        for s in sources:
            cut, sign = fit_cave([r for r in reps if r.source != s], name)
            for r in reps:
                if r.source != s:
                    continue
                v = r.cave.get(name)
                pred = None if v is None else bool(sign * (v - cut) > 0)
                if r.source.startswith("grid_yaw00"):
                    groups["grid 0°"].add(r.label_cave, pred)
                elif r.source.startswith("grid_yaw45"):
                    groups["grid 45°"].add(r.label_cave, pred)
                elif r.view == "front":
                    groups["real front"].add(r.label_cave, pred)
                elif r.view == "oblique":
                    groups["real 45°"].add(r.label_cave, pred)
        out[name] = {"fit_all": fit_cave(reps, name), **{k: v for k, v in groups.items()}}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, help="keep the tracked landmarks here (.npz)")
    ap.add_argument("--json", type=Path, help="write the per-rep rows and the table here")
    ap.add_argument("--real", type=Path, help="labelled real clips (LABELS.tsv) to add to the "
                                              "knees-caving-in cross-validation")
    ap.add_argument("--real-cache", type=Path, help="their landmark cache (.npz per clip)")
    args = ap.parse_args(argv)
    from formcheck.crossval import CAVE_CANDIDATES

    truths = load_truths()
    if not truths:
        print(f"no grid clips in {GRID}: render them with tools/make_fixtures.py --grid")
        return 1
    rows, offsets, attribution = [], {}, []
    for name, truth in truths.items():
        analysis, raw = track(name, cache=args.cache)
        rows += rep_rows(truth, analysis)
        if name.endswith("_knees_in"):
            attribution += fppa_attribution(truth, analysis, raw)
        off = foot_point_offsets(truth, raw)
        if off:
            offsets[name] = off
        print(f"{name}: {analysis.rep_count} reps found of {truth['rep_count']}", flush=True)
    stats = by_yaw(rows)
    print()
    print(table(stats))
    print("\nThe definitions' own error on the exact projected points (no pose model):\n")
    print(exact_point_table(truths, stats))
    print()
    for name, off in offsets.items():
        print(f"BlazePose foot points vs the mesh ({name}): {off}")
    print()
    print(fppa_errors(rows))
    print("\nKnees caving in: the reported peak FPPA against the mesh truth "
          "(the call: truth above the published cut-off):\n")
    print(fppa_table(fppa_stats(rows)))
    print("\nWhere the peak FPPA's error comes from (each truth rep's bottom frame, the rep's "
          "value):\n")
    print(fppa_attribution_table(attribution))
    print(cave_separation(rows, CAVE_CANDIDATES))
    cv = None
    if args.real:
        from formcheck.crossval import collect
        from formcheck.evaluate import read_labels
        from formcheck.landmarks import load_npz
        from formcheck.thresholds import get_profile

        labels = read_labels(args.real / "LABELS.tsv")
        _, real = collect(labels, lambda lab: load_npz(args.real_cache / (Path(lab["file"]).stem
                                                                          + ".npz")),
                          get_profile("general"), min_depth_grid=(0.25,))
        cv = cross_validate(grid_rep_rows(rows) + real, CAVE_CANDIDATES)
        print("\nKnees caving in, leave-one-source-out over the grid clips + the real clips "
              "(held-out figures):")
        for name, res in cv.items():
            cut, sign = res["fit_all"]
            print(f"  {name}: fitted on all {'>' if sign > 0 else '<'} {cut:.3g}; "
                  + "; ".join(f"{k}: {v.text()}" for k, v in res.items() if k != "fit_all"))
    if args.json:
        args.json.write_text(json.dumps({"by_yaw": stats, "foot_points": offsets, "reps": rows},
                                        indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
