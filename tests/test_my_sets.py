"""My sets (issue 23 item 11): a home user's own sets, kept per browser in a database of their
own, with a client's trends; another browser and the clinic never see them."""

from __future__ import annotations

import hashlib

import pytest

from clinic_helpers import db_url, squat_analysis, store  # noqa: F401  (fixtures)

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from formcheck.store.db import close_all  # noqa: E402
from formcheck.store.my_sets import ENV_VAR, MySets, NotYourSetError, database_url  # noqa: E402

ME = hashlib.sha256(b"browser one").hexdigest()
OTHER = hashlib.sha256(b"browser two").hexdigest()


def test_each_browser_sees_only_its_own_sets(store):
    mine, other = MySets(store, ME), MySets(store, OTHER)
    assert mine.sets() == [] and mine.history() == []
    a, raw = squat_analysis(reps=3, seed=1)
    kept = mine.keep(a, raw, clip_name="monday.mp4")
    b, raw_b = squat_analysis(reps=2, seed=2)
    theirs = other.keep(b, raw_b, clip_name="theirs.mp4")
    assert [s.clip_name for s in mine.sets()] == ["monday.mp4"]
    assert [s.clip_name for s in other.sets()] == ["theirs.mp4"]
    # a set id of the other browser opens nothing and deletes nothing
    for act in (mine.get, mine.analysis, mine.video, mine.delete):
        with pytest.raises(NotYourSetError, match="not among your sets"):
            act(theirs.id)
    assert [s.id for s in other.sets()] == [theirs.id]
    assert mine.get(kept.id).rep_count == 3


def test_the_trend_is_the_clients_trend_and_a_delete_removes_one_set(store):
    from formcheck.report import analysis_summary

    mine = MySets(store, ME)
    first, raw1 = squat_analysis(reps=3, seed=1)
    second, raw2 = squat_analysis(reps=2, seed=2, bottom_shin_deg=(24.0, 24.0))
    s1 = mine.keep(first, raw1, clip_name="one.mp4")
    mine.keep(second, raw2, clip_name="two.mp4")
    points = mine.history()
    assert [p.summary for p in points] == [analysis_summary(first), analysis_summary(second)]
    assert points == store.history(mine.label)        # one function: a client's Progress
    assert mine.newest_thresholds() == second.thresholds
    mine.delete(s1.id)
    assert [s.clip_name for s in mine.sets()] == ["two.mp4"]


def test_my_sets_are_no_clients_of_the_clinic(tmp_path, monkeypatch):
    """My sets has a database of its own: the clinic's list of clients stays as it was."""
    from formcheck.store import open_store
    from formcheck.store.my_sets import open_my_sets

    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'mine.db'}")
    assert database_url() == f"sqlite:///{tmp_path / 'mine.db'}"
    clinic = open_store()
    clinic.add_client("knee-07")
    a, raw = squat_analysis(reps=2)
    clinic.save_session("knee-07", a, raw, clip_name="clinic.mp4")
    mine = open_my_sets(ME)
    mine.keep(a, raw, clip_name="home.mp4")
    assert [c.label for c in clinic.list_clients()] == ["knee-07"]
    assert [s.clip_name for s in mine.sets()] == ["home.mp4"]
    assert [c.label for c in mine.store.list_clients()] == [f"browser:{ME}"]
    close_all()


def test_my_sets_never_share_the_clinics_database(tmp_path, monkeypatch):
    from formcheck.store.errors import StoreError
    from formcheck.store.my_sets import open_my_sets

    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'clinic.db'}")
    with pytest.raises(StoreError, match="My sets needs a database of its own"):
        open_my_sets(ME)
    assert not (tmp_path / "clinic.db").exists()


def test_an_owner_tag_is_a_hash():
    with pytest.raises(ValueError):
        MySets(None, "not a tag")


# --- the page (AppTest, no browser) -------------------------------------------------------------
def _my_sets_page():
    from formcheck.app import my_sets_page

    my_sets_page.render()


def _keep_page():
    from formcheck.app import my_sets_page

    my_sets_page.keep_button("upload")


@pytest.fixture
def dbs(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'mine.db'}")
    yield tmp_path
    close_all()


def _with_result(at: AppTest, seed: int = 1) -> AppTest:
    a, raw = squat_analysis(reps=3, seed=seed)
    at.session_state["analysis"] = a
    at.session_state["raw_landmarks"] = raw
    at.session_state["clip_name"] = f"set{seed}.mp4"
    at.session_state["browser_secret"] = "ab" * 32       # this browser's cookie secret
    return at


def _keep_button(at):
    return next(b for b in at.button if b.label == "Keep this set in My sets")


def test_keep_then_the_page_lists_opens_and_deletes_after_asking(dbs):
    at = _with_result(AppTest.from_function(_keep_page, default_timeout=120))
    at.run()
    assert not at.exception, at.exception
    _keep_button(at).click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["This set is kept in My sets."]
    assert not any(b.label == "Keep this set in My sets" for b in at.button)   # never twice
    page = AppTest.from_function(_my_sets_page, default_timeout=120)
    page.session_state["browser_secret"] = "ab" * 32
    page.run()
    assert not page.exception, page.exception
    assert [s.value for s in page.subheader][:1] == ["Your sets (1)"]
    assert page.selectbox(key="my_set_open").value is not None
    assert "Your progress is drawn from the second kept set on." in [c.value for c in page.caption]
    # "Delete this set" asks first (a popover); its button deletes
    delete = next(b for b in page.button if b.label == "Delete")
    delete.click().run()
    assert not page.exception, page.exception
    assert any(s.value.startswith("Deleted the set of ") for s in page.success)
    assert any("No sets kept yet" in i.value for i in page.info)


def test_another_browser_sees_none_of_them(dbs):
    at = _with_result(AppTest.from_function(_keep_page, default_timeout=120))
    at.run()
    _keep_button(at).click().run()
    page = AppTest.from_function(_my_sets_page, default_timeout=120)
    page.session_state["browser_secret"] = "cd" * 32       # another browser's secret
    page.run()
    assert not page.exception, page.exception
    assert any("No sets kept yet" in i.value for i in page.info)
    assert "set1.mp4" not in str(page)


def test_for_a_client_or_in_a_clinic_nothing_is_kept_here(dbs):
    from formcheck import auth
    from formcheck.store import open_store

    at = _with_result(AppTest.from_function(_keep_page, default_timeout=120))
    at.session_state["clinic_mode"] = True          # analysing for a client: Clients saves it
    at.run()
    assert not any(b.label == "Keep this set in My sets" for b in at.button)
    auth.add_account(open_store(), "ana", "admin", "admin password 1")   # a clinic now
    at.session_state["clinic_mode"] = False
    at.run()
    assert not at.exception, at.exception
    assert not any(b.label == "Keep this set in My sets" for b in at.button)
    page = AppTest.from_function(_my_sets_page, default_timeout=120)
    page.run()
    assert [i.value for i in page.info] == [
        "This formcheck belongs to a clinic (it asks for a sign-in), so it keeps no personal "
        "sets. Your physiotherapist keeps your sets in your record. To keep sets of your own, "
        "use formcheck on your own computer."]
    assert not page.dataframe
