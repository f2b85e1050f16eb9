"""Engine and transactions. FORMCHECK_DATABASE_URL picks the database:

- unset: SQLite file `formcheck.db` in the user's data folder (platformdirs), created on first use;
- `sqlite:///PATH` or a plain file path: that SQLite file;
- `postgresql://user:password@host/db`: a shared PostgreSQL server (driver: psycopg 3).

The schema is brought to the newest version (Alembic `upgrade head`) when a Database is opened.

SQLite is opened in WAL mode with foreign keys on, `synchronous=FULL` and `secure_delete=ON`.
Write transactions start with BEGIN IMMEDIATE, so two writers queue (busy timeout 30 s) instead of
failing half-way; read-only transactions use a plain BEGIN and never block a writer.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .errors import DatabaseTooNewError, DatabaseUnavailableError

log = logging.getLogger(__name__)

ENV_VAR = "FORMCHECK_DATABASE_URL"
BUSY_TIMEOUT_S = 30
MIGRATION_LOCK_ID = 7_415_061_204  # pg_advisory_xact_lock key: one migrator at a time


def default_sqlite_path() -> Path:
    import platformdirs

    return platformdirs.user_data_path("formcheck", appauthor=False) / "formcheck.db"


def database_url(url: str | None = None) -> str:
    """The SQLAlchemy URL to use: `url`, else $FORMCHECK_DATABASE_URL, else the default file."""
    raw = (url or os.environ.get(ENV_VAR, "")).strip()
    if not raw:
        return f"sqlite:///{default_sqlite_path()}"
    if "://" not in raw:                      # a plain file path
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def masked(url: str) -> str:
    """The URL with its password replaced by ***, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a database URL>"


def _set_wal(cur) -> None:
    """PRAGMA journal_mode = WAL on a new connection, retried while SQLite says "database is
    locked" (up to BUSY_TIMEOUT_S). Two processes opening a new database file at once can each
    hold a shared lock while asking for the exclusive one the switch needs; SQLite then answers
    one of them at once, without waiting out busy_timeout (a deadlock it will not wait on). The
    switch is stored in the file, so the retry finds WAL already set once the other has it.
    Seen in `make test` (tests/test_store_safety.py, two processes migrating a new database);
    /tmp repro: 1 of 40 pairs of processes opening a new file at once failed."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_engine(url: str) -> Engine:
    u = make_url(url)
    path = u.database
    if path and path != ":memory:":
        p = Path(path)
        if not p.parent.exists():
            p.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        if not p.exists():
            # Health data: readable by its owner only.
            fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None     # SQLAlchemy's "begin" event below issues BEGIN
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        _set_wal(cur)
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _pg_engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


class Database:
    """One engine per URL, migrated to the newest schema on open."""

    def __init__(self, url: str | None = None, migrate: bool = True):
        self.url = database_url(url)
        try:
            self.backend = make_url(self.url).get_backend_name()
        except ArgumentError:
            raise DatabaseUnavailableError(
                "FORMCHECK_DATABASE_URL is not a database URL. Use sqlite:///PATH or "
                "postgresql://USER:PASSWORD@HOST/DB.") from None
        if self.backend not in ("sqlite", "postgresql"):
            raise DatabaseUnavailableError(
                f"Database {masked(self.url)}: only SQLite and PostgreSQL are supported. "
                "Set FORMCHECK_DATABASE_URL to sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB.")
        try:
            self.engine = _sqlite_engine(self.url) if self.backend == "sqlite" else _pg_engine(self.url)
            self._read_engine = self.engine.execution_options(sqlite_begin="DEFERRED")
            if migrate:
                self.migrate()
        except (OperationalError, DBAPIError, NoSuchModuleError, OSError) as exc:
            raise self.unavailable(exc) from exc
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(self._read_engine, expire_on_commit=False)

    def unavailable(self, exc: Exception) -> DatabaseUnavailableError:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        hint = ("Check that the folder exists and you may write there, or set "
                f"{ENV_VAR} to another file." if self.backend == "sqlite" else
                "Check that the server is running, and the host, user, password and database "
                f"name in {ENV_VAR}.")
        return DatabaseUnavailableError(f"Cannot open the database {masked(self.url)}: {reason}. {hint}")

    # --- schema -------------------------------------------------------------------------------
    def migrate(self) -> None:
        """Alembic `upgrade head`, one migrator at a time, inside one transaction."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        from .migrations import alembic_config

        cfg = alembic_config()
        script = ScriptDirectory.from_config(cfg)
        head = script.get_current_head()
        with self.engine.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_ID})
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return
            known = {r.revision for r in script.walk_revisions()}
            if current is not None and current not in known:
                raise DatabaseTooNewError(
                    f"The database {masked(self.url)} was written by a newer formcheck (schema "
                    f"{current}). Upgrade formcheck to use it.")
            log.info("migrating %s from %s to %s", masked(self.url), current, head)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def schema_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self._read_engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # --- transactions -------------------------------------------------------------------------
    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        maker = self._write if write else self._read
        try:
            with maker() as s, s.begin():
                yield s
        except (OperationalError, DBAPIError) as exc:
            if _is_connection_problem(exc):
                raise self.unavailable(exc) from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()


def _is_connection_problem(exc: DBAPIError) -> bool:
    return bool(getattr(exc, "connection_invalidated", False)) or isinstance(exc, OperationalError)


_OPEN: dict[str, Database] = {}
_OPEN_LOCK = threading.Lock()


def open_database(url: str | None = None) -> Database:
    """A shared Database per URL for this process (engines are thread-safe and pooled)."""
    key = database_url(url)
    with _OPEN_LOCK:
        db = _OPEN.get(key)
        if db is None:
            db = _OPEN[key] = Database(key)
        return db


def close_all() -> None:
    with _OPEN_LOCK:
        for db in _OPEN.values():
            db.dispose()
        _OPEN.clear()
