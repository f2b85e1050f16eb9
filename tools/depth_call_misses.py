"""The depth call's cross-validated misses and undecided reps, one line each (issue 19).

Per labelled rep whose held-out call (hip cuts, the factor on the ratio's error and the
depth-signal class fitted without its source, as `formcheck eval --cv` does) is not the label:
clip, rep, label, the call, the hip ratio's class alone, view, hip ratio and its error, its
margin to the nearest cut, the corrected thigh angle and the depth-signal angle (corrected) with its class.

    PYTHONPATH=src python tools/depth_call_misses.py ../shared/videos LANDMARK_CACHE_DIR
"""

from __future__ import annotations

import sys

from formcheck.crossval import (_call_class, _hip_class, _signal_class, fit_call, fit_hip_cuts,
                                fit_signal_depth)
from labelled_reps import labelled_reps


def _r(v, nd):
    return "-" if v is None else f"{v:.{nd}f}"


def main(videos: str, cache: str) -> None:
    reps = labelled_reps(videos, cache)
    fits = {}
    for s in sorted({r.source for r in reps}):
        train = [r for r in reps if r.source != s]
        sig = fit_signal_depth(train)
        fits[s] = (fit_hip_cuts(train), fit_call(train, sig), sig)
    print("clip\trep\tlabel\tcall\thip alone\tview\thip\terr\tto cut\tthigh\tsignal\tsignal class")
    seen: dict = {}
    for r in reps:
        k = seen[r.clip] = seen.get(r.clip, 0) + 1
        if r.label_depth is None:
            continue
        (hlo, hhi), (lo, hi, k), sig = fits[r.source]
        call = _call_class(r, lo, hi, sig, k)
        if call == r.label_depth:
            continue
        h = r.hip_height_ratio
        print("\t".join([r.clip, str(k), r.label_depth, str(call), str(_hip_class(r, hlo, hhi)),
                         r.view, _r(h, 3), _r(r.hip_height_ratio_err, 3),
                         _r(None if h is None else min(abs(h - lo), abs(h - hi)), 3),
                         _r(r.depth_angle_deg, 1),
                         _r(None if r.depth_signal_deg is None else r.depth_signal_deg + sig[0], 1),
                         str(_signal_class(r, *sig))]))


if __name__ == "__main__":
    main(*sys.argv[1:3])
