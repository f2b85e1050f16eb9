#!/usr/bin/env python3
"""Speed of the pure analysis (landmarks -> reps, metrics, feedback), without the pose model:
frames per second over saved landmark files (.npz, e.g. an `eval --cache` folder), best of 3.
The clip path's time is the model's (50-80 frames/s here) plus this; compare two commits by
running it on each with the same folder.

    .venv/bin/python benchmarks/bench_analysis.py DIR_WITH_NPZ [--profile general]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from formcheck.landmarks import load_npz
from formcheck.pipeline import analyze_landmarks
from formcheck.thresholds import get_profile


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--profile", default="general")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    raws = [load_npz(p) for p in sorted(args.folder.glob("*.npz"))]
    if not raws:
        raise SystemExit(f"no .npz landmark files in {args.folder}")
    n = sum(len(r) for r in raws)
    th = get_profile(args.profile)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for r in raws:
            analyze_landmarks(r, th, args.profile)
        best = min(best, time.perf_counter() - t0)
    print(f"{len(raws)} files, {n} frames: analysis {best:.2f} s, {n / best:.0f} frames/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
