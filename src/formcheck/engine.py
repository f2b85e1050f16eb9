"""Where tracking runs: a Dask cluster. By default a local cluster of worker processes (one per
core, no set-up); with a scheduler address (--scheduler tcp://HOST:8786, or the environment
variable FORMCHECK_DASK_SCHEDULER) an existing cluster whose workers have formcheck installed.
One clip tracked on this machine with this process as one of the trackers (`formcheck analyze`,
Engine(track_here=True)) uses plain worker processes instead (local_workers.py): no Dask.

Clips are split into time chunks (parallel.py); each chunk is one task; results come back as
landmark arrays, which are merged and analysed here, so everything the user keeps (reports, the
clinic store) stays on this machine. A remote cluster gets the clip's bytes, not its path.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import logging
import math
import multiprocessing
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import FormcheckError
from .landmarks import PoseSequence
from .parallel import (CHUNK_DECODER_THREADS, MIN_CHUNK_S, Chunk, broken_seam, cancel_run,
                       decide_sharing, drop_copies, interrupt_plugin, merge_chunks, plan_chunks,
                       steal_chunk, track_chunk)
from .video import VideoInfo, check_limits, probe

log = logging.getLogger(__name__)

SCHEDULER_ENV = "FORMCHECK_DASK_SCHEDULER"
CONNECT_TIMEOUT_S = 10.0
WORKER_WAIT_S = 60.0       # a remote scheduler without workers would leave the tasks waiting
MAX_SHIPPED_BYTES = 2 * 1024 ** 3   # a clip sent to a remote cluster is held in memory once
POLL_S = 0.25
HERE_STOP_S = 1.0          # how long an interrupted run waits for its own tracker's next frame
CLOSE_GRACE_S = 1.0        # how long a local worker process gets to exit before it is killed
NANNY_WAIT_FRACTION = 0.8  # Dask's Nanny.close(timeout) waits 0.8 * timeout, then kills
# The start-up cost of a worker, as video this process has tracked by the time the workers are
# up. analyze's plain worker process is up, with its pose model, in about 1 s (quiet machine,
# 2026-12-07), and in every run measured that day this process had tracked none of the clip by
# then ("tracked 0.0 s of video meanwhile" with --verbose; both load MediaPipe at once), so the
# up-front decision starts the trackers level. (The former 2.0 s was a Dask cluster's, whose
# workers came up after this process had tracked 1.8-2.2 s.) With the tracking rate, it decides
# up front whether a clip is long enough for a second tracker to pay
# (parallel.decide_sharing); once the workers are up, the same decision is taken again from
# what this run measured.
STARTUP_VIDEO_S = 0.0
# Seconds of video tracked per wall second, before this run has measured its own: the 30 fps
# 1280x720 benchmark clip runs at 1.9 (600 frames in 10.7 s). A high guess is the cautious one
# (the cost of stopping the workers weighs more against faster tracking).
RATE_GUESS = 2.0

ProgressFn = Callable[[float, float], None]


class EngineError(FormcheckError):
    """The Dask cluster cannot be reached or started."""


class Cancelled(FormcheckError):
    """The caller's `cancel` event was set: the job's chunks were stopped on the workers."""


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def scheduler_address(explicit: str | None = None) -> str | None:
    """--scheduler, else FORMCHECK_DASK_SCHEDULER, else None (a local cluster)."""
    return explicit or os.environ.get(SCHEDULER_ENV) or None


# The local cluster's HTTP servers (scheduler and workers) answer a health check only: Dask's
# default pages (task and worker info, logs, call stacks) would show any local user what runs.
PRIVATE_HTTP = {"distributed.scheduler.http.routes": ["distributed.http.health"],
                "distributed.worker.http.routes": ["distributed.http.health"]}
# Dask's own bookkeeping, for a dashboard formcheck does not serve: the worker's statistical
# profiler (a thread that samples the running task's stack every 10 ms), the event loops' 20 ms
# tick and the 0.5 s system monitor. Off or slowed on
# the local cluster: a 2-clip batch took 8-14% fewer CPU seconds (4 alternated pairs, 1 and 2
# workers; idle, the cluster of one worker went from 8.4% of a core to 2.6%), RESULTS.md
# 2026-12-07 "CPU per stage".
QUIET_DASK = {"distributed.worker.profile.enabled": False,
              "distributed.admin.tick.interval": "1s",
              "distributed.admin.system-monitor.interval": "2s",
              # the nanny's and the worker's memory checks (against the memory limit), 10 a
              # second by default: an idle 2-worker cluster used 0.86 CPU-s per 20 s with
              # 100 ms, 0.45 with 1 s (2 alternated pairs; RESULTS.md "The 60 fps 1080p clip")
              "distributed.worker.memory.monitor-interval": "1s"}
TLS_ENV = ("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
           "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY")


def local_security():
    """Credentials for a local cluster: a self-signed certificate and key made for this cluster
    alone (Dask's Security.temporary: kept in memory; Dask writes them for a moment to a private
    temporary folder, mode 0700, to load them into TLS), required by the scheduler, the workers
    and the client of each other (mutual TLS)."""
    from distributed.security import Security

    try:
        return Security.temporary()
    except ImportError as exc:   # cryptography missing
        raise EngineError("formcheck's worker processes need the Python package cryptography "
                          "(pip install cryptography), or use --workers 1.") from exc


def remote_security(address: str):
    """Credentials for --scheduler: Dask's own TLS settings (its config files or the
    DASK_DISTRIBUTED__COMM__TLS__* variables: the CA that signed the cluster's certificates,
    and this machine's certificate and key). A tls:// address needs them."""
    from distributed.security import Security

    security = Security()
    if address.startswith("tls://") and not (security.tls_ca_file and security.tls_client_cert):
        raise EngineError(
            f"{address} needs certificates: set {TLS_ENV[0]} (the CA file that signed the "
            f"cluster's certificates), {TLS_ENV[1]} and {TLS_ENV[2]} (this machine's certificate "
            "and key), or the same settings in Dask's config (docs/SPEED.md: Every core busy).")
    return security


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
    """Probe a clip (here, before any work is sent) and split it into chunks (the first
    `head_start_s` longer: parallel.plan_chunks)."""
    info = probe(path)
    if max_duration_s is not None:
        check_limits(info, max_duration_s)
    else:
        check_limits(info)
    return ClipJob(Path(path), info, tuple(plan_chunks(info.duration_s, n_chunks, max_fps,
                                                       min_chunk_s=min_chunk_s,
                                                       head_start_s=head_start_s)),
                   max_fps)


class Engine:
    """A Dask client, started on first use. Use one per command or per app server; close it.

    With `track_here` (`formcheck analyze` on this machine's cores) the calling process is one of
    the `workers`: track_video starts tracking the clip here at once, while a local cluster of
    `workers - 1` processes starts; when they are ready, what is left of the clip is split
    between this process and them (track_here_and_there)."""

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
        self._local = None       # LocalWorkers of a track_here run (no Dask: local_workers.py)
        self._lock = threading.Lock()
        self._shipped: dict[int, str] = {}   # id(scattered clip) -> its digest (remote only)

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
        _quiet_expected_dask_warnings()

        if self.remote:
            security = remote_security(self.address)
            try:
                self._client = Client(self.address, timeout=f"{CONNECT_TIMEOUT_S}s",
                                      set_as_default=False, security=security)
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
        dask.config.set({"distributed.worker.multiprocessing-method": self.start_method,
                         **PRIVATE_HTTP, **QUIET_DASK})
        self._cluster = LocalCluster(n_workers=self.cluster_workers, threads_per_worker=1,
                                     processes=True, host="127.0.0.1",
                                     # mutual TLS with a key pair made now, held in memory and
                                     # handed to the workers through their start-up pipe: a
                                     # connection without it (another local user's) is refused
                                     protocol="tls://", security=local_security(),
                                     # no dashboard; the scheduler's health page on a free
                                     # port of 127.0.0.1 only
                                     dashboard_address="127.0.0.1:0",
                                     scheduler_kwargs={"dashboard": False},
                                     silence_logs=logging.ERROR)
        self._client = Client(self._cluster, set_as_default=False)
        self._client.register_plugin(interrupt_plugin())

    @property
    def cluster_workers(self) -> int:
        """Worker processes of the local cluster (this process is one of `workers` when it
        tracks too)."""
        return self.workers - 1 if self.track_here else self.workers

    def n_workers(self) -> int:
        if not self.remote:
            return self.workers
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def close(self) -> None:
        with self._lock:
            if self._local is not None:
                self._local.close()
                self._local = None
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._stop_local_workers()
                self._cluster.close()
            self._client = self._cluster = None

    def _stop_local_workers(self) -> None:
        """End the local worker processes within CLOSE_GRACE_S: Dask's own close waits 4 s for
        a worker that is still busy (or slow to exit with MediaPipe loaded) before it kills it;
        nothing in a worker is worth that wait (its results are back or thrown away)."""
        import asyncio

        nannies = list(getattr(self._cluster, "workers", {}).values())

        async def close_all():
            await asyncio.gather(*(n.close(timeout=CLOSE_GRACE_S / NANNY_WAIT_FRACTION)
                                   for n in nannies if hasattr(n, "close")),
                                 return_exceptions=True)

        if nannies:
            try:
                self._cluster.sync(close_all, callback_timeout=CLOSE_GRACE_S + 5)
            except Exception as exc:  # noqa: BLE001 - the cluster's own close follows anyway
                log.info("stopping the worker processes: %r", exc)

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
        digest = hashlib.sha256(data).hexdigest()[:16]
        [fut] = self.client.scatter([(path.name, data, digest)], hash=False)
        self._shipped[id(fut)] = digest
        return fut

    def _drop_copies(self, payloads) -> None:
        """Delete the workers' copies of clips shipped to a remote cluster, once their job is
        over (done, failed or stopped)."""
        digests = [self._shipped.pop(id(p)) for p in payloads if id(p) in self._shipped]
        if digests:
            drop_worker_copies(self.client, digests)

    def run(self, jobs: list[ClipJob], progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> Iterator[ClipResult]:
        """Track every chunk of every clip on the cluster; yield each clip when its chunks are
        all back (in the order they finish). Two neighbouring chunks whose trackers do not join
        up are tracked again as one (parallel.broken_seam). A clip that fails yields its error,
        not an exception, so one bad clip does not stop the others. When `cancel` is set, or the
        caller stops (Ctrl-C, or closing the generator), the chunks still running stop on the
        workers at their next frame (Cancelled is raised for `cancel`)."""
        from distributed import as_completed

        if not jobs:
            return
        client = self.client
        work: dict[int, float] = {}      # task tag -> seconds of video it tracks
        done: dict[int, float] = {}      # task tag -> seconds tracked so far
        total_s = sum(j.info.duration_s for j in jobs)
        shown = [0.0]
        tasks = _ChunkTasks(client, done, report=progress is not None)
        pending: dict = {}               # future -> (job index, chunk, tag)
        plans: dict[int, list[Chunk]] = {}
        parts: dict[int, dict[Chunk, dict]] = {}
        rejoined: dict[int, int] = {}
        payloads: dict[int, object] = {}
        failed: set[int] = set()
        ready = as_completed([], loop=client.loop)

        def submit(ji: int, c: Chunk) -> None:
            job = jobs[ji]
            tag = len(work)
            work[tag] = job.length_s(c)
            fut = tasks.submit(payloads[ji], job, c, tag, priority=-ji)
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
                _check(cancel)
                finished = ready.next_batch(block=False) if ready.has_ready() else []
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
                        self._drop_copies([payloads.pop(ji, None)])
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
                    self._drop_copies([payloads.pop(ji, None)])
                    yield ClipResult(job, seq, warnings, rejoined=rejoined[ji])
                if progress is not None:
                    frac = sum(done.values()) / max(sum(work.values()), 1e-9)
                    shown[0] = max(shown[0], min(1.0, frac) * total_s)   # never backwards
                    progress(shown[0], total_s)
        finally:
            for fut in pending:
                fut.cancel()
            tasks.close(stop_workers=bool(pending))
            self._drop_copies(list(payloads.values()))

    def track_video(self, path: str | Path, max_fps: float | None = 30.0,
                    progress: ProgressFn | None = None, warnings: list[str] | None = None,
                    max_duration_s: float | None = None, n_chunks: int | None = None,
                    cancel: threading.Event | None = None) -> PoseSequence:
        """Like pose.track_video, with the clip's chunks tracked in parallel on the cluster.
        Setting `cancel` (from another thread: e.g. the app when the user's session ends) stops
        the clip's chunks at their next frame and raises Cancelled."""
        if self.track_here and n_chunks is None:
            return self.track_here_and_there(path, max_fps, progress, warnings, max_duration_s,
                                             cancel)
        job = plan(path, n_chunks or self.n_workers(), max_fps, max_duration_s)
        [res] = list(self.run([job], progress, cancel))
        if res.error is not None:
            raise FormcheckError(res.error)
        if warnings is not None:
            warnings.extend(res.warnings)
        return res.seq

    def track_here_and_there(self, path: str | Path, max_fps: float | None = 30.0,
                             progress: ProgressFn | None = None,
                             warnings: list[str] | None = None,
                             max_duration_s: float | None = None,
                             cancel: threading.Event | None = None) -> PoseSequence:
        """Track a clip in this process from its start, at once; start the local cluster's
        worker processes meanwhile. When they have MediaPipe loaded, this process has tracked
        `done_s` of the clip: what is left is split so that this process and each worker have
        the same amount still to track (parallel.plan_chunks with a head start of done_s plus
        the overlap), this process's chunk is given its end, and the others go to the workers.
        A clip this process finishes first, or whose rest is too short to share, is tracked
        here alone. No start-up time is assumed: the split follows what was measured."""
        job = plan(path, 1, max_fps, max_duration_s)
        info, name = job.info, job.path.name
        total_s = info.duration_s
        done: dict[str | int, float] = {}   # "here", then each worker chunk's index -> seconds
        end = [math.inf]            # the end of this process's chunk, once decided

        def tell() -> None:
            if progress is not None:
                progress(min(sum(done.values()), total_s), total_s)

        def here_progress(done_s: float, _total_s: float) -> None:
            if "here" not in done:
                log.info("%s: this process tracked its first frame %.2f s after it began",
                         name, time.monotonic() - began)
            done["here"] = done_s
            tell()

        here_chunk = Chunk(0, 0.0, None, 0.0)
        began = time.monotonic()
        stop_here = threading.Event()
        pool = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="formcheck-here")
        here = None
        try:
            # workers only for a clip whose sharing pays after their start-up
            first = decide_sharing(total_s, STARTUP_VIDEO_S, self.workers, RATE_GUESS, max_fps,
                                   min_chunk_s=MIN_CHUNK_S)
            sharing = first.share and self.cluster_workers > 0
            if sharing:
                try:
                    self._launch_workers()     # before this process imports MediaPipe: launch()
                except Exception as exc:  # noqa: BLE001 - the clip is tracked here instead
                    log.warning("the worker processes did not start (%s); tracking %s here "
                                "alone", exc, name)
                    sharing = False
            # a clip tracked here alone from the start decodes as `--workers 1` does, in
            # FFmpeg's frame threads (a chunk beside other trackers: in one thread)
            here = pool.submit(track_chunk, str(job.path.resolve()), here_chunk, max_fps,
                               info.width_px, info.height_px, info.fps, total_s, name,
                               here_progress, lambda: end[0], stop_here,
                               decoder_threads=CHUNK_DECODER_THREADS if sharing else None)
            if self.cluster_workers > 0:
                log.info("%s: %s; %s", name, first.reason,
                         f"starting {self.cluster_workers} worker process(es)" if first.share
                         else "tracking it in this process alone")
            ready = pool.submit(self._start_workers) if sharing else None
            started = time.monotonic()
            if ready is not None:
                while not concurrent.futures.wait(
                        [here, ready], timeout=POLL_S,
                        return_when=concurrent.futures.FIRST_COMPLETED).done:
                    _check(cancel)
            chunks = [here_chunk]
            if ready is not None and not here.done() and ready.exception() is None:
                done_s = done.get("here", 0.0)
                wall_s = time.monotonic() - started
                # this run's own measurements: what was tracked while the workers started,
                # and how fast
                rate = done_s / wall_s if done_s > 0.5 and wall_s > 0 else RATE_GUESS
                now = decide_sharing(total_s, done_s, self.workers, rate, max_fps,
                                     min_chunk_s=MIN_CHUNK_S)
                log.info("%s: the workers started in %.1f s (%.2f s after this process began; "
                         "it tracked %.1f s of video meanwhile, %.2f s per second); %s", name,
                         wall_s, time.monotonic() - began, done_s, rate, now.reason)
                chunks = list(now.chunks)
                if now.share:
                    end[0] = chunks[0].end_s
                    log.info("%s: this process tracks to %.1f s, %d worker(s) the rest",
                             name, chunks[0].end_s, len(chunks) - 1)
                else:
                    chunks = [here_chunk]
            elif ready is not None and ready.done() and ready.exception() is not None:
                log.warning("the worker processes did not start (%s); tracking %s here alone",
                            ready.exception(), name)
            if len(chunks) == 1:
                while not concurrent.futures.wait([here], timeout=POLL_S).done:
                    _check(cancel)
                parts = [here.result()]
            else:
                parts = self._track_rest(job, chunks, here, done, tell, cancel, end)
        except BaseException:
            # Ctrl-C, `cancel` or an error: the chunk tracked here stops at its next frame, so
            # the process can end at once; waited for (a frame, at most HERE_STOP_S) so that
            # nothing it logs comes after the caller's own last words
            stop_here.set()
            if here is not None:
                concurrent.futures.wait([here], timeout=HERE_STOP_S)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        if len(chunks) > 1 and broken_seam(parts, chunks, info.width_px, info.height_px,
                                           info.fps) is not None:
            log.info("%s: the trackers do not join up; tracking it again in one pass", name)
            from .pose import track_video

            seq = track_video(job.path, max_fps=max_fps, progress=progress, warnings=warnings,
                              max_duration_s=max_duration_s)
            return seq
        got: list[str] = []
        seq = merge_chunks(parts, chunks, info.width_px, info.height_px, info.fps, name, got)
        _note_early_end(info, seq, got)
        if warnings is not None:
            warnings.extend(got)
        return seq

    def _start_workers(self) -> None:
        """Start the worker processes and load MediaPipe in each: for a clip this process tracks
        too (track_here, always on this machine), plain processes (local_workers.py: no
        scheduler, no nanny, no TLS to set up); otherwise the Dask cluster."""
        if self.track_here:
            self._launch_workers()
            self._local.start()
            return
        from .pose import preload

        self.client.run(preload)

    def _launch_workers(self) -> None:
        """Spawn the plain worker processes of a track_here run (LocalWorkers.launch), once."""
        from .local_workers import LocalWorkers

        if self._local is None:
            self._local = LocalWorkers(self.cluster_workers)   # so that close() ends them
        self._local.launch()

    def _track_rest(self, job: ClipJob, chunks: list[Chunk], here, done: dict,
                    tell: Callable[[], None], cancel: threading.Event | None = None,
                    end: list[float] | None = None) -> list[dict]:
        """The later chunks on the workers while this process finishes the first. Their
        progress goes into `done` under their chunk index. With `end` (the live end of this
        process's chunk) on local workers, an idle worker takes the end of this process's
        chunk (_track_rest_locally): `chunks` then gains that chunk, in order of start."""
        if self._local is not None:
            return self._track_rest_locally(job, chunks, here, done, tell, cancel, end)
        tasks = _ChunkTasks(self.client, done, report=True)
        futs = [tasks.submit(str(job.path.resolve()), job, c, c.index) for c in chunks[1:]]
        try:
            while not (here.done() and all(f.done() for f in futs)):
                _check(cancel)
                time.sleep(POLL_S)
                tell()
            first = here.result()
            rest = []
            for f in futs:
                if f.status == "error":
                    raise FormcheckError(_user_message(job.path.name, f.exception()))
                rest.append(f.result())
            return [first] + rest
        finally:
            unfinished = not all(f.done() for f in futs)
            for f in futs:
                f.release()
            tasks.close(stop_workers=unfinished)


    def _track_rest_locally(self, job: ClipJob, chunks: list[Chunk], here, done: dict,
                            tell: Callable[[], None], cancel: threading.Event | None = None,
                            end: list[float] | None = None) -> list[dict]:
        """_track_rest on this machine's LocalWorkers: one chunk per worker, over their pipes.
        Work stealing at the end: when a worker has nothing left to track while this process
        still has more of its chunk than a new chunk costs (parallel.steal_chunk, from the
        rate this process has tracked at since the split), the worker takes the end of this
        process's chunk and `end[0]` moves to the new boundary; `chunks` (this process's first)
        gets the new chunk, in order of start, and chunks[0] its new end. On Ctrl-C, `cancel`
        or an error the workers are terminated at once (what they were tracking is thrown
        away)."""
        workers = self._local
        info = job.info
        path = str(job.path.resolve())

        def send(c: Chunk) -> None:
            workers.track(c.index, (path, c, job.max_fps, info.width_px, info.height_px,
                                    info.fps, info.duration_s, job.path.name))

        for c in chunks[1:]:
            send(c)
        results: dict[int, dict] = {}
        finished = False
        split_at, split_s = time.monotonic(), done.get("here", 0.0)
        here_done_at = None
        stealing = end is not None
        # this process's chunk ending wakes the wait for the workers' messages at once (else
        # a clip whose workers are done waited up to POLL_S more for its last chunk)
        wake, waker = multiprocessing.Pipe(duplex=False)
        here.add_done_callback(lambda _f: _poke(waker))
        try:
            while not (here.done() and len(results) == len(chunks) - 1):
                _check(cancel)
                if here.done() and here.exception() is not None:
                    break                                  # raised by here.result() below
                for kind, tag, value in workers.collect(POLL_S,
                                                        None if here.done() else wake):
                    if kind == "progress":
                        done[tag] = value
                    elif kind == "done":
                        results[tag] = value
                        log.info("%s: a worker finished chunk %d %.2f s after the split; this "
                                 "process is at %.1f s of video%s", job.path.name, tag,
                                 time.monotonic() - split_at, done.get("here", 0.0),
                                 " (done)" if here.done() else f", to {end[0]:.1f} s"
                                 if end is not None else "")
                    else:
                        raise FormcheckError(_user_message(job.path.name, value))
                if here.done() and here_done_at is None:
                    here_done_at = time.monotonic()
                    log.info("%s: this process finished its chunk %.2f s after the split; "
                             "%d worker chunk(s) still running", job.path.name,
                             here_done_at - split_at, len(chunks) - 1 - len(results))
                # a worker that has finished its chunk (not one the split left without)
                if stealing and results and math.isfinite(end[0]) \
                        and not here.done() and workers.idle() > 0:
                    stolen = self._steal(job, chunks, done, end, split_at, split_s)
                    if stolen is not None:
                        send(stolen)
                    else:
                        stealing = False    # less is left from now on: no later steal pays
                tell()
            first = here.result()
            finished = True
            return [first] + [results[c.index] for c in chunks[1:]]
        finally:
            wake.close()
            waker.close()
            if not finished:
                self._local = None
                workers.close()

    @staticmethod
    def _steal(job: ClipJob, chunks: list[Chunk], done: dict, end: list[float],
               split_at: float, split_s: float) -> Chunk | None:
        """The end of this process's chunk for an idle worker (parallel.steal_chunk), or None.
        Moves end[0] to the new boundary and puts the new chunk into `chunks`."""
        here_s = done.get("here", 0.0)
        wall_s = time.monotonic() - split_at
        rate = (here_s - split_s) / wall_s if here_s - split_s > 0.5 and wall_s > 0 \
            else RATE_GUESS
        index = max(c.index for c in chunks) + 1
        d = steal_chunk(here_s, end[0], rate, index, job.max_fps)
        log.info("%s: a worker is idle; %s", job.path.name, d.reason)
        if d.chunk is None:
            return None
        end[0] = d.chunk.boundary_s
        chunks[0] = Chunk(chunks[0].index, chunks[0].start_s, d.chunk.boundary_s,
                          chunks[0].boundary_s)
        chunks.append(d.chunk)
        chunks.sort(key=lambda c: c.start_s)
        return d.chunk


def _poke(conn) -> None:
    """One byte into a wake-up pipe (LocalWorkers.collect's `wake`); nothing if it is closed."""
    try:
        conn.send_bytes(b"1")
    except (OSError, ValueError):
        pass


class _ChunkTasks:
    """Chunks of clips sent to the cluster under one progress topic (Engine.run,
    Engine._track_rest): each task, when asked to `report`, publishes the seconds of video it has
    tracked so far, which land in `done` under the task's tag. close() unsubscribes."""

    def __init__(self, client, done: dict, report: bool):
        self.client, self.done, self.report = client, done, report
        self.topic = f"formcheck-progress-{uuid.uuid4().hex}"
        client.subscribe_topic(self.topic, self._on_event)

    def _on_event(self, event) -> None:
        tag, done_s = event[1]
        self.done[int(tag)] = float(done_s)

    def submit(self, payload, job: ClipJob, c: Chunk, tag: int, priority: int = 0):
        """Track chunk `c` of `job` from `payload` (Engine._payload); its Dask future."""
        info = job.info
        return self.client.submit(track_chunk, payload, c, job.max_fps, info.width_px,
                                  info.height_px, info.fps, info.duration_s, job.path.name,
                                  (self.topic, tag) if self.report else None,
                                  run_id=self.topic,
                                  key=f"formcheck-track-{self.topic[-12:]}-{tag}", pure=False,
                                  priority=priority)

    def close(self, stop_workers: bool = False) -> None:
        """Unsubscribe; with `stop_workers`, the chunks of these tasks still running stop at
        their next frame (parallel.cancel_run on every worker), so the workers are free at
        once (and close quickly) instead of finishing work nobody will read."""
        if stop_workers:
            try:
                self.client.run(cancel_run, self.topic)
            except Exception as exc:  # noqa: BLE001 - best effort: the workers may be gone
                log.info("could not stop the workers' chunks: %r", exc)
        try:
            self.client.unsubscribe_topic(self.topic)
        except ValueError:
            pass


class _ExpectedDaskWarnings(logging.Filter):
    """Dask warnings that describe formcheck's own doing, not a problem the user can act on:
    the worker processes killed after CLOSE_GRACE_S at close ("Worker process still alive after
    1.0 seconds, killing"), and a TLS connection dropped mid-handshake (Dask's own, cut short
    while the cluster starts or stops; or a refused intruder). Logged at INFO under
    formcheck.engine instead (shown with --verbose)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if msg.startswith("Worker process still alive after") or \
                (msg.startswith("Listener on ") and "TLS handshake failed" in msg):
            log.info("dask: %s", msg)
            return False
        return True


def _quiet_expected_dask_warnings() -> None:
    for name in ("distributed.nanny", "distributed.comm.tcp"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedDaskWarnings) for f in logger.filters):
            logger.addFilter(_ExpectedDaskWarnings())


def drop_worker_copies(client, digests: list[str]) -> int:
    """Delete every worker's copies of these clips (SHA-256 hex, or its first 16 digits); how
    many were deleted. For `forget` with a cluster: Engine(scheduler=...).client. Best effort:
    a worker that cannot be reached is logged."""
    try:
        return sum(client.run(drop_copies, list(digests)).values())
    except Exception as exc:  # noqa: BLE001 - the job's result stands; say so in the log
        log.warning("could not delete the workers' copies of %d clip(s): %r", len(digests), exc)
        return 0


def forget_worker_copies(clip_sha256s: list[str | None], scheduler: str | None = None
                         ) -> int | None:
    """For `forget` (CLI and app): delete the copies of a forgotten client's clips that the
    cluster's workers may still hold (a job cut off before its own clean-up). Only a cluster at a
    scheduler address gets copies (local workers read the clip where it is), so with none
    configured (--scheduler, FORMCHECK_DASK_SCHEDULER) there is nothing to do: None. Otherwise
    how many copies were deleted; EngineError when the cluster cannot be reached."""
    digests = sorted({s[:16] for s in clip_sha256s if s})
    address = scheduler_address(scheduler)
    if address is None or not digests:
        return None
    with Engine(scheduler=address) as eng:
        return drop_worker_copies(eng.client, digests)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("The analysis was stopped before it finished.")


def _note_early_end(info: VideoInfo, seq: PoseSequence, warnings: list[str]) -> None:
    from .pose import note_early_end

    note_early_end(info.duration_s, seq, warnings)


def _user_message(name: str, exc: BaseException | None) -> str:
    if isinstance(exc, FormcheckError):
        return str(exc)
    log.error("tracking %s failed: %r", name, exc)
    return (f"formcheck could not track {name} ({type(exc).__name__}: {exc}). Try the clip again, "
            "or export it again as H.264 mp4.")
