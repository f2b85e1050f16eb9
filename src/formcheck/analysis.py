"""The pure pipeline: PoseSequence (+ thresholds) -> Analysis. No model, no I/O."""

from __future__ import annotations

import logging
import warnings as _warnings
from dataclasses import dataclass, field, replace


from .clean import CleanSettings, clean
from .errors import NoPersonError
from .feedback import Cue, RepAssessment, assess_rep, cues
from .landmarks import PoseSequence
from .metrics import RepMetrics, Series, compute_series, not_a_squat, rep_metrics
from .reps import Rep, RepSettings, find_reps, settings_for_min_depth
from .thresholds import Thresholds, is_box_profile
from .view import ViewInfo, detect_view

log = logging.getLogger(__name__)

MIN_DETECTED_FRACTION = 0.2


@dataclass(frozen=True)
class Analysis:
    source: str
    profile: str
    thresholds: Thresholds
    view: ViewInfo
    reps: list[Rep]
    metrics: list[RepMetrics]
    assessments: list[RepAssessment]
    cues: list[Cue]
    series: Series
    clean_seq: PoseSequence
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    detected_fraction: float = 0.0
    # Centimetres per shin length of this person when their height or shin length was given
    # (box.cm_per_shin; see with_body_size), else None: box heights are then in shin lengths.
    cm_per_shin: float | None = None
    # The person squats onto a box or chair (the profile's protocol, thresholds.BOX_PROFILES, or
    # the user said so; see with_box): only then is a hold at the bottom reported as box contact.
    box: bool = False
    # The person's height or shin length as the user gave them (with_body_size), kept so that a
    # saved session is shown again in the same centimetres.
    height_cm: float | None = None
    shin_cm: float | None = None

    @property
    def rep_count(self) -> int:
        return len(self.reps)



def _reps_words(reps) -> str:
    """'rep 3' or 'reps 1, 3'."""
    return f"rep{'s' if len(reps) != 1 else ''} {', '.join(map(str, reps))}"


def check_person(seq: PoseSequence) -> float:
    """Fraction of frames with a person; raises NoPersonError when there is (almost) nobody."""
    if len(seq) == 0:
        raise NoPersonError("The video has no frames to analyse.")
    frac = float(seq.detected.mean())
    if frac == 0.0:
        raise NoPersonError("No person was found in the video. Film the whole body, well lit, "
                            "with the camera still, 2-3 m away.")
    return frac


def coverage_warnings(seq: PoseSequence, frac: float) -> list[str]:
    out = []
    if frac < 0.8:
        out.append(f"The person was found in only {frac:.0%} of the frames (they left the picture "
                   "or were hidden); reps in those parts are not counted.")
    return out


def analyze_sequence(seq: PoseSequence, thresholds: Thresholds, profile: str = "custom",
                     view: str = "auto", rep_settings: RepSettings | None = None,
                     clean_settings: CleanSettings = CleanSettings(),
                     warnings: list[str] | None = None) -> Analysis:
    """Score a landmark sequence. `view` forces "side" or "front" instead of detecting it.
    Reps count from the profile's minimum depth unless `rep_settings` are given."""
    rep_settings = rep_settings or settings_for_min_depth(thresholds.min_rep_depth_ratio)
    with _warnings.catch_warnings():
        # all-NaN stretches (nobody in the picture) are expected; they stay NaN
        _warnings.simplefilter("ignore", RuntimeWarning)
        return _analyze(seq, thresholds, profile, view, rep_settings, clean_settings, warnings)


def _analyze(seq, thresholds, profile, view, rep_settings, clean_settings, warnings) -> Analysis:
    frac = check_person(seq)
    if frac < MIN_DETECTED_FRACTION:
        raise NoPersonError(f"A person was found in only {frac:.0%} of the frames, too few to "
                            "analyse. Film the whole body, well lit, 2-3 m away.")
    cs = clean(seq, clean_settings)
    series = compute_series(cs)
    reps = find_reps(cs.t_s, series.depth, rep_settings)
    vinfo = detect_view(cs)
    if view != "auto":
        vinfo = ViewInfo(view, {"side": 90.0, "front": 0.0, "oblique": 45.0}.get(view, vinfo.yaw_deg),
                         vinfo.facing, vinfo.near_leg)
    forced = None if view == "auto" else view
    reps, ms = squats_only(reps, [rep_metrics(cs, series, r, i + 1, force_view=forced)
                                  for i, r in enumerate(reps)])
    return assemble(seq, cs, series, reps, ms, vinfo, thresholds, profile, warnings, frac)


def squats_only(reps: list[Rep], metrics: list[RepMetrics]) -> tuple[list[Rep], list[RepMetrics]]:
    """Drop the dips that are not squats (metrics.not_a_squat) and number the rest from 1."""
    keep = [(r, m) for r, m in zip(reps, metrics) if not not_a_squat(m)]
    for r, m in zip(reps, metrics):
        if (why := not_a_squat(m)):
            log.info("not counted at %.2f s: %s", m.bottom_s, why)
    return [r for r, _ in keep], [replace(m, index=k + 1) for k, (_, m) in enumerate(keep)]


def assemble(seq: PoseSequence, clean_seq: PoseSequence, series: Series, reps: list[Rep],
             metrics: list[RepMetrics], vinfo: ViewInfo, thresholds: Thresholds, profile: str,
             warnings: list[str] | None, detected_fraction: float) -> Analysis:
    """The Analysis of measured reps: assessments, cues and notes. Both paths end here (the
    live path with the reps its counter showed)."""
    assessments = [assess_rep(m, thresholds) for m in metrics]
    notes = list(warnings or []) + coverage_warnings(seq, detected_fraction)
    if not reps:
        notes.append("No complete squat repetition was found. Stand up fully between reps and "
                     "keep the whole body in the picture.")
    feet_missing = [m.index for m in metrics if "feet" in m.reasons.get("knee_over_toe", "")]
    if feet_missing:
        notes.append(f"Feet not clearly visible in {_reps_words(feet_missing)}: "
                     "knee-over-toe is not measured there. Keep both feet in the picture.")
    turned = [m.index for m in metrics if "view changed" in m.reasons.get("knee_over_toe", "")]
    if turned:
        notes.append(f"The body turned during {_reps_words(turned)}: "
                     f"{'its' if len(turned) == 1 else 'their'} angles "
                     "and knee-over-toe are not measured. Stay side-on for the whole set.")
    return Analysis(seq.source, profile, thresholds, vinfo, reps, metrics, assessments,
                    cues(metrics, assessments, thresholds, vinfo.view), series, clean_seq, notes,
                    float(seq.t_s[-1] - seq.t_s[0]) if len(seq) else 0.0, detected_fraction,
                    box=is_box_profile(profile))


def rescore(analysis: Analysis, thresholds: Thresholds, profile: str = "custom") -> Analysis:
    """New thresholds on the same reps and metrics: no model, no re-measuring."""
    assessments = [assess_rep(m, thresholds) for m in analysis.metrics]
    return replace(analysis, profile=profile, thresholds=thresholds, assessments=assessments,
                   cues=cues(analysis.metrics, assessments, thresholds, analysis.view.view))


def with_person(analysis: Analysis, height_cm: float | None = None, shin_cm: float | None = None,
                box: bool | None = None) -> Analysis:
    """What the user said about the person filmed (the CLI's --height-cm / --shin-cm / --box,
    the app's Settings): sizes in cm (with_body_size) and a box (with_box); None = not said."""
    if height_cm or shin_cm:
        analysis = with_body_size(analysis, height_cm, shin_cm)
    return with_box(analysis, box)


def with_box(analysis: Analysis, box: bool | None) -> Analysis:
    """The analysis with the user's word on whether the person squats onto a box or chair
    (None: keep the profile's default, thresholds.BOX_PROFILES)."""
    return analysis if box is None else replace(analysis, box=bool(box))


def with_body_size(analysis: Analysis, height_cm: float | None = None,
                   shin_cm: float | None = None) -> Analysis:
    """The analysis with box heights in centimetres, from the person's height or shin length
    (both None: in shin lengths again)."""
    from .box import cm_per_shin

    st = analysis.series.standing
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore", RuntimeWarning)
        hip_per_shin = st.hip_height_px / st.shin_len_px if st.shin_len_px else float("nan")
    height_cm = float(height_cm) if height_cm else None
    shin_cm = float(shin_cm) if shin_cm else None
    return replace(analysis, cm_per_shin=cm_per_shin(hip_per_shin, height_cm, shin_cm),
                   height_cm=height_cm, shin_cm=shin_cm)

