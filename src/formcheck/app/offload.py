"""The app's tracking engine: MediaPipe runs in worker processes, never in the web server.

One engine per server process, shared by all sessions: a local cluster of spawned worker
processes (one per core) started on the first analysis, or the Dask cluster named by
FORMCHECK_DASK_SCHEDULER. Each session's script thread only waits for its own clip's chunks
and moves its own progress bar, so users analysing at once neither block each other's pages
nor grow the web process by a model each.
"""

from __future__ import annotations

import streamlit as st

from formcheck.engine import Engine


@st.cache_resource(show_spinner=False)
def app_engine() -> Engine:
    # spawn: a clean interpreter per worker, not a copy of the web server and its threads
    return Engine(start_method="spawn")
