"""Report: the JSON contract other tools read (docs/METRICS.md, "The report contract"), the reps
CSV, the set summary every view shows, and a human summary."""

from __future__ import annotations

import csv
import datetime as dt
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
from .feedback import (CHECKS, DISCLAIMER, RepAssessment, bottom_consistency, call_words,
                       depth_words, shown_value)
from .metrics import RepMetrics, depth_class_from_angle, depth_near
from .values import DECIMALS, clean_float, fmt_num, reported_value
from .valgus import REPORT_FIELDS as VALGUS_FIELDS, knee_toe_why, report_fields as valgus_fields
from .vocab import CORRECTION_KINDS, CorrectionKind
from .box import (BOX_SPREAD_MAX_RATIO, advice_text, box_spread_ratio, higher_box_amount,
                  higher_box_shin, sit_kind)

SCHEMA_VERSION = 1

CSV_FIELDS = [
    "rep", "start_s", "bottom_s", "end_s", "view", "leg", "depth", "thigh_angle_deg",
    "knee_flexion_deg", "hip_height_ratio", "knee_past_toes", "knee_over_toe_px",
    "knee_over_toe_ratio", "shin_angle_deg", "trunk_lean_deg", "knees_cave_in", "fppa_deg",
    *VALGUS_FIELDS,
    "heel_lift_ratio", "descent_s", "pause_s", "ascent_s", "flags",
    "depth_angle_deg", "depth_angle_err_deg", "depth_source", "depth_angle_class", "depth_words",
    "knee_flexion_3d_deg", "hip_height_ratio_err",
    "box_contact", "box_contact_s", "box_sit", "box_hip_height_ratio", "box_hip_per_knee_ratio",
    "box_hip_height_cm", "higher_box_shin", "higher_box_cm", "excluded", "correction",
]


def reported(m: RepMetrics) -> dict:
    """The rep's measured values as reported: None where unmeasured, rounded to DECIMALS."""
    return {k: reported_value(k, getattr(m, k)) for k in DECIMALS}


def rep_rows(analysis: Analysis) -> list[dict]:
    rows = []
    for m, a in zip(analysis.metrics, analysis.assessments):
        v = reported(m)
        box = box_fields(m, analysis.thresholds, analysis.cm_per_shin, analysis.box)
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
            **valgus_fields(m.valgus),
            "heel_lift_ratio": v["heel_lift_ratio"],
            "descent_s": v["descent_s"], "pause_s": v["pause_s"], "ascent_s": v["ascent_s"],
            "box_pause": box["box_sit"] == "paused_sit",
            "flags": [f.code for f in a.flags],
            "flag_messages": [f.message for f in a.flags],
            "checks": a.checks,
            "unmeasured": dict(m.reasons, **({} if analysis.box else {"box_contact": NO_BOX}),
                               **({"knee_toe": w} if (w := knee_toe_why(
                                   m.valgus, m.reasons.get("fppa", ""))) else {})),
            # the one depth number (= thigh_angle_deg) +- its error, how it was measured, the
            # keypoint-bias correction in it; the depth call (`depth`, from the hip height) in
            # words, and beside it the thigh angle's own band in words (secondary: it
            # cross-validated worse on the labelled clips: docs/ACCURACY.md, "Depth (issue 19)")
            "depth_angle_deg": v["thigh_angle_deg"],
            "depth_angle_err_deg": clean_float(m.depth_angle_err_deg, 1),
            "depth_source": m.depth_source,
            "depth_bias_deg": clean_float(m.depth_angle_bias_deg, 1),
            "depth_words": call_words(a),
            # a decided call within feedback.NEAR_CUT_ERRORS of its error of a cut: the class
            # across it (the "close to" of depth_words); null otherwise
            "depth_close_to": a.depth_close_to,
            "depth_angle_class": depth_words(
                depth_class_from_angle(v["thigh_angle_deg"], m.depth_angle_err_deg),
                depth_near(v["thigh_angle_deg"], m.depth_angle_err_deg)),
            "knee_flexion_3d_deg": clean_float(m.knee_flexion_3d_deg, 1),
            **box,
        })
    return rows


# --- a physiotherapist's corrections ----------------------------------------------------------
# The values a physio may mark as wrong, with the words the report uses for them.
CORRECTABLE = {
    "thigh_angle_deg": ("depth: thigh angle", "°", "+.0f"),
    "knee_over_toe_ratio": ("knee past toes", " foot lengths", "+.2f"),
    "shin_angle_deg": ("shin angle", "°", ".0f"),
    "knee_flexion_deg": ("knee bend", "°", ".0f"),
    "trunk_lean_deg": ("trunk lean", "°", ".0f"),
    "fppa_deg": ("knees caving in (FPPA)", "°", ".0f"),
    "heel_lift_ratio": ("heel lift", " foot lengths", ".2f"),
}


@dataclass(frozen=True)
class Correction:
    """A physio's correction of one rep, kept apart from the analysis (which it never
    changes): the rep is not a rep, or one of its values (`metric`) is wrong."""

    rep: int                         # the rep number as reported (1-based)
    kind: CorrectionKind
    metric: str | None               # with "wrong_value": a CORRECTABLE key
    note: str
    author: str                      # who made it (the signed-in user)
    created_at: dt.datetime | None = None
    id: int | None = None
    value: float | None = None       # with "wrong_value": the value the physio measured

    def words(self, original=None) -> str:
        """e.g. 'not a rep (by ana, 2026-11-30: camera bumped)', 'knee past toes +0.42
        foot lengths marked wrong (by ana, ...)' or 'knee past toes +0.42 foot lengths
        corrected to +0.10 foot lengths (by ana, ...)'."""
        when = f", {self.created_at:%Y-%m-%d}" if self.created_at else ""
        note = f": {self.note}" if self.note else ""
        if self.kind == "not_a_rep":
            what = "not a rep"
        else:
            name, unit, spec = CORRECTABLE.get(self.metric, (self.metric, "", "g"))
            what = f"{name} {fmt_num(original, spec, unit, none='n/a')} " + (
                "marked wrong" if self.value is None
                else f"corrected to {fmt_num(self.value, spec, unit)}")
        return f"{what} (by {self.author}{when}{note})"


def check_correction(kind: str, metric: str | None, value: float | None = None) -> None:
    """Raise ValueError unless (kind, metric, value) is a correction formcheck knows."""
    if kind not in CORRECTION_KINDS:
        raise ValueError(f"Unknown correction {kind!r}; one of: {', '.join(CORRECTION_KINDS)}.")
    if kind == "wrong_value" and metric not in CORRECTABLE:
        raise ValueError(f"Only these values can be marked wrong: {', '.join(CORRECTABLE)}.")
    if value is not None and (kind != "wrong_value" or isinstance(value, bool)
                              or not isinstance(value, (int, float))
                              or not math.isfinite(value) or abs(value) > 1000):
        raise ValueError("A corrected value is a number (within ±1000) for a value marked "
                         "wrong.")


def apply_corrections(rows: Sequence[Mapping], corrections: Sequence[Correction],
                      originals: Sequence[Mapping] | None = None) -> list[dict]:
    """Per-rep rows with the corrections applied (new dicts; `rows` are not changed): a rep
    marked "not a rep" gets excluded=True; a value marked wrong becomes None (its key listed
    in "wrong"), its check "n/a" and its flag goes. Every row affected gets "corrections": the words, with the original
    value and who corrected it."""
    by_rep: dict[int, list[Correction]] = {}
    for c in corrections:
        by_rep.setdefault(int(c.rep), []).append(c)
    was = {int(r["rep"]): r for r in (originals if originals is not None else rows)}
    out = []
    for row in rows:
        r = dict(row)
        cs = by_rep.get(int(r["rep"]), [])
        if cs:
            r["checks"] = dict(r.get("checks") or {})
            r["flags"] = list(r.get("flags") or [])
            r["corrections"] = [c.words(was.get(int(r["rep"]), r).get(c.metric) if c.metric
                                        else None) for c in cs]
            for c in cs:
                if c.kind == "not_a_rep":      # not a rep: nothing of it is flagged
                    r["excluded"] = True
                    r["flags"], r["checks"] = [], {k: "n/a" for k in r["checks"]}
                    if "flag_messages" in r:
                        r["flag_messages"] = []
                elif c.metric in CORRECTABLE and c.value is not None:
                    # the physio's value (rows made from corrected_analysis carry its checks)
                    r.setdefault("wrong", []).append(c.metric)
                    r[c.metric] = c.value
                elif c.metric in CORRECTABLE:
                    r.setdefault("wrong", []).append(c.metric)
                    r[c.metric] = None
                    r["checks"][c.metric] = "n/a"
                    if c.metric == "fppa_deg":   # the call, error, perspective stand on it
                        r["knees_cave_in"] = r["fppa_err_deg"] = r["fppa_perspective_deg"] = None
                    codes = {k.code for k in CHECKS if k.field == c.metric}
                    keep = [i for i, f in enumerate(r["flags"]) if f not in codes]
                    if "flag_messages" in r:
                        r["flag_messages"] = [r["flag_messages"][i] for i in keep]
                    r["flags"] = [r["flags"][i] for i in keep]
        out.append(r)
    return out


def corrected_analysis(analysis: Analysis, corrections: Sequence[Correction]) -> Analysis:
    """The analysis as the physio corrected it, for everything made from it (feedback, key
    frames, box advice, comparisons): a value marked wrong is None in its rep's metrics, every
    rep is assessed again, and the cues come from the reps that count only. Its reps and their
    numbers stay (the table shows an excluded rep as such); which reps count:
    excluded_reps()."""
    from dataclasses import replace

    from .feedback import assess_rep, cues

    if not corrections:
        return analysis
    wrong: dict[int, dict[str, float | None]] = {}
    for c in corrections:
        if c.kind == "wrong_value" and c.metric in CORRECTABLE:
            wrong.setdefault(int(c.rep), {})[c.metric] = c.value
    metrics = []
    for m in analysis.metrics:
        new = dict(wrong.get(m.index, {}))
        if "knee_over_toe_ratio" in new:
            new["knee_over_toe_px"] = None          # the ratio is the physio's now
        metrics.append(replace(m, **new) if new else m)
    th = analysis.thresholds
    out = excluded_reps(corrections)
    # an excluded rep stays in place (the cues number reps by position) but fires nothing
    assessments = [replace(a, flags=(), checks={k: "n/a" for k in a.checks})
                   if m.index in out else a
                   for m, a in ((m, assess_rep(m, th)) for m in metrics)]
    return replace(analysis, metrics=metrics, assessments=assessments,
                   cues=cues(metrics, assessments, th, analysis.view.view))


def corrected_rows(analysis: Analysis, corrections: Sequence[Correction]) -> list[dict]:
    """The per-rep rows as the physio corrected them: made from corrected_analysis (a
    corrected value judged against the limits like a measured one), with apply_corrections'
    marks and words (quoting the measured values)."""
    return apply_corrections(rep_rows(corrected_analysis(analysis, corrections)), corrections,
                             originals=rep_rows(analysis))


def corrected_set_summary(analysis: Analysis, corrections: Sequence[Correction]) -> "SetSummary":
    """The set at a glance as the physio corrected it, for the trends across sessions: the
    rows that count of corrected_rows (the table's, the CSV's and the PDF's), so a corrected
    value is the trend's value and its flag is judged again against the limits."""
    return summarize_rows(counted_rows(corrected_rows(analysis, corrections)))


def excluded_reps(corrections: Sequence[Correction]) -> set[int]:
    """The rep numbers the physio marked "not a rep"."""
    return {int(c.rep) for c in corrections if c.kind == "not_a_rep"}


def counted_rows(rows: Sequence[Mapping]) -> list[Mapping]:
    """The rows that count (a rep the physio marked "not a rep" does not)."""
    return [r for r in rows if not r.get("excluded")]


def corrected_summary(rows: Sequence[Mapping], corrections: Sequence[Correction]) -> "SetSummary":
    """The set summary after the physio's corrections (summarize_rows over what counts)."""
    return summarize_rows(counted_rows(apply_corrections(rows, corrections)))


NO_BOX = ("no box: a hold at the bottom is a paused squat here; say that the person squats "
          "onto a box or chair to have it reported as box contact")


def box_fields(m: RepMetrics, th, cm_shin: float | None, box: bool) -> dict:
    """A rep's box fields as reported (box.py has the definitions). Contact, its hold and the
    hip height on the box only when the person squats onto a box (`box`, Analysis.box): the
    landmarks cannot tell a box from a paused squat. The higher-box advice always."""
    raise_shin = higher_box_shin(m.descent_kot, m.bottom_hip_shin, m.knee_over_toe_ratio,
                                 th.knee_over_toe_max_ratio)

    def cm(x):
        return None if x is None or cm_shin is None else round(x * cm_shin, 1)

    on_box = {
        "box_contact": m.box_contact,
        "box_contact_s": clean_float(m.contact_s, 2),
        "box_sit": sit_kind(m.contact_s, th.box_pause_min_s),
        "box_hip_height_ratio": clean_float(m.box_hip_height_ratio, 3),
        "box_hip_per_knee_ratio": clean_float(m.box_hip_per_knee_ratio, 3),
        "box_hip_height_cm": cm(m.box_hip_per_knee_ratio),
    }
    return {
        "box_squat": bool(box),
        **(on_box if box else dict.fromkeys(on_box)),
        "higher_box_shin": clean_float(raise_shin, 3),
        "higher_box_cm": cm(raise_shin),
        # from the reported numbers, so the sentence and the fields never disagree
        "box_advice": advice_text(clean_float(raise_shin, 3), th.knee_over_toe_max_ratio,
                                  cm(raise_shin)),
    }


# The words every view uses for a rep's depth class and its flags (one table: the app's tables,
# the PDF, the bottom-frame captions). Flags: (the short word of a compact table, what it means).
# The knee flag says "the limit", not "past the toes": knee-rehab's limit (0.0) is stricter than
# the cut from which `knee_past_toes` says yes (+0.12), so a flagged rep may read "no" there.
DEPTH_WORDS = {"above_parallel": "above parallel", "parallel": "parallel",
               "below_parallel": "below parallel", "unclear": "unclear"}
DEPTH_WORDS_SHORT = {"above_parallel": "above", "parallel": "parallel", "below_parallel": "below",
                     "unclear": "unclear"}
FLAG_WORDS = {"knee_travel": ("knee", "knee past the limit"),
              "shin_angle": ("shin", "shin leans far"),
              "knees_cave_in": ("knees in", "knees cave in"),
              "shallow": ("shallow", "not deep enough"),
              "trunk_lean": ("trunk", "trunk leans far"),
              "heel_lift": ("heels", "heels lift")}

SIT_WORDS = {"paused_sit": "paused sit", "touch_and_go": "touch-and-go"}
# The same, short, for the phone-sized rep table (its column, "Box s", has the unit and a help
# that says what the words stand for).
SIT_WORDS_SHORT = {"paused_sit": "sat", "touch_and_go": "tap"}
NOT_ON_BOX, NOT_ON_BOX_SHORT = "not on the box", "none"


def box_parts(row: Mapping, short: bool = False) -> dict[str, str]:
    """The pieces of a rep's box words (ASCII), from its report row (box_fields' keys), as the
    rep tables show them: "contact" (e.g. "paused sit 1.03 s", "not on the box", "n/a"),
    "hip" (the hip height on the box: "42% of standing (35 cm)"; "" off the box) and
    "higher" (box.advice_text's amount: "20 cm higher", "0.47 shin lengths higher", "within
    the limit"; "" when unknown). `short`: "contact" in the compact table's words ("sat 1.03",
    "tap 0.11": the same seconds, the unit in the column's name; "none": not on the box)."""
    contact = row.get("box_contact")
    sit_words = SIT_WORDS_SHORT if short else SIT_WORDS
    if contact:
        cm = row.get("box_hip_height_cm")
        what = (f"{sit_words.get(row.get('box_sit'), 'contact')} {row['box_contact_s']:.2f}"
                + ("" if short else " s"))
        hip = (f"{row['box_hip_height_ratio']:.0%} of standing"
               + ("" if cm is None else f" ({cm:.0f} cm)"))
    else:
        what = ((NOT_ON_BOX_SHORT if short else NOT_ON_BOX) if contact is False else "n/a")
        hip = ""
    raise_shin = row.get("higher_box_shin")
    higher = ("" if raise_shin is None else "within the limit" if raise_shin == 0.0
              else f"{higher_box_amount(raise_shin, row.get('higher_box_cm'))} higher")
    return {"contact": what, "hip": hip, "higher": higher}


def box_words(row: Mapping, short: bool = False) -> str:
    """The one wording of a rep's box result, from its report row (box_fields' keys): how it
    met the box (paused sit / touch-and-go, seconds), the hip height on it (share of the
    standing hip height, of the knee height, cm when known) and the higher-box advice, or
    "the knee stayed within the limit". The app's bottom-frame review, the PDF and the command
    line show the long form; the annotated video the short one: ASCII, one line per part
    ("\n" between them), and "" for a rep that did not sit on the box."""
    contact = row.get("box_contact")
    parts = box_parts(row)
    if short:
        if not contact:
            return ""
        return "\n".join(p for p in (
            f"On the box: {parts['contact']}", f"hip at {parts['hip']}",
            advice_text(row.get("higher_box_shin"), 0.0, row.get("higher_box_cm"), short=True),
        ) if p)
    if contact:
        cm, per_knee = row.get("box_hip_height_cm"), row.get("box_hip_per_knee_ratio")
        what = (f"On the box: {parts['contact']}; hip at {row['box_hip_height_ratio']:.0%} of "
                "standing hip height"
                + ("" if per_knee is None else f", {per_knee:.2f} × knee height")
                + ("" if cm is None else f" ({cm:.0f} cm above the ankle)") + ".")
    elif contact is False:
        what = "Turned around without sitting on the box."
    elif row.get("box_squat") is False:
        what = ""      # no box: only the advice (box_fields)
    else:
        what = "Box contact not measured (the hip height is unknown)."
    advice = row.get("box_advice") or ""
    return f"{what} {advice}".strip()


def any_box(rows: Sequence[Mapping]) -> bool:
    """True when a rep of the set sat on (or touched) the box: then the views show the box."""
    return any(r.get("box_contact") for r in rows)


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


def knee_travel_visible(analysis) -> bool:
    """False when no rep was filmed from a view where the knee's travel past the toes can be
    seen (a front view): then no knee-past-toes plot or limit line is drawn anywhere."""
    views = {m.view for m in analysis.metrics} or {analysis.view.view}
    return views != {"front"}


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
        # the pose model that made the landmarks (pose.provenance; "unknown" for landmarks
        # saved before formcheck recorded it)
        "provenance": analysis.clean_seq.meta.get("provenance") or {
            "pose_backend": "unknown", "model_file": "unknown", "mediapipe_version": "unknown"},
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
                  "fppa_deg": "peak frontal-plane projection angle, + = knee inward (valgus)",
                  "fppa_perspective_deg": "degrees of fppa_deg that undoing the camera's "
                                          "perspective added at the peak frame (the plain "
                                          "picture's angle is fppa_deg minus it)",
                  "hip_height_ratio": "hip height above the ankles / standing hip height",
                  "heel_lift_ratio": "heel rise over its standing height, in foot lengths",
                  "depth_angle_deg": "the one depth number, = thigh_angle_deg: thigh to "
                                     "horizontal at the bottom, + = hip joint below the knee "
                                     "joint, corrected for the view and the pose model's "
                                     "keypoint bias (depth_bias_deg); +- depth_angle_err_deg "
                                     "(one standard error)",
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
        "box": {"squats_onto_box": analysis.box, **box_summary(rep_rows(analysis))},
        "bottom_consistency_deg": clean_float(bottom_consistency(analysis.metrics), 1),
        "summary": summary,
        "reps": rep_rows(analysis),
        "cues": [asdict(c) | {"reps": list(c.reps)} for c in analysis.cues],
        "warnings": list(analysis.warnings),
        "disclaimer": DISCLAIMER,
    }


def write_json(analysis: Analysis, path: str | Path) -> None:
    write_text_atomic(path, json.dumps(to_dict(analysis), indent=2) + "\n")


def csv_text(analysis: Analysis, corrections: Sequence["Correction"] = ()) -> str:
    """One row per rep, with the physio's corrections applied: a value marked wrong is blank,
    an excluded rep says so, and `correction` tells what was changed, from what, and by whom."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    w.writeheader()
    for row in corrected_rows(analysis, corrections):
        row = dict(row)
        row["flags"] = ";".join(row["flags"])
        row["excluded"] = bool(row.get("excluded"))
        row["correction"] = " | ".join(row.get("corrections", []))
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
    # the depth call in words, as every other view of a rep shows it ("parallel, close to below")
    dw = max([14] + [len(r["depth_words"]) for r in rows])
    if rows:
        lines.append(f"  rep  bottom   {'depth':<{dw}}  thigh   knee>toe  shin   cave-in")
    yes_no = {True: "yes", False: "no", None: "n/a"}
    for r in rows:
        def shown(key: str, spec: str, unit: str = "", r=r) -> str:
            return shown_value(key, r[key], analysis.thresholds, spec, none="  n/a") + \
                ("" if r[key] is None else unit)

        lines.append(f"  {r['rep']:>3}  {r['bottom_s']:5.2f}s  {r['depth_words']:<{dw}}  "
                     f"{_fmt(None if r['view'] == 'front' else r['thigh_angle_deg'], '+5.0f', '°')}  "
                     f"{shown('knee_over_toe_ratio', '+5.2f')} {yes_no[r['knee_past_toes']]:<3} "
                     f"{shown('shin_angle_deg', '4.0f', '°')}  {yes_no[r['knees_cave_in']]}"
                     + (f"  ! {', '.join(r['flags'])}" if r["flags"] else ""))
    if any_box(rows):
        lines.append("  the box:")
        lines.extend(f"  {r['rep']:>3}  {box_words(r)}" for r in rows)
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
