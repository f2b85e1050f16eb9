#!/usr/bin/env python3
"""Chunk-parallel tracking against sequential tracking, on every clip of ../shared/videos.

    .venv/bin/python benchmarks/bench_parity.py [--videos DIR] [--cache DIR] [--workers 2]
                                               [--chunks N] [--min-chunk-s S] [--out FILE.md]

Sequential landmarks: pose.track_video (what `formcheck analyze --workers 1` runs), kept in
--cache/seq (e.g. written before by `formcheck eval --cache DIR/seq`). Parallel landmarks: the
local Dask engine, each clip split into one chunk per worker, chunks of at least --min-chunk-s,
the first --head-start-s longer (`formcheck analyze` tracks the first chunk in its own process,
which has tracked some seconds of video by the time the worker processes are ready: the head
start is that plus the 1-s overlap, 3-8 s seen; default 6), kept in --cache/par-N-S[-hH]. Both go through the same pure
analysis; the table compares rep counts and, rep by rep, the bottom time, the thigh angle and
knee-over-toe. Tolerances (issue 9): bottoms within 0.1 s, thigh angle within 2 deg,
knee-over-toe within 0.05 foot lengths. Keep the cache outside the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOL = {"bottom_s": 0.1, "thigh_angle_deg": 2.0, "knee_over_toe_ratio": 0.05}


def diff(a, b) -> float:
    """|a - b|; 0 when both are unmeasured, infinite when only one is."""
    if a is None and b is None:
        return 0.0
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return 0.0 if (a is None or not math.isfinite(a)) and (b is None or not math.isfinite(b)) else math.inf
    return abs(a - b)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "videos")
    p.add_argument("--cache", type=Path, required=True, help="folder outside the repo")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--chunks", type=int, default=None, help="chunks per clip (default: workers)")
    p.add_argument("--min-chunk-s", type=float, default=None)
    p.add_argument("--head-start-s", type=float, default=None,
                   help="extra video seconds of the first chunk (default 6)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "PARITY.md")
    args = p.parse_args()
    if not args.videos.is_dir():
        sys.exit(f"{args.videos} not found: the development clips are needed.")

    from formcheck.analysis import analyze_sequence
    from formcheck.engine import Engine, plan
    from formcheck.errors import FormcheckError
    from formcheck.landmarks import load_npz, save_npz
    from formcheck.parallel import MIN_CHUNK_S
    from formcheck.pose import track_video
    from formcheck.thresholds import get_profile

    th = get_profile("general")
    n_chunks = args.chunks or args.workers
    min_chunk_s = args.min_chunk_s if args.min_chunk_s is not None else MIN_CHUNK_S
    head_s = args.head_start_s if args.head_start_s is not None else 6.0
    clips = sorted(f for f in args.videos.iterdir() if f.suffix.lower() in (".mp4", ".mov", ".webm"))
    seq_dir = args.cache / "seq"
    par_dir = args.cache / (f"par-{n_chunks}-{min_chunk_s:g}" + (f"-h{head_s:g}" if head_s else ""))
    seq_dir.mkdir(parents=True, exist_ok=True)
    par_dir.mkdir(parents=True, exist_ok=True)

    seqs = {}
    for clip in clips:
        npz = seq_dir / (clip.stem + ".npz")
        if not npz.is_file():
            print(f"sequential: {clip.name}", file=sys.stderr)
            save_npz(track_video(clip), npz)
        seqs[clip.name] = load_npz(npz)

    pars, nchunks = {}, {}
    todo = []
    for clip in clips:
        job = plan(clip, n_chunks, min_chunk_s=min_chunk_s, head_start_s=head_s)
        nchunks[clip.name] = len(job.chunks)
        npz = par_dir / (clip.stem + ".npz")
        if npz.is_file():
            pars[clip.name] = load_npz(npz)
        else:
            todo.append(job)
    if todo:
        with Engine(workers=args.workers) as eng:
            for res in eng.run(todo):
                if res.error:
                    print(f"{res.job.path.name}: {res.error}", file=sys.stderr)
                    continue
                save_npz(res.seq, par_dir / (res.job.path.stem + ".npz"))
                (par_dir / (res.job.path.stem + ".rejoined")).write_text(str(res.rejoined))
                pars[res.job.path.name] = res.seq
                print(f"parallel: {res.job.path.name}", file=sys.stderr)

    rows, failures, split = [], 0, 0
    for clip in clips:
        name = clip.name
        try:
            a = analyze_sequence(seqs[name], th, "general")
            b = analyze_sequence(pars[name], th, "general")
        except FormcheckError as exc:
            rows.append(f"| {name} | {nchunks[name]} | | error: {exc} | | | | | |")
            failures += 1
            continue
        split += nchunks[name] > 1
        rj = par_dir / (clip.stem + ".rejoined")
        rejoined = int(rj.read_text()) if rj.is_file() else 0
        worst = {k: 0.0 for k in TOL}
        same_count = a.rep_count == b.rep_count
        if same_count:
            for ma, mb in zip(a.metrics, b.metrics):
                for k in TOL:
                    worst[k] = max(worst[k], diff(getattr(ma, k), getattr(mb, k)))
        ok = same_count and all(worst[k] <= TOL[k] for k in TOL)
        failures += not ok
        f = lambda x, spec: "n/a" if not same_count else ("one side only" if math.isinf(x) else format(x, spec))  # noqa: E731
        rows.append(f"| {name} | {nchunks[name]} | {rejoined} | {a.rep_count} | {b.rep_count} | "
                    f"{f(worst['bottom_s'], '.3f')} | {f(worst['thigh_angle_deg'], '.2f')} | "
                    f"{f(worst['knee_over_toe_ratio'], '.3f')} | {'ok' if ok else 'DIFFERENT'} |")
    load = os.getloadavg()
    cmd = "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])
    head = [f"## Parity run {dt.datetime.now().isoformat(timespec='seconds')}", "",
            f"- machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
            f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
            f"- command: `{cmd}`",
            f"- {len(clips)} clips, {split} of them split into chunks (chunks per clip: "
            f"{n_chunks}, at least {min_chunk_s:g} s each, the first {head_s:g} s longer, "
            f"{1.0:g} s overlap); "
            f"**{len(clips) - failures} of {len(clips)} within tolerance**", "",
            "| clip | chunks | seams re-tracked as one | reps sequential | reps parallel | "
            "max bottom diff s | max thigh diff deg | max knee/toe diff foot | verdict |",
            "|---|---|---|---|---|---|---|---|---|"]
    text = "\n".join(head + rows) + "\n"
    old = args.out.read_text() if args.out.exists() else (
        "# Chunk-parallel vs sequential tracking\n\nWritten by `benchmarks/bench_parity.py`. "
        "Tolerances: bottoms 0.1 s, thigh angle 2 deg, knee-over-toe 0.05 foot lengths.\n\n")
    args.out.write_text(old + text + "\n")
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
