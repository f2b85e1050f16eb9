"""The box in the rep: contact with the box, how long, how high, and "use a higher box" as a number.

Pure numpy on per-frame series the measurement core already has (metrics.Series); each quantity
has its one definition here and metrics.rep_metrics calls it for the clip and the live path.

* Contact: the hip's descent stops on a plateau and holds. At the bottom of a rep, let w(b) be
  how long the hip height stays within b (a share of the standing hip height) of its lowest
  level. A free turnaround is parabolic near its lowest point, so its w grows as sqrt(b); a hold
  of P seconds adds P at every b. With w measured at b and 4b, P = 2 w(b) - w(4 b): 0 for a free
  turnaround whatever its speed, the held time for a box contact (touch-and-go: a short hold;
  paused sit: Thresholds.box_pause_min_s or longer).
* Box height: the hip height over the contact plateau, as a share of the standing hip height
  and of the knee height (the standing shin length, knee above the ankle); in centimetres when
  the person's height or shin length is given (cm_per_shin).
* Higher box: during the descent, the knee's travel past the toes (foot lengths) against the hip
  height (shin lengths); the hip height at which the knee passes the profile's limit, less the
  rep's bottom hip height, is how much higher a box would keep the knee within the limit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

CONTACT_BAND_RATIO = 0.02     # b: a share of the standing hip height
CONTACT_MIN_S = 0.06          # a hold at least this long is a contact (1.5 frames at 24 fps)
# Hip joint centre above the ankle joint centre, per body height: greater trochanter 0.530 H
# less ankle 0.039 H (Drillis & Contini 1966, as tabulated in Winter, Biomechanics and Motor
# Control of Human Movement, 4th ed., fig. 4.1).
HIP_ABOVE_ANKLE_PER_HEIGHT = 0.491
# Box height across the reps on the box: a spread (max - min) above this share of the standing
# hip height is called inconsistent (about 4 cm for an adult; a box does not change height).
BOX_SPREAD_MAX_RATIO = 0.05


def _run_width_s(t_s: np.ndarray, h: np.ndarray, k: int, level: float) -> float:
    """How long h stays at or below `level` around sample k, with the crossings interpolated
    between samples (NaN samples end the run)."""
    n = len(h)
    a = k
    while a > 0 and np.isfinite(h[a - 1]) and h[a - 1] <= level:
        a -= 1
    b = k
    while b < n - 1 and np.isfinite(h[b + 1]) and h[b + 1] <= level:
        b += 1

    def cross(i_in: int, i_out: int) -> float:
        if not (0 <= i_out < n) or not np.isfinite(h[i_out]) or h[i_out] == h[i_in]:
            return float(t_s[i_in])
        f = (level - h[i_in]) / (h[i_out] - h[i_in])
        return float(t_s[i_in] + f * (t_s[i_out] - t_s[i_in]))

    return cross(b, b + 1) - cross(a, a - 1)


def lowest(h: np.ndarray) -> tuple[int, float]:
    """(index, level) of the lowest point of a series, robust to a single stray sample: the
    lowest 3-sample running median ((-1, NaN) when nothing is measured)."""
    h = np.asarray(h, dtype=np.float64)
    if not np.isfinite(h).any():
        return -1, float("nan")
    pad = np.concatenate([h[:1], h, h[-1:]])
    with warnings.catch_warnings():   # windows with no sample are NaN, as they should be
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(np.stack([pad[:-2], pad[1:-1], pad[2:]]), axis=0)
    k = int(np.nanargmin(med))
    return k, float(med[k])


def hold_s(t_s: np.ndarray, hip_ratio: np.ndarray, band: float = CONTACT_BAND_RATIO
           ) -> tuple[float, int, float]:
    """(held time s, index of the lowest point, lowest level) of a rep's hip height ratio
    (hip height / standing hip height, per frame): P = 2 w(band) - w(4 band), at least 0."""
    h = np.asarray(hip_ratio, dtype=np.float64)
    k, low = lowest(h)
    if k < 0:
        return 0.0, -1, float("nan")
    w1 = _run_width_s(t_s, h, k, low + band)
    w4 = _run_width_s(t_s, h, k, low + 4 * band)
    return max(0.0, 2 * w1 - w4), k, low


def box_contact(t_s: np.ndarray, hip_ratio: np.ndarray, shin_per_standing_hip: float
                ) -> tuple[bool, float | None, float | None, float | None]:
    """(on the box, contact s, hip height ratio at contact, hip height per knee height at
    contact) of one rep from its per-frame hip height ratio. Values None when off the box
    (or unmeasured); `shin_per_standing_hip` = standing shin length / standing hip height."""
    held, k, low = hold_s(t_s, hip_ratio)
    if k < 0 or held < CONTACT_MIN_S:
        return False, None, None, None
    h = np.asarray(hip_ratio, dtype=np.float64)
    on = h[np.isfinite(h) & (h <= low + CONTACT_BAND_RATIO)]
    ratio = float(np.median(on))
    per_knee = ratio / shin_per_standing_hip if shin_per_standing_hip > 0 else None
    return True, held, ratio, per_knee


def sit_kind(contact_s: float | None, box_pause_min_s: float) -> str | None:
    """"paused_sit" (held at least box_pause_min_s), "touch_and_go", or None (no contact)."""
    if contact_s is None:
        return None
    return "paused_sit" if contact_s >= box_pause_min_s else "touch_and_go"


def box_spread_ratio(ratios: Sequence[float | None]) -> float | None:
    """Box-height consistency across reps: max - min of the hip height ratio at contact over
    the reps on the box (None with fewer than two)."""
    vals = [r for r in ratios if r is not None]
    return float(max(vals) - min(vals)) if len(vals) >= 2 else None


def descent_profile(hip_shin: np.ndarray, kot_ratio: np.ndarray) -> tuple[tuple[float, float], ...]:
    """The (hip height in shin lengths, knee-over-toe in foot lengths) pairs of a descent's
    frames, in time order, where both are measured: what higher_box_shin reads."""
    ok = np.isfinite(hip_shin) & np.isfinite(kot_ratio)
    return tuple((round(float(h), 4), round(float(k), 4))
                 for h, k in zip(hip_shin[ok], kot_ratio[ok]))


def higher_box_shin(profile: Sequence[tuple[float, float]], bottom_hip_shin: float | None,
                    bottom_kot_ratio: float | None, limit_ratio: float) -> float | None:
    """How much higher (shin lengths) the bottom of this rep must be for the knee to stay
    within `limit_ratio` foot lengths past the toes: 0.0 when it already does, None when
    unknown (knee-over-toe unmeasured, or the descent never crossed the limit on camera).

    The crossing is where the descent's knee-over-toe (3-sample running median) first exceeds
    the limit; the hip height there comes from a straight-line fit of knee-over-toe against hip
    height over the 7 frames around it."""
    if bottom_kot_ratio is None or bottom_hip_shin is None:
        return None
    if bottom_kot_ratio <= limit_ratio:
        return 0.0
    if len(profile) < 3:
        return None
    hip = np.array([p[0] for p in profile])
    kot = np.array([p[1] for p in profile])
    pad = np.concatenate([kot[:1], kot, kot[-1:]])
    med = np.median(np.stack([pad[:-2], pad[1:-1], pad[2:]]), axis=0)
    above = np.flatnonzero(med > limit_ratio)
    if not above.size or above[0] == 0:
        return None
    k = int(above[0])
    sl = slice(max(0, k - 3), min(len(hip), k + 4))
    x, y = hip[sl], kot[sl]
    if np.ptp(x) <= 0 or np.ptp(y) <= 0:
        return None
    slope, icpt = np.polyfit(x, y, 1)
    if slope >= 0:      # knee travel must grow as the hip goes down
        return None
    cross = (limit_ratio - icpt) / slope
    return max(0.0, float(cross - bottom_hip_shin))


def cm_per_shin(standing_hip_per_shin: float, height_cm: float | None = None,
                shin_cm: float | None = None) -> float | None:
    """Centimetres in one shin length of this person: the shin length given, or the height
    given times HIP_ABOVE_ANKLE_PER_HEIGHT over the standing hip height in shin lengths."""
    if shin_cm:
        return float(shin_cm)
    if height_cm and np.isfinite(standing_hip_per_shin) and standing_hip_per_shin > 0:
        return float(height_cm) * HIP_ABOVE_ANKLE_PER_HEIGHT / standing_hip_per_shin
    return None


def higher_box_amount(raise_shin: float, raise_cm: float | None) -> str:
    """How much higher, in words: "20 cm" with the person's size, else "0.47 shin lengths"."""
    return f"{raise_cm:.0f} cm" if raise_cm is not None else f"{raise_shin:.2f} shin lengths"


def advice_text(raise_shin: float | None, limit_ratio: float, raise_cm: float | None,
                short: bool = False) -> str:
    """The words for a rep's higher-box number (report.box_fields' `box_advice`, and the
    annotated video's short form): `raise_shin` / `raise_cm` = higher_box_shin / higher_box_cm
    as reported (cm None when the person's size is unknown). "" when unknown. The short form is
    ASCII and a few words (the video's fonts have no other characters)."""
    if raise_shin is None:
        return ""
    if raise_shin == 0.0:
        if short:
            return "knee stayed within the limit"
        return (f"The knee stayed within the limit ({limit_ratio:+.2f} foot lengths past the "
                "toes) at this depth.")
    how_much = higher_box_amount(raise_shin, raise_cm)
    if short:
        return f"a box {how_much} higher keeps the knee within the limit"
    return (f"The knee passed the limit near the bottom: a box about {how_much} higher would "
            "keep it within the limit"
            + ("." if raise_cm is not None else " (give the height of the person filmed for centimetres)."))
