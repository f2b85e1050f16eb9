"""A sign-in that survives a reload: a server-side session token in a cookie, never the password.

On sign-in the app makes a random token, keeps only its hash here (in the app process's memory,
with the account's name and an expiry) and gives the token to the browser as a cookie
(SameSite=Strict, Secure over HTTPS). A new browser session that brings the cookie is signed in
again as that account, with its role as the database has it now (an account removed since is
signed out). Signing out forgets the token. A restart of the app forgets every token: people
sign in again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time

import streamlit as st

log = logging.getLogger(__name__)

COOKIE = "formcheck_signin"
TTL_S = 8 * 3600               # a working day
_lock = threading.Lock()
_tokens: dict[str, tuple[str, float]] = {}     # sha256(token) -> (account name, expires at)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


_PENDING = "signin_cookie_pending"


def _set_cookie(value: str, max_age_s: int) -> None:
    """Set the cookie at the next page run (flush): sign-in and sign-out rerun the page at once."""
    st.session_state[_PENDING] = (value, max_age_s)


def flush() -> None:
    """Give the browser the cookie a sign-in or sign-out made (streamlit_app.py, every run)."""
    pending = st.session_state.pop(_PENDING, None)
    if pending is None:
        return
    value, max_age_s = pending
    st.sidebar.html(f"<script>document.cookie = '{COOKIE}={value}; path=/; "
                    f"max-age={int(max_age_s)}; SameSite=Strict' + "
                    "(location.protocol === 'https:' ? '; Secure' : '');</script>",
                    unsafe_allow_javascript=True)


def remember(name: str, now: float | None = None) -> None:
    """After a sign-in: a new token for this browser."""
    now = time.time() if now is None else now
    token = secrets.token_hex(32)
    with _lock:
        for k in [k for k, (_n, exp) in _tokens.items() if exp <= now]:
            del _tokens[k]
        _tokens[_hash(token)] = (name, now + TTL_S)
    _set_cookie(token, TTL_S)


def _cookies():
    """The cookies the browser sent when the page was opened (a function: tests replace it)."""
    try:
        return st.context.cookies
    except Exception:  # noqa: BLE001 - no browser (bare mode)
        return {}


def recalled_name(now: float | None = None) -> str | None:
    """The account this browser's token signs in, or None."""
    try:
        token = _cookies().get(COOKIE)
    except Exception:  # noqa: BLE001
        return None
    if not isinstance(token, str) or len(token) != 64:
        return None
    now = time.time() if now is None else now
    with _lock:
        found = _tokens.get(_hash(token))
        if found is None or found[1] <= now:
            return None
        return found[0]


def forget(name: str) -> None:
    """Sign out `name`: its tokens are no longer valid (every browser of the account signs in
    again), and this browser's cookie goes."""
    try:
        token = _cookies().get(COOKIE)
    except Exception:  # noqa: BLE001
        token = None
    with _lock:
        if isinstance(token, str):
            _tokens.pop(_hash(token), None)
        for k in [k for k, (n, _e) in _tokens.items() if n == name]:
            del _tokens[k]
    _set_cookie("", 0)
