"""Worker processes for one clip on this machine (`formcheck analyze`): plain Python processes
started with "spawn", one per extra core, each talking to the caller over its own pipe.

A Dask local cluster did this job before: a scheduler, a nanny and a worker per core, mutual TLS
between them, and a close that gives each worker a second before killing it. For one clip on one
machine none of that buys anything, and it cost seconds of a short clip's run (issue 20):
benchmarks/bench_startup.py measures both. Dask stays for `formcheck batch`, the app's jobs and a
remote scheduler (engine.py).

Protocol on a worker's pipe (the caller's side in LocalWorkers):
    caller -> worker   ("track", tag, args)  parallel.track_chunk(*args) for chunk `tag`
    worker -> caller   ("ready", pid)        MediaPipe is imported; sent once, at start
                       ("progress", tag, s)  seconds of the chunk tracked so far
                       ("done", tag, part)   track_chunk's result
                       ("error", tag, (module, class, text))   the chunk failed; collect()
                                             gives the caller the exception rebuilt
The caller ends its workers by terminating them: nothing in a worker outlives its chunk (the clip
is read from its path; the result is only in the pipe). A worker whose pipe closes exits too.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from multiprocessing.connection import Connection, wait
from typing import Callable

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5       # how often a worker reports its progress (wall seconds)
EXIT_GRACE_S = 1.0           # how long a terminated worker gets to exit before it is killed


def _worker_main(conn: Connection) -> None:
    """A worker process: load MediaPipe and make the pose model for its first chunk, say so,
    then track what is asked until the pipe ends.

    The model is made before "ready" (about 0.5 s, benchmarks/bench_startup.py): the caller
    splits the clip when its workers are ready, assuming each starts tracking at once; a model
    made after the split made the worker finish that much after the caller."""
    from .parallel import ignore_interrupts

    ignore_interrupts()               # Ctrl-C is for the command, which stops its workers itself
    from .pose import PoseEstimator, preload

    preload()
    from .errors import FormcheckError
    from .parallel import track_chunk

    try:
        spare = PoseEstimator()       # fresh: the first chunk's tracker
    except Exception:                 # noqa: BLE001 - the chunk makes its own and says what fails
        log.info("the worker could not make its pose model in advance", exc_info=True)
        spare = None

    conn.send(("ready", multiprocessing.current_process().pid))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        _, tag, args = msg
        last = [0.0]

        def report(done_s: float, _total_s: float, tag=tag) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                conn.send(("progress", tag, float(done_s)))

        spare_now, spare = spare, None
        try:
            part = track_chunk(*args, progress_to=report, estimator=spare_now)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller
            # as (class, text): an exception object may not pickle (one raised by the video
            # reader holds a ContextVar)
            ours = isinstance(exc, FormcheckError)
            conn.send(("error", tag, (type(exc).__module__ if ours else None,
                                      type(exc).__qualname__, str(exc))))
            continue
        conn.send(("done", tag, part))


def _rebuilt(module: str | None, name: str, text: str) -> Exception:
    """The worker's exception again: formcheck's own (whose text is in the user's words) as its
    class, anything else as a RuntimeError naming it."""
    if module is not None and module.startswith("formcheck."):
        import importlib

        cls = getattr(importlib.import_module(module), name, None)
        from .errors import FormcheckError

        if isinstance(cls, type) and issubclass(cls, FormcheckError):
            try:
                return cls(text)
            except TypeError:
                return FormcheckError(text)
    return RuntimeError(f"{name}: {text}")


class LocalWorkers:
    """`n` worker processes on this machine for the chunks of one clip. start() returns when
    every worker has MediaPipe loaded; track() sends a chunk; collect() gathers their messages;
    close() ends them (at once for work nobody will read)."""

    def __init__(self, n: int):
        self.n = n
        self._procs: list = []
        self._conns: list[Connection] = []
        self.pids: list[int] = []
        self._next = 0
        self._busy: dict[int, Connection] = {}   # chunk tag -> the worker tracking it

    def launch(self) -> None:
        """Spawn the worker processes (a few milliseconds; start() waits for them to be ready).

        A spawned process starts from a copy of this process's sys.path taken here: call it
        from the thread that will import MediaPipe, before it does, or when nothing imports
        at all. OpenCV's import (under MediaPipe's, until pose._mediapipe gave it a stand-in;
        still under overlay.py's) puts its own folder first on sys.path for a moment, and a
        worker spawned in that moment finds cv2's `typing` package instead of Python's and dies
        at start (seen in tests/test_interrupt.py)."""
        if self._procs:
            return
        ctx = multiprocessing.get_context("spawn")
        for _ in range(self.n):
            ours, theirs = ctx.Pipe()
            p = ctx.Process(target=_worker_main, args=(theirs,), daemon=True,
                            name="formcheck-worker")
            p.start()
            theirs.close()
            self._procs.append(p)
            self._conns.append(ours)

    def start(self, cancelled: Callable[[], bool] = lambda: False, poll_s: float = 0.25) -> None:
        """launch() (if not done yet), then wait until every worker has MediaPipe loaded."""
        self.launch()
        waiting = list(self._conns)
        while waiting:
            if cancelled():
                raise InterruptedError("stopped while the workers started")
            for c in wait(waiting, timeout=poll_s):
                try:
                    kind, pid = c.recv()
                except (EOFError, OSError) as exc:
                    raise RuntimeError("a worker process ended while it started") from exc
                assert kind == "ready", kind
                self.pids.append(pid)
                waiting.remove(c)

    def track(self, tag: int, args: tuple) -> None:
        """Send chunk `tag` (parallel.track_chunk's positional arguments) to a worker with
        nothing to do, else to the next in turn."""
        idle = [c for c in self._conns if c not in self._busy.values()]
        if idle:
            conn = idle[0]
        else:
            conn = self._conns[self._next % len(self._conns)]
            self._next += 1
        conn.send(("track", tag, args))
        self._busy[tag] = conn

    def idle(self) -> int:
        """How many workers have no chunk to track (their chunks are back, or none was sent)."""
        return sum(c not in self._busy.values() for c in self._conns)

    def collect(self, timeout_s: float, wake: Connection | None = None) -> list[tuple]:
        """The workers' messages that arrive within `timeout_s` ("progress", "done" or "error"
        tuples, as in the module's docstring). A worker that died sends ("error", None, exc).
        Returns at once (maybe with nothing) when `wake` is readable: the caller's own news,
        e.g. its tracker has finished (nothing is read from it)."""
        out = []
        for c in wait(self._conns + ([wake] if wake is not None else []), timeout=timeout_s):
            if c is wake:
                continue
            try:
                msg = c.recv()
                if msg[0] in ("done", "error"):
                    self._busy.pop(msg[1], None)
                out.append(msg if msg[0] != "error" else ("error", msg[1], _rebuilt(*msg[2])))
            except (EOFError, OSError) as exc:
                self._conns.remove(c)
                out.append(("error", None, RuntimeError(f"a worker process ended early ({exc!r})")))
        return out

    def close(self) -> None:
        """End the workers at once: a worker holds nothing worth keeping (its results are back,
        or nobody will read them), and letting one wind MediaPipe down costs the command ~0.7 s
        at exit (benchmarks/bench_startup.py). Terminated, then killed after EXIT_GRACE_S."""
        for c in self._conns:
            c.close()
        self._conns = []
        for p in self._procs:
            p.terminate()
        deadline = time.monotonic() + EXIT_GRACE_S
        for p in self._procs:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(1.0)
        self._procs = []

    def __enter__(self) -> "LocalWorkers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
