"""Decoding: real per-frame timestamps, rotation metadata applied, frames streamed (never all held).

Decoding runs in a background thread so that it overlaps with pose inference.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .errors import EmptyVideoError, StillImageError, VideoOpenError, VideoTooLargeError

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".webm", ".m4v", ".mkv")
MAX_DURATION_S = 30 * 60.0
MAX_PIXELS = 8192 * 4320


@dataclass(frozen=True)
class VideoInfo:
    """What a clip is, as displayed (rotation applied)."""

    path: str
    width_px: int
    height_px: int
    fps: float
    duration_s: float
    rotation_deg: int
    codec: str


@dataclass(frozen=True)
class Frame:
    """One decoded frame: `rgb` is (H, W, 3) uint8 as displayed, maybe scaled down by `scale`."""

    index: int
    t_s: float
    rgb: np.ndarray
    scale: float = 1.0


def _open(path: str | Path):
    import av  # imported here so that pure modules never need it

    from .landmarks import regular_file_problem

    path = Path(path)
    if not path.exists():
        raise VideoOpenError(f"File not found: {path}. Check the path and try again.")
    if path.is_dir():
        raise VideoOpenError(f"{path} is a folder, not a video file.")
    why = regular_file_problem(path)     # a FIFO or a device is not "empty"
    if why:
        raise VideoOpenError(f"{path} {why}. Choose the video file itself.")
    if path.stat().st_size == 0:
        raise EmptyVideoError(f"{path} is empty (0 bytes). Export or copy the clip again.")
    try:
        container = av.open(str(path))
    except Exception as exc:  # PyAV raises many error types for unreadable input
        raise VideoOpenError(
            f"Cannot read {path.name} as a video ({exc.__class__.__name__}). "
            f"Use an mp4, mov, avi, webm or m4v file; if it is one, it may be damaged: "
            f"export it again from your phone or camera.") from exc
    if _video_stream(container) is None:
        audio = bool(container.streams.audio)
        container.close()
        if audio:   # an m4a or mp3, maybe with cover art (a still picture, not a video track)
            raise VideoOpenError(f"{path.name} is a sound file: it has no video, only sound"
                                 f"{' and a cover picture' if audio and _has_cover(path) else ''}. "
                                 "Choose the video of the squats (mp4, mov, webm...).")
        raise VideoOpenError(f"{path.name} has no video track. Choose a video file.")
    return container


def _is_cover(stream) -> bool:
    """A picture attached to a sound file (album art): a 'video' stream of one still frame."""
    import av

    return bool(int(stream.disposition or 0) & int(av.stream.Disposition.attached_pic))


def _video_stream(container):
    """The first real video track (cover art does not count), or None."""
    return next((s for s in container.streams.video if not _is_cover(s)), None)


def _has_cover(path: Path) -> bool:
    import av

    try:
        with av.open(str(path)) as c:
            return any(_is_cover(s) for s in c.streams.video)
    except Exception:  # only for the wording of a message
        return False


# Picture formats that ffmpeg opens as a one-frame "video" (a photo renamed .mp4, say).
STILL_IMAGE_CODECS = frozenset({"png", "mjpeg", "jpegls", "bmp", "gif", "webp", "tiff", "jpeg2000",
                                "ppm", "pgm", "pbm", "pam", "qoi", "heif", "avif"})


def _packet_duration_s(path: str | Path) -> float:
    """How long the pictures go on, from the video packets' own timestamps (read, not decoded):
    for files whose header does not say (a browser's webm, an mkv written to a pipe)."""
    container = _open(path)
    try:
        stream = _video_stream(container)
        tb = stream.time_base
        if tb is None:
            return 0.0
        first = last = None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            end = packet.pts + (packet.duration or 0)
            first = packet.pts if first is None else min(first, packet.pts)
            last = end if last is None else max(last, end)
        return float((last - first) * tb) if first is not None else 0.0
    except Exception:  # a damaged file: decoding will say what it can
        log.info("could not read the packet times of %s", Path(path).name, exc_info=True)
        return 0.0
    finally:
        container.close()


def probe(path: str | Path) -> VideoInfo:
    """Read a clip's size, frame rate, duration and rotation without decoding it all. A header
    without a duration is not taken as 0 s: the packets' timestamps give it (_packet_duration_s)."""
    container = _open(path)
    try:
        stream = _video_stream(container)
        cc = stream.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 30.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        elif stream.frames:
            duration = stream.frames / fps
        else:
            duration = _packet_duration_s(path)
        rotation = 0
        try:
            for frame in container.decode(stream):
                rotation = int(getattr(frame, "rotation", 0) or 0)
                width, height = frame.width, frame.height
                break
            else:
                raise EmptyVideoError(f"{Path(path).name} has no video frames. Record or export it again.")
        except EmptyVideoError:
            raise
        except Exception as exc:
            raise VideoOpenError(
                f"{Path(path).name} could not be decoded ({exc.__class__.__name__}); the file is "
                "damaged or uses a codec formcheck cannot read. Export it again as H.264 mp4.") from exc
        if rotation % 180:
            width, height = height, width
        if (cc.name or "") in STILL_IMAGE_CODECS and (duration <= 0.2 or (stream.frames or 0) == 1):
            raise StillImageError(
                f"{Path(path).name} is a still image "
                f"({'JPEG' if cc.name == 'mjpeg' else cc.name.upper()}), not a video. formcheck "
                "needs a clip of you squatting: film a few reps (side-on, whole body in the "
                "picture) and choose that video.")
        if width <= 0 or height <= 0:
            raise VideoOpenError(f"{Path(path).name} has no picture size; export it again.")
        return VideoInfo(str(path), width, height, fps, max(duration, 0.0), rotation % 360,
                         cc.name or "unknown")
    finally:
        container.close()


def check_limits(info: VideoInfo, max_duration_s: float = MAX_DURATION_S) -> None:
    if info.duration_s > max_duration_s:
        raise VideoTooLargeError(
            f"The clip is {info.duration_s / 60:.1f} min long; formcheck analyses up to "
            f"{max_duration_s / 60:.0f} min. Trim it to the sets you want checked "
            f"(or raise the limit with --max-minutes).")
    if info.width_px * info.height_px > MAX_PIXELS:
        raise VideoTooLargeError(
            f"The clip is {info.width_px}x{info.height_px}; formcheck reads up to 8K. "
            "Export it at 1080p or 4K.")


def _rotate(rgb: np.ndarray, rotation_deg: int) -> np.ndarray:
    k = (rotation_deg // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, k=k)) if k else rgb


def past_the_cap(name: str, max_duration_s: float) -> VideoTooLargeError:
    return VideoTooLargeError(
        f"{name} goes on past {max_duration_s / 60:.0f} min; formcheck analyses up to "
        f"{max_duration_s / 60:.0f} min. Trim it to the sets you want checked "
        f"(or raise the limit with --max-minutes).")


def iter_frames(path: str | Path, max_fps: float | None = 30.0, max_side_px: int | None = 1280,
                warnings: list[str] | None = None, start_s: float = 0.0,
                end_s: float | None = None,
                max_duration_s: float | None = MAX_DURATION_S,
                decoder_threads: int | None = None) -> Iterator[Frame]:
    """Yield frames in display orientation, at most `max_fps` per second of video time.

    Frames are converted (and scaled so the longer side is at most `max_side_px`) by the
    decoder. A file that breaks off part-way yields what it has; a note goes into `warnings`.

    `start_s`/`end_s` (seconds from the start of the file) yield only the frames with
    start_s <= t < end_s, seeking to the keyframe before `start_s` instead of decoding from
    the beginning. Times stay relative to the start of the file; when `start_s` is on the
    1/max_fps grid, the frames kept are the same as a full pass would keep.

    The duration cap is kept by the frames' own timestamps, whatever the header said: a frame
    at or after `max_duration_s` stops decoding with VideoTooLargeError (None: no cap).

    `decoder_threads`: None lets FFmpeg choose (frame threads, one more than the cores); 1
    decodes in this generator's own thread, for a process that is one of several trackers
    that already keep every core busy: FFmpeg's threads then only add their hand-over cost
    (about 16% of the decoding CPU of a 1080p H.264 clip; issue 20, benchmarks/RESULTS.md).
    The pictures are the same either way (H.264 decoding is exact).
    """
    container = _open(path)
    too_long = False
    try:
        stream = _video_stream(container)
        if decoder_threads is None:
            stream.thread_type = "AUTO"
        else:
            stream.codec_context.thread_count = decoder_threads
        t0 = None
        next_t: float | None = None
        if start_s > 0:
            st = stream.start_time
            t0 = float(st * stream.time_base) if st is not None and stream.time_base else 0.0
            if stream.time_base:
                container.seek(int((t0 + start_s) / stream.time_base), stream=stream,
                               backward=True, any_frame=False)
            next_t = start_s
        step = 1.0 / max_fps if max_fps else 0.0
        index = 0
        last_t = None
        try:
            for frame in container.decode(stream):
                t = frame.time
                if t is None:
                    rate = float(stream.average_rate or 30)
                    t = index / rate if last_t is None else last_t + 1.0 / rate
                if t0 is None:
                    st = stream.start_time
                    t0 = float(st * stream.time_base) if st is not None and stream.time_base else t
                    t0 = min(t0, t)
                t_rel = t - t0
                if end_s is not None and t_rel >= end_s:
                    break
                if max_duration_s is not None and t_rel >= max_duration_s:
                    too_long = True
                    break
                if last_t is not None and t_rel <= last_t:  # duplicate or out-of-order timestamp
                    index += 1
                    continue
                if next_t is not None and t_rel + 1e-6 < next_t:
                    index += 1
                    continue
                # the next frame due; after a gap in the file, restart from this frame
                next_t = t_rel + step if next_t is None else max(next_t + step, t_rel + step * 0.5)
                rotation = int(getattr(frame, "rotation", 0) or 0)
                w, h = frame.width, frame.height
                scale = 1.0
                if max_side_px and max(w, h) > max_side_px:
                    scale = max_side_px / max(w, h)
                    w2, h2 = int(round(w * scale / 2) * 2), int(round(h * scale / 2) * 2)
                    # FAST_BILINEAR: ~40% less CPU than swscale's default bicubic-ish
                    # BILINEAR when scaling 1080p down; the pose model cannot tell.
                    rgb = frame.to_ndarray(format="rgb24", width=w2, height=h2,
                                           interpolation="FAST_BILINEAR")
                else:
                    rgb = frame.to_ndarray(format="rgb24")
                yield Frame(index, t_rel, _rotate(rgb, rotation), scale)
                last_t = t_rel
                index += 1
        except Exception as exc:  # a damaged file: keep what decoded
            if index == 0:
                raise VideoOpenError(
                    f"{Path(path).name} could not be decoded ({exc.__class__.__name__}); "
                    "export it again as H.264 mp4.") from exc
            msg = (f"The file is damaged or cut off after {last_t or 0:.1f} s; "
                   f"analysed the part before that.")
            log.warning(msg)
            if warnings is not None:
                warnings.append(msg)
        if too_long:
            raise past_the_cap(Path(path).name, max_duration_s)
        if index == 0:
            raise EmptyVideoError(f"{Path(path).name} has no video frames. Record or export it again.")
    finally:
        container.close()


class _End:
    pass


def prefetch(frames: Iterator[Frame], depth: int = 6) -> Iterator[Frame]:
    """Run `frames` in a background thread, `depth` frames ahead, so decoding overlaps inference."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    error: list[BaseException] = []

    def work() -> None:
        try:
            for f in frames:
                while not stop.is_set():
                    try:
                        q.put(f, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer
            error.append(exc)
        finally:
            q.put(_End())

    th = threading.Thread(target=work, name="formcheck-decode", daemon=True)
    th.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, _End):
                break
            yield item
        if error:
            raise error[0]
    finally:
        stop.set()
        while th.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(0.05)
