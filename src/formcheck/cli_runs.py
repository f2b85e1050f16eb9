"""`formcheck runs import|load|metronome`: runs from watch files, training load, step rate.
Without --client the runs are the local user's own (stored in the same database)."""

from __future__ import annotations

import datetime as dt
import json

from .errors import FormcheckError


def _store():
    from .store import open_store

    return open_store()


def _fmt_pace(p: float | None) -> str:
    if p is None:
        return "-"
    m, s = divmod(int(round(p)), 60)
    return f"{m}:{s:02d}/km"


def run_line(r) -> str:
    cad = "" if r.cadence_spm is None else f"  {r.cadence_spm:.0f} steps/min"
    counted = "" if r.counts_as_running else "  (not running: not counted as running load)"
    return (f"{r.start}  {r.sport:<10} {r.distance_m / 1000:6.2f} km  "
            f"{r.duration_s / 60:5.1f} min  {_fmt_pace(r.pace_s_per_km)}{cad}  "
            f"{r.source_file}{counted}")


def cmd_import(args) -> int:
    from .runs.inputs import collect
    from .store.runs_store import save_runs

    got = collect(args.paths, default_sport=args.sport)   # raises before anything is stored
    if not got.runs:
        raise FormcheckError("No activity files found in " + ", ".join(args.paths)
                             + " (formcheck reads .fit, .fit.gz, .gpx, .tcx and zips of them).")
    added, stored_before = (0, 0) if args.no_save else save_runs(_store(), args.client, got.runs)
    if args.json:
        print(json.dumps([r.to_dict() for r in got.runs], indent=2))
        return 0
    for r in got.runs:
        print(run_line(r))
    who = f"client {args.client!r}" if args.client else "your runs"
    dups = len(got.duplicates) + stored_before
    print(f"\n{len(got.runs)} activities read"
          + ("" if args.no_save else f"; {added} added to {who}")
          + (f"; {dups} already imported (same device and start), not counted twice"
             if dups else "")
          + (f"; {len(got.skipped)} other files skipped" if got.skipped else "") + ".")
    return 0


def cmd_load(args) -> int:
    from .runs.load import load_text, load_to_dict, training_load
    from .store.runs_store import list_runs

    runs = list_runs(_store(), args.client)
    load = training_load(runs, args.as_of)
    if args.pdf:
        from .report import write_bytes_atomic
        from .runs.pdf import runs_pdf

        write_bytes_atomic(args.pdf, runs_pdf(load, runs, args.client or "your runs"))
    if args.json:
        print(json.dumps(load_to_dict(load), indent=2))
    else:
        print(load_text(load))
    return 0


def cmd_metronome(args) -> int:
    from .report import write_bytes_atomic
    from .runs.steprate import metronome_wav

    if not 60 <= args.spm <= 240:
        raise FormcheckError(f"{args.spm} steps per minute is outside 60-240; give the target "
                             "step rate, e.g. 170.")
    write_bytes_atomic(args.out, metronome_wav(args.spm, args.seconds))
    print(f"Wrote {args.out}: a click at {args.spm:g} steps per minute for {args.seconds:g} s.")
    return 0


def cmd_run_cadence(args) -> int:
    from dataclasses import asdict
    from pathlib import Path

    from .runs.video_cadence import cadence_from_pose

    if args.from_landmarks:
        from .landmarks import load_npz

        seq = load_npz(args.from_landmarks)
    else:
        if not args.clip:
            raise FormcheckError("Give a video of running (or --from-landmarks FILE.npz).")
        from .pose import track_video

        seq = track_video(args.clip, max_duration_s=args.max_minutes * 60)
        if args.landmarks:
            from .landmarks import save_npz

            save_npz(seq, args.landmarks)
    from .runs.steprate import targets

    r = cadence_from_pose(seq, Path(args.clip or args.from_landmarks).name)
    t5, t10 = targets(r.steps_per_min)
    if args.json:
        print(json.dumps({**asdict(r), "target_5_spm": t5, "target_10_spm": t10}, indent=2))
    else:
        print(f"{r.steps_per_min:.1f} ± {r.uncertainty_spm:.1f} steps/min (95 %), "
              f"{len(r.contacts_s)} foot contacts in {r.duration_s:.1f} s, {r.view} view. "
              f"Targets: +5 % {t5:.0f}, +10 % {t10:.0f} steps/min.")
    return 0


def _day(s: str) -> dt.date:
    import argparse

    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{s}' is not a date like 2025-03-04") from None


def register(sub) -> None:
    r = sub.add_parser("runs", help="runs from a watch (FIT, GPX, TCX): training load and step "
                                    "rate")
    rs = r.add_subparsers(dest="runs_command", required=True)
    i = rs.add_parser("import", help="read activity files, folders or export zips and store them",
                      description="Reads FIT (.fit, .fit.gz), GPX and TCX files, folders of "
                      "them, and export zips (Garmin, Strava). A file imported twice (same "
                      "device and start) is not counted twice. One bad file stops the import "
                      "with nothing stored.")
    i.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER_OR_ZIP")
    i.add_argument("--client", metavar="NAME", help="the clinic client the runs belong to "
                   "(default: your own runs)")
    i.add_argument("--sport", choices=["running", "trail", "treadmill", "walking", "cycling"],
                   help="the sport of files that do not say (GPX often does not)")
    i.add_argument("--no-save", action="store_true", help="only read and print; store nothing")
    i.add_argument("--json", action="store_true", help="print the activities as JSON")
    i.set_defaults(func=cmd_import)
    lo = rs.add_parser("load", help="weekly distance and time, ACWR, step rate by week")
    lo.add_argument("--client", metavar="NAME")
    lo.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                    help="the day to compute the load for (default: the last run's day)")
    lo.add_argument("--json", action="store_true")
    lo.add_argument("--pdf", metavar="OUT.pdf", help="also write a PDF (load chart, ACWR, step "
                    "rate) to hand over")
    lo.set_defaults(func=cmd_load)
    m = rs.add_parser("metronome", help="write a WAV metronome at a step rate")
    m.add_argument("spm", type=float, help="steps per minute, e.g. 170")
    m.add_argument("--out", default="metronome.wav")
    m.add_argument("--seconds", type=float, default=60.0)
    m.set_defaults(func=cmd_metronome)
    c = sub.add_parser("run-cadence", help="step rate from a video of running (side or rear "
                       "view, at least 10 s)")
    c.add_argument("clip", nargs="?", help="video file")
    c.add_argument("--from-landmarks", metavar="L.npz", help="use saved landmarks (no model)")
    c.add_argument("--landmarks", metavar="L.npz", help="save the landmarks")
    c.add_argument("--max-minutes", type=float, default=10.0)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_run_cadence)


