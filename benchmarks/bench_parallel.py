#!/usr/bin/env python3
"""Chunk-parallel analyze, batch throughput and memory (issue 9). Results: benchmarks/PARALLEL.md.

    .venv/bin/python benchmarks/bench_parallel.py [--clip PATH ...] [--folder DIR]
        [--skip-clips] [--skip-folder] [--skip-memory]

Follows the protocol of issue 20 (benchmarks/protocol.py): refuses to run when the 1-minute
load average is 1.0 or more (--force overrides, and the run is marked not reportable); records
`uptime` before and after; every comparison alternates its arms A B C A B C for --rounds rounds
(at least 3) and reports each arm's median, all whole processes.
(a) Per clip (default: out/bench/bench_30fps_720p.mp4 and bench_60fps_1080p.mp4, made by
    bench_speed.py, and an 80-s 30 fps clip, the 20-s one four times): the bare MediaPipe loop
    (benchmarks/bare_loop.py: mp.solutions.pose, full model, every frame, no drawing) against
    `formcheck analyze CLIP --report r.json` (default: 2 workers) and with --workers 1.
(b) A folder of 8 clips: `formcheck batch DIR --out OUT --workers N`, N = 1 and 2 alternated,
    wall time of the whole command. Default folder: the 8 clips of 8-30 s of ../shared/videos
    (first by name), linked into out/bench/folder8/.
(c) Peak memory: `formcheck analyze out/bench/bench_10min_1080p.mp4 --workers 2`, its process
    tree sampled every 0.2 s: the peak of the summed RSS of all its processes (and of the
    summed PSS, which counts pages shared between forked workers once).
Each measurement records the load average before and after: the machine is shared, and other
users' jobs slow the wall times down.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_speed  # noqa: E402
import protocol  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "out" / "bench"
RESULTS = ROOT / "benchmarks" / "PARALLEL.md"
SHARED = ROOT.parent / "shared" / "videos"
CLI = [sys.executable, "-m", "formcheck.cli"]


def load() -> str:
    a = os.getloadavg()
    return f"{a[0]:.1f}"


LONG_30 = "bench_30fps_720p_80s.mp4"


def long_30fps_clip() -> Path:
    """The 20-s 30 fps bench clip four times over (80 s, like the real clip the issue timed):
    on a 20-s clip the worker processes' start-up is a large share of the time."""
    out = BENCH / LONG_30
    if not out.exists():
        src = BENCH / "bench_30fps_720p.mp4"
        lst = BENCH / "concat80.txt"
        lst.write_text(f"file '{src.name}'\n" * 4)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i",
                        str(lst), "-c", "copy", str(out)], check=True)
    return out


TARGETS = (  # (fps above, seconds from, seconds to, target ratio bare loop / analyze)
    (31.0, 0.0, 1e9, 2.8),    # 60 fps 1080p
    (0.0, 45.0, 1e9, 1.7),    # 60-90 s at 30 fps
    (0.0, 0.0, 45.0, 1.3),    # 10-20 s at 30 fps
)


def target_for(fps: float, duration_s: float) -> float:
    return next(t for above, lo, hi, t in TARGETS if fps > above and lo <= duration_s < hi)


def bench_clips(clips: list[Path], rounds: int) -> list[str]:
    """Per clip, whole processes alternated (protocol.alternate): the bare loop, `formcheck
    analyze CLIP --report r.json` (default: 2 workers) and the same with --workers 1."""
    import json

    from formcheck.video import probe

    out = ["### Per clip: bare loop vs `formcheck analyze --report` (whole processes; medians of "
           f"{max(rounds, protocol.MIN_ROUNDS)} alternated rounds)", "",
           "| clip | fps | size | s | bare loop s | analyze s (2 workers) | analyze --workers 1 s | "
           "bare / analyze | target | 2 workers vs 1 | reps 2 w / 1 w | runs (bare; 2 w; 1 w) |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    BENCH.mkdir(parents=True, exist_ok=True)
    for clip in clips:
        info = probe(clip)
        r2, r1 = BENCH / "ratio-2w.json", BENCH / "ratio-1w.json"
        walls = protocol.alternate({
            "bare": protocol.bare_loop_cmd(clip),
            "2w": protocol.analyze_cmd(clip, "--report", str(r2)),
            "1w": protocol.analyze_cmd(clip, "--report", str(r1), "--workers", "1")}, rounds)
        bare, two, one = (protocol.median(walls[k]) for k in ("bare", "2w", "1w"))
        target = target_for(info.fps, info.duration_s)
        ratio = bare / two
        reps2 = json.loads(r2.read_text())["rep_count"]
        reps1 = json.loads(r1.read_text())["rep_count"]
        out.append(f"| {clip.name} | {info.fps:.0f} | {info.width_px}x{info.height_px} | "
                   f"{info.duration_s:.0f} | {bare:.1f} | {two:.1f} | {one:.1f} | **{ratio:.2f}x** "
                   f"| >= {target}x: {'met' if ratio >= target else 'NOT met'} | "
                   f"{'not slower' if two <= one else 'SLOWER'} ({one / two:.2f}x) | "
                   f"{reps2} / {reps1} | {protocol.spread(walls['bare'])}; "
                   f"{protocol.spread(walls['2w'])}; {protocol.spread(walls['1w'])} |")
        print(out[-1], file=sys.stderr)
    return out + [""]


def default_folder() -> Path:
    from formcheck.video import probe

    folder = BENCH / "folder8"
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.mp4"))) == 8:
        return folder
    picked = []
    for f in sorted(SHARED.glob("*.mp4")):
        if 8.0 <= probe(f).duration_s <= 30.0:
            picked.append(f)
        if len(picked) == 8:
            break
    for f in picked:
        link = folder / f.name
        if not link.exists():
            link.symlink_to(f)
    return folder


def bench_folder(folder: Path, rounds: int) -> list[str]:
    """`formcheck batch DIR --out OUT --workers N`, N = 1 and 2 alternated, an empty OUT each
    time (so every clip is analysed)."""
    from formcheck.video import probe

    clips = sorted(folder.glob("*.mp4"))
    total_s = sum(probe(c).duration_s for c in clips)
    dest = {n: BENCH / f"batch-out-{n}" for n in (1, 2)}
    walls = protocol.alternate(
        {n: CLI + ["batch", str(folder), "--out", str(dest[n]), "--workers", str(n)]
         for n in (1, 2)}, rounds,
        prepare=lambda n: subprocess.run(["rm", "-rf", str(dest[n])], check=True))
    one, two = protocol.median(walls[1]), protocol.median(walls[2])
    ratio = one / two
    return [f"### Folder of {len(clips)} clips ({total_s:.0f} s of video): `formcheck batch` "
            f"(medians of {len(walls[1])} alternated rounds)", "",
            "| workers | wall s (median) | clips per minute | runs |", "|---|---|---|---|",
            f"| 1 | {one:.1f} | {len(clips) / one * 60:.1f} | {protocol.spread(walls[1])} |",
            f"| 2 | {two:.1f} | {len(clips) / two * 60:.1f} | {protocol.spread(walls[2])} |",
            "", f"Throughput 2 workers / 1 worker: **{ratio:.2f}x** (target >= 1.7x: "
            f"{'met' if ratio >= 1.7 else 'NOT met'})", ""]


def tree_memory(pid: int) -> tuple[float, float]:
    """(summed RSS MB, summed PSS MB) of a process and all its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    rss = pss = 0.0
    for p in procs:
        try:
            rss += p.memory_info().rss
            pss += getattr(p.memory_full_info(), "pss", 0.0)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss / 2 ** 20, pss / 2 ** 20


def bench_memory(clip: Path) -> list[str]:
    from formcheck.video import probe

    info = probe(clip)
    l0 = load()
    t0 = time.perf_counter()
    err = BENCH / "memory-run.stderr"
    with err.open("w") as errf:
        p = subprocess.Popen(CLI + ["analyze", str(clip), "--workers", "2"],
                             stdout=subprocess.PIPE, stderr=errf, text=True)
    peak = [0.0, 0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, pss = tree_memory(p.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout = p.communicate()[0]
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    first = (stdout.strip().splitlines() or [""])[0]
    if p.returncode not in (0, 3):
        tail = [ln for ln in err.read_text().splitlines() if ln.startswith("formcheck")][-3:]
        first = first or " / ".join(tail)
    return ["### Peak memory while parallel", "",
            f"`formcheck analyze {clip.name} --workers 2` ({info.width_px}x{info.height_px}, "
            f"{info.fps:.0f} fps, {info.duration_s / 60:.1f} min), exit {p.returncode}, "
            f"{wall:.0f} s, load {l0} -> {load()}: peak summed RSS of all its processes "
            f"**{peak[0]:.0f} MB** (target < 1024 MB: {'met' if peak[0] < 1024 else 'NOT met'}), "
            f"peak summed PSS {peak[1]:.0f} MB; summary: \"{first}\"", ""]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", type=Path)
    p.add_argument("--folder", type=Path)
    p.add_argument("--skip-clips", action="store_true")
    p.add_argument("--skip-folder", action="store_true")
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--rounds", type=int, default=protocol.MIN_ROUNDS,
                   help=f"alternated rounds per comparison (at least {protocol.MIN_ROUNDS})")
    p.add_argument("--force", action="store_true",
                   help="run although the machine is busy (the figures are then not reportable)")
    args = p.parse_args()
    up_before = protocol.require_quiet(args.force)
    if not args.clip and not (args.skip_clips and args.skip_memory):
        bench_speed.make_clips(False)
    body: list[str] = []
    if not args.skip_clips:
        body += bench_clips(args.clip or [BENCH / n for n in bench_speed.CLIPS]
                            + [long_30fps_clip()], args.rounds)
    if not args.skip_folder:
        body += bench_folder(args.folder or default_folder(), args.rounds)
    if not args.skip_memory:
        body += bench_memory(BENCH / bench_speed.LONG)
    up = subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()
    cmd = "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])
    run = [f"## Run {dt.datetime.now().isoformat(timespec='seconds')}", "",
           f"- machine: {bench_speed.machine()}",
           f"- `uptime` at the start: {up_before}", f"- `uptime` at the end: {up}",
           f"- command: `{cmd}`" + (" (--force: the machine was busy; NOT reportable)"
                                   if args.force else ""), ""] + body
    head = ["# formcheck parallel benchmark (issue 9)", "",
            "Written by `benchmarks/bench_parallel.py`; see its docstring for what is timed. "
            "Wall seconds. The machine is shared: the load average (2 cores) says how busy it "
            "was; under load the speed-ups are depressed.", ""]
    print("\n".join(run))
    if protocol.busy_run(args.force, up_before):
        print(f"not written to {RESULTS.name}: the machine was busy", file=sys.stderr)
        return 0
    old = RESULTS.read_text().splitlines() if RESULTS.exists() else head
    RESULTS.write_text("\n".join(old + run) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
