"""Why does formcheck's thigh angle disagree with the joint centres marked by hand?

Per rep of ../shared/videos/DEPTH_POINTS.tsv (side and oblique views as formcheck sees them):
our bottom time vs the marked frame, our hip and knee points (px, after cleaning) vs the marked
ones on the marked frame, which leg we read vs which leg the marks sit on, the yaw, and the thigh
angle each way. Prints a TSV, worst error first, and a summary per cause.

    PYTHONPATH=src python tools/depth_points_diag.py /work/shared/videos /work/lmcache
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from formcheck.analysis import analyze_sequence
from formcheck.evaluate import match_reps
from formcheck.landmarks import Landmark as L, load_npz
from formcheck.thresholds import get_profile
from formcheck.metrics import thigh_angle_from_depth_deg

LEG = {"left": (L.LEFT_HIP, L.LEFT_KNEE), "right": (L.RIGHT_HIP, L.RIGHT_KNEE)}


def thigh_deg(hip, knee) -> float:
    dx, dy = knee[0] - hip[0], knee[1] - hip[1]
    return float(np.degrees(np.arctan2(-dy, abs(dx))))   # + = hip below knee


def main(videos: str, cache: str) -> None:
    videos, cache = Path(videos), Path(cache)
    th = get_profile("general")
    rows = list(csv.DictReader((videos / "DEPTH_POINTS.tsv").open(encoding="utf-8"),
                               delimiter="\t"))
    by_file: dict = {}
    for r in rows:
        by_file.setdefault(r["file"], []).append(r)
    out = []
    for file, marks in by_file.items():
        raw = load_npz(cache / (Path(file).stem + ".npz"))
        an = analyze_sequence(raw, th)
        t = an.series.t_s
        pairs = match_reps([float(m["bottom_s"]) for m in marks], [r.bottom_s for r in an.reps])
        for i, j in pairs:
            mk, rep, m = marks[i], an.reps[j], an.metrics[j]
            fi = int(np.argmin(np.abs(t - float(mk["frame_s"]))))
            band = np.arange(rep.band_start_i, rep.band_end_i + 1)
            mh = np.array([float(mk["hip_x"]), float(mk["hip_y"])])
            mkn = np.array([float(mk["knee_x"]), float(mk["knee_y"])])
            marked = float(mk["thigh_deg"])
            rec = {"file": file, "rep": mk["rep"], "view": m.view, "yaw": m.yaw_deg,
                   "ours_bottom_s": rep.bottom_s, "marked_s": float(mk["frame_s"]),
                   "band_s": f"{t[band[0]]:.2f}-{t[band[-1]]:.2f}", "leg": m.leg,
                   "thigh_len_px": float(mk["thigh_len_px"]), "marked_deg": marked,
                   "ours_deg": m.depth_angle_deg, "raw_deg": m.thigh_px_deg}
            for leg, (h, k) in LEG.items():
                for name, seq in (("clean", an.clean_seq), ("raw", raw)):
                    H, K = seq.xy_px[fi, int(h)], seq.xy_px[fi, int(k)]
                    rec[f"{leg}_{name}_hip_dxy"] = tuple(np.round(H - mh, 0))
                    rec[f"{leg}_{name}_knee_dxy"] = tuple(np.round(K - mkn, 0))
                    rec[f"{leg}_{name}_deg_at_mark"] = thigh_deg(H, K)
                    rec[f"{leg}_{name}_vis"] = float(np.nanmean(seq.visibility[fi, [int(h), int(k)]]))
                rec[f"{leg}_band_deg"] = float(np.nanmedian(an.series.legs[leg].thigh_deg[band]))
            # which of our legs sits on the marks (sum of hip and knee distance)
            dist = {leg: float(np.hypot(*rec[f"{leg}_raw_hip_dxy"])
                               + np.hypot(*rec[f"{leg}_raw_knee_dxy"])) for leg in LEG}
            rec["marked_leg"] = min(dist, key=dist.get)
            rec["depth_sig_deg"] = float(np.nanmedian(thigh_angle_from_depth_deg(an.series.depth[band])))
            rec["world_deg"] = float(np.nanmedian(an.series.legs[m.leg].thigh_world_deg[band]))
            rec["hip_ratio"] = m.hip_height_ratio
            rec["err"] = None if m.depth_angle_deg is None else m.depth_angle_deg - marked
            out.append(rec)
    out.sort(key=lambda r: -abs(r["err"] if r["err"] is not None else 0))
    keys = ["file", "rep", "view", "yaw", "marked_s", "ours_bottom_s", "band_s", "leg",
            "marked_leg", "thigh_len_px", "marked_deg", "ours_deg", "raw_deg", "err", "depth_sig_deg", "world_deg", "hip_ratio"]
    for leg in LEG:
        keys += [f"{leg}_band_deg", f"{leg}_clean_deg_at_mark", f"{leg}_raw_deg_at_mark",
                 f"{leg}_clean_hip_dxy", f"{leg}_clean_knee_dxy", f"{leg}_clean_vis"]
    w = csv.writer(sys.stdout, delimiter="\t")
    w.writerow(keys)
    for r in out:
        w.writerow([f"{r[k]:.1f}" if isinstance(r[k], float) else r[k] for k in keys])
    side = [r for r in out if r["view"] == "side" and r["err"] is not None]
    if side:
        e = np.array([r["err"] for r in side])
        print(f"# side: n={e.size} median {np.median(e):+.1f} SD {np.std(e):.1f}", file=sys.stderr)
        e2 = np.array([r[f"{r['marked_leg']}_raw_deg_at_mark"] + 5.6 - r["marked_deg"]
                       for r in side])
        print(f"# side, the leg nearer the marks at the marked frame, raw (+5.6): median "
              f"{np.median(e2):+.1f} SD {np.std(e2):.1f}", file=sys.stderr)
        e3 = np.array([r[f"{r['leg']}_clean_deg_at_mark"] + 5.6 - r["marked_deg"] for r in side])
        print(f"# side, our leg at the marked frame (+5.6): median {np.median(e3):+.1f} "
              f"SD {np.std(e3):.1f}", file=sys.stderr)
        for k in ("depth_sig_deg", "world_deg", "raw_deg"):
            e4 = np.array([r[k] - r["marked_deg"] for r in side if r[k] is not None])
            e4 = e4[np.isfinite(e4)]
            print(f"# side, {k} - marked: median {np.median(e4):+.1f} SD {np.std(e4):.1f} "
                  f"MAD*1.48 {1.4826*np.median(np.abs(e4-np.median(e4))):.1f} n={e4.size}", file=sys.stderr)
        ok = [r for r in side if not (r["file"].startswith("AIFT") or r["file"].startswith("FormComp"))]
        e5 = np.array([r["err"] for r in ok])
        print(f"# side without AIFT and FormCompDetector: median {np.median(e5):+.1f} SD {np.std(e5):.1f} n={e5.size}", file=sys.stderr)
        print(f"# side, our leg != marked leg: {sum(r['leg'] != r['marked_leg'] for r in side)}",
              file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
