#!/usr/bin/env python3
"""How much undoing the perspective moves the knees-in reading on real clips, and how steady the
world landmarks' knee depth it uses is (docs/ACCURACY.md, "Knees caving in: the peak FPPA").

    python tools/fppa_perspective_real.py --cache /work/lmcache [--json OUT.json]

For every rep with a knees-in reading in every cached clip (.npz): the peak FPPA, how much of it
the perspective is (valgus.KneeValgus.perspective_deg), its error, and over the rep's frames
the FPPA is read on, the knees' depth relative to the hips in the world landmarks (median, and
its frame-to-frame noise: the SD of the frame differences over sqrt 2).
"""
from __future__ import annotations

import argparse
import json
import statistics as st
import sys
from pathlib import Path

import numpy as np


def rep_rows(cache: Path) -> list[dict]:
    from formcheck.errors import FormcheckError
    from formcheck.landmarks import load_npz
    from formcheck.pipeline import analyze_landmarks
    from formcheck.thresholds import get_profile
    from formcheck.valgus import KNEE_BENT_MIN_DEPTH, KNEE_LEVEL_MAX_DEPTH

    rows = []
    for p in sorted(cache.glob("*.npz")):
        try:
            a = analyze_landmarks(load_npz(p), get_profile("general"), "general")
        except FormcheckError as e:
            print(f"{p.name}: {e}", file=sys.stderr)
            continue
        for m, r in zip(a.metrics, a.reps):
            v = m.valgus
            if v is None:
                continue
            rng = np.arange(r.start_i, r.end_i + 1)
            d = np.nan_to_num(a.series.depth[rng], nan=-1.0)
            w = a.clean_seq.world_m[rng[(d >= KNEE_BENT_MIN_DEPTH) & (d <= KNEE_LEVEL_MAX_DEPTH)]]
            kz = (w[:, 25, 2] + w[:, 26, 2] - w[:, 23, 2] - w[:, 24, 2]) / 2.0
            noise = float(np.nanstd(np.diff(kz)) / np.sqrt(2)) if len(kz) > 2 else float("nan")
            rows.append({"clip": p.stem, "rep": m.index, "view": m.view,
                         "fppa_deg": round(v.fppa_deg, 1),
                         "perspective_deg": None if v.perspective_deg is None
                         else round(v.perspective_deg, 2),
                         "fppa_err_deg": round(v.fppa_err_deg, 2),
                         "knee_nearer_m": round(-float(np.nanmedian(kz)), 3),
                         "knee_depth_noise_m": round(noise, 3), "flagged": v.caves_in()})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, required=True, help="cached landmarks (.npz per clip)")
    ap.add_argument("--json", type=Path, help="write the per-rep rows here")
    args = ap.parse_args(argv)
    rows = rep_rows(args.cache)
    if not rows:
        print(f"no rep with a knees-in reading in {args.cache}")
        return 1

    def span(key):
        v = [r[key] for r in rows if r[key] is not None and r[key] == r[key]]
        return f"median {st.median(v):+.3g}, {min(v):+.3g} .. {max(v):+.3g}"

    print(f"{len(rows)} reps with a knees-in reading")
    for key in ("perspective_deg", "fppa_err_deg", "knee_nearer_m", "knee_depth_noise_m"):
        print(f"  {key}: {span(key)}")
    for r in rows:
        if r["flagged"]:
            print(f"  flagged: {r}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
