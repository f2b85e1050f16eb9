""""Keep this set" at the end of a LIVE set, in a real browser (Debian's Chromium via Playwright,
one of the project's rendered clips as the fake camera): the kept set is on My sets with the
rep count the end of the set showed (the recording's, measured as a clip), its date, name and
video; a second look at the live page says it is kept.

Screenshots go to $FORMCHECK_SCREENSHOTS (e.g. docs/screenshots) or the test's tmp dir.
"""

from __future__ import annotations

import json
import re

import pytest

from test_browser import CLIP, _launch, _metric, _y4m, playwright  # noqa: F401 - skips too
from test_browser_my_sets import _keep, app_env  # noqa: F401 - its app (My sets on)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1400, "height": 1000}


def test_a_live_set_kept_at_its_end_is_on_my_sets_with_its_reps(app_env, shots, tmp_path):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    truth = json.loads(CLIP.with_suffix(".truth.json").read_text())["rep_count"]
    cam = _y4m(CLIP, tmp_path / "camera.y4m")
    with playwright.sync_playwright() as p:
        browser = _launch(p, ["--use-fake-ui-for-media-stream",
                              "--use-fake-device-for-media-stream",
                              f"--use-file-for-fake-video-capture={cam}"])
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{app_env}/live")
        camera = page.frame_locator("iframe[title*='webrtc']")
        camera.get_by_role("button", name=re.compile("^start$", re.I)).click(timeout=60000)
        # the live counter reaches the clip's reps (the fake camera loops the clip)
        page.wait_for_function(
            "(n) => { const e = document.querySelector(\"[data-testid='live-reps']\");"
            " return !!e && parseInt(e.innerText, 10) >= n; }", arg=truth, timeout=150000)
        camera.get_by_role("button", name=re.compile("^stop$", re.I)).click()
        page.get_by_role("heading", name="End of set").wait_for(timeout=120000)
        # the recording's count, measured as a clip: on a busy machine the live path skips
        # most frames and the recording can hold fewer reps than the live counter showed (the
        # page says so); what is kept must be this count either way
        reps = int(_metric(page, "Reps"))
        assert reps >= 1
        set_name = page.evaluate("() => new URLSearchParams(location.search).get('set')")
        assert set_name, "the end of the set is in the URL (?set=...)"
        _keep(page)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(shots / "live_kept_desktop.png"))
        # the end of the set is still on screen, and it says it is kept
        page.get_by_role("heading", name="End of set").wait_for(timeout=60000)
        assert int(_metric(page, "Reps")) == reps
        assert page.locator("[data-testid='stException']").count() == 0

        page.get_by_role("link", name="Open My sets").click()
        page.get_by_role("heading", name="My sets", exact=True).wait_for(timeout=60000)
        page.get_by_role("heading", name="Your sets (1)").wait_for(timeout=60000)
        picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Open a set")
        chosen = picker.locator("input[role='combobox']").input_value()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d · Live set \d{4}-\d\d-\d\d \d\d-\d\d · "
                            rf"{reps} reps?", chosen), chosen
        # the set's own summary says the same count, and its video was kept
        assert int(_metric(page, "Reps")) == reps
        page.get_by_text("Your clip").first.wait_for(timeout=60000)
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()
