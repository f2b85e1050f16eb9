"""Writing files so that a crash or an error never leaves half a file under the real name.

A leaf module (imports nothing from formcheck), so every layer can use the one helper.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path, *, mode: int = 0o666, fsync: bool = False) -> Iterator[Path]:
    """A temporary file beside `path` to write to (same suffix, so tools that go by it still
    work), created empty with permissions `mode` less the umask before anything is written.
    When the block ends normally it replaces `path` in one step; on an error it is removed and
    `path` is untouched. With `fsync`, the data reach the disk before the rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write `data` to `path` via a temporary file and a rename (see `atomic_path`)."""
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str, *, mode: int = 0o666) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode=mode)
