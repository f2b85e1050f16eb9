"""My sets in a real browser (Debian's Chromium via Playwright), at 390 px and 1400 px: a home
user keeps an analysed set, finds it (and, from two sets, the trends) on My sets after a
reload, another browser (a second browser context: its own cookies) sees none of it, and a
delete asks first.

Screenshots go to $FORMCHECK_SCREENSHOTS (e.g. docs/screenshots) or the test's tmp dir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_browser import _launch, _metric, playwright, running_app  # noqa: F401 - skips too

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "videos" / "fixtures"
EXAMPLE = FIXTURES / "side_knees_past_toes.mp4"          # the Analyse page's example clip
BEHIND = FIXTURES / "side_knees_behind_toes.mp4"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def app_env(shared_app, tmp_path_factory):
    """The shared app (conftest.SharedApp: its own clinic and My sets databases); each test's
    browsers are new, so their kept sets are theirs alone."""
    return shared_app.start(tmp_path_factory)[0]


def _analyse(page, url, clip: Path | None) -> None:
    """The example clip (clip None) or an upload, analysed on the Analyse page."""
    page.goto(f"{url}/analyse")
    page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
    page.wait_for_timeout(1000)
    if clip is None:
        page.get_by_role("button", name="Analyse the example clip").click()
    else:
        page.locator("input[type='file']").set_input_files(str(clip))
    page.get_by_role("heading", name="Every rep").wait_for(timeout=240000)


def _keep(page) -> None:
    button = page.get_by_role("button", name="Keep this set in My sets")
    button.scroll_into_view_if_needed(timeout=60000)
    button.click()
    page.get_by_text("This set is kept in My sets.").wait_for(timeout=60000)
    # kept once: the button goes (Streamlit drops the old page's elements when its run ends)
    playwright.expect(page.get_by_role("button", name="Keep this set in My sets")).to_have_count(
        0, timeout=30000)


def _my_sets(page, url) -> None:
    page.goto(f"{url}/my-sets")
    page.get_by_role("heading", name="My sets", exact=True).wait_for(timeout=60000)
    page.wait_for_timeout(1500)


@pytest.mark.skipif(not EXAMPLE.is_file() or not BEHIND.is_file(), reason="fixture clips missing")
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1400px", "390px"])
def test_a_kept_set_is_this_browsers_alone_and_a_delete_asks(app_env, shots, viewport):
    url = app_env
    tag = "phone" if viewport is PHONE else "desktop"
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        mine = browser.new_context(viewport=viewport).new_page()
        _analyse(mine, url, None)
        newest = f"{EXAMPLE.name} · {_metric(mine, 'Reps')} reps"
        _keep(mine)
        if viewport is DESKTOP:          # a second set: the trends are drawn from two on
            _analyse(mine, url, BEHIND)
            newest = f"{BEHIND.name} · {_metric(mine, 'Reps')} reps"
            _keep(mine)
        page_link = mine.get_by_role("link", name="Open My sets")
        page_link.click()
        mine.get_by_role("heading", name="My sets", exact=True).wait_for(timeout=60000)
        n = 2 if viewport is DESKTOP else 1
        # a reload (a new app session of this browser: its cookie) still finds them
        mine.reload()
        mine.get_by_role("heading", name=f"Your sets ({n})").wait_for(timeout=60000)
        if viewport is DESKTOP:
            mine.get_by_role("heading", name="Your progress").wait_for(timeout=60000)
            mine.get_by_text("Worst knee past the toes (foot lengths)").first.wait_for(
                timeout=60000)
        else:
            mine.get_by_text("Your progress is drawn from the second kept set on.").wait_for()
        mine.get_by_role("heading", name="One set").wait_for()
        # the newest set is open: its date, clip and rep count in the picker
        picker = mine.locator("[data-testid='stSelectbox']").filter(has_text="Open a set")
        assert newest in picker.locator("input[role='combobox']").input_value()
        mine.wait_for_timeout(2000)
        mine.screenshot(path=str(shots / f"my_sets_{tag}.png"), full_page=False)
        assert mine.locator("[data-testid='stException']").count() == 0

        # another browser (its own cookies) sees none of them
        other = browser.new_context(viewport=viewport).new_page()
        _my_sets(other, url)
        other.get_by_text("No sets kept yet.").wait_for(timeout=60000)
        html = other.content()
        assert EXAMPLE.name not in html and BEHIND.name not in html
        assert other.get_by_role("button", name="Delete this set").count() == 0
        other.close()

        # a delete asks first: the popover's question, then its Delete button
        mine.get_by_role("button", name="Delete this set").click()
        mine.get_by_text("This cannot be undone.").wait_for(timeout=30000)
        assert mine.get_by_role("heading", name=f"Your sets ({n})").count() == 1  # not yet
        mine.get_by_role("button", name="Delete", exact=True).click()
        mine.get_by_text("Deleted the set of ").wait_for(timeout=60000)
        if n == 1:
            mine.get_by_text("No sets kept yet.").wait_for(timeout=60000)
        else:
            mine.get_by_role("heading", name="Your sets (1)").wait_for(timeout=60000)
        browser.close()
