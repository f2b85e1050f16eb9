"""Honest figures: every constant fitted on the labelled clips, chosen by cross-validation.

Leave-one-source-out: the clips are grouped by the source repository (the file-name prefix
before "__"); each source in turn is held out, the constant is chosen on the other sources, and
the held-out clips are scored with that choice. The in-sample figure (chosen on, and scored on,
all clips) is printed beside it, with each clip's margin to the boundaries it is classed by.

Constants covered: the minimum rep depth (RepSettings.min_depth, the profile's
min_rep_depth_ratio), the hip-height depth cuts (Thresholds.below/above_parallel_*_hip_ratio:
the report's depth class) with the factor on the hip ratio's error in the depth call
(metrics.HIP_ERR_SCALE_BY_BACKEND), the thigh angle's keypoint-bias correction (metrics.THIGH_BIAS_DEG,
against the joint centres marked in DEPTH_POINTS.tsv) with the thigh-angle band edges
(metrics.DEPTH_EDGES_DEG; a secondary class), the knee-past-toes cut
(knee_past_toes_min_ratio) and the knees-caving-in threshold of each candidate measurement. The
view cut-offs (view.SIDE_MIN_YAW_DEG, view.FRONT_MAX_YAW_DEG: the nearest canonical view) are
not fitted, so their in-sample and cross-validated figures are the same by construction; the
view cut-offs the labels would choose are cross-validated beside them for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from .analysis import analyze_sequence
from .evaluate import LABEL_VIEW, _split, match_reps
from .feedback import classify_depth
from .geometry import nanmedian_or_nan
from .landmarks import PoseSequence
from .metrics import (DEPTH_EDGES_DEG, SIGNAL_BIAS_DEG, SIGNAL_EDGES_DEG, STANDING_DEPTH,
                      THIGH_BIAS_DEG, depth_class_from_angle, depth_signal_class,
                      knee_ankle_separation_px_ratio,
                      knee_ankle_separation_ratio, medial_knee_displacement_ratio)
from .reps import settings_for_min_depth
from .thresholds import Thresholds
from .valgus import KNEE_OVER_TOES_SEP_RATIO
from .view import FRONT_MAX_YAW_DEG, SIDE_MIN_YAW_DEG

MIN_DEPTH_GRID = (0.15, 0.18, 0.2, 0.22, 0.25, 0.28, 0.3, 0.34, 0.38, 0.42)
HIP_LO_GRID = tuple(round(x, 2) for x in np.arange(0.28, 0.50, 0.01))
HIP_HI_GRID = tuple(round(x, 2) for x in np.arange(0.44, 0.72, 0.01))
KPT_GRID = tuple(round(x, 2) for x in np.arange(-0.30, 0.31, 0.01))
SIDE_GRID = tuple(float(x) for x in range(40, 86))
FRONT_GRID = tuple(float(x) for x in range(5, 41))
CAVE_CANDIDATES = ("fppa_deg", "knee_ankle_sep_bottom_ratio", "knee_ankle_sep_change_ratio",
                   "medial_knee_disp_change_ratio", "knee_ankle_sep_px_bottom_ratio",
                   "knee_ankle_sep_px_change_ratio", "knee_toe_upper_ratio")


def source_of(file: str) -> str:
    """The source repository a clip came from: its file-name prefix before "__"."""
    return file.split("__", 1)[0]


@dataclass
class RepRow:
    """One labelled rep matched to a found rep, with what each classifier reads."""

    clip: str
    source: str
    label_depth: str | None
    label_kpt: bool | None
    label_cave: bool | None
    view: str
    knee_flexion_deg: float | None
    hip_height_ratio: float | None
    hip_height_ratio_err: float | None
    depth_angle_deg: float | None
    depth_angle_err_deg: float | None
    knee_over_toe_ratio: float | None
    cave: dict = field(default_factory=dict)   # candidate name -> value (None = unmeasured)
    # side on: the near thigh's angle at the bottom from the picture and from the 3-D world
    # landmarks, two readings of one angle (thigh_angle_pair_rms); None in other views
    thigh_pair_deg: tuple | None = None
    # the depth number before the keypoint-bias correction (metrics.THIGH_BIAS_DEG), and the
    # thigh angle between the joint centres marked by hand (DEPTH_POINTS.tsv; None: unmarked)
    thigh_raw_deg: float | None = None
    marked_thigh_deg: float | None = None
    # the correction in depth_angle_deg (the committed one of the landmarks' pose backend,
    # metrics.thigh_bias_for)
    bias_deg: float = 0.0
    # the thigh angle from the depth signal over the bottom band (thigh_angle_from_depth_deg:
    # the thighs' vertical extent against their standing extent), any view, uncorrected
    depth_signal_deg: float | None = None
    # that angle's committed (bias, band edges): the landmarks' pose backend's
    # (metrics.signal_depth_for)
    signal_committed: tuple = (SIGNAL_BIAS_DEG, SIGNAL_EDGES_DEG)
    # the committed factor on hip_height_ratio_err in the depth call (metrics.hip_err_scale_for
    # the landmarks' pose backend)
    err_scale_committed: float = 1.0


@dataclass
class ClipRow:
    clip: str
    source: str
    label_view: str
    label_reps: int
    yaw_deg: float
    counts: dict = field(default_factory=dict)   # min depth -> (reps found, matched)
    peaks: list = field(default_factory=list)    # peak depth of each rep found (lowest setting)


def _yn(s: str) -> bool | None:
    return {"yes": True, "no": False}.get(s)


def read_depth_points(path) -> dict:
    """DEPTH_POINTS.tsv (the hip, knee and ankle joint centres marked by hand on each rep's
    deepest frame; DEPTH_PROTOCOL.md): file -> [(bottom_s, thigh_deg)], {} when absent."""
    import csv
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        return {}
    out: dict = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            try:
                out.setdefault(row["file"], []).append((float(row["bottom_s"]),
                                                        float(row["thigh_deg"])))
            except (KeyError, TypeError, ValueError):
                continue
    return out


def collect(labels: list[dict], load: Callable[[dict], PoseSequence], th: Thresholds,
            min_depth_grid: Iterable[float] = MIN_DEPTH_GRID, points: dict | None = None
            ) -> tuple[list[ClipRow], list[RepRow]]:
    """Analyse every labelled clip once per minimum depth, and once with `th` for the reps.
    `points`: read_depth_points' marks, matched to the reps found by their bottom time."""
    clips, reps = [], []
    points = points or {}
    for lab in labels:
        raw = load(lab)
        truth = [float(x) for x in _split(lab["rep_bottoms_s"])]
        an = analyze_sequence(raw, th)
        row = ClipRow(lab["file"], source_of(lab["file"]), lab["view"], int(lab["rep_count"]),
                      float(an.view.yaw_deg))
        for md in min_depth_grid:
            a = analyze_sequence(raw, th, rep_settings=settings_for_min_depth(md))
            row.counts[md] = (a.rep_count, len(match_reps(truth, [r.bottom_s for r in a.reps])))
            if md == min(min_depth_grid):
                row.peaks = [r.peak_depth for r in a.reps]
        clips.append(row)
        ld, lk, lc = (_split(lab[k]) for k in ("depth_per_rep", "knee_past_toes_per_rep",
                                               "knees_cave_in_per_rep"))
        marks = points.get(lab["file"], [])
        marked = {j: marks[i][1] for i, j in match_reps([b for b, _ in marks],
                                                        [r.bottom_s for r in an.reps])}
        for i, j in match_reps(truth, [r.bottom_s for r in an.reps]):
            m = an.metrics[j]
            cave = cave_candidates(an, j)
            d = ld[i] if i < len(ld) else "unclear"
            reps.append(RepRow(lab["file"], source_of(lab["file"]),
                               None if d == "unclear" else d,
                               _yn(lk[i]) if i < len(lk) else None,
                               _yn(lc[i]) if i < len(lc) else None, m.view,
                               m.knee_flexion_deg, m.hip_height_ratio,
                               m.hip_height_ratio_err, m.depth_angle_deg,
                               m.depth_angle_err_deg, m.knee_over_toe_ratio, cave,
                               _thigh_pair(an, j),
                               None if m.depth_angle_deg is None
                               else m.depth_angle_deg - m.depth_angle_bias_deg,
                               marked.get(j), m.depth_angle_bias_deg,
                               m.depth_signal_deg,
                               (m.depth_signal_bias_deg, m.depth_signal_edges_deg)
                               if m.depth_signal_bias_deg is not None
                               else (SIGNAL_BIAS_DEG, SIGNAL_EDGES_DEG),
                               m.hip_height_ratio_err_scale or 1.0))
    return clips, reps


def _thigh_pair(an, j: int) -> tuple | None:
    """(picture, world) thigh angle at the bottom of rep j, side on; None otherwise."""
    m, r = an.metrics[j], an.reps[j]
    if m.view != "side":
        return None
    band = np.arange(r.band_start_i, r.band_end_i + 1)
    leg = an.series.legs[m.leg]
    pic, world = (nanmedian_or_nan(v[band]) for v in (leg.thigh_deg, leg.thigh_world_deg))
    return (pic, world) if np.isfinite(pic) and np.isfinite(world) else None


def thigh_angle_pair_rms(reps: list[RepRow]) -> tuple[float, int]:
    """(RMS disagreement deg, reps) between the picture's and the world landmarks' readings of
    the same side-on thigh angle at the bottom: two independent readings, so each has about
    RMS / sqrt(2) of error. Labels are not used (only to pick the reps). The source of
    metrics.DEPTH_ANGLE_PAIR_RMS_DEG."""
    d = np.array([a - b for a, b in (r.thigh_pair_deg for r in reps if r.thigh_pair_deg)])
    return (float(np.sqrt(np.mean(d ** 2))) if d.size else float("nan")), int(d.size)


def cave_candidates(an, j: int) -> dict:
    """Each knees-caving-in candidate's value for rep j of an analysis (None where the view
    cannot show it): the grid check (tools/grid_eval.py) and the cross-validation read the
    same numbers."""
    r, m = an.reps[j], an.metrics[j]
    if m.view not in ("front", "oblique"):
        return {k: None for k in CAVE_CANDIDATES}
    t = an.series.t_s
    standing = np.isfinite(an.series.depth) & (an.series.depth < STANDING_DEPTH)
    band = np.arange(r.band_start_i, r.band_end_i + 1)
    near = standing & (((t >= r.start_s - 1.5) & (t <= r.start_s))
                       | ((t >= r.end_s) & (t <= r.end_s + 1.5)))

    def bottom_and_change(per_frame: np.ndarray, change) -> tuple[float | None, float | None]:
        bottom = nanmedian_or_nan(per_frame[band])
        stand = nanmedian_or_nan(per_frame[near]) if near.any() else float("nan")
        ch = change(bottom, stand) if np.isfinite(bottom) and np.isfinite(stand) else float("nan")
        return (bottom if np.isfinite(bottom) else None), (ch if np.isfinite(ch) else None)

    def ratio(b, s):
        return b / s if s > 0 else float("nan")

    sep_b, sep_c = bottom_and_change(knee_ankle_separation_ratio(an.clean_seq.world_m), ratio)
    px_b, px_c = bottom_and_change(knee_ankle_separation_px_ratio(an.clean_seq.xy_px), ratio)
    _, mkd_c = bottom_and_change(medial_knee_displacement_ratio(an.clean_seq.world_m),
                                 lambda b, s: b - s)
    kt = None if m.valgus is None else m.valgus.knee_toe
    return {"fppa_deg": m.fppa_deg,   # the reported peak (valgus.rep_knee_valgus)
            # the knees against the toes' line (valgus.KneeToe): the narrowest ratio plus its
            # error as reported; under 1.0 is KneeToe.place "inside"
            "knee_toe_upper_ratio": None if kt is None else kt.upper_ratio,
            "knee_ankle_sep_bottom_ratio": sep_b, "knee_ankle_sep_change_ratio": sep_c,
            "medial_knee_disp_change_ratio": mkd_c,
            "knee_ankle_sep_px_bottom_ratio": px_b, "knee_ankle_sep_px_change_ratio": px_c}


# ------------------------------------------------------------------ scores
@dataclass
class Score:
    agree: int = 0
    both: int = 0
    label_decided: int = 0
    per_class: dict = field(default_factory=dict)
    far: int = 0   # depth: decided reps two classes away from the label (above vs below)

    def add(self, label, pred) -> None:
        if label is None:
            return
        self.label_decided += 1
        if pred is None:
            return
        self.both += 1
        ok = label == pred
        self.agree += ok
        self.far += {label, pred} == {"above_parallel", "below_parallel"}
        c = self.per_class.setdefault(str(label), [0, 0])
        c[0] += ok
        c[1] += 1

    @property
    def accuracy(self) -> float:
        return self.agree / self.both if self.both else float("nan")

    @property
    def balanced(self) -> float:
        rec = [a / b for a, b in self.per_class.values() if b]
        return sum(rec) / len(rec) if rec else float("nan")

    @property
    def decided(self) -> float:
        return self.both / self.label_decided if self.label_decided else float("nan")

    def key(self) -> tuple:
        """What a fit maximises: balanced accuracy, then accuracy (NaN counts as worst)."""
        return (np.nan_to_num(self.balanced, nan=-1.0), np.nan_to_num(self.accuracy, nan=-1.0))

    def text(self) -> str:
        if not self.both:
            return f"none decided (label decides {self.label_decided})"
        far = f", {self.far} two classes away" if self.far else ""
        return (f"{self.agree}/{self.both} ({self.accuracy:.1%}), bal. {self.balanced:.2f}, "
                f"decides {self.decided:.0%}{far}")


def _hip_class(r: RepRow, lo: float, hi: float) -> str | None:
    """The hip-height depth class (feedback.classify_depth) with cuts lo / hi."""
    from .metrics import RepMetrics

    m = RepMetrics(0, 0, 0, 0, r.view, 0, "left", None, r.knee_flexion_deg, r.hip_height_ratio,
                   None, None, None, None, None, 0, 0, 0,
                   hip_height_ratio_err=r.hip_height_ratio_err)
    th = Thresholds(below_parallel_max_hip_ratio=lo, above_parallel_min_hip_ratio=hi)
    c = classify_depth(m, th)
    return None if c == "unclear" else c


def _call_metrics(r: RepRow):
    """The RepMetrics the depth call reads for a labelled rep (only what depth_call uses)."""
    from .metrics import RepMetrics

    return RepMetrics(0, 0, 0, 0, r.view, 0, "left", None, r.knee_flexion_deg, r.hip_height_ratio,
                      None, None, None, None, None, 0, 0, 0,
                      hip_height_ratio_err=r.hip_height_ratio_err,
                      depth_signal_deg=r.depth_signal_deg)


def _call_class(r: RepRow, lo: float, hi: float, signal: tuple, err_scale: float = 1.0,
                m=None, th: Thresholds | None = None) -> str | None:
    """The depth call (feedback.depth_call) with hip cuts lo / hi, the depth-signal class's
    (bias, edges) `signal` and the factor `err_scale` on the ratio's error: decided when the
    ratio +- err_scale x its error clears a cut or the signal's class is the ratio's. `m`: the
    rep's _call_metrics, when already built; `th`: Thresholds with those cuts, likewise."""
    th = th or Thresholds(below_parallel_max_hip_ratio=lo, above_parallel_min_hip_ratio=hi)
    c = classify_depth(m or _call_metrics(r), th, signal_bias_deg=signal[0],
                       signal_edges=signal[1], err_scale=err_scale)
    return None if c == "unclear" else c


PICTURE_VIEWS = ("side", "oblique")   # the views whose thigh angle comes from the picture
EDGE_LO_GRID = tuple(float(x) for x in range(-30, 1))
EDGE_HI_GRID = tuple(float(x) for x in range(-5, 26))


FRONT_BIAS_GRID = tuple(float(x) for x in range(0, 31))


def fit_thigh_bias(rows: list[RepRow]) -> float:
    """The keypoint-bias correction (deg) of the picture's thigh angle, side on and at an angle:
    the median of (marked joint-centre angle - formcheck's uncorrected reading) over the marked
    reps (DEPTH_POINTS.tsv; metrics.THIGH_BIAS_DEG). One figure for both views: the bias is
    the pose model's hip landmark sitting high, and fitted per view it cross-validated worse at
    an angle (only two sources marked there). 0 when no rep is marked."""
    d = [r.marked_thigh_deg - r.thigh_raw_deg for r in rows
         if r.marked_thigh_deg is not None and r.thigh_raw_deg is not None
         and r.view in PICTURE_VIEWS]
    return float(np.median(d)) if d else 0.0


def _corrected(r: RepRow, bias: dict) -> float | None:
    if r.thigh_raw_deg is None:
        return None
    return r.thigh_raw_deg + bias.get(r.view, 0.0)


def _angle_class(r: RepRow, bias: dict | None = None, edges: tuple | None = None) -> str | None:
    """The depth class (metrics.depth_class_from_angle) of the rep's thigh angle corrected with
    `bias` per view (default: as measured, with the committed correction) and band `edges`."""
    a = r.depth_angle_deg if bias is None else _corrected(r, bias)
    c = depth_class_from_angle(a, r.depth_angle_err_deg, edges or DEPTH_EDGES_DEG)
    return None if c == "unclear" else c


def fit_depth_edges(rows: list[RepRow], bias: dict | None, views: tuple = PICTURE_VIEWS,
                    classify: Callable | None = None) -> tuple[float, float]:
    """Band edges (deg) that agree best with the labels on the reps seen from the side or at
    an angle (balanced accuracy, then accuracy; among ties the pair nearest the +-10 deg of
    the definition "parallel = thigh level"). `classify(row, edges)`: default the picture's
    thigh angle corrected with `bias` (_angle_class)."""
    rows = [r for r in rows if r.view in views and r.label_depth is not None]
    classify = classify or (lambda r, e: _angle_class(r, bias, e))
    best, best_key = DEPTH_EDGES_DEG, None
    for lo in EDGE_LO_GRID:
        for hi in EDGE_HI_GRID:
            if hi <= lo:
                continue
            k = (*score_depth(rows, lambda r: classify(r, (lo, hi))).key(),
                 -abs(lo + 10.0) - abs(hi - 10.0))
            if best_key is None or k > best_key:
                best, best_key = (lo, hi), k
    return best


def fit_front_bias(rows: list[RepRow], edges: tuple) -> float:
    """The front view's correction: no joint centres are marked from the front, so it is the
    smallest offset (deg) that agrees best with the labels of the front-view reps."""
    rows = [r for r in rows if r.view == "front"]
    return max(FRONT_BIAS_GRID, key=lambda b: (
        *score_depth(rows, lambda r: _angle_class(r, {"front": b}, edges)).key(), -b))


ALL_VIEWS = ("side", "oblique", "front")


def fit_signal_bias(rows: list[RepRow]) -> float:
    """The depth-signal angle's correction (deg): the median of (marked joint-centre angle -
    depth_signal_deg) over the marked reps. One figure for every view: the depth signal is
    the same formula in all of them."""
    d = [r.marked_thigh_deg - r.depth_signal_deg for r in rows
         if r.marked_thigh_deg is not None and r.depth_signal_deg is not None]
    return float(np.median(d)) if d else 0.0


def _signal_class(r: RepRow, bias: float, edges: tuple) -> str | None:
    """The depth class of the depth-signal angle (corrected by `bias`) with band `edges`."""
    c = depth_signal_class(r.depth_signal_deg, bias, edges)
    return None if c == "unclear" else c


def fit_signal_depth(rows: list[RepRow]) -> tuple[float, tuple]:
    """(bias, band edges) of the depth-signal angle's class, all chosen on `rows`: the bias
    from the marked joint centres, the edges from the labels of every view."""
    b = fit_signal_bias(rows)
    return b, fit_depth_edges(rows, None, views=ALL_VIEWS,
                              classify=lambda r, e: _signal_class(r, b, e))


def fit_depth(rows: list[RepRow]) -> tuple[dict, tuple]:
    """(per-view bias correction, band edges), all chosen on `rows`."""
    b = fit_thigh_bias(rows)
    bias = {v: b for v in PICTURE_VIEWS}
    edges = fit_depth_edges(rows, bias)
    bias["front"] = fit_front_bias(rows, edges)
    return bias, edges


def _fmt_signal(sig: tuple) -> str:
    return f"{sig[0]:+.1f}: {sig[1][0]:g}/{sig[1][1]:g}"


def _fmt_depth_fit(bias: dict, edges: tuple) -> str:
    return (f"{bias.get('side', 0):+.1f}/{bias.get('oblique', 0):+.1f}/{bias.get('front', 0):+.0f}"
            f": {edges[0]:g}/{edges[1]:g}")


def _err_stats(errs: list[float]) -> str:
    if not errs:
        return "no marked reps"
    e = np.asarray(errs)
    return (f"median {np.median(e):+.1f} deg, spread (SD) {np.std(e):.1f} deg, "
            f"middle 68% {np.percentile(e, 16):+.1f}..{np.percentile(e, 84):+.1f}, n={e.size}")


def thigh_error_lines(reps: list[RepRow], sources: list[str]) -> tuple[list[str], dict]:
    """The depth number's error against the joint centres marked by hand (DEPTH_POINTS.tsv),
    per view: before the bias correction, in-sample with the committed one, and
    cross-validated (the correction chosen without the held-out source)."""
    marked = [r for r in reps if r.marked_thigh_deg is not None and r.thigh_raw_deg is not None]
    cv_bias = {s: dict.fromkeys(PICTURE_VIEWS, fit_thigh_bias([r for r in marked if r.source != s]))
               for s in sources}
    sig_bias = {s: fit_signal_bias([r for r in reps if r.source != s]) for s in sources}
    lines, js = [], {}
    for view in ("side", "oblique", "front"):
        rs = [r for r in marked if r.view == view]
        if not rs:
            lines.append(f"- {view}: no marked reps")
            continue
        # marked reps of this view whose number is not given (withheld by the tracking-quality
        # test, metrics.thigh_disagreement, or unmeasured): counted, not scored
        none = sum(r.view == view and r.marked_thigh_deg is not None and r.thigh_raw_deg is None
                   for r in reps)
        raw = [r.thigh_raw_deg - r.marked_thigh_deg for r in rs]
        ins = [r.depth_angle_deg - r.marked_thigh_deg for r in rs if r.depth_angle_deg is not None]
        cv = [_corrected(r, cv_bias[r.source]) - r.marked_thigh_deg for r in rs]
        lines.append(f"- {view} ({len({r.source for r in rs})} sources): uncorrected "
                     f"{_err_stats(raw)}; corrected, in-sample (training) {_err_stats(ins)}; "
                     f"cross-validated {_err_stats(cv)}; no number given on {none} of "
                     f"{len(rs) + none} marked reps")
        js[view] = {"cv_median": float(np.median(cv)), "cv_sd": float(np.std(cv)),
                    "raw_median": float(np.median(raw)), "n": len(rs), "not_given": none}
        # the same reps' thigh angle read from the depth signal (the vertical extent only)
        sg = [r for r in rs if r.depth_signal_deg is not None]
        if sg:
            cv_sig = [r.depth_signal_deg + sig_bias[r.source] - r.marked_thigh_deg for r in sg]
            lines.append(f"  - {view}, the depth signal's angle (asin(depth - 1), one correction "
                         f"for every view): uncorrected "
                         f"{_err_stats([r.depth_signal_deg - r.marked_thigh_deg for r in sg])}; "
                         f"cross-validated {_err_stats(cv_sig)}")
            js[view]["signal_cv_sd"] = float(np.std(cv_sig))
    return lines, js


def score_depth(rows: list[RepRow], classify: Callable[[RepRow], str | None]) -> Score:
    s = Score()
    for r in rows:
        s.add(r.label_depth, classify(r))
    return s


def score_kpt(rows: list[RepRow], cut: float) -> Score:
    s = Score()
    for r in rows:
        s.add(r.label_kpt, None if r.knee_over_toe_ratio is None else r.knee_over_toe_ratio > cut)
    return s


def score_cave(rows: list[RepRow], name: str, cut: float, sign: int) -> Score:
    s = Score()
    for r in rows:
        v = r.cave.get(name)
        s.add(r.label_cave, None if v is None else bool(sign * (v - cut) > 0))
    return s


@dataclass
class Counts:
    exact: int = 0
    clips: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, c: ClipRow, md: float) -> None:
        found, matched = c.counts[md]
        self.clips += 1
        self.exact += found == c.label_reps
        self.tp += matched
        self.fp += found - matched
        self.fn += c.label_reps - matched

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    def key(self) -> tuple:
        return (self.exact, self.f1)

    def text(self) -> str:
        return (f"exact {self.exact}/{self.clips}, F1 {self.f1:.3f} "
                f"(phantom reps {self.fp}, missed {self.fn})")


def score_counts(clips: list[ClipRow], md: float) -> Counts:
    c = Counts()
    for row in clips:
        c.add(row, md)
    return c


def _classify_view(yaw: float, side: float, front: float) -> str:
    if not np.isfinite(yaw):
        return "unknown"
    return "side" if yaw >= side else "front" if yaw <= front else "oblique"


def score_view(clips: list[ClipRow], side: float, front: float) -> tuple[int, int]:
    single = [c for c in clips if c.label_view in LABEL_VIEW]
    return (sum(_classify_view(c.yaw_deg, side, front) == LABEL_VIEW[c.label_view] for c in single),
            len(single))


# ------------------------------------------------------------------ fitting
def fit_min_depth(clips: list[ClipRow]) -> float:
    """Most clips counted exactly, then rep F1; among ties the shallowest (quarter squats)."""
    grid = sorted(clips[0].counts) if clips else list(MIN_DEPTH_GRID)
    return max(grid, key=lambda md: (*score_counts(clips, md).key(), -md))


def fit_hip_cuts(rows: list[RepRow]) -> tuple[float, float]:
    best, best_key = (0.40, 0.60), None
    for lo in HIP_LO_GRID:
        for hi in HIP_HI_GRID:
            if hi <= lo:
                continue
            k = score_depth(rows, lambda r: _hip_class(r, lo, hi)).key()
            if best_key is None or k > best_key:
                best, best_key = (lo, hi), k
    return best


def fit_call_cuts(rows: list[RepRow], signal: tuple, err_scale: float = 1.0
                  ) -> tuple[float, float]:
    """The hip-height cuts of the depth call (_call_class, with the depth-signal class's
    `signal` = (bias, edges) and the factor `err_scale` on the ratio's error) that agree best
    with the labels: fitted under the call's own rule, not the ratio's alone."""
    return _fit_call_cuts(rows, signal, err_scale)[0]


def _fit_call_cuts(rows: list[RepRow], signal: tuple, err_scale: float,
                   most_decided: bool = False) -> tuple[tuple, Score]:
    """fit_call_cuts' cuts and their Score on rows; with `most_decided`, among cuts that agree
    equally well, those that decide on the most reps (a wider error otherwise lets the first
    cuts in the grid leave correct reps undecided for nothing)."""
    rows = [r for r in rows if r.label_depth is not None]
    ms = [_call_metrics(r) for r in rows]
    best, best_key, best_score = (0.40, 0.60), None, Score()
    for lo in HIP_LO_GRID:
        for hi in HIP_HI_GRID:
            if hi <= lo:
                continue
            sc, th = Score(), Thresholds(below_parallel_max_hip_ratio=lo,
                                         above_parallel_min_hip_ratio=hi)
            for r, m in zip(rows, ms):
                sc.add(r.label_depth, _call_class(r, lo, hi, signal, err_scale, m, th))
            k = (*sc.key(), sc.both) if most_decided else sc.key()
            if best_key is None or k > best_key:
                best, best_key, best_score = (lo, hi), k, sc
    return best, best_score


def _decided_key(sc: Score, min_decided: float) -> tuple:
    """What fit_call maximises over the error's factors: first deciding on at least
    `min_decided` of the labelled reps, then balanced accuracy, accuracy and the reps decided;
    below that share, the reps decided."""
    if sc.label_decided and sc.decided >= min_decided:
        return (1, *sc.key(), sc.both)
    return (0, sc.both, 0.0, 0)


# The factors on hip_height_ratio_err the depth call is tried with (metrics.HIP_ERR_SCALE_...),
# and the share of labelled reps the call must still decide on the training sources (issue 19's
# target: decided on >= 85 % of the labelled reps)
ERR_SCALE_GRID = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
CALL_MIN_DECIDED = 0.85


def fit_call(rows: list[RepRow], signal: tuple) -> tuple[float, float, float]:
    """(lo cut, hi cut, err_scale) of the depth call, chosen on `rows`: for each factor on the
    ratio's error (ERR_SCALE_GRID) the cuts fitted under it (fit_call_cuts, equal agreement
    going to the cuts that decide most); then, of the
    factors whose call decides on at least CALL_MIN_DECIDED of the labelled reps, the one that
    agrees best (balanced accuracy, accuracy, then the most reps decided; the smallest factor on
    a tie), or the one that decides most when none does."""
    return _choose_call(_fit_call_each(rows, signal))


def _fit_call_each(rows: list[RepRow], signal: tuple) -> dict:
    """{err_scale: (cuts, their Score on rows)} for every factor of ERR_SCALE_GRID."""
    return {k: _fit_call_cuts(rows, signal, k, most_decided=True) for k in ERR_SCALE_GRID}


def _choose_call(each: dict) -> tuple[float, float, float]:
    """fit_call's choice among _fit_call_each's fits."""
    k = max(each, key=lambda k: (*_decided_key(each[k][1], CALL_MIN_DECIDED), -k))
    return (*each[k][0], k)


def kpt_margin(rows: list[RepRow], cut: float) -> float:
    """How far the cut sits from the nearest labelled rep's knee_over_toe_ratio (foot lengths)."""
    vals = [r.knee_over_toe_ratio for r in rows
            if r.knee_over_toe_ratio is not None and r.label_kpt is not None]
    return min((abs(v - cut) for v in vals), default=0.0)


def fit_kpt(rows: list[RepRow]) -> float:
    """Best balanced accuracy, then accuracy; among ties the cut furthest from every labelled
    rep (the middle of the widest gap), so that no single rep decides where it lies."""
    return max(KPT_GRID, key=lambda c: (*score_kpt(rows, c).key(), kpt_margin(rows, c)))


def fit_view(clips: list[ClipRow]) -> tuple[float, float]:
    best, best_key = (SIDE_MIN_YAW_DEG, FRONT_MAX_YAW_DEG), None
    for s in SIDE_GRID:
        for f in FRONT_GRID:
            right = score_view(clips, s, f)[0]
            # ties: the cut-offs furthest from every clip (the middle of the widest gap)
            margin = min((min(abs(c.yaw_deg - s), abs(c.yaw_deg - f)) for c in clips
                          if np.isfinite(c.yaw_deg)), default=0.0)
            k = (right, margin)
            if best_key is None or k > best_key:
                best, best_key = (s, f), k
    return best


def fit_cave(rows: list[RepRow], name: str) -> tuple[float, int]:
    """Threshold and direction (+1: flag above, -1: flag below) with the best balanced
    accuracy on the reps given. With one class only, the cut sits just past that class's most
    extreme value, so that none of it is flagged (or all, for "yes")."""
    vals = [(r.cave.get(name), r.label_cave) for r in rows
            if r.cave.get(name) is not None and r.label_cave is not None]
    if not vals:
        return float("inf"), 1
    xs = np.array([v for v, _ in vals], float)
    cands = np.unique(np.concatenate([xs, [xs.min() - 1e-6, xs.max() + 1e-6]]))
    best, best_key = (float(xs.max() + 1e-6), 1), None
    for sign in (1, -1):
        for c in cands:
            k = score_cave(rows, name, float(c), sign).key()
            if best_key is None or k > best_key:
                best, best_key = (float(c), sign), k
    return best


# ------------------------------------------------------------------ protocol
@dataclass
class Line:
    """One constant: the committed value's figure, the in-sample fit and the cross-validated one."""

    name: str
    committed: str
    committed_score: str
    fitted: str
    fitted_score: str
    cv_choices: str
    cv_score: str


def _fmt_range(vals: list) -> str:
    vals = sorted(set(vals))
    return ", ".join(str(v) for v in vals) if len(vals) <= 4 else f"{vals[0]} .. {vals[-1]}"


def run_cv(clips: list[ClipRow], reps: list[RepRow], th: Thresholds) -> tuple[list[Line], dict]:
    """Leave-one-source-out figures for every fitted constant; also a dict for JSON output."""
    sources = sorted({c.source for c in clips})
    out: list[Line] = []
    js: dict = {}

    # minimum rep depth
    md_cv, md_choice = Counts(), []
    for s in sources:
        md = fit_min_depth([c for c in clips if c.source != s])
        md_choice.append(md)
        for c in clips:
            if c.source == s:
                md_cv.add(c, md)
    md_fit = fit_min_depth(clips)
    committed_md = th.min_rep_depth_ratio
    com = score_counts(clips, committed_md) if committed_md in clips[0].counts else None
    out.append(Line("min_rep_depth_ratio", f"{committed_md}", com.text() if com else "n/a",
                    f"{md_fit}", score_counts(clips, md_fit).text(), _fmt_range(md_choice),
                    md_cv.text()))
    js["min_rep_depth_ratio"] = {"fitted": md_fit, "cv_exact": md_cv.exact, "cv_f1": md_cv.f1,
                                 "cv_clips": md_cv.clips, "cv_phantom": md_cv.fp}

    # depth: the call (feedback.depth_call): the hip-height cuts and the depth-signal angle's
    # class (its correction and bands), all fitted without the held-out source; and the
    # hip-height cuts alone (decided only when the ratio +- its error clears a cut), as before
    hip_cv, call_cv, hip_choice, call_choice, sig_fit = Score(), Score(), [], [], {}
    call1_cv, call1_choice = Score(), []   # the call with the ratio's error unscaled, as before
    for s in sources:
        train = [r for r in reps if r.source != s]
        lo, hi = fit_hip_cuts(train)
        sig_fit[s] = fit_signal_depth(train)
        each = _fit_call_each(train, sig_fit[s])
        clo, chi, ck = _choose_call(each)
        hip_choice.append((lo, hi))
        call_choice.append((clo, chi, ck))
        c1lo, c1hi = fit_call_cuts(train, sig_fit[s])
        call1_choice.append((c1lo, c1hi))
        for r in reps:
            if r.source == s:
                hip_cv.add(r.label_depth, _hip_class(r, lo, hi))
                call_cv.add(r.label_depth, _call_class(r, clo, chi, sig_fit[s], ck))
                call1_cv.add(r.label_depth, _call_class(r, c1lo, c1hi, sig_fit[s]))
    lo_c, hi_c = th.below_parallel_max_hip_ratio, th.above_parallel_min_hip_ratio
    lo_f, hi_f = fit_hip_cuts(reps)
    # the committed signal values and error factor are the landmarks' pose backend's
    # (metrics.signal_depth_for, metrics.hip_err_scale_for)
    sig_c = reps[0].signal_committed if reps else (SIGNAL_BIAS_DEG, SIGNAL_EDGES_DEG)
    k_c = reps[0].err_scale_committed if reps else 1.0
    sig_f = fit_signal_depth(reps)
    each_f = _fit_call_each(reps, sig_f)
    clo_f, chi_f, k_f = _choose_call(each_f)
    out.append(Line("depth call: hip-height cuts, decided when ratio ± k × its error clears a cut "
                    f"(k chosen with the cuts, the call deciding on >= {CALL_MIN_DECIDED:.0%} of "
                    "the training reps) or the depth-signal class agrees (cuts, k; signal bias: "
                    "edges)",
                    f"{lo_c:.2f} / {hi_c:.2f}, k {k_c:g}; {_fmt_signal(sig_c)}",
                    score_depth(reps, lambda r: _call_class(r, lo_c, hi_c, r.signal_committed,
                                                            r.err_scale_committed)).text(),
                    f"{clo_f:.2f} / {chi_f:.2f}, k {k_f:g}; {_fmt_signal(sig_f)}",
                    score_depth(reps, lambda r: _call_class(r, clo_f, chi_f, sig_f, k_f)).text(),
                    _fmt_range([f"{a:.2f}/{b:.2f} k {k:g}" for a, b, k in call_choice]),
                    call_cv.text()))
    c1lo_f, c1hi_f = fit_call_cuts(reps, sig_f)
    out.append(Line("(before: the same call with the ratio's error unscaled, k 1)",
                    f"{lo_c:.2f} / {hi_c:.2f}; {_fmt_signal(sig_c)}",
                    score_depth(reps, lambda r: _call_class(r, lo_c, hi_c,
                                                            r.signal_committed)).text(),
                    f"{c1lo_f:.2f} / {c1hi_f:.2f}; {_fmt_signal(sig_f)}",
                    score_depth(reps, lambda r: _call_class(r, c1lo_f, c1hi_f, sig_f)).text(),
                    _fmt_range([f"{a:.2f}/{b:.2f}" for a, b in call1_choice]), call1_cv.text()))
    out.append(Line("(before: hip-height cuts alone, decided when ratio ± error clears a cut)",
                    f"{lo_c:.2f} / {hi_c:.2f}",
                    score_depth(reps, lambda r: _hip_class(r, lo_c, hi_c)).text(),
                    f"{lo_f:.2f} / {hi_f:.2f}",
                    score_depth(reps, lambda r: _hip_class(r, lo_f, hi_f)).text(),
                    _fmt_range([f"{a:.2f}/{b:.2f}" for a, b in hip_choice]), hip_cv.text()))
    # "depth_hip_ratio": the depth call's figures (the key the accuracy gate reads)
    js["depth_hip_ratio"] = {"cv_accuracy": call_cv.accuracy, "cv_balanced": call_cv.balanced,
                             "cv_decided": call_cv.decided, "cv_two_away": call_cv.far,
                             "fitted_err_scale": k_f,
                             "cv_err_scales": sorted({k for _, _, k in call_choice})}
    js["depth_call_unscaled"] = {"cv_accuracy": call1_cv.accuracy,
                                 "cv_balanced": call1_cv.balanced,
                                 "cv_decided": call1_cv.decided, "cv_two_away": call1_cv.far}
    js["depth_hip_only"] = {"cv_accuracy": hip_cv.accuracy, "cv_balanced": hip_cv.balanced,
                            "cv_decided": hip_cv.decided, "cv_two_away": hip_cv.far}

    # depth, thigh-angle class (secondary, tried in issue 19): the keypoint-bias correction
    # (fitted to the marked joint centres) and the band
    # edges of the class (fitted to the labels), both chosen without the held-out source
    ang_cv, ang_choice = Score(), []
    for s in sources:
        bias, edges = fit_depth([r for r in reps if r.source != s])
        ang_choice.append(_fmt_depth_fit(bias, edges))
        for r in reps:
            if r.source == s:
                ang_cv.add(r.label_depth, _angle_class(r, bias, edges))
    bias_f, edges_f = fit_depth(reps)
    edges_c = DEPTH_EDGES_DEG
    # the committed correction is the landmarks' pose backend's (metrics.thigh_bias_for)
    bias_c = {v: next((r.bias_deg for r in reps if r.view == v and r.bias_deg), THIGH_BIAS_DEG[v])
              for v in THIGH_BIAS_DEG}
    out.append(Line("thigh-angle class, secondary (bias per view side/oblique/front: band edges)",
                    _fmt_depth_fit(bias_c, edges_c),
                    score_depth(reps, lambda r: _angle_class(r, None, edges_c)).text(),
                    _fmt_depth_fit(bias_f, edges_f),
                    score_depth(reps, lambda r: _angle_class(r, bias_f, edges_f)).text(),
                    _fmt_range(ang_choice), ang_cv.text()))
    no_bias = score_depth(reps, lambda r: _angle_class(r, {}, (-10.0, 10.0)))
    out.append(Line("thigh angle class, no bias correction, +-10 deg band (for comparison)",
                    "-", no_bias.text(), "(no fit)", no_bias.text(), "(no fit)", no_bias.text()))
    # the same class from the depth signal's angle (one correction for every view), tried in
    # issue 19 against the picture's angle: more robust to a mistracked hip, still far from
    # the hip-height class
    sig_cv, sig_choice = Score(), []
    for s in sources:
        b, e = sig_fit[s]
        sig_choice.append(f"{b:+.1f}: {e[0]:g}/{e[1]:g}")
        for r in reps:
            if r.source == s:
                sig_cv.add(r.label_depth, _signal_class(r, b, e))
    sb_f, se_f = sig_f
    out.append(Line("depth-signal angle class, tried (one bias for every view: band edges)", "-",
                    "-", f"{sb_f:+.1f}: {se_f[0]:g}/{se_f[1]:g}",
                    score_depth(reps, lambda r: _signal_class(r, sb_f, se_f)).text(),
                    _fmt_range(sig_choice), sig_cv.text()))
    js["depth_signal_angle"] = {"cv_accuracy": sig_cv.accuracy, "cv_balanced": sig_cv.balanced,
                                "cv_decided": sig_cv.decided}
    js["depth_angle"] = {"cv_accuracy": ang_cv.accuracy, "cv_balanced": ang_cv.balanced,
                         "cv_decided": ang_cv.decided, "fitted_bias": bias_f,
                         "fitted_edges": list(edges_f)}

    # knee past toes
    k_cv, k_choice = Score(), []
    for s in sources:
        cut = fit_kpt([r for r in reps if r.source != s])
        k_choice.append(cut)
        for r in reps:
            if r.source == s:
                k_cv.add(r.label_kpt, None if r.knee_over_toe_ratio is None
                         else r.knee_over_toe_ratio > cut)
    k_fit = fit_kpt(reps)
    out.append(Line("knee_past_toes_min_ratio", f"{th.knee_past_toes_min_ratio:+.2f}",
                    score_kpt(reps, th.knee_past_toes_min_ratio).text(), f"{k_fit:+.2f}",
                    score_kpt(reps, k_fit).text(), _fmt_range(k_choice), k_cv.text()))
    js["knee_past_toes"] = {"cv_accuracy": k_cv.accuracy, "cv_balanced": k_cv.balanced}

    # view cut-offs: not fitted (the nearest of the canonical views 0 / 45 / 90 deg), so their
    # cross-validated figure is their in-sample one; the cut-offs fitted to the labels are
    # shown beside them for comparison.
    v_right = v_n = 0
    v_choice = []
    for s in sources:
        sv, fv = fit_view([c for c in clips if c.source != s])
        v_choice.append(f"{sv:.0f}/{fv:.0f}")
        r, n = score_view([c for c in clips if c.source == s], sv, fv)
        v_right += r
        v_n += n
    sf, ff = fit_view(clips)
    r0, n0 = score_view(clips, SIDE_MIN_YAW_DEG, FRONT_MAX_YAW_DEG)
    r1, _ = score_view(clips, sf, ff)
    com = f"{SIDE_MIN_YAW_DEG:g} / {FRONT_MAX_YAW_DEG:g}"
    out.append(Line("view cut-offs (side / front yaw; nearest of 0/45/90 deg, not fitted)", com,
                    f"{r0}/{n0} single-view clips", "(no fit)", f"{r0}/{n0}", "(no fit)",
                    f"{r0}/{n0}"))
    out.append(Line("view cut-offs fitted to the labels (for comparison)", com,
                    f"{r0}/{n0}", f"{sf:.0f} / {ff:.0f}", f"{r1}/{n0}", _fmt_range(v_choice),
                    f"{v_right}/{v_n}"))
    js["view"] = {"cv_right": r0, "cv_clips": n0}
    js["view_fitted"] = {"cv_right": v_right, "cv_clips": v_n}

    # knees caving in: each candidate
    for name in CAVE_CANDIDATES:
        c_cv, c_choice = Score(), []
        for s in sources:
            cut, sign = fit_cave([r for r in reps if r.source != s], name)
            c_choice.append(f"{'>' if sign > 0 else '<'}{cut:.2f}")
            for r in reps:
                if r.source == s:
                    v = r.cave.get(name)
                    c_cv.add(r.label_cave, None if v is None else bool(sign * (v - cut) > 0))
        # the held-out sources that have both "yes" and "no" reps: can it tell them apart there?
        mixed = [s for s in sources if {r.label_cave for r in reps if r.source == s} >= {True, False}]
        within = Score()
        for s in mixed:
            cut, sign = fit_cave([r for r in reps if r.source != s], name)
            for r in reps:
                if r.source == s:
                    v = r.cave.get(name)
                    within.add(r.label_cave, None if v is None else bool(sign * (v - cut) > 0))
        cut, sign = fit_cave(reps, name)
        committed = f"> {th.fppa_max_deg:g} deg (published, not fitted)" if name == "fppa_deg" \
            else f"< {KNEE_OVER_TOES_SEP_RATIO:g} (definition: inside the toes' line; reported, " \
            "not in the call)" if name == "knee_toe_upper_ratio" else "(candidate)"
        com_score = score_cave(reps, name, th.fppa_max_deg, 1).text() if name == "fppa_deg" \
            else score_cave(reps, name, KNEE_OVER_TOES_SEP_RATIO, -1).text() \
            if name == "knee_toe_upper_ratio" else "-"
        out.append(Line(f"knees cave in: {name}", committed, com_score,
                        f"{'>' if sign > 0 else '<'} {cut:.2f}",
                        score_cave(reps, name, cut, sign).text(), _fmt_range(c_choice),
                        f"{c_cv.text()}; within the held-out source(s) with 'yes' reps "
                        f"({', '.join(mixed) or 'none'}): {within.text()}"))
        js[f"cave_{name}"] = {"cv_balanced": c_cv.balanced, "cv_accuracy": c_cv.accuracy,
                              "within_balanced": within.balanced}
    return out, js


def format_lines(lines: list[Line]) -> str:
    out = ["| constant | committed value | its figure (in-sample) | fitted on all clips | "
           "in-sample figure | chosen per held-out source | cross-validated figure |",
           "|---|---|---|---|---|---|---|"]
    for ln in lines:
        out.append(f"| {ln.name} | {ln.committed} | {ln.committed_score} | {ln.fitted} | "
                   f"{ln.fitted_score} | {ln.cv_choices} | {ln.cv_score} |")
    return "\n".join(out)


def format_margins(clips: list[ClipRow], reps: list[RepRow], th: Thresholds) -> str:
    """Per clip, how far it sits from each boundary it is classed by (smallest over its reps):
    the view cut-offs (deg of yaw), the minimum rep depth (depth signal, lowest-peaked rep
    found), the hip-height cuts (in units of the ratio's own error: below the backend's factor k,
    metrics.hip_err_scale_for, the rep is "unclear" unless the depth signal's class agrees), the thigh-angle band edges (in units of the angle's own error: below 1, its
    class says "close to") and the knee-past-toes cut (foot lengths, labelled reps)."""
    out = ["| clip | source | yaw (deg) | to view cut (deg) | shallowest rep peak - min depth | "
           "hip ratio to nearest cut (errors) | thigh angle to band edge (errors) | "
           "knee travel to the knee-past-toes cut (foot lengths) |",
           "|---|---|---|---|---|---|---|---|"]
    hlo, hhi = th.below_parallel_max_hip_ratio, th.above_parallel_min_hip_ratio
    lo, hi = DEPTH_EDGES_DEG
    for c in clips:
        rs = [r for r in reps if r.clip == c.clip]
        vm = min(abs(c.yaw_deg - SIDE_MIN_YAW_DEG), abs(c.yaw_deg - FRONT_MAX_YAW_DEG)) \
            if np.isfinite(c.yaw_deg) else float("nan")
        pk = min(c.peaks) - th.min_rep_depth_ratio if c.peaks else float("nan")
        hm = [min(abs(r.hip_height_ratio - hlo), abs(r.hip_height_ratio - hhi))
              / max(r.hip_height_ratio_err or 0.0, 1e-3) for r in rs
              if r.hip_height_ratio is not None and r.label_depth is not None]
        am = [min(abs(r.depth_angle_deg - lo), abs(r.depth_angle_deg - hi)) / r.depth_angle_err_deg
              for r in rs if r.depth_angle_deg is not None and r.depth_angle_err_deg
              and r.label_depth is not None]
        km = [abs(r.knee_over_toe_ratio - th.knee_past_toes_min_ratio) for r in rs
              if r.knee_over_toe_ratio is not None and r.label_kpt is not None]
        hs = f"{min(hm):.2f}" if hm else "-"
        ams = f"{min(am):.2f}" if am else "-"
        ks = f"{min(km):.3f}" if km else "-"
        out.append(f"| {c.clip} | {c.source} | {c.yaw_deg:.0f} | {vm:.1f} | {pk:+.2f} | {hs} | "
                   f"{ams} | {ks} |")
    return "\n".join(out)
