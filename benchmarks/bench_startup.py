#!/usr/bin/env python3
"""Fixed costs of `formcheck analyze` (issue 20): imports, process start to first tracked frame,
model creation, and the start-up and stop of a local worker process.

    .venv/bin/python benchmarks/bench_startup.py [--clip PATH] [--rounds N] [--force]

Follows benchmarks/protocol.py (refused at a 1-minute load average >= 1.0 unless --force;
`uptime` before and after; medians of >= 3 rounds, fresh processes, alternated):

- import: `python -X importtime -c "import MODULE"` in a fresh interpreter, the module's
  cumulative microseconds (MediaPipe, SciPy's signal, Dask distributed, SQLAlchemy, fpdf,
  matplotlib, PyAV, OpenCV, and formcheck.cli itself);
- what `formcheck analyze --workers 1` imports beyond the CLI (`-X importtime` of a real run:
  the heavy modules it loads, so a module imported where it is not used shows up);
- process start to first tracked frame: a fresh process that does what `analyze` does up to the
  first frame (import the CLI, probe, decode, create the model, track one frame), timed from its
  spawn to the frame (CLOCK_MONOTONIC is shared between processes);
- model creation: PoseEstimator() alone, in that process;
- a worker: Engine(workers=2, track_here=True)._start_workers() (what `analyze` starts: one
  plain spawned process, local_workers.py, MediaPipe loaded in it), then Engine.close(): wall
  seconds of each. The first, times the tracking rate, is engine.STARTUP_VIDEO_S; the second is
  in parallel.STOP_COST_S. For comparison the same for a Dask local cluster of one worker (what
  `formcheck batch` and the app start: scheduler, nanny, worker, TLS).

Prints a table (nothing is written: copy a quiet run's table into benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import protocol  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_past_toes.mp4"
MODULES = ["mediapipe", "scipy.signal", "distributed", "sqlalchemy", "fpdf", "matplotlib.pyplot",
           "av", "cv2", "formcheck.cli"]
HEAVY = {"mediapipe", "scipy", "scipy.signal", "distributed", "dask", "sqlalchemy", "fpdf",
         "matplotlib", "matplotlib.pyplot", "av", "cv2", "cryptography", "psycopg", "alembic",
         "streamlit", "argon2"}

FIRST_FRAME = r"""
import sys, time
spawned = float(sys.argv[2])
t0 = time.monotonic()
import formcheck.cli  # noqa: F401
from formcheck.pose import PoseEstimator
from formcheck.video import iter_frames, prefetch, probe
info = probe(sys.argv[1])
frames = prefetch(iter_frames(sys.argv[1]))
m0 = time.monotonic()
est = PoseEstimator()
m1 = time.monotonic()
first = next(frames)
est.process(first.rgb, info.width_px, info.height_px, t_s=first.t_s)
now = time.monotonic()
print(f"{now - spawned:.4f} {m1 - m0:.4f} {t0 - spawned:.4f}")
est.close()
"""

WORKER = r"""
import sys, time
from formcheck.engine import Engine
if __name__ == "__main__":
    eng = Engine(workers=2, track_here=True) if sys.argv[1] == "plain" else Engine(workers=1)
    t0 = time.monotonic()
    eng._start_workers()
    t1 = time.monotonic()
    eng.close()
    print(f"{t1 - t0:.4f} {time.monotonic() - t1:.4f}")
"""


def import_s(module: str) -> float:
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    for line in reversed(p.stderr.splitlines()):
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == module:
            return int(parts[1]) / 1e6
    raise RuntimeError(f"no import time for {module}")


def analyze_imports(clip: Path) -> list[tuple[str, float]]:
    """Heavy modules a real `formcheck analyze --workers 1 --report` run imports."""
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "formcheck.cli", "analyze",
                        str(clip), "--workers", "1", "--report", str(out / "startup.json")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    got = []
    for line in p.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() in HEAVY:
            got.append((parts[2].strip(), int(parts[1]) / 1e6))
    return got


def first_frame(clip: Path) -> tuple[float, float, float]:
    spawned = time.monotonic()
    p = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(clip), repr(spawned)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    total, model, interp = (float(x) for x in p.stdout.split())
    return total, model, interp


def worker(kind: str) -> tuple[float, float]:
    p = subprocess.run([sys.executable, "-c", WORKER, kind], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, check=True)
    start, stop = (float(x) for x in p.stdout.split()[-2:])
    return start, stop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--rounds", type=int, default=protocol.MIN_ROUNDS)
    ap.add_argument("--force", action="store_true", help="run although the machine is busy")
    args = ap.parse_args()
    up_before = protocol.require_quiet(args.force)
    rounds = max(args.rounds, protocol.MIN_ROUNDS)
    imports: dict[str, list[float]] = {m: [] for m in MODULES}
    ff: list[tuple[float, float, float]] = []
    wk: list[tuple[float, float]] = []
    dk: list[tuple[float, float]] = []
    for r in range(rounds):           # alternated: one of each per round
        for m in MODULES:
            imports[m].append(import_s(m))
        ff.append(first_frame(args.clip))
        wk.append(worker("plain"))
        dk.append(worker("dask"))
        print(f"  round {r + 1} done", file=sys.stderr)
    med = protocol.median
    lines = [f"- `uptime` at the start: {up_before}", f"- `uptime` at the end: {protocol.uptime()}",
             f"- medians of {rounds} rounds" + (" (--force: busy machine, NOT reportable)"
                                                if protocol.busy_run(args.force, up_before)
                                                else ""), "",
             "| fixed cost | seconds (median) | runs |", "|---|---|---|"]
    for m in MODULES:
        lines.append(f"| `import {m}` (fresh interpreter, cumulative) | {med(imports[m]):.2f} | "
                     f"{protocol.spread(imports[m])} |")
    for k, label in enumerate(["process start to first tracked frame",
                               "model creation (PoseEstimator)", "interpreter start"]):
        xs = [x[k] for x in ff]
        lines.append(f"| {label} | {med(xs):.2f} | {protocol.spread(xs)} |")
    for runs, what in ((wk, "analyze: a plain worker process"),
                       (dk, "batch/app: a Dask local cluster of one worker, TLS")):
        for k, label in enumerate(["up, MediaPipe loaded", "stopped (Engine.close)"]):
            xs = [x[k] for x in runs]
            lines.append(f"| {what}: {label} | {med(xs):.2f} | {protocol.spread(xs)} |")
    lines += ["", f"Heavy modules imported by `formcheck analyze {args.clip.name} --workers 1 "
              "--report` (one run, cumulative s): " + ", ".join(
                  f"{m} {s:.2f}" for m, s in analyze_imports(args.clip))]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
