"""The annotated video and single annotated frames: decoding with PyAV, drawing with overlay.py,
encoding H.264 mp4 with PyAV (OpenCV's VideoWriter only writes mp4v, which browsers do not play).
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import FormcheckError
from .atomic import atomic_path
from .overlay import annotate_frame

log = logging.getLogger(__name__)

OUT_EXTENSIONS = (".mp4", ".m4v", ".mov")


class RenderError(FormcheckError):
    """The annotated video cannot be written (bad output path, encoder failure)."""


def _time_origin(container, stream) -> float:
    """The same time zero as video.iter_frames: min(stream start, first frame time)."""
    first = next(container.decode(stream), None)
    st = stream.start_time
    t_first = first.time if first is not None and first.time is not None else 0.0
    t0 = float(st * stream.time_base) if st is not None and stream.time_base else t_first
    return min(t0, t_first)


def _decode_at(path, t_s: float, max_side_px: int | None) -> tuple[np.ndarray, float]:
    """The first frame at or after t_s (seconds from the file start), and its scale."""
    from .video import _open

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


def check_output(clip_path, out_path) -> Path:
    """Raise RenderError now if `out_path` cannot be written (call before a long analysis)."""
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

    def __init__(self, path: Path, width: int, height: int, rate: Fraction,
                 mode: int | None = None):
        import av

        if mode is not None:    # e.g. 0o600 for the app's private folders, whatever the umask
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, mode)
            try:
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
        self.container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        # the frames' own clock: a time base of 1/rate would merge frames that come closer
        # together than the median interval (a live set's camera does) and break the muxer
        self.stream.codec_context.time_base = self.TIME_BASE
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
                    max_fps: float | None = 30.0, mode: int | None = None) -> Path:
    """Write the clip with the analysis drawn on every analysed frame, as H.264 mp4.

    Decode with the same `max_fps` as the analysis: frames are matched to analysis.clean_seq by
    time. Written to a temporary file beside `out_path`, renamed when complete. `mode` (e.g.
    0o600) sets the file's permissions whatever the umask; None: the usual ones.
    """
    out = check_output(clip_path, out_path)
    t_s = analysis.clean_seq.t_s
    if len(t_s) == 0:
        raise RenderError("The analysis has no frames; nothing to annotate.")
    try:
        with atomic_path(out) as tmp:
            n = _encode_all(clip_path, analysis, tmp, max_fps, progress, mode)
            if n == 0:
                raise RenderError(f"No frame of {Path(clip_path).name} matched the analysis; "
                                  "annotate the same clip that was analysed, with the same frame "
                                  "rate limit.")
        log.info("wrote %d annotated frames to %s", n, out)
    except OSError as exc:
        raise RenderError(f"Could not write {out} ({exc.strerror or exc}). Check there is free "
                          "space and that you may write to that folder.") from exc
    except _av_error() as exc:
        raise RenderError(f"The video encoder failed on {out.name} ({exc}). Try again; if it "
                          "persists, reinstall formcheck (PyAV with libx264).") from exc
    return out


def _av_error() -> type:
    import av

    return getattr(av, "FFmpegError", None) or av.error.FFmpegError


def _encode_all(clip_path, analysis, tmp: Path, max_fps, progress, mode: int | None = None) -> int:
    t_s = analysis.clean_seq.t_s
    total = float(t_s[-1])
    enc = None
    n = 0
    try:
        for j, frame in _matched_frames(clip_path, t_s, max_fps):
            img = annotate_frame(frame.rgb, analysis, j, frame.scale)
            if enc is None:
                h, w = img.shape[:2]
                enc = _Encoder(tmp, w - w % 2, h - h % 2, _frame_rate(t_s), mode)
            enc.write(img, float(t_s[j] - t_s[0]))
            n += 1
            if progress is not None:
                progress(float(t_s[j]), total)
    finally:
        if enc is not None:
            enc.close()
    return n


__all__ = ["annotate_frame", "bottom_frame", "check_output", "write_annotated", "RenderError"]
