"""Hostile or broken files: export archives and landmark files. Each gives one clear error,
writes nothing, and stays within bounded memory whatever the file claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from clinic_helpers import db_url, squat_analysis, store  # noqa: F401 - fixtures
from formcheck.errors import FormcheckError, LandmarksFileError
from formcheck.landmarks import N_LANDMARKS, load_npz, save_npz
from formcheck.store import Store
from formcheck.store.db import Database
from formcheck.store.errors import ExportFileError, ImportConflictError, StoreError

HERE = Path(__file__).resolve().parent
RSS_LIMIT_MB = 300


def _fill(store, tmp_path):
    store.add_client("knee-07", notes="left knee")
    store.add_client("knee-12", profile="general")
    for i, label in enumerate(["knee-07", "knee-12"]):
        analysis, raw = squat_analysis(seed=i)
        store.save_session(label, analysis, raw, physio_note=f"visit {i}")


def _rewrite(src: Path, dst: Path, data=None, extra=(), drop=()) -> Path:
    """Copy an export, optionally replacing data.json and adding (name, bytes) members."""
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w") as b:
        for name in a.namelist():
            if name in drop:
                continue
            payload = a.read(name)
            if name == "data.json" and data is not None:
                payload = data if isinstance(data, bytes) else json.dumps(data).encode()
            b.writestr(name, payload)
        for name, payload in extra:
            b.writestr(name, payload)
    return dst


@pytest.fixture
def export(store, tmp_path):
    """(store with two clients, its export, the export's data.json as a dict)."""
    _fill(store, tmp_path)
    out = tmp_path / "good.zip"
    store.export(out)
    with zipfile.ZipFile(out) as z:
        data = json.loads(z.read("data.json"))
    return store, out, data


def _fresh(tmp_path, name="fresh.db") -> Store:
    return Store(Database(f"sqlite:///{tmp_path / name}"))


def _mutations(data: dict) -> dict[str, tuple[dict | bytes, str]]:
    """Broken copies of data.json: name -> (data, the words the error must contain)."""
    def copy():
        return json.loads(json.dumps(data))

    out = {}
    d = copy(); d["clients"][0]["label"] = ""
    out["empty label"] = (d, "needs a label")
    d = copy(); d["clients"][0]["label"] = "x" * 5000
    out["5000-character label"] = (d, "at most 120 characters")
    d = copy(); d["clients"][0]["label"] = "line\nbreak"
    out["control character in label"] = (d, "control characters")
    d = copy(); d["clients"][0]["profile"] = "nope"
    out["unknown profile"] = (d, "Unknown profile 'nope'")
    d = copy(); d["clients"][0]["threshold_overrides"] = {"depth_target_deg": "abc"}
    out["threshold abc"] = (d, "'abc' is not a number")
    d = copy(); d["clients"][0]["threshold_overrides"] = {"no_such_limit": 1.0}
    out["unknown threshold"] = (d, "Unknown threshold")
    d = copy(); reps = d["clients"][0]["sessions"][0]["reps"]; reps[1]["rep"] = reps[0]["rep"]
    out["duplicate rep numbers"] = (d, "numbers a rep twice")
    d = copy(); files = d["clients"][0]["sessions"][0]["files"]; files.append(dict(files[0]))
    out["duplicate file kind"] = (d, "same kind of file twice")
    d = copy(); d["clients"][1]["label"] = d["clients"][0]["label"]
    out["duplicate client"] = (d, "appears twice")
    d = copy(); d["clients"][0]["sessions"][0]["rep_count"] = 99
    out["rep count mismatch"] = (d, "rep_count says 99")
    d = copy(); d["clients"][0]["sessions"][0]["reps"][0]["thigh_angle_deg"] = "deep"
    out["text where a number goes"] = (d, "is not a number")
    d = copy(); d["clients"][0]["sessions"][0]["files"][0]["path"] = "../../etc/passwd"
    out["file path elsewhere"] = (d, "does not name its file")
    d = copy(); d["clients"][0]["sessions"][0]["files"][0]["size_bytes"] = 10**12
    out["huge declared file"] = (d, "size_bytes is not a whole number in range")
    d = copy(); d["clients"][0]["sessions"][0]["uid"] = d["clients"][1]["sessions"][0]["uid"]
    out["session twice"] = (d, "appears twice")
    d = copy(); del d["clients"][0]["sessions"][0]["report"]
    out["missing field"] = (d, "lacks report")
    text = json.dumps(data)
    out["duplicate JSON key"] = (text.replace('{"clients": ', '{"clients": [], "clients": ', 1)
                                 .encode(), "has the key 'clients' twice")
    out["not JSON"] = (b"{this is not json", "not valid JSON")
    return out


def test_every_malformed_archive_is_one_clear_error_and_writes_nothing(export, tmp_path):
    _store, good, data = export
    fresh = _fresh(tmp_path)
    fresh.add_client("someone-else", notes="kept")
    before = fresh.dump(include_data=True)
    for name, (bad_data, words) in _mutations(data).items():
        bad = _rewrite(good, tmp_path / "bad.zip", data=bad_data)
        with pytest.raises(ExportFileError) as e:
            fresh.import_(bad, display_name="clinic-backup.zip")
        msg = str(e.value)
        assert words in msg, (name, msg)
        assert msg.startswith("clinic-backup.zip "), (name, msg)
        assert "nothing was imported" in msg, (name, msg)
        assert fresh.dump(include_data=True) == before, name
    fresh.db.dispose()


@pytest.mark.parametrize("member, words", [
    ("../evil.txt", "a file named '../evil.txt'"),
    ("/etc/cron.d/x", "a file named '/etc/cron.d/x'"),
    ("files/../../x", "a file named 'files/../../x'"),
    ("manifest.json", "holds 'manifest.json' twice"),
])
def test_path_traversal_and_duplicate_member_names_are_refused(export, tmp_path, member, words):
    _store, good, _data = export
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # zipfile warns about the duplicate name we write on purpose
        bad = _rewrite(good, tmp_path / "bad.zip", extra=[(member, b"{}")])
    fresh = _fresh(tmp_path)
    with pytest.raises(ExportFileError, match="nothing was imported") as e:
        fresh.import_(bad)
    assert words in str(e.value)
    assert fresh.list_clients() == []
    assert not (tmp_path.parent / "evil.txt").exists()
    fresh.db.dispose()


def test_an_archive_carrying_another_clients_ids_never_merges_into_it(export, tmp_path):
    """An archive holding an existing client's internal id (and a session id) under another
    label: matched by label only, so the id is not a way into that client's history."""
    store, good, data = export
    victim = data["clients"][0]
    before = store.dump(include_data=True)
    evil = json.loads(json.dumps(data))
    evil["clients"] = [dict(victim, label="attacker")]       # same client uid, same session uids
    bad = _rewrite(good, tmp_path / "evil.zip", data=evil)
    with pytest.raises(ExportFileError, match="saved here for another client"):
        store.import_(bad)
    assert store.dump(include_data=True) == before
    # a new client whose id is taken here gets its own id; the victim's history is unchanged
    evil["clients"][0]["sessions"] = []
    bad = _rewrite(good, tmp_path / "evil2.zip", data=evil)
    assert store.import_(bad) == {"clients_added": 1, "clients_merged": 0, "sessions_added": 0,
                                  "sessions_skipped": 0}
    attacker = store.get_client("attacker")
    assert attacker.uid != victim["uid"] and attacker.session_count == 0
    assert store.get_client(victim["label"]).session_count == 1


def test_a_label_clash_is_a_choice_stop_or_merge(export, tmp_path):
    store, good, _data = export
    fresh = _fresh(tmp_path)
    fresh.add_client("knee-12", notes="ours")
    with pytest.raises(ImportConflictError, match=r"'knee-12'.*--merge"):
        fresh.import_(good)
    assert [c.label for c in fresh.list_clients()] == ["knee-12"]
    c = fresh.import_(good, merge=True)
    assert c == {"clients_added": 1, "clients_merged": 1, "sessions_added": 2, "sessions_skipped": 0}
    assert fresh.get_client("knee-12").session_count == 1
    assert fresh.get_client("knee-12").notes == "ours"     # a merge never overwrites our client
    fresh.db.dispose()


def test_store_validates_fields_with_the_same_rules(store):
    with pytest.raises(StoreError, match="at most 120"):
        store.add_client("x" * 5000)
    with pytest.raises(StoreError, match="control characters"):
        store.add_client("a\tb")
    with pytest.raises(FormcheckError, match="'abc' is not a number"):
        store.add_client("k1", threshold_overrides={"depth_target_deg": "abc"})
    with pytest.raises(FormcheckError, match="'nan' is not a number"):
        store.add_client("k1", threshold_overrides={"shin_angle_max_deg": float("nan")})
    assert store.list_clients() == []


def test_export_is_private_to_its_owner(store, tmp_path):
    _fill(store, tmp_path)
    out = tmp_path / "e.zip"
    store.export(out)
    assert out.stat().st_mode & 0o777 == 0o600


# --- size limits, memory measured in a subprocess ---------------------------------------------------
# Peak memory of the child process itself: VmHWM of its own address space. (ru_maxrss of a
# child is no good here: Linux carries the forking parent's high-water mark across exec, and
# the parent is a pytest process that may have loaded MediaPipe.)
PEAK_MB = ("int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"
           " / 1024")
PEAK = """
import sys
sys.path.insert(0, {tests!r})
from formcheck.errors import FormcheckError
try:
    {call}
    print("NO ERROR")
except FormcheckError as exc:
    print("ERROR", exc)
print("PEAK_MB", {peak})
"""


def _peak(call: str, env=None) -> tuple[str, float]:
    code = PEAK.format(tests=str(HERE), call=call, peak=PEAK_MB)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    return "\n".join(lines[:-1]), float(lines[-1].split()[1])


def _zeros_member(z: zipfile.ZipFile, name: str, n_bytes: int) -> None:
    """A member of n_bytes zeros written in 1 MB chunks (deflated ~1000x unless the archive
    stores)."""
    chunk = bytes(1 << 20)
    info = zipfile.ZipInfo(name)
    info.compress_type = z.compression
    with z.open(info, "w", force_zip64=True) as f:
        left = n_bytes
        while left:
            f.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))


def test_oversized_member_and_zip_bomb_are_refused_before_reading(export, tmp_path):
    store, good, data = export
    with zipfile.ZipFile(good) as a:
        names = a.namelist()
    landmark = next(n for n in names if n.startswith("files/"))
    # 1) a zip bomb: data.json inflating 1.2 GB out of about 1 MB
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(good) as a, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as b:
        for n in names:
            if n != "data.json":
                b.writestr(n, a.read(n))
        _zeros_member(b, "data.json", 1200 * 2**20)
    assert bomb.stat().st_size < 3 * 2**20
    url = store.db.engine.url.render_as_string(hide_password=False)
    call = f"from formcheck.store import open_store; open_store({url!r}).import_({str(bomb)!r})"
    out, peak = _peak(call)
    assert out.startswith("ERROR") and "too large to import" in out, out
    assert "data.json is 1200.0 MB; at most 64.0 MB" in out, out
    assert peak < RSS_LIMIT_MB, peak
    # 2) a stored file larger than the limit, stored (not compressed) so no ratio check fires
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(good) as a, zipfile.ZipFile(big, "w") as b:
        for n in names:
            if n != landmark:
                b.writestr(n, a.read(n))
        _zeros_member(b, landmark, 12 * 2**20)
    out, peak = _peak(call.replace(str(bomb), str(big)),
                      env={"FORMCHECK_IMPORT_MAX_VIDEO_BYTES": str(8 * 2**20),
                           "FORMCHECK_MAX_LANDMARK_FILE_BYTES": str(8 * 2**20)})
    assert out.startswith("ERROR") and f"{landmark} is 12.0 MB; at most 8.0 MB" in out, out
    assert peak < RSS_LIMIT_MB, peak
    # 3) a zip bomb among the files: 1.2 GB of zeros declared, ratio far over the limit
    out, peak = _peak(call.replace(str(bomb), str(_bomb_file(good, tmp_path, landmark))))
    assert out.startswith("ERROR") and "zip bomb" in out, out
    assert peak < RSS_LIMIT_MB, peak
    assert store.dump() == store.dump()   # the store still opens
    assert sorted(c.label for c in store.list_clients()) == ["knee-07", "knee-12"]


def _bomb_file(good: Path, tmp_path: Path, landmark: str) -> Path:
    out = tmp_path / "filebomb.zip"
    with zipfile.ZipFile(good) as a, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as b:
        for n in a.namelist():
            if n != landmark:
                b.writestr(n, a.read(n))
        _zeros_member(b, landmark, 400 * 2**20)
    return out


def test_a_member_longer_than_declared_is_stopped_at_the_declared_size(export, tmp_path):
    """The central directory says 100 bytes; the data inflates further: the read stops."""
    from formcheck import limits
    from formcheck.store import archive

    _store, good, _data = export
    with zipfile.ZipFile(good) as z:
        members = archive.inventory(z, limits.current())
        m = members["data.json"]
        short = archive.Member(m.info, m.limit)
        with pytest.raises(archive.Malformed, match="longer than declared"):
            archive.read_member(z, short, expect_size=100)


# --- landmark files ---------------------------------------------------------------------------------
def _claiming_npz(path: Path, n_frames: int) -> Path:
    """A landmarks file whose every array really holds n_frames frames of zeros (streamed to
    disk a chunk at a time: the file is small, what it claims is not)."""
    from numpy.lib import format as npf

    arrays = {"t_s": ((n_frames,), "<f8"), "xy_px": ((n_frames, N_LANDMARKS, 2), "<f4"),
              "z": ((n_frames, N_LANDMARKS), "<f4"), "visibility": ((n_frames, N_LANDMARKS), "<f4"),
              "world_m": ((n_frames, N_LANDMARKS, 3), "<f4")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in (("format_version", np.array(1)), ("width_px", np.array(640)),
                            ("height_px", np.array(480)), ("fps", np.array(30.0)),
                            ("source", np.array("claims.mp4"))):
            with z.open(name + ".npy", "w") as f:
                npf.write_array(f, value)
        for name, (shape, dtype) in arrays.items():
            info = zipfile.ZipInfo(name + ".npy")
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                npf.write_array_header_1_0(f, {"shape": shape, "fortran_order": False,
                                               "descr": dtype})
                left = int(np.prod(shape)) * np.dtype(dtype).itemsize
                chunk = bytes(1 << 20)
                while left:
                    f.write(chunk[:min(left, len(chunk))])
                    left -= min(left, len(chunk))
    return path


def test_a_landmark_file_claiming_a_million_frames_is_refused_before_allocation(tmp_path, monkeypatch):
    bad = _claiming_npz(tmp_path / "claims.npz", 10**6)
    assert bad.stat().st_size < 4 * 2**20
    read = []
    monkeypatch.setattr(np.lib.format, "read_array",
                        lambda *a, **k: read.append(1) or pytest.fail("an array was read"))
    with pytest.raises(LandmarksFileError) as e:
        load_npz(bad, display_name="claims.npz")
    assert str(e.value).startswith("claims.npz is too large to re-score: it claims 1,000,000 "
                                   "frames; at most 108,000 are accepted")
    assert read == []
    monkeypatch.undo()
    # and through the CLI, in a fresh process: one clear line, bounded memory
    call = (f"from formcheck.cli import main; sys.exit(main(['analyze', '--from-landmarks', "
            f"{str(bad)!r}]))")
    r = subprocess.run([sys.executable, "-c", "import sys\ntry:\n    " + call +
                        f"\nfinally:\n    print('PEAK_MB', {PEAK_MB})"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"formcheck: {bad} is too large to re-score: it claims 1,000,000 frames; at most 108,000 "
        "are accepted (the limits are settings: FORMCHECK_MAX_LANDMARK_FRAMES, "
        "FORMCHECK_MAX_LANDMARK_DURATION_S)."]
    assert float(r.stdout.split()[-1]) < RSS_LIMIT_MB


def test_the_frame_limit_is_a_setting(tmp_path, monkeypatch):
    analysis, raw = squat_analysis()
    path = tmp_path / "ok.npz"
    save_npz(raw, path)
    assert len(load_npz(path)) == len(raw)
    monkeypatch.setenv("FORMCHECK_MAX_LANDMARK_FRAMES", "10")
    with pytest.raises(LandmarksFileError, match=f"it claims {len(raw):,} frames; at most 10 "):
        load_npz(path)


@pytest.mark.parametrize("change, words", [
    (lambda a: a.__setitem__("t_s", np.where(np.arange(len(a["t_s"])) == 3, np.inf, a["t_s"])),
     "frame times are not all finite"),
    (lambda a: a["xy_px"].__setitem__((2, 5, 0), np.inf), "xy_px holds infinite"),
    (lambda a: a["world_m"].__setitem__((2, 5, 0), 1e30), "world_m holds infinite or impossibly"),
    (lambda a: a.__setitem__("width_px", np.array(10**9)), "width_px is 1000000000"),
    (lambda a: a.__setitem__("fps", np.array(np.nan)), "fps is nan"),
    (lambda a: a.__setitem__("z", a["z"][:-1]), "z has"),
    (lambda a: a.__setitem__("extra", np.zeros(3)), "unexpected extra"),
    (lambda a: a.__setitem__("source", np.array([{"x": 1}], dtype=object)), "source holds object"),
])
def test_landmark_values_must_be_sane(tmp_path, change, words):
    analysis, raw = squat_analysis()
    good = tmp_path / "good.npz"
    save_npz(raw, good)
    with np.load(good) as d:
        arrays = {k: d[k].copy() for k in d.files}
    change(arrays)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(LandmarksFileError, match="bad.npz is not a formcheck landmarks file or "
                                                 "is damaged") as e:
        load_npz(bad)
    assert words in str(e.value)


def test_fifo_and_device_landmark_paths_say_what_they_are(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(LandmarksFileError, match="pipe.npz is a pipe"):
        load_npz(fifo)
    dev = tmp_path / "zero.npz"
    dev.symlink_to("/dev/zero")
    with pytest.raises(LandmarksFileError, match="zero.npz is a device, not a file"):
        load_npz(dev)


# --- video files: the right reason -------------------------------------------------------------------
def test_fifo_and_device_clips_say_what_they_are(tmp_path, capsys):
    from formcheck.cli import main

    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    assert main(["analyze", str(fifo)]) == 2
    assert capsys.readouterr().err == (f"formcheck: {fifo} is a pipe (FIFO), not a file. Choose "
                                       "the video file itself.\n")
    dev = tmp_path / "zero.mp4"
    dev.symlink_to("/dev/zero")
    assert main(["analyze", str(dev)]) == 2
    assert capsys.readouterr().err == (f"formcheck: {dev} is a device, not a file. Choose the "
                                       "video file itself.\n")


@pytest.mark.slow
def test_a_clip_damaged_part_way_says_damaged_not_no_person(tmp_path, capsys):
    """Decoding stops at a damaged frame before anyone was seen: the message says the file is
    damaged (and where), not that nobody was filmed."""
    from conftest import write_clip
    from formcheck.cli import main

    frames = [np.full((240, 320, 3), 40 + (i % 7), np.uint8) for i in range(45)]
    clip = write_clip(tmp_path / "empty room.mp4", frames, fps=15)
    data = bytearray(clip.read_bytes())
    rng = np.random.default_rng(3)
    start, end = len(data) // 4, len(data) * 2 // 3     # inside the frames, not the index
    data[start:end] = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
    clip.write_bytes(bytes(data))
    code = main(["analyze", str(clip)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("formcheck: empty room.mp4 is damaged: The file is damaged or cut off "
                          "after "), err
    assert "No person was found" not in err


def test_import_of_a_fifo_or_device_says_what_it_is(store, tmp_path):
    fifo = tmp_path / "backup.zip"
    os.mkfifo(fifo)
    with pytest.raises(ExportFileError, match=r"backup.zip is a pipe \(FIFO\), not a file"):
        store.import_(fifo, display_name="backup.zip")
    dev = tmp_path / "zero.zip"
    dev.symlink_to("/dev/zero")
    with pytest.raises(ExportFileError, match="zero.zip is a device, not a file"):
        store.import_(dev)
