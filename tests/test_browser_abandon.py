"""Abandoned work and restored results in a real browser (issue 24.3, 24.10):

- a clip being tracked when its tab closes stops using the workers within 10 s;
- a reloaded result restores its settings without Streamlit's widget warning in the server log.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from conftest import write_clip
from test_browser import CLIP, _launch, playwright, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
psutil = pytest.importorskip("psutil")


def _server(url: str, workdir):
    """The app server's process (the one listening on the URL's port) and its log file."""
    port = int(url.rsplit(":", 1)[1])
    [pid] = {c.pid for c in psutil.net_connections("tcp")
             if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid}
    return psutil.Process(pid), workdir / f"streamlit-{port}.log"


def _workers_cpu(server_pid: int, window_s: float = 1.0) -> float:
    """The busiest child process of the app server (its Dask workers and their nannies):
    CPU seconds per second over `window_s`."""
    procs = psutil.Process(server_pid).children(recursive=True)
    for p in procs:
        try:
            p.cpu_percent(None)
        except psutil.NoSuchProcess:
            pass
    time.sleep(window_s)
    busiest = 0.0
    for p in procs:
        try:
            busiest = max(busiest, p.cpu_percent(None) / 100.0)
        except psutil.NoSuchProcess:
            pass
    return busiest


def test_closing_the_tab_stops_its_tracking_within_10_s(tmp_path):
    # 4 min of 64x64 frames: about a minute of tracking on the app's workers
    clip = write_clip(tmp_path / "long_set.mp4", [np.full((64, 64, 3), 90, np.uint8)] * 7200,
                      fps=30)
    with running_app(tmp_path) as url, playwright.sync_playwright() as p:
        proc, _log = _server(url, tmp_path)
        browser = _launch(p)
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(url)
        page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
        page.locator("input[type='file']").set_input_files(str(clip))
        # the workers are tracking frames (their model loaded): some seconds done
        page.get_by_text(re.compile(r"Tracking long_set\.mp4: [1-9][0-9]*\.[0-9] of")).wait_for(
            timeout=180000)
        # a tracking worker uses 0.2-1 core (0.2 with the machine's load at 16); an idle one
        # (heartbeats) 0.01-0.05
        busy = _workers_cpu(proc.pid)
        assert busy > 0.12
        ctx.close()
        closed = time.monotonic()
        seen = []
        while True:
            seen.append(round(_workers_cpu(proc.pid), 3))
            if len(seen) >= 2 and max(seen[-2:]) < 0.08:
                break
            assert time.monotonic() - closed < 10.0, \
                f"the workers were still busy 10 s after the tab closed: {busy=}, {seen}"
        stopped_s = time.monotonic() - closed
        print(f"workers busy {busy:.2f} cores; idle {stopped_s:.1f} s after the tab closed "
              f"({seen})")
        browser.close()
    assert stopped_s < 10.0


def test_a_restored_result_logs_no_widget_warning(tmp_path):
    with running_app(tmp_path) as url, playwright.sync_playwright() as p:
        proc, log_path = _server(url, tmp_path)
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=60000)
        page.locator("input[type='file']").set_input_files(str(CLIP))
        page.get_by_role("heading", name="Every rep").wait_for(timeout=180000)
        assert "result=" in page.url
        page.reload()
        page.get_by_role("heading", name="Every rep").wait_for(timeout=60000)
        page.wait_for_timeout(1500)
        browser.close()
        log = log_path.read_text()
    assert "Session State API" not in log
    assert "Traceback" not in log
