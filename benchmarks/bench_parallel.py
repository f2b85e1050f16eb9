#!/usr/bin/env python3
"""Chunk-parallel analyze, batch throughput and memory (issue 9). Results: benchmarks/PARALLEL.md.

    .venv/bin/python benchmarks/bench_parallel.py [--clip PATH ...] [--folder DIR]
        [--skip-clips] [--skip-folder] [--skip-memory]

(a) Per clip (default: out/bench/bench_30fps_720p.mp4 and bench_60fps_1080p.mp4, made by
    bench_speed.py): the bare MediaPipe loop (bench_speed.bare_loop: every frame decoded, full
    model on each, one process) against formcheck.pipeline.analyze_video with 1 worker (tracks
    in this process, as `formcheck analyze --workers 1`) and with 2 workers (as `formcheck
    analyze`: this process starts tracking at once while a local Dask cluster of one worker
    process starts, then the two share what is left; the time includes starting and stopping
    the worker). Also an
    80-s 30 fps clip (the 20-s one four times), since start-up weighs less on a longer clip.
(b) A folder of 8 clips: `formcheck batch DIR --out OUT --workers N` for N = 1 and 2, wall time
    of the whole command. Default folder: the 8 clips of 8-30 s of ../shared/videos (first by
    name), linked into out/bench/folder8/.
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
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_speed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "out" / "bench"
RESULTS = ROOT / "benchmarks" / "PARALLEL.md"
SHARED = ROOT.parent / "shared" / "videos"
CLI = [sys.executable, "-m", "formcheck.cli"]


def load() -> str:
    a = os.getloadavg()
    return f"{a[0]:.1f}"


def cpu_all() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def analyze(path: Path, workers: int):
    from formcheck.engine import Engine
    from formcheck.pipeline import analyze_video
    from formcheck.thresholds import get_profile

    t0, c0 = time.perf_counter(), cpu_all()
    if workers == 1:
        a, _ = analyze_video(path, get_profile("general"), "general")
    else:
        # as `formcheck analyze --workers N`: this process tracks the first chunk
        with Engine(workers=workers, track_here=True) as eng:
            a, _ = analyze_video(path, get_profile("general"), "general", engine=eng)
    return time.perf_counter() - t0, cpu_all() - c0, a


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


def worker_start_s() -> float:
    """Seconds from asking for a local cluster of one worker to that worker having MediaPipe
    loaded: the time `formcheck analyze` tracks alone before it shares the clip."""
    from formcheck.engine import Engine

    t0 = time.perf_counter()
    with Engine(workers=1) as eng:
        eng.client.submit(_load_model, pure=False).result()
        return time.perf_counter() - t0


def _load_model() -> None:
    from formcheck import pose

    pose.preload()


def reps(a) -> str:
    return ", ".join(f"{m.bottom_s:.2f}s/{m.thigh_angle_deg:+.1f}deg/"
                     + ("-" if m.knee_over_toe_ratio is None else f"{m.knee_over_toe_ratio:+.2f}")
                     for m in a.metrics)


def bench_clips(clips: list[Path]) -> list[str]:
    from formcheck.video import probe

    out = ["### Per clip: bare loop vs analyze with 1 and 2 workers", "",
           "| clip | fps | size | bare loop s | analyze 1 worker s | analyze 2 workers s | "
           "bare / 2 workers | target | load before -> after | reps (1 w) | reps (2 w) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    detail = []
    start_s = worker_start_s()
    for clip in clips:
        info = probe(clip)
        l0 = load()
        bare_s, _, n = bench_speed.bare_loop(clip)
        one_s, _, a1 = analyze(clip, 1)
        two_s, two_cpu, a2 = analyze(clip, 2)
        l1 = load()
        target = 1.7 if info.fps <= 31 else 3.0
        ratio = bare_s / two_s
        out.append(f"| {clip.name} | {info.fps:.0f} | {info.width_px}x{info.height_px} | "
                   f"{bare_s:.1f} | {one_s:.1f} | {two_s:.1f} | **{ratio:.2f}x** | >= {target}x: "
                   f"{'met' if ratio >= target else 'NOT met'} | {l0} -> {l1} | {a1.rep_count} | "
                   f"{a2.rep_count} |")
        print(out[-1], file=sys.stderr)
        detail += [f"- {clip.name}: 1 worker: {reps(a1)}", f"- {clip.name}: 2 workers: {reps(a2)}"]
    return out + ["", f"Starting a local cluster of one worker process and loading MediaPipe in "
                  f"it took {start_s:.1f} s (the caller tracks meanwhile).", "",
                  "Rep bottoms / thigh angle / knee-over-toe:", ""] + detail + [""]


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


def bench_folder(folder: Path) -> list[str]:
    from formcheck.video import probe

    clips = sorted(folder.glob("*.mp4"))
    total_s = sum(probe(c).duration_s for c in clips)
    out = [f"### Folder of {len(clips)} clips ({total_s:.0f} s of video): `formcheck batch`", "",
           "| workers | wall s | clips per minute | load before -> after | exit |",
           "|---|---|---|---|---|"]
    walls = {}
    for n in (1, 2):
        dest = BENCH / f"batch-out-{n}"
        subprocess.run(["rm", "-rf", str(dest)], check=True)
        l0 = load()
        t0 = time.perf_counter()
        p = subprocess.run(CLI + ["batch", str(folder), "--out", str(dest), "--workers", str(n)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        walls[n] = time.perf_counter() - t0
        out.append(f"| {n} | {walls[n]:.1f} | {len(clips) / walls[n] * 60:.1f} | {l0} -> {load()} "
                   f"| {p.returncode} |")
        print(out[-1], p.stdout.strip(), file=sys.stderr)
    ratio = walls[1] / walls[2]
    out += ["", f"Throughput 2 workers / 1 worker: **{ratio:.2f}x** (target >= 1.7x: "
            f"{'met' if ratio >= 1.7 else 'NOT met'})", ""]
    return out


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
    args = p.parse_args()
    if not args.clip and not (args.skip_clips and args.skip_memory):
        bench_speed.make_clips(False)
    body: list[str] = []
    if not args.skip_clips:
        body += bench_clips(args.clip or [BENCH / n for n in bench_speed.CLIPS]
                            + [long_30fps_clip()])
    if not args.skip_folder:
        body += bench_folder(args.folder or default_folder())
    if not args.skip_memory:
        body += bench_memory(BENCH / bench_speed.LONG)
    up = subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()
    cmd = "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])
    run = [f"## Run {dt.datetime.now().isoformat(timespec='seconds')}", "",
           f"- machine: {bench_speed.machine()}; shared with other engineers' jobs",
           f"- `uptime` at the end: {up}", f"- command: `{cmd}`", ""] + body
    head = ["# formcheck parallel benchmark (issue 9)", "",
            "Written by `benchmarks/bench_parallel.py`; see its docstring for what is timed. "
            "Wall seconds. The machine is shared: the load average (2 cores) says how busy it "
            "was; under load the speed-ups are depressed.", ""]
    old = RESULTS.read_text().splitlines() if RESULTS.exists() else head
    RESULTS.write_text("\n".join(old + run) + "\n")
    print("\n".join(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
