"""The app's files: one random folder per browser session, nothing shared by content, deleted
when no longer needed, when the session ends, after the expiry, and when a client is forgotten."""

from __future__ import annotations

import gc
import hashlib
import time
from pathlib import Path

import pytest

from formcheck.app import session_files
from formcheck.app.session_files import SessionFolder, remove_clips, sweep

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_behind_toes.mp4"   # not the example


@pytest.fixture
def app_files(tmp_path, monkeypatch):
    base = tmp_path / "app-files"
    monkeypatch.setenv(session_files.ROOT_ENV, str(base))
    return base


def _all_files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file())


def test_each_session_has_its_own_random_private_folder(app_files):
    a, b = SessionFolder(), SessionFolder()
    ca, cb = a.add_clip(b"same clip", "squat.mp4"), b.add_clip(b"same clip", "squat.mp4")
    assert a.path.parent == b.path.parent == app_files
    assert a.path != b.path and ca.clip != cb.clip         # same content, separate copies
    assert "squat" not in str(ca.clip) and hashlib.sha256(b"same clip").hexdigest()[:16] not in str(ca.clip)
    assert len(a.path.name) == 32
    assert a.path.stat().st_mode & 0o777 == 0o700 and ca.path.stat().st_mode & 0o777 == 0o700
    assert ca.clip.stat().st_mode & 0o777 == 0o600
    assert ca.clip.read_bytes() == b"same clip"
    assert ca.derived("annotated", ".mp4") != ca.derived("annotated", ".mp4")


def test_a_new_clip_replaces_the_old_one(app_files):
    s = SessionFolder()
    old = s.add_clip(b"first", "a.mp4")
    (old.derived("annotated", ".mp4")).write_bytes(b"drawn")
    new = s.add_clip(b"second", "b.mov")
    s.keep_only(new)
    assert not old.path.exists() and new.clip.read_bytes() == b"second"
    assert new.clip.suffix == ".mov"


def test_files_go_when_the_session_object_is_dropped(app_files):
    s = SessionFolder()
    s.add_clip(b"clip", "a.mp4")
    path = s.path
    del s
    gc.collect()
    assert not path.exists()


def test_files_go_after_the_expiry_and_the_expiry_is_a_setting(app_files, monkeypatch):
    s = SessionFolder()
    c = s.add_clip(b"clip", "a.mp4")
    now = time.time()
    assert sweep(now=now + 3590) == 0 and c.exists()          # default 1 h
    assert sweep(now=now + 3610) == 1 and not c.path.exists()
    c2 = s.add_clip(b"clip", "a.mp4")
    monkeypatch.setenv("FORMCHECK_SESSION_FILES_TTL_S", "60")
    assert sweep(now=now + 30) == 0 and c2.exists()
    assert sweep(now=time.time() + 61) == 1 and not c2.path.exists()
    assert _all_files(app_files) == []


def test_forget_removes_the_apps_copies_of_the_clients_clips(app_files, tmp_path, monkeypatch, capsys):
    from clinic_helpers import squat_analysis
    from formcheck.cli import main
    from formcheck.store import open_store
    from formcheck.store.db import close_all

    monkeypatch.setenv("FORMCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'clinic.db'}")
    clip_bytes = b"the client's clip" * 100
    other_bytes = b"somebody else's clip" * 100
    s1, s2 = SessionFolder(), SessionFolder()
    mine = s1.add_clip(clip_bytes, "knee.mp4")
    mine.derived("annotated", ".mp4").write_bytes(b"drawn from it")
    also_mine = s2.add_clip(clip_bytes, "knee-again.mp4")
    other = s2.add_clip(other_bytes, "other.mp4")
    store = open_store()
    store.add_client("knee-07")
    analysis, raw = squat_analysis()
    store.save_session("knee-07", analysis, raw, clip_path=mine.clip)
    assert main(["forget", "knee-07", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "2 copy(ies) of their clips in the app's files deleted" in out
    assert not mine.path.exists() and not also_mine.path.exists()
    assert other.clip.read_bytes() == other_bytes
    close_all()


def test_remove_clips_ignores_unknown_hashes(app_files):
    s = SessionFolder()
    c = s.add_clip(b"x", "a.mp4")
    assert remove_clips(["0" * 64, None]) == 0 and c.exists()


def test_messages_name_the_users_file_not_the_private_copy(app_files):
    s = SessionFolder()
    c = s.add_clip(b"x", "My squat.mp4")
    msg = f"Cannot read {c.clip.name} as a video. {c.clip} is damaged."
    assert session_files.user_words(msg, c, "My squat.mp4") == (
        "Cannot read My squat.mp4 as a video. My squat.mp4 is damaged.")


# --- the upload page (Streamlit AppTest) -------------------------------------------------------------
st = pytest.importorskip("streamlit")


def _app():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=240)


def test_a_broken_upload_leaves_no_file_and_says_the_users_name(app_files):
    at = _app()
    at.run()
    at.file_uploader[0].set_value(("holiday clip.mp4", b"definitely not a video", "video/mp4"))
    at.run()
    assert not at.exception
    assert "holiday clip.mp4" in at.error[0].value
    assert "upload" not in at.error[0].value and str(app_files) not in at.error[0].value
    assert _all_files(app_files) == []


@pytest.mark.slow
def test_upload_page_keeps_only_the_current_clip_and_names_it_in_the_report(app_files):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    at = _app()
    at.run()
    at.file_uploader[0].set_value(("My squats.mp4", CLIP.read_bytes(), "video/mp4"))
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["analysis"].source == "My squats.mp4"
    assert at.session_state["raw_landmarks"].source == "My squats.mp4"
    files = _all_files(app_files)
    session = at.session_state["session_files"].path
    assert {f.parent.parent for f in files} == {session}
    kinds = sorted(f.name.split("-")[0].split(".")[0] for f in files)
    assert kinds == ["annotated", "result", "sha256", "upload"]   # result.pkl: for a reload
    first = {f.parent for f in files}
    # the example replaces it: the first clip's copy and drawing are deleted
    at.button(key="example").click()
    at.run()
    assert not at.exception
    assert all(not p.exists() for p in first)
    assert len({f.parent for f in _all_files(app_files)}) == 1
    # after the expiry the files are gone and the page says so, in the user's words
    assert sweep(now=time.time() + 3601) == 1
    at.run()
    assert "side\\_knees\\_past\\_toes.mp4 was deleted from the server" in at.info[0].value
    assert _all_files(app_files) == []


def test_a_finished_result_outlives_its_session_for_a_reload_and_moves_to_the_new_one(app_files):
    old = SessionFolder()
    done = old.add_clip(b"clip bytes", "a.mp4")
    done.derived("annotated", ".mp4").write_bytes(b"drawn")
    done.save_result({"name": "a.mp4", "reps": 3})
    other = old.add_clip(b"other", "b.mp4")          # no result: nothing to come back to
    rid = done.result_id
    session_files.end_session(old.path)
    assert not other.path.exists()
    assert sorted(p.name for p in done.path.iterdir()) == ["result.pkl", "sha256", "upload.mp4"]
    new = SessionFolder()
    assert new.adopt_result("../" + rid) is None and new.adopt_result("0" * 16) is None
    got = new.adopt_result(rid)
    assert got.path == new.path / rid and not done.path.exists()
    assert got.load_result() == {"name": "a.mp4", "reps": 3}
    assert got.clip.read_bytes() == b"clip bytes"
    # still bounded: the expiry sweep deletes it like any clip
    assert sweep(now=time.time() + 3601) == 1 and not got.path.exists()


def test_uploads_replace_each_other_but_leave_a_live_set_alone(app_files):
    s = SessionFolder()
    live = s.new_live_folder()
    (live.path / "upload.mp4").write_bytes(b"the set")
    first = s.add_clip(b"one", "a.mp4")
    second = s.add_clip(b"two", "b.mp4")
    s.keep_only(second)
    assert not first.path.exists() and second.exists() and live.exists()
