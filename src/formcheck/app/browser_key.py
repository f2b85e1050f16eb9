"""Who owns a result link: a per-browser secret kept in a cookie.

A result's id in the page's URL (?result=..., ?set=...) lets a reload find the result again. A
link alone must open nothing: the result is bound to the browser that made it by `owner_tag()`,
a hash of a random secret that this browser keeps in a cookie (COOKIE, SameSite=Strict, one
year), and a new browser session adopts a result only when its own cookie gives the same tag.
A browser without the cookie (another person, another browser profile, a private window) gets
a new secret, so nobody else's results.

No Streamlit server hook can set a cookie, so the page sets it with a line of JavaScript the
first time; Streamlit reads it back (st.context.cookies) when the page is opened again.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import streamlit as st

COOKIE = "formcheck_browser"
MAX_AGE_S = 365 * 24 * 3600
_SESSION_KEY = "browser_secret"
_SECRET = re.compile(r"^[0-9a-f]{64}$")


def _cookies():
    """The cookies the browser sent when the page was opened (a function: tests replace it)."""
    try:
        return st.context.cookies
    except Exception:  # noqa: BLE001 - no browser (bare mode): no cookie
        return {}


def secret() -> str:
    """This browser's secret: from its cookie, else a new one (the cookie is set on the page)."""
    s = st.session_state.get(_SESSION_KEY)
    if s:
        return s
    try:
        s = _cookies().get(COOKIE)
    except Exception:  # noqa: BLE001 - a cookie jar that cannot be read: a new secret
        s = None
    if not isinstance(s, str) or not _SECRET.match(s):
        s = secrets.token_hex(32)
        st.sidebar.html(f"<script>document.cookie = '{COOKIE}={s}; path=/; max-age={MAX_AGE_S}; "
                        "SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');"
                        "</script>", unsafe_allow_javascript=True)
    st.session_state[_SESSION_KEY] = s
    return s


def tag_of(secret_hex: str) -> str:
    """What is stored beside a result: a hash of the secret, never the secret itself."""
    return hashlib.sha256(("formcheck result owner:" + secret_hex).encode()).hexdigest()


def owner_tag() -> str:
    """The owner tag of this browser's results."""
    return tag_of(secret())
