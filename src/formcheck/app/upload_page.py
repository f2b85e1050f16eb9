"""Analyse a clip: upload or the built-in example -> results, re-scored live from cached landmarks.

The model runs once per clip (cached per browser session, keyed by the file's SHA-256). Profile,
view and threshold changes re-score the cached landmarks; they never run MediaPipe again. Files
live in the session's own folder and are deleted as app/session_files.py describes.

For other pages (e.g. a clinic's Clients page) the result on screen is published as the
session's current result (app/current_result.py).

A reload keeps the result: the finished analysis is saved beside the clip (session_files) and
its id put in the page's URL (?result=...); a new browser session with that URL adopts it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

import streamlit as st

from formcheck import limits, pipeline
from formcheck.analysis import analyze_sequence, rescore, with_person
from formcheck.app import (browser_key, chairstand_panel, components, current_result, my_sets_page,
                           offload, phone, session_files)
from formcheck.app.safe_text import md
from formcheck.app.session_files import user_words
from formcheck.errors import FormcheckError
from formcheck.thresholds import get_profile

log = logging.getLogger(__name__)

EXTENSIONS = ["mp4", "mov", "avi", "webm", "m4v"]
# the settings name the height, which the higher-box advice asks for ("give the height of the
# person filmed for centimetres"), and the box: a user looking for them finds them here
SETTINGS = "Settings: profile, camera view, height, box, thresholds"
REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "videos" / "fixtures" / "side_knees_past_toes.mp4"


def _cache() -> dict:
    return st.session_state.setdefault("clip_cache", {})


def _files() -> session_files.SessionFolder:
    """This browser session's own folder (random name; deleted when the session ends)."""
    folder = st.session_state.get("session_files")
    if folder is None or not folder.path.is_dir():
        folder = st.session_state["session_files"] = session_files.SessionFolder(
            owner=session_files.current_session_id())
    return folder


def _store(data: bytes, name: str) -> tuple[str, session_files.ClipFolder]:
    """Keep the upload in this session's folder; the clips analysed before are deleted (the
    analysis no longer needs them). The cache key is private to this session."""
    key = hashlib.sha256(data).hexdigest()[:16]
    cache = _cache()
    entry = cache.get(key)
    folder = entry.get("folder") if entry else None
    if folder is None or not folder.exists():
        cache.pop(key, None)
        folder = _files().add_clip(data, name)
    for k in [k for k in cache if k != key]:
        cache.pop(k)
    _files().keep_only(folder)
    return key, folder


def _analyse(key: str, folder: session_files.ClipFolder, name: str) -> None:
    """Run the model once for this clip; remember the result or the user-facing error."""
    cache = _cache()
    if key in cache:
        return
    path = folder.clip
    bar = st.progress(0.0, text=f"Finding the person in {md(name)}…")

    def show(done_s: float, total_s: float) -> None:
        frac = min(1.0, done_s / total_s) if total_s > 0 else 0.0
        bar.progress(frac, text=offload.progress_words(md(name), done_s, total_s))

    # stopped when this browser session ends or at the per-job time limit (offload.py)
    progress = offload.job_progress(show, session_files.current_session_id())

    try:
        st.session_state["model_runs"] = st.session_state.get("model_runs", 0) + 1
        analysis, raw = pipeline.analyze_video(path, get_profile("general"), "general",
                                               progress=progress, engine=offload.app_engine())
    except FormcheckError as exc:
        folder.remove()   # nothing can be made from it
        cache[key] = {"error": user_words(str(exc), folder, name), "name": name}
    except Exception as exc:  # never a traceback on the page
        log.exception("analysis of %s failed", name)
        folder.remove()
        cache[key] = {"error": f"formcheck could not analyse {name}. "
                               "Try another clip, or export this one again as H.264 mp4.",
                      "name": name}
    else:
        # the user's file name, not the private copy's, in messages and the report's source
        raw = raw.replace(source=name)
        analysis = dataclasses.replace(analysis, source=name)
        cache[key] = _entry(raw, analysis, folder, name)
        try:
            folder.save_result(raw, analysis, name, owner=browser_key.owner_tag())
            st.query_params["result"] = folder.result_id
        except OSError:
            log.exception("saving the result of %s for a reload", name)
    finally:
        bar.empty()


def _entry(raw, analysis, folder: session_files.ClipFolder, name: str) -> dict:
    return {"raw": raw, "base": analysis, "by_view": {"auto": analysis}, "clip_path": folder.clip,
            "folder": folder, "name": name, "video": None, "frames": {}}


def _restore_from_url() -> None:
    """After a reload: the result named in the URL, if it is still on the server."""
    rid = st.query_params.get("result")
    if not rid or st.session_state.get("active_key"):
        return
    try:
        folder = _files().adopt_result(rid, browser_key.owner_tag())
        saved = folder.load_result() if folder is not None else None
    except session_files.NotYourResultError as exc:
        st.query_params.pop("result", None)
        st.warning(md(exc), icon=":material/lock:")
        return
    except session_files.SavedResultError as exc:
        st.query_params.pop("result", None)
        st.warning(f"{md(exc)} Upload the clip again to see its results.")
        return
    if saved is None:
        st.query_params.pop("result", None)
        ttl_min = limits.current().session_files_ttl_s / 60
        st.info(f"The results of this link are no longer on the server (they are kept at most "
                f"{ttl_min:.0f} min). Upload the clip again to see them.")
        return
    try:   # the clip's hash, as _store keys it: the same clip uploaded again is not re-run
        key = (folder.path / session_files.SHA_NOTE).read_text().strip()[:16] or folder.result_id
    except OSError:
        key = folder.result_id
    _cache()[key] = _entry(saved["raw"], saved["base"], folder, saved["name"])
    st.session_state["active_key"] = key
    components.restore_settings(saved["settings"])


def _clear_when_upload_removed(up) -> None:
    """The user removed their file from the uploader: its error (or result) goes too."""
    if up is None and st.session_state.pop("upload_id", None) is not None:
        entry = _cache().get(st.session_state.get("active_key"))
        if entry is not None and "error" in entry:
            st.session_state.pop("active_key", None)


def _analysis_for(entry: dict, th, profile: str, view: str):
    """Re-score from the cached landmarks: a forced view re-runs only the pure pipeline."""
    if view not in entry["by_view"]:
        entry["by_view"][view] = analyze_sequence(entry["raw"], th, profile, view)
    return rescore(entry["by_view"][view], th, profile)


def _video_slot(entry: dict, analysis) -> None:
    from formcheck import render

    out = entry.get("video")
    vkey = (repr(analysis.thresholds), analysis.view.view, analysis.cm_per_shin, analysis.box)
    if out is not None and entry.get("video_key") != vkey:
        st.caption("The video was drawn with other thresholds, view or height than those now "
                   "in use.")
        if st.button("Redraw it with the current settings", key="redraw_video"):
            out = None
    if out is None or not Path(out).is_file():
        bar = st.progress(0.0, text="Drawing the annotated video…")
        try:
            if out is not None:
                Path(out).unlink(missing_ok=True)   # the old drawing is no longer needed
            out = entry["folder"].derived("annotated", ".mp4")   # this session's, never shared
            render.write_annotated(entry["clip_path"], analysis, out, mode=0o600,
                                   progress=lambda d, t: bar.progress(
                                       min(1.0, d / t) if t else 0.0,
                                       text=f"Drawing the annotated video: {d:.1f} of {t:.1f} s"))
            entry["video"] = out
            entry["video_key"] = vkey
        except FormcheckError as exc:
            st.error(md(user_words(str(exc), entry["folder"], entry["name"])))
            return
        except Exception as exc:
            log.exception("annotated video")
            st.error("The annotated video could not be made.")
            return
        finally:
            bar.empty()
    st.video(str(out))


def _frame_getter(entry: dict, analysis):
    from formcheck import render

    # everything the drawn frame depends on (its box words: box and cm too)
    tkey = (repr(analysis.thresholds), analysis.view.view, analysis.cm_per_shin, analysis.box)

    def get(i: int):
        k = (i, tkey)
        if k not in entry["frames"]:
            entry["frames"][k] = render.bottom_frame(entry["clip_path"], analysis, i)
        return entry["frames"][k]

    return get


SIGN_IN_FIRST = object()     # _client_choice: analysing for a client, not signed in


def not_a_clip(name: str) -> str | None:
    """Why a file is refused before it is read (its name is not a video's), or None."""
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in EXTENSIONS:
        return None
    what = ("a picture" if suffix in ("png", "jpg", "jpeg", "gif", "heic", "webp", "bmp")
            else "not a video" if suffix else "a file without a type")
    return (f"{name} is {what}: formcheck needs a video clip ({', '.join(EXTENSIONS)}). "
            "Choose the clip of the set instead.")


def _client_choice():
    """Physiotherapists pick or add the client first: the client's own targets become the
    thresholds, and the result can be saved on the Clients page. Home users leave it off.
    Returns the client's label, None, or SIGN_IN_FIRST when analysing for a client needs a
    sign-in first (the page then shows nothing else, like the clinic pages)."""
    if not st.sidebar.toggle("Analysing for a client", key="clinic_mode",
                             help="For physiotherapists: pick or add the client first, so their "
                                  "own targets are used and the session can be saved."):
        return None
    from . import access, clients_page

    try:
        if access.gate(clients_page._store(), where=st.sidebar) is None:
            return SIGN_IN_FIRST      # clinic data needs a sign-in here
        label = clients_page.client_picker(st.sidebar)
        if label:
            clients_page.apply_client_targets(label)
            st.sidebar.caption(f"Thresholds set to {md(label)}'s targets. After the analysis, "
                               "save the session on the Clients page.")
        return label
    except FormcheckError as exc:
        st.sidebar.error(md(exc))
        return None


def render() -> None:
    if chairstand_panel.is_chosen():
        st.title("Analyse a chair-stand test")
        st.write("Upload a clip of a 30-second chair stand or a five-times sit-to-stand, "
                 "filmed from the side. formcheck counts and times the stands and compares "
                 "them with the published norms.")
    else:
        st.title("Analyse a squat clip")
        st.write("Upload a clip of your box squats, or try the built-in example. formcheck "
                 "counts the reps and measures, for each one, how far the knee travels past "
                 "the toes and how deep you go.")
    if _client_choice() is SIGN_IN_FIRST:
        st.info("Analysing for a client needs a sign-in: sign in in the menu, or switch "
                "**Analysing for a client** off to analyse a clip for yourself.",
                icon=":material/lock:")
        return
    chair_mode = chairstand_panel.chosen()   # the "Chair-stand test" mode (its own module)
    with st.expander(SETTINGS, icon=":material/tune:"):
        profile, th, view = components.threshold_controls(where=st.container())
        height_cm, on_box = components.person_controls(profile)
    limit_mb = st.get_option("server.maxUploadSize")
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    # any file is taken, so that a picture or a document is refused with a reason (Streamlit's
    # own type check shows a red chip without one)
    up = c1.file_uploader(f"Upload a clip ({', '.join(EXTENSIONS)}; up to {limit_mb} MB)",
                          key="upload")
    # the main button only until the user has a clip of their own on the page
    example = c2.button("Analyse the example clip", width="stretch",
                        type="primary" if up is None and not st.session_state.get("active_key")
                        else "secondary",
                        disabled=not EXAMPLE.is_file(), key="example",
                        help="A rendered side-view clip of 3 squats with the knees "
                             "travelling past the toes.")
    _clear_when_upload_removed(up)
    if up is not None and not_a_clip(up.name):
        st.error(md(not_a_clip(up.name)), icon=":material/error:")
        return
    _restore_from_url()
    if up is not None and st.session_state.get("upload_id") != up.file_id:
        st.session_state["upload_id"] = up.file_id
        key, folder = _store(up.getvalue(), up.name)
        st.session_state["active_key"] = key
        _analyse(key, folder, up.name)
    elif example:
        key, folder = _store(EXAMPLE.read_bytes(), EXAMPLE.name)
        st.session_state["active_key"] = key
        _analyse(key, folder, EXAMPLE.name)

    entry = _cache().get(st.session_state.get("active_key"))
    if entry is not None and "folder" in entry and not entry["folder"].exists():
        _cache().pop(st.session_state.pop("active_key"), None)
        current_result.clear("upload")
        st.query_params.pop("result", None)
        ttl_min = limits.current().session_files_ttl_s / 60
        st.info(f"The clip {md(entry['name'])} was deleted from the server (clips are kept at most "
                f"{ttl_min:.0f} min). Upload it again to see its results.")
        return
    if entry is None:
        st.info("The results appear here: a summary, feedback, the annotated video, the bottom "
                "frame of each rep, a table of every rep, plots and downloads.")
        return
    if "error" in entry:
        st.query_params.pop("result", None)
        st.error(md(entry["error"]), icon=":material/error:")
        return
    try:
        analysis = with_person(_analysis_for(entry, th, profile, view), height_cm, box=on_box)
    except FormcheckError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    st.query_params["result"] = entry["folder"].result_id
    try:     # a reload shows it with these settings again
        entry["folder"].save_settings(components.page_settings(th, on_box, height_cm))
    except OSError:
        log.exception("keeping the settings of %s for a reload", entry["name"])
    # the page scrolls to the results once per result (sent before them: the video after the
    # table can take a while to make)
    phone.scroll_to("upload_results", entry["folder"].result_id)
    with st.container(key="upload_results"):
        _results(entry, analysis, chair_mode)


def _results(entry: dict, analysis, chair_mode: bool) -> None:
    if chair_mode:
        result = chairstand_panel.render(analysis, entry["name"])
        if result is None:       # nothing to save as a chair-stand test
            current_result.clear("upload")
        else:
            current_result.publish(analysis, entry["raw"], entry["clip_path"], entry["name"],
                                   "upload", kind=current_result.CHAIR_STAND, chair_stand=result)
        return
    current_result.publish(analysis, entry["raw"], entry["clip_path"], entry["name"], "upload")
    components.results(analysis, entry["name"], key="upload",
                       video_path=lambda: entry.get("video"),
                       get_frame=_frame_getter(entry, analysis),
                       video_slot=lambda: _video_slot(entry, analysis))
    my_sets_page.keep_button("upload")      # a home user's own history (not for a client)


if __name__ == "__main__":  # run as a page file
    render()
