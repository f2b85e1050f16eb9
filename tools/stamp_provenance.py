"""Name the pose model in cached landmark files saved before provenance was recorded.

`formcheck eval --cache DIR` keeps one landmarks file per clip; files written before the pose
backend was saved with the landmarks carry none, and formcheck then takes them for the legacy
backend's (metrics.thigh_bias_for, signal_depth_for): a Tasks-backend cache re-scored that way
gets the legacy corrections on every such clip (issue 19: 22 of the 29 clips of the Tasks
cache did). Run this with the Python environment whose pose backend MADE the cache; it writes
that environment's provenance (pose.provenance of pose.default_backend) into every file of DIR
that has none, keeping each file's modification time (so the cache stays fresh for eval).

    PYTHONPATH=src python tools/stamp_provenance.py LANDMARK_CACHE_DIR [--check]

--check only lists the files without provenance and the backend the others name.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from formcheck.landmarks import load_npz, save_npz
from formcheck.metrics import pose_backend_of
from formcheck.pose import default_backend, provenance


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    cache, check = Path(argv[0]), "--check" in argv[1:]
    backend = default_backend()
    named, bare = {}, []
    for p in sorted(cache.glob("*.npz")):
        seq = load_npz(p)
        b = pose_backend_of(seq.meta)
        if b:
            named.setdefault(b, []).append(p.name)
        else:
            bare.append((p, seq))
    for b, names in named.items():
        print(f"{len(names)} files name the {b} backend")
    if set(named) - {backend}:
        print(f"stamp_provenance: {cache} holds files of the {', '.join(sorted(named))} "
              f"backend(s) and this environment tracks with {backend}: run it with the "
              "environment that made the cache", file=sys.stderr)
        return 1
    for p, seq in bare:
        print(f"{p.name}: no provenance" + ("" if check else f" -> {backend}"))
        if check:
            continue
        st = p.stat()
        save_npz(seq.replace(meta={**seq.meta, "provenance": provenance(backend)}), p)
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
