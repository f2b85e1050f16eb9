"""`formcheck batch` and the engine options (--workers, --scheduler) of `analyze` and `batch`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import cli_person
from .errors import FormcheckError
from .thresholds import PROFILES, cli_help, parse_overrides


def add_engine_options(a: argparse.ArgumentParser) -> None:
    g = a.add_argument_group("engine")
    g.add_argument("--workers", type=int, metavar="N",
                   help="worker processes on this machine (default: one per core; "
                        "1 = track in this process, no workers)")
    g.add_argument("--scheduler", metavar="tls://HOST:8786",
                   help="send the tracking to this Dask scheduler's workers (default: "
                        "FORMCHECK_DASK_SCHEDULER, else this machine's cores); tls:// takes "
                        "the certificates in Dask's TLS settings (docs/SPEED.md: Every core busy)")


def engine_for(args, always: bool = False, track_here: bool = False):
    """The Engine the options ask for, or None to track in this process (analyze --workers 1).
    `track_here` (analyze: one clip) makes this process track a chunk too; a batch keeps it free
    for merging and writing reports."""
    from .engine import Engine, scheduler_address

    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise FormcheckError("--workers must be 1 or more.")
    address = scheduler_address(getattr(args, "scheduler", None))
    if address is None and workers == 1 and not always:
        return None
    return Engine(scheduler=address, workers=workers, track_here=track_here)


def cmd_batch(args) -> int:
    from . import batch, cli_clinic
    from .progress import ProgressBar

    th, profile = cli_clinic.analyze_thresholds(args, parse_overrides(args.set))
    clips = batch.find_clips(args.inputs)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise FormcheckError(f"{out} is a file; --out needs a folder.")
    settings = batch.BatchSettings(th, profile, args.view, max_duration_s=args.max_minutes * 60,
                                   annotated=args.annotated, pdf=args.pdf,
                                   height_cm=args.height_cm, shin_cm=args.shin_cm, box=args.box)
    store = None
    if args.save:
        from .store import open_store

        store = open_store()
        store.get_client(args.client)   # an unknown client fails now, not after the batch
    bar = ProgressBar(f"{len(clips)} clip(s)", args.progress)

    def say(line: str) -> None:
        if bar.enabled:
            sys.stderr.write("\r\033[K")
        print(line, file=sys.stderr)

    def on_clip(oc) -> None:
        if oc.status == "error":
            say(f"formcheck: {oc.clip}: skipped: {oc.message}")
            return
        n = oc.report.get("rep_count") if oc.report else "?"
        say(f"{oc.clip}: {n} rep(s){' (already done)' if oc.status == 'skipped' else ''}")
        if store is not None:
            _save(store, args, oc, settings, say)

    engine = engine_for(args, always=True)
    try:
        outcomes = batch.run_batch(clips, out, settings, engine, progress=bar, on_clip=on_clip)
    finally:
        bar.close()
        engine.close()
    done = sum(o.status == "done" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    errors = sum(o.status == "error" for o in outcomes)
    print(f"{len(outcomes)} clip(s): {done} analysed, {skipped} already done, {errors} could not "
          f"be analysed. Summary: {out / 'summary.csv'}")
    if errors == len(outcomes):
        return 2
    warned = any(o.report and o.report.get("warnings") for o in outcomes)
    return 3 if errors or warned else 0


def _save(store, args, oc, settings, say) -> None:
    """File the clip under the client, once per clip (a re-run does not save it twice)."""
    from .analysis import analyze_sequence
    from .landmarks import load_npz

    digest = oc.report["batch"]["clip_sha256"]
    if any(s.clip_sha256 == digest for s in store.list_sessions(args.client)):
        say(f"  {oc.clip.name} is already in {args.client}'s history")
        return
    analysis, raw = oc.analysis, oc.raw
    if analysis is None:  # done in an earlier run: re-score its landmarks (no model)
        raw = load_npz(Path(args.out) / f"{oc.name}.landmarks.npz")
        analysis = analyze_sequence(raw, settings.thresholds, settings.profile, settings.view)
    try:
        info = store.save_session(args.client, analysis, raw, clip_path=oc.clip,
                                  keep_video=args.keep_video, view_requested=settings.view)
        say(f"  saved as session {info.id} for {args.client}")
    except FormcheckError as exc:
        say(f"formcheck: {oc.clip}: not saved: {exc}")


def register(sub) -> None:
    b = sub.add_parser("batch", help="analyse a folder of clips: a report per clip and a summary",
                       description="Analyse many clips: one report (JSON, reps CSV, landmarks; "
                       "optionally annotated video and PDF) per clip in --out, and "
                       "--out/summary.csv across them. A re-run skips clips already analysed "
                       "with the same settings; a clip that cannot be analysed is reported and "
                       "skipped.")
    b.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="clip files, folders of clips, or quoted patterns ('clips/*.mp4')")
    b.add_argument("--out", required=True, metavar="DIR", help="folder for the reports")
    b.add_argument("--annotated", action="store_true", help="also write annotated videos")
    b.add_argument("--pdf", action="store_true", help="also write a PDF report per clip")
    b.add_argument("--profile", default="general", choices=sorted(PROFILES))
    b.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a threshold. Thresholds: " + cli_help())
    b.add_argument("--view", default="auto", choices=["auto", "side", "front"])
    b.add_argument("--max-minutes", type=float, default=30.0, help="longest clip to accept")
    cli_person.add_person_options(b)
    b.add_argument("--progress", action="store_true", default=None,
                   help="show the progress bar even when stderr is not a terminal")
    g = b.add_argument_group("clinic")
    g.add_argument("--client", metavar="NAME", help="use this client's thresholds")
    g.add_argument("--save", action="store_true", help="file every clip under --client")
    g.add_argument("--keep-video", action="store_true", help="with --save: store the videos too")
    add_engine_options(b)
    b.set_defaults(func=cmd_batch)
