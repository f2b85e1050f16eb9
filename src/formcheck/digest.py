"""A file's SHA-256, without the store: `formcheck batch` hashes every clip before it starts,
and importing the store for it (SQLAlchemy and the models) cost the batch ~1 s before its first
clip (python -X importtime, RESULTS.md 2026-12-07 "formcheck batch: fixed costs")."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
