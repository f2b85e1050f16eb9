"""Small vectorised geometry on pixel coordinates (x right, y down). Pure functions."""

from __future__ import annotations

import numpy as np


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC in degrees (0..180) for (..., 2) points; NaN where undefined."""
    v1 = a - b
    v2 = c - b
    n = np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(v1 * v2, axis=-1) / n
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def incline_deg(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Angle of the segment upper->lower below horizontal: +ve when `upper` is lower in the
    picture than `lower` (e.g. hip below knee), 0 when level. Range -90..90."""
    dx = np.abs(lower[..., 0] - upper[..., 0])
    dy = upper[..., 1] - lower[..., 1]  # image y grows downward
    return np.degrees(np.arctan2(dy, dx))


def tilt_from_vertical_deg(top: np.ndarray, bottom: np.ndarray, sign: np.ndarray | float = 1.0
                           ) -> np.ndarray:
    """Signed angle of the segment bottom->top from vertical; +ve leaning toward +x*sign."""
    dx = (top[..., 0] - bottom[..., 0]) * sign
    dy = bottom[..., 1] - top[..., 1]
    return np.degrees(np.arctan2(dx, dy))


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a + b) / 2.0


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def nanmean_of(arrays: list[np.ndarray]) -> np.ndarray:
    """Element-wise mean of the finite values of equal-shaped arrays; NaN where none is finite
    (like np.nanmean over a stack, without its warning for all-NaN places)."""
    st = np.stack([np.asarray(a, dtype=np.float64) for a in arrays])
    ok = np.isfinite(st)
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(ok, st, 0.0).sum(axis=0) / n, np.nan)


def nanmedian_or_nan(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def rolling_nanmedian(t_s: np.ndarray, x: np.ndarray, half_window_s: float) -> np.ndarray:
    """Median of finite values within +-half_window_s of each sample."""
    return rolling_nanpercentile(t_s, x, half_window_s, 50.0)


def rolling_nanpercentile(t_s: np.ndarray, x: np.ndarray, half_window_s: float, q: float,
                          chunk: int = 2048) -> np.ndarray:
    """q-th percentile of finite values within +-half_window_s of each sample.

    Vectorised: the windows of a chunk of samples are laid out as rows (NaN-padded) and
    reduced in one call."""
    n = len(x)
    out = np.full(n, np.nan)
    if n == 0:
        return out
    lo = np.searchsorted(t_s, t_s - half_window_s, side="left")
    hi = np.searchsorted(t_s, t_s + half_window_s, side="right")
    width = int((hi - lo).max())
    padded = np.concatenate([np.asarray(x, dtype=np.float64), np.full(width, np.nan)])
    offsets = np.arange(width)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        idx = lo[a:b, None] + offsets[None, :]
        rows = padded[idx]
        rows[offsets[None, :] >= (hi[a:b] - lo[a:b])[:, None]] = np.nan
        out[a:b] = _row_percentile(rows, q)
    return out


def _row_percentile(rows: np.ndarray, q: float) -> np.ndarray:
    """Percentile of each row ignoring NaN (linear interpolation, as numpy's default)."""
    srt = np.sort(rows, axis=1)                    # NaN sorts last
    k = np.isfinite(srt).sum(axis=1)
    pos = (q / 100.0) * np.maximum(k - 1, 0)
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, np.maximum(k - 1, 0))
    r = np.arange(len(rows))
    v0, v1 = srt[r, i0], srt[r, i1]
    res = v0 + (pos - i0) * (v1 - v0)
    return np.where(k > 0, res, np.nan)
