"""Benchmark of the live path: the frame callback at 640x480 with the full model.

Measures, per frame, what LiveProcessor.recv does on the webrtc worker thread: av.VideoFrame ->
RGB, LiveSession.process (BlazePose full + filters + depth + counter), annotate_live, RGB ->
av.VideoFrame. Frames come from a fixture clip scaled and padded to 640x480 (decoded up front,
so decoding is not counted). Appends a row to benchmarks/LIVE_RESULTS.md.

    .venv/bin/python benchmarks/bench_live.py [--frames 300] [--clip PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from formcheck.live import LiveSession, annotate_live
from formcheck.video import iter_frames

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"
RESULTS = Path(__file__).with_name("LIVE_RESULTS.md")


def frames_640x480(clip: Path, n: int) -> list[av.VideoFrame]:
    base = []
    for f in iter_frames(clip):
        h, w = f.rgb.shape[:2]
        s = min(640 / w, 480 / h)
        img = cv2.resize(f.rgb, (int(w * s), int(h * s)), interpolation=cv2.INTER_AREA)
        canvas = np.full((480, 640, 3), 235, np.uint8)
        y0, x0 = (480 - img.shape[0]) // 2, (640 - img.shape[1]) // 2
        canvas[y0:y0 + img.shape[0], x0:x0 + img.shape[1]] = img
        base.append(canvas)
    out = []
    for i in range(n):
        vf = av.VideoFrame.from_ndarray(base[i % len(base)], format="rgb24").reformat(format="yuv420p")
        vf.pts, vf.time_base = i, Fraction(1, 30)
        out.append(vf)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--clip", type=Path, default=CLIP)
    args = ap.parse_args()
    frames = frames_640x480(args.clip, args.frames + 30)
    session = LiveSession()
    model_ms, total_ms = [], []
    t_wall = time.perf_counter()
    for i, vf in enumerate(frames):
        t0 = time.perf_counter()
        rgb = vf.to_ndarray(format="rgb24")
        r = session.process(rgb, i / 30.0)
        out = annotate_live(rgb, r, mirror_view=True)
        back = av.VideoFrame.from_ndarray(out, format="rgb24")
        dt_ms = (time.perf_counter() - t0) * 1000
        if i >= 30:  # warm-up
            model_ms.append(r.process_ms)
            total_ms.append(dt_ms)
        if i == 29:
            t_wall = time.perf_counter()
    wall = time.perf_counter() - t_wall
    session.close()
    fps = len(total_ms) / wall
    m, t = np.array(model_ms), np.array(total_ms)
    added = t - m
    row = (f"| {dt.datetime.now():%Y-%m-%d %H:%M} | {platform.node()} ({os.cpu_count()} cores) "
           f"| 640x480 | {len(t)} | {fps:.1f} | {np.median(t):.1f} / {np.percentile(t, 95):.1f} "
           f"| {np.median(m):.1f} | {np.median(added):.1f} / {np.percentile(added, 95):.1f} "
           f"| {r.reps} |")
    print(f"frames/s {fps:.1f}; callback median {np.median(t):.1f} ms, p95 "
          f"{np.percentile(t, 95):.1f} ms; model median {np.median(m):.1f} ms; added by the "
          f"callback beyond the model median {np.median(added):.1f} ms (p95 "
          f"{np.percentile(added, 95):.1f}); reps counted {r.reps}")
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Live path benchmark\n\n"
            "`benchmarks/bench_live.py`: the webrtc frame callback (frame -> RGB, BlazePose full "
            "model + live logic, overlay, RGB -> frame) at 640x480, frames decoded up front. "
            "Target: >= 20 frames/s with the full model.\n\n"
            "| when | machine | size | frames | frames/s | callback ms median / p95 "
            "| model ms median | added ms median / p95 | reps |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    with RESULTS.open("a") as f:
        f.write(row + "\n")


if __name__ == "__main__":
    main()
