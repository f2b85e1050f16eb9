"""Runs in the clinic store and through `formcheck runs`: per client, duplicates, export /
import / forget, and every bad input refused with a message, exit code 2, nothing stored."""

from __future__ import annotations

import gzip
import json
import zipfile

import pytest

import runs_fixtures as fx
from clinic_helpers import db_url, store  # noqa: F401 - fixtures
from formcheck.cli import main
from formcheck.runs.inputs import collect
from formcheck.store.runs_store import list_runs, save_runs


def test_runs_per_client_once_and_in_export_import_forget(store, tmp_path):  # noqa: F811
    p = tmp_path / "a.fit"
    p.write_bytes(fx.fit_run())
    runs = collect([p]).runs
    store.add_client("runner-01")
    store.add_client("runner-02")
    assert save_runs(store, "runner-01", runs) == (1, 0)
    assert save_runs(store, "runner-01", runs) == (0, 1)     # the same file again: not twice
    assert save_runs(store, None, runs) == (1, 0)            # the local user's own list
    assert list_runs(store, "runner-01") == list(runs)
    assert list_runs(store, "runner-02") == []
    dumped = store.dump()
    assert [c["runs"] for c in dumped["clients"] if c["label"] == "runner-01"] == [
        [r.to_dict() for r in runs]]
    store.export(tmp_path / "all.zip")
    res = store.forget_client("runner-01")
    assert res["runs"] == 1 and list_runs(store, None) == list(runs)
    store.forget_client("runner-02")
    counts = store.import_(tmp_path / "all.zip")
    assert counts["runs_added"] == 1 and list_runs(store, "runner-01") == list(runs)


@pytest.fixture
def cli_db(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    monkeypatch.setenv("FORMCHECK_DATABASE_URL", url)
    yield url
    from formcheck.store.db import close_all

    close_all()


def _stored(url) -> int:
    from formcheck.store import open_store

    return len(list_runs(open_store(url), None))


def test_cli_import_json_and_load(cli_db, tmp_path, capsys):
    p = tmp_path / "run.fit"
    p.write_bytes(fx.fit_run())
    assert main(["runs", "import", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["cadence_spm"] for r in out] == [171.0]
    assert set(out[0]) == {"sport", "start", "duration_s", "moving_s", "distance_m",
                           "pace_s_per_km", "cadence_spm", "cadence_sd_spm", "step_length_m",
                           "source_file", "device"}
    assert main(["runs", "import", str(p)]) == 0
    assert "1 already imported (same device and start), not counted twice" in \
        capsys.readouterr().out
    assert main(["runs", "load", "--json"]) == 0
    load = json.loads(capsys.readouterr().out)
    assert load["acwr"] is None and load["acwr_ewma"] is None
    assert load["weeks"][0]["week_start"] == "2026-03-02"
    assert load["weeks"][0]["distance_m"] == pytest.approx(1800.0, abs=0.005)
    assert load["weeks"][0]["duration_s"] == 600.0
    assert _stored(cli_db) == 1


def _zip_bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("bomb.fit", "w", force_zip64=True) as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(30):         # 30 MiB of zeros packs to ~30 kB
                f.write(chunk)


BAD = {
    "truncated.fit": (lambda p: p.write_bytes(fx.fit_run()[:700]), "ends too early"),
    "header.fit": (lambda p: p.write_bytes(b"\x0e\x10XXXXXXXXXXXX" + fx.fit_run()[14:]),
                   "header is damaged"),
    "undefined.fit": (lambda p: p.write_bytes(fx.fit_undefined_message()),
                      "cannot be read"),
    "planned.gpx": (lambda p: p.write_bytes(fx.gpx_run(times=False)), "has no times"),
    "huge.fit": (lambda p: p.open("wb").truncate(500 * 1024 * 1024), "larger than 64 MB"),
    "bomb.zip": (_zip_bomb, "zip bomb"),
    "damaged.fit.gz": (lambda p: p.write_bytes(gzip.compress(fx.fit_run())[:200]),
                       "damaged"),
    "notes.txt": (lambda p: p.write_text("hello"), "not an activity file"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_refused_with_nothing_stored(name, cli_db, tmp_path, capsys):
    good = tmp_path / "good.fit"
    good.write_bytes(fx.fit_run())
    bad = tmp_path / name
    make, words = BAD[name]
    make(bad)
    assert main(["runs", "import", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert name in err and words in err and "Traceback" not in err
    assert _stored(cli_db) == 0          # the good file before it was not stored either


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"),
                    reason="pdftotext (poppler-utils) is not installed")
def test_cli_load_pdf_shows_the_load_and_step_rate(cli_db, tmp_path, capsys):
    import subprocess

    p = tmp_path / "run.fit"
    p.write_bytes(fx.fit_run())
    from formcheck.store import open_store

    open_store(cli_db).add_client("runner-01")
    assert main(["runs", "import", str(p), "--client", "runner-01"]) == 0
    assert main(["runs", "load", "--client", "runner-01", "--pdf", str(tmp_path / "r.pdf")]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "Running load and step rate: runner-01" in text
    assert "ACWR: not yet, it needs 28 days of history (have 1)" in text
    assert "Last run (2026-03-02): 171 steps/min" in text and "+10 % = 188" in text
    assert _stored(cli_db) == 0     # stored for the client; the local user's list stays empty


def test_history_names_the_clients_runs(cli_db, tmp_path, capsys):
    from formcheck.store import open_store

    p = tmp_path / "run.fit"
    p.write_bytes(fx.fit_run())
    open_store(cli_db).add_client("runner-01")
    assert main(["runs", "import", str(p), "--client", "runner-01"]) == 0
    capsys.readouterr()
    assert main(["history", "runner-01"]) == 0
    assert ("Runs: 1 imported, the last on 2026-03-02; load and step rate: "
            "`formcheck runs load --client 'runner-01'`.") in capsys.readouterr().out


def test_import_refuses_a_damaged_run_and_stores_nothing(store, tmp_path):  # noqa: F811
    from formcheck.store.errors import ExportFileError

    p = tmp_path / "a.fit"
    p.write_bytes(fx.fit_run())
    store.add_client("runner-01")
    save_runs(store, "runner-01", collect([p]).runs)
    store.export(tmp_path / "all.zip")
    with zipfile.ZipFile(tmp_path / "all.zip") as z:
        members = {n: z.read(n) for n in z.namelist()}
    data = json.loads(members["data.json"])
    data["clients"][0]["runs"][0]["distance_m"] = "far"
    members["data.json"] = json.dumps(data).encode()
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    store.forget_client("runner-01")
    with pytest.raises(ExportFileError, match=r"runs\[0\].distance_m is not a number"):
        store.import_(tmp_path / "bad.zip")
    assert store.list_clients() == []
