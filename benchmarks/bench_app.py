#!/usr/bin/env python3
"""Eight people uploading at once: the app's time to results and the web process's memory.

    .venv/bin/python benchmarks/bench_app.py [--users 8] [--clip PATH]

Starts `streamlit run streamlit_app.py` on a free port of 127.0.0.1, opens --users browser
sessions (Debian's Chromium, Playwright, one context each) and uploads the clip in all of them
at the same moment. Per session: seconds from the upload to the results ("Every rep" heading)
and the rep count shown, checked against the clip's truth file. Meanwhile the web server
process (the streamlit PID alone) and, separately, its worker processes are sampled every
0.2 s for RSS. Results are appended to benchmarks/PARALLEL.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"
CHROMIUM = "/usr/bin/chromium"
RESULTS = ROOT / "benchmarks" / "PARALLEL.md"
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-gpu"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).with_name("streamlit")), "run", "streamlit_app.py",
           "--server.headless", "true", "--server.port", str(port), "--server.address",
           "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.5)


async def session(browser, url: str, clip: Path, go: asyncio.Event) -> tuple[float, str]:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    await page.goto(url)
    await page.get_by_role("heading", name="Analyse a squat clip").wait_for(timeout=120000)
    await go.wait()
    t0 = time.perf_counter()
    await page.locator("input[type='file']").set_input_files(str(clip))
    await page.get_by_role("heading", name="Every rep").wait_for(timeout=900000)
    took = time.perf_counter() - t0
    m = page.locator("[data-testid='stMetric']").filter(has_text="Reps").first
    reps = await m.locator("[data-testid='stMetricValue']").inner_text()
    await ctx.close()
    return took, reps


async def run_users(url: str, clip: Path, users: int) -> list[tuple[float, str]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        go = asyncio.Event()
        tasks = [asyncio.create_task(session(browser, url, clip, go)) for _ in range(users)]
        await asyncio.sleep(5)
        go.set()
        out = await asyncio.gather(*tasks)
        await browser.close()
        return out


def main() -> int:
    import numpy as np
    import psutil

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--force", action="store_true",
                    help="run although the machine is busy (the figures are then not reportable)")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import protocol

    up_before = protocol.require_quiet(args.force)
    truth = json.loads(args.clip.with_suffix(".truth.json").read_text())["rep_count"] \
        if args.clip.with_suffix(".truth.json").is_file() else None
    port = free_port()
    log = ROOT / "out" / "bench" / "app_server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = start_server(port, log)
    peak = {"web": 0.0, "workers": 0.0}
    stop = threading.Event()

    def sample() -> None:
        proc = psutil.Process(server.pid)
        while not stop.is_set():
            try:
                peak["web"] = max(peak["web"], proc.memory_info().rss / 2 ** 20)
                kids = proc.children(recursive=True)
                peak["workers"] = max(peak["workers"], sum(k.memory_info().rss for k in kids
                                                           if k.is_running()) / 2 ** 20)
            except psutil.Error:
                pass
            time.sleep(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        res = asyncio.run(run_users(f"http://127.0.0.1:{port}", args.clip, args.users))
    finally:
        stop.set()
        th.join()
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    times = np.array([r[0] for r in res])
    correct = sum(r[1] == str(truth) for r in res)
    up = subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()
    lines = [f"## App run {dt.datetime.now().isoformat(timespec='seconds')}", "",
             f"- command: `python benchmarks/bench_app.py --users {args.users}`; clip "
             f"{args.clip.name}; `uptime` at the start: {up_before}; at the end: {up}", "",
             f"{args.users} concurrent uploads: time to results p50 **{np.percentile(times, 50):.1f} s**, "
             f"p95 **{np.percentile(times, 95):.1f} s** (each: "
             f"{', '.join(f'{t:.1f}' for t in sorted(times))}); "
             + (f"results correct ({truth} reps) in **{correct} of {len(res)}**"
                if truth is not None else
                f"reps shown {', '.join(sorted({r[1] for r in res}))} (no truth file for "
                "this clip)")
             + "; web process peak RSS "
             f"**{peak['web']:.0f} MB** (target < 600 MB: "
             f"{'met' if peak['web'] < 600 else 'NOT met'}), its worker processes together "
             f"{peak['workers']:.0f} MB at peak.", ""]
    print("\n".join(lines))
    if protocol.busy_run(args.force, up_before):
        print("(a forced run on a busy machine: not written to PARALLEL.md)", file=sys.stderr)
        return 0
    old = RESULTS.read_text().splitlines() if RESULTS.exists() else ["# formcheck parallel benchmark", ""]
    RESULTS.write_text("\n".join(old + lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
