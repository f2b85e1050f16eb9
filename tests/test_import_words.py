"""An import over formcheck's limits says which limit, in the user's words (issue 24.10)."""

from __future__ import annotations

import copy

import pytest

from clinic_helpers import db_url, store  # noqa: F401 - fixtures
from formcheck.store.errors import ExportFileError
from test_hostile_input import _fresh, _rewrite, export  # noqa: F401 - fixture


def test_an_import_with_too_many_reps_names_the_limit(export, tmp_path):
    _store, good, data = export
    d = copy.deepcopy(data)
    sess = d["clients"][0]["sessions"][0]
    rep = sess["reps"][0]
    sess["reps"] = [dict(rep, rep=i + 1) for i in range(10_001)]
    sess["rep_count"] = 10_001
    bad = _rewrite(good, tmp_path / "bad.zip", data=d)
    fresh = _fresh(tmp_path)
    with pytest.raises(ExportFileError) as e:
        fresh.import_(bad, display_name="clinic-backup.zip")
    label = d["clients"][0]["label"]
    assert str(e.value) == (f"clinic-backup.zip cannot be imported: client {label!r} session 1 has "
                            "10,001 reps; formcheck keeps at most 10,000 per session. Nothing "
                            "was imported.")
    assert fresh.list_clients() == []
    fresh.db.dispose()
