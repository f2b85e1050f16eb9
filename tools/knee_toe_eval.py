#!/usr/bin/env python3
"""Measure the knees-against-the-toes reading (valgus.rep_knee_toe) on the labelled real clips
and on the rendered grid, beside the peak FPPA call.

    python tools/knee_toe_eval.py --real ../shared/videos --real-cache DIR [--grid-cache DIR]

Real clips: every labelled front-view and 45-degree rep that a rep found matches (the reps
`formcheck eval` scores), its label ("yes" caving in / "no" tracking well), the knees' over the
toes' separation at its smallest +- its error, where that puts the knees ("inside" / "over" /
"outside" the toes' line) and the peak FPPA. Grid: each rendered rep's reading against the
rendered valgus (mesh truth), the mesh's own knee/toe separation at the bottom, and the flag's
balanced accuracy on the knees-in clips for the FPPA call alone and for "FPPA over the cut-off OR
knees clearly inside the toes' line" (the call the issue asks to consider). Nothing is fitted.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))


def _fmt(v, f):
    return "-" if v is None else format(v, f)


def real_rows(videos: Path, cache: Path) -> list[dict]:
    from formcheck.analysis import analyze_sequence
    from formcheck.evaluate import _split, _yn, match_reps, read_labels
    from formcheck.valgus import knee_toe_sep_ratio
    from formcheck.landmarks import load_npz
    from formcheck.thresholds import get_profile

    th = get_profile("general")
    rows = []
    for lab in read_labels(videos / "LABELS.tsv"):
        npz = cache / (Path(lab["file"]).stem + ".npz")
        if not npz.is_file():
            print(f"{lab['file']}: no cached landmarks in {cache}, skipped", file=sys.stderr)
            continue
        an = analyze_sequence(load_npz(npz), th)
        truth = [float(x) for x in _split(lab["rep_bottoms_s"])]
        cave = _split(lab["knees_cave_in_per_rep"])
        for i, j in match_reps(truth, [r.bottom_s for r in an.reps]):
            m, a = an.metrics[j], an.assessments[j]
            if m.view not in ("front", "oblique") and lab["view"] not in ("front", "45deg",
                                                                          "rear45"):
                continue          # the reps `formcheck eval` scores for knees caving in
            v = m.valgus
            kt = None if v is None else v.knee_toe
            rows.append({"file": lab["file"], "rep": i + 1, "view": m.view,
                         "yaw_deg": m.yaw_deg,
                         "label": _yn(cave[i]) if i < len(cave) else None,
                         "fppa_deg": m.fppa_deg, "fppa_flag": a.knees_cave_in,
                         "ratio": None if kt is None else kt.ratio,
                         "err": None if kt is None else kt.err_ratio,
                         "place": None if kt is None else kt.place,
                         "at_minus_bottom_s": None if kt is None else kt.at_s - m.bottom_s,
                         # the same ratio at the rep's bottom frame (evidence only)
                         "bottom_ratio": None if kt is None else float(
                             knee_toe_sep_ratio(an.clean_seq.xy_px[[m.bottom_i]])[0]),
                         "why": m.reasons.get("fppa", "") or ("" if v is None else v.knee_toe_why)})
    return rows


def real_report(rows: list[dict]) -> str:
    lines = ["| clip | rep | label | view | knees/toes (smallest) +- error | place | "
             "at - bottom (s) | at the bottom | peak FPPA (flag) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lab = {True: "caving in", False: "tracking well", None: "unclear"}[r["label"]]
        lines.append(f"| {r['file']} | {r['rep']} | {lab} | {r['view']} | "
                     f"{_fmt(r['ratio'], '.2f')} +- {_fmt(r['err'], '.2f')} | "
                     f"{r['place'] or r['why']} | {_fmt(r['at_minus_bottom_s'], '+.2f')} | "
                     f"{_fmt(r['bottom_ratio'], '.2f')} | "
                     f"{_fmt(r['fppa_deg'], '+.1f')} ({r['fppa_flag']}) |")
    lines.append("")
    for lab, name in ((False, "labelled tracking well"), (True, "labelled caving in")):
        rs = [r for r in rows if r["label"] is lab]
        read = [r for r in rs if r["place"] is not None]
        inside = [r for r in read if r["place"] == "inside"]
        either = [r for r in rs if r["place"] == "inside" or r["fppa_flag"]]
        counts = {p: sum(r["place"] == p for r in read) for p in ("inside", "over", "outside")}
        lines.append(f"{name}: {len(rs)} reps matched, {len(read)} read; knees clearly inside "
                     f"the toes' line on {len(inside)} of the {len(read)} read"
                     f" ({100 * len(inside) / max(1, len(read)):.1f} %)" if rs else f"{name}: none")
        if rs:
            lines[-1] += (f"; places {counts}; FPPA flag OR inside: {len(either)}/{len(rs)}; "
                          f"ratio range {_fmt(min((r['ratio'] for r in read), default=None), '.2f')}"
                          f"-{_fmt(max((r['ratio'] for r in read), default=None), '.2f')}; "
                          f"at the bottom {_fmt(min((r['bottom_ratio'] for r in read), default=None), '.2f')}"
                          f"-{_fmt(max((r['bottom_ratio'] for r in read), default=None), '.2f')}")
    return "\n".join(lines)


def grid_rows(cache: Path | None) -> list[dict]:
    from formcheck.evaluate import match_reps
    from formcheck.valgus import PUBLISHED_CUTOFF_DEG
    from grid_eval import load_truths, track

    rows = []
    for name, truth in load_truths().items():
        if abs(truth["yaw_deg"]) > 60:
            continue
        analysis, _raw = track(name, cache=cache)
        pairs = dict(match_reps(truth["rep_bottoms_s"], [r.bottom_s for r in analysis.reps]))
        for i, t in enumerate(truth["per_rep"]):
            p = t["points_px"]
            mesh = ((p["left_knee"][0] - p["right_knee"][0])
                    / (p["left_foot_index"][0] - p["right_foot_index"][0]))
            tip = ((p["left_knee"][0] - p["right_knee"][0])
                   / (p["left_toe_tip"][0] - p["right_toe_tip"][0]))
            tr = t["truth"]
            row = {"clip": name, "yaw_deg": truth["yaw_deg"], "depth": t["depth"],
                   "travel": t["travel"], "fppa_target_deg": t["fppa_target_deg"],
                   "fppa_truth_deg": max(tr["left"]["fppa_deg"], tr["right"]["fppa_deg"])
                   if t["fppa_target_deg"] is not None else None,
                   "mesh_bottom_ratio": mesh, "mesh_tip_bottom_ratio": tip, "found": i in pairs,
                   "view": None, "ratio": None, "err": None, "place": None, "fppa_deg": None,
                   "fppa_flag": None}
            if i in pairs:
                j = pairs[i]
                m, v = analysis.metrics[j], analysis.metrics[j].valgus
                row.update(view=m.view, fppa_deg=m.fppa_deg,
                           fppa_flag=analysis.assessments[j].knees_cave_in)
                if v is not None and v.knee_toe is not None:
                    row.update(ratio=v.knee_toe.ratio, err=v.knee_toe.err_ratio,
                               place=v.knee_toe.place)
            row["truth_call"] = (None if row["fppa_truth_deg"] is None
                                 else row["fppa_truth_deg"] > PUBLISHED_CUTOFF_DEG)
            rows.append(row)
    return rows


def grid_report(rows: list[dict]) -> str:
    from formcheck.evaluate import Tally

    lines = ["| clip | squat | rendered FPPA | mesh knees/toes at the bottom (foot_index / toe tip) "
             "| measured knees/toes (smallest) +- error | place | peak FPPA (flag) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['clip']} | {r['depth']} {r['travel']} | "
                     f"{_fmt(r['fppa_target_deg'], '.0f')} | {r['mesh_bottom_ratio']:.2f} / "
                     f"{r['mesh_tip_bottom_ratio']:.2f} | "
                     + ("not a rep | | |" if not r["found"] else
                        f"{_fmt(r['ratio'], '.2f')} +- {_fmt(r['err'], '.2f')} | "
                        f"{r['place']} | {_fmt(r['fppa_deg'], '+.1f')} ({r['fppa_flag']}) |"))
    lines.append("")
    for yaw in sorted({r["yaw_deg"] for r in rows}):
        rs = [r for r in rows if r["yaw_deg"] == yaw and r["found"] and r["fppa_deg"] is not None]
        ins = [r for r in rs if r["place"] == "inside"]
        lines.append(f"yaw {yaw:.0f}: {len(ins)}/{len(rs)} reps read clearly inside the toes' line"
                     f" (rendered FPPA of those: "
                     f"{sorted(_fmt(r['fppa_target_deg'], '.0f') for r in ins)})")
        knees = [r for r in rs if r["truth_call"] is not None]
        if knees:
            alone, both = Tally(), Tally()
            for r in knees:
                alone.add(r["truth_call"], r["fppa_flag"])
                both.add(r["truth_call"], bool(r["fppa_flag"] or r["place"] == "inside"))
            lines.append(f"  knees-in clip, flag balanced accuracy against the mesh call "
                         f"(FPPA > cut-off): FPPA alone {_fmt(alone.balanced_accuracy, '.2f')}, "
                         f"FPPA OR inside {_fmt(both.balanced_accuracy, '.2f')} ({len(knees)} reps)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", metavar="DIR", help="the labelled clips (LABELS.tsv inside)")
    ap.add_argument("--real-cache", metavar="DIR", help="their cached landmarks (.npz)")
    ap.add_argument("--grid-cache", metavar="DIR", help="the grid clips' landmarks (kept there)")
    ap.add_argument("--no-grid", action="store_true")
    args = ap.parse_args(argv)
    if args.real:
        if not args.real_cache:
            ap.error("--real needs --real-cache")
        print(real_report(real_rows(Path(args.real), Path(args.real_cache))))
        print()
    if not args.no_grid:
        print(grid_report(grid_rows(Path(args.grid_cache) if args.grid_cache else None)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
