"""Measuring by hand in the review player (issue 23), in Chromium via Playwright: click three
points on a paused frame and read the angle, two and read the distance (px and foot lengths),
the marks stay with their frame, and a measured angle becomes a correction of its rep with the
note "measured by hand on frame N". The page's JavaScript geometry is checked against
review.hand_angle_deg / hand_words on given points. Screenshots at 1400 px and 390 px go to
$FORMCHECK_SCREENSHOTS (e.g. docs/screenshots) or tmp.
"""

from __future__ import annotations

import re

import pytest

from clinic_helpers import saved_fixture_sessions_app
from test_browser import FIXTURES, _launch, playwright, running_app  # noqa: F401 - skips too
from test_browser_review import _open_client, _player, _wait_seeked

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIP = FIXTURES / "side_knees_past_toes.mp4"
TRACKED_FIXTURES = [CLIP]   # tracked once per test session: tests/tracking.py
DESKTOP = {"width": 1400, "height": 1300}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A database with client knee-07 and one session of the side clip, its video kept."""
    yield from saved_fixture_sessions_app(tmp_path_factory, "measure", [CLIP])


def _picture_box(frame, player: int = 0) -> dict:
    """Where the picture sits on the marks canvas (CSS px; the video is letterboxed) and the
    size of the picture in the landmarks' display pixels."""
    return frame.evaluate("""(k) => { const p = fcReview.players[k], r = p.canvas.getBoundingClientRect();
        const vw = p.video.videoWidth, vh = p.video.videoHeight, s = Math.min(r.width / vw, r.height / vh);
        return {w: r.width, h: r.height, vw, vh, s, ox: (r.width - vw * s) / 2, oy: (r.height - vh * s) / 2,
                dw: p.display_px[0], dh: p.display_px[1]}; }""", player)


def _click_points(frame, fractions, tap: bool = False,
                  player: int | None = None) -> list[tuple[float, float]]:
    """Click (or tap) points given as fractions of the picture (of `player`, one of two
    compared; None: the one player); returns them in the frame's display pixels, computed
    here from the canvas geometry (not read from the page)."""
    b = _picture_box(frame, player or 0)
    # display px per video px: 1 unless the annotated video was scaled down from the picture
    f = 1.0 if abs(b["dw"] - b["vw"]) <= 1 and abs(b["dh"] - b["vh"]) <= 1 else b["dw"] / b["vw"]
    canvas = frame.locator("#fc-marks" if player is None else f"#fc-marks-{player}")
    out = []
    for fx, fy in fractions:
        x, y = b["ox"] + fx * b["vw"] * b["s"], b["oy"] + fy * b["vh"] * b["s"]
        (canvas.tap if tap else canvas.click)(position={"x": x, "y": y})
        out.append(((x - b["ox"]) / b["s"] * f, (y - b["oy"]) / b["s"] * f))
    return out


def _shown(frame) -> str:
    return frame.locator("#fc-measure").inner_text()


def test_the_pages_geometry_is_pythons_on_given_points(clinic):
    from formcheck.app import review

    url, _store = clinic
    points = [[(10, 0), (0, 0), (0, 10)], [(120.5, 40.2), (200.1, 300.7), (330.9, 80.3)],
              [(5, 5), (100, 7), (3, 200)], [(0, 0), (1, 0.001), (2, 0)]]
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Progress")
        frame = _player(page, 1)
        for a, b, c in points:
            js = frame.evaluate("([a, b, c]) => fcGeometry.angleDeg(a, b, c)", [a, b, c])
            assert abs(js - review.hand_angle_deg(a, b, c)) < 0.1
            assert frame.evaluate("(pts) => fcGeometry.measureWords('angle', pts, null)",
                                  [a, b, c]) == review.hand_words("angle", [a, b, c])
            for foot in (None, 87.25):
                assert frame.evaluate("([pts, f]) => fcGeometry.measureWords('distance', pts, f)",
                                      [[a, c], foot]) == review.hand_words("distance", [a, c], foot)
        browser.close()


def test_measure_an_angle_and_a_distance_on_a_frame_and_correct_the_rep(clinic, shots):
    from formcheck.app import review

    url, store = clinic
    sid = store.list_sessions("knee-07")[-1].id
    analysis = store.load_analysis(sid)
    data = review.review_data(analysis)
    bottom_i = analysis.reps[0].bottom_i
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Progress")
        frame = _player(page, 1)
        frame.get_by_role("button", name="Rep »").click()          # bottom of rep 1
        _wait_seeked(frame)
        assert frame.evaluate("() => fcReview.players[0].frame") == bottom_i
        # an angle: three clicks, the angle at the middle one
        frame.get_by_role("button", name="∠ Measure angle").click()
        pts = _click_points(frame, [(0.3, 0.3), (0.5, 0.6), (0.75, 0.35)])
        shown = _shown(frame)
        m = re.fullmatch(r"Angle (\d+\.\d)° \(frame (\d+)\)", shown)
        assert m, shown
        assert int(m.group(2)) == bottom_i + 1
        assert abs(float(m.group(1)) - review.hand_angle_deg(*pts)) <= 0.1
        js_pts = frame.evaluate("() => fcReview.marks.marks.get(fcReview.players[0].frame)[0].pts")
        assert all(abs(u - v) <= 0.06 for q, r in zip(pts, js_pts) for u, v in zip(q, r))
        assert shown == review.hand_words("angle", js_pts) + f" (frame {bottom_i + 1})"
        assert frame.evaluate("() => fcReview.marksShown()") == 1
        # the marks stay with their frame: gone one frame on, back one frame back
        frame.get_by_role("button", name="1 frame ▶").click()
        _wait_seeked(frame)
        assert frame.evaluate("() => fcReview.marksShown()") == 0 and _shown(frame) == ""
        frame.get_by_role("button", name="◀ 1 frame").click()
        _wait_seeked(frame)
        assert frame.evaluate("() => fcReview.marksShown()") == 1 and _shown(frame) == shown
        # a distance: two clicks, in px and (side on) in foot lengths
        frame.get_by_role("button", name="↔ Measure distance").click()
        dpts = _click_points(frame, [(0.4, 0.8), (0.6, 0.8)])
        foot = data["foot_px"][bottom_i]
        assert foot is not None
        dshown = _shown(frame)
        dm = re.fullmatch(r"Distance (\d+\.\d) px · ([\d.]+) foot lengths \(frame \d+\)", dshown)
        assert dm, dshown
        d = review.hand_distance_px(*dpts)
        assert abs(float(dm.group(1)) - d) <= 0.1 and abs(float(dm.group(2)) - d / foot) <= 0.01
        js_d = frame.evaluate("() => fcReview.marks.marks.get(fcReview.players[0].frame)[1].pts")
        assert dshown == review.hand_words("distance", js_d, foot) + f" (frame {bottom_i + 1})"
        assert frame.evaluate("() => fcReview.marksShown()") == 2
        # playing hides the marks; paused back on their frame they are there again
        frame.get_by_role("button", name="▶ Play").click()
        page.wait_for_timeout(600)
        assert frame.evaluate("() => fcReview.marksShown()") == 0
        frame.get_by_role("button", name="⏸ Pause").click()
        frame.evaluate(f"() => fcReview.seekFrame({bottom_i})")
        _wait_seeked(frame)
        assert frame.evaluate("() => fcReview.marksShown()") == 2 and _shown(frame) == dshown
        frame.locator("#fc-review").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "review_measure_desktop.png"))
        # clear, then measure the knee's angle again and put it into a correction of rep 1
        frame.get_by_role("button", name="Clear marks").click()
        assert frame.evaluate("() => fcReview.marksShown()") == 0 and _shown(frame) == ""
        frame.get_by_role("button", name="∠ Measure angle").click()
        _click_points(frame, [(0.3, 0.3), (0.5, 0.6), (0.75, 0.35)])
        angle = frame.evaluate("() => fcReview.marks.marks.get(fcReview.players[0].frame)[0].value_deg")
        frame.get_by_role("button", name="Use in a correction").click()
        page.get_by_text(f"Measured by hand on frame {bottom_i + 1}:").wait_for(timeout=60000)
        want = round(180.0 - round(angle, 1), 1)               # knee bend: 180 - angle at knee
        value = page.get_by_role("spinbutton", name="Right value").last
        assert float(value.input_value()) == pytest.approx(want, abs=0.005)
        assert page.get_by_role("textbox", name="Note").last.input_value() == \
            f"measured by hand on frame {bottom_i + 1}"
        page.get_by_role("button", name="Save as a correction").click()
        page.get_by_text(f"Corrections (1)").wait_for(timeout=60000)
        browser.close()
    (c,) = store.corrections(sid)
    assert (c.rep, c.kind, c.metric, c.note) == (
        1, "wrong_value", "knee_flexion_deg", f"measured by hand on frame {bottom_i + 1}")
    assert c.value == pytest.approx(want, abs=1e-9)


def test_the_tools_work_by_touch_on_a_phone(clinic, shots):
    from formcheck.app import review

    url, _store = clinic
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        ctx = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        page = ctx.new_page()
        _open_client(page, url, "Progress")
        frame = _player(page, 1)
        for name in ("∠ Measure angle", "↔ Measure distance", "Clear marks"):
            box = frame.get_by_role("button", name=name).bounding_box()
            assert box["height"] >= 40 and box["width"] >= 40, (name, box)
        frame.get_by_role("button", name="Rep »").tap()
        _wait_seeked(frame)
        frame.get_by_role("button", name="∠ Measure angle").tap()
        pts = _click_points(frame, [(0.35, 0.3), (0.5, 0.6), (0.7, 0.4)], tap=True)
        m = re.fullmatch(r"Angle (\d+\.\d)° \(frame \d+\)", _shown(frame))
        assert m, _shown(frame)
        assert abs(float(m.group(1)) - review.hand_angle_deg(*pts)) <= 0.1
        frame.locator("#fc-stage").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "review_measure_phone.png"))
        ctx.close()
        browser.close()
