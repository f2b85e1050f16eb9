"""Runs in the clinic database: per client (or the local user's own, client None), stored once
per device and start instant. Kept apart from repo.py; the Store's forget/export/import call
`forget_runs`, `dump_runs` and `add_runs`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from ..runs.model import Run
from .models import RUN_FIELDS, RunRow


def _utc_naive(run: Run) -> dt.datetime:
    return run.start_dt.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _client_id(store, s, label: str | None) -> int | None:
    return None if label is None else store._client(s, label).id


def add_runs(s, client_id: int | None, runs) -> tuple[int, int]:
    """Insert runs not stored yet for this client; (added, already there)."""
    q = select(RunRow.device, RunRow.start_utc).where(
        RunRow.client_id.is_(None) if client_id is None else RunRow.client_id == client_id)
    have = {(d, t) for d, t in s.execute(q)}
    added = dup = 0
    for r in runs:
        key = (r.device, _utc_naive(r))
        if key in have:
            dup += 1
            continue
        have.add(key)
        s.add(RunRow(client_id=client_id, start_utc=key[1],
                     **{k: getattr(r, k) for k in RUN_FIELDS}))
        added += 1
    s.flush()
    return added, dup


def save_runs(store, client_label: str | None, runs) -> tuple[int, int]:
    """All in one transaction: (added, already stored)."""
    with store.db.session() as s:
        return add_runs(s, _client_id(store, s, client_label), runs)


def list_runs(store, client_label: str | None) -> list[Run]:
    with store.db.session(write=False) as s:
        cid = _client_id(store, s, client_label)
        q = select(RunRow).where(RunRow.client_id.is_(None) if cid is None
                                 else RunRow.client_id == cid).order_by(RunRow.start_utc)
        return [Run(**{k: getattr(x, k) for k in RUN_FIELDS}) for x in s.scalars(q)]


def forget_runs(s, client_id: int) -> int:
    n = s.scalar(select(func.count(RunRow.id)).where(RunRow.client_id == client_id))
    s.execute(delete(RunRow).where(RunRow.client_id == client_id))
    return int(n or 0)


def dump_runs(s, client_id: int) -> list[dict]:
    q = select(RunRow).where(RunRow.client_id == client_id).order_by(RunRow.start_utc,
                                                                     RunRow.device)
    return [{k: getattr(x, k) for k in RUN_FIELDS} for x in s.scalars(q)]
