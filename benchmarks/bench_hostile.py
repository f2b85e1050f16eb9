"""Memory and time of refusing hostile files (issue: bounded work for any input).

Builds, in a temporary folder, (1) an export whose data.json inflates to 1.2 GB from ~1 MB,
(2) an export with a 400 MB member of zeros (a zip bomb among the files), and (3) a landmarks
file whose arrays really hold 10**6 frames (~930 MB uncompressed, ~1 MB on disk). Each is
given to formcheck in a fresh process; prints the error, the wall time and the process's own
peak resident memory (VmHWM).

    .venv/bin/python benchmarks/bench_hostile.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npf

N_LANDMARKS = 33
CHUNK = bytes(1 << 20)
PEAK = ("int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
        " / 1024")


def zeros(f, n: int) -> None:
    while n:
        k = min(n, len(CHUNK))
        f.write(CHUNK[:k])
        n -= k


def member(z: zipfile.ZipFile, name: str, n: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as f:
        zeros(f, n)


def bomb_export(path: Path, json_bytes: int = 0, file_bytes: int = 0) -> Path:
    manifest = '{"format": "formcheck-export", "version": 1}'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest)
        if json_bytes:
            member(z, "data.json", json_bytes)
        else:
            z.writestr("data.json", '{"clients": []}')
            member(z, "files/" + "0" * 64, file_bytes)
    return path


def claiming_npz(path: Path, n: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in (("format_version", np.array(1)), ("width_px", np.array(640)),
                            ("height_px", np.array(480)), ("fps", np.array(30.0)),
                            ("source", np.array("claims.mp4"))):
            with z.open(name + ".npy", "w") as f:
                npf.write_array(f, value)
        for name, shape, dtype in (("t_s", (n,), "<f8"), ("xy_px", (n, N_LANDMARKS, 2), "<f4"),
                                   ("z", (n, N_LANDMARKS), "<f4"),
                                   ("visibility", (n, N_LANDMARKS), "<f4"),
                                   ("world_m", (n, N_LANDMARKS, 3), "<f4")):
            info = zipfile.ZipInfo(name + ".npy")
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                npf.write_array_header_1_0(f, {"shape": shape, "fortran_order": False,
                                               "descr": dtype})
                zeros(f, int(np.prod(shape)) * np.dtype(dtype).itemsize)
    return path


def run(label: str, code: str, size: int) -> None:
    script = ("import sys, time\nt = time.perf_counter()\nfrom formcheck.errors import "
              "FormcheckError\ntry:\n    " + code + "\n    msg = 'accepted'\nexcept "
              "FormcheckError as e:\n    msg = str(e)\nprint(f'{time.perf_counter() - t:.2f}')\n"
              f"print({PEAK})\nprint(msg)")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    secs, peak, msg = r.stdout.split("\n", 2)
    print(f"{label:<44} file {size / 2**20:6.1f} MB  time {secs:>5} s  peak {float(peak):6.0f} MB")
    print(f"    -> {msg.strip()[:150]}")


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        db = f"sqlite:///{d / 'clinic.db'}"
        a = bomb_export(d / "bomb.zip", json_bytes=1200 * 2**20)
        run("import: data.json inflating to 1.2 GB",
            f"from formcheck.store import open_store; open_store({db!r}).import_({str(a)!r})",
            a.stat().st_size)
        b = bomb_export(d / "filebomb.zip", file_bytes=400 * 2**20)
        run("import: a 400 MB member of zeros",
            f"from formcheck.store import open_store; open_store({db!r}).import_({str(b)!r})",
            b.stat().st_size)
        c = claiming_npz(d / "claims.npz", 10**6)
        run("--from-landmarks: 10^6 frames claimed",
            f"from formcheck.landmarks import load_npz; load_npz({str(c)!r})", c.stat().st_size)


if __name__ == "__main__":
    main()
