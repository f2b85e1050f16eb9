"""Issue 23 item 4 in a real browser (Chromium via Playwright) at a 390x844 phone viewport:

- the live page's camera picture is on the first screen while the set runs;
- a device that falls behind is told so in the user's words, during the set and at its end
  (the slow device is simulated with FORMCHECK_TEST_SLOW_MODEL_MS, a test-only sleep per
  measured frame; starving the CPU is not reliable), never with a developer caption;
- after an upload the page scrolls to the results;
- the menu closes after a page is chosen in it.

Screenshots go to $FORMCHECK_SCREENSHOTS (e.g. docs/screenshots) or the test's tmp dir.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from test_browser import _launch, _metric, _y4m, playwright, running_app  # noqa: F401 - skips too

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"
PHONE = {"width": 390, "height": 844}
SLOW_MS = 400      # per measured frame: far over two frame intervals of any camera


@pytest.fixture(scope="module")
def slow_app(tmp_path_factory):
    d = tmp_path_factory.mktemp("slowphone")
    env = {"FORMCHECK_DATABASE_URL": f"sqlite:///{d / 'clinic.db'}",
           "FORMCHECK_APP_FILES": str(d / "app-files"),
           "FORMCHECK_TEST_SLOW_MODEL_MS": str(SLOW_MS)}
    with running_app(d, env=env) as url:
        yield url


@pytest.fixture(scope="module")
def app(shared_app, tmp_path_factory):
    return shared_app.start(tmp_path_factory)[0]         # conftest.SharedApp


def test_a_slow_phone_sees_the_picture_first_and_is_told_it_falls_behind(slow_app, shots,
                                                                            tmp_path):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    cam = _y4m(CLIP, tmp_path / "camera.y4m")
    fake = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={cam}"]
    with playwright.sync_playwright() as p:
        browser = _launch(p, fake)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{slow_app}/live")
        frame = page.frame_locator("iframe[title*='webrtc']")
        frame.get_by_role("button", name=re.compile("^start$", re.I)).click(timeout=60000)
        page.get_by_test_id("live-reps").wait_for(timeout=120000)
        behind = page.get_by_text(re.compile(r"^This device is falling behind: \d+% of the "
                                             r"camera's frames were skipped; reps may be missed\."))
        behind.wait_for(timeout=120000)
        # the picture (with the count and cue drawn on it) is on the first screen
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_timeout(1500)
        video = frame.locator("video").first
        box = video.bounding_box()
        assert box is not None and box["height"] > 100
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
        page.screenshot(path=str(shots / "live_falling_behind_phone.png"))
        assert page.get_by_text("Frame callback").count() == 0
        assert page.get_by_text(re.compile(r"\d+ ms")).count() == 0     # no timings shown
        time.sleep(4)     # a few seconds of the set
        frame.get_by_role("button", name=re.compile("^stop$", re.I)).click()
        page.get_by_role("heading", name="End of set").wait_for(timeout=120000)
        note = page.get_by_text(re.compile(r"This device fell behind for \d+ s of the set: "
                                           r"\d+% of the camera's frames were skipped"))
        note.first.wait_for(timeout=120000)
        note.first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "live_fell_behind_end_phone.png"))
        assert page.locator("[data-testid='stException']").count() == 0
        browser.close()


def test_after_an_upload_the_phone_page_is_at_the_results(app, shots):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{app}/analyse")
        page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
        results = page.locator(".st-key-upload_results")
        page.locator("input[type='file']").set_input_files(str(CLIP))
        page.get_by_role("heading", name="Every rep").wait_for(timeout=240000)
        page.wait_for_timeout(2500)
        box = results.bounding_box()
        # scrolled: the results start just under Streamlit's header, not below the uploader
        assert 0 <= box["y"] <= 120, box
        reps = page.locator("[data-testid='stMetric']").filter(has_text="Reps").first
        assert 0 <= reps.bounding_box()["y"] <= PHONE["height"] / 2
        assert _metric(page, "Reps") == "3"
        page.screenshot(path=str(shots / "analyse_scrolled_to_results_phone.png"))
        browser.close()


def test_the_phone_menu_closes_after_choosing_a_page(app, shots):
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{app}/analyse")
        page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
        sidebar = page.get_by_test_id("stSidebar")
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                               ".getAttribute('aria-expanded') === 'true'", timeout=10000)
        page.screenshot(path=str(shots / "menu_open_phone.png"))
        sidebar.get_by_role("link", name="How to film").click()
        page.get_by_role("heading", name="How to film").first.wait_for(timeout=60000)
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                               ".getAttribute('aria-expanded') === 'false'", timeout=10000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(shots / "menu_closed_after_choice_phone.png"))
        # and on the new page the menu opens and closes the same way
        page.get_by_test_id("stExpandSidebarButton").click()
        sidebar.get_by_role("link", name="Live webcam").click()
        page.get_by_role("heading", name="Live webcam").first.wait_for(timeout=60000)
        page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                               ".getAttribute('aria-expanded') === 'false'", timeout=10000)
        browser.close()
