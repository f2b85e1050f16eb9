"""Who may see clinic data in the app.

Home use stays zero-set-up: with the app bound to this computer only (the default,
.streamlit/config.toml server.address = 127.0.0.1) and no account in the database, the clinic
pages are open to the local user. A sign-in is required when the app is reachable beyond this
computer (bound to another address, or the browser connects from another address), and always
once any account exists (`formcheck users add NAME --role admin|physio`).
"""

from __future__ import annotations

import ipaddress
import logging
import time

import streamlit as st

from formcheck import auth
from formcheck.auth import Action, Role, User

log = logging.getLogger(__name__)

USER_KEY = "signed_in_user"
LOCAL_USER = User("local", Role.ADMIN)     # this computer, no accounts: home or single-desk use
FAILED_SIGN_IN_DELAY_S = 1.0


def _loopback(address: str | None) -> bool:
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def reachable_beyond_localhost() -> bool:
    """True unless the server listens on a loopback address only and this browser is local."""
    if not _loopback(st.get_option("server.address")):
        return True
    ip = getattr(st.context, "ip_address", None)   # None when unknown (and in AppTest a mock)
    return isinstance(ip, str) and bool(ip) and not _loopback(ip)


def sign_in_required(store) -> bool:
    return reachable_beyond_localhost() or auth.has_accounts(store)


def current_user(store) -> User | None:
    """The signed-in user, LOCAL_USER when no sign-in is needed, else None."""
    user = st.session_state.get(USER_KEY) or _recalled(store)
    if user is not None:
        return user
    return None if sign_in_required(store) else LOCAL_USER


def _recalled(store) -> User | None:
    """The account this browser signed in as before a reload (signin_memory), with its role
    as the database has it now; None when there is none (or the account was removed)."""
    from . import signin_memory

    name = signin_memory.recalled_name()
    if name is None:
        return None
    role = next((r for n, r, _t in auth.list_accounts(store) if n == name), None)
    if role is None:
        return None
    user = st.session_state[USER_KEY] = User(name, role)
    return user


def sign_in_form(store, where=None) -> None:
    where = where or st
    if not auth.has_accounts(store):
        where.warning("This app can be reached from other computers, so clinic data needs a "
                      "sign-in, and no account exists yet. On the server, run `formcheck users "
                      "add NAME --role admin` (it asks for the password).", icon=":material/lock:")
        return
    with where.form("sign_in"):
        st.markdown("**Sign in** to see the clinic's clients.")
        name = st.text_input("Name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        ip = getattr(st.context, "ip_address", None)   # the throttle's per-address count
        try:
            user = auth.sign_in(store, name, password,
                                address=ip if isinstance(ip, str) and ip else auth.UNKNOWN_ADDRESS)
        except auth.SignInThrottledError as exc:
            where.error(str(exc), icon=":material/timer:")
            return
        if user is None:
            time.sleep(FAILED_SIGN_IN_DELAY_S)    # slows down guessing
            where.error("Wrong name or password.", icon=":material/error:")
            return
        st.session_state[USER_KEY] = user
        from . import signin_memory

        signin_memory.remember(user.name)      # a reload keeps the sign-in (a cookie token)
        st.rerun()


def gate(store, action: Action = Action.VIEW_CLIENTS, where=None) -> User | None:
    """The user when they may do `action`; otherwise shows the sign-in (or says the role does
    not allow it) and returns None. Nothing about clients is read before this passes."""
    user = current_user(store)
    if user is None:
        sign_in_form(store, where)
        return None
    if not user.may(action):
        return None
    return user


def sign_out_button(where=None) -> None:
    where = where or st.sidebar
    user = st.session_state.get(USER_KEY)
    if user is not None:
        where.caption(f"Signed in as {user.name} ({user.role.value})")
        if where.button("Sign out", key="sign_out"):
            from . import signin_memory

            for k in list(st.session_state):
                if k not in ("session_files",):
                    del st.session_state[k]
            signin_memory.forget(user.name)
            st.rerun()


def audit(store, user: User, action: str, client_uid: str | None = None, detail: str = "") -> None:
    try:
        auth.audit(store, user.name, action, client_uid, detail)
    except Exception:  # noqa: BLE001 - the log is written by the caller's action too
        log.exception("audit %s", action)
        raise
