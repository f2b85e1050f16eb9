"""The app's files: one random folder per browser session, nothing shared by content, deleted
when no longer needed, when the session ends, after the expiry, and when a client is forgotten."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis import rescore
from formcheck.app import browser_key, session_files
from formcheck.app.safe_text import md
from formcheck.app.session_files import SavedResultError, SessionFolder, remove_clips, sweep
from formcheck.landmarks import save_npz
from formcheck.pipeline import analyze_landmarks
from formcheck.report import rep_rows, to_dict
from formcheck.synthetic import RepSpec, squat_sequence
from formcheck.thresholds import get_profile

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "videos" / "fixtures" / "side_knees_behind_toes.mp4"   # not the example


# This browser's cookie secret (app/browser_key.py): every AppTest session below is "the same
# browser", as a reload is; OWNER is the tag its results carry.
SECRET = "5" * 64
OWNER = browser_key.tag_of(SECRET)


@pytest.fixture
def app_files(tmp_path, monkeypatch):
    base = tmp_path / "app-files"
    monkeypatch.setenv(session_files.ROOT_ENV, str(base))
    monkeypatch.setattr(browser_key, "_cookies", lambda: {browser_key.COOKIE: SECRET})
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


def test_a_picture_is_refused_with_a_reason_before_it_is_stored(app_files):
    at = _app()
    at.run()
    at.file_uploader[0].set_value(("knee photo.png", b"\x89PNG\r\n\x1a\n", "image/png"))
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [md(
        "knee photo.png is a picture: formcheck needs a video clip (mp4, mov, avi, webm, m4v). "
        "Choose the clip of the set instead.")]
    assert _all_files(app_files) == [] and "model_runs" not in at.session_state
    # with a file of the user's own on the page, the example is no longer the main button
    assert at.button(key="example").proto.type == "secondary"
    assert _app().run().button(key="example").proto.type == "primary"


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
    # result.json, result-landmarks.npz and the settings it is shown with: for a reload
    # and whose browser may open it (owner): for a reload
    assert kinds == ["annotated", "owner", "result", "result", "settings", "sha256", "upload"]
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


def _clip_result(name: str = "a.mp4"):
    """Landmarks and their analysis as the Analyse page makes them (with a tracker's note)."""
    seq = squat_sequence(3, noise_px=1.5, seed=3, source=name)
    return seq, analyze_landmarks(seq, get_profile("general"), "general",
                                  warnings=["A note from the tracker."])


def test_a_finished_result_outlives_its_session_for_a_reload_and_moves_to_the_new_one(app_files):
    old = SessionFolder()
    done = old.add_clip(b"clip bytes", "a.mp4")
    done.derived("annotated", ".mp4").write_bytes(b"drawn")
    raw, analysis = _clip_result()
    done.save_result(raw, analysis, "a.mp4", owner=OWNER)
    other = old.add_clip(b"other", "b.mp4")          # no result: nothing to come back to
    rid = done.result_id
    session_files.end_session(old.path)
    assert not other.path.exists()
    assert sorted(p.name for p in done.path.iterdir()) == ["owner", "result-landmarks.npz",
                                                           "result.json", "sha256", "upload.mp4"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in done.path.glob("result*"))
    new = SessionFolder()
    assert new.adopt_result("../" + rid, OWNER) is None
    assert new.adopt_result("0" * 16, OWNER) is None
    got = new.adopt_result(rid, OWNER)
    assert got.path == new.path / rid and not done.path.exists()
    saved = got.load_result()
    assert saved["name"] == "a.mp4" and saved["base"].rep_count == 3
    assert got.clip.read_bytes() == b"clip bytes"
    # still bounded: the expiry sweep deletes it like any clip
    assert sweep(now=time.time() + 3601) == 1 and not got.path.exists()


def test_a_result_opens_only_in_the_browser_that_made_it_and_stays_where_it_is(app_files):
    old = SessionFolder()
    done = old.add_clip(b"clip bytes", "a.mp4")
    done.save_result(*_clip_result(), "a.mp4", owner=OWNER)
    unowned = old.add_clip(b"other", "b.mp4")           # saved without an owner: nobody's
    unowned.save_result(*_clip_result(), "b.mp4")
    session_files.end_session(old.path)
    stranger = SessionFolder()
    for folder, tag in ((done, browser_key.tag_of("6" * 64)), (done, None), (unowned, OWNER)):
        with pytest.raises(session_files.NotYourResultError, match="belongs to another browser"):
            stranger.adopt_result(folder.result_id, tag)
        assert (folder.path / session_files.RESULT_FILE).is_file()      # not moved
    assert list(stranger.path.iterdir()) == []
    got = SessionFolder().adopt_result(done.result_id, OWNER)           # its own browser: yes
    assert got is not None and got.load_result()["name"] == "a.mp4"


def _reloaded(folder) -> dict:
    """What a reload finds: the folder adopted by a new browser session, its result loaded."""
    rid = folder.result_id
    session_files.end_session(folder.path.parent)
    return SessionFolder().adopt_result(rid, OWNER).load_result()


def test_a_reload_analyses_the_saved_landmarks_again_to_the_same_rep_rows(app_files):
    raw, analysis = _clip_result("My squats.mp4")
    session = SessionFolder()                # held: a dropped session deletes its folder
    folder = session.add_clip(b"clip", "My squats.mp4")
    folder.save_result(raw, analysis, "My squats.mp4", owner=OWNER)
    saved = _reloaded(folder)
    assert saved["name"] == "My squats.mp4" and saved["raw"].source == "My squats.mp4"
    for k in ("t_s", "xy_px", "z", "visibility", "world_m"):     # the landmarks exactly
        assert np.array_equal(getattr(saved["raw"], k), getattr(raw, k), equal_nan=True)
    base = saved["base"]
    assert base.rep_count == 3
    assert rep_rows(base) == rep_rows(analysis)
    assert to_dict(base) == to_dict(analysis)        # summary, cues, view, notes, thresholds
    assert base.warnings[0] == "A note from the tracker."
    # re-scored with other thresholds (what the page does next): still the same
    rehab = get_profile("knee-rehab")
    assert rep_rows(rescore(base, rehab, "knee-rehab")) == rep_rows(rescore(analysis, rehab,
                                                                            "knee-rehab"))


def test_a_reloaded_live_set_has_the_reps_the_live_counter_counted(app_files):
    """The live path's analysis, counted with the thresholds of START and scored with those
    of STOP: a reload replays the landmarks through the live path with the same thresholds."""
    from formcheck.live import LiveSession

    seq = squat_sequence([RepSpec(), RepSpec(thigh_deg=-40.0), RepSpec()], noise_px=1.0,
                         seed=5)
    start = get_profile("general")
    session = LiveSession(start, "general")
    for i in range(len(seq)):                   # webcam times do not start at 0
        session.push_pose(1234.567 + float(seq.t_s[i]), seq.xy_px[i], seq.visibility[i],
                          seq.width_px, seq.height_px, z=seq.z[i], world_m=seq.world_m[i])
    stop = get_profile("general", min_rep_depth_ratio=0.6, knee_over_toe_max_ratio=0.1)
    analysis, raw = session.finish(stop, "general (adjusted)")
    name = "Live set 2026-11-30 06-40"
    analysis = dataclasses.replace(analysis, source=name)
    raw = raw.replace(source=name)
    files = SessionFolder()
    folder = files.new_live_folder()
    folder.save_result(raw, analysis, name, live=True, rep_thresholds=session.thresholds,
                       owner=OWNER)
    base = _reloaded(folder)["base"]
    assert base.rep_count == analysis.rep_count == 3
    assert rep_rows(base) == rep_rows(analysis)
    assert to_dict(base) == to_dict(analysis)
    # counted with STOP's thresholds instead, the shallow rep would not be a rep
    assert analyze_landmarks(raw, stop, replay_live=True).rep_count == 2


@pytest.mark.parametrize("damage", ["settings", "landmarks", "nobody", "thresholds", "version"])
def test_a_damaged_saved_result_is_a_clear_message(app_files, damage, caplog):
    raw, analysis = _clip_result()
    session = SessionFolder()
    folder = session.add_clip(b"clip", "a.mp4")
    folder.save_result(raw, analysis, "a.mp4", owner=OWNER)
    how = folder.path / session_files.RESULT_FILE
    if damage == "settings":
        how.write_bytes(b"\x80\x04garbage")
    elif damage == "landmarks":
        (folder.path / session_files.RESULT_LANDMARKS).write_bytes(b"PK\x03\x04 not a zip")
    elif damage == "nobody":     # a well-formed file whose landmarks were replaced: no person
        save_npz(raw.replace(xy_px=np.full_like(raw.xy_px, np.nan)),
                 folder.path / session_files.RESULT_LANDMARKS)
    else:
        d = json.loads(how.read_text())
        if damage == "thresholds":
            d["thresholds"]["knee_over_toe_max_ratio"] = "__import__('os').system('x')"
        else:
            d["format"] = 99
        how.write_text(json.dumps(d))
    with pytest.raises(SavedResultError) as exc:
        folder.load_result()
    msg = str(exc.value)
    assert msg.startswith("The saved result cannot be read: ")
    assert msg == "The saved result cannot be read: " + {
        "settings": "its settings file is damaged.",
        "landmarks": "its landmarks file is damaged.",
        "nobody": "its files are damaged.",
        "thresholds": "its settings file is damaged.",
        "version": "it was saved by another formcheck version."}[damage]
    assert {"landmarks": "is not a formcheck landmarks file", "nobody": "No person was found",
            "thresholds": "is not a number"}.get(damage, msg) in caplog.text
    assert folder.clip.read_bytes() == b"clip"          # nothing of the user's is deleted


class _RunsCode:
    def __reduce__(self):
        return (Path.write_text, (Path(os.environ["FORMCHECK_PICKLE_MARK"]), "ran"))


def test_an_old_result_pkl_is_never_unpickled_and_counts_as_gone(app_files, tmp_path, caplog,
                                                                 monkeypatch):
    mark = tmp_path / "pickle-ran"
    monkeypatch.setenv("FORMCHECK_PICKLE_MARK", str(mark))
    old = SessionFolder()
    folder = old.add_clip(b"clip", "a.mp4")
    (folder.path / session_files.OLD_RESULT_FILE).write_bytes(pickle.dumps({"raw": _RunsCode()}))
    rid = folder.result_id
    new = SessionFolder()
    assert new.adopt_result(rid, OWNER) is None
    assert folder.load_result() is None
    assert not mark.exists()
    assert "result.pkl of an earlier formcheck version; it is not read" in caplog.text


def test_uploads_replace_each_other_but_leave_a_live_set_alone(app_files):
    s = SessionFolder()
    live = s.new_live_folder()
    (live.path / "upload.mp4").write_bytes(b"the set")
    first = s.add_clip(b"one", "a.mp4")
    second = s.add_clip(b"two", "b.mp4")
    s.keep_only(second)
    assert not first.path.exists() and second.exists() and live.exists()


def _left_for_a_reload(kind: str) -> str:
    """A result left by an ended browser session (kind: "good", "garbage" or "pickle"); its id."""
    old = SessionFolder()
    folder = old.add_clip(CLIP.read_bytes(), "My squats.mp4")
    if kind == "pickle":
        (folder.path / session_files.OLD_RESULT_FILE).write_bytes(pickle.dumps({"name": "x"}))
    else:
        folder.save_result(*_clip_result("My squats.mp4"), "My squats.mp4", owner=OWNER)
    if kind == "garbage":
        (folder.path / session_files.RESULT_FILE).write_bytes(b"{not json")
    session_files.end_session(old.path)
    return folder.result_id


@pytest.mark.parametrize("kind", ["good", "garbage", "pickle"])
def test_the_page_reloads_a_result_and_says_so_when_it_cannot(app_files, kind):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    rid = _left_for_a_reload(kind)
    at = _app()
    at.query_params["result"] = rid
    at.run()
    assert not at.exception and not at.error
    if kind == "good":
        analysis = at.session_state["analysis"]
        assert analysis.source == "My squats.mp4" and analysis.rep_count == 3
        assert rep_rows(analysis) == rep_rows(_clip_result("My squats.mp4")[1])
        assert at.query_params["result"] == [rid]
        return
    assert "result" not in at.query_params
    if kind == "garbage":
        assert [w.value for w in at.warning] == [md(
            "The saved result cannot be read: its settings file is damaged. Upload the clip "
            "again to see its results.")]
    else:
        assert at.info[0].value.startswith("The results of this link are no longer on the server")


def test_a_result_link_in_another_browser_shows_nothing_and_leaves_the_result(app_files,
                                                                             monkeypatch):
    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    rid = _left_for_a_reload("good")
    monkeypatch.setattr(browser_key, "_cookies", lambda: {})       # another browser: no cookie
    at = _app()
    at.query_params["result"] = rid
    at.run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == [md(
        "This result link belongs to another browser: results open only in the browser that "
        "made them. Upload the clip here to see its results.")]
    assert "analysis" not in at.session_state and "result" not in at.query_params
    assert len(list(app_files.glob(f"*/{rid}/{session_files.RESULT_FILE}"))) == 1
    monkeypatch.setattr(browser_key, "_cookies", lambda: {browser_key.COOKIE: SECRET})
    owner = _app()                                   # its own browser, reloading: it is there
    owner.query_params["result"] = rid
    owner.run()
    assert owner.session_state["analysis"].rep_count == 3


def _live_restore_page():
    import streamlit as st

    from formcheck.app import live_page

    holder = {}
    live_page._restore_from_url(holder)
    st.session_state["restored"] = holder.get("entry")


@pytest.mark.parametrize("kind", ["good", "garbage"])
def test_the_live_page_reloads_a_set_and_says_so_when_it_cannot(app_files, kind):
    from streamlit.testing.v1 import AppTest

    raw, analysis = _clip_result("Live set 2026-11-30 06-40")
    old = SessionFolder()
    folder = old.new_live_folder()
    folder.save_result(raw, analysis, "Live set 2026-11-30 06-40", live=True, owner=OWNER)
    if kind == "garbage":
        (folder.path / session_files.RESULT_LANDMARKS).write_bytes(b"\0" * 100)
    session_files.end_session(old.path)
    at = AppTest.from_function(_live_restore_page, default_timeout=60)
    at.query_params["set"] = folder.result_id
    at.run()
    assert not at.exception and not at.error
    entry = at.session_state["restored"]
    if kind == "good":
        assert entry["name"] == "Live set 2026-11-30 06-40" and entry["clip_path"] is None
        assert rep_rows(entry["base"]) == rep_rows(
            analyze_landmarks(raw, get_profile("general"), "general", replay_live=True))
        return
    assert entry is None and "set" not in at.query_params
    assert [w.value for w in at.warning] == [md("The saved result cannot be read: its "
                                                "landmarks file is damaged.")]


# (profile, threshold changed, its value, box, what rep 1's box words say)
RELOAD_CASES = [("general", "box_pause_min_s", 0.2, True, "On the box: paused sit "),
                ("knee-rehab", "knee_over_toe_max_ratio", 0.05, False,
                 "The knee stayed within the limit (+0.05 foot lengths past the toes)")]


@pytest.mark.parametrize("profile,threshold,value,box,words", RELOAD_CASES)
def test_a_reload_shows_the_result_with_the_settings_it_was_shown_with(app_files, profile,
                                                                       threshold, value, box,
                                                                       words):
    """Profile, a changed threshold, the box setting (against the profile's default) and the
    height come back after a reload, so the page says the same box words (report.box_words)
    as before it."""
    from formcheck.report import box_words

    if not CLIP.is_file():
        pytest.skip(f"fixture clip missing: {CLIP}")
    rid = _left_for_a_reload("good")
    at = _app()
    at.query_params["result"] = rid
    at.run()
    default_words = [box_words(r) for r in rep_rows(at.session_state["analysis"])]
    at.selectbox(key="profile").set_value(profile).run()
    at.number_input(key=f"th_{profile}_{threshold}").set_value(value).run()
    assert at.checkbox(key=f"box_{profile}").value is not box        # the profile's default
    at.checkbox(key=f"box_{profile}").set_value(box).run()
    at.number_input(key="height_cm").set_value(172).run()
    assert not at.exception
    shown = at.session_state["analysis"]
    assert (shown.profile, shown.box, shown.height_cm) == (f"{profile} (adjusted)", box, 172.0)
    before = [box_words(r) for r in rep_rows(shown)]
    assert before != default_words
    assert before[0].startswith(words)
    assert (" cm above the ankle" in before[0]) is box     # on the box: in cm, from the height
    again = _app()                                            # the reload: a new browser session
    again.query_params["result"] = rid
    again.run()
    assert not again.exception and not again.error
    assert again.selectbox(key="profile").value == profile
    assert again.checkbox(key=f"box_{profile}").value is box
    assert again.number_input(key="height_cm").value == 172
    assert again.number_input(key=f"th_{profile}_{threshold}").value == value
    reloaded = again.session_state["analysis"]
    assert (reloaded.profile, reloaded.box, reloaded.height_cm) == \
        (f"{profile} (adjusted)", box, 172.0)
    assert [box_words(r) for r in rep_rows(reloaded)] == before


def test_damaged_settings_are_ignored_and_the_result_still_loads(app_files, caplog):
    raw, analysis = _clip_result()
    session = SessionFolder()
    folder = session.add_clip(b"clip", "a.mp4")
    folder.save_result(raw, analysis, "a.mp4", owner=OWNER)
    good = {"profile": "knee-rehab", "overrides": {"knee_over_toe_max_ratio": 0.1}, "box": False,
            "height_cm": 172.0}
    folder.save_settings(good)
    assert folder.load_result()["settings"] == good
    for bad in (b"{not json", json.dumps(dict(good, box="yes")).encode(),
                json.dumps(dict(good, height_cm=900)).encode(),
                json.dumps(dict(good, overrides={"nonsense": 1})).encode()):
        (folder.path / session_files.SETTINGS_FILE).write_bytes(bad)
        saved = folder.load_result()
        assert saved["settings"] is None and saved["base"].rep_count == 3
    assert "the page's default settings apply" in caplog.text
