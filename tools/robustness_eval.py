#!/usr/bin/env python3
"""How the analysis holds when the same clips come at a lower frame rate or mirrored.

    python tools/robustness_eval.py --videos ../shared/videos --cache DIR

Reads the landmarks `formcheck eval --cache DIR` keeps (one .npz per labelled clip) and analyses
each clip as it is, with every 2nd and every 3rd frame only (15 and 10 frames/s from 30: a
phone in dim light, a slow webcam), and mirrored left to right (a selfie camera). Prints, per
variant, the clips counted exactly, rep F1 against the labels, and how many reps keep the
original's knee-past-toes and depth calls. Only the analysis runs: the pose model is not run
again on the changed video, so this measures formcheck's own dependence on frame rate and
direction, not BlazePose's.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def decimate(seq, k: int):
    """Every k-th frame of a landmark sequence."""
    sl = slice(None, None, k)
    return seq.replace(t_s=seq.t_s[sl], xy_px=seq.xy_px[sl], z=seq.z[sl],
                       visibility=seq.visibility[sl], world_m=seq.world_m[sl], fps=seq.fps / k)


def mirror(seq):
    """The landmarks of the picture flipped left to right (the labels left/right kept, as a
    pose model sees a mirrored person)."""
    xy = seq.xy_px.copy()
    xy[..., 0] = seq.width_px - xy[..., 0]
    world = seq.world_m.copy()
    world[..., 0] = -world[..., 0]
    return seq.replace(xy_px=xy, world_m=world)


VARIANTS = {"as filmed": lambda s: s, "every 2nd frame": lambda s: decimate(s, 2),
            "every 3rd frame": lambda s: decimate(s, 3), "mirrored": mirror}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=Path, required=True, help="folder with LABELS.tsv")
    ap.add_argument("--cache", type=Path, required=True,
                    help="the landmarks `formcheck eval --cache` wrote (.npz per clip)")
    args = ap.parse_args(argv)
    from formcheck.analysis import analyze_sequence
    from formcheck.evaluate import _split, match_reps, read_labels
    from formcheck.landmarks import load_npz
    from formcheck.thresholds import get_profile

    th = get_profile("general")
    labels = read_labels(args.videos / "LABELS.tsv")
    tally = {k: {"exact": 0, "clips": 0, "tp": 0, "fp": 0, "fn": 0, "same_kpt": 0,
                 "same_depth": 0, "compared": 0} for k in VARIANTS}
    for lab in labels:
        npz = args.cache / (Path(lab["file"]).stem + ".npz")
        if not npz.is_file():
            print(f"{lab['file']}: no landmarks in {args.cache} (run formcheck eval --cache)",
                  file=sys.stderr)
            continue
        raw = load_npz(npz)
        truth = [float(x) for x in _split(lab["rep_bottoms_s"])]
        base = None
        for name, change in VARIANTS.items():
            an = analyze_sequence(change(raw), th)
            found = [r.bottom_s for r in an.reps]
            matched = len(match_reps(truth, found))
            t = tally[name]
            t["clips"] += 1
            t["exact"] += an.rep_count == len(truth)
            t["tp"] += matched
            t["fp"] += len(found) - matched
            t["fn"] += len(truth) - matched
            calls = [(a.knee_past_toes, a.depth) for a in an.assessments]
            if base is None:
                base = (found, calls)
            else:
                # compare the calls rep by rep where the variant found the same reps
                for i, j in match_reps(base[0], found):
                    t["compared"] += 1
                    t["same_kpt"] += base[1][i][0] == calls[j][0]
                    t["same_depth"] += base[1][i][1] == calls[j][1]
            if an.rep_count != len(truth):
                print(f"  {name}: {lab['file']}: label {len(truth)} reps, ours {an.rep_count} "
                      f"(bottoms {', '.join(f'{b:.1f}' for b in found)} s)")
    print("\n| variant | clips counted exactly | rep F1 | reps with the same knee-past-toes "
          "call | the same depth call |\n|---|---|---|---|---|")
    for name, t in tally.items():
        f1 = 2 * t["tp"] / max(1, 2 * t["tp"] + t["fp"] + t["fn"])
        same = (f"{t['same_kpt']}/{t['compared']}", f"{t['same_depth']}/{t['compared']}") \
            if t["compared"] else ("-", "-")
        print(f"| {name} | {t['exact']}/{t['clips']} | {f1:.3f} | {same[0]} | {same[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
