"""Accounts, roles and the audit log of the clinic database.

Home use needs none of this. A clinic creates accounts with `formcheck users add NAME --role
admin|physio`; from then on (and whenever the app is reachable beyond this computer) the app's
clinic pages ask for a sign-in. Passwords are hashed with argon2id (argon2-cffi); the hash is
all that is stored.

Roles: a physio analyses, saves, reads clients' sessions and makes reports; an admin may do all
that and also deletes sessions, exports, imports and forgets. Every export, import, forget,
session deletion, opening of a client's sessions and failed sign-in is written to the
append-only audit log.

Guessing passwords is throttled across browser sessions and server processes: the failures are
kept in the database (table sign_in_failures), per account name and per address; past a few free
tries each further try waits twice as long as the one before (THROTTLE_*).
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import logging
import os
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .errors import FormcheckError

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024


class AuthError(FormcheckError):
    """Sign-in, account or permission problem (the message says what to do)."""


class SignInThrottledError(AuthError):
    """Too many wrong sign-ins for this account or from this address: wait `wait_s`."""

    def __init__(self, message: str, wait_s: float):
        super().__init__(message)
        self.wait_s = wait_s


class Role(str, enum.Enum):
    ADMIN = "admin"
    PHYSIO = "physio"


class Action(str, enum.Enum):
    VIEW_CLIENTS = "view_clients"     # list clients, open their sessions, save, report
    EXPORT = "export"
    IMPORT = "import"
    FORGET = "forget"
    DELETE_SESSIONS = "delete_sessions"


ALLOWED = {
    Role.PHYSIO: {Action.VIEW_CLIENTS},
    Role.ADMIN: {Action.VIEW_CLIENTS, Action.EXPORT, Action.IMPORT, Action.FORGET,
                 Action.DELETE_SESSIONS},
}

# What the audit log records (the words are the `action` column).
AUDITED = ("export", "import", "forget", "open_sessions", "delete_session", "sign_in_failed")

# Sign-in throttling. After n failures of an account name (or from an address), n counted since
# the last hour without one: while n < THROTTLE_FREE_*, the next try may come at once; from then
# on it waits THROTTLE_FIRST_WAIT_S * 2**(n - free) after the last failure, at most
# THROTTLE_MAX_WAIT_S. One account guessed from anywhere: 14 tries in the first hour (3, then
# waits of 2, 4, ... 512 s, then 15 min), then 4 an hour (tests/test_sign_in_throttle.py), where
# 8 browser sessions reached 0.87 tries/s (3,100 an hour) before. An address gets more free
# tries: a clinic's staff behind one router or proxy share it.
THROTTLE_FREE_ACCOUNT = 3
THROTTLE_FREE_ADDRESS = 10
THROTTLE_FIRST_WAIT_S = 2.0
THROTTLE_MAX_WAIT_S = 900.0
THROTTLE_WINDOW_S = 3600.0     # an hour without a failure forgives the earlier ones
THROTTLE_KEEP_S = 86400.0      # failure rows are deleted after a day
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    def may(self, action: Action) -> bool:
        return action in ALLOWED[self.role]


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    client_uid: str | None
    detail: str


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()   # argon2id with the library's current recommended parameters


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120 or any(ord(c) < 33 for c in name):
        raise AuthError("An account name is 1-120 characters without spaces, e.g. 'ana' or "
                        "'ana@clinic.example'.")
    return name


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise AuthError(f"Passwords are at least {MIN_PASSWORD_CHARS} characters.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AuthError(f"Passwords are at most {MAX_PASSWORD_CHARS} characters.")
    return password


def add_account(store, name: str, role: str, password: str) -> User:
    from .store.models import Account

    name = check_name(name)
    try:
        role = Role(role)
    except ValueError:
        raise AuthError(f"Unknown role {role!r}: choose admin or physio.") from None
    digest = _hasher().hash(check_password(password))
    try:
        with store.db.session() as s:
            if s.scalar(select(Account.id).where(Account.name == name)) is not None:
                raise AuthError(f"An account called {name!r} exists already.")
            s.add(Account(name=name, role=role.value, password_hash=digest))
    except IntegrityError:
        raise AuthError(f"An account called {name!r} exists already.") from None
    return User(name, role)


def remove_account(store, name: str) -> None:
    from .store.models import Account

    with store.db.session() as s:
        acc = s.scalar(select(Account).where(Account.name == name))
        if acc is None:
            raise AuthError(f"No account called {name!r}.")
        s.delete(acc)


def list_accounts(store) -> list[tuple[str, Role, dt.datetime]]:
    from .store.models import Account

    with store.db.session(write=False) as s:
        return [(a.name, Role(a.role), a.created_at)
                for a in s.scalars(select(Account).order_by(Account.name))]


def has_accounts(store) -> bool:
    from .store.models import Account

    with store.db.session(write=False) as s:
        return bool(s.scalar(select(func.count(Account.id))))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _wait_after(failures: int, free: int) -> float:
    if failures < free:
        return 0.0
    return min(THROTTLE_MAX_WAIT_S, THROTTLE_FIRST_WAIT_S * 2.0 ** (failures - free))


def _streak(times: list[dt.datetime], now: dt.datetime) -> int:
    """How many failures (newest first in `times`) since the last quiet THROTTLE_WINDOW_S."""
    n, later = 0, now
    for t in times:
        if (later - t).total_seconds() >= THROTTLE_WINDOW_S:
            break
        n, later = n + 1, t
    return n


def throttle_wait_s(store, name: str, address: str = UNKNOWN_ADDRESS,
                    now: dt.datetime | None = None) -> tuple[float, str]:
    """Seconds before `name` may try again from `address` (0: now), and which limit holds
    ("account" or "address"). The failures counted are those since the last hour without one."""
    from .store.models import SignInFailure

    now = now or _utcnow()
    since = now - dt.timedelta(seconds=THROTTLE_KEEP_S)
    worst = (0.0, "")
    with store.db.session(write=False) as s:
        for what, column, value, free in (("account", SignInFailure.name, name,
                                           THROTTLE_FREE_ACCOUNT),
                                          ("address", SignInFailure.address, address,
                                           THROTTLE_FREE_ADDRESS)):
            if what == "address" and value == UNKNOWN_ADDRESS:
                continue
            times = list(s.scalars(select(SignInFailure.at)
                                   .where(column == value, SignInFailure.at >= since,
                                          SignInFailure.at <= now)
                                   .order_by(SignInFailure.at.desc())))
            n = _streak(times, now)
            if n:
                left = (times[0] - now).total_seconds() + _wait_after(n, free)
                if left > worst[0]:
                    worst = (left, what)
    return worst


def _wait_words(wait_s: float) -> str:
    if wait_s < 90:
        return f"{max(1, int(wait_s + 0.999))} s"
    return f"{int(wait_s / 60 + 0.999)} min"


def sign_in(store, name: str, password: str, address: str = UNKNOWN_ADDRESS,
            now: dt.datetime | None = None) -> User | None:
    """The account's User when the password matches, else None (same answer for an unknown
    name; the hash is still computed so timing does not tell names apart). `address` is where
    the try comes from (the browser's IP). Raises SignInThrottledError, before any password is
    checked, while the account or the address must wait (throttle_wait_s); a failure is
    recorded for the throttle and in the audit log."""
    from argon2.exceptions import InvalidHashError, VerificationError

    from .store.models import Account, AuditEvent, SignInFailure

    name = (name or "").strip()[:120]
    address = (address or UNKNOWN_ADDRESS)[:64]
    now = now or _utcnow()
    wait_s, which = throttle_wait_s(store, name, address, now)
    if wait_s > 0:
        where = "for this account" if which == "account" else "from this computer"
        raise SignInThrottledError(
            f"Too many wrong sign-ins {where}. Try again in {_wait_words(wait_s)}; if you have "
            "forgotten the password, ask an admin to set a new one (`formcheck users`).", wait_s)
    ph = _hasher()
    with store.db.session(write=False) as s:
        acc = s.scalar(select(Account).where(Account.name == name))
        digest, role = (acc.password_hash, acc.role) if acc is not None else (None, None)
    ok = False
    try:
        if digest is None:
            ph.hash(password or "x")    # same work as a real check
        else:
            ok = ph.verify(digest, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    with store.db.session() as s:
        if ok:   # the person knows the password: the account's earlier typos are forgiven
            s.execute(delete(SignInFailure).where(SignInFailure.name == name))
        else:
            s.execute(delete(SignInFailure).where(
                SignInFailure.at < now - dt.timedelta(seconds=THROTTLE_KEEP_S)))
            s.add(SignInFailure(at=now, name=name, address=address))
            s.add(AuditEvent(at=now.replace(microsecond=0), actor=name or "(no name)",
                             action="sign_in_failed", detail=f"from {address}"))
    return User(name, Role(role)) if ok else None


def delete_session(store, user: User, session_id: int) -> None:
    """Delete a saved session for good, if `user`'s role allows it; audited in the same
    transaction (Store.delete_session)."""
    if not user.may(Action.DELETE_SESSIONS):
        raise AuthError("Deleting a session is for admins; ask one to delete it.")
    store.delete_session(session_id, actor=user.name)


def audit(store, actor: str, action: str, client_uid: str | None = None, detail: str = "") -> None:
    """Append one event to the audit log (its own transaction)."""
    from .store.models import AuditEvent

    if action not in AUDITED:
        raise ValueError(f"not an audited action: {action}")
    with store.db.session() as s:
        s.add(AuditEvent(actor=actor[:160], action=action, client_uid=client_uid,
                         detail=detail[:2000]))


def audit_log(store, limit: int = 1000) -> list[AuditEntry]:
    from .store.models import AuditEvent

    with store.db.session(write=False) as s:
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
        return [AuditEntry(r.at, r.actor, r.action, r.client_uid, r.detail) for r in rows]


def cli_actor() -> str:
    """How the command line appears in the audit log: the operating-system user."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return f"cli:{who}"
