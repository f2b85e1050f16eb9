"""The one source of truth of a browser session for "which client, which visit, which mode",
and its one "current result", whichever page made it (a clip on the Analyse page, a set on the
Live page). Every page and button reads them from here.

- The current result is kept in st.session_state under "analysis", "raw_landmarks",
  "clip_path", "clip_name" (the keys the Clients page has always read), "result_from" (the page
  that made it), "result_kind" (what it is: KINDS) and "chair_stand" (the chair-stand test's
  result, in that mode).
- The current client is CLIENT_KEY; the visit on screen per client is VISIT_KEY.
- The choices made on one page (the Analyse page's mode, its client toggle, profile and
  thresholds) are widgets. Streamlit forgets a widget's value once a page without it runs, so
  `keep_choices()` (called by streamlit_app.py before every page) keeps them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

KEYS = ("analysis", "raw_landmarks", "clip_path", "clip_name", "result_from", "result_kind",
        "chair_stand")
# What a saved result is: the words the Save section uses for it.
SQUAT, CHAIR_STAND, LIVE = "squat", "chair-stand", "live"
KINDS = {SQUAT: "squat set", CHAIR_STAND: "chair-stand test", LIVE: "live set"}
CLIENT_KEY = "client_label"
VISIT_KEY = "current_visit"          # {client label: session id on screen}
SAVED_KEY = "saved_results"          # {(client label, fingerprint): session id}
# Widget keys (and key prefixes) that hold a choice which must outlive a visit to another page.
KEPT = ("analyse_mode", "clinic_mode", "profile", "view", "height_cm", "cs_test", "cs_age",
        "cs_sex", "live_mirror_view")
KEPT_PREFIXES = ("th_", "box_")


def keep_choices() -> None:
    """Keep the choices of every page across page changes: re-assigning a widget's value
    before its page runs stops Streamlit from dropping it when another page runs (Streamlit's
    documented way to keep widget values across pages)."""
    for k in list(st.session_state):
        if isinstance(k, str) and (k in KEPT or k.startswith(KEPT_PREFIXES)):
            st.session_state[k] = st.session_state[k]


def publish(analysis, raw, clip_path: Path | str | None, clip_name: str, page: str,
            kind: str = SQUAT, chair_stand=None) -> None:
    """Make this the result the Save section offers. `clip_path`: the clip (upload or the live
    set's recording) or None when there is no video. `kind`: what it is (KINDS);
    `chair_stand`: the chair-stand test's result (chairstand.ChairStandResult) in that mode."""
    if kind not in KINDS:
        raise ValueError(f"unknown result kind {kind!r}")
    st.session_state["analysis"] = analysis
    st.session_state["raw_landmarks"] = raw
    st.session_state["clip_path"] = None if clip_path is None else str(clip_path)
    st.session_state["clip_name"] = clip_name
    st.session_state["result_from"] = page
    st.session_state["result_kind"] = kind
    st.session_state["chair_stand"] = chair_stand if kind == CHAIR_STAND else None


def kind() -> str:
    """What the current result is (KINDS); a squat set unless a page said otherwise."""
    k = st.session_state.get("result_kind")
    return k if k in KINDS else SQUAT


def clear(page: str | None = None) -> None:
    """Forget the current result (only if `page` made it, when given)."""
    if page is not None and st.session_state.get("result_from") != page:
        return
    for k in KEYS:
        st.session_state.pop(k, None)


def fingerprint(analysis, raw, chair_stand: dict | None) -> str:
    """What makes two saves the same: the landmarks, the thresholds and profile the reps were
    scored with, and the chair-stand test's result. The same analysis saved twice has the same
    fingerprint."""
    h = hashlib.sha256()
    for name in ("t_s", "xy_px", "z", "visibility", "world_m"):
        arr = getattr(raw, name, None)
        if arr is not None:
            h.update(name.encode())
            h.update(memoryview(arr.tobytes()))
    h.update(repr((analysis.profile, analysis.thresholds, analysis.view.view,
                   sorted((chair_stand or {}).items(), key=lambda kv: kv[0]) if chair_stand
                   else None)).encode())
    return h.hexdigest()


def saved_as(label: str, fp: str) -> int | None:
    """The session this browser session saved this analysis as for this client, if any."""
    return st.session_state.get(SAVED_KEY, {}).get((label, fp))


def remember_saved(label: str, fp: str, session_id: int) -> None:
    st.session_state.setdefault(SAVED_KEY, {})[(label, fp)] = session_id
    show_visit(label, session_id)


def visit(label: str) -> int | None:
    return st.session_state.get(VISIT_KEY, {}).get(label)


def show_visit(label: str, session_id: int | None) -> None:
    """Make `session_id` the visit on screen for this client (None: the newest)."""
    visits = st.session_state.setdefault(VISIT_KEY, {})
    if session_id is None:
        visits.pop(label, None)
    else:
        visits[label] = session_id


def client() -> str | None:
    """The session's current client (its label), or None."""
    return st.session_state.get(CLIENT_KEY)


def choose_client(label: str | None) -> None:
    """Make `label` the current client (None: no client)."""
    if label:
        st.session_state[CLIENT_KEY] = label
    else:
        st.session_state.pop(CLIENT_KEY, None)
