"""Report: the JSON contract other tools read (DESIGN.md §5), the reps CSV, a human summary."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import asdict
from pathlib import Path

from . import __version__
from .analysis import Analysis
from .feedback import DISCLAIMER, bottom_consistency
from .metrics import depth_class_from_angle

SCHEMA_VERSION = 1

CSV_FIELDS = [
    "rep", "start_s", "bottom_s", "end_s", "view", "leg", "depth", "thigh_angle_deg",
    "knee_flexion_deg", "hip_height_ratio", "knee_past_toes", "knee_over_toe_px",
    "knee_over_toe_ratio", "shin_angle_deg", "trunk_lean_deg", "knees_cave_in", "fppa_deg",
    "heel_lift_ratio", "descent_s", "pause_s", "ascent_s", "flags",
    "depth_angle_deg", "depth_angle_err_deg", "depth_source", "depth_angle_class",
    "knee_flexion_3d_deg", "hip_height_ratio_err",
]


def _num(x, nd: int = 3):
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def rep_rows(analysis: Analysis) -> list[dict]:
    rows = []
    for m, a in zip(analysis.metrics, analysis.assessments):
        rows.append({
            "rep": m.index,
            "start_s": _num(m.start_s), "bottom_s": _num(m.bottom_s), "end_s": _num(m.end_s),
            "view": m.view, "leg": m.leg,
            "depth": a.depth,
            "thigh_angle_deg": _num(m.thigh_angle_deg, 1),
            "knee_flexion_deg": _num(m.knee_flexion_deg, 1),
            "hip_height_ratio": _num(m.hip_height_ratio),
            "hip_height_ratio_err": _num(m.hip_height_ratio_err),
            "knee_past_toes": a.knee_past_toes,
            "knee_over_toe_px": _num(m.knee_over_toe_px, 1),
            "knee_over_toe_ratio": _num(m.knee_over_toe_ratio),
            "shin_angle_deg": _num(m.shin_angle_deg, 1),
            "trunk_lean_deg": _num(m.trunk_lean_deg, 1),
            "knees_cave_in": a.knees_cave_in,
            "fppa_deg": _num(m.fppa_deg, 1),
            "heel_lift_ratio": _num(m.heel_lift_ratio),
            "descent_s": _num(m.descent_s, 2), "pause_s": _num(m.pause_s, 2),
            "ascent_s": _num(m.ascent_s, 2),
            "box_pause": bool(m.pause_s >= analysis.thresholds.box_pause_min_s),
            "flags": [f.code for f in a.flags],
            "flag_messages": [f.message for f in a.flags],
            "checks": a.checks,
            "unmeasured": dict(m.reasons),
            # depth as a measurement: thigh angle +- its error, and the class it clears
            "depth_angle_deg": _num(m.depth_angle_deg, 1),
            "depth_angle_err_deg": _num(m.depth_angle_err_deg, 1),
            "depth_source": m.depth_source,
            "depth_angle_class": depth_class_from_angle(m.depth_angle_deg, m.depth_angle_err_deg),
            "knee_flexion_3d_deg": _num(m.knee_flexion_3d_deg, 1),
        })
    return rows


def to_dict(analysis: Analysis) -> dict:
    v = analysis.view
    return {
        "schema_version": SCHEMA_VERSION,
        "formcheck_version": __version__,
        "source": analysis.source,
        "duration_s": _num(analysis.duration_s, 2),
        "detected_fraction": _num(analysis.detected_fraction),
        "rep_count": analysis.rep_count,
        "view": v.view,
        "yaw_deg": _num(v.yaw_deg, 1),
        "facing": {1: "right", -1: "left"}.get(v.facing, "unknown"),
        "profile": analysis.profile,
        "thresholds": analysis.thresholds.as_dict(),
        "units": {"thigh_angle_deg": "degrees from horizontal, + = hip below knee",
                  "knee_over_toe_ratio": "foot lengths, + = knee ahead of the toes",
                  "knee_over_toe_px": "pixels of the displayed video",
                  "shin_angle_deg": "degrees from vertical, + = knee forward",
                  "trunk_lean_deg": "degrees from vertical, + = forward",
                  "fppa_deg": "frontal-plane projection angle, + = knee inward (valgus)",
                  "hip_height_ratio": "hip height above the ankles / standing hip height",
                  "heel_lift_ratio": "heel rise over its standing height, in foot lengths",
                  "depth_angle_deg": "thigh to horizontal at the bottom, + = hip joint below "
                                     "the knee joint; +- depth_angle_err_deg (one standard "
                                     "error); parallel = within 10 deg of level",
                  "knee_flexion_3d_deg": "knee bend in 3-D from the world landmarks"},
        "bottom_consistency_deg": _num(bottom_consistency(analysis.metrics), 1),
        "reps": rep_rows(analysis),
        "cues": [asdict(c) | {"reps": list(c.reps)} for c in analysis.cues],
        "warnings": list(analysis.warnings),
        "disclaimer": DISCLAIMER,
    }


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a failure never leaves half a file behind."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json(analysis: Analysis, path: str | Path) -> None:
    write_text_atomic(path, json.dumps(to_dict(analysis), indent=2) + "\n")


def csv_text(analysis: Analysis) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    w.writeheader()
    for row in rep_rows(analysis):
        row = dict(row)
        row["flags"] = ";".join(row["flags"])
        w.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


def write_csv(analysis: Analysis, path: str | Path) -> None:
    write_text_atomic(path, csv_text(analysis))


def _fmt(x, spec: str, unit: str = "") -> str:
    return "  n/a" if x is None else f"{x:{spec}}{unit}"


def summary_text(analysis: Analysis) -> str:
    v = analysis.view
    lines = [f"{analysis.source}: {analysis.rep_count} rep(s), {v.view} view"
             f"{'' if not math.isfinite(v.yaw_deg) else f' (yaw {v.yaw_deg:.0f} deg)'}, "
             f"profile {analysis.profile}"]
    if analysis.metrics:
        lines.append("  rep  bottom   depth           thigh   knee>toe  shin   cave-in")
    for m, a in zip(analysis.metrics, analysis.assessments):
        kpt = {True: "yes", False: "no", None: "n/a"}[a.knee_past_toes]
        cav = {True: "yes", False: "no", None: "n/a"}[a.knees_cave_in]
        lines.append(f"  {m.index:>3}  {m.bottom_s:5.2f}s  {a.depth:<14}  "
                     f"{_fmt(None if m.view == 'front' else m.thigh_angle_deg, '+5.0f', '°')}  "
                     f"{_fmt(m.knee_over_toe_ratio, '+5.2f')} {kpt:<3} "
                     f"{_fmt(m.shin_angle_deg, '4.0f', '°')}  {cav}"
                     + (f"  ! {', '.join(f.code for f in a.flags)}" if a.flags else ""))
    for c in analysis.cues:
        if c.code == "load":
            continue
        lines.append(f"- {c.title}: {c.try_this}")
    for w in analysis.warnings:
        lines.append(f"note: {w}")
    lines.append(DISCLAIMER)
    return "\n".join(lines)
