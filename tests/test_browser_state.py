"""One browser session, one current client, visit and mode (issue 23), and result links bound
to their owner (issue 24), in a real browser (Debian's Chromium via Playwright):

- Progress -> "One session": the picker and everything under it show the same visit after a
  session is picked, deleted or another is added;
- leaving the Analyse page keeps its mode (chair-stand), the client toggle, the client and the
  client's profile; the client's label is a heading; the picker follows Add and Forget;
- a result link opened in a fresh browser context shows nothing and leaves the result with its
  owner, whose reload still shows it.

The sessions are synthetic landmarks (tests/clinic_helpers.py): no MediaPipe for them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from clinic_helpers import squat_analysis
from test_browser import _launch, _metric, choose, playwright, running_app  # noqa: F401 - skips too

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DESKTOP = {"width": 1400, "height": 1000}


def _store(d: Path):
    from formcheck.store import open_store

    return open_store(f"sqlite:///{d / 'clinic.db'}")


def _app(d: Path):
    env = {"FORMCHECK_DATABASE_URL": f"sqlite:///{d / 'clinic.db'}",
           "FORMCHECK_APP_FILES": str(d / "app-files")}
    return running_app(d, env=env)


def _choose(page, label: str, option: str, where=None) -> None:
    """Pick `option` in the select box labelled `label`."""
    choose(page, _box(where or page, label), option)


def _box(page, label: str):
    """The visible select box whose label is exactly `label`."""
    root = getattr(page, "page", page)       # a locator's page: `has` is relative to the box
    return page.locator("[data-testid='stSelectbox']:visible").filter(
        has=root.locator("[data-testid='stWidgetLabel']").get_by_text(label, exact=True)).first


def _picked(page, label: str) -> str:
    """What the select box labelled `label` shows (its label removed)."""
    return _box(page, label).locator("input[role='combobox']").input_value()


def _settle(page, ms: int = 1500) -> None:
    page.wait_for_timeout(ms)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=60000)


def _one_session_shown(page) -> tuple[int, int, str]:
    """(session id in the picker, reps in "Every rep (N)", the note in the note box)."""
    picked = _picked(page, "Session")
    sid = int(re.search(r"#(\d+)", picked).group(1)) if "#" in picked else picked
    reps = int(re.search(r"Every rep \((\d+)\)",
                         page.get_by_text(re.compile(r"^Every rep \(")).first.inner_text()).group(1))
    note = page.get_by_role("textbox", name="Physio's note").first.input_value()
    return sid, reps, note


@pytest.mark.slow
def test_the_one_session_picker_and_the_page_under_it_show_the_same_visit(tmp_path, shots):
    store = _store(tmp_path)
    store.add_client("knee-07", profile="knee-rehab")
    visits = {}
    for k, reps in enumerate((3, 2)):
        a, raw = squat_analysis(reps=reps, seed=k)
        info = store.save_session("knee-07", a, raw, physio_note=f"visit {k + 1}",
                                  recorded_at=dt.datetime(2026, 11, 2 + 7 * k, 10))
        visits[info.id] = (reps, f"visit {k + 1}")
    first, second = sorted(visits)
    with _app(tmp_path) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{url}/clients")
        _choose(page, "Client", "knee-07")
        page.get_by_role("tab", name="Progress").click()
        page.get_by_text(re.compile(r"^Every rep \(")).first.wait_for(timeout=60000)
        _settle(page)
        assert _one_session_shown(page) == (second, *visits[second])     # the newest first
        _choose(page, "Session", f"#{first} ")
        page.get_by_text(f"Every rep ({visits[first][0]})").wait_for(timeout=30000)
        _settle(page)
        assert _one_session_shown(page) == (first, *visits[first])
        page.get_by_role("heading", name="One session").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "clients_one_session_desktop.png"))
        # another visit is saved (elsewhere); the page runs again (a note saved): same visit
        a, raw = squat_analysis(reps=4, seed=7)
        third = store.save_session("knee-07", a, raw, physio_note="visit 3",
                                   recorded_at=dt.datetime(2026, 11, 30, 10)).id
        visits[third] = (4, "visit 3")
        page.get_by_role("button", name="Save note").click()
        _settle(page, 2500)
        assert _one_session_shown(page) == (first, *visits[first])
        # the visit on screen is deleted: picker and page move to the newest together
        page.get_by_role("button", name="Delete this session").click()
        page.get_by_role("button", name="Delete", exact=True).click()
        page.get_by_text("Every rep (4)").wait_for(timeout=30000)
        _settle(page, 2500)
        assert _one_session_shown(page) == (third, *visits[third])
        # a visit saved while the newest is on screen (nothing picked): both show the new one
        a, raw = squat_analysis(reps=5, seed=8)
        fourth = store.save_session("knee-07", a, raw, physio_note="visit 4",
                                    recorded_at=dt.datetime(2026, 12, 5, 10)).id
        visits[fourth] = (5, "visit 4")
        page.get_by_role("button", name="Save note").click()
        page.get_by_text("Every rep (5)").wait_for(timeout=30000)
        _settle(page, 2500)
        assert _one_session_shown(page) == (fourth, *visits[fourth])
        browser.close()
    assert [s.id for s in store.list_sessions("knee-07")] == [second, third, fourth]


@pytest.mark.slow
def test_leaving_the_analyse_page_keeps_its_mode_client_and_profile(tmp_path):
    store = _store(tmp_path)
    store.add_client("knee-07", profile="knee-rehab")
    with _app(tmp_path) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{url}/analyse")
        page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
        page.get_by_text("Analysing for a client").click()
        _choose(page, "Client", "knee-07", where=page.locator("[data-testid='stSidebar']"))
        page.get_by_text("Thresholds set to knee-07's targets").wait_for(timeout=30000)
        page.get_by_role("radio", name="Chair-stand test").click()
        page.get_by_role("heading", name="Analyse a chair-stand test").wait_for(timeout=30000)
        # to the Clients page: the current client is a heading there
        page.get_by_role("link", name="Clients").click()
        page.get_by_role("heading", name="knee-07").wait_for(timeout=60000)
        # and back: the mode, the toggle, the client and its profile are still on
        page.get_by_role("link", name="Analyse a clip").click()
        page.get_by_role("heading", name="Analyse a chair-stand test").wait_for(timeout=60000)
        _settle(page)
        assert page.get_by_role("switch", name="Analysing for a client").is_checked()
        assert "knee-07" in _picked(page.locator("[data-testid='stSidebar']"), "Client")
        page.get_by_text("Settings: profile, camera view, height, box, thresholds").click()
        assert "knee rehab" in _picked(page, "Profile")
        # Add a client: it becomes the current one, in the picker and as the heading
        page.get_by_role("link", name="Clients").click()
        page.get_by_role("heading", name="knee-07").wait_for(timeout=60000)
        page.get_by_role("button", name="Add a client").first.click()
        page.get_by_role("textbox", name=re.compile("^Label")).fill("hip-02")
        page.get_by_role("button", name="Add", exact=True).click()
        page.get_by_role("heading", name="hip-02").wait_for(timeout=60000)
        _settle(page)
        assert "hip-02" in _picked(page.locator("[data-testid='stMain']"), "Client")
        # Forget it: no current client, the picker does not show it any more
        page.get_by_role("tab", name="Targets and notes").click()
        page.get_by_text("Forget this client").click()
        page.get_by_role("textbox", name="Type the client's label to confirm").fill("hip-02")
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Forget for good").click()
        page.get_by_text("Forgot hip-02").wait_for(timeout=60000)
        _settle(page)
        assert "hip-02" not in _picked(page.locator("[data-testid='stMain']"), "Client")
        assert page.get_by_role("heading", name="hip-02").count() == 0
        browser.close()


@pytest.mark.slow
def test_a_result_link_opens_nothing_in_another_browser_and_stays_with_its_owner(shared_app,
                                                                                tmp_path_factory):
    url, d = shared_app.start(tmp_path_factory)         # conftest.SharedApp
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        owner = browser.new_context(viewport=DESKTOP).new_page()
        owner.goto(f"{url}/analyse")
        owner.get_by_role("button", name="Analyse the example clip").click(timeout=60000)
        owner.get_by_role("heading", name="Every rep").wait_for(timeout=300000)
        owner.wait_for_function("() => location.search.includes('result=')", timeout=30000)
        link = owner.url
        rid = re.search(r"result=([0-9a-f]{16})", link).group(1)
        other = browser.new_context(viewport=DESKTOP).new_page()
        other.goto(link)
        other.get_by_text("This result link belongs to another browser").wait_for(timeout=60000)
        _settle(other)
        assert other.get_by_role("heading", name="Every rep").count() == 0
        assert "side_knees_past_toes" not in other.content()
        assert "result=" not in other.url
        assert len(list((d / "app-files").glob(f"*/{rid}/result.json"))) == 1
        owner.reload()
        owner.get_by_role("heading", name="Every rep").wait_for(timeout=120000)
        assert f"result={rid}" in owner.url and _metric(owner, "Reps") == "3"
        browser.close()


@pytest.mark.slow
def test_a_sign_in_is_kept_over_a_reload_by_a_token_and_not_by_another_browser(tmp_path):
    from formcheck import auth

    store = _store(tmp_path)
    store.add_client("knee-07")
    auth.add_account(store, "ana", "admin", "admin password 1")
    with _app(tmp_path) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        ctx = browser.new_context(viewport=DESKTOP)
        page = ctx.new_page()
        page.goto(f"{url}/clients")
        password = page.get_by_role("textbox", name="Password")
        password.wait_for(timeout=60000)
        assert password.get_attribute("autocomplete") == "current-password"
        page.get_by_role("textbox", name="Name").fill("ana")
        password.fill("admin password 1")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Signed in as ana (admin)").wait_for(timeout=60000)
        _settle(page)
        cookie = {c["name"]: c["value"] for c in ctx.cookies()}["formcheck_signin"]
        assert len(cookie) == 64 and "admin password 1" not in cookie
        page.reload()
        page.get_by_text("Signed in as ana (admin)").wait_for(timeout=60000)
        assert page.get_by_role("button", name="Sign in").count() == 0
        # another browser, even with a made-up token: the sign-in form
        other_ctx = browser.new_context(viewport=DESKTOP)
        other_ctx.add_cookies([{"name": "formcheck_signin", "value": "0" * 64, "url": url}])
        other = other_ctx.new_page()
        other.goto(f"{url}/clients")
        other.get_by_role("button", name="Sign in").wait_for(timeout=60000)
        assert "knee-07" not in other.content()
        # signing out ends it: a reload asks again
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in").wait_for(timeout=60000)
        _settle(page)
        page.reload()
        page.get_by_role("button", name="Sign in").wait_for(timeout=60000)
        assert page.get_by_text("Signed in as ana").count() == 0
        browser.close()


@pytest.mark.slow
def test_users_see_no_deploy_button_or_developer_menu(shared_app, tmp_path_factory):
    url, _ = shared_app.start(tmp_path_factory)         # conftest.SharedApp
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{url}/analyse")
        page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
        _settle(page)
        assert page.get_by_role("button", name="Deploy").count() == 0
        assert page.locator("[data-testid='stAppDeployButton']").count() == 0
        browser.close()
