"""The one atomic-write helper: the real name holds the old file or the whole new one."""

from __future__ import annotations

import os

import pytest

from formcheck.atomic import atomic_path, write_bytes_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_write_replaces_the_file_keeps_the_suffix_and_sets_the_mode(tmp_path):
    target = tmp_path / "landmarks.npz"
    with atomic_path(target, mode=0o600, fsync=True) as tmp:
        assert tmp.suffix == ".npz" and tmp.parent == tmp_path and tmp.exists()
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert os.stat(target).st_mode & 0o777 == 0o600
    write_bytes_atomic(target, b"newer")
    assert target.read_bytes() == b"newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landmarks.npz"]
