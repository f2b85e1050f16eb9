#!/usr/bin/env python3
"""Where `formcheck batch` spends its time and CPU, for a shared machine (issue 20): runs the
batch in this process (the parent under cProfile) and prints, from Dask's task stream, when
each worker process tracked what: the wait before its first chunk (cluster start, hashing and
probing the clips, the worker's MediaPipe import), the gaps between chunks, and how long the
first worker to finish sat idle at the end (the tail); plus CPU seconds of the parent and the
children (getrusage). CPU seconds and gaps, not speed figures: the lead measures wall-clock
speed on a quiet machine.

    PYTHONPATH=src .venv/bin/python benchmarks/batch_profile.py FOLDER --out OUT_DIR --workers 2
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import time

T0 = time.monotonic()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()

    from pathlib import Path

    from formcheck import batch
    from formcheck.engine import Engine
    from formcheck.thresholds import get_profile

    clips = batch.find_clips([args.folder])
    settings = batch.BatchSettings(get_profile("general"), "general", "auto")
    prof = cProfile.Profile()
    wall0 = time.time()
    t_start = time.monotonic()
    finished: list[tuple[float, str]] = []
    engine = Engine(workers=args.workers)
    start = Engine._start

    def start_and_record(self):
        start(self)
        self._client.get_task_stream(count=1)   # the scheduler records tasks from now on

    Engine._start = start_and_record
    stream = None
    prof.enable()
    try:
        outcomes = batch.run_batch(clips, Path(args.out), settings, engine,
                                   on_clip=lambda oc: finished.append(
                                       (time.monotonic() - t_start, oc.clip.name)))
        t_done = time.monotonic() - t_start
        stream = engine.client.get_task_stream(start=wall0) if engine._client else []
    finally:
        prof.disable()
        engine.close()
    t_closed = time.monotonic() - t_start
    ru_self = resource.getrusage(resource.RUSAGE_SELF)
    ru_kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"clips: {len(outcomes)} ({sum(o.status == 'done' for o in outcomes)} done); "
          f"run_batch {t_done:.2f} s, closed {t_closed:.2f} s after its start; interpreter "
          f"and imports before it: {t_start - T0:.2f} s")
    print(f"CPU-s parent {ru_self.ru_utime + ru_self.ru_stime:.2f}, children (workers, "
          f"after close) {ru_kids.ru_utime + ru_kids.ru_stime:.2f}")
    by_worker: dict[str, list[tuple[float, float, str]]] = {}
    for t in stream or []:
        for s in t.get("startstops", []):
            if s.get("action") == "compute":
                by_worker.setdefault(t["worker"], []).append(
                    (s["start"] - wall0, s["stop"] - wall0, t["key"][-3:]))
    ends = []
    for w, spans in sorted(by_worker.items()):
        spans.sort()
        gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:])]
        ends.append(spans[-1][1])
        print(f"worker {w[-5:]}: {len(spans)} chunk(s), first starts {spans[0][0]:.2f} s, "
              f"last ends {spans[-1][1]:.2f} s, busy {sum(b - a for a, b, _ in spans):.2f} s, "
              f"gaps {sum(gaps):.2f} s (max {max(gaps, default=0.0):.2f})")
        print("   " + ", ".join(f"{a:.1f}-{b:.1f}" for a, b, _ in spans))
    if len(ends) > 1:
        print(f"tail: the first worker to finish waited {max(ends) - min(ends):.2f} s for the "
              f"last; run_batch returned {t_done - max(ends):.2f} s after the last chunk")
    print("clips written at (s): " + ", ".join(f"{t:.1f}" for t, _ in finished))
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
