"""Guessing passwords is throttled across browser sessions (the failures live in the database),
failed sign-ins are audited (issue 24.8); deleting a session is for admins and audited (24.9)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic_helpers import db_url, squat, store  # noqa: F401 - fixtures
from formcheck import auth
from formcheck.auth import AuthError, Role, SignInThrottledError, User

T0 = dt.datetime(2026, 12, 7, 9, 0, 0)
PW = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """argon2 at its smallest cost: these tests count tries, not hashing work."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(auth, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8,
                                                                 parallelism=1))


def at(s: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=s)


def test_an_account_gets_three_free_tries_then_waits_that_double(store, db_url):
    from formcheck.store import Store
    from formcheck.store.db import Database

    auth.add_account(store, "ana", "admin", PW)
    for k in range(3):
        assert auth.sign_in(store, "ana", "guess %d" % k, "10.0.0.1", now=at(k)) is None
    # another browser session, another server process: the same database, the same count
    other = Store(Database(db_url))
    with pytest.raises(SignInThrottledError) as e:
        auth.sign_in(other, "ana", PW, "10.0.0.2", now=at(3))      # the right password, too early
    assert str(e.value) == ("Too many wrong sign-ins for this account. Try again in 1 s; if you "
                            "have forgotten the password, ask an admin to set a new one "
                            "(`formcheck users`).")
    assert e.value.wait_s == pytest.approx(1.0)
    assert auth.sign_in(other, "ana", "guess 3", "10.0.0.2", now=at(4)) is None   # 2 s after
    with pytest.raises(SignInThrottledError) as e:
        auth.sign_in(store, "ana", PW, "10.0.0.1", now=at(7))
    assert e.value.wait_s == pytest.approx(1.0)                     # 4 s after the 4th failure
    assert auth.sign_in(store, "ana", PW, "10.0.0.1", now=at(8)) == User("ana", Role.ADMIN)
    # the right password forgives the account's typos
    assert auth.sign_in(store, "ana", "typo", "10.0.0.1", now=at(9)) is None
    assert auth.sign_in(store, "ana", "typo", "10.0.0.1", now=at(9.5)) is None
    other.db.dispose()


def test_a_guesser_gets_14_tries_in_the_first_hour_then_4_an_hour(store):
    """Each try as soon as it is allowed (0.5 s apart while free)."""
    t, tries = 0.0, []
    while t < 3 * 3600:
        assert auth.sign_in(store, "ana", "guess", now=at(t)) is None
        tries.append(t)
        wait_s, _ = auth.throttle_wait_s(store, "ana", now=at(t))
        t += max(wait_s, 0.5)
    assert sum(x < 3600 for x in tries) == 14
    assert sum(3600 <= x < 7200 for x in tries) == 4
    assert auth.throttle_wait_s(store, "ana", now=at(tries[-1])) == (900.0, "account")
    # an hour after the last failure the count starts again
    assert auth.throttle_wait_s(store, "ana", now=at(tries[-1] + 3600)) == (0.0, "")


def test_an_address_trying_many_names_is_throttled(store):
    for k in range(10):
        assert auth.sign_in(store, f"user{k}", "x", "192.0.2.7", now=at(k)) is None
    with pytest.raises(SignInThrottledError) as e:
        auth.sign_in(store, "user10", "x", "192.0.2.7", now=at(10))
    assert str(e.value).startswith("Too many wrong sign-ins from this computer. Try again in 1 s;")
    assert auth.sign_in(store, "user10", "x", "198.51.100.1", now=at(10)) is None


def test_a_throttled_try_checks_no_password(store, monkeypatch):
    for k in range(3):
        auth.sign_in(store, "ana", "x", now=at(k))

    def no_hashing():
        raise AssertionError("a throttled try must not spend 64 MiB on argon2")

    monkeypatch.setattr(auth, "_hasher", no_hashing)
    with pytest.raises(SignInThrottledError):
        auth.sign_in(store, "ana", "x", now=at(3))


def test_failed_sign_ins_are_audited_and_throttled_ones_are_not(store):
    auth.add_account(store, "ana", "admin", PW)
    assert auth.sign_in(store, "ana", "wrong one", "10.0.0.1", now=at(0)) is None
    assert auth.sign_in(store, "mallory", "wrong", "10.0.0.9", now=at(1)) is None
    assert auth.sign_in(store, "ana", PW, "10.0.0.1", now=at(2)) is not None
    for k in range(3):
        auth.sign_in(store, "eve", "x", "10.0.0.9", now=at(3 + k))
    with pytest.raises(SignInThrottledError):
        auth.sign_in(store, "eve", "x", "10.0.0.9", now=at(6))
    got = [(e.actor, e.action, e.client_uid, e.detail) for e in reversed(auth.audit_log(store))]
    assert got == [("ana", "sign_in_failed", None, "from 10.0.0.1"),
                   ("mallory", "sign_in_failed", None, "from 10.0.0.9")] + \
        [("eve", "sign_in_failed", None, "from 10.0.0.9")] * 3


def test_deleting_a_session_is_for_admins_and_audited(store, squat):
    analysis, raw = squat
    client = store.add_client("knee-07")
    info = store.save_session("knee-07", analysis, raw)
    with pytest.raises(AuthError) as e:
        auth.delete_session(store, User("ben", Role.PHYSIO), info.id)
    assert str(e.value) == "Deleting a session is for admins; ask one to delete it."
    assert store.get_session(info.id).id == info.id
    assert auth.audit_log(store) == []
    auth.delete_session(store, User("ana", Role.ADMIN), info.id)
    assert store.list_sessions("knee-07") == []
    [entry] = auth.audit_log(store)
    assert (entry.actor, entry.action, entry.client_uid, entry.detail) == (
        "ana", "delete_session", client.uid,
        f"session {info.id} of {info.recorded_at:%Y-%m-%d %H:%M}, {analysis.rep_count} rep(s)")


def test_physios_may_not_delete_sessions():
    assert not User("ben", Role.PHYSIO).may(auth.Action.DELETE_SESSIONS)
    assert User("ana", Role.ADMIN).may(auth.Action.DELETE_SESSIONS)
