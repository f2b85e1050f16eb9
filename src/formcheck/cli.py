"""`formcheck` command line. Library code logs; this shell prints."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from . import __version__, cli_batch, cli_clinic, cli_person, cli_runs, cli_test
from .errors import FormcheckError
from .progress import ProgressBar
from .thresholds import PROFILES, cli_help, get_profile, parse_overrides


EXIT_WARNINGS = 3
EPILOG = """exit codes: 0 done; 2 the input could not be analysed (the message says why and what to
do); 3 analysed, but the clip limited what could be measured (outputs are written; the warnings
say what was missing, e.g. feet out of the picture, a second person, a damaged end of file)."""


def _check_outputs(args) -> None:
    for path in (args.report, args.csv, args.landmarks, args.pdf):
        if path:
            parent = Path(path).parent if str(Path(path).parent) else Path(".")
            if not parent.is_dir():
                raise FormcheckError(f"Folder {parent} does not exist; create it or write "
                                     f"{Path(path).name} somewhere else.")
    if args.annotated:
        from .render import check_output

        check_output(args.clip or "", args.annotated)


def _write_outputs(args, analysis, raw_seq) -> None:
    from . import report

    if args.landmarks and raw_seq is not None:  # first: the costly part, re-scorable later
        from .landmarks import save_npz

        save_npz(raw_seq, args.landmarks)
    if args.report:
        report.write_json(analysis, args.report)
    if args.csv:
        report.write_csv(analysis, args.csv)
    if args.pdf:
        from .pdf_report import session_pdf

        clip = args.clip if args.clip and Path(args.clip).is_file() else None
        report.write_bytes_atomic(args.pdf, session_pdf(analysis, clip_path=clip,
                                                        clip_name=analysis.source))
    if args.annotated:
        if raw_seq is None or args.clip is None:
            raise FormcheckError("--annotated needs the video: give CLIP as well as --from-landmarks.")
        from .render import write_annotated

        bar = ProgressBar("annotating", args.progress)
        write_annotated(args.clip, analysis, args.annotated, progress=bar)
        bar.close()


def cmd_analyze(args) -> int:
    from .landmarks import load_npz
    from .pipeline import analyze_landmarks
    from .report import summary_text

    th, profile = cli_clinic.analyze_thresholds(args, parse_overrides(args.set))
    _check_outputs(args)  # before the slow part: a typo in a path should not cost the analysis
    if args.replay_live and args.view != "auto":
        raise FormcheckError("--replay-live detects the view as the live page does: leave out --view.")
    if args.from_landmarks and args.model:
        raise FormcheckError(f"--model chooses the pose model that tracks a video; "
                             f"{Path(args.from_landmarks).name} holds landmarks already tracked, "
                             "so it would not be used. Leave out --model, or give the video "
                             "instead of --from-landmarks.")
    if args.from_landmarks:
        raw = load_npz(args.from_landmarks)
        analysis = analyze_landmarks(raw, th, profile, args.view, replay_live=args.replay_live)
    else:
        if not args.clip:
            raise FormcheckError("Give a video file to analyse (or --from-landmarks FILE.npz).")
        from .pipeline import analyze_video

        bar = ProgressBar("tracking", args.progress)
        engine = cli_batch.engine_for(args, track_here=True)
        try:
            analysis, raw = analyze_video(args.clip, th, profile, args.view, progress=bar,
                                          max_duration_s=args.max_minutes * 60,
                                          replay_live=args.replay_live, engine=engine,
                                          model=args.model)
        finally:
            bar.close()
            if engine is not None:
                engine.close()
    from .analysis import with_person

    analysis = with_person(analysis, args.height_cm, args.shin_cm, args.box)
    _write_outputs(args, analysis, raw)
    cli_clinic.save_after_analyze(args, analysis, raw)
    if args.json:
        from .report import to_dict

        print(json.dumps(to_dict(analysis), indent=2))
    else:
        print(summary_text(analysis))
    if analysis.warnings:
        # The outputs are written and valid, but the input limited what could be measured.
        for w in analysis.warnings:
            print(f"formcheck: warning: {w}", file=sys.stderr)
        return EXIT_WARNINGS
    return 0


def cmd_eval(args) -> int:
    from .evaluate import evaluate_clip, format_table, new_tallies, read_labels, summarize, ClipResult
    from .analysis import analyze_sequence
    from .landmarks import load_npz, save_npz
    from .report import to_dict

    labels = read_labels(args.labels)
    videos = Path(args.videos)
    if not videos.is_dir():
        raise FormcheckError(f"Videos folder not found: {videos}.")
    cache = Path(args.cache) if args.cache else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    th = get_profile(args.profile)
    tallies = new_tallies()
    results = []
    parity = []
    raw_by_file = {}
    for lab in labels:
        clip = videos / lab["file"]
        try:
            npz = cache / (clip.stem + ".npz") if cache else None
            if npz is not None and npz.is_file() and npz.stat().st_mtime >= clip.stat().st_mtime:
                raw = load_npz(npz)
                if not (raw.meta.get("provenance") or {}).get("pose_backend"):
                    print(f"formcheck: warning: {npz} does not name the pose backend that made "
                          "it, so it is scored with the legacy backend's corrections; delete it "
                          "to track again, or run tools/stamp_provenance.py on the cache with "
                          "the environment that made it", file=sys.stderr)
            else:
                from .pose import track_video

                raw = track_video(clip, model=args.model)
                if npz is not None:
                    save_npz(raw, npz)
            if args.cv:
                raw_by_file[lab["file"]] = raw
            rep = to_dict(analyze_sequence(raw, th, args.profile))
            results.append(evaluate_clip(lab, rep, tallies))
            if args.live_parity:
                from .evaluate import live_parity
                from .stream import replay

                parity.append(live_parity(lab["file"], rep, to_dict(replay(raw, th, args.profile))))
        except FormcheckError as exc:
            results.append(ClipResult(lab["file"], lab["view"], "error", int(lab["rep_count"]),
                                      0, 0, str(exc)))
        print(f"{lab['file']}: label {lab['rep_count']} reps, ours "
              f"{results[-1].reps}", file=sys.stderr)
    summary = summarize(results, tallies)
    print(format_table(results, summary))
    if args.cv:
        from .crossval import collect, format_lines, format_margins, run_cv

        loaded = {lab["file"]: raw_by_file[lab["file"]] for lab in labels
                  if lab["file"] in raw_by_file}
        labs = [lab for lab in labels if lab["file"] in loaded]
        from .crossval import read_depth_points, thigh_error_lines

        points = read_depth_points(Path(args.labels).with_name("DEPTH_POINTS.tsv"))
        clips, reps = collect(labs, lambda lab: loaded[lab["file"]], th, points=points)
        lines, cv_json = run_cv(clips, reps, th)
        print("\nLeave-one-source-out cross-validation (clips grouped by the file-name prefix "
              f"before '__'; {len({c.source for c in clips})} sources):\n")
        print(format_lines(lines))
        print("\nEach clip's margin to the boundaries it is classed by (committed values):\n")
        print(format_margins(clips, reps, th))
        from .crossval import thigh_angle_pair_rms
        from .metrics import DEPTH_ANGLE_PAIR_RMS_DEG

        rms, n = thigh_angle_pair_rms(reps)
        err_lines, cv_json["thigh_angle_error"] = thigh_error_lines(
            reps, sorted({c.source for c in clips}))
        print("\nThe depth number (thigh angle) against the joint centres marked by hand "
              "(DEPTH_POINTS.tsv), error = formcheck - marked, per view:")
        print("\n".join(err_lines))
        print(f"\nThe thigh angle's own error (no labels): side on, the picture and the 3-D world "
              f"landmarks disagree by {rms:.1f} deg RMS over {n} reps, so about "
              f"{rms / 2 ** 0.5:.1f} deg each (committed: {DEPTH_ANGLE_PAIR_RMS_DEG} deg RMS)")
    if args.live_parity:
        from .evaluate import format_parity

        print("\nLive path (replayed frame by frame) against the clip path:\n")
        print(format_parity(parity))
    if args.json:
        out = {"summary": summary, "clips": [r.__dict__ for r in results]}
        if args.cv:
            out["cross_validated"] = cv_json
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


MODEL_HELP = ("another MediaPipe PoseLandmarker .task file, e.g. a heavy model you downloaded "
              "(default: the BlazePose full model shipped with formcheck)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="formcheck", description="Squat form checker: reps, depth "
                                "and knee-over-toe from a video. Education, not diagnosis.")
    p.add_argument("--version", action="version", version=f"formcheck {__version__}")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log what the library does, and let MediaPipe's own log lines through")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse a squat clip", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("clip", nargs="?", help="video file (mp4, mov, avi, webm, m4v)")
    a.add_argument("--report", metavar="R.json", help="write the JSON report")
    a.add_argument("--csv", metavar="REPS.csv", help="write one row per rep")
    a.add_argument("--annotated", metavar="OUT.mp4", help="write an annotated H.264 video")
    a.add_argument("--pdf", metavar="OUT.pdf", help="write a PDF report to hand over (key frames, "
                   "per-rep table, plots, cues, thresholds)")
    a.add_argument("--landmarks", metavar="L.npz", help="save the pose landmarks for re-scoring")
    a.add_argument("--from-landmarks", metavar="L.npz", help="re-score saved landmarks (no model)")
    a.add_argument("--profile", default="general", choices=sorted(PROFILES),
                   help="threshold profile (default: general)")
    a.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override one threshold, e.g. --set knee_over_toe_max_ratio=0.1. "
                        "Thresholds: " + cli_help())
    a.add_argument("--view", default="auto", choices=["auto", "side", "front"])
    a.add_argument("--replay-live", action="store_true",
                   help="analyse the frames one by one at their timestamps through exactly what "
                        "the live webcam page runs (to see what it would have said)")
    a.add_argument("--json", action="store_true", help="print the JSON report instead of a summary")
    a.add_argument("--max-minutes", type=float, default=30.0, help="longest clip to accept")
    a.add_argument("--progress", action="store_true", default=None,
                   help="show the progress bar even when stderr is not a terminal")
    a.add_argument("--model", metavar="PATH.task", help=MODEL_HELP)
    cli_person.add_person_options(a)
    cli_clinic.add_analyze_options(a)
    cli_batch.add_engine_options(a)
    a.set_defaults(func=cmd_analyze)
    e = sub.add_parser("eval", help="measure accuracy against hand labels")
    e.add_argument("--videos", required=True, help="folder with the clips")
    e.add_argument("--labels", required=True, help="LABELS.tsv")
    e.add_argument("--profile", default="general", choices=sorted(PROFILES))
    e.add_argument("--cache", metavar="DIR", help="keep landmarks here to re-score quickly")
    e.add_argument("--live-parity", action="store_true",
                   help="also replay each clip through the live path and compare it with the "
                        "clip path")
    e.add_argument("--cv", action="store_true",
                   help="also print leave-one-source-out cross-validated figures for every "
                        "constant fitted on the clips, beside the in-sample ones")
    e.add_argument("--json", metavar="OUT.json", help="write the results as JSON")
    e.add_argument("--model", metavar="PATH.task", help=MODEL_HELP + " (use a separate --cache)")
    e.set_defaults(func=cmd_eval)
    cli_clinic.register(sub)
    cli_batch.register(sub)
    cli_test.register(sub)
    cli_runs.register(sub)
    return p


def _reader_gone() -> int:
    """The reader of our output stopped early (`formcheck ... | head`): stop quietly, with the
    exit status of a command ended by SIGPIPE (128 + 13), as other command-line tools do. Our
    stdout goes to /dev/null so the interpreter's last flush at exit finds no pipe to fail on."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    quiet = None
    if not args.verbose:
        from .pose import NativeLogFilter   # imports no mediapipe

        quiet = NativeLogFilter().install()
    try:
        return args.func(args)
    except FormcheckError as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except OSError as exc:
        print(f"formcheck: {exc.strerror or exc}: {exc.filename or ''}. Check the path and that "
              "you may write there.", file=sys.stderr)
        return 2
    finally:
        if quiet is not None:
            quiet.remove()


if __name__ == "__main__":
    sys.exit(main())
