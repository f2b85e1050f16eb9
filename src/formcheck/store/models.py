"""ORM tables (SQLAlchemy 2.x). The schema itself is created and changed only by the Alembic
migrations in ./migrations; a test checks that the two agree.

Times are naive UTC (the same on SQLite and PostgreSQL, so exports compare byte for byte).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer,
                        LargeBinary, MetaData, String, Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def new_uid() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Client(Base):
    """A person followed by the clinic, known only by a pseudonymous label."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    label: Mapped[str] = mapped_column(String(120), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    profile: Mapped[str] = mapped_column(String(40), default="knee-rehab")
    # Threshold values that differ from the profile, e.g. {"depth_target_deg": -20}.
    threshold_overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    sessions: Mapped[list["Session"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Session.recorded_at")


class Session(Base):
    """One analysed clip of one visit."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=new_uid)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                           index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    clip_name: Mapped[str] = mapped_column(String(255), default="")
    clip_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    profile: Mapped[str] = mapped_column(String(40))
    thresholds: Mapped[dict] = mapped_column(JSON)
    view_requested: Mapped[str] = mapped_column(String(10), default="auto")
    view: Mapped[str] = mapped_column(String(10))
    rep_count: Mapped[int] = mapped_column(Integer)
    cues: Mapped[list] = mapped_column(JSON, default=list)
    report: Mapped[dict] = mapped_column(JSON)       # formcheck.report.to_dict at save time
    physio_note: Mapped[str] = mapped_column(Text, default="")
    # The consent wording shown when the video was kept ("" when it was not).
    video_consent: Mapped[str] = mapped_column(Text, default="", server_default="")
    formcheck_version: Mapped[str] = mapped_column(String(20), default="")
    # What the user said about the person filmed (Analysis.box, .height_cm, .shin_cm), applied
    # again whenever the session is re-analysed. box None: saved before 0004, the profile's
    # default (thresholds.BOX_PROFILES).
    box: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    height_cm: Mapped[float | None] = mapped_column(Float, nullable=True)
    shin_cm: Mapped[float | None] = mapped_column(Float, nullable=True)

    client: Mapped[Client] = relationship(back_populates="sessions")
    reps: Mapped[list["Rep"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Rep.rep")
    files: Mapped[list["SessionFile"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True,
        order_by="SessionFile.kind")


class Rep(Base):
    """Per-rep measurements of a session (the numbers the trends are drawn from)."""

    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("session_id", "rep", name="uq_reps_session_rep"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"),
                                            index=True)
    rep: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    bottom_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    view: Mapped[str] = mapped_column(String(10))
    leg: Mapped[str] = mapped_column(String(10))
    depth: Mapped[str] = mapped_column(String(20))
    thigh_angle_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    knee_flexion_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    hip_height_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    knee_over_toe_px: Mapped[float | None] = mapped_column(Float, nullable=True)
    knee_over_toe_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    shin_angle_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    trunk_lean_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    fppa_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    knee_past_toes: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    knees_cave_in: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    descent_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    pause_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ascent_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    flags: Mapped[list] = mapped_column(JSON, default=list)

    session: Mapped[Session] = relationship(back_populates="reps")


class RepCorrection(Base):
    """A physio's correction of one rep of a session: "not_a_rep", or "wrong_value" of one
    metric, with a note and who made it. The session's reps and landmarks are never changed,
    so deleting the correction brings the original back."""

    __tablename__ = "rep_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"),
                                            index=True)
    rep: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    metric: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # with "wrong_value": the value the physio measured instead (None: only marked wrong)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SessionFile(Base):
    """Binary payloads of a session: the landmarks (.npz, always) and the video (opt-in)."""

    __tablename__ = "session_files"
    __table_args__ = (UniqueConstraint("session_id", "kind", name="uq_session_files_session_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(20))          # "landmarks" | "video"
    filename: Mapped[str] = mapped_column(String(255), default="")
    media_type: Mapped[str] = mapped_column(String(80), default="application/octet-stream")
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    session: Mapped[Session] = relationship(back_populates="files")


REP_FIELDS = ["rep", "start_s", "bottom_s", "end_s", "view", "leg", "depth", "thigh_angle_deg",
              "knee_flexion_deg", "hip_height_ratio", "knee_over_toe_px", "knee_over_toe_ratio",
              "shin_angle_deg", "trunk_lean_deg", "fppa_deg", "knee_past_toes", "knees_cave_in",
              "descent_s", "pause_s", "ascent_s", "flags"]


class Account(Base):
    """Someone who may sign in to the app's clinic pages. Passwords are stored as argon2id
    hashes only."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(10))           # "admin" | "physio"
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(Base):
    """Who exported, imported, forgot, or opened a client's sessions, and when. Append-only
    (database triggers refuse UPDATE and DELETE). Clients are named by their random uid, so a
    forgotten client's label leaves no trace here."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(20))
    client_uid: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class RunRow(Base):
    """One activity imported from a watch file (formcheck.runs.Run). client_id NULL: the local
    user's own runs (no clinic client). The same device and start instant is stored once."""

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("client_id", "device", "start_utc",
                                       name="uq_runs_client_device_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"),
                                                  index=True, nullable=True)
    device: Mapped[str] = mapped_column(String(200), default="")
    start_utc: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    start: Mapped[str] = mapped_column(String(40))          # ISO 8601 with the watch's offset
    sport: Mapped[str] = mapped_column(String(40))
    duration_s: Mapped[float] = mapped_column(Float)
    moving_s: Mapped[float] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float)
    pace_s_per_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    cadence_spm: Mapped[float | None] = mapped_column(Float, nullable=True)
    cadence_sd_spm: Mapped[float | None] = mapped_column(Float, nullable=True)
    step_length_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    source_file: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


RUN_FIELDS = ["sport", "start", "duration_s", "moving_s", "distance_m", "pace_s_per_km",
              "cadence_spm", "cadence_sd_spm", "step_length_m", "source_file", "device"]


class SignInFailure(Base):
    """A wrong password (or unknown name) typed at the app's sign-in: throttling state for
    auth.sign_in, shared by every browser session and server process. Not the record of it: each
    failure is also written to the audit log."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
