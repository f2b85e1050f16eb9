"""The benchmark protocol of issue 20, shared by bench_speed.py, bench_parallel.py and
bench_startup.py:

- a quiet machine: `uptime` is recorded before and after; a run whose 1-minute load average is
  1.0 or more at the start is refused (exit 2; --force runs it anyway, and the run says so);
- ratios from one run, the arms alternated A B A B ... (>= 3 rounds), each arm's median;
- whole processes: each arm is a fresh command, timed from its start to its exit;
- the bare loop is `mp.solutions.pose` (full model, every frame, no drawing) on the same file
  (benchmarks/bare_loop.py).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUIET_LOAD = 1.0
MIN_ROUNDS = 3


def uptime() -> str:
    return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip()


def require_quiet(force: bool) -> str:
    """`uptime` now; exits 2 when the 1-minute load average is QUIET_LOAD or more (unless
    `force`): such a run is discarded, not reported."""
    up = uptime()
    load1 = os.getloadavg()[0]
    print(f"uptime before: {up}", file=sys.stderr)
    if load1 >= QUIET_LOAD:
        msg = (f"the 1-minute load average is {load1:.2f} (>= {QUIET_LOAD}): the machine is not "
               "quiet, so speed figures would be wrong.")
        if not force:
            print(f"refused: {msg} Stop other jobs and run again (--force to run anyway; such "
                  "a run is not reported).", file=sys.stderr)
            sys.exit(2)
        print(f"--force: {msg} Figures of this run are NOT to be reported.", file=sys.stderr)
    return up


def busy_run(force: bool, up_before: str) -> bool:
    """A forced run on a busy machine: printed, never written to the results files."""
    return force and float(up_before.rsplit("load average:", 1)[1].split(",")[0]) >= QUIET_LOAD


def bare_loop_cmd(clip: Path) -> list[str]:
    return [sys.executable, str(HERE / "bare_loop.py"), str(clip)]


def analyze_cmd(clip: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "formcheck.cli", "analyze", str(clip), *extra]


def time_process(argv: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """(wall seconds from start to exit, exit code, stdout) of one command."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       env=env)
    return time.perf_counter() - t0, p.returncode, p.stdout


def alternate(arms: dict[str, list[str]], rounds: int = MIN_ROUNDS,
              prepare=None) -> dict[str, list[float]]:
    """Each arm's wall seconds over `rounds` rounds, run in turn A B C A B C ...; `prepare(name)`
    runs before each run (e.g. to empty an output folder). A failed run stops the benchmark."""
    rounds = max(rounds, MIN_ROUNDS)
    walls: dict[str, list[float]] = {name: [] for name in arms}
    for r in range(rounds):
        for name, argv in arms.items():
            if prepare is not None:
                prepare(name)
            wall, code, _ = time_process(argv)
            if code not in (0, 3):
                raise RuntimeError(f"{name} exited {code}: {' '.join(argv)}")
            walls[name].append(wall)
            print(f"  round {r + 1}: {name}: {wall:.2f} s", file=sys.stderr)
    return walls


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def spread(xs: list[float]) -> str:
    return "/".join(f"{x:.1f}" for x in xs)
