"""Numbers as formcheck reports and prints them: one clean-float rule and one display rule.

A leaf module (imports nothing from formcheck), so every layer can use it.
"""

from __future__ import annotations

import math
import re

# The decimals each per-rep value (a RepMetrics field) is reported with. The JSON, the CSV, the
# store's rep rows, the set summary, the flags and the cues all use the value rounded to these,
# so no two places show different numbers for the same rep.
DECIMALS = {
    "start_s": 3, "bottom_s": 3, "end_s": 3,
    "thigh_angle_deg": 1, "knee_flexion_deg": 1, "hip_height_ratio": 3,
    "knee_over_toe_px": 1, "knee_over_toe_ratio": 3, "shin_angle_deg": 1, "trunk_lean_deg": 1,
    "fppa_deg": 1, "heel_lift_ratio": 3, "descent_s": 2, "pause_s": 2, "ascent_s": 2,
}


def clean_float(x, nd: int | None = None) -> float | None:
    """`x` as a float, None when it is None, NaN or infinite; rounded to `nd` decimals if given.
    "-0.0" comes out as 0.0."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    if nd is not None:
        x = round(x, nd)
    return x + 0.0   # -0.0 -> 0.0


def reported_value(name: str, x) -> float | None:
    """RepMetrics field `name`'s value `x` as it is reported (see DECIMALS)."""
    return clean_float(x, DECIMALS.get(name))


def fmt_num(x, spec: str, unit: str = "", none: str = "n/a") -> str:
    """`x` formatted with `spec` plus `unit`, or `none` when there is no finite value. A value
    that rounds to zero prints without a sign ("0.00", not "-0.00" or "+0.00")."""
    x = clean_float(x)
    if x is None:
        return none
    if spec.endswith("d"):
        return format(int(x), spec) + unit
    out = format(x, spec)
    if out.strip().lstrip("+-").strip("0.") == "":
        width = re.match(r"[+\- ]?0?(\d*)", spec).group(1)
        out = out.strip().lstrip("+-").rjust(int(width or 0))
    return out + unit


# The smallest span a chart's value axis shows, by unit: a change smaller than this must not
# fill the plot (0.1° spread over a whole axis looks like a trend). Used by the app's charts
# and the PDF's plots alike.
MIN_AXIS_SPAN = {"deg": 10.0, "ratio": 0.2, "s": 1.0, "count": 4.0}


def min_axis_span(name: str) -> float:
    """The minimum axis span for a quantity named with its unit suffix (`_deg`, `_ratio`, `_s`);
    counts otherwise."""
    for unit in ("deg", "ratio", "s"):
        if name.endswith("_" + unit) or name == unit:
            return MIN_AXIS_SPAN[unit]
    return MIN_AXIS_SPAN["count"]


def axis_range(values, min_span: float, pad_ratio: float = 0.08) -> tuple[float, float] | None:
    """(low, high) for a value axis showing `values` (None/NaN skipped, plus any limits the
    caller adds): the data's range padded by `pad_ratio`, widened about its middle to at least
    `min_span`. None when there is no finite value."""
    xs = [v for v in (clean_float(x) for x in values) if v is not None]
    if not xs:
        return None
    lo, hi = min(xs), max(xs)
    pad = (hi - lo) * pad_ratio
    lo, hi = lo - pad, hi + pad
    if hi - lo < min_span:
        mid = (lo + hi) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    return lo, hi
