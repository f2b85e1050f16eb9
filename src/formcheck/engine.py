"""Where tracking runs: a Dask cluster. By default a local cluster of worker processes (one per
core, no set-up); with a scheduler address (--scheduler tcp://HOST:8786, or the environment
variable FORMCHECK_DASK_SCHEDULER) an existing cluster whose workers have formcheck installed.

Clips are split into time chunks (parallel.py); each chunk is one task; results come back as
landmark arrays, which are merged and analysed here, so everything the user keeps (reports, the
clinic store) stays on this machine. A remote cluster gets the clip's bytes, not its path.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import FormcheckError
from .landmarks import PoseSequence
from .parallel import (MIN_CHUNK_S, Chunk, broken_seam, merge_chunks, plan_chunks,
                       track_chunk)
from .video import VideoInfo, check_limits, probe

log = logging.getLogger(__name__)

SCHEDULER_ENV = "FORMCHECK_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 10.0
WORKER_WAIT_S = 60.0       # a remote scheduler without workers would leave the tasks waiting
MAX_SHIPPED_BYTES = 2 * 1024 ** 3   # a clip sent to a remote cluster is held in memory once
POLL_S = 0.25
# Video seconds the calling process tracks while a local cluster's worker processes start
# (Engine(track_here=True)): their start-up (cluster 1.3 s, importing formcheck and MediaPipe
# 1.3-1.4 s, loading the model) took about 3 s on an idle 2-core machine
# (benchmarks/bench_parallel.py prints it), in which the caller tracks about 2.3 s of 30 fps
# video per second.
WORKER_HEAD_START_S = 6.0

ProgressFn = Callable[[float, float], None]


class EngineError(FormcheckError):
    """The Dask cluster cannot be reached or started."""


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def scheduler_address(explicit: str | None = None) -> str | None:
    """--scheduler, else FORMCHECK_DASK_SCHEDULER, else None (a local cluster)."""
    return explicit or os.environ.get(SCHEDULER_ENV) or None


@dataclass(frozen=True)
class ClipJob:
    """One clip to track: its probe and its chunks."""

    path: Path
    info: VideoInfo
    chunks: tuple[Chunk, ...]
    max_fps: float | None

    @property
    def work_s(self) -> float:
        return sum(self.length_s(c) for c in self.chunks)

    def length_s(self, c: Chunk) -> float:
        return (c.end_s if c.end_s is not None else self.info.duration_s) - c.start_s


@dataclass(frozen=True)
class ClipResult:
    """A tracked clip, or the user-facing reason it could not be tracked."""

    job: ClipJob
    seq: PoseSequence | None
    warnings: list[str]
    error: str | None = None
    rejoined: int = 0        # neighbouring chunks tracked again as one (trackers did not join)


def plan(path: str | Path, n_chunks: int, max_fps: float | None = 30.0,
         max_duration_s: float | None = None, min_chunk_s: float = MIN_CHUNK_S,
         head_start_s: float = 0.0) -> ClipJob:
    """Probe a clip (here, before any work is sent) and split it into chunks."""
    info = probe(path)
    if max_duration_s is not None:
        check_limits(info, max_duration_s)
    else:
        check_limits(info)
    return ClipJob(Path(path), info, tuple(plan_chunks(info.duration_s, n_chunks, max_fps,
                                                       min_chunk_s=min_chunk_s,
                                                       head_start_s=head_start_s)),
                   max_fps)


class _HereFuture:
    """A chunk tracked in this process, shaped like the Dask futures run() waits on."""

    def __init__(self, fut: concurrent.futures.Future):
        self.fut = fut

    @property
    def status(self) -> str:
        if not self.fut.done():
            return "pending"
        return "error" if self.fut.exception() is not None else "finished"

    def result(self):
        return self.fut.result()

    def exception(self):
        return self.fut.exception()

    def release(self) -> None:
        pass

    def cancel(self) -> None:
        self.fut.cancel()


class Engine:
    """A Dask client, started on first use. Use one per command or per app server; close it.

    With `track_here` (the CLI's `analyze` on this machine's cores), the calling process is one
    of the `workers`: it tracks the first chunk of a clip itself, starting at once, while the
    local cluster's `workers - 1` processes start and track the rest. The first chunk is
    WORKER_HEAD_START_S of video longer, the video the caller tracks while the worker processes
    start; a clip too short to give the others a chunk is tracked here alone, with no cluster."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 start_method: str | None = None, track_here: bool = False):
        self.address = scheduler_address(scheduler)
        self.workers = workers or default_workers()
        self.track_here = track_here and self.address is None
        # spawn by default: a clean interpreter per worker. Forking a process that already runs
        # threads (MediaPipe's, a test runner's, a web server's) can deadlock the child: seen on
        # Python 3.13, where LocalCluster's forked workers never came up. "fork" stays available
        # for a single-threaded caller that wants workers to start with MediaPipe loaded.
        self.start_method = start_method or "spawn"
        self._client = None
        self._cluster = None
        self._lock = threading.Lock()

    @property
    def remote(self) -> bool:
        return self.address is not None

    @property
    def client(self):
        with self._lock:
            if self._client is None:
                self._start()
        return self._client

    def _start(self) -> None:
        import dask
        from distributed import Client, LocalCluster

        # Dask logs its start-up and shutdown at INFO; formcheck's shells show warnings only
        # (-v shows formcheck's own INFO, not Dask's)
        logging.getLogger("distributed").setLevel(logging.WARNING)

        if self.remote:
            try:
                self._client = Client(self.address, timeout=f"{CONNECT_TIMEOUT_S}s",
                                      set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise EngineError(
                    f"Cannot reach the Dask scheduler at {self.address} ({type(exc).__name__}). "
                    "Start it with `dask scheduler` and at least one `dask worker ADDRESS`, or "
                    f"leave out --scheduler (and unset {SCHEDULER_ENV}) to use this machine's "
                    "cores.") from exc
            try:
                self._client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError as exc:
                self._client.close()
                self._client = None
                raise EngineError(
                    f"The Dask scheduler at {self.address} has no workers. Start at least one "
                    f"with `dask worker {self.address} --nthreads 1` (formcheck installed).") from exc
            return
        if self.start_method == "fork":
            from .pose import preload

            preload()
        dask.config.set({"distributed.worker.multiprocessing-method": self.start_method})
        self._cluster = LocalCluster(n_workers=self.cluster_workers, threads_per_worker=1,
                                     processes=True, host="127.0.0.1",
                                     # no dashboard; the scheduler's health page on a free
                                     # port of 127.0.0.1 only
                                     dashboard_address="127.0.0.1:0",
                                     scheduler_kwargs={"dashboard": False},
                                     silence_logs=logging.ERROR)
        self._client = Client(self._cluster, set_as_default=False)

    @property
    def cluster_workers(self) -> int:
        """Worker processes of the local cluster (the caller is one of `workers` when it tracks
        too)."""
        return self.workers - 1 if self.track_here else self.workers

    def n_workers(self) -> int:
        if not self.remote:
            return self.workers
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -------------------------------------------------------------------------------- work

    def _payload(self, path: Path):
        """What a worker opens: the path on this machine, the bytes for a remote cluster."""
        if not self.remote:
            return str(path.resolve())
        size = path.stat().st_size
        if size > MAX_SHIPPED_BYTES:
            raise FormcheckError(f"{path.name} is {size / 1024 ** 3:.1f} GB; formcheck sends up "
                                 "to 2 GB to a cluster. Trim or re-export the clip.")
        data = path.read_bytes()
        [fut] = self.client.scatter([(path.name, data, hashlib.sha256(data).hexdigest()[:16])],
                                    hash=False)
        return fut

    def run(self, jobs: list[ClipJob], progress: ProgressFn | None = None) -> Iterator[ClipResult]:
        """Track every chunk of every clip on the cluster; yield each clip when its chunks are
        all back (in the order they finish). Two neighbouring chunks whose trackers do not join
        up are tracked again as one (parallel.broken_seam). A clip that fails yields its error,
        not an exception, so one bad clip does not stop the others."""
        from distributed import as_completed

        if not jobs:
            return
        topic = f"formcheck-progress-{uuid.uuid4().hex}"
        work: dict[int, float] = {}      # task tag -> seconds of video it tracks
        done: dict[int, float] = {}      # task tag -> seconds tracked so far
        total_s = sum(j.info.duration_s for j in jobs)
        shown = [0.0]

        def on_event(event) -> None:
            tag, done_s = event[1]
            done[int(tag)] = float(done_s)

        pending: dict = {}               # future -> (job index, chunk, tag)
        plans: dict[int, list[Chunk]] = {}
        parts: dict[int, dict[Chunk, dict]] = {}
        rejoined: dict[int, int] = {}
        payloads: dict[int, object] = {}
        failed: set[int] = set()
        cluster: list = []               # [client, as_completed], once a chunk goes there
        here = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="formcheck-here") \
            if self.track_here else None
        here_busy = [False]

        def on_cluster():
            if not cluster:
                client = self.client
                client.subscribe_topic(topic, on_event)
                cluster.extend([client, as_completed([], loop=client.loop)])
            return cluster

        def submit(ji: int, c: Chunk) -> None:
            job, info = jobs[ji], jobs[ji].info
            tag = len(work)
            work[tag] = job.length_s(c)
            args = (payloads[ji], c, job.max_fps, info.width_px, info.height_px, info.fps,
                    info.duration_s, job.path.name)
            if here is not None and (not here_busy[0] or self.cluster_workers == 0):
                # this process tracks: the first chunk (while the workers start), or every
                # chunk when there are no worker processes
                here_busy[0] = True

                def report(done_s: float, total_s: float, tag: int = tag) -> None:
                    done[tag] = done_s

                fut = _HereFuture(here.submit(track_chunk, *args,
                                              report if progress is not None else None))
                pending[fut] = (ji, c, tag)
                return
            client, ready = on_cluster()
            fut = client.submit(track_chunk, *args,
                                (topic, tag) if progress is not None else None,
                                key=f"formcheck-track-{topic[-12:]}-{tag}", pure=False,
                                priority=-ji)
            pending[fut] = (ji, c, tag)
            ready.add(fut)

        try:
            for ji, job in enumerate(jobs):
                try:
                    payloads[ji] = self._payload(job.path)
                except (FormcheckError, OSError) as exc:
                    failed.add(ji)
                    yield ClipResult(job, None, [], str(exc))
                    continue
                plans[ji], parts[ji], rejoined[ji] = list(job.chunks), {}, 0
                for c in job.chunks:
                    submit(ji, c)
            while pending:
                finished = [f for f in pending if isinstance(f, _HereFuture)
                            and f.status != "pending"]
                if cluster and cluster[1].has_ready():
                    finished += cluster[1].next_batch(block=False)
                if not finished:
                    time.sleep(POLL_S)
                for fut in finished:
                    if fut not in pending:   # cancelled with its clip
                        continue
                    ji, c, tag = pending.pop(fut)
                    job = jobs[ji]
                    if ji in failed:
                        fut.release()
                        continue
                    if fut.status == "error":
                        failed.add(ji)
                        for other in [f for f, (j, _, _) in pending.items() if j == ji]:
                            other.cancel()
                        parts.pop(ji, None)
                        payloads.pop(ji, None)
                        yield ClipResult(job, None, [], _user_message(job.path.name,
                                                                      fut.exception()))
                        continue
                    parts[ji][c] = fut.result()
                    fut.release()
                    done[tag] = work[tag]
                    chunks = plans[ji]
                    if not all(x in parts[ji] for x in chunks):
                        continue
                    got = [parts[ji][x] for x in chunks]
                    k = broken_seam(got, chunks, job.info.width_px, job.info.height_px,
                                    job.info.fps)
                    if k is not None:
                        joined = Chunk(chunks[k - 1].index, chunks[k - 1].start_s, chunks[k].end_s,
                                       chunks[k - 1].boundary_s)
                        log.info("%s: the trackers of chunks at %.1f s do not join up; tracking "
                                 "%.1f-%s s as one", job.path.name, chunks[k].boundary_s,
                                 joined.start_s, "end" if joined.end_s is None
                                 else f"{joined.end_s:.1f}")
                        plans[ji] = chunks[:k - 1] + [joined] + chunks[k + 1:]
                        rejoined[ji] += 1
                        submit(ji, joined)
                        continue
                    warnings: list[str] = []
                    seq = merge_chunks(got, chunks, job.info.width_px, job.info.height_px,
                                       job.info.fps, job.path.name, warnings)
                    _note_early_end(job.info, seq, warnings)
                    parts.pop(ji)
                    payloads.pop(ji, None)
                    yield ClipResult(job, seq, warnings, rejoined=rejoined[ji])
                if progress is not None:
                    frac = sum(done.values()) / max(sum(work.values()), 1e-9)
                    shown[0] = max(shown[0], min(1.0, frac) * total_s)   # never backwards
                    progress(shown[0], total_s)
        finally:
            for fut in pending:
                fut.cancel()
            if here is not None:
                here.shutdown(wait=False, cancel_futures=True)
            if cluster:
                try:
                    cluster[0].unsubscribe_topic(topic)
                except ValueError:
                    pass

    def track_video(self, path: str | Path, max_fps: float | None = 30.0,
                    progress: ProgressFn | None = None, warnings: list[str] | None = None,
                    max_duration_s: float | None = None, n_chunks: int | None = None
                    ) -> PoseSequence:
        """Like pose.track_video, with the clip's chunks tracked in parallel on the cluster."""
        job = plan(path, n_chunks or self.n_workers(), max_fps, max_duration_s,
                   head_start_s=WORKER_HEAD_START_S if self.track_here and self.cluster_workers
                   else 0.0)
        [res] = list(self.run([job], progress))
        if res.error is not None:
            raise FormcheckError(res.error)
        if warnings is not None:
            warnings.extend(res.warnings)
        return res.seq


def _note_early_end(info: VideoInfo, seq: PoseSequence, warnings: list[str]) -> None:
    from .pose import note_early_end

    note_early_end(info.duration_s, seq, warnings)


def _user_message(name: str, exc: BaseException | None) -> str:
    if isinstance(exc, FormcheckError):
        return str(exc)
    log.error("tracking %s failed: %r", name, exc)
    return (f"formcheck could not track {name} ({type(exc).__name__}: {exc}). Try the clip again, "
            "or export it again as H.264 mp4.")
