"""Analyse a clip: upload or the built-in example -> results, re-scored live from cached landmarks.

The model runs once per clip (keyed by the file's SHA-256). Profile, view and threshold changes
re-score the cached landmarks; they never run MediaPipe again.

For other pages (e.g. a clinic's Clients page) the current result is exposed in
st.session_state["analysis"], ["raw_landmarks"], ["clip_path"] and ["clip_name"].
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import streamlit as st

from formcheck import pipeline
from formcheck.analysis import analyze_sequence, rescore
from formcheck.app import components, offload
from formcheck.errors import FormcheckError
from formcheck.thresholds import get_profile

log = logging.getLogger(__name__)

EXTENSIONS = ["mp4", "mov", "avi", "webm", "m4v"]
REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "videos" / "fixtures" / "side_knees_past_toes.mp4"
WORK_DIR = Path(tempfile.gettempdir()) / "formcheck-app"


def _cache() -> dict:
    return st.session_state.setdefault("clip_cache", {})


def _store(data: bytes, name: str) -> tuple[str, Path]:
    key = hashlib.sha256(data).hexdigest()[:16]
    WORK_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)   # clips are health data:
    os.chmod(WORK_DIR, 0o700)                                 # only this user may read them
    path = WORK_DIR / f"{key}{Path(name).suffix.lower() or '.mp4'}"
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{id(data)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)   # another session may store the same clip at the same time
    return key, path


def _analyse(key: str, path: Path, name: str) -> None:
    """Run the model once for this clip; remember the result or the user-facing error."""
    cache = _cache()
    if key in cache:
        return
    bar = st.progress(0.0, text=f"Finding the person in {name}…")

    def progress(done_s: float, total_s: float) -> None:
        frac = min(1.0, done_s / total_s) if total_s > 0 else 0.0
        bar.progress(frac, text=f"Tracking {name}: {done_s:.1f} of {total_s:.1f} s")

    try:
        st.session_state["model_runs"] = st.session_state.get("model_runs", 0) + 1
        analysis, raw = pipeline.analyze_video(path, get_profile("general"), "general",
                                               progress=progress, engine=offload.app_engine())
    except FormcheckError as exc:
        cache[key] = {"error": str(exc), "name": name}
    except Exception as exc:  # never a traceback on the page
        log.exception("analysis of %s failed", name)
        cache[key] = {"error": f"formcheck could not analyse {name} ({type(exc).__name__}). "
                               "Try another clip, or export this one again as H.264 mp4.",
                      "name": name}
    else:
        cache[key] = {"raw": raw, "base": analysis, "by_view": {"auto": analysis},
                      "clip_path": path, "name": name, "video": None, "frames": {}}
    finally:
        bar.empty()


def _analysis_for(entry: dict, th, profile: str, view: str):
    """Re-score from the cached landmarks: a forced view re-runs only the pure pipeline."""
    if view not in entry["by_view"]:
        entry["by_view"][view] = analyze_sequence(entry["raw"], th, profile, view)
    return rescore(entry["by_view"][view], th, profile)


def _video_slot(entry: dict, analysis) -> None:
    from formcheck import render

    out = entry.get("video")
    vkey = (repr(analysis.thresholds), analysis.view.view)
    if out is not None and entry.get("video_key") != vkey:
        st.caption("The video was drawn with other thresholds or view than those now in use.")
        if st.button("Redraw it with the current settings", key="redraw_video"):
            out = None
    if out is None or not Path(out).is_file():
        bar = st.progress(0.0, text="Drawing the annotated video…")
        try:
            out = WORK_DIR / f"{Path(entry['clip_path']).stem}_annotated.mp4"
            render.write_annotated(entry["clip_path"], analysis, out,
                                   progress=lambda d, t: bar.progress(
                                       min(1.0, d / t) if t else 0.0,
                                       text=f"Drawing the annotated video: {d:.1f} of {t:.1f} s"))
            entry["video"] = out
            entry["video_key"] = vkey
        except FormcheckError as exc:
            st.error(str(exc))
            return
        except Exception as exc:
            log.exception("annotated video")
            st.error(f"The annotated video could not be made ({type(exc).__name__}).")
            return
        finally:
            bar.empty()
    st.video(str(out))


def _frame_getter(entry: dict, analysis):
    from formcheck import render

    tkey = (repr(analysis.thresholds), analysis.view.view)

    def get(i: int):
        k = (i, tkey)
        if k not in entry["frames"]:
            entry["frames"][k] = render.bottom_frame(entry["clip_path"], analysis, i)
        return entry["frames"][k]

    return get


def _client_choice() -> str | None:
    """Physiotherapists pick or add the client first: the client's own targets become the
    thresholds, and the result can be saved on the Clients page. Home users leave it off."""
    if not st.sidebar.toggle("Analysing for a client", key="clinic_mode",
                             help="For physiotherapists: pick or add the client first, so their "
                                  "own targets are used and the session can be saved."):
        return None
    from . import clients_page

    try:
        label = clients_page.client_picker(st.sidebar)
        if label:
            clients_page.apply_client_targets(label)
            st.sidebar.caption(f"Thresholds set to {label}'s targets. After the analysis, save "
                               "the session on the Clients page.")
        return label
    except FormcheckError as exc:
        st.sidebar.error(str(exc))
        return None


def render() -> None:
    st.title("Analyse a squat clip")
    st.write("Upload a clip of your box squats, or try the built-in example. formcheck counts "
             "the reps and measures, for each one, how far the knee travels past the toes and "
             "how deep you go.")
    _client_choice()
    profile, th, view = components.threshold_controls()
    limit_mb = st.get_option("server.maxUploadSize")
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    up = c1.file_uploader(f"Upload a clip ({', '.join(EXTENSIONS)}; up to {limit_mb} MB)",
                          type=EXTENSIONS, key="upload")
    example = c2.button("Analyse the example clip", type="primary", width="stretch",
                        disabled=not EXAMPLE.is_file(), key="example",
                        help="A rendered side-view clip of 3 box squats with the knees "
                             "travelling past the toes.")
    if up is not None and st.session_state.get("upload_id") != up.file_id:
        st.session_state["upload_id"] = up.file_id
        key, path = _store(up.getvalue(), up.name)
        st.session_state["active_key"] = key
        _analyse(key, path, up.name)
    elif example:
        key, path = _store(EXAMPLE.read_bytes(), EXAMPLE.name)
        st.session_state["active_key"] = key
        _analyse(key, path, EXAMPLE.name)

    entry = _cache().get(st.session_state.get("active_key"))
    if entry is None:
        st.info("The results appear here: a summary, feedback, the annotated video, the bottom "
                "frame of each rep, a table of every rep, plots and downloads.")
        return
    if "error" in entry:
        st.error(entry["error"], icon=":material/error:")
        return
    try:
        analysis = _analysis_for(entry, th, profile, view)
    except FormcheckError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state["analysis"] = analysis
    st.session_state["raw_landmarks"] = entry["raw"]
    st.session_state["clip_path"] = str(entry["clip_path"])
    st.session_state["clip_name"] = entry["name"]
    components.results(analysis, entry["name"], key="upload",
                       video_path=lambda: entry.get("video"),
                       get_frame=_frame_getter(entry, analysis),
                       video_slot=lambda: _video_slot(entry, analysis))


if __name__ == "__main__":  # run as a page file
    render()
