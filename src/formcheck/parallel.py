"""Chunk-parallel tracking of one clip: plan time chunks, track each on its own, merge.

Each chunk is tracked by its own model from a seek (tracking starts with a detection at the
chunk's first frame). Chunk k starts OVERLAP_S before its nominal boundary, so the frames
around every boundary are tracked twice; the merge cuts inside that overlap, after the new
chunk's tracker has settled, at the frame where the two trackers agree best. The merged
PoseSequence goes to the same pure analysis as a sequential pass, so a rep that straddles a
boundary is counted and measured whole. When two chunks' trackers never join up in the overlap
(`broken_seam`), the engine tracks those two chunks again as one.

`track_chunk` is what a worker process runs (locally or on a Dask cluster): it returns plain
landmark arrays, never frames.
"""

from __future__ import annotations

import logging
import math
import os
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .landmarks import Landmark, PoseSequence

log = logging.getLogger(__name__)

OVERLAP_S = 1.0          # frames tracked by both neighbouring chunks
MIN_CHUNK_S = 4.0        # shorter chunks cost more in model start-up and overlap than they gain
SETTLE_FRACTION = 0.5    # the cut is in the later part of the overlap: the new tracker has settled
PROGRESS_EVERY_S = 0.5   # how often a worker reports its progress (wall seconds)
# A chunk is tracked beside other trackers that keep the cores busy: FFmpeg's own decoder
# threads only add CPU there (video.iter_frames).
CHUNK_DECODER_THREADS = 1
# Two trackers of the same person agree within about 1.5% of a leg length once the new one has
# settled (0.2-1.7% on the 19 development clips long enough to split); beyond 2% they follow
# the person differently (or follow someone else) and the two chunks are tracked again as one.
SEAM_MAX_RATIO = 0.02


@dataclass(frozen=True)
class Chunk:
    """A stretch of a clip for one worker: frames with start_s <= t < end_s (None: to the end).

    `boundary_s` is where this chunk nominally begins; [start_s, boundary_s) is the overlap
    with the previous chunk."""

    index: int
    start_s: float
    end_s: float | None
    boundary_s: float


def plan_chunks(duration_s: float, n_chunks: int, max_fps: float | None = 30.0,
                overlap_s: float = OVERLAP_S, min_chunk_s: float = MIN_CHUNK_S,
                head_start_s: float = 0.0) -> list[Chunk]:
    """Split [0, duration_s) into at most `n_chunks` chunks of at least `min_chunk_s`.

    The chunks are equal, except that the first is `head_start_s` seconds of video longer than
    an equal share when it is tracked by a process that is already running while the others
    wait for their worker processes to start (Engine(track_here=True)). Chunk starts are put on
    the 1/max_fps grid from 0, so a chunk keeps the same frames a full pass with the same
    max_fps keeps."""
    n = max(1, min(int(n_chunks), int(duration_s // min_chunk_s)))
    # the later chunks share what the first leaves; each keeps at least min_chunk_s
    while n > 1 and (duration_s - head_start_s) / n < min_chunk_s:
        n -= 1
    step = 1.0 / max_fps if max_fps else 0.0
    if n == 1:
        bounds = [0.0, duration_s]
    else:
        first = (duration_s + (n - 1) * head_start_s) / n
        bounds = [0.0] + [first + (duration_s - first) * k / (n - 1) for k in range(n)]
    out = []
    for k in range(n):
        start = 0.0 if k == 0 else max(0.0, bounds[k] - overlap_s)
        if step and start > 0:
            start = math.floor(start / step + 1e-9) * step
        out.append(Chunk(k, start, None if k == n - 1 else bounds[k + 1], bounds[k]))
    return out


# Sharing a clip between trackers costs, at the end, stopping the worker processes and merging.
# decide_sharing is used only by analyze's own trackers (engine.track_here_and_there), whose
# plain worker processes (local_workers.py) stop in 0.01 s (benchmarks/bench_startup.py, quiet
# machine, 2026-12-07); merging the chunks, the analysis and the report took 0.17-0.40 s
# together (benchmarks/cpu_profile.py, RESULTS.md "CPU per stage"). 0.5 s covers both. (The
# 1.5 s of a Dask cluster's stop applied to an older design.) Measured both ways on a 10-s
# 30 fps clip, quiet machine: with 1.5 s it was tracked alone, 1.00x the bare loop; with 0.5 s
# it is shared (benchmarks/PARALLEL.md).
STOP_COST_S = 0.5
MIN_SAVING_S = 0.5       # share only when it is expected to save more than this (wall seconds)


@dataclass(frozen=True)
class ShareDecision:
    """Whether what is left of a clip is split between trackers: `chunks` (one chunk: this
    process tracks it alone), the wall seconds the split is expected to save, and why."""

    chunks: tuple[Chunk, ...]
    saved_s: float
    reason: str

    @property
    def share(self) -> bool:
        return len(self.chunks) > 1


def decide_sharing(duration_s: float, tracked_s: float, n_trackers: int,
                   rate: float, max_fps: float | None = 30.0, overlap_s: float = OVERLAP_S,
                   min_chunk_s: float = MIN_CHUNK_S, stop_cost_s: float = STOP_COST_S
                   ) -> ShareDecision:
    """Whether a second (third...) tracker pays for a clip this process has tracked up to
    `tracked_s` (the video it tracks, or is expected to track, while the workers start) at
    `rate` seconds of video per wall second. Alone it needs (duration - tracked) / rate more;
    shared, the longest chunk still to track / rate plus stop_cost_s. Shared only when that
    saves more than MIN_SAVING_S and every chunk keeps min_chunk_s."""
    alone = Chunk(0, 0.0, None, 0.0)
    chunks = plan_chunks(duration_s, n_trackers, max_fps, overlap_s, min_chunk_s,
                         head_start_s=tracked_s + overlap_s)
    rest_s = max(0.0, duration_s - tracked_s)
    if len(chunks) == 1:
        return ShareDecision((alone,), 0.0, f"{rest_s:.1f} s of video left after "
                             f"{tracked_s:.1f} s: too short to give each tracker "
                             f"{min_chunk_s:.0f} s")
    todo = [(c.end_s if c.end_s is not None else duration_s) - (tracked_s if c.index == 0
                                                                  else c.start_s)
            for c in chunks]
    saved = rest_s / rate - (max(todo) / rate + stop_cost_s)
    if saved <= MIN_SAVING_S:
        return ShareDecision((alone,), saved, f"{rest_s:.1f} s of video left after "
                             f"{tracked_s:.1f} s: sharing would save {saved:.1f} s, stopping "
                             f"the workers costs {stop_cost_s:.1f} s")
    return ShareDecision(tuple(chunks), saved, f"{rest_s:.1f} s of video left after "
                         f"{tracked_s:.1f} s: {len(chunks)} trackers save about {saved:.1f} s")


# Balancing the end of a shared clip (engine.track_here_and_there): when a worker has finished
# its chunk while this process still has a stretch left, the worker takes the end of that
# stretch as a new chunk. A new chunk costs the worker a fresh pose model (0.46 s on the quiet
# machine: benchmarks/bench_startup.py, RESULTS.md "model creation") plus the seek to its start,
# i.e. decoding from the keyframe before it (first frame after a seek, 2026-12-07, shared
# machine: 0.02-0.48 s on the 30 fps 720p benchmark clip, 0.85-1.34 s on the 60 fps 1080p one,
# keyframes every 4-8 s; RESULTS.md "Work stealing"); 1.0 s of wall time for both. Its overlap
# (OVERLAP_S) is tracked twice.
NEW_CHUNK_COST_S = 1.0


@dataclass(frozen=True)
class StealDecision:
    """Whether an idle worker takes the end of this process's chunk: `chunk` (None: no), and
    why. `min_left_s` is the video this process must have left for a new chunk to pay."""

    chunk: Chunk | None
    min_left_s: float
    reason: str


def steal_min_left_s(rate: float, overlap_s: float = OVERLAP_S,
                     new_chunk_cost_s: float = NEW_CHUNK_COST_S,
                     min_saving_s: float = MIN_SAVING_S) -> float:
    """The video this process must have left (seconds) for an idle worker's new chunk to save
    more than `min_saving_s`: with L left and the worker taking x from the end, this process
    ends after (L - x) / rate, the worker after (x + overlap) / rate + new_chunk_cost; both end
    together at x = (L - overlap - new_chunk_cost * rate) / 2, saving x / rate. That exceeds
    min_saving_s when L > overlap + new_chunk_cost * rate + 2 * min_saving_s * rate."""
    return overlap_s + new_chunk_cost_s * rate + 2.0 * min_saving_s * rate


def steal_chunk(here_s: float, here_end_s: float, rate: float, index: int,
                max_fps: float | None = 30.0, overlap_s: float = OVERLAP_S,
                new_chunk_cost_s: float = NEW_CHUNK_COST_S,
                min_saving_s: float = MIN_SAVING_S) -> StealDecision:
    """This process has tracked to `here_s` of a chunk that ends at `here_end_s`, at `rate`
    seconds of video per wall second, and a worker is idle: the new chunk `index` that worker
    tracks so that both end together (steal_min_left_s), from OVERLAP_S before its boundary (on
    the 1/max_fps grid, as plan_chunks) to here_end_s; this process's chunk then ends at the
    boundary. None when too little is left for a new chunk to pay."""
    left_s = here_end_s - here_s
    need_s = steal_min_left_s(rate, overlap_s, new_chunk_cost_s, min_saving_s)
    if left_s <= need_s:
        return StealDecision(None, need_s, f"{left_s:.1f} s left here at {here_s:.1f} s, "
                             f"a new chunk pays from {need_s:.1f} s at {rate:.2f} s per second")
    boundary = here_s + (left_s + overlap_s + new_chunk_cost_s * rate) / 2.0
    start = boundary - overlap_s
    if max_fps:
        start = math.floor(start * max_fps + 1e-9) / max_fps
    chunk = Chunk(index, start, here_end_s, boundary)
    saved_s = (here_end_s - boundary) / rate
    return StealDecision(chunk, need_s, f"{left_s:.1f} s left here at {here_s:.1f} s: a worker "
                         f"takes {start:.2f}-{here_end_s:.2f} s, this process stops at "
                         f"{boundary:.2f} s (saves about {saved_s:.1f} s)")


# ------------------------------------------------------------------------------ worker side

_CANCELLED_RUNS: set[str] = set()   # in each worker process: runs whose chunks must stop
_CANCEL_LOCK = threading.Lock()


class ChunkCancelled(Exception):
    """A chunk stopped on request (its result is thrown away)."""


def cancel_run(run_id: str) -> None:
    """Stop this process's chunks of run `run_id` at their next frame. Run on the workers
    (Client.run) when a command is interrupted or a job is abandoned: their event loop answers
    at once, while the chunk's own thread is busy in MediaPipe."""
    with _CANCEL_LOCK:
        _CANCELLED_RUNS.add(run_id)


def ignore_interrupts() -> None:
    """In a local worker process: Ctrl-C is for the command, which stops its workers itself
    (a worker that took it would print a traceback and die mid-chunk)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def interrupt_plugin():
    """A Dask worker plugin that runs ignore_interrupts in every worker of a local cluster,
    including one the nanny restarts (setup runs in the worker's main thread)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class IgnoreInterrupts(WorkerPlugin):
        name = "formcheck-ignore-interrupts"

        def setup(self, worker) -> None:
            ignore_interrupts()

    return IgnoreInterrupts()


def run_cancelled(run_id: str | None) -> bool:
    return run_id is not None and run_id in _CANCELLED_RUNS



def _until(frames, stop_at: Callable[[], float], cancelled: Callable[[], bool]):
    """The frames before stop_at(), read again at every frame; ChunkCancelled once
    cancelled() (the tracker skips its end-of-clip checks)."""
    try:
        for f in frames:
            if cancelled():
                raise ChunkCancelled
            if f.t_s >= stop_at():
                return
            yield f
    finally:
        frames.close()


def _while_wanted(frames):
    """On a Dask worker, the frames while the client still wants this task: Dask cannot stop a
    running task, so a cancelled one (its app session ended, its time ran out, its client
    left) stops itself at its next frame instead of keeping a core busy to the end.

    A process that has not imported Dask is no Dask worker (analyze's local worker processes,
    the process that tracks a chunk itself): there the frames pass as they are, and Dask is not
    imported to find that out (`import distributed` cost each such process 0.5-1 CPU-second
    before its first frame: benchmarks/cpu_profile.py, RESULTS.md 2026-12-07 "CPU per stage")."""
    if "distributed" not in sys.modules:
        yield from frames
        return
    try:
        from distributed import get_worker
        from distributed.worker import thread_state

        worker, key = get_worker(), thread_state.key
    except (ImportError, ValueError, AttributeError):   # not running as a Dask task
        yield from frames
        return
    from .errors import JobCancelledError

    for f in frames:
        ts = worker.state.tasks.get(key)
        if ts is None or ts.state == "cancelled":
            frames.close()
            raise JobCancelledError("The analysis was cancelled.")
        yield f


def _shift(frames, by_s: float):
    from .video import Frame

    for f in frames:
        yield Frame(f.index, f.t_s - by_s, f.rgb, f.scale)


_COPY_DIR: Path | None = None   # in a worker: its private folder for shipped clips


def _private_dir() -> Path:
    """This worker process's folder for clips shipped to it: made by mkdtemp (a name nobody
    can guess, mode 0700, created atomically by us), checked again before each use (ours, a
    real folder, not a link, no access for others), removed when the worker exits."""
    global _COPY_DIR
    if _COPY_DIR is None or not _COPY_DIR.is_dir():
        _COPY_DIR = Path(tempfile.mkdtemp(prefix="formcheck-worker-"))
        import atexit
        import shutil

        atexit.register(shutil.rmtree, _COPY_DIR, True)
    st = os.lstat(_COPY_DIR)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        from .errors import FormcheckError

        raise FormcheckError(f"The worker's folder for clips ({_COPY_DIR}) is not private "
                             "(another owner, or others may read it); the clip was not "
                             "written. Check the worker machine's temporary folder.")
    return _COPY_DIR


def local_copy(name: str, data: bytes, digest: str) -> Path:
    """A worker's private copy of a shipped clip (written once per clip and worker; deleted
    when the job ends: drop_copies)."""
    path = _private_dir() / f"{digest}{Path(name).suffix.lower() or '.mp4'}"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return path


def drop_copies(digests: "list[str] | None" = None) -> int:
    """Delete this worker's copies of the clips whose SHA-256 starts with one of `digests`
    (all of them with None); how many. Run on the workers (Client.run) at the end of each job
    and when a clip is forgotten."""
    if _COPY_DIR is None or not _COPY_DIR.is_dir():
        return 0
    gone = 0
    for f in _COPY_DIR.iterdir():
        if digests is None or any(f.name.startswith(d[:16]) for d in digests):
            f.unlink(missing_ok=True)
            gone += 1
    return gone


def track_chunk(clip, chunk: Chunk, max_fps: float | None, width_px: int, height_px: int,
                fps: float, duration_s: float, source: str,
                progress_to: "tuple[str, int] | Callable[[float, float], None] | None" = None,
                stop_at: Callable[[], float] | None = None,
                cancelled: "threading.Event | None" = None, run_id: str | None = None,
                estimator=None, decoder_threads: int | None = CHUNK_DECODER_THREADS) -> dict:
    """Track one chunk of a clip (in a worker). `clip` is a path, or (name, bytes, sha256) when
    the clip was shipped to a remote worker. Progress goes to Dask's event log under
    progress_to = (topic, tag), or to a callback(done_s, total_s) when the chunk is tracked in
    the calling process. `stop_at()` (in the calling process) is read at every frame: the chunk
    ends at the first frame at or after it, an end decided while the chunk is being tracked.
    `cancelled` (set from another thread), or cancel_run(run_id) in the process that tracks
    it, stops it at the next frame: the result is then incomplete and meant to be thrown away.
    `estimator`: a fresh pose.PoseEstimator made beforehand (a local worker
    makes one while it starts), else one is made here. `decoder_threads`: as in
    video.iter_frames; one thread (CHUNK_DECODER_THREADS) beside other trackers, None (FFmpeg's
    frame threads, as `analyze --workers 1`) for a clip this process tracks alone. Returns
    landmark arrays and warnings."""
    from .errors import EmptyVideoError, VideoOpenError
    from .pose import track_frames
    from .video import MAX_DURATION_S, iter_frames, prefetch

    if isinstance(clip, tuple):
        clip = local_copy(*clip)
    report = _reporter(progress_to)
    warnings: list[str] = []
    stopped = False
    length_s = (chunk.end_s if chunk.end_s is not None else duration_s) - chunk.start_s
    try:
        # the cap holds by the frames' timestamps, whatever the header said (--max-minutes
        # above the default: up to the length the probe accepted)
        frames = prefetch(iter_frames(clip, max_fps=max_fps, warnings=warnings,
                                      start_s=chunk.start_s, end_s=chunk.end_s,
                                      max_duration_s=max(MAX_DURATION_S, duration_s + 1.0),
                                      decoder_threads=decoder_threads))
        frames = _while_wanted(frames)
        if stop_at is not None or cancelled is not None or run_id is not None:
            frames = _until(frames, stop_at or (lambda: math.inf),
                            lambda: (cancelled is not None and cancelled.is_set())
                            or run_cancelled(run_id))
        # times relative to the chunk's start inside track_frames (its sampling for other
        # people and its progress count from 0), then back to the file's clock
        seq = track_frames(_shift(frames, chunk.start_s), width_px, height_px, fps, source,
                           progress=report, total_s=length_s, warnings=warnings,
                           estimator=estimator)
        estimator = None
    except (EmptyVideoError, VideoOpenError):
        if chunk.index == 0:
            raise
        # the seek went past a damaged or cut-off end: this chunk has nothing
        seq = PoseSequence.empty(width_px, height_px, fps, source)
    except ChunkCancelled:
        log.info("%s: chunk at %.1f s stopped on request", source, chunk.start_s)
        seq = PoseSequence.empty(width_px, height_px, fps, source)
        stopped = True
    if estimator is not None:          # track_frames never ran (close() is idempotent)
        estimator.close()
    if isinstance(report, _Reporter):
        report.flush()
    return {"t_s": seq.t_s + chunk.start_s, "xy_px": seq.xy_px, "z": seq.z,
            "visibility": seq.visibility, "world_m": seq.world_m, "meta": dict(seq.meta),
            "warnings": warnings,
            "cancelled": stopped}


class _Reporter:
    """Progress from a worker to whoever submitted the chunk, through Dask's event log."""

    def __init__(self, worker, topic: str, tag: int):
        self.worker, self.topic, self.tag = worker, topic, tag
        self.last = 0.0
        self.done_s = 0.0

    def __call__(self, done_s: float, total_s: float) -> None:
        self.done_s = done_s
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.flush()

    def flush(self) -> None:
        self.worker.log_event(self.topic, [self.tag, float(self.done_s)])


def _reporter(progress_to):
    if progress_to is None or callable(progress_to):
        return progress_to     # None, or a callback in the process that tracks the chunk
    try:
        from distributed import get_worker

        return _Reporter(get_worker(), *progress_to)
    except (ImportError, ValueError):  # not running on a Dask worker
        return None


# ------------------------------------------------------------------------------ merging


def _as_sequence(part: dict, width_px: int, height_px: int, fps: float, source: str) -> PoseSequence:
    return PoseSequence(np.asarray(part["t_s"], dtype=np.float64), part["xy_px"], part["z"],
                        part["visibility"], part["world_m"], width_px, height_px, fps, source,
                        meta=dict(part.get("meta") or {}))


def _disagreement_px(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M,) mean landmark distance between two trackers on the same frames: 0 when both miss
    the person, infinite when only one finds them."""
    miss_a = np.isnan(a[:, Landmark.LEFT_HIP, 0])   # as PoseSequence.detected
    miss_b = np.isnan(b[:, Landmark.LEFT_HIP, 0])
    both = ~(miss_a | miss_b)
    d = np.zeros(len(a))
    if both.any():
        with np.errstate(invalid="ignore"):
            d[both] = np.nanmean(np.linalg.norm(a[both] - b[both], axis=-1), axis=-1)
    return np.where(miss_a ^ miss_b, np.inf, d)


def cut_time(prev: PoseSequence, cur: PoseSequence, chunk: Chunk) -> float:
    """Where the merge switches from the previous chunk's tracker to this chunk's: the frame in
    the later part of the overlap where the two agree best."""
    settled_from = chunk.start_s + SETTLE_FRACTION * (chunk.boundary_s - chunk.start_s)
    common, ia, ib = np.intersect1d(prev.t_s, cur.t_s, assume_unique=True, return_indices=True)
    keep = common >= settled_from - 1e-9
    if not keep.any():
        return settled_from
    common, ia, ib = common[keep], ia[keep], ib[keep]
    d = _disagreement_px(prev.xy_px[ia], cur.xy_px[ib])
    return float(common[int(np.argmin(d))])


def _leg_px(seq: PoseSequence) -> float:
    """Median hip-to-ankle length (both legs) in pixels: the person's size in the picture."""
    d = [np.linalg.norm(seq.point(h) - seq.point(a), axis=-1)
         for h, a in ((Landmark.LEFT_HIP, Landmark.LEFT_ANKLE),
                      (Landmark.RIGHT_HIP, Landmark.RIGHT_ANKLE))]
    d = np.concatenate(d)
    d = d[np.isfinite(d)]
    return float(np.median(d)) if d.size else 0.25 * seq.height_px


def seam_disagreement_ratio(prev: PoseSequence, cur: PoseSequence, chunk: Chunk) -> float:
    """How far apart the two trackers are over the settled part of the overlap: the median
    landmark distance, in leg lengths (hip to ankle). Infinite when only one finds the person."""
    settled_from = chunk.start_s + SETTLE_FRACTION * (chunk.boundary_s - chunk.start_s)
    common, ia, ib = np.intersect1d(prev.t_s, cur.t_s, assume_unique=True, return_indices=True)
    keep = common >= settled_from - 1e-9
    if not keep.any():
        return 0.0
    d = _disagreement_px(prev.xy_px[ia[keep]], cur.xy_px[ib[keep]])
    return float(np.median(d)) / max(_leg_px(prev), 1.0)


def broken_seam(parts: list[dict], chunks: list[Chunk], width_px: int, height_px: int,
                fps: float) -> int | None:
    """The first chunk k whose tracker does not join up with chunk k-1's (they follow the person
    differently, or another person, through the whole overlap), or None. Such a pair is tracked
    again as one chunk."""
    seqs = [_as_sequence(p, width_px, height_px, fps, "") for p in parts]
    for k in range(1, len(chunks)):
        if len(seqs[k - 1]) and len(seqs[k]) and \
                seam_disagreement_ratio(seqs[k - 1], seqs[k], chunks[k]) > SEAM_MAX_RATIO:
            return k
    return None


def _dedupe(warnings: list[str]) -> list[str]:
    """One note per kind: chunks of the same clip repeat each other's (e.g. a second person)."""
    out, seen = [], set()
    for w in warnings:
        kind = w[:40]
        if kind not in seen:
            seen.add(kind)
            out.append(w)
    return out


def merge_chunks(parts: list[dict], chunks: list[Chunk], width_px: int, height_px: int,
                 fps: float, source: str = "", warnings: list[str] | None = None) -> PoseSequence:
    """One PoseSequence from the chunks' landmark arrays (in chunk order)."""
    seqs = [(c, _as_sequence(p, width_px, height_px, fps, source)) for p, c in zip(parts, chunks)]
    if warnings is not None:
        warnings.extend(_dedupe([w for p in parts for w in p.get("warnings", [])]))
    seqs = [(c, s) for c, s in seqs if len(s)]
    if not seqs:
        return PoseSequence.empty(width_px, height_px, fps, source)
    cuts = [-math.inf] + [cut_time(seqs[i - 1][1], seqs[i][1], seqs[i][0])
                          for i in range(1, len(seqs))] + [math.inf]
    pieces = []
    for i, (_, s) in enumerate(seqs):
        m = (s.t_s >= cuts[i]) & (s.t_s < cuts[i + 1])
        pieces.append(m)
    cat = lambda name: np.concatenate([getattr(s, name)[m] for (_, s), m in zip(seqs, pieces)])  # noqa: E731
    # the pose model's provenance: every chunk was tracked by the same backend and model
    meta = next((dict(s.meta) for _, s in seqs if s.meta), {})
    return PoseSequence(cat("t_s"), cat("xy_px"), cat("z"), cat("visibility"), cat("world_m"),
                        width_px, height_px, fps, source, meta=meta)
