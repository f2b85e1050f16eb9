"""The app's tracking engine: MediaPipe runs in worker processes, never in the web server.

One engine per server process, shared by all sessions: a local cluster of spawned worker
processes (one per core) started on the first analysis, or the Dask cluster named by
FORMCHECK_DASK_SCHEDULER. Each session's script thread only waits for its own clip's chunks
and moves its own progress bar, so users analysing at once neither block each other's pages
nor grow the web process by a model each.

Abandoned work is stopped: `job_progress` is the progress callback of one analysis; it raises
JobCancelledError when the browser session that asked for it has gone, or when the job has run
past `limits.app_job_time_limit_s`. The engine is waiting in that call, so the error cancels the
job's chunks, and each worker task stops itself at its next frame (parallel._while_wanted).
"""

from __future__ import annotations

import time
from typing import Callable

import streamlit as st

from formcheck import limits
from formcheck.engine import Engine
from formcheck.errors import JobCancelledError

ProgressFn = Callable[[float, float], None]


@st.cache_resource(show_spinner=False)
def app_engine() -> Engine:
    # spawn: a clean interpreter per worker, not a copy of the web server and its threads
    return Engine(start_method="spawn")


def session_alive(session_id: str | None) -> bool:
    """Whether the browser session is still connected (True outside a running app server)."""
    if session_id is None:
        return True
    try:
        from streamlit.runtime import Runtime
    except ImportError:
        return True
    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(session_id)


def progress_words(name: str, done_s: float, total_s: float) -> str:
    """The progress bar's words (a clip whose length is not known yet has no 'of …')."""
    if total_s > 0:
        return f"Tracking {name}: {done_s:.1f} of {total_s:.1f} s"
    return f"Tracking {name}: {done_s:.1f} s so far"


def job_progress(show: ProgressFn, session_id: str | None = None,
                 time_limit_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 alive: Callable[[str | None], bool] = session_alive) -> ProgressFn:
    """The progress callback of one analysis started by `session_id`: it passes the progress to
    `show` while the session is connected and the job is within its time limit, and raises
    JobCancelledError otherwise."""
    limit_s = limits.current().app_job_time_limit_s if time_limit_s is None else time_limit_s
    started = clock()

    def progress(done_s: float, total_s: float) -> None:
        if not alive(session_id):
            raise JobCancelledError("The browser tab that asked for this analysis was closed; "
                                    "the analysis was stopped.")
        if clock() - started > limit_s:
            raise JobCancelledError(
                f"The analysis took longer than {limit_s / 60:.0f} min, this server's limit for "
                "one clip, and was stopped. Trim the clip to the sets you want checked (or ask "
                "whoever runs the server to raise FORMCHECK_APP_JOB_TIME_LIMIT_S).")
        show(done_s, total_s)

    return progress
