"""The Running page in a real browser: upload a FIT file written here and see the week's load,
the ACWR spike card and the step rate; screenshots at 1400 and 390 px.

Screenshots go to $FORMCHECK_SCREENSHOTS (e.g. docs/screenshots) or the test's tmp dir."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import runs_fixtures as fx
from test_browser import _launch, playwright, running_app  # noqa: F401 - skips too

pytestmark = pytest.mark.browser


def _history():
    """Ten weeks of running from Monday 2026-01-05 (two weeks empty), cadence rising 164 -> 170."""
    from formcheck.runs.model import Run

    km = {"01-05": 5, "01-07": 5, "01-10": 10, "01-13": 5, "01-17": 10, "01-26": 10,
          "01-31": 10, "02-02": 10, "02-04": 10, "02-08": 10, "02-10": 10, "02-23": 10,
          "02-25": 10, "03-01": 20, "03-02": 10, "03-08": 10, "03-09": 30, "03-11": 30,
          "03-15": 20}
    out = []
    for i, (day, k) in enumerate(sorted(km.items())):
        start = dt.datetime.fromisoformat(f"2026-{day}T07:00:00+01:00")
        secs = k * 330.0
        cad = 164.0 + 6.0 * i / (len(km) - 1)
        out.append(Run("running", start.isoformat(), secs, secs, k * 1000.0, 330.0, cad, 4.0,
                       (1000 / 330) / (cad / 60), f"run-{day}.fit", "garmin/test/1"))
    return out


@pytest.mark.parametrize("width,height", [(1400, 2000), (390, 3200)], ids=["1400px", "390px"])
def test_upload_a_fit_file_and_see_the_week_and_step_rate(tmp_path, width, height):
    from formcheck.store import open_store
    from formcheck.store.runs_store import save_runs

    db = f"sqlite:///{tmp_path / 'clinic.db'}"
    save_runs(open_store(db), None, _history())
    fit = tmp_path / "monday-run.fit"
    fit.write_bytes(fx.fit_run(start=dt.datetime(2026, 3, 16, 6, 0, tzinfo=dt.timezone.utc),
                               distance_m=12000.0, elapsed_s=3960.0, timer_s=3940.0))
    shots = Path(os.environ.get("FORMCHECK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    env = {"FORMCHECK_DATABASE_URL": db, "FORMCHECK_APP_FILES": str(tmp_path / "app-files")}
    expect = playwright.expect
    with running_app(tmp_path, env=env) as url, playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{url}/running")
        page.get_by_role("heading", name="Running", exact=True).wait_for(timeout=60000)
        page.locator("input[type='file']").set_input_files(str(fit))
        page.get_by_text("monday-run.fit").wait_for(timeout=30000)
        page.get_by_role("button", name="Import").click()
        page.get_by_text("1 activity read, 1 added").wait_for(timeout=60000)

        def metric(label, value):   # waits: the rerun replaces the old values in turn
            m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
            expect(m.locator("[data-testid='stMetricValue']")).to_have_text(value,
                                                                            timeout=30000)

        metric("This week so far", "12.0 km")            # Monday 16 March, a new week
        metric("Last run's step rate", "171 steps/min")  # 2 x (85 + 0.5), the FIT's summary
        metric("+10 % target", "188 steps/min")
        # acute 10-16 Mar: 30 + 20 + 12 km; chronic 17 Feb-16 Mar: 152 km -> 4 x 62 / 152
        metric("ACWR (7 / 28 days)", f"{4 * 62 / 152:.2f}")
        page.get_by_text("Load spike: the plan").wait_for()
        page.get_by_text("Kilometres per week: 31.0").wait_for()   # 62 km halved
        page.locator("audio").first.wait_for()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(shots / f"running_{'desktop' if width > 500 else 'phone'}.png"))
        browser.close()
