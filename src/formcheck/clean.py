"""Cleaning landmark tracks: visibility gating, short-gap filling, zero-phase low-pass.

Offline clips use a Butterworth filter run forwards and backwards (no lag). Live frames use
the One-Euro filter (Casiez et al. 2012), which is causal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .landmarks import PoseSequence


@dataclass(frozen=True)
class CleanSettings:
    min_visibility: float = 0.3      # below this a landmark is treated as not seen
    frame_margin: float = 0.02       # landmarks further outside the picture than this are guesses
    max_gap_s: float = 0.3           # gaps up to this long are interpolated
    cutoff_hz: float = 6.0           # Butterworth low-pass cut-off (Sports2D default)
    order: int = 4

    @property
    def min_found_s(self) -> float:
        """The briefest detection between misses that is used (drop_brief_detections): half a
        period of the low-pass cut-off (0.083 s at 6 Hz). A briefer flash lies above the
        filter's pass band, so it cannot be told from noise."""
        return 0.5 / self.cutoff_hz


def fill_gaps(t_s: np.ndarray, values: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linearly interpolate NaN runs no longer than `max_gap_s` in a 1-D track."""
    out = values.astype(np.float64).copy()
    bad = np.isnan(out)
    if not bad.any() or bad.all():
        return out
    good_idx = np.flatnonzero(~bad)
    interp = np.interp(t_s, t_s[good_idx], out[good_idx])
    # each NaN run's length is measured between the good samples around it
    for i, j in runs(bad):
        if i > 0 and j < len(out) and (t_s[j] - t_s[i - 1]) <= max_gap_s + 1e-9:
            out[i:j] = interp[i:j]
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where a 1-D boolean mask is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def butter_lowpass(order: int, wn: float) -> tuple[np.ndarray, np.ndarray]:
    """Digital Butterworth low-pass (b, a), `wn` the cut-off as a fraction of Nyquist: the
    analogue prototype's poles, pre-warped, through the bilinear transform. The same
    coefficients as `scipy.signal.butter(order, wn)` (tests/test_clean.py compares them), without
    importing SciPy's signal package, which cost 1.3 s of every `formcheck analyze` (issue 20)."""
    poles = -np.exp(1j * np.pi * np.arange(-order + 1, order, 2) / (2 * order))
    warped = 4.0 * np.tan(np.pi * wn / 2.0)          # 2·fs·tan(π·wn/fs) with fs = 2
    p_analog = warped * poles
    p_digital = (4.0 + p_analog) / (4.0 - p_analog)   # bilinear transform, 2·fs = 4
    gain = warped ** order * np.real(1.0 / np.prod(4.0 - p_analog))
    b = gain * np.real(np.poly(-np.ones(order)))      # every zero at z = −1
    a = np.real(np.poly(p_digital))
    return b, a


def _lfilter_zi(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The filter's steady state for a unit step (as scipy.signal.lfilter_zi), a[0] == 1."""
    n = len(a)
    companion = np.zeros((n - 1, n - 1))
    companion[0] = -a[1:]
    companion[1:, :-1] += np.eye(n - 2)
    return np.linalg.solve(np.eye(n - 1) - companion.T, b[1:] - a[1:] * b[0])


def _lfilter_columns(b: np.ndarray, a: np.ndarray, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Direct form II transposed over the rows of `x` (time × columns), every column at once,
    from the state `z` (order × columns)."""
    z = z.copy()
    y = np.empty_like(x)
    order = len(a) - 1
    for n in range(x.shape[0]):
        xn = x[n]
        yn = b[0] * xn + z[0]
        for i in range(order - 1):
            z[i] = b[i + 1] * xn + z[i + 1] - a[i + 1] * yn
        z[order - 1] = b[order] * xn - a[order] * yn
        y[n] = yn
    return y


def filtfilt_many(b: np.ndarray, a: np.ndarray, tracks: list[np.ndarray]) -> list[np.ndarray]:
    """Zero-phase filtering of finite 1-D tracks of any lengths, each as
    `scipy.signal.filtfilt(b, a, track)` does it (odd extension of 3·max(len(a), len(b))
    samples, the steady state scaled to the first sample, forwards then backwards). Each track
    must be longer than that extension. The tracks are filtered side by side, left-aligned: a
    column's samples after its own end cannot reach back into its output, so the loop runs once
    over the longest track, not once per track."""
    if not tracks:
        return []
    pad = 3 * max(len(a), len(b))
    ext = [np.concatenate([2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2:-pad - 2:-1]]) for x in tracks]
    lengths = np.array([len(e) for e in ext])
    cols = np.zeros((int(lengths.max()), len(ext)))
    for k, e in enumerate(ext):
        cols[:len(e), k] = e
    zi = _lfilter_zi(b, a)[:, None]
    fwd = _lfilter_columns(b, a, cols, zi * cols[0])
    back = np.zeros_like(cols)
    for k, n in enumerate(lengths):
        back[:n, k] = fwd[n - 1::-1, k]
    out = _lfilter_columns(b, a, back, zi * back[0])
    return [out[n - 1::-1, k][pad:n - pad] for k, n in enumerate(lengths)]


def lowpass_many(t_s: np.ndarray, tracks: np.ndarray, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass of every column of (N, M) tracks sampled at `t_s`, each
    finite run on its own (NaNs stay NaN; a run no longer than the filter's edge extension
    stays as it is)."""
    out = np.array(tracks, dtype=np.float64, copy=True)
    if len(t_s) < 4:
        return out
    dt = float(np.median(np.diff(t_s)))
    fs = 1.0 / dt if dt > 0 else 30.0
    wn = cutoff_hz / (fs / 2.0)
    if wn >= 0.95:  # too few frames per second to filter at this cut-off
        return out
    b, a = butter_lowpass(order, wn)
    pad = 3 * max(len(a), len(b))
    where = [(k, i, j) for k in range(out.shape[1])
             for i, j in runs(np.isfinite(out[:, k])) if j - i > pad]
    for (k, i, j), y in zip(where, filtfilt_many(b, a, [out[i:j, k] for k, i, j in where])):
        out[i:j, k] = y
    return out


def lowpass(t_s: np.ndarray, values: np.ndarray, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass on each finite run of a 1-D track (NaNs stay NaN)."""
    return lowpass_many(t_s, np.asarray(values, dtype=np.float64)[:, None], cutoff_hz, order)[:, 0]


def drop_brief_detections(t_s: np.ndarray, xy_px: np.ndarray, min_found_s: float) -> np.ndarray:
    """A copy of (N, 33, 2) gated landmarks without the brief detections: runs of frames where
    the person was found (any landmark seen) that last less than `min_found_s` (counting each
    frame as one frame interval) with frames where nobody was found on both sides. Such a
    flash is a re-detection on a partly hidden body (a rack upright, a barbell plate) with the
    limbs in the wrong places. A run at either end of the clip is kept.

    Clip path only, like gap filling and the zero-phase filter: it needs the frames after a
    detection. The live path passes a flash to its causal filter."""
    xy = np.array(xy_px, dtype=np.float64, copy=True)
    if len(t_s) < 3:
        return xy
    found = np.isfinite(xy).any(axis=(1, 2))
    dt = float(np.median(np.diff(t_s)))
    for i, j in runs(found):
        if i > 0 and j < len(found) and (t_s[j - 1] - t_s[i]) + dt < min_found_s - 1e-9:
            xy[i:j] = np.nan
    return xy


def gate(xy_px: np.ndarray, visibility: np.ndarray, width_px: int, height_px: int,
         settings: CleanSettings = CleanSettings()) -> np.ndarray:
    """A copy of (..., 33, 2) landmarks with the unseen ones NaN: low visibility, or further
    outside the picture than the frame margin (MediaPipe guesses those)."""
    xy = np.array(xy_px, dtype=np.float64, copy=True)
    xy[visibility < settings.min_visibility] = np.nan
    mx, my = settings.frame_margin * width_px, settings.frame_margin * height_px
    with np.errstate(invalid="ignore"):
        outside = ((xy[..., 0] < -mx) | (xy[..., 0] > width_px + mx)
                   | (xy[..., 1] < -my) | (xy[..., 1] > height_px + my))
    xy[outside] = np.nan
    return xy


def clean(seq: PoseSequence, settings: CleanSettings = CleanSettings()) -> PoseSequence:
    """Gate, drop brief detections between misses, fill short gaps, low-pass every coordinate
    (zero-phase). Returns a new sequence."""
    if len(seq) == 0:
        return seq
    t = seq.t_s
    xy = drop_brief_detections(t, gate(seq.xy_px, seq.visibility, seq.width_px, seq.height_px,
                                       settings), settings.min_found_s)
    n = len(t)
    filled = np.stack([fill_gaps(t, xy[:, k, c], settings.max_gap_s)
                       for k in range(xy.shape[1]) for c in range(2)], axis=1)
    smooth = lowpass_many(t, filled, settings.cutoff_hz, settings.order)
    return seq.replace(xy_px=smooth.reshape(n, xy.shape[1], 2))


class OneEuro:
    """One-Euro filter for live landmarks (array-valued; NaN resets that element)."""

    def __init__(self, min_cutoff_hz: float = 1.5, beta: float = 0.05, d_cutoff_hz: float = 1.0):
        self.min_cutoff = min_cutoff_hz
        self.beta = beta
        self.d_cutoff = d_cutoff_hz
        self._x = None
        self._dx = None
        self._t = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
        tau = 1.0 / (2 * np.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t_s <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t_s
            return x.copy()
        dt = t_s - self._t
        self._t = t_s
        reset = ~np.isfinite(self._x)
        dx = np.where(reset, 0.0, (x - self._x) / dt)
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = np.where(np.isfinite(dx), a_d * dx + (1 - a_d) * np.nan_to_num(self._dx), 0.0)
        cutoff = self.min_cutoff + self.beta * np.abs(self._dx)
        a = self._alpha(cutoff, dt)
        new = a * x + (1 - a) * self._x
        self._x = np.where(reset | ~np.isfinite(new), x, new)
        return self._x.copy()
