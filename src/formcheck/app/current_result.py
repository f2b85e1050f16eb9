"""The one "current result" of a browser session, whichever page made it (a clip on the Analyse
page, a set on the Live page). The Clients page's Save section reads it from here.

Kept in st.session_state under the keys "analysis", "raw_landmarks", "clip_path" and
"clip_name" (the keys the Clients page has always read).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

KEYS = ("analysis", "raw_landmarks", "clip_path", "clip_name", "result_from")


def publish(analysis, raw, clip_path: Path | str | None, clip_name: str, page: str) -> None:
    """Make this the result the Save section offers. `clip_path`: the clip (upload or the live
    set's recording) or None when there is no video."""
    st.session_state["analysis"] = analysis
    st.session_state["raw_landmarks"] = raw
    st.session_state["clip_path"] = None if clip_path is None else str(clip_path)
    st.session_state["clip_name"] = clip_name
    st.session_state["result_from"] = page


def clear(page: str | None = None) -> None:
    """Forget the current result (only if `page` made it, when given)."""
    if page is not None and st.session_state.get("result_from") != page:
        return
    for k in KEYS:
        st.session_state.pop(k, None)
