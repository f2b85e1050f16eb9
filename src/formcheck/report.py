"""Report: the JSON contract other tools read (docs/METRICS.md, "The report contract"), the reps
CSV, the set summary every view shows, and a human summary."""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from . import __version__
from .analysis import Analysis
from .atomic import write_bytes_atomic, write_text_atomic  # noqa: F401  (formcheck.report's API)
from .feedback import DISCLAIMER, RepAssessment, bottom_consistency, shown_value
from .metrics import RepMetrics
from .values import DECIMALS, clean_float, fmt_num, reported_value
from .metrics import depth_class_from_angle
from .box import (BOX_SPREAD_MAX_RATIO, advice_text, box_spread_ratio, higher_box_shin,
                  sit_kind)

SCHEMA_VERSION = 1

CSV_FIELDS = [
    "rep", "start_s", "bottom_s", "end_s", "view", "leg", "depth", "thigh_angle_deg",
    "knee_flexion_deg", "hip_height_ratio", "knee_past_toes", "knee_over_toe_px",
    "knee_over_toe_ratio", "shin_angle_deg", "trunk_lean_deg", "knees_cave_in", "fppa_deg",
    "heel_lift_ratio", "descent_s", "pause_s", "ascent_s", "flags",
    "depth_angle_deg", "depth_angle_err_deg", "depth_source", "depth_angle_class",
    "knee_flexion_3d_deg", "hip_height_ratio_err",
    "box_contact", "box_contact_s", "box_sit", "box_hip_height_ratio", "box_hip_per_knee_ratio",
    "box_hip_height_cm", "higher_box_shin", "higher_box_cm",
]


def reported(m: RepMetrics) -> dict:
    """The rep's measured values as reported: None where unmeasured, rounded to DECIMALS."""
    return {k: reported_value(k, getattr(m, k)) for k in DECIMALS}


def rep_rows(analysis: Analysis) -> list[dict]:
    rows = []
    for m, a in zip(analysis.metrics, analysis.assessments):
        v = reported(m)
        rows.append({
            "rep": m.index,
            "start_s": v["start_s"], "bottom_s": v["bottom_s"], "end_s": v["end_s"],
            "view": m.view, "leg": m.leg,
            "depth": a.depth,
            "thigh_angle_deg": v["thigh_angle_deg"],
            "knee_flexion_deg": v["knee_flexion_deg"],
            "hip_height_ratio": v["hip_height_ratio"],
            "hip_height_ratio_err": clean_float(m.hip_height_ratio_err, 3),
            "knee_past_toes": a.knee_past_toes,
            "knee_over_toe_px": v["knee_over_toe_px"],
            "knee_over_toe_ratio": v["knee_over_toe_ratio"],
            "shin_angle_deg": v["shin_angle_deg"],
            "trunk_lean_deg": v["trunk_lean_deg"],
            "knees_cave_in": a.knees_cave_in,
            "fppa_deg": v["fppa_deg"],
            "heel_lift_ratio": v["heel_lift_ratio"],
            "descent_s": v["descent_s"], "pause_s": v["pause_s"], "ascent_s": v["ascent_s"],
            "box_pause": sit_kind(m.contact_s, analysis.thresholds.box_pause_min_s) == "paused_sit",
            "flags": [f.code for f in a.flags],
            "flag_messages": [f.message for f in a.flags],
            "checks": a.checks,
            "unmeasured": dict(m.reasons),
            # depth as a measurement: thigh angle +- its error, and the class it clears
            "depth_angle_deg": clean_float(m.depth_angle_deg, 1),
            "depth_angle_err_deg": clean_float(m.depth_angle_err_deg, 1),
            "depth_source": m.depth_source,
            "depth_angle_class": depth_class_from_angle(m.depth_angle_deg, m.depth_angle_err_deg),
            "knee_flexion_3d_deg": clean_float(m.knee_flexion_3d_deg, 1),
            **box_fields(m, analysis.thresholds, analysis.cm_per_shin),
        })
    return rows


def box_fields(m: RepMetrics, th, cm_shin: float | None) -> dict:
    """A rep's box fields as reported (box.py has the definitions)."""
    raise_shin = higher_box_shin(m.descent_kot, m.bottom_hip_shin, m.knee_over_toe_ratio,
                                 th.knee_over_toe_max_ratio)

    def cm(x):
        return None if x is None or cm_shin is None else round(x * cm_shin, 1)

    return {
        "box_contact": m.box_contact,
        "box_contact_s": clean_float(m.contact_s, 2),
        "box_sit": sit_kind(m.contact_s, th.box_pause_min_s),
        "box_hip_height_ratio": clean_float(m.box_hip_height_ratio, 3),
        "box_hip_per_knee_ratio": clean_float(m.box_hip_per_knee_ratio, 3),
        "box_hip_height_cm": cm(m.box_hip_per_knee_ratio),
        "higher_box_shin": clean_float(raise_shin, 3),
        "higher_box_cm": cm(raise_shin),
        "box_advice": advice_text(raise_shin, th.knee_over_toe_max_ratio, cm_shin),
    }


def box_summary(rows: Sequence[Mapping]) -> dict:
    """The set's box: reps on the box, their mean hip height at contact and its spread."""
    on = [r["box_hip_height_ratio"] for r in rows if r.get("box_contact")]
    spread = box_spread_ratio(on)
    return {"reps_on_box": len(on),
            "hip_height_ratio_mean": clean_float(sum(on) / len(on), 3) if on else None,
            "hip_height_ratio_spread": clean_float(spread, 3),
            "consistent": None if spread is None else bool(spread <= BOX_SPREAD_MAX_RATIO)}


# --- the set at a glance -----------------------------------------------------------------------
@dataclass(frozen=True)
class SetSummary:
    """One set (a clip, a saved session) at a glance. Computed only by `summarize_rows`, from
    the reported per-rep values, so the CLI, the PDF, the app and the store show the same
    numbers as the per-rep table. None where no rep measured the value."""

    rep_count: int
    reps_flagged: int                            # reps with at least one flag
    worst_knee_over_toe_ratio: float | None      # knee furthest past the toes, foot lengths
    worst_knee_rep: int | None                   # the rep number it happened in
    worst_shin_angle_deg: float | None           # steepest shin, deg from vertical
    mean_thigh_angle_deg: float | None           # depth, + = hip below knee (not front view)
    shallowest_thigh_angle_deg: float | None     # the least deep rep (not front view)
    deepest_thigh_angle_deg: float | None        # the deepest rep (not front view)
    worst_fppa_deg: float | None                 # knees caving in the most (not side view)
    most_trunk_lean_deg: float | None            # deg from vertical, + = forward
    most_common_depth: str | None                # the depth class most reps had (first on a tie)


def summarize_rows(rows: Sequence[Mapping]) -> SetSummary:
    """The one definition of the set's aggregates, over per-rep rows as `rep_rows` makes them
    (or as the store keeps them): keys rep, view, depth, flags and the values named in
    DECIMALS. The thigh angle is left out of front-view reps (the thigh points at the camera)
    and the knees-caving-in angle out of side-view reps (it cannot be seen side on)."""

    def vals(key: str, skip_view: str | None = None) -> list[tuple[float, int]]:
        return [(float(r[key]), int(r["rep"])) for r in rows
                if r.get(key) is not None and r.get("view") != skip_view]

    kot = vals("knee_over_toe_ratio")
    thigh = [v for v, _ in vals("thigh_angle_deg", skip_view="front")]
    worst_kot = max(kot, key=lambda x: x[0]) if kot else None   # the first rep on a tie
    shin = [v for v, _ in vals("shin_angle_deg")]
    fppa = [v for v, _ in vals("fppa_deg", skip_view="side")]
    trunk = [v for v, _ in vals("trunk_lean_deg")]
    depths = Counter(r["depth"] for r in rows if r.get("depth"))
    return SetSummary(
        rep_count=len(rows),
        reps_flagged=sum(1 for r in rows if r.get("flags")),
        worst_knee_over_toe_ratio=worst_kot[0] if worst_kot else None,
        worst_knee_rep=worst_kot[1] if worst_kot else None,
        worst_shin_angle_deg=max(shin) if shin else None,
        mean_thigh_angle_deg=clean_float(math.fsum(thigh) / len(thigh)) if thigh else None,
        shallowest_thigh_angle_deg=min(thigh) if thigh else None,
        deepest_thigh_angle_deg=max(thigh) if thigh else None,
        worst_fppa_deg=max(fppa) if fppa else None,
        most_trunk_lean_deg=max(trunk) if trunk else None,
        most_common_depth=depths.most_common(1)[0][0] if depths else None)


def summarize(metrics: Iterable[RepMetrics], assessments: Iterable[RepAssessment]) -> SetSummary:
    """The set summary of analysed reps (see `summarize_rows`)."""
    return summarize_rows([{**reported(m), "rep": m.index, "view": m.view, "depth": a.depth,
                            "flags": [f.code for f in a.flags]}
                           for m, a in zip(metrics, assessments)])


def analysis_summary(analysis: Analysis) -> SetSummary:
    return summarize(analysis.metrics, analysis.assessments)


def to_dict(analysis: Analysis) -> dict:
    v = analysis.view
    summary = {k: clean_float(x, 3) if isinstance(x, float) else x
               for k, x in asdict(analysis_summary(analysis)).items()}
    return {
        "schema_version": SCHEMA_VERSION,
        "formcheck_version": __version__,
        "source": analysis.source,
        "duration_s": clean_float(analysis.duration_s, 2),
        "detected_fraction": clean_float(analysis.detected_fraction, 3),
        "rep_count": analysis.rep_count,
        "view": v.view,
        "yaw_deg": clean_float(v.yaw_deg, 1),
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
                  "knee_flexion_3d_deg": "knee bend in 3-D from the world landmarks",
                  "box_hip_height_ratio": "hip height on the box / standing hip height",
                  "box_hip_per_knee_ratio": "hip height on the box / knee height (shin length)",
                  "box_contact_s": "seconds held on the box (touch-and-go below "
                                   "box_pause_min_s, paused sit from it)",
                  "higher_box_shin": "how much higher a box keeps the knee within "
                                     "knee_over_toe_max_ratio, in shin lengths (0 = it is)",
                  "higher_box_cm": "the same in cm (needs the person's height or shin length)",
                  "box_hip_height_cm": "hip joint above the ankle on the box, cm"},
        "cm_per_shin": clean_float(analysis.cm_per_shin, 2),
        "box": box_summary(rep_rows(analysis)),
        "bottom_consistency_deg": clean_float(bottom_consistency(analysis.metrics), 1),
        "summary": summary,
        "reps": rep_rows(analysis),
        "cues": [asdict(c) | {"reps": list(c.reps)} for c in analysis.cues],
        "warnings": list(analysis.warnings),
        "disclaimer": DISCLAIMER,
    }


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
    return fmt_num(x, spec, unit, none="  n/a")


def summary_text(analysis: Analysis) -> str:
    """The command line's summary: the per-rep table (the reported values) and the cues."""
    v = analysis.view
    lines = [f"{analysis.source}: {analysis.rep_count} rep(s), {v.view} view"
             f"{'' if not math.isfinite(v.yaw_deg) else f' (yaw {v.yaw_deg:.0f} deg)'}, "
             f"profile {analysis.profile}"]
    rows = rep_rows(analysis)
    if rows:
        lines.append("  rep  bottom   depth           thigh   knee>toe  shin   cave-in")
    yes_no = {True: "yes", False: "no", None: "n/a"}
    for r in rows:
        def shown(key: str, spec: str, unit: str = "", r=r) -> str:
            return shown_value(key, r[key], analysis.thresholds, spec, none="  n/a") + \
                ("" if r[key] is None else unit)

        lines.append(f"  {r['rep']:>3}  {r['bottom_s']:5.2f}s  {r['depth']:<14}  "
                     f"{_fmt(None if r['view'] == 'front' else r['thigh_angle_deg'], '+5.0f', '°')}  "
                     f"{shown('knee_over_toe_ratio', '+5.2f')} {yes_no[r['knee_past_toes']]:<3} "
                     f"{shown('shin_angle_deg', '4.0f', '°')}  {yes_no[r['knees_cave_in']]}"
                     + (f"  ! {', '.join(r['flags'])}" if r["flags"] else ""))
    for c in analysis.cues:
        if c.code == "load":
            continue
        lines.append(f"- {c.title}" + (f" — {c.seen}" if c.seen else ""))
        if c.try_this:
            lines.append(f"  {c.try_this}")
    for w in analysis.warnings:
        lines.append(f"note: {w}")
    lines.append(DISCLAIMER)
    return "\n".join(lines)
