#!/usr/bin/env python3
"""CPU seconds of `formcheck analyze` per process, per thread and per stage, and when each
process waits. For a shared machine: CPU seconds change far less with the load than wall
seconds (still about ±10% between runs here), so repeat and alternate A/B (issue 20; the
lead's quiet-machine benchmarks give the wall figures).

    PYTHONPATH=src .venv/bin/python benchmarks/cpu_profile.py [--out DIR] -- analyze CLIP --report r.json

Runs the formcheck CLI in this process with hooks (this file is also the `__mp_main__` of every
spawned worker process of `analyze`, so the hooks are in them too):
- each process writes DIR/<pid>.json at its end (the parent) or after each chunk (a worker):
  getrusage, the CPU seconds of every OS thread (/proc/self/task, sampled every 0.1 s so that
  threads that end are counted: Python threads by name, native ones (FFmpeg's decoder threads
  `av:h264:df*`, MediaPipe's) by their OS name), and events on the monotonic clock (process
  start, worker ready, chunk received, chunk start and end, the split from the -v log);
- parallel.track_chunk runs under cProfile with the thread's CPU clock (DIR/<pid>-chunkN.prof:
  imports, MediaPipe's Python side, the rest); iter_frames' generator is timed on the decode
  thread's CPU clock (PyAV, skipped frames, conversion).
Only `analyze`'s own worker processes get the hooks (`batch`'s Dask workers do not).
Prints a summary; the raw files stay in DIR.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time

T_START = time.monotonic()
OUT = os.environ.get("FC_CPU_PROFILE_DIR")
_EVENTS: list[tuple[str, float]] = [("start", T_START)]
_STAGES: dict[str, float] = {}
_LOCK = threading.Lock()


def _add(stage: str, s: float) -> None:
    with _LOCK:
        _STAGES[stage] = _STAGES.get(stage, 0.0) + s


def _threads() -> list[dict]:
    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    out = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                st = f.read()
            with open(f"/proc/self/task/{tid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / tick
        out.append({"tid": int(tid), "name": names.get(int(tid), comm), "cpu_s": cpu})
    return out


_SEEN: dict[int, dict] = {}      # every OS thread seen by the sampler: its last CPU seconds
_PY_NAMES: dict[int, str] = {}


def _sample() -> None:
    """Every 0.1 s: the CPU of every OS thread, so that threads that end (FFmpeg's decoder
    threads close with the clip, MediaPipe's with the model) are counted to within 0.1 s."""
    while True:
        for t in threading.enumerate():
            if t.native_id is not None:
                _PY_NAMES[t.native_id] = t.name
        for t in _threads():
            t["name"] = _PY_NAMES.get(t["tid"], t["name"])
            _SEEN[t["tid"]] = t
        time.sleep(0.1)


def dump(tag: str) -> None:
    if not OUT:
        return
    ru = resource.getrusage(resource.RUSAGE_SELF)
    rc = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = {"pid": os.getpid(), "tag": tag, "self_cpu_s": ru.ru_utime + ru.ru_stime,
            "children_cpu_s": rc.ru_utime + rc.ru_stime, "maxrss_kb": ru.ru_maxrss,
            "threads": list({**_SEEN, **{t["tid"]: t for t in _threads()}}.values()),
            "events": list(_EVENTS), "stages": dict(_STAGES)}
    with open(os.path.join(OUT, f"{os.getpid()}.json"), "w") as f:
        json.dump(data, f, indent=1)


def _install() -> None:
    """Hooks in this process (parent or spawned worker)."""
    import cProfile
    import pstats

    from formcheck import local_workers, parallel, video

    threading.Thread(target=_sample, name="cpu-profile-sampler", daemon=True).start()

    orig_iter = video.iter_frames

    def timed_iter(*a, **k):
        """iter_frames with the CPU of its own thread split: inside the generator (decode +
        skip + conversion, Python side; FFmpeg's frame threads are separate OS threads)."""
        gen = orig_iter(*a, **k)
        n = 0
        try:
            while True:
                c0 = time.thread_time()
                try:
                    f = next(gen)
                except StopIteration:
                    _add("iter_frames (decode thread)", time.thread_time() - c0)
                    break
                _add("iter_frames (decode thread)", time.thread_time() - c0)
                n += 1
                yield f
        finally:
            _add("frames yielded", n)
            gen.close()

    video.iter_frames = timed_iter

    orig_track = parallel.track_chunk

    def profiled_track(*a, **k):
        chunk = a[1]
        _EVENTS.append((f"chunk {chunk.index} start", time.monotonic()))
        prof = cProfile.Profile(time.thread_time)
        c0 = time.thread_time()
        prof.enable()
        try:
            return orig_track(*a, **k)
        finally:
            prof.disable()
            _add(f"track_chunk thread CPU (chunk {chunk.index})", time.thread_time() - c0)
            _EVENTS.append((f"chunk {chunk.index} end", time.monotonic()))
            st = pstats.Stats(prof)
            for (file, _line, fn), (_cc, _nc, tt, ct, _callers) in st.stats.items():
                if fn == "process" and file.endswith("pose.py"):
                    _add(f"PoseEstimator.process incl. (chunk {chunk.index})", ct)
                if fn == "others_in_picture":
                    _add(f"others_in_picture (chunk {chunk.index})", ct)
            if OUT:
                st.dump_stats(os.path.join(OUT, f"{os.getpid()}-chunk{chunk.index}.prof"))

    parallel.track_chunk = profiled_track

    orig_worker = local_workers._worker_main

    def worker_main(conn):
        class Conn:
            def send(self, msg):
                if msg[0] == "ready":
                    _EVENTS.append(("ready", time.monotonic()))
                conn.send(msg)
                if msg[0] in ("done", "error"):
                    dump("worker")

            def recv(self):
                m = conn.recv()
                _EVENTS.append(("received " + str(m[0]), time.monotonic()))
                return m

        orig_worker(Conn())

    worker_main.__module__ = local_workers.__name__
    worker_main.__qualname__ = "_worker_main"
    local_workers._worker_main = worker_main


if OUT:
    _install()


def main() -> int:
    import argparse
    import glob
    import tempfile

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    ap.add_argument("cli", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    out = args.out or tempfile.mkdtemp(prefix="fc-cpu-")
    os.makedirs(out, exist_ok=True)
    for f in glob.glob(os.path.join(out, "*")):
        os.unlink(f)
    os.environ["FC_CPU_PROFILE_DIR"] = out
    global OUT
    OUT = out
    _install()
    from formcheck import cli as fc_cli
    import logging

    class Split(logging.Handler):
        def emit(self, record):
            _EVENTS.append((record.getMessage()[:160], time.monotonic()))

    logging.getLogger("formcheck").addHandler(Split())
    logging.getLogger("formcheck").setLevel(logging.INFO)
    sys.argv = ["formcheck"] + cli
    try:
        rc = fc_cli.main()
    except SystemExit as exc:
        rc = exc.code
    _EVENTS.append(("end", time.monotonic()))
    dump("parent")
    summarize(out)
    return rc or 0


def summarize(out: str) -> None:
    import glob

    files = [json.load(open(f)) for f in glob.glob(os.path.join(out, "*.json"))]
    parent = next(d for d in files if d["tag"] == "parent")
    t0 = parent["events"][0][1]
    total = parent["self_cpu_s"] + parent["children_cpu_s"]
    print(f"\nCPU-s whole run (parent + children, getrusage): {total:.2f}  "
          f"(parent {parent['self_cpu_s']:.2f}, children {parent['children_cpu_s']:.2f})")
    print(f"wall (in-process, start to end): {parent['events'][-1][1] - t0:.2f} s")
    for d in sorted(files, key=lambda d: d["tag"] != "parent"):
        print(f"\n== {d['tag']} pid {d['pid']}: self CPU {d['self_cpu_s']:.2f} s")
        by: dict[str, float] = {}
        for t in d["threads"]:
            by[t["name"]] = by.get(t["name"], 0.0) + t["cpu_s"]
        for name, s in sorted(by.items(), key=lambda x: -x[1]):
            if s >= 0.05:
                print(f"   thread {name:40s} {s:7.2f}")
        print(f"   not seen (ended within 0.1 s of their start) "
              f"{d['self_cpu_s'] - sum(by.values()):7.2f}")
        for k, v in sorted(d["stages"].items()):
            print(f"   stage  {k:55s} {v:8.2f}")
        for name, t in d["events"]:
            print(f"   t={t - t0:7.2f}  {name}")


if __name__ == "__main__":
    sys.exit(main())
