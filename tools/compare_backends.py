#!/usr/bin/env python3
"""Compare formcheck's two pose backends (legacy mp.solutions vs Tasks API) clip by clip.

The legacy backend needs mediapipe 0.10.21 (the default install on Python <= 3.12, e.g. .venv);
the Tasks backend is measured on mediapipe 1.x (the default install on Python 3.13+, e.g.
.venv313, or a Python 3.11 venv with `pip install -e . mediapipe==1.2.3 "numpy>=2"` for a
same-Python comparison). Each runs in its own environment and writes a JSON; `diff` compares:

    .venv/bin/python    tools/compare_backends.py run --backend legacy --out out/cmp/legacy
    .venv313/bin/python tools/compare_backends.py run --backend tasks  --out out/cmp/tasks
    .venv/bin/python    tools/compare_backends.py diff [--rescore] out/cmp/legacy out/cmp/tasks
    .venv/bin/python    tools/compare_backends.py still [--model OTHER.task]   # needs 0.10.21
    .venv313/bin/python tools/compare_backends.py people

`formcheck eval --cache out/cmp/tasks ...` then scores the saved landmarks against the labels.
Noise floor: `run --backend legacy --no-fixtures --videos DIR` on re-encoded copies of some clips
(e.g. `ffmpeg -i CLIP -c:v libx264 -crf 18 -an DIR/CLIP`), then `diff --rescore DIR_RUN
out/cmp/legacy`: how far the legacy backend moves from itself when only the encoding changes.

`run` analyses the rendered fixtures (videos/fixtures/*.mp4) and, when present, every clip in
../shared/videos (or --videos DIR), with formcheck.pipeline.analyze_video (30 fps cap, the CLI
default), and keeps the JSON report and the raw landmarks (.npz) of each clip in --out.
`diff` prints, per clip: rep counts, the largest per-rep difference of bottom time, thigh angle,
knee-over-toe ratio and pause (judged against the fixture tests' tolerances: 0.3 s, 5 deg, 0.1
foot lengths, 0.35 s), knee flexion and shin angle (shown, not judged), the per-rep verdicts
(depth, knee past toes, knees cave in), the warnings, and the median / 95th-percentile distance
between the two backends' hip-to-toe landmarks in frames both detected (fraction of the frame's
longer side). Exit status 1 if any rep count differs or a judged metric is out of tolerance.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "videos" / "fixtures"
SHARED = ROOT.parent / "shared" / "videos"

# metric: tolerance (None = shown, not judged). Tolerances are tests/test_pipeline.py's.
METRICS = {"bottom_s": 0.3, "thigh_angle_deg": 5.0, "knee_over_toe_ratio": 0.1, "pause_s": 0.35,
           "knee_flexion_deg": None, "shin_angle_deg": None}
VERDICTS = ("depth", "knee_past_toes", "knees_cave_in")
LOWER_BODY = slice(23, 33)  # hips, knees, ankles, heels, toes


def clips(videos: Path | None, fixtures: bool = True) -> list[Path]:
    out = sorted(FIXTURES.glob("*.mp4")) if fixtures else []
    videos = videos if videos is not None else SHARED
    if videos.is_dir():
        out += sorted(videos.glob("*.mp4"))
    return out


def cmd_run(args) -> int:
    from formcheck import pose
    from formcheck.errors import FormcheckError
    from formcheck.landmarks import save_npz
    from formcheck.pipeline import analyze_video
    from formcheck.report import to_dict
    from formcheck.thresholds import get_profile

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import mediapipe as mp

    meta = {"backend": args.backend, "mediapipe": mp.__version__, "python": sys.version.split()[0],
            "clips": {}}
    total = 0.0
    for clip in clips(args.videos, fixtures=not args.no_fixtures):
        done = out / f"{clip.stem}.json"
        if args.resume and done.is_file():  # a run that was stopped part-way
            meta["clips"][clip.name] = json.loads(done.read_text())
            total += meta["clips"][clip.name].get("seconds", 0.0)
            continue
        t0 = time.perf_counter()
        try:
            a, raw = analyze_video(clip, get_profile("general"), "general", backend=args.backend,
                                   model=args.model)
        except FormcheckError as exc:
            meta["clips"][clip.name] = {"error": str(exc)}
            print(f"{clip.name}: error: {exc}", file=sys.stderr)
            continue
        sec = time.perf_counter() - t0
        total += sec
        save_npz(raw, out / f"{clip.stem}.npz")
        meta["clips"][clip.name] = {"seconds": round(sec, 2), "report": to_dict(a)}
        done.write_text(json.dumps(meta["clips"][clip.name]) + "\n")
        print(f"{clip.name}: {a.rep_count} reps, {sec:.1f} s", file=sys.stderr)
    meta["total_s"] = round(total, 1)
    (out / "results.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{args.backend} (mediapipe {mp.__version__}): {len(meta['clips'])} clips, "
          f"{total:.0f} s -> {out / 'results.json'}")
    _ = pose  # the backend module is what runs; imported so a broken install fails here
    return 0


def landmark_gap(a_npz: Path, b_npz: Path) -> tuple[float, float, int]:
    from formcheck.landmarks import load_npz

    a, b = load_npz(a_npz), load_npz(b_npz)
    n = min(len(a.t_s), len(b.t_s))
    if n == 0 or not np.allclose(a.t_s[:n], b.t_s[:n]):
        return float("nan"), float("nan"), 0
    d = np.linalg.norm(a.xy_px[:n, LOWER_BODY] - b.xy_px[:n, LOWER_BODY], axis=-1)
    d = d / max(a.width_px, a.height_px)
    ok = np.isfinite(d).all(axis=1)
    if not ok.any():
        return float("nan"), float("nan"), 0
    d = d[ok].ravel()
    return float(np.median(d)), float(np.percentile(d, 95)), int(ok.sum())


def rescore(run: dict, folder: Path) -> None:
    """Replace each clip's report by one computed now from its saved landmarks, so that two runs
    made with different versions of formcheck's analysis compare only their landmarks."""
    from formcheck.analysis import analyze_sequence
    from formcheck.errors import FormcheckError
    from formcheck.landmarks import load_npz
    from formcheck.report import to_dict
    from formcheck.thresholds import get_profile

    for name, clip in run["clips"].items():
        npz = folder / f"{Path(name).stem}.npz"
        if "error" in clip or not npz.is_file():
            continue
        try:
            clip["report"] = to_dict(analyze_sequence(load_npz(npz), get_profile("general"),
                                                      "general"))
        except FormcheckError as exc:
            run["clips"][name] = {"error": str(exc)}


def cmd_diff(args) -> int:
    a_dir, b_dir = Path(args.a), Path(args.b)
    A = json.loads((a_dir / "results.json").read_text())
    B = json.loads((b_dir / "results.json").read_text())
    print(f"A = {A['backend']} (mediapipe {A['mediapipe']}, Python {A['python']}), "
          f"B = {B['backend']} (mediapipe {B['mediapipe']}, Python {B['python']})\n")
    if args.rescore:
        for run, folder in ((A, a_dir), (B, b_dir)):
            rescore(run, folder)
        print("Reports re-scored from the saved landmarks with this checkout's code (warnings: "
              "only those the analysis gives, not the tracking's).\n")
    judged = [m for m, tol in METRICS.items() if tol is not None]
    shown = [m for m, tol in METRICS.items() if tol is None]
    head = (["clip", "reps A", "reps B"] + [f"max d {m}" for m in judged + shown]
            + ["verdicts differ", "warnings A/B", "lower-body gap median/p95", "ok"])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    bad = 0
    all_gaps = []
    for name, ca in A["clips"].items():
        cb = B["clips"].get(name)
        if cb is None or "error" in ca or "error" in cb:
            print(f"| {name} | {ca.get('error', '')} | {(cb or {}).get('error', 'missing')} |")
            bad += 1
            continue
        ra, rb = ca["report"], cb["report"]
        ok = ra["rep_count"] == rb["rep_count"]
        cells = [name, str(ra["rep_count"]), str(rb["rep_count"])]
        for m in judged + shown:
            ds = [abs(x[m] - y[m]) for x, y in zip(ra["reps"], rb["reps"])
                  if x.get(m) is not None and y.get(m) is not None]
            one_side = sum((x.get(m) is None) != (y.get(m) is None) for x, y in zip(ra["reps"], rb["reps"]))
            worst = max(ds) if ds else 0.0
            tol = METRICS[m]
            if tol is not None and (worst > tol or one_side):
                ok = False
            cells.append(("-" if not ds else f"{worst:.2f}") + (f" ({one_side} one-sided)" if one_side else "")
                         + (" !" if tol is not None and worst > tol else ""))
        vd = sum(x.get(v) != y.get(v) for x, y in zip(ra["reps"], rb["reps"]) for v in VERDICTS)
        cells.append(str(vd))
        cells.append(f"{len(ra['warnings'])}/{len(rb['warnings'])}")
        stem = Path(name).stem
        med, p95, n = landmark_gap(a_dir / f"{stem}.npz", b_dir / f"{stem}.npz")
        all_gaps.append((med, p95))
        cells.append(f"{med:.4f} / {p95:.4f}")
        cells.append("yes" if ok else "NO")
        bad += not ok
        print("| " + " | ".join(cells) + " |")
    meds = np.array([g[0] for g in all_gaps if np.isfinite(g[0])])
    print(f"\n{len(A['clips'])} clips; {bad} differ beyond tolerance. Lower-body landmark gap "
          f"(per-clip median, fraction of frame): median {np.median(meds):.4f}, max {meds.max():.4f}. "
          f"Time: A {A['total_s']} s, B {B['total_s']} s (B/A {B['total_s'] / A['total_s']:.2f}).")
    for name in A["clips"]:
        wa = A["clips"][name].get("report", {}).get("warnings", [])
        wb = B["clips"].get(name, {}).get("report", {}).get("warnings", [])
        if wa != wb:
            print(f"warnings differ for {name}:\n  A: {wa}\n  B: {wb}")
    return 1 if bad else 0


def _frames(clip: Path, every: int):
    from formcheck.video import iter_frames

    for i, f in enumerate(iter_frames(clip, max_fps=30.0)):
        if i % every == 0:
            yield f


def _gap(a, b, size: float) -> float:
    d = np.linalg.norm(a.xy_px[LOWER_BODY] - b.xy_px[LOWER_BODY], axis=-1) / size
    return float(np.median(d))


def cmd_still(args) -> int:
    """Each backend on single pictures (the detector runs on every one), and on a clip in which
    the person leaves the picture and comes back (re-detection in tracking mode)."""
    from formcheck.pose import PoseEstimator
    from formcheck.video import iter_frames

    models = {"bundled": None} | {Path(m).name: m for m in args.model or []}
    print("| clip | pictures | legacy found | " + " | ".join(
        f"{k} found / both / gap median" for k in models) + " |")
    print("|---|---|---|" + "---|" * len(models))
    totals = {k: [0, 0, []] for k in models}
    n_all = l_all = 0
    for clip in clips(args.videos):
        pics = list(_frames(clip, args.every))
        with PoseEstimator(still=True, backend="legacy") as est:
            leg = [est.process(f.rgb) for f in pics]
        size = max(pics[0].rgb.shape[:2]) if pics else 1
        lf = [np.isfinite(p.xy_px).all() for p in leg]
        cells = [clip.name, str(len(pics)), str(sum(lf))]
        n_all += len(pics)
        l_all += sum(lf)
        for k, m in models.items():
            with PoseEstimator(still=True, backend="tasks", model=m) as est:
                got = [est.process(f.rgb) for f in pics]
            tf = [np.isfinite(p.xy_px).all() for p in got]
            both = [i for i in range(len(pics)) if lf[i] and tf[i]]
            gaps = [_gap(leg[i], got[i], size) for i in both]
            totals[k][0] += sum(tf)
            totals[k][1] += len(both)
            totals[k][2] += gaps
            cells.append(f"{sum(tf)} / {len(both)} / {np.median(gaps) if gaps else float('nan'):.4f}")
        print("| " + " | ".join(cells) + " |")
    print(f"\nall: {n_all} pictures, legacy found {l_all}; " + "; ".join(
        f"{k}: found {t[0]}, both {t[1]}, gap median {np.median(t[2]):.4f} p95 "
        f"{np.percentile(t[2], 95):.4f}" for k, t in totals.items()))

    # leave and return: the fixture, 2 s of the empty background, the fixture again
    clip = FIXTURES / "side_knees_past_toes.mp4"
    seq = [f.rgb for f in iter_frames(clip, max_fps=30.0)]
    empty = np.empty_like(seq[0])
    empty[:] = np.median(seq[0][:, :8].reshape(-1, 3), axis=0).astype(np.uint8)
    frames = seq + [empty] * 60 + seq
    runs = {"legacy": ("legacy", None)} | {k: ("tasks", m) for k, m in models.items()}
    found = {}
    for k, (backend, m) in runs.items():
        with PoseEstimator(backend=backend, model=m) as est:
            found[k] = [est.process(rgb, t_s=i / 30.0) for i, rgb in enumerate(frames)]
    back = len(seq) + 60
    print(f"\nleave and return ({clip.name}, {len(seq)} frames, 60 empty, {len(seq)} again):")
    for k, fps in found.items():
        det = np.array([np.isfinite(p.xy_px).all() for p in fps])
        first = int(np.argmax(det[back:])) if det[back:].any() else -1
        gaps = [_gap(found["legacy"][i], fps[i], max(empty.shape[:2]))
                for i in range(back, len(frames)) if det[i] and np.isfinite(found["legacy"][i].xy_px).all()]
        print(f"  {k}: detected {det[:len(seq)].sum()}/{len(seq)} before, "
              f"{det[len(seq):back].sum()}/60 while away, {det[back:].sum()}/{len(seq)} after "
              f"(first at +{first} frames); gap to legacy after return: median "
              f"{np.median(gaps) if gaps else float('nan'):.4f}")
    return 0


def two_up(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two pictures side by side, scaled to the same height: a synthetic two-person frame."""
    h = min(a.shape[0], b.shape[0])
    return np.ascontiguousarray(np.concatenate([a[:h], b[:h]], axis=1))


def cmd_people(args) -> int:
    """The second-person check two ways, on the samples track_frames would take: (1) cover the
    tracked person and run the detector again (formcheck.pose.others_in_picture), (2) the Tasks
    API's num_poses=2 on the whole picture, counting a pose whose shoulders and hips are clearly
    visible (mean visibility > 0.7). Real clips (one person each) and synthetic two-person clips
    (two fixture frames side by side)."""
    from formcheck.pose import MULTI_PERSON_SAMPLES, PoseEstimator, others_in_picture
    from formcheck.video import iter_frames, probe

    def samples(frames, total_s):
        out = []
        every = max(total_s, 1.0) / MULTI_PERSON_SAMPLES
        nxt = every / 2
        with PoseEstimator() as est:
            for i, (t, rgb) in enumerate(frames):
                fp = est.process(rgb, t_s=t)
                if t >= nxt and np.isfinite(fp.xy_px).any():
                    out.append((rgb, fp, 1.0))
                    nxt += every
        return out

    def count_two(smp):
        n = 0
        with PoseEstimator(min_detection_confidence=0.6, still=True, num_poses=2,
                           backend="tasks") as est:
            for rgb, _, _ in smp:
                poses = est.detect_all(rgb)
                n += sum(float(np.mean(p.visibility[[11, 12, 23, 24]])) > 0.7 for p in poses) >= 2
        return n

    cases = []
    for clip in clips(args.videos):
        info = probe(clip)
        frames = ((f.t_s, f.rgb) for f in iter_frames(clip, max_fps=30.0))
        cases.append((clip.name, 1, samples(frames, info.duration_s)))
    fx = sorted(FIXTURES.glob("*.mp4"))
    for a, b in zip(fx, fx[1:] + fx[:1]):
        fa = [f.rgb for f in iter_frames(a, max_fps=30.0)]
        fb = [f.rgb for f in iter_frames(b, max_fps=30.0)]
        n = min(len(fa), len(fb))
        frames = ((i / 30.0, two_up(fa[i], fb[i])) for i in range(n))
        cases.append((f"two-up {a.stem} + {b.stem}", 2, samples(frames, n / 30.0)))
    print("| clip | people | samples | covered-up check | num_poses=2 check |")
    print("|---|---|---|---|---|")
    wrong = {"mask": 0, "num_poses": 0}
    for name, people, smp in cases:
        m, k = others_in_picture(smp), count_two(smp)
        warn = lambda n: n >= max(1, len(smp) // 3)  # track_frames' rule
        for key, n in (("mask", m), ("num_poses", k)):
            wrong[key] += warn(n) != (people > 1)
        print(f"| {name} | {people} | {len(smp)} | {m} {'WARN' if warn(m) else ''} | "
              f"{k} {'WARN' if warn(k) else ''} |")
    print(f"\nwrong warnings (false alarms + misses): covered-up {wrong['mask']}, "
          f"num_poses {wrong['num_poses']} of {len(cases)} cases")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="analyse every clip with one backend")
    r.add_argument("--backend", required=True, choices=["tasks", "legacy"])
    r.add_argument("--model", help="another .task for the tasks backend")
    r.add_argument("--videos", type=Path, help=f"folder of clips (default {SHARED}, if present)")
    r.add_argument("--out", required=True, help="folder for results.json and the landmarks")
    r.add_argument("--no-fixtures", action="store_true", help="only the clips in --videos")
    r.add_argument("--resume", action="store_true",
                   help="keep the clips a stopped run already finished (their .json in --out)")
    d = sub.add_parser("diff", help="compare two `run` folders")
    d.add_argument("a")
    d.add_argument("b")
    d.add_argument("--rescore", action="store_true", help="score both runs' saved landmarks with "
                   "this checkout's analysis first (runs made by different versions)")
    s = sub.add_parser("still", help="detector check: single pictures and leave-and-return, "
                       "both backends in one environment (mediapipe 0.10.21 has both APIs)")
    s.add_argument("--model", action="append", help="also try this .task (repeatable)")
    s.add_argument("--every", type=int, default=15, help="every Nth frame (at 30 fps)")
    s.add_argument("--videos", type=Path)
    q = sub.add_parser("people", help="second-person check: covered-up vs num_poses=2")
    q.add_argument("--videos", type=Path)
    args = p.parse_args()
    return {"run": cmd_run, "diff": cmd_diff, "still": cmd_still, "people": cmd_people}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
