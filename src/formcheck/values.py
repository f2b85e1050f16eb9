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
