"""Many clips at once: a folder (or globs) in, one report per clip and a summary CSV out.

Clips are tracked on the engine (engine.py) as they fit; each finished clip is analysed and
its outputs written at once, so an interrupted batch keeps what it finished. A re-run skips a
clip whose report records the same clip hash and settings (and whose outputs are all there).
A clip that cannot be read or has nobody in it is reported and skipped; the rest go on.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import logging
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import __version__
from .analysis import Analysis, analyze_sequence, with_person
from .engine import ClipJob, Engine, ProgressFn, plan
from .errors import FormcheckError
from .parallel import plan_chunks
from .thresholds import Thresholds
from .video import VIDEO_EXTENSIONS

log = logging.getLogger(__name__)

BATCH_CHUNK_S = 60.0   # in a batch, clips are split only when long (or fewer than the workers)
# What tracking a clip costs, to hand the costliest out first (tracking_cost): the pose model's
# work per tracked frame, plus decoding (and converting) every frame of the file, in proportion
# to its pixels. Measured with parallel.track_chunk alone (one decoder thread, as a batch's
# workers decode), CPU seconds on a shared machine, 2026-12-07: 22.1 ms per tracked frame on
# the 1280x720 30 fps benchmark clip (0.92 decoded megapixels per tracked frame), 30.5 ms on
# the 1920x1080 60 fps one (4.15): 19.7 ms + 2.6 ms per decoded megapixel, i.e. a decoded
# megapixel costs 0.13 of a tracked frame (benchmarks/bench_speed.py's clips, not the
# labelled ones).
DECODE_COST_PER_MP = 0.13
SUMMARY_FIELDS = ["clip", "status", "rep_count", "view", "reps_knee_past_toes",
                  "deepest_thigh_angle_deg", "max_knee_over_toe_ratio", "warnings", "report",
                  "message"]


@dataclass(frozen=True)
class BatchSettings:
    """Everything that changes a clip's outputs: a report made with other settings is redone."""

    thresholds: Thresholds
    profile: str = "general"
    view: str = "auto"
    max_fps: float | None = 30.0
    max_duration_s: float | None = None
    annotated: bool = False
    pdf: bool = False
    # what the user said about the person filmed (analysis.with_person; None = not said)
    height_cm: float | None = None
    shin_cm: float | None = None
    box: bool | None = None

    def key(self) -> str:
        said = {k: v for k, v in (("height_cm", self.height_cm), ("shin_cm", self.shin_cm),
                                  ("box", self.box)) if v is not None}
        blob = json.dumps({"thresholds": self.thresholds.as_dict(), "profile": self.profile,
                           "view": self.view, "max_fps": self.max_fps,
                           "formcheck": __version__, **said}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class ClipOutcome:
    """What happened to one clip: done (analysed now), skipped (already done), or error."""

    clip: Path
    name: str                      # file stem of its outputs in the out folder
    status: str
    message: str = ""
    report: dict | None = None
    analysis: Analysis | None = None
    raw: object = None             # PoseSequence when analysed now
    outputs: list[Path] = field(default_factory=list)


def find_clips(inputs: list[str]) -> list[Path]:
    """Video files from folders (their videos, not sub-folders), globs and file names, in order,
    each once."""
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.iterdir()
                           if f.is_file() and f.suffix.lower() in VIDEO_EXTENSIONS)
        elif p.exists():
            found = [p]
        elif glob.has_magic(item):
            found = sorted(Path(f) for f in glob.glob(item, recursive=True)
                           if Path(f).is_file() and Path(f).suffix.lower() in VIDEO_EXTENSIONS)
        else:
            raise FormcheckError(f"{item} does not exist. Give clip files, folders of clips, or "
                                 "a quoted pattern such as 'clips/*.mp4'.")
        if not found:
            raise FormcheckError(f"No video files ({', '.join(VIDEO_EXTENSIONS)}) in {item}.")
        out += found
    seen, unique = set(), []
    for f in out:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique


SUMMARY_NAME = "summary.csv"
OUTPUT_SUFFIXES = (".json", ".csv", ".landmarks.npz", ".annotated.mp4", ".pdf")


def output_names(clips: list[Path], out_dir: Path | None = None) -> list[str]:
    """A name per clip for its outputs (NAME.json, NAME.csv, ...): its stem, or stem-2,
    stem-3... when one of those files would be another clip's output, the summary (a clip
    named summary.mp4), or, with `out_dir`, one of the clips themselves. Case is ignored
    (case-insensitive file systems). The same clips in the same order get the same names, so
    a re-run finds its reports."""
    taken = {SUMMARY_NAME}
    if out_dir is not None:
        here = out_dir.resolve()
        taken |= {c.name.lower() for c in clips if c.resolve().parent == here}
    names = []
    for c in clips:
        name, k = c.stem, 1
        while any((name + suffix).lower() in taken for suffix in OUTPUT_SUFFIXES):
            k += 1
            name = f"{c.stem}-{k}"
        taken |= {(name + suffix).lower() for suffix in OUTPUT_SUFFIXES}
        names.append(name)
    return names


def paths_for(out_dir: Path, name: str, settings: BatchSettings) -> dict[str, Path]:
    p = {"report": out_dir / f"{name}.json", "csv": out_dir / f"{name}.csv",
         "landmarks": out_dir / f"{name}.landmarks.npz"}
    if settings.annotated:
        p["annotated"] = out_dir / f"{name}.annotated.mp4"
    if settings.pdf:
        p["pdf"] = out_dir / f"{name}.pdf"
    return p


def _previous(paths: dict[str, Path], digest: str, settings: BatchSettings) -> dict | None:
    """The clip's earlier report when it is for this clip and these settings, with every
    output there; else None."""
    if not all(p.is_file() for p in paths.values()):
        return None
    try:
        rep = json.loads(paths["report"].read_text())
    except (OSError, ValueError):
        return None
    b = rep.get("batch") or {}
    if b.get("clip_sha256") == digest and b.get("settings") == settings.key():
        return rep
    return None


def summary_row(clip: Path, status: str, report: dict | None, message: str = "",
                report_path: Path | None = None) -> dict:
    row = {k: "" for k in SUMMARY_FIELDS}
    row.update(clip=str(clip), status=status, message=message,
               report=str(report_path) if report_path and report else "")
    if report:
        reps = report.get("reps", [])
        thighs = [r["thigh_angle_deg"] for r in reps if r.get("thigh_angle_deg") is not None]
        kot = [r["knee_over_toe_ratio"] for r in reps if r.get("knee_over_toe_ratio") is not None]
        row.update(rep_count=report.get("rep_count", ""), view=report.get("view", ""),
                   reps_knee_past_toes=sum(bool(r.get("knee_past_toes")) for r in reps),
                   deepest_thigh_angle_deg=max(thighs) if thighs else "",
                   max_knee_over_toe_ratio=max(kot) if kot else "",
                   warnings=len(report.get("warnings", [])))
    return row


def summary_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SUMMARY_FIELDS)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _write(outcome: ClipOutcome, paths: dict[str, Path], digest: str,
           settings: BatchSettings) -> None:
    from . import report
    from .landmarks import save_npz

    a = outcome.analysis
    save_npz(outcome.raw, paths["landmarks"])
    report.write_csv(a, paths["csv"])
    if "pdf" in paths:
        from .pdf_report import session_pdf

        report.write_bytes_atomic(paths["pdf"], session_pdf(a, clip_path=outcome.clip,
                                                            clip_name=outcome.clip.name))
    if "annotated" in paths:
        from .render import write_annotated

        write_annotated(outcome.clip, a, paths["annotated"])
    d = report.to_dict(a)
    d["batch"] = {"clip": str(outcome.clip), "clip_sha256": digest, "settings": settings.key()}
    # the report last: its presence with this hash and these settings marks the clip done
    report.write_text_atomic(paths["report"], json.dumps(d, indent=2) + "\n")
    outcome.report = d
    outcome.outputs = list(paths.values())


def tracking_cost(job: ClipJob) -> float:
    """What tracking `job` costs, in tracked frames: each frame the pose model sees, plus
    DECODE_COST_PER_MP for each megapixel decoded (every frame of the file is decoded, also
    those skipped above max_fps)."""
    fps = job.info.fps
    tracked_fps = min(fps, job.max_fps) if job.max_fps else fps
    mp = job.info.width_px * job.info.height_px / 1e6
    return job.work_s * (tracked_fps + DECODE_COST_PER_MP * mp * fps)


def run_batch(clips: list[Path], out_dir: Path, settings: BatchSettings, engine: Engine,
              progress: ProgressFn | None = None,
              on_clip: Callable[[ClipOutcome], None] | None = None) -> list[ClipOutcome]:
    """Analyse every clip (skipping those already done); write per-clip outputs and
    out_dir/summary.csv. Returns one outcome per clip, in the order given."""
    from .digest import sha256_file

    out_dir.mkdir(parents=True, exist_ok=True)
    names = output_names(clips, out_dir)
    outcomes: list[ClipOutcome | None] = [None] * len(clips)
    digests: dict[int, str] = {}
    jobs: list[ClipJob] = []
    job_of: dict[int, int] = {}

    def finish(i: int, oc: ClipOutcome) -> None:
        outcomes[i] = oc
        if on_clip is not None:
            on_clip(oc)

    todo = []
    for i, clip in enumerate(clips):
        paths = paths_for(out_dir, names[i], settings)
        try:
            digests[i] = sha256_file(clip)
        except OSError as exc:
            finish(i, ClipOutcome(clip, names[i], "error", f"Cannot read {clip}: {exc.strerror}."))
            continue
        prev = _previous(paths, digests[i], settings)
        if prev is not None:
            finish(i, ClipOutcome(clip, names[i], "skipped", "already analysed with these "
                                  "settings", report=prev, outputs=list(paths.values())))
        else:
            todo.append(i)
    workers = engine.n_workers() if todo else 1
    for i in todo:
        try:
            job = plan(clips[i], 1, settings.max_fps, settings.max_duration_s)
            n = max(1, math.ceil(job.info.duration_s / BATCH_CHUNK_S))
            if len(todo) < workers:
                n = max(n, workers // len(todo))
            if n > 1:
                job = replace(job, chunks=tuple(plan_chunks(job.info.duration_s, n,
                                                            settings.max_fps)))
        except FormcheckError as exc:
            finish(i, ClipOutcome(clips[i], names[i], "error", str(exc)))
            continue
        job_of[len(jobs)] = i
        jobs.append(job)
    index_of = {id(j): i for j, i in zip(jobs, (job_of[k] for k in range(len(jobs))))}
    # costliest first: the cheap clips fill in at the end, so no worker waits long on the last
    # one (by seconds of video, a short 1080p clip went last after longer but cheaper ones)
    jobs.sort(key=tracking_cost, reverse=True)
    for res in engine.run(jobs, progress):
        i = index_of[id(res.job)]
        clip = clips[i]
        if res.error is not None:
            finish(i, ClipOutcome(clip, names[i], "error", res.error))
            continue
        oc = ClipOutcome(clip, names[i], "done", raw=res.seq)
        try:
            oc.analysis = with_person(
                analyze_sequence(res.seq, settings.thresholds, settings.profile, settings.view,
                                 warnings=res.warnings),
                settings.height_cm, settings.shin_cm, settings.box)
            _write(oc, paths_for(out_dir, names[i], settings), digests[i], settings)
        except FormcheckError as exc:
            oc.status, oc.message = "error", str(exc)
        finish(i, oc)
    rows = [summary_row(o.clip, o.status, o.report, o.message,
                        out_dir / f"{o.name}.json") for o in outcomes if o is not None]
    from .report import write_text_atomic

    write_text_atomic(out_dir / SUMMARY_NAME, summary_csv(rows))
    return [o for o in outcomes if o is not None]
