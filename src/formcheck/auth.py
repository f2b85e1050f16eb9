"""Accounts, roles and the audit log of the clinic database.

Home use needs none of this. A clinic creates accounts with `formcheck users add NAME --role
admin|physio`; from then on (and whenever the app is reachable beyond this computer) the app's
clinic pages ask for a sign-in. Passwords are hashed with argon2id (argon2-cffi); the hash is
all that is stored.

Roles: a physio analyses, saves, reads clients' sessions and makes reports; an admin may do all
that and also export, import and forget. Every export, import, forget, and opening of a client's
sessions is written to the append-only audit log.
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import logging
import os
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .errors import FormcheckError

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024


class AuthError(FormcheckError):
    """Sign-in, account or permission problem (the message says what to do)."""


class Role(str, enum.Enum):
    ADMIN = "admin"
    PHYSIO = "physio"


class Action(str, enum.Enum):
    VIEW_CLIENTS = "view_clients"     # list clients, open their sessions, save, report
    EXPORT = "export"
    IMPORT = "import"
    FORGET = "forget"


ALLOWED = {
    Role.PHYSIO: {Action.VIEW_CLIENTS},
    Role.ADMIN: {Action.VIEW_CLIENTS, Action.EXPORT, Action.IMPORT, Action.FORGET},
}

# What the audit log records (the words are the `action` column).
AUDITED = ("export", "import", "forget", "open_sessions")


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


def sign_in(store, name: str, password: str) -> User | None:
    """The account's User when the password matches, else None (same answer for an unknown
    name; the hash is still computed so timing does not tell names apart)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    from .store.models import Account

    ph = _hasher()
    with store.db.session(write=False) as s:
        acc = s.scalar(select(Account).where(Account.name == (name or "").strip()))
        digest, role = (acc.password_hash, acc.role) if acc is not None else (None, None)
    try:
        if digest is None:
            ph.hash(password or "x")    # same work as a real check
            return None
        ph.verify(digest, password or "")
    except (VerificationError, InvalidHashError):
        return None
    return User((name or "").strip(), Role(role))


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
