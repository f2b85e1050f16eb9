"""Clinic storage: clients, saved sessions (landmarks, metrics, cues, optional video), history,
export/import and forget. SQLite by default, PostgreSQL with a postgresql:// FORMCHECK_DATABASE_URL.

    from formcheck.store import open_store
    store = open_store()             # FORMCHECK_DATABASE_URL or the default SQLite file
    store.add_client("knee-07")
    sid = store.save_session("knee-07", analysis, raw_seq, clip_path="clip.mp4")
"""

from .db import Database, database_url, open_database
from .errors import (ClientExistsError, DatabaseTooNewError, DatabaseUnavailableError,
                     ExportFileError, ImportConflictError, StoreError, UnknownClientError,
                     UnknownSessionError)
from .repo import Store, from_npz_bytes, open_store, to_npz_bytes

__all__ = ["Database", "Store", "open_store", "open_database", "database_url", "to_npz_bytes",
           "from_npz_bytes", "StoreError", "DatabaseUnavailableError", "DatabaseTooNewError",
           "UnknownClientError", "ClientExistsError", "UnknownSessionError", "ExportFileError",
           "ImportConflictError"]
