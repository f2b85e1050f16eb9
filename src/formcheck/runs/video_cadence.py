"""Step rate from a video of running (treadmill or track, side or rear view, >= 10 s).

Same pose, cleaning and view code as the squat path (pose.track_video -> clean.clean ->
view.detect_view). A step is one foot contact. The distance between the two ankles in the
picture peaks once per step: side on, the feet are furthest apart (one landing in front, one
pushing off behind) around each contact; from behind, one foot is highest in its swing while the
other is on the ground. The distance ignores which ankle is called left or right, so the pose
model's left/right swaps in side views do not matter. Peaks are found on the cleaned track
(zero-phase low-pass, 6 Hz) with a minimum spacing of 0.25 s (240 steps/min) and refined to
sub-frame times (parabola through the peak and its neighbours).

Uncertainty: the standard error of the mean step interval (how regular the steps were) and the
timing of the first and last contact (one frame each), combined; reported as a 95 % interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..errors import FormcheckError
from ..landmarks import Landmark, PoseSequence

log = logging.getLogger(__name__)

MIN_DURATION_S = 10.0
MIN_STEP_S = 60.0 / 240.0
MIN_FOUND_SHARE = 0.8


@dataclass(frozen=True)
class VideoCadence:
    steps_per_min: float
    uncertainty_spm: float          # half-width of the 95 % interval
    contacts_s: tuple[float, ...]   # foot-contact times, seconds from the start of the file
    duration_s: float
    view: str


def _peak_times(t: np.ndarray, sig: np.ndarray, dt: float) -> np.ndarray:
    from scipy.signal import find_peaks

    lo, hi = np.percentile(sig, [10, 90])
    idx, _ = find_peaks(sig, distance=max(1, int(MIN_STEP_S / dt)),
                        prominence=0.3 * (hi - lo))
    out = []
    for i in idx:
        if 0 < i < len(sig) - 1:
            a, b, c = sig[i - 1], sig[i], sig[i + 1]
            den = a - 2 * b + c
            off = 0.5 * (a - c) / den if den != 0 else 0.0
            out.append(t[i] + float(np.clip(off, -0.5, 0.5)) * dt)
        else:
            out.append(t[i])
    return np.asarray(out)


def cadence_from_pose(seq: PoseSequence, source: str = "the clip") -> VideoCadence:
    from ..clean import clean
    from ..view import detect_view

    if len(seq) < 2 or seq.t_s[-1] - seq.t_s[0] < MIN_DURATION_S:
        raise FormcheckError(f"{source}: shorter than {MIN_DURATION_S:.0f} s of running; film at "
                             "least 10 s (side or rear view, whole body in the picture).")
    c = clean(seq)
    la, ra = c.point(Landmark.LEFT_ANKLE), c.point(Landmark.RIGHT_ANKLE)
    sep = np.hypot(la[:, 0] - ra[:, 0], la[:, 1] - ra[:, 1])
    ok = np.isfinite(sep)
    if ok.mean() < MIN_FOUND_SHARE:
        raise FormcheckError(f"{source}: the feet were found in only {ok.mean():.0%} of the "
                             "frames; keep the whole body, feet included, in the picture.")
    dt = float(np.median(np.diff(c.t_s)))
    t = np.arange(c.t_s[0], c.t_s[-1] + dt / 2, dt)
    sig = np.interp(t, c.t_s[ok], sep[ok])
    peaks = _peak_times(t, sig, dt)
    if len(peaks) < 10:
        raise FormcheckError(f"{source}: only {len(peaks)} foot contacts found; film at least "
                             "10 s of steady running, side or rear view.")
    span = peaks[-1] - peaks[0]
    n = len(peaks) - 1
    mean_step = span / n
    spm = 60.0 / mean_step
    iv = np.diff(peaks)
    se_step = float(np.std(iv, ddof=1)) / np.sqrt(n)
    se_ends = np.sqrt(2) * dt / np.sqrt(12) / n       # first and last contact: +-half a frame
    se = np.hypot(se_step, se_ends)
    unc = 1.96 * 60.0 * se / mean_step ** 2
    view = detect_view(c).view
    return VideoCadence(float(spm), float(unc), tuple(float(x) for x in peaks),
                        float(seq.t_s[-1] - seq.t_s[0]), str(getattr(view, "value", view)))
