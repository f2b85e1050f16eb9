"""RepMetrics + Thresholds -> decisions, flags and plain-language cues tied to their cause.

The advice comes from a physiotherapist's guidance on runner's knee (patellofemoral pain):
sit back onto a box behind you so the knee does not travel far past the toes; if that is hard,
reduce the depth (a higher box); knees caving in points at weak outer-hip muscles; sudden load
spikes feed the problem. Education, not diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import SIGNAL_BIAS_DEG, SIGNAL_EDGES_DEG, RepMetrics, depth_signal_class
from .thresholds import Thresholds
from .values import fmt_num, reported_value

DISCLAIMER = ("formcheck is for education, not diagnosis. If your knee hurts during or after "
              "squats, or the pain lasts, see a physiotherapist.")


@dataclass(frozen=True)
class Flag:
    code: str
    severity: str   # "info" | "warn"
    message: str


@dataclass(frozen=True)
class RepAssessment:
    depth: str                   # above_parallel | parallel | below_parallel | unclear
    knee_past_toes: bool | None
    knees_cave_in: bool | None
    flags: tuple = ()
    checks: dict = field(default_factory=dict)  # metric name -> "ok" | "flag" | "n/a"
    # depth "unclear" because the evidence is split: (the hip height's class, its neighbour)
    depth_between: tuple = ()
    # a decided depth within NEAR_CUT_ERRORS of its error of a cut: the class across that cut
    depth_close_to: str | None = None


@dataclass(frozen=True)
class Cue:
    code: str
    title: str
    seen: str
    why: str
    try_this: str
    reps: tuple = ()


@dataclass(frozen=True)
class DepthCall:
    """The depth call: `depth` the class ("unclear" when the evidence is split or missing) and,
    when split, `between`: (the class the hip height points to, the neighbouring class the
    other evidence points to), worded "parallel, close to below"."""

    depth: str
    between: tuple = ()
    close_to: str | None = None   # decided, but within NEAR_CUT_ERRORS errors of a cut: the
                                  # class across it ("parallel, close to below")


# A decided call whose hip ratio lies within this many of its errors (hip_height_ratio_err times
# the backend's k) of a cut is worded with the class across that cut ("parallel, close to
# below"): two errors is the two-sided 95 % interval of a normal error (1.96, rounded), a
# definition, not a fit. Measured on the labelled clips (tools/depth_call_calibration.py,
# grouped CV): every cross-validated miss lies within it and its words name the labelled class
# (legacy 7 of 7, Tasks 9 of 9), as do 17 of 63 and 14 of 59 right calls.
NEAR_CUT_ERRORS = 2.0


def _hip_point_class(m: RepMetrics, th: Thresholds) -> str | None:
    """The hip-height class of the ratio itself (no error), None unmeasured."""
    h = m.hip_height_ratio
    if h is None:
        return None
    if h < th.below_parallel_max_hip_ratio:
        return "below_parallel"
    return "above_parallel" if h > th.above_parallel_min_hip_ratio else "parallel"


def _hip_clear_class(m: RepMetrics, th: Thresholds, err_scale: float = 1.0) -> str | None:
    """The hip-height class when the ratio +- its own error (hip_height_ratio_err, times
    `err_scale`) clears the cut it is near; None when the interval straddles a cut or the ratio
    is unmeasured."""
    h = m.hip_height_ratio
    if h is None:
        return None
    e = (m.hip_height_ratio_err or 0.0) * err_scale
    lo, hi = th.below_parallel_max_hip_ratio, th.above_parallel_min_hip_ratio
    if h + e < lo:
        return "below_parallel"
    if h - e > hi:
        return "above_parallel"
    if h - e >= lo and h + e <= hi:
        return "parallel"
    return None


_ORDER = ("above_parallel", "parallel", "below_parallel")


def _neighbour(m: RepMetrics, th: Thresholds, cls: str) -> str:
    """The class across the hip-height cut nearest the ratio, from `cls`."""
    h = m.hip_height_ratio
    lo, hi = th.below_parallel_max_hip_ratio, th.above_parallel_min_hip_ratio
    if cls == "parallel":
        return "below_parallel" if abs(h - lo) <= abs(h - hi) else "above_parallel"
    return "parallel"


def depth_call(m: RepMetrics, th: Thresholds, signal_bias_deg: float | None = None,
               signal_edges: tuple | None = None, err_scale: float | None = None) -> DepthCall:
    """The depth call from the bottom hip height (share of standing): it agreed best with the
    by-eye labels on real clips (cross-validated; `formcheck eval --cv`), and works in every
    view. A knee bent less than `above_parallel_max_knee_flexion_deg` seen from the side is
    above parallel whatever the hip does.

    Decided when the ratio +- its own error (hip_height_ratio_err times `err_scale`, by default
    the rep's own pose backend's RepMetrics.hip_height_ratio_err_scale: metrics.hip_err_scale_for,
    chosen by cross-validation because the standing scatter alone is too small an error: calls
    decided 1-2 of it from a cut were wrong on a third of the reps) clears the cut it is near,
    or when the thigh angle read from the depth signal (RepMetrics.depth_signal_deg, its class
    with `signal_bias_deg` and `signal_edges`, by default the rep's own pose backend's,
    RepMetrics.depth_signal_bias_deg / _edges_deg: metrics.depth_signal_class) falls in the same
    class as the ratio. Otherwise the evidence is split: "unclear", `between` the ratio's class
    and its neighbour (the signal's class when that is the neighbour, else the class across
    the nearest cut). A decided call within NEAR_CUT_ERRORS of that error of a cut names the
    class across it in `close_to` ("parallel, close to below")."""
    if (m.view != "front" and m.knee_flexion_deg is not None
            and m.knee_flexion_deg < th.above_parallel_max_knee_flexion_deg):
        return DepthCall("above_parallel")  # a knee bent this little cannot put the thigh level
    point = _hip_point_class(m, th)
    if point is None:
        return DepthCall("unclear")
    bias = next(b for b in (signal_bias_deg, m.depth_signal_bias_deg, SIGNAL_BIAS_DEG)
                if b is not None)
    edges = next(e for e in (signal_edges, m.depth_signal_edges_deg, SIGNAL_EDGES_DEG)
                 if e is not None)
    sig = depth_signal_class(m.depth_signal_deg, bias, edges)
    scale = next(k for k in (err_scale, m.hip_height_ratio_err_scale, 1.0) if k is not None)
    clear = _hip_clear_class(m, th, scale)
    if clear is not None or sig == point:
        near = _hip_clear_class(m, th, scale * NEAR_CUT_ERRORS) is None
        return DepthCall(point, close_to=_neighbour(m, th, point) if near else None)
    near = sig if sig in _ORDER and abs(_ORDER.index(sig) - _ORDER.index(point)) == 1 \
        else _neighbour(m, th, point)
    return DepthCall("unclear", (point, near))


def classify_depth(m: RepMetrics, th: Thresholds, **signal) -> str:
    """The depth class of depth_call ("unclear" when split or unmeasured)."""
    return depth_call(m, th, **signal).depth


DEPTH_SHORT = {"above_parallel": "above", "parallel": "parallel", "below_parallel": "below",
               "unclear": "unclear"}


def depth_words(depth: str, near: str | None = None) -> str:
    """A depth class in words; with `near`, the class it is within its error of ("parallel,
    close to below"). The one wording every shell shows (call_words for a rep's call)."""
    head = {"above_parallel": "above parallel", "parallel": "parallel",
            "below_parallel": "below parallel", "unclear": "unclear"}.get(depth, depth)
    return f"{head}, close to {DEPTH_SHORT[near]}" if near else head


def depth_call_words(depth: str, between: tuple = (), close_to: str | None = None) -> str:
    """A depth call in words: its class, or, when the evidence is split (`between`: the
    hip height's class and its neighbour), the two classes it is between ("parallel, close to
    below"). The report's rows and the live readout both word their call here."""
    if between:
        return depth_words(*between)
    return depth_words(depth, close_to)


def call_words(a: "RepAssessment") -> str:
    """A rep's depth call in words (depth_call_words of its assessment)."""
    return depth_call_words(a.depth, a.depth_between, a.depth_close_to)


@dataclass(frozen=True)
class _Check:
    """One limit: metric `field` of RepMetrics against threshold `limit`."""

    field: str
    limit: str
    code: str
    severity: str
    message: str          # formatted with v (the value) and lim (the limit), as strings;
                          # plain ASCII: the video overlay draws it with OpenCV's fonts
    spec: str             # how the value and the limit are printed
    under: bool = False   # flag when the value is below the limit (else above)
    views: tuple = ("side", "oblique", "front")


CHECKS = (
    _Check("knee_over_toe_ratio", "knee_over_toe_max_ratio", "knee_travel", "warn",
           "knee {v} foot lengths past the toes (limit {lim})", "+.2f"),
    _Check("shin_angle_deg", "shin_angle_max_deg", "shin_angle", "warn",
           "shin {v} deg from vertical (limit {lim})", ".0f"),
    _Check("fppa_deg", "fppa_max_deg", "knees_cave_in", "warn",
           "knees cave in: frontal knee angle {v} deg (limit {lim})", ".1f",
           views=("oblique", "front")),
    _Check("thigh_angle_deg", "depth_target_deg", "shallow", "info",
           "thigh {v} deg, target {lim}", "+.0f", under=True, views=("side", "oblique")),
    _Check("trunk_lean_deg", "trunk_lean_max_deg", "trunk_lean", "info",
           "trunk {v} deg from vertical (limit {lim})", ".0f", views=("side", "oblique")),
    _Check("heel_lift_ratio", "heel_lift_max_ratio", "heel_lift", "info",
           "heels rise {v} foot lengths off the floor (limit {lim})", ".2f"),
)
CHECK_BY_CODE = {c.code: c for c in CHECKS}


CHECK_BY_FIELD = {c.field: c for c in CHECKS}


def value_and_limit(c: _Check, v: float, lim: float, spec: str | None = None) -> tuple[str, str]:
    """(value, limit) as printed with `spec` (default: the check's). A value other than its
    limit never prints equal to it: one more decimal is shown where the usual ones would hide
    the difference (a flagged 30.1° against a 30° limit reads "30.1", not "30")."""
    spec = spec or c.spec
    for _ in range(3):
        vs, ls = fmt_num(v, spec), fmt_num(lim, spec)
        if vs != ls or v == lim:
            break
        head, nd = spec[:-1].split(".")
        spec = f"{head}.{int(nd) + 1}f"
    return vs, ls


def shown_value(field: str, v, th: Thresholds, spec: str, none: str = "n/a") -> str:
    """A reported value as tables and captions print it: with `spec`, or with the decimals it
    takes not to print equal to its limit (see `value_and_limit`)."""
    c = CHECK_BY_FIELD.get(field)
    lim = getattr(th, c.limit) if c is not None else None
    if v is None or lim is None:
        return fmt_num(v, spec, none=none)
    return value_and_limit(c, v, lim, spec)[0]


def assess_rep(m: RepMetrics, th: Thresholds) -> RepAssessment:
    """Decisions (depth, knee past toes, knees caving in), flags and a fine/flagged mark per
    metric ("n/a" where the view cannot measure it or no limit is set). The checks judge the
    values as reported (rounded as in the table), so a flag never contradicts the table."""
    flags: list[Flag] = []
    checks: dict[str, str] = {}
    for c in CHECKS:
        v, lim = reported_value(c.field, getattr(m, c.field)), getattr(th, c.limit)
        if v is None or m.view not in c.views or lim is None:
            checks[c.field] = "n/a" if v is None or m.view not in c.views else "ok"
            continue
        bad = v < lim if c.under else v > lim
        checks[c.field] = "flag" if bad else "ok"
        if bad:
            vs, ls = value_and_limit(c, v, lim)
            flags.append(Flag(c.code, c.severity, c.message.format(v=vs, lim=ls)))
    kot = reported_value("knee_over_toe_ratio", m.knee_over_toe_ratio)
    kpt = None if kot is None else kot > th.knee_past_toes_min_ratio
    cave = None if checks["fppa_deg"] == "n/a" else checks["fppa_deg"] == "flag"
    dc = depth_call(m, th)
    return RepAssessment(dc.depth, kpt, cave, tuple(flags), checks, dc.between, dc.close_to)


def _reps_with(assessments: list[RepAssessment], code: str) -> tuple:
    return tuple(i + 1 for i, a in enumerate(assessments) if any(f.code == code for f in a.flags))


def _reps_words(reps: tuple) -> str:
    return f"Rep {reps[0]}" if len(reps) == 1 else f"Reps {', '.join(map(str, reps))}"


# What a cue says a check saw: the worst value among the flagged reps and the limit.
FIRED_WORDS = {
    "knee_travel": "knee up to {v} foot lengths past the toes (limit {lim})",
    "shin_angle": "shin up to {v}° from vertical (limit {lim}°)",
    "knees_cave_in": "knees-in angle (FPPA) up to {v}° (limit {lim}°)",
    "shallow": "thigh only reached {v}° (target {lim}°, + = hip below knee)",
    "trunk_lean": "trunk up to {v}° from vertical (limit {lim}°)",
    "heel_lift": "heels up to {v} foot lengths off the floor (limit {lim})",
}


def fired(metrics: list[RepMetrics], assessments: list[RepAssessment], th: Thresholds,
          code: str) -> str:
    """'Reps 1, 3: shin up to 38° from vertical (limit 30°)': which reps check `code` flagged,
    the worst value among them and the limit; "" when it flagged none."""
    reps = _reps_with(assessments, code)
    if not reps:
        return ""
    c = CHECK_BY_CODE[code]
    vals = [reported_value(c.field, getattr(metrics[i - 1], c.field)) for i in reps]
    worst = (min if c.under else max)(v for v in vals if v is not None)
    vs, ls = value_and_limit(c, worst, getattr(th, c.limit))
    return f"{_reps_words(reps)}: {FIRED_WORDS[code].format(v=vs, lim=ls)}."


def _cave_where(metrics: list[RepMetrics], reps: tuple) -> str:
    """' Worst: rep 2, left leg, at 3.4 s (on the way down).' for the rep whose knee caved in
    most (valgus.KneeValgus: its leg and peak time)."""
    worst = max((metrics[i - 1] for i in reps), key=lambda m: m.fppa_deg or 0.0)
    v = worst.valgus
    if v is None:
        return ""
    leg = "both legs" if v.leg == "both" else f"{v.leg} leg"
    phase = "on the way down" if v.peak_s < worst.bottom_s else "on the way up" \
        if v.peak_s > worst.bottom_s else "at the bottom"
    return f" Worst: rep {worst.index}, {leg}, at {v.peak_s:.1f} s ({phase})."


def bottom_consistency(metrics: list[RepMetrics]) -> float | None:
    """Spread (standard deviation, deg) of the thigh angle at the bottom across reps."""
    vals = [m.thigh_angle_deg for m in metrics if m.thigh_angle_deg is not None and m.view != "front"]
    return float(np.std(vals)) if len(vals) >= 2 else None


def cues(metrics: list[RepMetrics], assessments: list[RepAssessment], th: Thresholds,
         view: str) -> list[Cue]:
    """Clip-level cues, most important first."""
    out: list[Cue] = []
    knee_seen = fired(metrics, assessments, th, "knee_travel")
    shin_seen = fired(metrics, assessments, th, "shin_angle")
    travel = tuple(sorted(set(_reps_with(assessments, "knee_travel"))
                          | set(_reps_with(assessments, "shin_angle"))))
    if travel:
        deep = [i for i in travel if assessments[i - 1].depth in ("parallel", "below_parallel")]
        out.append(Cue(
            "knee_travel" if knee_seen else "shin_angle",
            "Knee travels far past the toes" if knee_seen else "Shin leans far forward",
            " ".join(x for x in (knee_seen, shin_seen) if x),
            "The further the knee travels past the toes, the more the kneecap is pressed "
            "against the thigh bone (patellofemoral stress), which is what aggravates runner's knee.",
            "Sit back onto a box placed behind you: reach back with the hips and keep the shins "
            "more upright." + (" If that is hard at this depth, use a higher box or squat less "
                               "deep for now." if deep else ""),
            travel))
    cave = _reps_with(assessments, "knees_cave_in")
    if cave:
        out.append(Cue(
            "knees_cave_in", "Knees cave in",
            fired(metrics, assessments, th, "knees_cave_in") + _cave_where(metrics, cave)
            + " The knees moved inward, inside the line of the feet.",
            "Knees caving in usually points to weak outer-hip muscles (gluteus medius), and "
            "loads the kneecap unevenly.",
            "Push the knees out over the little toes. Strengthen the outer hip: crab walks with "
            "a band, banded glute bridges, side-lying leg raises.", cave))
    shallow = _reps_with(assessments, "shallow")
    if shallow:
        out.append(Cue("shallow", "Shallower than the target depth",
                       fired(metrics, assessments, th, "shallow"),
                       "Depth is set by the box: reaching it each rep makes the load repeatable.",
                       "Lower the box only when the current one is pain-free.", shallow))
    lean = _reps_with(assessments, "trunk_lean")
    if lean:
        out.append(Cue("trunk_lean", "Large forward lean", fired(metrics, assessments, th, "trunk_lean"),
                       "Some lean takes load off the knee, but a lot moves it to the lower back.",
                       "Keep the chest up while sitting back; a slightly higher box helps.", lean))
    heels = _reps_with(assessments, "heel_lift")
    if heels:
        out.append(Cue("heel_lift", "Heels come up", fired(metrics, assessments, th, "heel_lift")
                       + " The heels left the floor at the bottom.",
                       "Rising onto the toes shifts the load forward onto the knee.",
                       "Keep the weight over the mid-foot and sit back; if the ankles are stiff, "
                       "squat to a higher box for now.", heels))
    spread = bottom_consistency(metrics)
    if spread is not None and spread > 8:
        out.append(Cue("inconsistent_depth", "Bottom height varies from rep to rep",
                       f"The thigh angle at the bottom varied by {spread:.0f} deg (standard "
                       "deviation) across reps.",
                       "Box squats work because every rep meets the same height.",
                       "Touch the box with the same control every rep.", ()))
    if view == "front" and not any(m.knee_over_toe_ratio is not None for m in metrics):
        out.append(Cue("view", "Knee-over-toe needs a side view",
                       "This clip is filmed from the front.",
                       "From the front the knee's forward travel cannot be seen.",
                       "Film from the side at hip height, 2-3 m away, with the whole body and "
                       "both feet in the picture.", ()))
    if not out and metrics:
        out.append(Cue("good", "No form issues flagged",
                       "Every rep stayed within the limits in use.", "",
                       "Keep the same form as you add load.", ()))
    out.append(Cue("load", "Build load gradually",
                   "", "A sudden jump in training load is the most common trigger of runner's knee.",
                   "Add depth, weight or volume a little at a time, and only while it stays pain-free.",
                   ()))
    return out
