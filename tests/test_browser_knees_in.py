"""The review player's "Knees-in peak »" button (issue 21) in a real browser (Debian's Chromium
via Playwright): on a front-view session it jumps to the frame where the next rep's knees caved
in most (valgus.KneeValgus.peak_i, the frame the report's fppa_peak_s names), not to the rep's
bottom, shows the rep's reported peak FPPA there, and after the last rep starts again at the first.

One session of the project's rendered front-view clip (knees caving in) is saved with its video
first (its landmarks tracked once per test session: tests/tracking.py).
"""

from __future__ import annotations

import pytest

from clinic_helpers import saved_fixture_sessions_app
from test_browser import FIXTURES, _launch, playwright, running_app  # noqa: F401 - skips too
from test_browser_review import DESKTOP, _cell, _open_client, _player, _wait_seeked

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIP = FIXTURES / "front_knees_cave_in.mp4"
TRACKED_FIXTURES = [CLIP]   # tracked once per test session: tests/tracking.py


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A database with client knee-07 and one front-view session, its video kept."""
    yield from saved_fixture_sessions_app(tmp_path_factory, "knees_in", [CLIP],
                                          consent="consent shown in the test")


def test_knees_in_peak_jumps_to_each_reps_peak_fppa_frame(clinic):
    from formcheck.report import rep_rows

    url, store = clinic
    sid = store.list_sessions("knee-07")[-1].id
    analysis = store.load_analysis(sid)
    peaks = [m.valgus.peak_i for m in analysis.metrics]
    bottoms = [r.bottom_i for r in analysis.reps]
    rows = rep_rows(analysis)
    # the clip's reps are front-view reps with a reading; the first rep peaks off its bottom,
    # so the button is seen to go to the peak, not to the bottom
    assert len(peaks) == 3 and peaks[0] != bottoms[0]
    n = len(analysis.clean_seq)
    t0 = float(analysis.clean_seq.t_s[0])
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport=DESKTOP)
        _open_client(page, url, "Progress")
        frame = _player(page, 1)
        peak_btn = frame.get_by_role("button", name="Knees-in peak »")
        for k, peak in enumerate(peaks):
            peak_btn.click()
            _wait_seeked(frame)
            assert frame.locator("#fc-slider").input_value() == str(peak)
            assert _cell(frame, 0, "pos").startswith(f"{peak + 1} of {n} · ")
            # the video shows the peak frame, at the time the report gives for the peak
            t = frame.evaluate("() => fcReview.players[0].video.currentTime")
            assert abs(t - (float(analysis.clean_seq.t_s[peak]) - t0)) < 0.01, (k, t)
            assert abs(float(analysis.clean_seq.t_s[peak]) - rows[k]["fppa_peak_s"]) < 0.001
            # the rep's reported peak FPPA and leg, as the table and the overlay word it
            leg = analysis.metrics[k].valgus.leg
            assert _cell(frame, 0, "knees_in") == (
                f"knees in {rows[k]['fppa_deg']:+.1f}°, {leg} leg (peak)")
        # past the last rep's peak it starts again at the first rep's
        peak_btn.click()
        _wait_seeked(frame)
        assert frame.locator("#fc-slider").input_value() == str(peaks[0])
        # from the first rep's bottom (after its peak) the next peak is the second rep's
        frame.evaluate(f"() => fcReview.seekFrame({bottoms[0]})")
        _wait_seeked(frame)
        peak_btn.click()
        _wait_seeked(frame)
        assert frame.locator("#fc-slider").input_value() == str(peaks[1])
        browser.close()
