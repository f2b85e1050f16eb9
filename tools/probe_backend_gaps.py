#!/usr/bin/env python3
"""Where the two pose backends part on the two fixture tests marked as Tasks-backend gaps
(issue 12): the 45-deg box clip's free turnaround read as a box contact, and the knee behind the
toes read short of the truth. Reads the raw landmarks `compare_backends.py run` keeps (.npz per
fixture), one folder per backend, and compares each with the fixture's exact truth:

    .venv/bin/python    tools/compare_backends.py run --backend legacy --out out/cmp/legacy
    .venv313/bin/python tools/compare_backends.py run --backend tasks  --out out/cmp/tasks
    .venv/bin/python    tools/probe_backend_gaps.py out/cmp/legacy out/cmp/tasks [--count-contacts DIR...]

(`run ... --videos EMPTY_DIR` tracks the rendered fixtures only.)

Box clips (knee-rehab profile): per rep the hold box.hold_s reads from the hip height ratio that
metrics.rep_box gives it, the contact decision, and how far the hip height ratio is from the
truth's on the rep's three lowest frames (+ = the landmarks read the hip higher).
Knee behind the toes (general profile): per rep, over the frames metrics.knee_over_toe reads (the
deep part), the front-most knee's and toe's offsets from the true joints along the way the person
faces (median, pixels), the 90th percentile of knee minus toe in pixels, the standing shank and
sin(yaw) that scale it, the reported ratio, and the truth's own points through the same
definition.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "videos" / "fixtures"
BOX = ("box_side_session", "box_oblique_session")
KOT = "side_knees_behind_toes"


def _truth(name: str) -> tuple[dict, np.ndarray, dict]:
    truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
    t = np.array([f["t_s"] for f in truth["frames"]])
    joints = {k: np.array([f["joints_px"][k] for f in truth["frames"]])
              for k in truth["frames"][0]["joints_px"]}
    return truth, t, joints


def _analyse(npz: Path, profile: str):
    from formcheck.landmarks import load_npz
    from formcheck.pipeline import analyze_landmarks
    from formcheck.thresholds import get_profile

    seq = load_npz(npz)
    return seq, analyze_landmarks(seq, get_profile(profile), profile)


def box_table(name: str, dirs: dict[str, Path]) -> None:
    from formcheck import box
    from formcheck.metrics import standing_hip_height

    truth, tt, j = _truth(name)
    hip_t = (j["left_ankle"][:, 1] + j["right_ankle"][:, 1]) / 2 - (
        j["left_hip"][:, 1] + j["right_hip"][:, 1]) / 2
    ratio_t = hip_t / hip_t.max()       # the truth stands straight between reps
    print(f"\n{name}: truth contact {[r['box_contact'] for r in truth['per_rep']]}, "
          f"hold {[r['contact_s'] for r in truth['per_rep']]} s")
    for backend, folder in dirs.items():
        _, a = _analyse(folder / f"{name}.npz", "knee-rehab")
        s = a.series
        for rep, m in zip(a.reps, a.metrics):
            rng = np.arange(rep.start_i, rep.end_i + 1)
            ratio = s.hip_height_px[rng] / standing_hip_height(s, rep)
            held, k, low = box.hold_s(s.t_s[rng], ratio)
            ti = np.abs(tt[None, :] - s.t_s[rng, None]).argmin(axis=1)
            err = ratio - ratio_t[ti]
            low3 = np.argsort(np.nan_to_num(ratio, nan=np.inf))[:3]
            near = [i for i in range(k - 6, k + 7) if 0 <= i < len(rng) and i not in low3]
            print(f"  {backend:6} rep {m.index}: contact {m.box_contact!s:5}  hold {held:.3f} s  "
                  f"(CONTACT_MIN_S {box.CONTACT_MIN_S})  lowest {low:.3f}  hip ratio - truth on "
                  f"the 3 lowest frames {' '.join(f'{e:+.4f}' for e in err[np.sort(low3)])}, on the "
                  f"other frames within 6 of the lowest {np.median(err[near]):+.4f} (median)")


def kot_table(dirs: dict[str, Path]) -> None:
    from formcheck.landmarks import Landmark as L
    from formcheck.metrics import FOOT_PER_SHANK

    truth, tt, j = _truth(KOT)
    near = truth["near_side"]
    foot_t = abs(j[f"{near}_foot_index"][0, 0] - j[f"{near}_heel"][0, 0])
    shank_t = float(np.hypot(*(j[f"{near}_knee"][0] - j[f"{near}_ankle"][0])))
    print(f"\n{KOT}: truth knee-over-toe {[r['knee_over_toe_ratio'] for r in truth['per_rep']]} "
          f"foot lengths (the near leg's heel-to-toe points, {foot_t:.1f} px = "
          f"{foot_t / shank_t:.3f} shank; FOOT_PER_SHANK {FOOT_PER_SHANK:.3f})")
    for backend, folder in dirs.items():
        seq, a = _analyse(folder / f"{KOT}.npz", "general")
        s, xy, f = a.series, seq.xy_px, a.series.facing
        print(f"  {backend}: standing shank {s.standing.shin_len_px:.2f} px")
        for rep, m in zip(a.reps, a.metrics):
            rng = np.arange(rep.start_i, rep.end_i + 1)
            deep = rng[np.nan_to_num(s.depth[rng]) >= 0.6 * rep.peak_depth]
            ti = np.abs(tt[None, :] - s.t_s[deep, None]).argmin(axis=1)

            def front(pts, a_, b_):
                return np.fmax(f * pts[a_], f * pts[b_])

            knee = front({0: xy[deep, L.LEFT_KNEE, 0], 1: xy[deep, L.RIGHT_KNEE, 0]}, 0, 1)
            toe = front({0: xy[deep, L.LEFT_FOOT_INDEX, 0], 1: xy[deep, L.RIGHT_FOOT_INDEX, 0]}, 0, 1)
            knee_t = front({0: j["left_knee"][ti, 0], 1: j["right_knee"][ti, 0]}, 0, 1)
            toe_t = front({0: j["left_foot_index"][ti, 0], 1: j["right_foot_index"][ti, 0]}, 0, 1)
            sin_yaw = np.sin(np.radians(s.yaw_deg[deep]))
            scale = s.standing.shin_len_px * sin_yaw * FOOT_PER_SHANK
            print(f"    rep {m.index}: knee {np.median(knee - knee_t):+.1f} px, toe "
                  f"{np.median(toe - toe_t):+.1f} px from the true joints; knee - toe p90 "
                  f"{np.percentile(knee - toe, 90):+.1f} px (truth {np.percentile(knee_t - toe_t, 90):+.1f}); "
                  f"sin(yaw) {np.median(sin_yaw):.4f}; ratio {m.knee_over_toe_ratio:+.3f} "
                  f"(truth points, same definition: {np.percentile((knee_t - toe_t) / scale, 90):+.3f})")


def count_contacts(folder: Path) -> tuple[int, int, int]:
    """(clips, reps, reps read as a box contact) over the saved landmarks in a folder, each clip
    scored whole (knee-rehab profile), the rendered fixtures left out. No real clip of
    ../shared/videos is a box squat."""
    fixtures = {p.stem for p in FIXTURES.glob("*.mp4")}
    clips = reps = on = 0
    for npz in sorted(folder.glob("*.npz")):
        if npz.stem in fixtures:
            continue
        _, a = _analyse(npz, "knee-rehab")
        clips += 1
        reps += len(a.metrics)
        on += sum(bool(m.box_contact) for m in a.metrics)
    return clips, reps, on


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("legacy", type=Path, help="raw landmarks of the legacy backend (.npz per fixture)")
    p.add_argument("tasks", type=Path, help="raw landmarks of the Tasks backend")
    p.add_argument("--count-contacts", type=Path, nargs="+", default=[], metavar="DIR",
                   help="also count the reps read as a box contact in these folders of landmarks "
                        "(e.g. the real clips' caches)")
    args = p.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore", RuntimeWarning)
    dirs = {"legacy": args.legacy, "tasks": args.tasks}
    for name in BOX:
        box_table(name, dirs)
    kot_table(dirs)
    for folder in args.count_contacts:
        clips, reps, on = count_contacts(folder)
        print(f"\n{folder}: {clips} clips, {reps} reps, {on} read as a box contact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
