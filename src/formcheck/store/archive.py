"""Reading an export archive safely: every member's name, declared size and compression ratio is
checked before anything is read; reads are streamed and stop at the declared size; the JSON is
parsed with duplicate keys refused; every field is validated with the rules the CLI applies
(labels, profiles, thresholds). The result is plain validated data; nothing touches the database.

Memory stays bounded by the limits in `formcheck.limits` whatever the archive claims.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

from ..errors import FormcheckError, UnknownProfileError
from ..limits import Limits, size_words
from ..thresholds import PROFILES, Thresholds, get_profile
from .errors import ExportFileError, StoreError
from .models import REP_FIELDS, RUN_FIELDS

EXPORT_FORMAT = "formcheck-export"
EXPORT_VERSION = 1
MANIFEST_BYTES = 64 * 1024
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX64 = re.compile(r"[0-9a-f]{64}")
FILE_NAME = re.compile(r"files/([0-9a-f]{64})")
VIEWS_REQUESTED = {"auto", "side", "front", "oblique"}
VIEWS = {"side", "front", "oblique", "unknown"}
FILE_KINDS = {"landmarks", "video"}
CHUNK = 1 << 20


class Malformed(Exception):
    """Where in the archive and what is wrong (turned into one ExportFileError by the caller)."""


class TooBig(Malformed):
    pass


class TooMany(Malformed):
    """More of something than formcheck keeps (reps in a session, ...): not damage."""


@dataclass(frozen=True)
class Member:
    info: zipfile.ZipInfo
    limit: int


def check_label(label, limits: Limits) -> str:
    """The one rule for client labels (CLI, app and import)."""
    if not isinstance(label, str):
        raise StoreError("A client label is text.")
    label = label.strip()
    if not label:
        raise StoreError("A client needs a label (a pseudonym such as 'knee-07', not a real name).")
    if len(label) > limits.label_chars:
        raise StoreError(f"Client labels are at most {limits.label_chars} characters.")
    if any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 for ch in label):
        raise StoreError("Client labels cannot hold control characters (tabs, line breaks).")
    return label


def check_notes(notes, limits: Limits, what: str = "Notes") -> str:
    if not isinstance(notes, str):
        raise StoreError(f"{what} are text.")
    if len(notes) > limits.notes_chars:
        raise StoreError(f"{what} are at most {limits.notes_chars:,} characters.")
    return notes


def check_thresholds(profile, overrides) -> None:
    """The profile must exist; every override must be a known threshold with a finite number
    (depth_target_deg may be None)."""
    if not isinstance(profile, str) or profile not in PROFILES:
        raise UnknownProfileError(f"Unknown profile {str(profile)[:40]!r}. Choose one of: "
                                  f"{', '.join(PROFILES)}.")
    if not isinstance(overrides, dict):
        raise UnknownProfileError("Thresholds must be NAME: number pairs.")
    for k, v in overrides.items():
        ok = (v is None and k == "depth_target_deg") or (
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
        if not ok:
            raise UnknownProfileError(f"Threshold {str(k)[:60]!r}: {str(v)[:40]!r} is not a "
                                      "number.")
    get_profile(profile, **overrides)   # unknown names: UnknownProfileError with the choices


# --- reading the archive -------------------------------------------------------------------------
def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise Malformed(f"a JSON object has the key {k[:60]!r} twice")
        out[k] = v
    return out


def _reject_constant(name):
    raise Malformed(f"the JSON holds {name}, which is not a number")


def inventory(z: zipfile.ZipFile, limits: Limits) -> dict[str, Member]:
    """Every member, checked by name, count, declared size and compression ratio before a byte
    of it is read."""
    infos = z.infolist()
    if len(infos) > limits.import_members:
        raise TooBig(f"it holds {len(infos):,} files; at most {limits.import_members:,} are "
                     "accepted")
    out: dict[str, Member] = {}
    for info in infos:
        name = info.filename
        if name in out:
            raise Malformed(f"it holds {name[:80]!r} twice")
        if name == "manifest.json":
            limit = MANIFEST_BYTES
        elif name == "data.json":
            limit = limits.import_json_bytes
        elif FILE_NAME.fullmatch(name):
            limit = max(limits.import_video_bytes, limits.landmark_file_bytes)
        else:
            raise Malformed(f"it holds a file named {name[:80]!r}, which no export has")
        if info.flag_bits & 0x1:
            raise Malformed(f"{name} is encrypted")
        if info.file_size > limit:
            raise TooBig(f"{name} is {size_words(info.file_size)}; at most {size_words(limit)} "
                         "are accepted")
        if info.file_size > CHUNK and info.file_size > limits.import_ratio * max(1, info.compress_size):
            raise TooBig(f"{name} would inflate {info.file_size // max(1, info.compress_size):,} "
                         "times (a zip bomb)")
        out[name] = Member(info, limit)
    for need in ("manifest.json", "data.json"):
        if need not in out:
            raise Malformed(f"{need} is missing")
    return out


def read_member(z: zipfile.ZipFile, m: Member, expect_size: int | None = None) -> bytes:
    """The member's bytes, read in chunks; stops as soon as it is longer than declared."""
    declared = m.info.file_size if expect_size is None else expect_size
    if declared > m.limit:
        raise TooBig(f"{m.info.filename} is {size_words(declared)}; at most "
                     f"{size_words(m.limit)} are accepted")
    buf = bytearray()
    try:
        with z.open(m.info) as f:
            while True:
                chunk = f.read(min(CHUNK, declared + 1 - len(buf)))
                if not chunk:
                    break
                buf += chunk
                if len(buf) > declared:
                    raise Malformed(f"{m.info.filename} is longer than declared")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise Malformed(f"{m.info.filename} cannot be read ({exc})") from None
    if len(buf) != declared:
        raise Malformed(f"{m.info.filename} is {len(buf)} bytes where {declared} were declared")
    return bytes(buf)


def read_json(z: zipfile.ZipFile, m: Member):
    data = read_member(z, m)
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates,
                          parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Malformed(f"{m.info.filename} is not valid JSON ({type(exc).__name__})") from None


# --- validating the data ----------------------------------------------------------------------------
def _obj(x, where: str, keys: set[str]) -> dict:
    if not isinstance(x, dict):
        raise Malformed(f"{where} is not an object")
    missing = keys - set(x)
    if missing:
        raise Malformed(f"{where} lacks {', '.join(sorted(missing))}")
    return x


def _str(x, where: str, max_len: int, pattern: re.Pattern | None = None,
         nullable: bool = False) -> str | None:
    if x is None and nullable:
        return None
    if not isinstance(x, str) or len(x) > max_len or (pattern and not pattern.fullmatch(x)):
        raise Malformed(f"{where} is not valid")
    return x


def _int(x, where: str, lo: int = 0, hi: int = 2**62) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or not lo <= x <= hi:
        raise Malformed(f"{where} is not a whole number in range")
    return x


def _time(x, where: str, nullable: bool = False) -> dt.datetime | None:
    if x is None and nullable:
        return None
    try:
        t = dt.datetime.fromisoformat(_str(x, where, 40))
    except ValueError:
        raise Malformed(f"{where} is not a date") from None
    return t.replace(tzinfo=None) if t.tzinfo is None else t.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _field(fn, where: str):
    try:
        return fn()
    except FormcheckError as exc:
        raise Malformed(f"{where}: {exc}") from None


MAX_REPS = 10_000            # per session: hours of squats at one every few seconds
MAX_CORRECTIONS = 10_000

REP_TYPES = {"rep": "int", "start_s": "float", "bottom_s": "float", "end_s": "float",
             "view": "str", "leg": "str", "depth": "str", "knee_past_toes": "bool?",
             "knees_cave_in": "bool?", "flags": "list"}


def _rep(r, where: str) -> dict:
    _obj(r, where, set(REP_FIELDS))
    out = {}
    for k in REP_FIELDS:
        v = r[k]
        kind = REP_TYPES.get(k, "float?")
        if kind == "int":
            v = _int(v, f"{where}.{k}", 1, 100_000)
        elif kind.startswith("float"):
            if v is None and kind.endswith("?"):
                pass
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise Malformed(f"{where}.{k} is not a number")
            else:
                v = float(v)
        elif kind == "str":
            v = _str(v, f"{where}.{k}", 20)
        elif kind == "bool?":
            if v is not None and not isinstance(v, bool):
                raise Malformed(f"{where}.{k} is not true/false")
        elif kind == "list":
            if not isinstance(v, list) or len(v) > 50 or not all(isinstance(x, str) and len(x) <= 80
                                                                  for x in v):
                raise Malformed(f"{where}.{k} is not a list of flags")
        out[k] = v
    return out


SESSION_KEYS = {"uid", "recorded_at", "created_at", "clip_name", "clip_sha256", "profile",
                "thresholds", "view_requested", "view", "rep_count", "cues", "report",
                "physio_note", "formcheck_version", "reps", "files"}
CLIENT_KEYS = {"uid", "label", "notes", "profile", "threshold_overrides", "created_at",
               "updated_at", "sessions"}
FILE_KEYS = {"kind", "filename", "media_type", "sha256", "size_bytes", "path"}


def _file(f, where: str, members: dict[str, Member], limits: Limits) -> dict:
    _obj(f, where, FILE_KEYS)
    kind = f["kind"]
    if kind not in FILE_KINDS:
        raise Malformed(f"{where}.kind is not valid")
    sha = _str(f["sha256"], f"{where}.sha256", 64, HEX64)
    if f["path"] != f"files/{sha}":
        raise Malformed(f"{where}.path does not name its file")
    if f["path"] not in members:
        raise Malformed(f"{where}: {f['path']} is missing from the archive")
    limit = limits.import_video_bytes if kind == "video" else limits.landmark_file_bytes
    size = _int(f["size_bytes"], f"{where}.size_bytes", 1, limit)
    if members[f["path"]].info.file_size != size:
        raise Malformed(f"{where}: {f['path']} has another size than declared")
    return {"kind": kind, "filename": _str(f["filename"], f"{where}.filename", 255),
            "media_type": _str(f["media_type"], f"{where}.media_type", 80), "sha256": sha,
            "size_bytes": size, "path": f["path"]}


def _session(sd, where: str, members, limits: Limits) -> dict:
    _obj(sd, where, SESSION_KEYS)
    th = sd["thresholds"]
    if not isinstance(th, dict):
        raise Malformed(f"{where}.thresholds is not an object")
    known = {f.name for f in fields(Thresholds)}
    _field(lambda: check_thresholds("general", {k: v for k, v in th.items() if k in known}),
           f"{where}.thresholds")
    reps = sd["reps"]
    if not isinstance(reps, list):
        raise Malformed(f"{where}.reps is not a list")
    if len(reps) > MAX_REPS:
        raise TooMany(f"{where} has {len(reps):,} reps; formcheck keeps at most "
                      f"{MAX_REPS:,} per session")
    reps = [_rep(r, f"{where}.reps[{i}]") for i, r in enumerate(reps)]
    numbers = [r["rep"] for r in reps]
    if len(set(numbers)) != len(numbers):
        raise Malformed(f"{where}.reps numbers a rep twice")
    rep_count = _int(sd["rep_count"], f"{where}.rep_count", 0, MAX_REPS)
    if rep_count != len(reps):
        raise Malformed(f"{where}.rep_count says {rep_count} but it has {len(reps)} reps")
    files = sd["files"]
    if not isinstance(files, list):
        raise Malformed(f"{where}.files is not a list")
    files = [_file(f, f"{where}.files[{i}]", members, limits) for i, f in enumerate(files)]
    kinds = [f["kind"] for f in files]
    if len(set(kinds)) != len(kinds):
        raise Malformed(f"{where}.files has the same kind of file twice")
    if "landmarks" not in kinds:
        raise Malformed(f"{where} has no landmarks")
    if not isinstance(sd["cues"], list) or not isinstance(sd["report"], dict):
        raise Malformed(f"{where}.cues or .report is not valid")
    if sd["profile"] not in PROFILES and not _str(sd["profile"], f"{where}.profile", 40):
        raise Malformed(f"{where}.profile is not valid")
    if sd["view_requested"] not in VIEWS_REQUESTED or sd["view"] not in VIEWS:
        raise Malformed(f"{where}.view is not valid")
    return {"uid": _str(sd["uid"], f"{where}.uid", 32, HEX32),
            "recorded_at": _time(sd["recorded_at"], f"{where}.recorded_at"),
            "created_at": _time(sd["created_at"], f"{where}.created_at", nullable=True),
            "clip_name": _str(sd["clip_name"], f"{where}.clip_name", 255),
            "clip_sha256": _str(sd["clip_sha256"], f"{where}.clip_sha256", 64, HEX64, True),
            "profile": _str(sd["profile"], f"{where}.profile", 40), "thresholds": th,
            "view_requested": sd["view_requested"], "view": sd["view"], "rep_count": rep_count,
            "cues": sd["cues"], "report": sd["report"],
            "physio_note": _field(lambda: check_notes(sd["physio_note"], limits, "Session notes"),
                                  f"{where}.physio_note"),
            "formcheck_version": _str(sd["formcheck_version"], f"{where}.formcheck_version", 20),
            "reps": reps, "files": files,
            # since schema 0003 (absent from older exports)
            "video_consent": _field(lambda: check_notes(sd.get("video_consent") or "", limits,
                                                        "Video consent"),
                                    f"{where}.video_consent"),
            "corrections": _corrections(sd.get("corrections") or [], f"{where}.corrections",
                                        numbers, limits),
            # since schema 0004 (absent from older exports: the profile's box default, no size)
            **_body(sd, where)}


def _body(sd: dict, where: str) -> dict:
    """A session's box setting (true/false/null) and the person's height and shin length in
    cm (null, or up to 250: the app's and the CLI's largest)."""
    box = sd.get("box")
    if box is not None and not isinstance(box, bool):
        raise Malformed(f"{where}.box is not true/false")
    out = {"box": box}
    for k in ("height_cm", "shin_cm"):
        v = sd.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v) or not 0 < v <= 250):
            raise Malformed(f"{where}.{k} is not a number of centimetres")
        out[k] = None if v is None else float(v)
    return out


def _corrections(cs, where: str, rep_numbers: list, limits: Limits) -> list[dict]:
    """A session's rep corrections (a physio's "not a rep" / "wrong value" marks)."""
    from ..report import check_correction

    if not isinstance(cs, list):
        raise Malformed(f"{where} is not a list")
    if len(cs) > MAX_CORRECTIONS:
        raise TooMany(f"{where} has {len(cs):,} corrections; formcheck keeps at most "
                      f"{MAX_CORRECTIONS:,} per session")
    out = []
    for i, c in enumerate(cs):
        w = f"{where}[{i}]"
        value = c.get("value") if isinstance(c, dict) else None    # older exports: none
        _obj({k: v for k, v in c.items() if k != "value"} if isinstance(c, dict) else c, w,
             {"rep", "kind", "metric", "note", "author", "created_at"})
        rep = _int(c["rep"], f"{w}.rep", 1, 100_000)
        if rep not in rep_numbers:
            raise Malformed(f"{w}.rep names a rep the session does not have")
        try:
            check_correction(c["kind"], c["metric"], value)
        except ValueError:
            raise Malformed(f"{w} is not a known correction") from None
        out.append({"rep": rep, "kind": c["kind"],
                    "metric": c["metric"] if c["kind"] == "wrong_value" else None,
                    "value": None if value is None else float(value),
                    "note": _field(lambda c=c: check_notes(c["note"], limits, "Correction note"),
                                   f"{w}.note"),
                    "author": _str(c["author"], f"{w}.author", 160),
                    "created_at": _time(c["created_at"], f"{w}.created_at")})
    return out


def validate(data, members: dict[str, Member], limits: Limits) -> list[dict]:
    """data.json -> validated clients with their sessions (or Malformed saying where)."""
    _obj(data, "data.json", {"clients"})
    clients = data["clients"]
    if not isinstance(clients, list):
        raise Malformed("data.json: clients is not a list")
    out, labels, uids = [], set(), set()
    for i, cd in enumerate(clients):
        where = f"client {i + 1}"
        _obj(cd, where, CLIENT_KEYS)
        label = _field(lambda: check_label(cd["label"], limits), f"{where}.label")
        where = f"client {label!r}"
        if label in labels:
            raise Malformed(f"{where} appears twice")
        labels.add(label)
        overrides = cd["threshold_overrides"]
        _field(lambda: check_thresholds(cd["profile"], overrides), f"{where} thresholds")
        sessions = cd["sessions"]
        if not isinstance(sessions, list):
            raise Malformed(f"{where}.sessions is not a list")
        sessions = [_session(sd, f"{where} session {j + 1}", members, limits)
                    for j, sd in enumerate(sessions)]
        for sd in sessions:
            if sd["uid"] in uids:
                raise Malformed(f"session {sd['uid']} appears twice")
            uids.add(sd["uid"])
        out.append({"uid": _str(cd["uid"], f"{where}.uid", 32, HEX32), "label": label,
                    "notes": _field(lambda: check_notes(cd["notes"], limits), f"{where}.notes"),
                    "profile": cd["profile"], "threshold_overrides": dict(overrides),
                    "created_at": _time(cd["created_at"], f"{where}.created_at", nullable=True),
                    "updated_at": _time(cd["updated_at"], f"{where}.updated_at", nullable=True),
                    "sessions": sessions,
                    # since schema 0005 (absent from older exports)
                    "runs": _runs(cd.get("runs") or [], f"{where}.runs")})
    return out


def _runs(rs, where: str) -> list:
    """A client's imported runs, checked field by field (formcheck.runs.model.Run)."""
    from ..runs.model import Run

    if not isinstance(rs, list) or len(rs) > 100_000:
        raise Malformed(f"{where} is not a list")
    out = []
    for i, r in enumerate(rs):
        w = f"{where}[{i}]"
        _obj(r, w, set(RUN_FIELDS))
        vals = {}
        for k in RUN_FIELDS:
            v = r[k]
            if k in ("sport", "start", "source_file", "device"):
                v = _str(v, f"{w}.{k}", {"sport": 40, "start": 40}.get(k, 255 if k ==
                                                                        "source_file" else 200))
            elif v is None and k not in ("duration_s", "moving_s", "distance_m"):
                pass
            elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or v < 0:
                raise Malformed(f"{w}.{k} is not a number")
            else:
                v = float(v)
            vals[k] = v
        _time(vals["start"], f"{w}.start")
        if dt.datetime.fromisoformat(vals["start"]).tzinfo is None:
            raise Malformed(f"{w}.start has no UTC offset")
        out.append(Run(**vals))
    return out


def read_blob(z: zipfile.ZipFile, members: dict[str, Member], f: dict) -> bytes:
    """One stored file, streamed, its size and SHA-256 checked against data.json."""
    blob = read_member(z, members[f["path"]], expect_size=f["size_bytes"])
    if hashlib.sha256(blob).hexdigest() != f["sha256"]:
        raise Malformed(f"the {f['kind']} file {f['path']} is damaged (checksum mismatch)")
    return blob


def open_archive(path: Path, display: str) -> zipfile.ZipFile:
    from ..landmarks import regular_file_problem

    why = regular_file_problem(path)
    if why == "was not found":
        raise ExportFileError(f"Export file not found: {display}.")
    if why:
        raise ExportFileError(f"{display} {why}.")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ExportFileError(f"{display} is not a formcheck export. Make one with "
                              "`formcheck export FILE.zip`.") from None
