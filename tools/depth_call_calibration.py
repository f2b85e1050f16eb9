"""Is the depth call's confidence calibrated? (issue 19)

Grouped leave-one-source-out, as `formcheck eval --cv` does: for each held-out source the
depth call's cuts, its depth-signal class and its factor k on the hip ratio's error are chosen on
the other sources (crossval.fit_call); every held-out labelled rep is then called. The decided
calls are counted by how far the hip ratio sat from the nearest cut in units of its own error
(hip_height_ratio_err, unscaled), and how many of them the label calls otherwise. If the error
were a calibrated one-standard-error, a call decided 1-2 errors from a cut would be wrong on
about 5-15 % of reps and one 2-3 errors away on about 1 %. Printed for the call as it was
(k = 1, its cuts fitted under that rule: crossval.fit_call_cuts) and as it is (k chosen in the fold).

    PYTHONPATH=src python tools/depth_call_calibration.py ../shared/videos LANDMARK_CACHE_DIR
"""

from __future__ import annotations

import sys

from formcheck.crossval import (Score, _call_class, _call_metrics, fit_call, fit_call_cuts,
                                fit_signal_depth)
from formcheck.feedback import NEAR_CUT_ERRORS, depth_call
from formcheck.thresholds import Thresholds
from labelled_reps import labelled_reps

BINS = (0.0, 1.0, 2.0, 3.0, 5.0, float("inf"))


def main(videos: str, cache: str) -> None:
    reps = labelled_reps(videos, cache)
    rows = {"before (k 1)": [], "now (k chosen in the fold)": []}
    scores = {name: Score() for name in rows}
    ks = []
    close = {"wrong": 0, "wrong_named": 0, "right": 0, "right_close": 0}
    for s in sorted({r.source for r in reps}):
        train = [r for r in reps if r.source != s]
        sig = fit_signal_depth(train)
        lo, hi, k = fit_call(train, sig)
        ks.append(k)
        fits = {"before (k 1)": (*fit_call_cuts(train, sig), 1.0),
                "now (k chosen in the fold)": (lo, hi, k)}
        for r in reps:
            if r.source != s or r.label_depth is None:
                continue
            for name, (a, b, kk) in fits.items():
                call = _call_class(r, a, b, sig, kk)
                scores[name].add(r.label_depth, call)
                if call is None or r.hip_height_ratio is None:
                    continue
                h = r.hip_height_ratio
                z = min(abs(h - a), abs(h - b)) / max(r.hip_height_ratio_err or 0.0, 1e-3)
                rows[name].append((z, call != r.label_depth))
                if not name.startswith("now"):
                    continue
                # the "close to" wording, as the product words it (feedback.depth_call: within
                # NEAR_CUT_ERRORS of k x hip_height_ratio_err of a cut, the class across it)
                across = depth_call(_call_metrics(r), Thresholds(below_parallel_max_hip_ratio=a,
                                                                 above_parallel_min_hip_ratio=b),
                                    signal_bias_deg=sig[0], signal_edges=sig[1],
                                    err_scale=kk).close_to
                wrong = call != r.label_depth
                close["wrong" if wrong else "right"] += 1
                close["wrong_named" if wrong else "right_close"] += across is not None and (
                    not wrong or across == r.label_depth)
    print(f"k chosen per held-out source: {sorted(set(ks))}")
    print("decided calls by |hip ratio - nearest cut| / hip_height_ratio_err: decided, wrong")
    print("call\t" + "\t".join(f"[{a:g},{b:g})" for a, b in zip(BINS[:-1], BINS[1:]))
          + "\tCV figure")
    for name, zs in rows.items():
        cells = []
        for a, b in zip(BINS[:-1], BINS[1:]):
            got = [w for z, w in zs if a <= z < b]
            cells.append(f"{len(got)}, {sum(got)} wrong")
        print(name + "\t" + "\t".join(cells) + "\t" + scores[name].text())
    print(f"now, worded 'close to' (within {NEAR_CUT_ERRORS:g} of k x the error of a cut): "
          f"{close['wrong_named']} of {close['wrong']} wrong calls, naming the labelled class; "
          f"{close['right_close']} of {close['right']} right calls")


if __name__ == "__main__":
    main(*sys.argv[1:3])
