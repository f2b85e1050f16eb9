"""The physiotherapist's review (issue 13) in a real browser (Debian's Chromium via Playwright),
at 1400 px: scrub to a rep's bottom and read its numbers; two sessions play in step; a
correction made on the page shows in the PDF (pdftotext).

Two sessions of the project's rendered side-view clips are saved with their videos first
(their landmarks tracked once per test session: tests/tracking.py). Screenshots of the review and compare views,
desktop and 390-px phone, go to $FORMCHECK_SCREENSHOTS (e.g. docs/screenshots) or tmp.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from clinic_helpers import saved_fixture_sessions_app
from test_browser import FIXTURES, _launch, choose, playwright, running_app  # noqa: F401 - skips too

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIPS = [FIXTURES / "side_knees_past_toes.mp4", FIXTURES / "side_knees_behind_toes.mp4"]
TRACKED_FIXTURES = CLIPS   # tracked once per test session: tests/tracking.py
DESKTOP = {"width": 1400, "height": 1300}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A database with client knee-07 and one session per clip, videos kept."""
    yield from saved_fixture_sessions_app(tmp_path_factory, "review", CLIPS,
                                          consent="consent shown in the test")


def _open_client(page, url, tab: str):
    page.goto(f"{url}/clients")
    page.get_by_role("heading", name="Clients").wait_for(timeout=60000)
    box = page.locator("[data-testid='stSelectbox']").filter(has_text="Client").first
    box.wait_for(timeout=120000)
    choose(page, box, "knee-07")
    page.get_by_role("tab", name=tab).click()


def _player(page, videos: int, timeout_s: float = 240):
    """The review frame holding `videos` videos, once they can play."""
    deadline = page.evaluate("Date.now()") + timeout_s * 1000
    while page.evaluate("Date.now()") < deadline:
        for f in page.frames:
            try:
                if f.evaluate(f"() => !!window.fcReview && fcReview.players.length === {videos}"
                              " && fcReview.players.every(p => p.video.readyState >= 2)"):
                    return f
            except playwright.Error:
                continue
        page.wait_for_timeout(500)
    raise AssertionError(f"no review player with {videos} playable video(s) appeared")


def _cell(frame, player: int, key: str) -> str:
    return frame.locator(f"#c{player}-{key}").inner_text()


def _expected(store, sid: int, rep: int) -> dict:
    from formcheck.report import rep_rows
    from formcheck.values import fmt_num

    row = rep_rows(store.load_analysis(sid))[rep - 1]
    return {"rep": f"{rep} · bottom (reported values)",
            "kot": fmt_num(row["knee_over_toe_ratio"], "+.2f", " foot lengths"),
            "knee": f"{row['knee_flexion_deg']:.0f}°"}


def _wait_seeked(frame, player: int = 0):
    frame.wait_for_function(f"() => !fcReview.players[{player}].video.seeking", timeout=10000)
    frame.page.wait_for_timeout(300)


def test_scrub_to_a_reps_bottom_and_read_its_numbers(clinic, shots):
    url, store = clinic
    sid = store.list_sessions("knee-07")[-1].id       # the detail view opens the latest
    analysis = store.load_analysis(sid)
    bottom_i = analysis.reps[1].bottom_i
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Progress")
        frame = _player(page, 1)
        frame.get_by_role("button", name="Rep »").click()     # bottom of rep 1
        _wait_seeked(frame)
        frame.get_by_role("button", name="Rep »").click()     # bottom of rep 2
        _wait_seeked(frame)
        want = _expected(store, sid, 2)
        assert _cell(frame, 0, "rep") == want["rep"]
        assert _cell(frame, 0, "kot") == want["kot"]
        assert _cell(frame, 0, "knee") == want["knee"]
        n = len(analysis.clean_seq)
        assert _cell(frame, 0, "pos").startswith(f"{bottom_i + 1} of {n} · ")
        assert frame.locator("#fc-slider").input_value() == str(bottom_i)
        # the video shows that frame: its time is the frame's time in the annotated video
        t = frame.evaluate("() => fcReview.players[0].video.currentTime")
        t_want = float(analysis.clean_seq.t_s[bottom_i] - analysis.clean_seq.t_s[0])
        assert abs(t - t_want) < 0.01, (t, t_want)
        # one frame on, and back again
        frame.get_by_role("button", name="1 frame ▶").click()
        _wait_seeked(frame)
        assert _cell(frame, 0, "pos").startswith(f"{bottom_i + 2} of {n} · ")
        frame.get_by_role("button", name="◀ 1 frame").click()
        _wait_seeked(frame)
        assert _cell(frame, 0, "kot") == want["kot"]
        # slow motion plays forward
        frame.locator("#fc-speed").select_option("0.25")
        frame.get_by_role("button", name="▶ Play").click()
        page.wait_for_timeout(1500)
        assert frame.evaluate("() => !fcReview.players[0].video.paused")
        assert frame.evaluate("() => fcReview.players[0].video.playbackRate") == 0.25
        assert frame.evaluate("() => fcReview.players[0].video.currentTime") > t + 0.1
        frame.get_by_role("button", name="⏸ Pause").click()
        frame.evaluate(f"() => fcReview.seekFrame({bottom_i})")
        _wait_seeked(frame)
        frame.locator("#fc-review").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "review_desktop.png"))
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(1500)
        _scroll_to_the_top_of(page, frame)
        page.screenshot(path=str(shots / "review_phone.png"))
        browser.close()


def test_the_compare_view_plays_both_sessions_in_step(clinic, shots):
    url, store = clinic
    a_id, b_id = (s.id for s in store.list_sessions("knee-07"))
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Compare two sessions")
        frame = _player(page, 2)
        pts = frame.evaluate("() => fcReview.players.map(p => fcReview.points(p))")
        start = frame.evaluate("() => fcReview.players.map(p => p.video.currentTime)")
        assert abs(start[0] - pts[0][0]) < 0.02 and abs(start[1] - pts[1][0]) < 0.05
        frame.locator("#fc-speed").select_option("0.5")
        frame.get_by_role("button", name="▶ Play both").click()
        page.wait_for_timeout(1200)
        state = frame.evaluate("() => fcReview.players.map(p => [p.video.paused, "
                               "p.video.currentTime])")
        assert [s[0] for s in state] == [False, False]           # both play
        assert state[0][1] > start[0] + 0.2 and state[1][1] > start[1] + 0.2
        # in step: B is where the rep-phase map puts A's moment (sampled while playing)
        lag = frame.evaluate("() => { const [A, B] = fcReview.players;"
                             " return Math.abs(fcReview.mapTime(A.video.currentTime)[0]"
                             " - B.video.currentTime); }")
        assert lag < 0.1, lag
        frame.get_by_role("button", name="⏸ Pause").click()
        frame.get_by_role("button", name="Bottom »").click()
        _wait_seeked(frame, 0)
        _wait_seeked(frame, 1)
        now = frame.evaluate("() => fcReview.players.map(p => p.video.currentTime)")
        assert abs(now[0] - pts[0][1]) < 0.02 and abs(now[1] - pts[1][1]) < 0.05
        # the numbers of both bottoms, next to each other: each session's chosen rep
        for k, sid in enumerate((a_id, b_id)):
            rep = frame.evaluate(f"() => fcReview.players[{k}].reps[fcReview.players[{k}].rep].n")
            want = _expected(store, sid, rep)
            assert _cell(frame, k, "rep") == want["rep"]
            assert _cell(frame, k, "kot") == want["kot"]
        frame.locator("#fc-review").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "compare_desktop.png"))
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(1500)
        _scroll_to_the_top_of(page, frame)
        page.screenshot(path=str(shots / "compare_phone.png"))
        browser.close()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_a_correction_made_on_the_page_shows_in_the_pdf(clinic, tmp_path):
    url, store = clinic
    sid = store.list_sessions("knee-07")[-1].id
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Progress")
        _player(page, 1)                          # the page has finished drawing
        page.get_by_text("Corrections (0)").click()
        form = page.locator("[data-testid='stForm']").filter(has_text="Save correction")
        choice = form.locator("[data-testid='stSelectbox']").filter(has_text="Correction")
        choose(page, choice, "The shin angle is wrong")
        form.get_by_role("textbox", name="Note (why)").fill("the box hides the ankle")
        form.get_by_role("button", name="Save correction").click()
        page.get_by_text("shin angle", exact=False).filter(has_text="marked wrong").first.wait_for(
            timeout=60000)
        with page.expect_download(timeout=120000) as dl:
            page.get_by_role("button", name="PDF report").click()
        pdf = tmp_path / "report.pdf"
        dl.value.save_as(pdf)
        browser.close()
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    (c,) = [c for c in store.corrections(sid) if c.note == "the box hides the ankle"]
    assert (c.rep, c.kind, c.metric, c.author) == (1, "wrong_value", "shin_angle_deg", "local")
    from formcheck.report import rep_rows

    shin = rep_rows(store.load_analysis(sid))[0]["shin_angle_deg"]
    assert "Corrections by the physiotherapist" in text
    assert (f"Rep 1: shin angle {shin:.0f}° marked wrong (by local, "
            f"{c.created_at:%Y-%m-%d}: the box hides the ankle)") in text
    assert "Video kept with the client's consent consent shown in the test" in text


def test_measure_by_hand_on_either_of_the_two_sessions_compared(clinic, shots):
    """The compare view's players measure by hand as the review player does (the same page
    code): an angle on the earlier session's frame, a distance in its own foot lengths on the
    later one's, each shown under its video and kept with its own frame."""
    from formcheck.app import review
    from test_browser_measure import _click_points

    url, store = clinic
    data = [review.review_data(store.load_analysis(s.id)) for s in store.list_sessions("knee-07")]
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Compare two sessions")
        frame = _player(page, 2)
        frame.get_by_role("button", name="Bottom »").click()
        _wait_seeked(frame, 0)
        _wait_seeked(frame, 1)
        at = frame.evaluate("() => fcReview.players.map(p => p.frame)")
        frame.get_by_role("button", name="∠ Measure angle").click()
        pts = _click_points(frame, [(0.3, 0.3), (0.5, 0.6), (0.75, 0.35)], player=0)
        frame.get_by_role("button", name="↔ Measure distance").click()
        dpts = _click_points(frame, [(0.4, 0.8), (0.6, 0.8)], player=1)
        js = frame.evaluate("() => fcReview.players.map(p => p.marks.get(p.frame)[0].pts)")
        assert abs(review.hand_angle_deg(*js[0]) - review.hand_angle_deg(*pts)) <= 0.1
        assert abs(review.hand_distance_px(*js[1]) - review.hand_distance_px(*dpts)) <= 0.1
        foot = data[1]["foot_px"][at[1]]
        assert foot is not None                     # side on: the later session's own scale
        shown = [frame.locator(f"#fc-measure-{k}").inner_text() for k in (0, 1)]
        assert shown == [review.hand_words("angle", js[0]) + f" (frame {at[0] + 1})",
                         review.hand_words("distance", js[1], foot) + f" (frame {at[1] + 1})"]
        assert frame.evaluate("() => fcReview.marksShown()") == 2
        assert frame.get_by_role("button", name="Use in a correction").count() == 0
        frame.locator("#fc-review").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "compare_measure_desktop.png"))
        # the marks stay with their frames: one frame on, a player that left its measured
        # frame shows none (the later one follows the earlier, so it may stay on its frame)
        frame.get_by_role("button", name="1 frame ▶").click()
        _wait_seeked(frame, 0)
        _wait_seeked(frame, 1)
        now = frame.evaluate("() => fcReview.players.map(p => p.frame)")
        assert now[0] == at[0] + 1
        stayed = [now[k] == at[k] for k in (0, 1)]
        assert frame.evaluate("() => fcReview.marksShown()") == sum(stayed)
        assert [frame.locator(f"#fc-measure-{k}").inner_text() for k in (0, 1)] == [
            shown[k] if stayed[k] else "" for k in (0, 1)]
        frame.evaluate(f"() => fcReview.seekFrame({at[0]})")
        _wait_seeked(frame, 0)
        _wait_seeked(frame, 1)
        assert frame.evaluate("() => fcReview.players.map(p => p.frame)") == at
        assert frame.evaluate("() => fcReview.marksShown()") == 2
        assert [frame.locator(f"#fc-measure-{k}").inner_text() for k in (0, 1)] == shown
        frame.get_by_role("button", name="Clear marks").click()
        assert frame.evaluate("() => fcReview.marksShown()") == 0
        browser.close()


def _scroll_to_the_top_of(page, frame) -> None:
    """Scroll the page so that the player's frame starts just under Streamlit's header (a
    player taller than a phone's screen is otherwise scrolled to its middle, the videos cut)."""
    size = page.viewport_size
    page.mouse.move(size["width"] / 2, size["height"] / 2)
    page.mouse.wheel(0, frame.frame_element().bounding_box()["y"] - 64)
    page.wait_for_timeout(800)
