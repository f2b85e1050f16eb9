"""Accounts, roles and the append-only audit log (store level and `formcheck users/audit`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from clinic_helpers import db_url, store  # noqa: F401 - fixtures
from formcheck import auth
from formcheck.auth import Action, AuthError, Role
from formcheck.store.db import close_all


def test_passwords_are_stored_as_argon2_hashes_only(store):
    auth.add_account(store, "ana", "admin", "correct horse battery")
    with store.db.engine.connect() as conn:
        (digest,) = conn.execute(text("SELECT password_hash FROM accounts")).one()
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert auth.sign_in(store, "ana", "correct horse battery") == auth.User("ana", Role.ADMIN)
    assert auth.sign_in(store, "ana", "wrong password!") is None
    assert auth.sign_in(store, "nobody", "correct horse battery") is None


def test_account_rules(store):
    with pytest.raises(AuthError, match="at least 10 characters"):
        auth.add_account(store, "ana", "admin", "short")
    with pytest.raises(AuthError, match="Unknown role 'boss'"):
        auth.add_account(store, "ana", "boss", "long enough password")
    auth.add_account(store, "ben", "physio", "long enough password")
    with pytest.raises(AuthError, match="exists already"):
        auth.add_account(store, "ben", "admin", "long enough password")
    assert auth.has_accounts(store)
    assert [(n, r) for n, r, _ in auth.list_accounts(store)] == [("ben", Role.PHYSIO)]


def test_roles():
    physio, admin = auth.User("p", Role.PHYSIO), auth.User("a", Role.ADMIN)
    assert physio.may(Action.VIEW_CLIENTS)
    assert not physio.may(Action.EXPORT) and not physio.may(Action.IMPORT)
    assert not physio.may(Action.FORGET)
    assert all(admin.may(a) for a in Action)


def test_the_audit_log_is_append_only_in_the_database(store):
    auth.audit(store, "ana", "export", detail="2 client(s)")
    auth.audit(store, "ben", "open_sessions", "a" * 32)
    log = auth.audit_log(store)
    assert [(e.actor, e.action, e.client_uid) for e in log] == [
        ("ben", "open_sessions", "a" * 32), ("ana", "export", None)]
    for sql in ("UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.db.engine.begin() as conn:
                conn.execute(text(sql))
    assert len(auth.audit_log(store)) == 2
    with pytest.raises(ValueError):
        auth.audit(store, "ana", "anything")


def test_cli_users_add_reads_the_password_from_stdin_and_the_cli_audits(tmp_path):
    env_url = f"sqlite:///{tmp_path / 'clinic.db'}"
    env = {"FORMCHECK_DATABASE_URL": env_url, "PATH": "/usr/bin:/bin"}

    def run(*argv, stdin=""):
        return subprocess.run([sys.executable, "-m", "formcheck.cli", *argv], input=stdin,
                              capture_output=True, text=True, env=env, timeout=120)

    r = run("users", "add", "ana", "--role", "admin", stdin="a long password\n")
    assert r.returncode == 0 and "Added admin account ana" in r.stdout, r.stderr
    r = run("users", "add", "ben", "--role", "physio", "--password", "x")
    assert r.returncode == 2 and "unrecognized arguments: --password" in r.stderr
    from formcheck.store import open_store

    store = open_store(env_url)
    assert auth.sign_in(store, "ana", "a long password").role is Role.ADMIN
    assert run("clients", "add", "knee-07").returncode == 0
    assert run("history", "knee-07").returncode == 0
    assert run("export", str(tmp_path / "e.zip")).returncode == 0
    assert run("forget", "knee-07", "--yes").returncode == 0
    assert run("import", str(tmp_path / "e.zip")).returncode == 0
    actions = [(e.actor.startswith("cli:"), e.action) for e in reversed(auth.audit_log(store))]
    assert actions == [(True, "open_sessions"), (True, "export"), (True, "forget"),
                       (True, "import")]
    r = run("audit")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 4
    close_all()
