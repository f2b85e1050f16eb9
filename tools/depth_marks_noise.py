"""How much of the depth number's spread against the hand marks the marks themselves carry
(issue 19).

DEPTH_PROTOCOL.md's marker estimates each joint centre to +-5-10 px. The thigh angle between two
points each off by s px (perpendicular to the thigh) over a thigh L px long is off by about
sqrt(2) s / L rad, so a rep's marks carry sqrt(2) s / L of angle noise on their own. Per marked rep
(side on and at an angle, with a number): the thigh's pixel length, that noise at s = 5 and 10 px,
and formcheck's cross-validated error (the keypoint-bias correction fitted without the rep's
source, as `formcheck eval --cv` does). Per view: the error's SD, the marks' RMS noise and what
is left for formcheck, sqrt(SD^2 - noise^2) (the two independent), and the error's correlation
with the thigh's pixel length (a hip-point bias that grows on small people in the picture).

    PYTHONPATH=src python tools/depth_marks_noise.py ../shared/videos LANDMARK_CACHE_DIR
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

from formcheck.crossval import PICTURE_VIEWS, _corrected, fit_thigh_bias
from labelled_reps import labelled_reps

MARK_PX = (5.0, 10.0)   # DEPTH_PROTOCOL.md: the marker's estimate per point


def mark_noise_deg(thigh_len_px: float, point_px: float) -> float:
    """The thigh angle's noise (deg) from two points each off by point_px, L px apart."""
    return math.degrees(math.sqrt(2.0) * point_px / thigh_len_px)


def _marks(path: Path) -> dict:
    """(file, marked thigh_deg) -> (thigh_len_px, certainty). A clip's reps marked with the same
    angle carry the same points (one montage read for several reps), so the pair is a key."""
    out: dict = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out[(row["file"], float(row["thigh_deg"]))] = (float(row["thigh_len_px"]),
                                                           row["certainty"])
    return out


def main(videos: str, cache: str) -> None:
    reps = labelled_reps(videos, cache)
    marks = _marks(Path(videos) / "DEPTH_POINTS.tsv")
    marked = [r for r in reps if r.marked_thigh_deg is not None and r.thigh_raw_deg is not None
              and r.view in PICTURE_VIEWS]
    bias = {s: dict.fromkeys(PICTURE_VIEWS, fit_thigh_bias([r for r in marked if r.source != s]))
            for s in {r.source for r in marked}}
    rows = [(r, *marks[(r.clip, r.marked_thigh_deg)],
             _corrected(r, bias[r.source]) - r.marked_thigh_deg) for r in marked]
    print("clip\tview\tthigh px\tcertainty\tmarks' noise 5 px\t10 px\tformcheck - marked (CV)")
    for r, L, cert, e in rows:
        print(f"{r.clip}\t{r.view}\t{L:.0f}\t{cert}\t{mark_noise_deg(L, 5):.1f}\t"
              f"{mark_noise_deg(L, 10):.1f}\t{e:+.1f}")
    for view in PICTURE_VIEWS:
        vs = [x for x in rows if x[0].view == view]
        if not vs:
            continue
        e = np.array([x[3] for x in vs])
        L = np.array([x[1] for x in vs])
        sd = float(np.std(e))
        parts = []
        for s in MARK_PX:
            n = float(np.sqrt(np.mean([mark_noise_deg(x, s) ** 2 for x in L])))
            left = math.sqrt(max(sd * sd - n * n, 0.0))
            parts.append(f"at {s:g} px per point the marks carry {n:.1f} deg RMS, "
                         f"leaving {left:.1f} deg for formcheck")
        r_len = float(np.corrcoef(L, e)[0, 1]) if len(set(L)) > 1 else float("nan")
        r_inv = float(np.corrcoef(1.0 / L, e)[0, 1]) if len(set(L)) > 1 else float("nan")
        print(f"{view}: {len(vs)} reps, {len({x[0].clip for x in vs})} clips, thigh "
              f"{L.min():.0f}-{L.max():.0f} px; CV error SD {sd:.1f} deg; " + "; ".join(parts)
              + f"; correlation of the error with the thigh's px length {r_len:+.2f}, "
              f"with 1/length {r_inv:+.2f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
