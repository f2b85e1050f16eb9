"""What the clinic does with the database: clients, saving a session in one transaction, history
and trends, re-scoring, forgetting a client, and export/import of everything.

Callers get plain dataclasses back, never ORM objects, so nothing lazy-loads after a transaction.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import logging
import os
import shlex
import tempfile
import time
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from .. import __version__
from ..atomic import atomic_path
from ..digest import sha256_file  # noqa: F401 - where callers of the store find it
from ..landmarks import PoseSequence, load_npz, save_npz
from ..thresholds import PROFILES, Thresholds, get_profile
from ..values import clean_float
from .db import BUSY_TIMEOUT_S, Database, open_database
from .errors import (ClientExistsError, ExportFileError, ImportConflictError, StoreError,
                     UnknownClientError, UnknownSessionError)
from .models import (REP_FIELDS, AuditEvent, Client, Rep, RepCorrection, Session, SessionFile,
                     new_uid, utcnow)

if TYPE_CHECKING:
    from ..report import Correction, SetSummary

log = logging.getLogger(__name__)

from .archive import EXPORT_FORMAT, EXPORT_VERSION  # noqa: E402
MAX_VIDEO_BYTES = 500 * 1024 * 1024
# Corrected sessions' trend points (re-analysed from the landmarks): by database, session uid
# and the corrections, none of which changes what they are; the newest CORRECTED_CACHE_SIZE.
CORRECTED_CACHE_SIZE = 512
# scrub: tries of the truncating checkpoint while a reader elsewhere holds the log, and the wait
# between them (5 s in all); then the freed pages go when that reader closes
SCRUB_TRIES = 50
SCRUB_WAIT_S = 0.1
_corrected: dict[tuple, "SetSummary"] = {}
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime",
               ".webm": "video/webm", ".avi": "video/x-msvideo"}


# --- landmarks <-> bytes ------------------------------------------------------------------------
def to_npz_bytes(seq: PoseSequence) -> bytes:
    """The landmarks as the bytes of a `formcheck.landmarks.save_npz` file."""
    with tempfile.TemporaryDirectory(prefix="formcheck-") as d:
        path = Path(d) / "landmarks.npz"
        save_npz(seq, path)
        return path.read_bytes()


def from_npz_bytes(data: bytes) -> PoseSequence:
    """Inverse of `to_npz_bytes` (validated by `formcheck.landmarks.load_npz`)."""
    with tempfile.TemporaryDirectory(prefix="formcheck-") as d:
        path = Path(d) / "landmarks.npz"
        path.write_bytes(data)
        return load_npz(path)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- what callers get ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ClientInfo:
    id: int
    uid: str
    label: str
    notes: str
    profile: str
    threshold_overrides: dict
    created_at: dt.datetime
    session_count: int = 0
    last_session_at: dt.datetime | None = None

    @property
    def thresholds(self) -> Thresholds:
        return client_thresholds(self.profile, self.threshold_overrides)


@dataclass(frozen=True)
class SessionInfo:
    id: int
    uid: str
    client_label: str
    recorded_at: dt.datetime
    clip_name: str
    clip_sha256: str | None
    profile: str
    thresholds: dict
    view_requested: str
    view: str
    rep_count: int
    physio_note: str
    has_video: bool
    cues: list = field(default_factory=list)
    report: dict = field(default_factory=dict)
    reps: list = field(default_factory=list)      # dicts with REP_FIELDS
    video_consent: str = ""                       # the consent wording shown when kept
    box: bool | None = None          # squats onto a box or chair (None: the profile's default)
    height_cm: float | None = None   # the person's height, as given when it was saved
    shin_cm: float | None = None     # or their shin length

    @property
    def thresholds_obj(self) -> Thresholds:
        return thresholds_from_dict(self.thresholds)


@dataclass(frozen=True)
class TrendPoint:
    """One saved session at a glance, for the history table and the trend plots."""

    session_id: int
    recorded_at: dt.datetime
    view: str
    summary: "SetSummary"     # formcheck.report.summarize_rows over the session's rep rows,
                              # after the physio's corrections (report.corrected_set_summary)
    corrections: int = 0      # how many corrections the physio made to the session


@dataclass(frozen=True)
class ChairStandPoint:
    """One saved chair-stand test, for the client's trend."""

    session_id: int
    recorded_at: dt.datetime
    test: str                 # chairstand.TESTS
    stands: int               # complete stands counted
    time_s: float | None      # the test's time
    verdict: str | None       # against the published norm, when the age (and sex) was given


def _known(d: dict | None) -> dict:
    known = {f.name for f in fields(Thresholds)}
    gone = set(d or {}) - known
    if gone:
        log.warning("ignoring thresholds this formcheck no longer has: %s", ", ".join(sorted(gone)))
    return {k: v for k, v in (d or {}).items() if k in known}


def thresholds_from_dict(d: dict) -> Thresholds:
    """Thresholds saved by any formcheck version: fields since removed are ignored, fields added
    since take their defaults."""
    return Thresholds(**_known(d))


def client_thresholds(profile: str, overrides: dict | None) -> Thresholds:
    return get_profile(profile if profile in PROFILES else "general", **_known(overrides))


def _check_label(label: str) -> str:
    from .. import limits
    from .archive import check_label

    return check_label(label or "", limits.current())


def _check_notes(notes: str | None, what: str = "Notes") -> str:
    from .. import limits
    from .archive import check_notes

    return check_notes(notes or "", limits.current(), what)


def _check_profile(profile: str, overrides: dict | None) -> None:
    from .archive import check_thresholds

    check_thresholds(profile, dict(overrides or {}))   # UnknownProfileError names the choices


def rename_command(label: str) -> str:
    """The command that renames a client (`formcheck clients set LABEL --rename NEW`)."""
    return f"formcheck clients set {shlex.quote(label)} --rename NEW"


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


class Store:
    """The clinic's clients and sessions in one database."""

    def __init__(self, db: Database):
        self.db = db

    # --- clients --------------------------------------------------------------------------------
    def _client(self, s, label: str) -> Client:
        c = s.scalar(select(Client).where(Client.label == label))
        if c is None:
            labels = list(s.scalars(select(Client.label)))
            close = difflib.get_close_matches(label, labels, n=3, cutoff=0.6)
            hint = (f" Did you mean {', '.join(repr(x) for x in close)}?" if close else
                    " List clients with `formcheck clients`; add one with "
                    f"`formcheck clients add {label!r}`.")
            raise UnknownClientError(f"No client called {label!r}.{hint}")
        return c

    def _client_info(self, s, c: Client) -> ClientInfo:
        n, last = s.execute(select(func.count(Session.id), func.max(Session.recorded_at))
                            .where(Session.client_id == c.id)).one()
        return ClientInfo(c.id, c.uid, c.label, c.notes, c.profile, dict(c.threshold_overrides or {}),
                          c.created_at, int(n), last)

    def add_client(self, label: str, notes: str = "", profile: str = "knee-rehab",
                   threshold_overrides: dict | None = None) -> ClientInfo:
        label = _check_label(label)
        _check_profile(profile, threshold_overrides)
        try:
            with self.db.session() as s:
                if s.scalar(select(Client.id).where(Client.label == label)) is not None:
                    raise ClientExistsError(f"A client called {label!r} exists already.")
                c = Client(label=label, notes=_check_notes(notes), profile=profile,
                           threshold_overrides=dict(threshold_overrides or {}))
                s.add(c)
                s.flush()
                return self._client_info(s, c)
        except IntegrityError:   # another app session added the same label at the same moment
            raise ClientExistsError(f"A client called {label!r} exists already.") from None

    def get_client(self, label: str) -> ClientInfo:
        with self.db.session(write=False) as s:
            return self._client_info(s, self._client(s, label))

    def list_clients(self) -> list[ClientInfo]:
        with self.db.session(write=False) as s:
            rows = s.execute(
                select(Client, func.count(Session.id), func.max(Session.recorded_at))
                .outerjoin(Session, Session.client_id == Client.id)
                .group_by(Client.id).order_by(Client.label)).all()
            return [ClientInfo(c.id, c.uid, c.label, c.notes, c.profile,
                               dict(c.threshold_overrides or {}), c.created_at, int(n), last)
                    for c, n, last in rows]

    def update_client(self, label: str, *, new_label: str | None = None, notes: str | None = None,
                      profile: str | None = None, threshold_overrides: dict | None = None,
                      replace_overrides: bool = False) -> ClientInfo:
        """Change a client's label, notes, profile or thresholds. Overrides are merged into the
        existing ones (a value of None removes one) unless replace_overrides."""
        try:
            with self.db.session() as s:
                c = self._client(s, label)
                if new_label is not None and new_label.strip() != c.label:
                    c.label = _check_label(new_label)
                if notes is not None:
                    c.notes = _check_notes(notes)
                prof = profile or c.profile
                ov = {} if replace_overrides else dict(c.threshold_overrides or {})
                for k, v in (threshold_overrides or {}).items():
                    if v is None and not replace_overrides and k != "depth_target_deg":
                        ov.pop(k, None)
                    else:
                        ov[k] = v
                _check_profile(prof, ov)
                c.profile, c.threshold_overrides = prof, ov
                s.flush()
                return self._client_info(s, c)
        except IntegrityError:
            raise ClientExistsError(f"A client called {new_label!r} exists already.") from None

    # --- sessions -------------------------------------------------------------------------------
    def save_session(self, client_label: str, analysis, raw_seq: PoseSequence, *,
                     clip_path: str | Path | None = None, keep_video: bool = False,
                     physio_note: str = "", recorded_at: dt.datetime | None = None,
                     view_requested: str = "auto", clip_name: str | None = None,
                     video_consent: str = "", chair_stand: dict | None = None
                     ) -> SessionInfo:
        """Save one analysed clip in ONE transaction: the session, its reps, its landmarks and,
        only if keep_video, the video file (with `video_consent`, the consent wording the
        client agreed to). Nothing is written if any part fails. A chair-stand test's report
        (chairstand.to_dict) is kept in the session's report as "chair_stand"."""
        from ..report import rep_rows, to_dict

        if raw_seq is None or len(raw_seq) == 0:
            raise StoreError("There are no landmarks to save; analyse a clip first.")
        if keep_video and not clip_path:
            raise StoreError("--keep-video needs the video file itself (not only landmarks).")
        clip_hash = video = None
        if clip_path:
            clip_path = Path(clip_path)
            if not clip_path.is_file():
                raise StoreError(f"Video file not found: {clip_path}.")
            clip_hash = sha256_file(clip_path)
            if keep_video:
                size = clip_path.stat().st_size
                if size > MAX_VIDEO_BYTES:
                    raise StoreError(f"The video is {size / 2**20:.0f} MB; at most "
                                     f"{MAX_VIDEO_BYTES / 2**20:.0f} MB are stored. Save without "
                                     "the video (the landmarks are always kept) or trim the clip.")
                video = clip_path.read_bytes()
        landmarks = to_npz_bytes(raw_seq)
        report = to_dict(analysis)
        if chair_stand is not None:
            report["chair_stand"] = chair_stand
        name = clip_name or (clip_path.name if clip_path else Path(analysis.source or "").name)
        with self.db.session() as s:
            c = self._client(s, client_label)
            sess = Session(client_id=c.id, recorded_at=recorded_at or utcnow(),
                           clip_name=name[:255], clip_sha256=clip_hash, profile=analysis.profile,
                           thresholds=analysis.thresholds.as_dict(), view_requested=view_requested,
                           view=analysis.view.view, rep_count=analysis.rep_count,
                           cues=report["cues"], report=report,
                           physio_note=_check_notes(physio_note, "Session notes"),
                           video_consent=_check_notes(video_consent, "Video consent")
                           if keep_video else "",
                           formcheck_version=__version__, box=bool(analysis.box),
                           height_cm=analysis.height_cm, shin_cm=analysis.shin_cm)
            for row in rep_rows(analysis):
                sess.reps.append(Rep(**{k: (clean_float(row[k]) if isinstance(row[k], float)
                                            else row[k]) for k in REP_FIELDS}))
            sess.files.append(SessionFile(kind="landmarks", filename="landmarks.npz",
                                          media_type="application/x-npz", sha256=_sha(landmarks),
                                          size_bytes=len(landmarks), data=landmarks))
            if video is not None:
                sess.files.append(SessionFile(
                    kind="video", filename=name[:255],
                    media_type=VIDEO_TYPES.get(clip_path.suffix.lower(), "application/octet-stream"),
                    sha256=clip_hash, size_bytes=len(video), data=video))
            s.add(sess)
            s.flush()
            return self._session_info(s, sess, full=True)

    def _session_info(self, s, sess: Session, full: bool = False) -> SessionInfo:
        kinds = set(s.scalars(select(SessionFile.kind).where(SessionFile.session_id == sess.id)))
        reps = []
        if full:
            reps = [{k: getattr(r, k) for k in REP_FIELDS} for r in sess.reps]
        return SessionInfo(sess.id, sess.uid, sess.client.label, sess.recorded_at, sess.clip_name,
                           sess.clip_sha256, sess.profile, dict(sess.thresholds), sess.view_requested,
                           sess.view, sess.rep_count, sess.physio_note, "video" in kinds,
                           list(sess.cues) if full else [], dict(sess.report) if full else {}, reps,
                           sess.video_consent or "", sess.box, sess.height_cm, sess.shin_cm)

    def _session(self, s, session_id: int) -> Session:
        sess = s.get(Session, int(session_id))
        if sess is None:
            raise UnknownSessionError(f"No session with id {session_id}. See the ids with "
                                      "`formcheck history CLIENT`.")
        return sess

    def list_sessions(self, client_label: str) -> list[SessionInfo]:
        with self.db.session(write=False) as s:
            c = self._client(s, client_label)
            sessions = s.scalars(select(Session).where(Session.client_id == c.id)
                                 .order_by(Session.recorded_at, Session.id)).all()
            return [self._session_info(s, x) for x in sessions]

    def get_session(self, session_id: int) -> SessionInfo:
        with self.db.session(write=False) as s:
            return self._session_info(s, self._session(s, session_id), full=True)

    def set_note(self, session_id: int, note: str) -> None:
        with self.db.session() as s:
            self._session(s, session_id).physio_note = _check_notes(note, "Session notes")

    def delete_session(self, session_id: int, *, actor: str) -> None:
        """Delete a session with its reps and files; the audit log records who, in the same
        transaction (whether `actor` may is auth.delete_session's question)."""
        with self.db.session() as s:
            sess = self._session(s, session_id)
            s.add(AuditEvent(actor=actor[:160], action="delete_session", client_uid=sess.client.uid,
                             detail=f"session {sess.id} of {sess.recorded_at:%Y-%m-%d %H:%M}, "
                                    f"{sess.rep_count} rep(s)"))
            s.delete(sess)

    def _file(self, session_id: int, kind: str) -> bytes | None:
        with self.db.session(write=False) as s:
            self._session(s, session_id)
            return s.scalar(select(SessionFile.data).where(SessionFile.session_id == session_id,
                                                           SessionFile.kind == kind))

    def load_landmarks(self, session_id: int) -> PoseSequence:
        data = self._file(session_id, "landmarks")
        if data is None:
            raise StoreError(f"Session {session_id} has no landmarks stored.")
        return from_npz_bytes(data)

    def load_video(self, session_id: int) -> bytes | None:
        """The stored video, or None when the physio did not keep it."""
        return self._file(session_id, "video")

    def load_analysis(self, session_id: int, thresholds: Thresholds | None = None,
                      profile: str | None = None):
        """Re-run the analysis on the stored landmarks, with the thresholds used at the time or
        with new ones (re-scoring): no model, no video needed. The box setting and the person's
        height or shin length saved with the session apply again, so the record says what the
        analysis said when it was saved."""
        from ..analysis import analyze_sequence, with_person

        info = self.get_session(session_id)
        raw = self.load_landmarks(session_id)
        th = thresholds or info.thresholds_obj
        analysis = analyze_sequence(raw, th, profile or (info.profile if thresholds is None
                                                         else "custom"), info.view_requested)
        return with_person(analysis, info.height_cm, info.shin_cm, info.box)

    # --- a physio's corrections -----------------------------------------------------------------
    def add_correction(self, session_id: int, rep: int, kind: str, *, author: str,
                       metric: str | None = None, note: str = "",
                       value: float | None = None) -> "Correction":
        """Mark rep `rep` (1-based) of a session "not_a_rep", or one of its values
        ("wrong_value", `metric`) as wrong, optionally with the `value` the physio measured
        instead, with a note and its author. Stored apart from the analysis, which is never
        changed: `delete_correction` brings the original back."""
        from ..report import check_correction

        try:
            check_correction(kind, metric, value)
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        with self.db.session() as s:
            sess = self._session(s, session_id)
            reps = set(s.scalars(select(Rep.rep).where(Rep.session_id == sess.id)))
            if int(rep) not in reps:
                raise StoreError(f"Session {session_id} has no rep {rep} (it has "
                                 f"{len(reps)} rep(s)).")
            c = RepCorrection(session_id=sess.id, rep=int(rep), kind=kind,
                              metric=metric if kind == "wrong_value" else None,
                              value=None if value is None or kind != "wrong_value"
                              else float(value),
                              note=_check_notes(note, "Correction note"),
                              author=(author or "unknown")[:160])
            s.add(c)
            s.flush()
            return _correction(c)

    def corrections(self, session_id: int) -> list["Correction"]:
        """The session's corrections, oldest first."""
        with self.db.session(write=False) as s:
            self._session(s, session_id)
            return [_correction(c) for c in s.scalars(
                select(RepCorrection).where(RepCorrection.session_id == session_id)
                .order_by(RepCorrection.created_at, RepCorrection.id))]

    def delete_correction(self, correction_id: int) -> None:
        """Withdraw a correction: the rep shows its original values again."""
        with self.db.session() as s:
            c = s.get(RepCorrection, int(correction_id))
            if c is None:
                raise StoreError(f"No correction with id {correction_id}.")
            s.delete(c)

    # --- history --------------------------------------------------------------------------------
    def history(self, client_label: str) -> list[TrendPoint]:
        """Per-session summaries, oldest first: `report.summarize_rows` over each session's
        stored rep rows, the one definition the CLI, the PDF and the app use too. A session the
        physio corrected is summarised from its corrected analysis
        (`report.corrected_set_summary`, the rows the table, the CSV and the PDF show): a
        corrected value is the trend's value, judged again against the limits, and excluded
        reps do not count."""
        with self.db.session(write=False) as s:
            c = self._client(s, client_label)
            return self._history(s, c.id)

    def _history(self, s, client_id: int) -> list[TrendPoint]:
        """The trend points of one client (its id), read in the transaction `s`."""
        from ..report import corrected_set_summary, summarize_rows

        sessions = s.execute(select(Session.id, Session.recorded_at, Session.view, Session.uid)
                             .where(Session.client_id == client_id)
                             .order_by(Session.recorded_at, Session.id)).all()
        rows: dict[int, list] = {}
        q = (select(Rep).join(Session, Rep.session_id == Session.id)
             .where(Session.client_id == client_id).order_by(Rep.session_id, Rep.rep))
        for r in s.scalars(q):
            rows.setdefault(r.session_id, []).append({k: getattr(r, k) for k in REP_FIELDS})
        fixes: dict[int, list] = {}
        q = (select(RepCorrection).join(Session, RepCorrection.session_id == Session.id)
             .where(Session.client_id == client_id).order_by(RepCorrection.id))
        for x in s.scalars(q):
            fixes.setdefault(x.session_id, []).append(_correction(x))

        def corrected(sid: int, uid: str):
            key = (self.db.url, uid, tuple((c.id, c.rep, c.kind, c.metric, c.value)
                                           for c in fixes[sid]))
            if key not in _corrected:
                while len(_corrected) >= CORRECTED_CACHE_SIZE:
                    _corrected.pop(next(iter(_corrected)))
                _corrected[key] = corrected_set_summary(self.load_analysis(sid), fixes[sid])
            return _corrected[key]

        # the physio's corrections apply: excluded reps do not count, corrected values do
        return [TrendPoint(sid, at, view,
                           corrected(sid, uid) if fixes.get(sid)
                           else summarize_rows(rows.get(sid, [])),
                           len(fixes.get(sid, [])))
                for sid, at, view, uid in sessions]

    def chair_stand_history(self, client_label: str) -> list[ChairStandPoint]:
        """The client's saved chair-stand tests, oldest first (from the sessions' reports)."""
        with self.db.session(write=False) as s:
            c = self._client(s, client_label)
            q = (select(Session.id, Session.recorded_at, Session.report)
                 .where(Session.client_id == c.id).order_by(Session.recorded_at, Session.id))
            out = []
            for sid, at, report in s.execute(q):
                cs = (report or {}).get("chair_stand")
                if cs:
                    norm = cs.get("norm") or {}
                    out.append(ChairStandPoint(sid, at, cs["test"], cs["stands"], cs.get("time_s"),
                                               norm.get("verdict")))
            return out

    # --- forget ---------------------------------------------------------------------------------
    def forget_client(self, client_label: str) -> dict:
        """Delete a client with every session, rep, landmark file and video, then scrub the
        freed space (SQLite: secure_delete + VACUUM + WAL truncation; PostgreSQL: VACUUM FULL).
        The result's "clip_sha256s" name the client's clips, so callers can delete the app's
        copies too (`formcheck.app.session_files.remove_clips`)."""
        with self.db.session() as s:
            c = self._client(s, client_label)
            n_sessions = s.scalar(select(func.count(Session.id)).where(Session.client_id == c.id))
            sids = select(Session.id).where(Session.client_id == c.id)
            n_videos = s.scalar(select(func.count(SessionFile.id)).where(
                SessionFile.session_id.in_(sids), SessionFile.kind == "video"))
            clips = sorted(set(s.scalars(select(Session.clip_sha256).where(
                Session.client_id == c.id, Session.clip_sha256.is_not(None)))))
            # Explicit deletes (children first) rather than relying on cascades alone.
            s.execute(delete(SessionFile).where(SessionFile.session_id.in_(sids)))
            s.execute(delete(RepCorrection).where(RepCorrection.session_id.in_(sids)))
            s.execute(delete(Rep).where(Rep.session_id.in_(sids)))
            s.execute(delete(Session).where(Session.client_id == c.id))
            from .runs_store import forget_runs
            n_runs = forget_runs(s, c.id)
            s.execute(delete(Client).where(Client.id == c.id))
        scrubbed = self.scrub()
        return {"client": client_label, "sessions": int(n_sessions), "videos": int(n_videos),
                "runs": n_runs, "scrubbed": scrubbed, "clip_sha256s": clips}

    def scrub(self) -> bool:
        """Overwrite or release the space deleted rows used. True when nothing could hold it."""
        if self.db.backend == "sqlite":
            self.db.engine.pool.dispose()   # no idle connection keeps an old snapshot open
            raw = self.db.engine.raw_connection()   # isolation_level None: no implicit BEGIN
            try:
                cur = raw.cursor()
                cur.execute("VACUUM")
                # A reader elsewhere (another program, another page of the app) holding a
                # snapshot blocks the truncating checkpoint. Each try must fail at once: with
                # the connection's busy timeout (30 s) the 50 tries below took up to 25 min
                # and the app's "Forget for good" seemed to hang.
                cur.execute("PRAGMA busy_timeout = 0")
                for _ in range(SCRUB_TRIES):
                    busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                    if busy == 0:
                        return True
                    time.sleep(SCRUB_WAIT_S)
                return False
            finally:
                try:   # the connection goes back to the pool: its usual busy timeout again
                    raw.cursor().execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
                finally:
                    raw.close()
        with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("session_files", "rep_corrections", "reps", "sessions", "runs", "clients"):
                conn.exec_driver_sql(f"VACUUM FULL {table}")
        return True

    # --- everything, for tests and export -----------------------------------------------------
    def dump(self, include_data: bool = False) -> dict:
        """Every client and session as plain JSON-able data (no database ids)."""
        with self.db.session(write=False) as s:
            return {"clients": [self._dump_client(s, c, include_data)
                                for c in s.scalars(select(Client).order_by(Client.uid))]}

    def _dump_client(self, s, c: Client, include_data: bool) -> dict:
        sessions = []
        for x in s.scalars(select(Session).where(Session.client_id == c.id).order_by(Session.uid)):
            files = []
            q = select(SessionFile).where(SessionFile.session_id == x.id).order_by(SessionFile.kind)
            if include_data:
                q = q.options(undefer(SessionFile.data))
            for f in s.scalars(q):
                d = {"kind": f.kind, "filename": f.filename, "media_type": f.media_type,
                     "sha256": f.sha256, "size_bytes": f.size_bytes}
                if include_data:
                    d["data"] = f.data
                files.append(d)
            sessions.append({
                "uid": x.uid, "recorded_at": _iso(x.recorded_at), "created_at": _iso(x.created_at),
                "clip_name": x.clip_name, "clip_sha256": x.clip_sha256, "profile": x.profile,
                "thresholds": x.thresholds, "view_requested": x.view_requested, "view": x.view,
                "rep_count": x.rep_count, "cues": x.cues, "report": x.report,
                "physio_note": x.physio_note, "formcheck_version": x.formcheck_version,
                "reps": [{k: getattr(r, k) for k in REP_FIELDS} for r in x.reps],
                "files": files, "video_consent": x.video_consent or "",
                "box": x.box, "height_cm": x.height_cm, "shin_cm": x.shin_cm,
                "corrections": [{"rep": k.rep, "kind": k.kind, "metric": k.metric,
                                 "value": k.value, "note": k.note, "author": k.author,
                                 "created_at": _iso(k.created_at)}
                                for k in s.scalars(select(RepCorrection).where(
                                    RepCorrection.session_id == x.id).order_by(RepCorrection.id))]})
        return {"uid": c.uid, "label": c.label, "notes": c.notes, "profile": c.profile,
                "threshold_overrides": c.threshold_overrides, "created_at": _iso(c.created_at),
                "updated_at": _iso(c.updated_at), "sessions": sessions,
                "runs": _dump_runs(s, c.id)}

    # --- export / import ------------------------------------------------------------------------
    def export(self, path: str | Path) -> dict:
        """Write everything (clients, sessions, landmarks, kept videos) to one zip file:
        manifest.json, data.json and files/<sha256>. Written to a temporary name, then renamed,
        so a crash never leaves a half-written export under the real name."""
        counts = {"clients": 0, "sessions": 0, "files": 0}
        # health data: the export is readable by this user only
        with self.db.session(write=False) as s, atomic_path(path, mode=0o600, fsync=True) as tmp:
            if self.db.backend == "postgresql":
                s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            clients = [self._dump_client(s, c, False)
                       for c in s.scalars(select(Client).order_by(Client.uid))]
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # health data:
            os.fchmod(fd, 0o600)                                             # owner only
            with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
                seen = set()
                for c in clients:
                    counts["clients"] += 1
                    for x in c["sessions"]:
                        counts["sessions"] += 1
                        for f in x["files"]:
                            counts["files"] += 1
                            f["path"] = f"files/{f['sha256']}"
                            if f["sha256"] in seen:
                                continue
                            seen.add(f["sha256"])
                            data = s.scalar(select(SessionFile.data).join(Session).where(
                                Session.uid == x["uid"], SessionFile.kind == f["kind"]))
                            if _sha(data) != f["sha256"]:
                                raise StoreError(f"Session {x['uid']}: stored {f['kind']} does not "
                                                 "match its checksum; the database is damaged.")
                            # landmarks and video are compressed already
                            z.writestr(f["path"], data, compress_type=zipfile.ZIP_STORED)
                manifest = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                            "formcheck_version": __version__,
                            "schema_revision": self.db.schema_revision(),
                            "exported_at": _iso(utcnow()), **counts}
                z.writestr("data.json", json.dumps({"clients": clients}, indent=1, sort_keys=True))
                z.writestr("manifest.json", json.dumps(manifest, indent=2))
        return counts

    def import_(self, path: str | Path, *, merge: bool = False,
                display_name: str | None = None) -> dict:
        """Load an export into this database in one transaction (all or nothing).

        Bounded and checked before anything is written: member names, sizes and compression
        ratios, duplicate JSON keys, every field (labels, profiles, thresholds, notes), and each
        file's size and checksum (see `store.archive`). Clients are matched by label, never by
        the archive's internal ids: a label already here is a clash that stops the import
        unless `merge`, which adds the archive's sessions to the client of that label here
        (sessions already saved for it are skipped)."""
        from .. import limits as _limits
        from . import archive

        lim = _limits.current()
        display = display_name or str(path)
        with archive.open_archive(Path(path), display) as z:
            try:
                members = archive.inventory(z, lim)
                manifest = archive.read_json(z, members["manifest.json"])
                if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
                    raise ExportFileError(f"{display} is not a formcheck export. Make one with "
                                          "`formcheck export FILE.zip`.")
                version = manifest.get("version")
                if not isinstance(version, int) or isinstance(version, bool):
                    raise archive.Malformed("manifest.json: version is not a number")
                if version > EXPORT_VERSION:
                    raise ExportFileError(
                        f"{display} was written by a newer formcheck "
                        f"({str(manifest.get('formcheck_version'))[:20]}); upgrade formcheck.")
                clients = archive.validate(archive.read_json(z, members["data.json"]), members, lim)
                counts = {"clients_added": 0, "clients_merged": 0, "sessions_added": 0,
                          "sessions_skipped": 0}
                with self.db.session() as s:
                    here = set(s.scalars(select(Client.label).where(
                        Client.label.in_([c["label"] for c in clients]))))
                    if here and not merge:
                        names = ", ".join(repr(x) for x in sorted(here))
                        raise ImportConflictError(
                            f"This database already has client(s) called {names}. Rename them "
                            f"here first (`{rename_command(sorted(here)[0])}`), or import again "
                            "with merge (`formcheck import FILE --merge`) to add the export's "
                            "sessions to them; nothing was imported.", labels=sorted(here))
                    for cd in clients:
                        self._import_client(s, z, members, cd, counts)
            except archive.TooBig as exc:
                raise ExportFileError(
                    f"{display} is too large to import: {exc}. Nothing was imported (the limits "
                    "are settings: FORMCHECK_IMPORT_MAX_JSON_BYTES, FORMCHECK_IMPORT_MAX_VIDEO_BYTES, "
                    "FORMCHECK_IMPORT_MAX_RATIO).") from None
            except archive.TooMany as exc:
                raise ExportFileError(f"{display} cannot be imported: {exc}. Nothing was "
                                      "imported.") from None
            except archive.Malformed as exc:
                raise ExportFileError(f"{display} is damaged or not a valid formcheck export "
                                      f"({exc}); nothing was imported.") from None
        return counts

    def _import_client(self, s, z, members, cd: dict, counts: dict) -> None:
        from . import archive
        from ..errors import LandmarksFileError

        c = s.scalar(select(Client).where(Client.label == cd["label"]))
        if c is None:
            uid = cd["uid"]
            if s.scalar(select(Client.id).where(Client.uid == uid)) is not None:
                uid = new_uid()    # another client here has that id: never merge by id
            c = Client(uid=uid, label=cd["label"], notes=cd["notes"], profile=cd["profile"],
                       threshold_overrides=cd["threshold_overrides"],
                       created_at=cd["created_at"] or utcnow(), updated_at=cd["updated_at"] or utcnow())
            s.add(c)
            s.flush()
            counts["clients_added"] += 1
        else:
            counts["clients_merged"] += 1
        from .runs_store import add_runs
        n_runs = add_runs(s, c.id, cd.get("runs", []))[0]
        if n_runs:   # the key only when the export carried runs (schema 0005 and later)
            counts["runs_added"] = counts.get("runs_added", 0) + n_runs
        for sd in cd["sessions"]:
            owner = s.scalar(select(Session.client_id).where(Session.uid == sd["uid"]))
            if owner is not None:
                if owner != c.id:
                    raise archive.Malformed(
                        f"session {sd['uid']} of client {cd['label']!r} is saved here for "
                        "another client")
                counts["sessions_skipped"] += 1
                continue
            sess = Session(uid=sd["uid"], client_id=c.id, recorded_at=sd["recorded_at"],
                           created_at=sd["created_at"] or utcnow(), clip_name=sd["clip_name"],
                           clip_sha256=sd["clip_sha256"], profile=sd["profile"],
                           thresholds=sd["thresholds"], view_requested=sd["view_requested"],
                           view=sd["view"], rep_count=sd["rep_count"], cues=sd["cues"],
                           report=sd["report"], physio_note=sd["physio_note"],
                           formcheck_version=sd["formcheck_version"],
                           video_consent=sd.get("video_consent", ""), box=sd.get("box"),
                           height_cm=sd.get("height_cm"), shin_cm=sd.get("shin_cm"))
            for r in sd["reps"]:
                sess.reps.append(Rep(**r))
            corrections = sd.get("corrections", [])
            for f in sd["files"]:
                blob = archive.read_blob(z, members, f)
                if f["kind"] == "landmarks":
                    try:
                        from_npz_bytes(blob)
                    except LandmarksFileError as exc:
                        raise archive.Malformed(f"the landmarks of session {sd['uid']} are not "
                                                f"valid ({exc})") from None
                sess.files.append(SessionFile(kind=f["kind"], filename=f["filename"],
                                              media_type=f["media_type"], sha256=f["sha256"],
                                              size_bytes=f["size_bytes"], data=blob))
                del blob
            s.add(sess)
            s.flush()
            for k in corrections:
                s.add(RepCorrection(session_id=sess.id, **k))
            s.expunge(sess)   # the blobs need not stay in memory until COMMIT
            counts["sessions_added"] += 1


def _dump_runs(s, client_id: int) -> list[dict]:
    from .runs_store import dump_runs

    return dump_runs(s, client_id)


def _correction(c: RepCorrection) -> "Correction":
    from ..report import Correction

    return Correction(c.rep, c.kind, c.metric, c.note, c.author, c.created_at, c.id, c.value)


def open_store(url: str | None = None) -> Store:
    """The Store for `url` or $FORMCHECK_DATABASE_URL (or the default SQLite file)."""
    return Store(open_database(url))


__all__ = ["Store", "open_store", "ClientInfo", "SessionInfo", "TrendPoint", "to_npz_bytes",
           "from_npz_bytes", "client_thresholds", "PROFILES"]
