"""Files, folders, .gz and .zip exports -> Runs, within limits that keep memory bounded.

Nothing is stored here: `collect` reads everything first and raises on the first bad file, so
a caller that stores only after `collect` returns never half-imports.
"""

from __future__ import annotations

import gzip
import logging
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .errors import RunFileError
from .model import Run
from .readers import read_bytes

log = logging.getLogger(__name__)

# One activity file, after decompression. A 24-hour FIT recording at one record a second is about
# 5 MB, a GPX of it about 20 MB, so 64 MiB leaves room and still bounds memory.
MAX_FILE_BYTES = 64 * 1024 * 1024
# A zip member whose declared size is this many times its compressed size is refused (activity
# files compress 3-15x; a zip bomb by 1000x and more).
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 50_000
SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")


@dataclass(frozen=True)
class Collected:
    runs: tuple[Run, ...]          # unique by (device, start), first seen kept
    duplicates: tuple[Run, ...]    # seen twice in this import
    skipped: tuple[str, ...]       # files in a folder or zip that are not activity files


def _is_activity(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def _too_big(name: str) -> RunFileError:
    return RunFileError(f"{name}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, far more "
                        "than one activity. Give the activity files one by one, or the export "
                        "zip. Nothing was imported.")


def _read_capped(stream, name: str) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name)
    return data


def _gunzip(raw: bytes, name: str) -> bytes:
    import io

    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as g:
            return _read_capped(g, name)
    except (OSError, EOFError, zlib.error) as exc:
        raise RunFileError(f"{name}: the .gz file is damaged ({exc}). Download it "
                           "again.") from None


def _from_zip(path: Path) -> Iterator[tuple[str, bytes | None]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise RunFileError(f"{path.name}: not a readable zip file ({exc}). Download the export "
                           "again.") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            raise RunFileError(f"{path.name}: holds {len(infos)} files, more than "
                               f"{MAX_ZIP_MEMBERS}. Split the export.")
        for info in infos:
            name = f"{path.name}/{info.filename}"
            if not _is_activity(info.filename):
                yield name, None
                continue
            if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(
                    info.compress_size, 1):
                raise RunFileError(f"{name}: unpacks to {info.file_size / info.compress_size:.0f}"
                                   " times its packed size, which activity files never do (a "
                                   "zip bomb?). Nothing was imported.")
            if info.file_size > MAX_FILE_BYTES:
                raise _too_big(name)
            try:
                with zf.open(info) as f:
                    raw = _read_capped(f, name)   # the declared size may lie: read capped
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error,
                    NotImplementedError) as exc:
                raise RunFileError(f"{name}: cannot be unpacked ({exc}). Download the export "
                                   "again.") from None
            yield name, raw


def _from_path(path: Path) -> Iterator[tuple[str, bytes | None]]:
    if path.is_dir():
        for p in sorted(q for q in path.rglob("*") if q.is_file()):
            if p.suffix.lower() == ".zip":
                yield from _from_zip(p)
            elif _is_activity(p.name):
                yield from _from_path(p)
            else:
                yield str(p.relative_to(path)), None
        return
    if not path.is_file():
        raise RunFileError(f"{path}: no such file or folder. Check the path.")
    if path.suffix.lower() == ".zip":
        yield from _from_zip(path)
        return
    if not _is_activity(path.name):
        raise RunFileError(f"{path.name}: not an activity file formcheck reads (.fit, .fit.gz, "
                           ".gpx, .tcx, or a .zip of them).")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _too_big(path.name)
    with path.open("rb") as f:
        yield path.name, _read_capped(f, path.name)


def runs_in(name: str, raw: bytes, default_sport: str | None = None) -> list[Run]:
    """The runs of one activity file's bytes (gzipped or not)."""
    if name.lower().endswith(".gz"):
        raw = _gunzip(raw, name)
    return read_bytes(raw, name.rsplit("/", 1)[-1] if "/" in name else name, default_sport)


def collect_named(items: Iterable[tuple[str, bytes | None]], default_sport: str | None = None
                  ) -> Collected:
    runs: dict[tuple[str, str], Run] = {}
    dups, skipped = [], []
    for name, raw in items:
        if raw is None:
            skipped.append(name)
            continue
        if len(raw) > MAX_FILE_BYTES:
            raise _too_big(name)
        for run in runs_in(name, raw, default_sport):
            if run.key in runs:
                dups.append(run)
            else:
                runs[run.key] = run
    ordered = sorted(runs.values(), key=lambda r: r.start_dt)
    return Collected(tuple(ordered), tuple(dups), tuple(skipped))


def collect(paths: Iterable[str | Path], default_sport: str | None = None) -> Collected:
    """Every activity in files, folders, .gz and .zip files; raises RunFileError on the first
    bad one (nothing is returned, so nothing half-imported)."""
    def items():
        for p in paths:
            yield from _from_path(Path(p))
    return collect_named(items(), default_sport)


def collect_upload(name: str, raw: bytes, default_sport: str | None = None) -> Collected:
    """One uploaded file (the app): an activity file or an export zip, given as bytes."""
    if name.lower().endswith(".zip"):
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / Path(name).name
            p.write_bytes(raw)
            return collect([p], default_sport)
    if not _is_activity(name):
        raise RunFileError(f"{name}: not an activity file formcheck reads (.fit, .fit.gz, .gpx, "
                           ".tcx, or a .zip of them).")
    return collect_named([(name, raw)], default_sport)
