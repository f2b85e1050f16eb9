#!/usr/bin/env python3
"""Speed and memory of `formcheck analyze` against the bare MediaPipe loop.

    .venv/bin/python benchmarks/bench_speed.py [--clip PATH ...] [--make-clips] [--skip-memory]
                                               [--append] [--backend tasks|legacy]
    .venv/bin/python benchmarks/bench_speed.py --backends legacy=.venv/bin/python,tasks=VENV/bin/python
      (VENV: one with mediapipe 1.x, e.g. .venv313; same Python as .venv for a fair comparison)

Benchmark clips are made from the project's fixture (videos/fixtures/side_knees_past_toes.mp4)
into out/bench/ (gitignored) when missing or with --make-clips:
  bench_30fps_720p.mp4    1280x720, 30 fps, ~20 s   (fixture upscaled, looped)
  bench_60fps_1080p.mp4   1920x1080, 60 fps, ~20 s  (fixture upscaled, 24->60 fps by blending
                                                     neighbouring frames, looped)
  bench_10min_1080p.mp4   1920x1080, 30 fps, 10 min (a 20 s ultrafast segment, its packets
                                                     repeated with shifted timestamps)
The protocol of issue 20 (benchmarks/protocol.py): refused when the 1-minute load average is
1.0 or more (--force: printed only, never written); `uptime` before and after; for each clip,
whole processes alternated for --rounds rounds (>= 3), medians: (a) the bare loop
(benchmarks/bare_loop.py: decode every frame with PyAV, RGB, mp.solutions.pose full model on
each, no drawing); (b) `formcheck analyze CLIP --report r.json` (the CLI's defaults). The 60 fps clip is also analysed at full rate (max_fps=None)
to show that the reps and their metrics agree. Peak memory: `formcheck analyze` on the 10-minute
clip in a subprocess (ru_maxrss from wait4). Results go to benchmarks/RESULTS.md.

--backends NAME=PYTHON,...: the pose backends against each other instead (the legacy one needs
mediapipe 0.10.21, so each runs in its own interpreter): for each clip, `analyze` once per
backend, each in a fresh subprocess of its Python, one after the other; the table gives each
backend's wall and CPU seconds and their ratio to the first (target: within 1.10).
The machine is shared: timings are noisy; run it twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import protocol  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"
BENCH = ROOT / "out" / "bench"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
CLIPS = {  # name: (width, height, fps, seconds)
    "bench_30fps_720p.mp4": (1280, 720, 30.0, 20.0),
    "bench_60fps_1080p.mp4": (1920, 1080, 60.0, 20.0),
}
LONG = "bench_10min_1080p.mp4"


# ------------------------------------------------------------------------------- clips


def read_fixture(path: Path) -> tuple[list[np.ndarray], float]:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return frames, float(s.average_rate or 24)


def fit(rgb: np.ndarray, w: int, h: int) -> np.ndarray:
    """Scale to height h (or width w) and pad with the picture's edge colour to w x h."""
    import cv2

    sh, sw = rgb.shape[:2]
    k = min(h / sh, w / sw)
    small = cv2.resize(rgb, (int(sw * k) // 2 * 2, int(sh * k) // 2 * 2), interpolation=cv2.INTER_LINEAR)
    out = np.empty((h, w, 3), np.uint8)
    out[:] = np.median(rgb[:, :4].reshape(-1, 3), axis=0).astype(np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def frame_at(src: list[np.ndarray], src_fps: float, t: float) -> np.ndarray:
    """The looped source at time t, blending the two nearest source frames."""
    pos = (t * src_fps) % len(src)
    i = int(pos)
    a = pos - i
    if a < 1e-3:
        return src[i]
    j = (i + 1) % len(src)
    return (src[i] * (1 - a) + src[j] * a).astype(np.uint8)


def encode(path: Path, src, src_fps, w, h, fps, seconds, preset="veryfast") -> None:
    import av

    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        st = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.options = {"preset": preset, "crf": "20", "bframes": "0"}
        for k in range(int(round(seconds * fps))):
            img = fit(frame_at(src, src_fps, k / fps), w, h)
            out.mux(st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        out.mux(st.encode(None))
    tmp.replace(path)


def loop_packets(segment: Path, path: Path, seconds: float) -> None:
    """Repeat a segment's packets (no re-encoding) with shifted timestamps: genuine video."""
    import av

    tmp = path.with_suffix(".part.mp4")
    with av.open(str(segment)) as src, av.open(str(tmp), "w") as out:
        ins = src.streams.video[0]
        outs = out.add_stream_from_template(ins)
        pkts = [p for p in src.demux(ins) if p.size]
        step = pkts[1].pts - pkts[0].pts
        seg = (max(p.pts for p in pkts) - min(p.pts for p in pkts)) + step
        loops = int(np.ceil(seconds / float(seg * ins.time_base)))
        for k in range(loops):
            for p in pkts:
                q = av.Packet(bytes(p))
                q.pts, q.dts = p.pts + k * seg, p.dts + k * seg
                q.is_keyframe, q.time_base, q.stream = p.is_keyframe, ins.time_base, outs
                out.mux(q)
    tmp.replace(path)


def make_clips(force: bool, long: bool = True) -> None:
    if not FIXTURE.exists():
        sys.exit(f"{FIXTURE} is missing: run tools/make_fixtures.py first, or pass --clip PATH.")
    BENCH.mkdir(parents=True, exist_ok=True)
    src, src_fps = read_fixture(FIXTURE)
    for name, (w, h, fps, sec) in CLIPS.items():
        if force or not (BENCH / name).exists():
            print(f"making {name} ...", file=sys.stderr)
            encode(BENCH / name, src, src_fps, w, h, fps, sec)
    if long and (force or not (BENCH / LONG).exists()):
        print(f"making {LONG} ...", file=sys.stderr)
        seg = BENCH / "segment_20s_1080p30.mp4"
        encode(seg, src, src_fps, 1920, 1080, 30.0, 20.0, preset="ultrafast")
        loop_packets(seg, BENCH / LONG, 600.0)
        seg.unlink()


# ---------------------------------------------------------------------------- timings


def cpu_s() -> float:
    """CPU seconds used by this process, all threads (less disturbed by other users than wall)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


BACKEND: str | None = None  # --backend; None = formcheck's default


def bare_loop(path: Path) -> tuple[float, float, int]:
    """Decode every frame, convert to RGB, run the full BlazePose model on it: (wall, cpu, n)."""
    import av
    import mediapipe as mp
    from formcheck.pose import bundled_model, default_backend

    t0, c0 = time.perf_counter(), cpu_s()
    n = 0
    if (BACKEND or default_backend()) == "legacy":
        with mp.solutions.pose.Pose(model_complexity=1) as pose, av.open(str(path)) as c:
            for frame in c.decode(c.streams.video[0]):
                pose.process(frame.to_ndarray(format="rgb24"))
                n += 1
        return time.perf_counter() - t0, cpu_s() - c0, n
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    opts = PoseLandmarkerOptions(base_options=BaseOptions(model_asset_buffer=bundled_model()),
                                 running_mode=RunningMode.VIDEO)
    with PoseLandmarker.create_from_options(opts) as pose, av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=frame.to_ndarray(format="rgb24"))
            pose.detect_for_video(img, int(frame.time * 1000) if frame.time is not None else n * 33)
            n += 1
    return time.perf_counter() - t0, cpu_s() - c0, n


def analyze(path: Path, max_fps: float | None):
    """formcheck.pipeline.analyze_video: (wall, cpu, Analysis)."""
    from formcheck.pipeline import analyze_video
    from formcheck.thresholds import get_profile

    t0, c0 = time.perf_counter(), cpu_s()
    a, _ = analyze_video(path, get_profile("general"), "general", max_fps=max_fps, backend=BACKEND)
    return time.perf_counter() - t0, cpu_s() - c0, a


def analyze_child(python: str, backend: str, clip: Path) -> dict:
    """`analyze` in a fresh subprocess of another interpreter: its wall/cpu seconds and reps."""
    p = subprocess.run([python, str(Path(__file__).resolve()), "--analyze-only", str(clip),
                        "--backend", backend], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{python} --backend {backend} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_backends(clips: list[Path], backends: list[tuple[str, str]]) -> list[str]:
    from formcheck.video import probe

    names = [b for b, _ in backends]
    lines = ["| clip | frames | " + " | ".join(f"{b} s (cpu s)" for b in names) + " | "
             + " | ".join(f"{b}/{names[0]} wall (cpu)" for b in names[1:]) + " | reps | target |",
             "|---|---|" + "---|" * (2 * len(names) - 1) + "---|---|"]
    for clip in clips:
        info = probe(clip)
        got = [analyze_child(py, b, clip) for b, py in backends]
        base = got[0]
        ratios = [(g["wall"] / base["wall"], g["cpu"] / base["cpu"]) for g in got[1:]]
        met = all(c <= 1.10 for _, c in ratios)
        lines.append(
            f"| {clip.name} | {got[0]['frames']} | "
            + " | ".join(f"{g['wall']:.1f} ({g['cpu']:.1f})" for g in got) + " | "
            + " | ".join(f"{w:.2f} ({c:.2f})" for w, c in ratios) + " | "
            + "/".join(str(g["reps"]) for g in got)
            + f" | within 1.10 (cpu): {'met' if met else 'MISSED'} |")
        print(lines[-1], file=sys.stderr)
        _ = info
    return lines + [""] + [f"- {b}: {py} (mediapipe {analyze_child_version(py)})" for b, py in backends] + [""]


def analyze_child_version(python: str) -> str:
    p = subprocess.run([python, "-c", "import mediapipe, sys; print(mediapipe.__version__, "
                        "sys.version.split()[0])"], capture_output=True, text=True)
    v = p.stdout.split()
    return f"{v[0]}, Python {v[1]}" if len(v) == 2 else "?"


def peak_rss_mb(path: Path) -> tuple[float, float, str]:
    """`formcheck analyze` in a subprocess: (peak RSS MB, seconds, summary's first line)."""
    cli = [sys.executable, "-m", "formcheck.cli", "analyze", str(path)]
    t0 = time.perf_counter()
    p = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError(f"formcheck analyze failed ({p.returncode})")
    return ru.ru_maxrss / 1024, time.perf_counter() - t0, (out.strip().splitlines() or [""])[0]


# ----------------------------------------------------------------------------- report


def fmt_rep(m, a) -> str:
    def f(x, spec):
        return "-" if x is None else format(x, spec)

    return (f"| {m.index} | {m.bottom_s:.2f} | {a.depth} | {f(m.thigh_angle_deg, '+.1f')} | "
            f"{f(m.knee_flexion_deg, '.1f')} | {f(m.knee_over_toe_ratio, '+.2f')} | "
            f"{f(m.shin_angle_deg, '.1f')} | {a.knee_past_toes} |")


def rep_table(label: str, a) -> list[str]:
    rows = [f"**{label}**: {a.rep_count} reps, view {a.view.view}, {len(a.clean_seq)} frames analysed", "",
            "| rep | bottom s | depth | thigh deg | knee flex deg | knee/toe foot | shin deg | past toes |",
            "|---|---|---|---|---|---|---|---|"]
    return rows + [fmt_rep(m, s) for m, s in zip(a.metrics, a.assessments)] + [""]


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")),
               platform.processor())
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, Python {platform.python_version()}"


def run(clips: list[Path], memory: bool, rounds: int = protocol.MIN_ROUNDS) -> list[str]:
    """Per clip, whole processes alternated (benchmarks/protocol.py): the bare loop
    (bare_loop.py) and `formcheck analyze CLIP --report r.json`; medians and their ratio."""
    from formcheck.video import probe

    lines = [f"Whole processes, medians of {max(rounds, protocol.MIN_ROUNDS)} alternated rounds.", "",
             "| clip | fps | resolution | bare loop s | `formcheck analyze --report` s | "
             "bare / analyze | runs (bare; analyze) |", "|---|---|---|---|---|---|---|"]
    extra: list[str] = []
    report = BENCH / "speed-report.json"
    BENCH.mkdir(parents=True, exist_ok=True)
    for clip in clips:
        info = probe(clip)
        walls = protocol.alternate({"bare": protocol.bare_loop_cmd(clip),
                                    "analyze": protocol.analyze_cmd(clip, "--report", str(report))},
                                   rounds)
        bare_s, an_s = protocol.median(walls["bare"]), protocol.median(walls["analyze"])
        lines.append(f"| {clip.name} | {info.fps:.2f} | {info.width_px}x{info.height_px} | "
                     f"{bare_s:.1f} | {an_s:.1f} | **{bare_s / an_s:.2f}x** | "
                     f"{protocol.spread(walls['bare'])}; {protocol.spread(walls['analyze'])} |")
        print(lines[-1], file=sys.stderr)
        if info.fps > 31:
            _, _, a = analyze(clip, 30.0)
            full_s, _, full = analyze(clip, None)
            extra += rep_table(f"{clip.name} analysed at 30 fps ({an_s:.1f} s)", a)
            extra += rep_table(f"{clip.name} analysed at full rate, max_fps=None ({full_s:.1f} s)", full)
    if memory and (BENCH / LONG).exists():
        info = probe(BENCH / LONG)
        rss, sec, summary = peak_rss_mb(BENCH / LONG)
        extra += [f"**Memory**: `formcheck analyze out/bench/{LONG}` ({info.width_px}x{info.height_px}, "
                  f"{info.fps:.0f} fps, {info.duration_s / 60:.1f} min): peak RSS **{rss:.0f} MB** "
                  f"(target < 1024 MB: {'met' if rss < 1024 else 'MISSED'}), {sec:.0f} s; "
                  f"summary: \"{summary}\"", ""]
        print(extra[-2], file=sys.stderr)
    return lines + [""] + extra


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", type=Path, help="benchmark this clip (repeatable)")
    p.add_argument("--make-clips", action="store_true", help="(re)make the clips in out/bench/")
    p.add_argument("--skip-memory", action="store_true", help="skip the 10-minute memory run")
    p.add_argument("--append", action="store_true", help="add this run to RESULTS.md")
    p.add_argument("--backend", choices=["tasks", "legacy"], help="pose backend (default: formcheck's)")
    p.add_argument("--backends", metavar="NAME=PYTHON,...",
                   help="compare pose backends, each run by its own Python (see above)")
    p.add_argument("--analyze-only", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=protocol.MIN_ROUNDS,
                   help=f"alternated rounds per clip (at least {protocol.MIN_ROUNDS})")
    p.add_argument("--force", action="store_true",
                   help="run although the machine is busy (printed only, not written)")
    args = p.parse_args()
    global BACKEND
    BACKEND = args.backend
    if args.analyze_only:
        wall, cpu, a = analyze(args.analyze_only, 30.0)
        print(json.dumps({"wall": wall, "cpu": cpu, "reps": a.rep_count, "frames": len(a.clean_seq)}))
        return 0
    up_before = protocol.require_quiet(args.force)
    if not args.clip:
        make_clips(args.make_clips, long=not args.backends)
    clips = args.clip or [BENCH / n for n in CLIPS]
    if args.backends:
        pairs = [tuple(x.split("=", 1)) for x in args.backends.split(",")]
        body = run_backends(clips, pairs)
    else:
        body = run(clips, memory=not args.skip_memory and not args.clip, rounds=args.rounds)
    cmd = "python " + " ".join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])
    run_md = [f"## Run {dt.datetime.now().isoformat(timespec='seconds')}", "",
              f"- machine: {machine()}",
              f"- `uptime` at the start: {up_before}", f"- `uptime` at the end: {protocol.uptime()}",
              f"- pose backend: {args.backends or BACKEND or 'default'}",
              f"- command: `{cmd}`", ""] + body
    head = ["# formcheck speed benchmark", "",
            "bare loop = PyAV decode of every frame + RGB conversion + BlazePose full on each; "
            "analyze = `formcheck.pipeline.analyze_video` (30 fps cap, the CLI default). "
            "Wall seconds, and in brackets CPU seconds of the whole process (all threads): on a "
            "shared machine the CPU figures are the steadier comparison.", ""]
    print("\n".join(run_md))
    if protocol.busy_run(args.force, up_before):
        print(f"not written to {RESULTS.name}: the machine was busy", file=sys.stderr)
        return 0
    old = RESULTS.read_text().splitlines() if args.append and RESULTS.exists() else head
    RESULTS.write_text("\n".join(old + run_md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
