"""Annotated frames and video: skeleton, knee-over-toe line, angles, rep counter, cue, depth bar.

Drawing (`annotate_frame`) is pure: an RGB frame and an Analysis in, a new frame out.
I/O (`bottom_frame`, `write_annotated`) decodes with PyAV and encodes H.264 mp4 with PyAV;
OpenCV's VideoWriter only writes mp4v, which browsers do not play.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from .errors import FormcheckError
from .landmarks import LEG, SKELETON

log = logging.getLogger(__name__)

GREEN, ORANGE, RED = (90, 225, 110), (255, 170, 40), (255, 85, 75)   # RGB, light enough on dark
WHITE, DARK = (245, 245, 245), (12, 12, 12)
NEAR_LEG, FAR_LEG = (80, 200, 255), (150, 150, 150)   # RGB
FONT = cv2.FONT_HERSHEY_SIMPLEX
WARN_BAND_RATIO = 0.1   # orange when the knee is within this many foot lengths below the limit
OUT_EXTENSIONS = (".mp4", ".m4v", ".mov")


class RenderError(FormcheckError):
    """The annotated video cannot be written (bad output path, encoder failure)."""


# ----------------------------------------------------------------------------- drawing


@dataclass(frozen=True)
class Style:
    """Sizes for one picture size: text about 1/35 of the picture's mean side."""

    font: float
    thick: int
    line: int
    pad: int

    @classmethod
    def for_size(cls, h: int, w: int) -> "Style":
        base = float(np.sqrt(h * w))
        font = max(0.42, base / 1000.0)
        return cls(font, max(1, round(font * 1.7)), max(2, round(base / 260)), max(3, round(base / 120)))


def _pt(xy: np.ndarray) -> tuple[int, int] | None:
    return (int(round(xy[0])), int(round(xy[1]))) if np.all(np.isfinite(xy)) else None


def _blend_box(img: np.ndarray, x0: int, y0: int, x1: int, y1: int, alpha: float = 0.72) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 > x0 and y1 > y0:
        roi = img[y0:y1, x0:x1]
        roi[:] = (roi.astype(np.float32) * (1.0 - alpha) + np.float32(DARK[0]) * alpha).astype(np.uint8)


def _text_size(text: str, st: Style, k: float = 1.0) -> tuple[int, int, int]:
    (tw, th), base = cv2.getTextSize(text, FONT, st.font * k, st.thick)
    return tw, th, base


def _label(img: np.ndarray, text: str, org: tuple[int, int], st: Style, color=WHITE,
           k: float = 1.0) -> tuple[int, int]:
    """Text on a dark translucent box; `org` is the box's top-left, kept inside the picture."""
    tw, th, base = _text_size(text, st, k)
    bw, bh = tw + 2 * st.pad, th + base + 2 * st.pad
    x = int(np.clip(org[0], 0, max(0, img.shape[1] - bw)))
    y = int(np.clip(org[1], 0, max(0, img.shape[0] - bh)))
    _blend_box(img, x, y, x + bw, y + bh)
    cv2.putText(img, text, (x + st.pad, y + st.pad + th), FONT, st.font * k, color, st.thick, cv2.LINE_AA)
    return bw, bh


def _wrap(text: str, max_w: int, st: Style) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        cand = f"{cur} {word}".strip()
        if cur and _text_size(cand, st)[0] > max_w:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    return lines + ([cur] if cur else [])


def draw_skeleton(img: np.ndarray, xy: np.ndarray, near_leg: str | None, st: Style) -> None:
    """Bones (dark outline under a coloured line) and joints; the near leg stands out."""
    near = {int(j) for j in LEG[near_leg]} if near_leg in LEG else set()
    far = {int(j) for side, js in LEG.items() if side != near_leg for j in js} if near else set()
    for a, b in SKELETON:
        pa, pb = _pt(xy[int(a)]), _pt(xy[int(b)])
        if pa is None or pb is None:
            continue
        color = NEAR_LEG if {int(a), int(b)} <= near else FAR_LEG if {int(a), int(b)} & far else WHITE
        cv2.line(img, pa, pb, DARK, st.line + 2, cv2.LINE_AA)
        cv2.line(img, pa, pb, color, st.line, cv2.LINE_AA)
    for j in {int(i) for e in SKELETON for i in e}:
        p = _pt(xy[j])
        if p is not None:
            cv2.circle(img, p, st.line + 2, DARK, -1, cv2.LINE_AA)
            cv2.circle(img, p, st.line + 1, NEAR_LEG if j in near else WHITE, -1, cv2.LINE_AA)


def knee_color(ratio: float, limit_ratio: float) -> tuple[int, int, int]:
    """Green well behind the limit, orange close to it, red past it."""
    if ratio > limit_ratio:
        return RED
    return ORANGE if ratio > limit_ratio - WARN_BAND_RATIO else GREEN


def _dashed_vline(img: np.ndarray, x: int, y0: int, y1: int, color, st: Style) -> None:
    dash = max(4, 3 * st.line)
    for y in range(min(y0, y1), max(y0, y1), 2 * dash):
        cv2.line(img, (x, y), (x, min(y + dash, max(y0, y1))), color, st.line, cv2.LINE_AA)


def draw_knee_over_toe(img, knee, toe, gap_px: float, ratio: float, limit: float, side: int,
                       st: Style) -> None:
    """Vertical line at the toes and the knee's horizontal gap to it, in px and foot lengths."""
    k, t = _pt(knee), _pt(toe)
    if k is None or t is None or not np.isfinite(gap_px):
        return
    color = knee_color(ratio, limit) if np.isfinite(ratio) else WHITE
    _dashed_vline(img, t[0], t[1], k[1] - 4 * st.pad, color, st)
    cv2.line(img, (t[0], k[1]), k, DARK, st.line + 2, cv2.LINE_AA)
    cv2.line(img, (t[0], k[1]), k, color, st.line, cv2.LINE_AA)
    text = f"past toes {gap_px:+.0f} px" + (f" = {ratio:+.2f} foot len" if np.isfinite(ratio) else "")
    x = max(k[0], t[0]) if side > 0 else min(k[0], t[0])
    bh = _text_size("k", st)[1] + 2 * st.pad
    _beside(img, text, (x, k[1]), side, st, color, dy=bh // 2 + st.pad)


def draw_depth_bar(img: np.ndarray, depth: float, st: Style) -> None:
    """Vertical bar at the right edge: 0 standing, tick at 1 (thigh level), full at 1.3."""
    h, w = img.shape[:2]
    bw, bh = max(8, 3 * st.pad), int(h * 0.32)
    x0, y0 = w - bw - 2 * st.pad, int(h * 0.3)
    _blend_box(img, x0 - st.pad, y0 - st.pad, x0 + bw + st.pad, y0 + bh + st.pad)
    frac = float(np.clip(depth / 1.3, 0, 1)) if np.isfinite(depth) else 0.0
    color = GREEN if np.isfinite(depth) and depth >= 1.0 else WHITE
    cv2.rectangle(img, (x0, y0 + int(bh * (1 - frac))), (x0 + bw, y0 + bh), color, -1)
    ty = y0 + int(bh * (1 - 1 / 1.3))
    cv2.line(img, (x0 - st.pad, ty), (x0 + bw + st.pad, ty), ORANGE, max(1, st.line // 2), cv2.LINE_AA)
    tw = _text_size("depth", st, 0.8)[0]
    _label(img, "depth", (x0 + bw - tw - 2 * st.pad, y0 + bh + 2 * st.pad), st, WHITE, 0.8)


def draw_panel(img: np.ndarray, lines: list[tuple[str, tuple]], st: Style) -> None:
    """Lines of text, top-left, on one translucent box (first line larger)."""
    max_w = int(img.shape[1] * 0.62)
    rows = [(t, c, 1.25 if i == 0 else 1.0) for i, (text, c) in enumerate(lines)
            for t in (_wrap(text, max_w, st) if i else [text])]
    sizes = [_text_size(t, st, k) for t, _, k in rows]
    gap = st.pad
    bw = max(s[0] for s in sizes) + 2 * st.pad
    bh = sum(s[1] + s[2] + gap for s in sizes) + st.pad
    _blend_box(img, st.pad, st.pad, st.pad + bw, st.pad + bh)
    y = 2 * st.pad
    for (t, c, k), (tw, th, base) in zip(rows, sizes):
        cv2.putText(img, t, (2 * st.pad, y + th), FONT, st.font * k, c, st.thick, cv2.LINE_AA)
        y += th + base + gap


# ------------------------------------------------------------------- what to show when


def current_rep(analysis, i: int) -> int | None:
    """Index of the rep that frame i lies in, or None."""
    for k, r in enumerate(analysis.reps):
        if r.start_i <= i <= r.end_i:
            return k
    return None


def reps_done(analysis, i: int) -> int:
    return sum(1 for r in analysis.reps if r.end_i <= i)


def cue_line(analysis, rep: int | None) -> tuple[str, tuple]:
    """The current rep's flag (worst first), 'within limits', or the clip's top cue."""
    if rep is not None and rep < len(analysis.assessments):
        flags = sorted(analysis.assessments[rep].flags, key=lambda f: f.severity != "warn")
        if flags:
            return f"Rep {rep + 1}: {flags[0].message}", RED if flags[0].severity == "warn" else ORANGE
        return f"Rep {rep + 1}: within limits", GREEN
    if analysis.cues:
        top = analysis.cues[0]
        return top.title, GREEN if top.code == "good" else ORANGE if top.code != "load" else WHITE
    return "", WHITE


def leg_and_view(analysis, rep: int | None) -> tuple[str, str]:
    if rep is not None and rep < len(analysis.metrics):
        m = analysis.metrics[rep]
        return m.leg, m.view
    return analysis.view.near_leg, analysis.view.view


def _side_out(xy: np.ndarray, leg: str, facing: int, view: str) -> int:
    """+1/-1: the picture direction in which labels stay off the body."""
    if view == "front":
        hips = xy[[int(LEG["left"][0]), int(LEG["right"][0])], 0]
        d = xy[int(LEG[leg][0]), 0] - np.nanmean(hips)
        return 1 if not np.isfinite(d) or d >= 0 else -1
    return 1 if facing >= 0 else -1


def _beside(img, text: str, p, side: int, st: Style, color=WHITE, dy: int = 0) -> None:
    """A label left or right of point p (side -1 / +1), vertically centred on it."""
    tw, th, base = _text_size(text, st)
    bw, bh = tw + 2 * st.pad, th + base + 2 * st.pad
    x = p[0] + 2 * st.pad if side > 0 else p[0] - 2 * st.pad - bw
    _label(img, text, (x, p[1] - bh // 2 + dy), st, color)


def draw_angles(img, xy, s, leg: str, i: int, view: str, st: Style) -> None:
    """Knee flexion ahead of the knee (beyond the toe line), thigh angle behind the hip.

    From the front both go outward of the knee, one above the other.
    """
    hip, knee, toe = (int(LEG[leg][k]) for k in (0, 1, 4))
    flex, thigh = s.knee_flexion_deg[leg][i], s.thigh_deg[leg][i]
    side = _side_out(xy, leg, s.facing, view)
    kp, hp = _pt(xy[knee]), _pt(xy[hip])
    bh = _text_size("k", st)[1] + 2 * st.pad
    if kp is not None and np.isfinite(flex):
        x = kp[0]
        if view != "front" and np.isfinite(xy[toe, 0]):
            x = int(max(x, xy[toe, 0])) if side > 0 else int(min(x, xy[toe, 0]))
        _beside(img, f"knee {flex:.0f} deg", (x, kp[1]), side, st, dy=-bh // 2 - st.pad)
    if view == "front":
        hp, dy = kp, -bh * 3 // 2 - 2 * st.pad
    else:
        side, dy = -side, 0
    if hp is not None and np.isfinite(thigh):
        _beside(img, f"thigh {thigh:+.0f} deg", hp, side, st, dy=dy)


def annotate_frame(rgb: np.ndarray, analysis, frame_index: int, scale: float = 1.0) -> np.ndarray:
    """A new frame with the measurements of analysis.clean_seq[frame_index] drawn on it.

    `scale` = picture size / display size (landmarks are in display pixels).
    """
    img = np.ascontiguousarray(rgb).copy()
    st = Style.for_size(*img.shape[:2])
    i = int(np.clip(frame_index, 0, max(0, len(analysis.clean_seq) - 1)))
    s = analysis.series
    rep = current_rep(analysis, i)
    leg, view = leg_and_view(analysis, rep)
    if len(analysis.clean_seq):
        xy = analysis.clean_seq.xy_px[i] * scale
        draw_skeleton(img, xy, leg if view != "front" else None, st)
        if view in ("side", "oblique"):
            gap = s.knee_over_toe_px[leg][i]
            draw_knee_over_toe(img, xy[int(LEG[leg][1])], xy[int(LEG[leg][4])], gap,
                               gap / s.foot_len_px[leg] if s.foot_len_px[leg] > 1 else np.nan,
                               analysis.thresholds.knee_over_toe_max_ratio,
                               _side_out(xy, leg, s.facing, view), st)
        draw_angles(img, xy, s, leg, i, view, st)
        draw_depth_bar(img, float(s.depth[i]), st)
    total = len(analysis.reps)
    draw_panel(img, [(f"Reps done: {reps_done(analysis, i)} of {total}", WHITE),
                     cue_line(analysis, rep)], st)
    return img


# --------------------------------------------------------------------------------- I/O


def _time_origin(container, stream) -> float:
    """The same time zero as video.iter_frames: min(stream start, first frame time)."""
    first = next(container.decode(stream), None)
    st = stream.start_time
    t_first = first.time if first is not None and first.time is not None else 0.0
    t0 = float(st * stream.time_base) if st is not None and stream.time_base else t_first
    return min(t0, t_first)


def _decode_at(path, t_s: float, max_side_px: int | None) -> tuple[np.ndarray, float]:
    """The first frame at or after t_s (seconds from the file start), and its scale."""
    from .video import _open, _rotate

    container = _open(path)
    try:
        stream = container.streams.video[0]
        t0 = _time_origin(container, stream)
        container.seek(int(max(0.0, t0 + t_s - 0.5) / stream.time_base), stream=stream, backward=True)
        frame = None
        for f in container.decode(stream):
            frame = f
            if f.time is not None and f.time - t0 >= t_s - 1e-3:
                break
        if frame is None:
            raise RenderError(f"No frame at {t_s:.2f} s in {Path(path).name}; is it the analysed clip?")
        return _to_rgb(frame, max_side_px)
    finally:
        container.close()


def _to_rgb(frame, max_side_px: int | None) -> tuple[np.ndarray, float]:
    from .video import _rotate

    w, h = frame.width, frame.height
    scale = max_side_px / max(w, h) if max_side_px and max(w, h) > max_side_px else 1.0
    if scale < 1.0:
        rgb = frame.to_ndarray(format="rgb24", width=int(round(w * scale / 2) * 2),
                               height=int(round(h * scale / 2) * 2))
    else:
        rgb = frame.to_ndarray(format="rgb24")
    return _rotate(rgb, int(getattr(frame, "rotation", 0) or 0)), scale


def bottom_frame(clip_path, analysis, rep_index: int, max_side_px: int | None = 1280) -> np.ndarray:
    """The annotated frame at the bottom of rep `rep_index` (0-based), decoded by seeking."""
    if not 0 <= rep_index < len(analysis.reps):
        raise RenderError(f"Rep {rep_index + 1} does not exist: the clip has {len(analysis.reps)} reps.")
    i = analysis.reps[rep_index].bottom_i
    rgb, scale = _decode_at(clip_path, float(analysis.clean_seq.t_s[i]), max_side_px)
    return annotate_frame(rgb, analysis, i, scale)


def _check_output(clip_path, out_path) -> Path:
    out = Path(out_path)
    if out.suffix.lower() not in OUT_EXTENSIONS:
        raise RenderError(f"{out.name}: the annotated video is an H.264 mp4; give a name ending in .mp4.")
    if Path(clip_path).exists() and out.exists() and out.resolve() == Path(clip_path).resolve():
        raise RenderError(f"{out} is the input clip; choose another name so the original is kept.")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise RenderError(f"Folder {parent} does not exist (or is a file). Create it or write the "
                          "annotated video somewhere else.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RenderError(f"Cannot write to folder {parent} (no permission). Choose a folder you "
                          "can write to, e.g. your home folder.")
    return out


def _frame_rate(t_s: np.ndarray) -> Fraction:
    dt = np.diff(t_s)
    fps = 1.0 / float(np.median(dt)) if dt.size and np.median(dt) > 0 else 30.0
    return Fraction(fps).limit_denominator(1001)


class _Encoder:
    """H.264 (libx264, yuv420p) mp4 with +faststart; pts from the frames' real times."""

    TIME_BASE = Fraction(1, 90000)

    def __init__(self, path: Path, width: int, height: int, rate: Fraction):
        import av

        self.container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"preset": "veryfast", "crf": "21"}
        self.last_pts = -1

    def write(self, rgb: np.ndarray, t_s: float) -> None:
        import av

        h, w = self.stream.height, self.stream.width
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
        frame.pts = max(int(round(t_s / self.TIME_BASE)), self.last_pts + 1)
        frame.time_base = self.TIME_BASE
        self.last_pts = frame.pts
        self.container.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.container.mux(self.stream.encode(None))
        self.container.close()


def _matched_frames(clip_path, t_s: np.ndarray, max_fps):
    """(analysis index, Frame) for decoded frames whose time is an analysed frame's time."""
    from .video import iter_frames, prefetch

    tol = 0.25 * float(np.median(np.diff(t_s))) if len(t_s) > 1 else 1e-3
    j = 0
    for frame in prefetch(iter_frames(clip_path, max_fps=max_fps)):
        while j < len(t_s) and t_s[j] < frame.t_s - tol:
            j += 1
        if j == len(t_s):
            break
        if abs(t_s[j] - frame.t_s) <= tol:
            yield j, frame
            j += 1


def write_annotated(clip_path, analysis, out_path, progress: Callable[[float, float], None] | None = None,
                    max_fps: float | None = 30.0) -> Path:
    """Write the clip with the analysis drawn on every analysed frame, as H.264 mp4.

    Decode with the same `max_fps` as the analysis: frames are matched to analysis.clean_seq by
    time. Written to a temporary file beside `out_path`, renamed when complete.
    """
    out = _check_output(clip_path, out_path)
    t_s = analysis.clean_seq.t_s
    if len(t_s) == 0:
        raise RenderError("The analysis has no frames; nothing to annotate.")
    fd, tmp_name = _temp_beside(out)
    tmp = Path(tmp_name)
    try:
        os.close(fd)
        n = _encode_all(clip_path, analysis, tmp, max_fps, progress)
        if n == 0:
            raise RenderError(f"No frame of {Path(clip_path).name} matched the analysis; annotate "
                              "the same clip that was analysed, with the same frame rate limit.")
        os.replace(tmp, out)
    except OSError as exc:
        raise RenderError(f"Could not write {out} ({exc.strerror or exc}). Check there is free "
                          "space and that you may write to that folder.") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _temp_beside(out: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".part.mp4", dir=out.parent or ".")
    except OSError as exc:
        raise RenderError(f"Cannot create a file in {out.parent} ({exc.strerror or exc}). Choose a "
                          "folder you can write to.") from exc


def _encode_all(clip_path, analysis, tmp: Path, max_fps, progress) -> int:
    t_s = analysis.clean_seq.t_s
    total = float(t_s[-1])
    enc = None
    n = 0
    try:
        for j, frame in _matched_frames(clip_path, t_s, max_fps):
            img = annotate_frame(frame.rgb, analysis, j, frame.scale)
            if enc is None:
                h, w = img.shape[:2]
                enc = _Encoder(tmp, w - w % 2, h - h % 2, _frame_rate(t_s))
            enc.write(img, float(t_s[j] - t_s[0]))
            n += 1
            if progress is not None:
                progress(float(t_s[j]), total)
    finally:
        if enc is not None:
            enc.close()
    return n
