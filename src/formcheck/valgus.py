"""Knees caving in: the peak frontal-plane projection angle (FPPA) of each rep, and its call.

THE one definition of the per-rep value the report, the CSV/JSON, the overlay, the review player,
the PDF and the trends show (`rep_knee_valgus`), and of the per-frame angle it peaks over
(`fppa_frames`). Pure numpy; imports nothing from metrics.py (which imports this).

- FPPA (Willson & Davis 2008; Munro et al. 2012): the angle between the thigh (hip -> knee) and
  the shank (knee -> ankle) as a camera in front of the person sees them, + when the knee lies
  medial of the hip-ankle line (valgus, knees caving in).
- Per rep it is the PEAK over the descent and the ascent, not the value at the bottom: knees
  often collapse most in mid-descent or mid-ascent and are back over the feet at the deepest
  frame. Frames with the knee nearly straight are left out (the thigh less than
  KNEE_BENT_MIN_THIGH_DEG off vertical: there the angle is a standing alignment, not a collapse),
  and so are frames with the thigh near level (its picture under KNEE_LEVEL_MIN_HEIGHT_RATIO of
  its standing height: the hip sits beside the knee, and past level the angle flips to ~180).
- From the front each leg has its own peak; the rep's value is the leg that caved in more.
- At an angle (30-60 deg of yaw) a knee's forward travel shows in the picture as a sideways shift,
  toward the midline for one leg and away from it for the other. Averaging both legs' medial
  offsets cancels it (for knees that travel forward alike) and the sideways part shows shortened
  by cos(yaw), so the rep's value is both legs' FPPA with their mean offset over cos(yaw): one
  value for both legs (`leg` "both").
- The call (`caves_in`): the peak FPPA above `PUBLISHED_CUTOFF_DEG`, derived from Herrington 2014
  (see `published_cutoff_deg`), never fitted to clips.
- Beside it, the knees against the toes' line (`knee_toe_sep_ratio`, `rep_knee_toe`): the
  knees' distance apart over the toes' (foot_index) in the picture, at its smallest over the
  same rep's frames with the knees bent. By definition 1.0 puts the knees over the toes and
  under 1 inside them; the frame-to-frame spread around that frame is its error, and a rep is
  "inside" only when the ratio plus that error stays under 1.0 (`KneeToe.place`). Nothing
  fitted. It is reported, not part of the call (docs/ACCURACY.md, "Knees against the toes'
  line").
- Perspective (`perspective_undone_xy`): in a squat the knees come nearer the camera than the hips
  and ankles, so a pinhole camera draws them magnified away from the picture's centre: outward,
  and FPPA reads low (0.7-2.0 deg on the rendered grid's exact joint centres). Each point's
  offset from the picture's centre is scaled by its depth over the hips' (depth relative to the
  hips from MediaPipe's world landmarks, the hips' distance from the picture scale of the body
  in px per world metre and the focal length): the picture an orthographic camera would take.
  The focal length is the camera's when known (`PoseSequence.meta["camera_focal_px"]`, the
  rendered grid), else a phone's main camera's (`PHONE_HFOV_DEG`) with the spread of phone and
  webcam lenses (`HFOV_RANGE_DEG`) carried into `fppa_err_deg`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

# Herrington 2014 (single-leg squat, 2-D FPPA): people without pain 8.4 +- 5.1 deg, people with
# patellofemoral pain 16.8 +- 5.4 deg (mean +- SD).
HEALTHY_FPPA_DEG = (8.4, 5.1)
PFP_FPPA_DEG = (16.8, 5.4)
# Munro, Herrington & Carolan 2012: the 2-D FPPA's standard error of measurement, about 3 deg.
FPPA_SEM_DEG = 3.0
# "Knees nearly straight": the thigh less than this off vertical (the depth signal then reads
# under 1 - cos of it, 0.134; a quarter squat's thigh is 45 deg off vertical).
KNEE_BENT_MIN_THIGH_DEG = 30.0
KNEE_BENT_MIN_DEPTH = 1.0 - math.cos(math.radians(KNEE_BENT_MIN_THIGH_DEG))
# "Thigh near level": its picture's height (hip to knee, what the depth signal measures) under
# a quarter of its standing height, the thigh within 14.5 deg of level. There a 1-px error in
# the hip or knee turns the thigh's line 4x as much as standing, at level the hip sits beside
# the knee and past it the angle flips (the rendered grid read +36.7 and +179.9 deg on deep reps
# with the knees over the feet). The grid's own truth leaves FPPA undefined there too (hip less
# than 0.1 m above the knee: a 0.43 m thigh within 13.5 deg of level).
KNEE_LEVEL_MIN_HEIGHT_RATIO = 0.25
KNEE_LEVEL_MAX_DEPTH = 1.0 - KNEE_LEVEL_MIN_HEIGHT_RATIO
# At an angle the hip-knee-ankle line is judged up to this yaw (beyond it the sideways part of a
# knee's offset shows shortened by more than half, cos 60 deg).
OBLIQUE_MAX_YAW_DEG = 60.0
# The +-window (s) around the peak whose scatter adds to its uncertainty.
PEAK_WINDOW_S = 0.1
# Knees over the toes, by definition: the knees as far apart as the toes (foot_index) in the
# picture. Under it the knees are inside the line of the toes.
KNEE_OVER_TOES_SEP_RATIO = 1.0
KNEE_TOE_DECIMALS = 2   # as reported; the place is judged on the reported numbers
# The camera when the clip does not say: a phone's main camera, "26 mm" in 35-mm-equivalent terms
# (the figure phone makers give for the main lens, e.g. Apple's iPhone 13-15 technical
# specifications, "26 mm focal length"), i.e. 2 atan(18 / 26) = 69.4 deg across the 36-mm frame's
# long side. Other phones and webcams lie about 60-78 deg (24-28 mm-equivalent mains: 65-74 deg;
# Logitech's C920 webcam: 78 deg diagonal, so 70 deg across 16:9): that range is the uncertainty
# carried into fppa_err_deg.
PHONE_HFOV_DEG = 2.0 * math.degrees(math.atan(18.0 / 26.0))
HFOV_RANGE_DEG = (60.0, 78.0)
# The points whose picture-vs-world offsets from the hips set the picture's scale (px per metre
# at the hips' depth): shoulders, hips, knees, ankles.
_SCALE_POINTS = (11, 12, 23, 24, 25, 26, 27, 28)
_SCALE_ITERATIONS = 4   # the scale refitted on the undone picture: 4 bring it within 1e-4 deg


def published_cutoff_deg(healthy=HEALTHY_FPPA_DEG, pain=PFP_FPPA_DEG,
                         sem_deg: float = FPPA_SEM_DEG) -> float:
    """The FPPA above which a reading is more likely from the painful group than the healthy one:
    where the two published normal distributions, each widened by the measurement's own error
    (SEM added in quadrature: our reading of a healthy knee scatters by both), have equal density.
    With equal priors that is the cut that maximises balanced accuracy; it lies between the two
    means (12.67 deg without the SEM, 12.70 with it)."""
    (m1, s1), (m2, s2) = healthy, pain
    s1, s2 = math.hypot(s1, sem_deg), math.hypot(s2, sem_deg)
    a = 1.0 / (2 * s2 ** 2) - 1.0 / (2 * s1 ** 2)
    b = m1 / s1 ** 2 - m2 / s2 ** 2
    c = m2 ** 2 / (2 * s2 ** 2) - m1 ** 2 / (2 * s1 ** 2) - math.log(s1 / s2)
    if abs(a) < 1e-12:
        return -c / b
    roots = np.roots([a, b, c])
    inside = [float(r.real) for r in roots if abs(r.imag) < 1e-9 and m1 <= r.real <= m2]
    return inside[0]


PUBLISHED_CUTOFF_DEG = round(published_cutoff_deg(), 1)


def fppa(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, medial_sign) -> np.ndarray:
    """Frontal-plane projection angle in the picture: 180 - hip-knee-ankle, signed +ve when the
    knee lies on the medial side (toward `medial_sign` in x) of the hip-ankle line."""
    hip, knee, ankle = (np.asarray(p, float) for p in (hip, knee, ankle))
    u, v = hip - knee, ankle - knee
    with np.errstate(all="ignore"):
        cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
        ang = 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
        frac = (knee[..., 1] - hip[..., 1]) / (ankle[..., 1] - hip[..., 1])
        line_x = hip[..., 0] + frac * (ankle[..., 0] - hip[..., 0])
    side = np.sign((knee[..., 0] - line_x) * medial_sign)
    return ang * np.where(side == 0, 1.0, side)


def focal_px_for(width_px: float, height_px: float, hfov_deg: float = PHONE_HFOV_DEG) -> float:
    """A camera's focal length in px whose field of view across the picture's long side is
    `hfov_deg` (phones film portrait or landscape; the lens's wide side is the long one)."""
    return 0.5 * max(width_px, height_px) / math.tan(math.radians(hfov_deg) / 2.0)


def perspective_undone_xy(xy: np.ndarray, world_m: np.ndarray, width_px: float,
                          height_px: float, focal_px: float) -> np.ndarray:
    """(N, 33, 2) the picture an orthographic camera at the hips' distance would take: each
    point's offset from the picture's centre times (Z_hips + z) / Z_hips, z its depth relative to
    the hips' midpoint (world landmarks, metres, + away from the camera) and Z_hips = focal_px /
    (px per metre), the scale fitted per frame (least squares) to the shoulders', hips', knees'
    and ankles' picture offsets from the hips' midpoint against their world offsets (refitted on
    the undone picture, since the knees' own magnification inflates the first fit). A point or
    a frame without world landmarks keeps its picture position. Exact for a pinhole camera with
    its principal point at the picture's centre when the world landmarks are exact."""
    xy = np.asarray(xy, float)
    w = np.asarray(world_m, float)
    c = np.array([width_px / 2.0, height_px / 2.0])
    idx = list(_SCALE_POINTS)
    with np.errstate(all="ignore"):
        hw = (w[:, 23] + w[:, 24]) / 2.0
        dw = (w[:, idx] - hw[:, None])[..., :2]
        rel_z = w[..., 2] - hw[:, None, 2]
        out = xy
        for _ in range(_SCALE_ITERATIONS):
            # the scale from the picture as undone so far (first the picture itself): its
            # fixed point is the orthographic picture's own scale, focal_px / Z_hips
            hp = (out[:, 23] + out[:, 24]) / 2.0
            dp = out[:, idx] - hp[:, None]
            ok = np.isfinite(dp).all(-1) & np.isfinite(dw).all(-1)
            num = np.where(ok, np.sum(dp * dw, -1), 0.0).sum(-1)
            den = np.where(ok, np.sum(dw * dw, -1), 0.0).sum(-1)
            px_per_m = np.where(den > 0, num / den, np.nan)
            out = c + (xy - c) * (1.0 + rel_z * px_per_m[:, None] / focal_px)[..., None]
    return np.where(np.isfinite(out), out, xy)


# (hip, knee, ankle) landmark indices per leg (BlazePose)
_LEGS = {"left": (23, 25, 27), "right": (24, 26, 28)}


def _medial_signs(xy: np.ndarray) -> dict:
    mid = (xy[:, 23, 0] + xy[:, 24, 0]) / 2.0
    return {leg: np.sign(mid - xy[:, h, 0]) for leg, (h, _k, _a) in _LEGS.items()}


def fppa_frames(xy: np.ndarray, yaw_deg=0.0, both_legs: bool = False) -> dict:
    """Per frame (N,) FPPA, deg, +ve knee medial: {"left", "right"} each leg's in the picture; with
    `both_legs` (at an angle) also "both": one symmetric leg whose knee sits at both legs' mean
    medial offset from the hip-ankle line and whose ankle at their mean lateral offset from the
    hip, each over cos(yaw) (the forward travel cancels, the sideways part is restored). Exact
    for legs alike in 3-D seen without perspective."""
    xy = np.asarray(xy, float)
    med = _medial_signs(xy)
    out = {leg: fppa(xy[:, h], xy[:, k], xy[:, a], med[leg]) for leg, (h, k, a) in _LEGS.items()}
    if both_legs:
        # One symmetric leg rebuilt from both: the knee's medial offset from the hip-ankle line
        # and the ankle's lateral offset from the hip, each the legs' mean (the forward parts,
        # alike for both legs, show in opposite medial directions and cancel) over cos(yaw).
        cos = np.cos(np.radians(np.clip(np.asarray(yaw_deg, float), 0.0, OBLIQUE_MAX_YAW_DEG)))
        d, out_ah, ys = [], [], {0: [], 1: [], 2: []}
        with np.errstate(all="ignore"):
            for leg, (h, k, a) in _LEGS.items():
                H, K, A = xy[:, h], xy[:, k], xy[:, a]
                line = H[:, 0] + (K[:, 1] - H[:, 1]) / (A[:, 1] - H[:, 1]) * (A[:, 0] - H[:, 0])
                d.append((K[:, 0] - line) * med[leg])
                out_ah.append((A[:, 0] - H[:, 0]) * -med[leg])
                for j, P in enumerate((H, K, A)):
                    ys[j].append(P[:, 1])
            D, AH = (np.mean(np.stack(v), axis=0) / cos for v in (d, out_ah))
            hy, ky, ay = (np.mean(np.stack(ys[j]), axis=0) for j in range(3))
            hip = np.stack([np.zeros_like(hy), hy], axis=-1)
            ankle = np.stack([AH, ay], axis=-1)
            knee = np.stack([AH * (ky - hy) / (ay - hy) - D, ky], axis=-1)
        out["both"] = fppa(hip, knee, ankle, -1.0)
    return out


@dataclass(frozen=True)
class LegPeak:
    """One leg's peak FPPA over a rep (or both legs' at an angle)."""

    fppa_deg: float
    fppa_err_deg: float
    peak_s: float
    peak_i: int                  # frame index in the analysed sequence
    knee_ankle_sep_ratio: float | None   # knees' over ankles' distance in the picture, then


@dataclass(frozen=True)
class KneeToe:
    """The knees against the toes' line over one rep: the knees' distance apart over the toes'
    at its smallest over the frames with the knees bent (`rep_knee_toe`)."""

    ratio: float                 # knees' separation / toes' separation in the picture, smallest
    err_ratio: float             # one standard error: the scatter within PEAK_WINDOW_S of it
    at_s: float
    at_i: int                    # frame index in the analysed sequence

    @property
    def upper_ratio(self) -> float:
        """The ratio plus its error, as reported: under 1.0 the knees are clearly inside."""
        return round(round(self.ratio, KNEE_TOE_DECIMALS) + round(self.err_ratio, KNEE_TOE_DECIMALS),
                     KNEE_TOE_DECIMALS)

    @property
    def place(self) -> str:
        """"inside" (ratio + error under 1.0: knees clearly inside the toes' line), "outside"
        (ratio - error over 1.0), else "over" (over the toes within the reading's own error).
        Judged on the numbers as reported (KNEE_TOE_DECIMALS), so it never contradicts them."""
        r, e = round(self.ratio, KNEE_TOE_DECIMALS), round(self.err_ratio, KNEE_TOE_DECIMALS)
        if self.upper_ratio < KNEE_OVER_TOES_SEP_RATIO:
            return "inside"
        if round(r - e, KNEE_TOE_DECIMALS) > KNEE_OVER_TOES_SEP_RATIO:
            return "outside"
        return "over"


KNEE_TOE_WORDS = {"inside": "inside the toes' line", "over": "over the toes",
                  "outside": "outside the toes' line"}


def knee_toe_text(fields: dict, short: bool = False, plain: bool = False) -> str:
    """A rep's knees-against-the-toes reading in words, from its report fields (report_fields:
    the numbers as the table shows them): "knees 0.87 ± 0.02 of the toes' distance apart:
    inside the toes' line"; `short` "0.87 ± 0.02, inside the toes' line" (the table);
    `plain` ASCII "+-" (the video overlay draws with OpenCV's fonts). "" when unmeasured."""
    r, e, place = (fields.get(k) for k in ("knee_toe_ratio", "knee_toe_err_ratio",
                                           "knee_toe_place"))
    if r is None or e is None or place is None:
        return ""
    pm = "+-" if plain else "±"
    where = KNEE_TOE_WORDS[place]
    if short:
        return f"{r:.2f} {pm} {e:.2f}, {where}"
    return f"knees {r:.2f} {pm} {e:.2f} of the toes' distance apart: {where}"


@dataclass(frozen=True)
class KneeValgus:
    """Knees caving in over one rep: the peak FPPA, which leg, when, and the separation then."""

    fppa_deg: float              # the rep's value: the leg that caved in more (front), both (angle)
    fppa_err_deg: float          # one standard error
    leg: str                     # "left" / "right" / "both"
    peak_s: float
    peak_i: int
    knee_ankle_sep_ratio: float | None
    legs: dict                   # "left"/"right" (front) or "both" (angle) -> LegPeak
    bottom_fppa_deg: float | None   # the same reading at the bottom frame (None: thigh near level)
    source: str                  # "front_per_leg" | "angle_both_legs"
    knee_toe: KneeToe | None = None   # the knees against the toes' line (None: knee_toe_why)
    knee_toe_why: str = ""
    # perspective_undone_xy: how much it added to the value at the peak frame (deg; None: not
    # applied, no world landmarks); reported as fppa_perspective_deg, so the plain picture's
    # FPPA, the one the published figures were read on, is fppa_deg minus it
    perspective_deg: float | None = None

    def caves_in(self, cutoff_deg: float = PUBLISHED_CUTOFF_DEG) -> bool:
        return self.fppa_deg > cutoff_deg


def knee_ankle_sep_ratio(xy_frame: np.ndarray) -> float | None:
    """Knees' horizontal distance over the ankles' in the picture, one frame (33, 2): the
    knee-to-ankle separation ratio of 2-D screening (< 1: knees inside the ankles)."""
    ank = abs(xy_frame[27, 0] - xy_frame[28, 0])
    kn = abs(xy_frame[25, 0] - xy_frame[26, 0])
    if not (np.isfinite(ank) and np.isfinite(kn)) or ank < 1e-6:
        return None
    return float(kn / ank)


def knee_toe_sep_ratio(xy: np.ndarray) -> np.ndarray:
    """(N,) the knees' horizontal distance apart over the toes' (foot_index) in the picture,
    each taken from the right leg's point toward the left's as the hips lie (so knees that
    cross read negative): 1.0 knees over the toes, < 1 inside the toes' line. NaN where a
    point is missing or the toes are not apart. At an angle both distances shrink alike by
    cos(yaw) (legs alike: their forward parts cancel), so it needs no yaw."""
    xy = np.asarray(xy, float)
    with np.errstate(all="ignore"):
        s = np.sign(xy[:, 23, 0] - xy[:, 24, 0])
        knees = (xy[:, 25, 0] - xy[:, 26, 0]) * s
        toes = (xy[:, 31, 0] - xy[:, 32, 0]) * s
        return np.where(toes > 0, knees / toes, np.nan)


def _spread(vals: np.ndarray, idx: np.ndarray, t_s, i: int) -> float:
    """The scatter (SD) of vals within PEAK_WINDOW_S of frame i (idx: vals' frame indices)."""
    near = (np.abs(t_s[idx] - t_s[i]) <= PEAK_WINDOW_S) & np.isfinite(vals)
    win = vals[near]
    return float(np.std(win)) if win.size > 1 else 0.0


def rep_knee_toe(xy: np.ndarray, t_s: np.ndarray, bent: np.ndarray) -> KneeToe | None:
    """The knees against the toes' line over one rep's frames `bent` (knees bent: descent,
    bottom and ascent): knee_toe_sep_ratio at its smallest, when, and its error (the scatter
    within PEAK_WINDOW_S); None when the knees or toes were never seen there."""
    vals = knee_toe_sep_ratio(xy[bent])
    ok = np.isfinite(vals)
    if not ok.any():
        return None
    j = int(np.argmin(np.where(ok, vals, np.inf)))
    i = int(bent[j])
    return KneeToe(float(vals[j]), _spread(vals, bent, t_s, i), float(t_s[i]), i)


def knee_toe_why(v: KneeValgus | None, fppa_why: str = "") -> str:
    """Why a rep has no knees-against-the-toes reading ("" if it has): the knees-in reading's
    own reason when there is none (the view, straight knees), else the toes' (not tracked)."""
    return fppa_why if v is None else ("" if v.knee_toe is not None else v.knee_toe_why)


def _peak(vals: np.ndarray, idx: np.ndarray, xy, t_s, sem_deg: float) -> LegPeak | None:
    ok = np.isfinite(vals)
    if not ok.any():
        return None
    j = int(np.argmax(np.where(ok, vals, -np.inf)))
    i = int(idx[j])
    spread = _spread(vals, idx, t_s, i)
    return LegPeak(float(vals[j]), float(math.hypot(sem_deg, spread)), float(t_s[i]), i,
                   knee_ankle_sep_ratio(xy[i]))


def why_not_measured(view: str, yaw_deg: float) -> str:
    """Why a rep seen in `view` (at `yaw_deg`) has no knees-caving-in reading ("" if it has)."""
    if view == "side":
        return ("side view: knees caving in can only be judged from the front; film from the "
                "front at knee height")
    if view == "oblique" and np.isfinite(yaw_deg) and yaw_deg > OBLIQUE_MAX_YAW_DEG:
        return (f"turned {yaw_deg:.0f} deg from the camera: knees caving in is judged from the "
                f"front or up to {OBLIQUE_MAX_YAW_DEG:.0f} deg; film from the front at knee height")
    if view not in ("front", "oblique"):
        return "the view is unknown for this rep: film from the front at knee height"
    return ""


def rep_knee_valgus(xy: np.ndarray, t_s: np.ndarray, depth: np.ndarray, yaw_deg: np.ndarray,
                    start_i: int, end_i: int, bottom_i: int, view: str,
                    world_m: np.ndarray | None = None, size_px: tuple | None = None,
                    focal_px: float | None = None) -> tuple[KneeValgus | None, str]:
    """(reading, "") or (None, the reason in the user's words) for one rep: the peak FPPA over
    its frames with the knee bent and the thigh not near level (descent and ascent; `depth`
    between KNEE_BENT_MIN_DEPTH and KNEE_LEVEL_MAX_DEPTH), per leg from the front, both legs at
    an angle; its time, frame, the knee-to-ankle separation ratio then, and its uncertainty
    (the FPPA's SEM, over cos(yaw) at an angle, with the scatter within 0.1 s of the peak).
    With it the knees against the toes' line (rep_knee_toe) over every frame with the knees
    bent, the bottom included (a separation has no trouble with a level thigh).

    With `world_m` and `size_px` (width, height) the FPPA is read on the picture with the
    perspective undone (perspective_undone_xy) at `focal_px`, or, unknown, at a phone's
    (PHONE_HFOV_DEG), half the change across HFOV_RANGE_DEG at the peak frame then added to the
    error in quadrature. The separation ratios stay the picture's."""
    rng = np.arange(start_i, end_i + 1)
    yaw = float(np.nanmedian(yaw_deg[rng])) if np.isfinite(yaw_deg[rng]).any() else float("nan")
    why = why_not_measured(view, yaw)
    if why:
        return None, why
    d = np.nan_to_num(depth[rng], nan=-1.0)
    if not (d >= KNEE_BENT_MIN_DEPTH).any():
        return None, (f"the knees stayed nearly straight (thighs under "
                      f"{KNEE_BENT_MIN_THIGH_DEG:.0f} deg off vertical): no knees-in angle to read")
    bent = rng[(d >= KNEE_BENT_MIN_DEPTH) & (d <= KNEE_LEVEL_MAX_DEPTH)]
    if bent.size == 0:
        return None, ("the thighs went from nearly straight to about level between two frames: "
                      "no frame to read the knees-in angle on; film at a higher frame rate")
    angle = view == "oblique"
    persp = world_m is not None and size_px is not None
    f0 = (focal_px or focal_px_for(*size_px)) if persp else None

    def read(ix, f=f0):
        pts = perspective_undone_xy(xy[ix], world_m[ix], *size_px, f) if persp else xy[ix]
        return fppa_frames(pts, yaw_deg[ix], both_legs=angle)

    frames = read(bent)
    keys = ("both",) if angle else ("left", "right")
    sem = FPPA_SEM_DEG / (math.cos(math.radians(min(yaw, OBLIQUE_MAX_YAW_DEG))) if angle else 1.0)
    legs = {k: p for k in keys if (p := _peak(frames[k], bent, xy, t_s, sem)) is not None}
    if not legs:
        return None, ("the hips, knees or ankles were not tracked while the knees were bent: keep "
                      "both legs in the picture")
    if persp and not focal_px:
        # the lens is unknown: half the reading's change across the range of phone/webcam lenses
        lo, hi = (read(bent, focal_px_for(*size_px, h)) for h in HFOV_RANGE_DEG)
        for k, lp in legs.items():
            j = int(np.searchsorted(bent, lp.peak_i))
            e_f = abs(float(lo[k][j]) - float(hi[k][j])) / 2.0
            if np.isfinite(e_f):
                legs[k] = replace(lp, fppa_err_deg=float(math.hypot(lp.fppa_err_deg, e_f)))
    leg = max(legs, key=lambda k: legs[k].fppa_deg)
    p = legs[leg]
    persp_deg = None
    if persp:
        plain = fppa_frames(xy[[p.peak_i]], yaw_deg[[p.peak_i]], both_legs=angle)[leg][0]
        persp_deg = float(p.fppa_deg - plain) if np.isfinite(plain) else None
    bottom = None
    if bottom_i in set(bent.tolist()):
        b = read(np.array([bottom_i]))
        vals = [float(b[k][0]) for k in keys if np.isfinite(b[k][0])]
        bottom = max(vals) if vals else None
    toe = rep_knee_toe(xy, t_s, rng[d >= KNEE_BENT_MIN_DEPTH])
    toe_why = "" if toe is not None else (
        "the knees or the toes were not tracked while the knees were bent: keep the feet in "
        "the picture")
    return KneeValgus(p.fppa_deg, p.fppa_err_deg, leg, p.peak_s, p.peak_i, p.knee_ankle_sep_ratio,
                      legs, bottom, "angle_both_legs" if angle else "front_per_leg", toe,
                      toe_why, persp_deg), ""


REPORT_FIELDS = ("fppa_err_deg", "fppa_leg", "fppa_peak_s", "fppa_left_deg", "fppa_right_deg",
                 "fppa_bottom_deg", "fppa_perspective_deg", "knee_ankle_sep_ratio",
                 "knee_toe_ratio", "knee_toe_err_ratio", "knee_toe_s", "knee_toe_place")


def report_fields(v: KneeValgus | None) -> dict:
    """The knees-caving-in fields of a rep as the JSON/CSV report them (None where unmeasured);
    `fppa_deg` itself is RepMetrics.fppa_deg (= v.fppa_deg)."""
    if v is None:
        return dict.fromkeys(REPORT_FIELDS)

    def r(x, nd=1):
        return None if x is None or not np.isfinite(x) else round(float(x), nd) + 0.0

    legs = v.legs
    kt = v.knee_toe
    return {"fppa_err_deg": r(v.fppa_err_deg), "fppa_leg": v.leg, "fppa_peak_s": r(v.peak_s, 3),
            "fppa_left_deg": r(legs["left"].fppa_deg) if "left" in legs else None,
            "fppa_right_deg": r(legs["right"].fppa_deg) if "right" in legs else None,
            "fppa_bottom_deg": r(v.bottom_fppa_deg),
            "fppa_perspective_deg": r(v.perspective_deg),
            "knee_ankle_sep_ratio": r(v.knee_ankle_sep_ratio, 2),
            "knee_toe_ratio": None if kt is None else r(kt.ratio, KNEE_TOE_DECIMALS),
            "knee_toe_err_ratio": None if kt is None else r(kt.err_ratio, KNEE_TOE_DECIMALS),
            "knee_toe_s": None if kt is None else r(kt.at_s, 3),
            "knee_toe_place": None if kt is None else kt.place}
