"""Live webcam: skeleton, rep counter, depth and knee-over-toe readouts and cues; at the end of
the set the same results as the upload page.

streamlit-webrtc runs `LiveProcessor.recv_queued` on a worker thread with async processing:
only the newest frame is measured, stale ones are skipped, so the picture keeps up when the
model is slower than the camera. Each START makes one LiveSession (one pose model) for this browser
session; STOP (or closing the tab) calls on_ended, which releases the model. The callback never
calls st.*: the page reads LiveSession.latest() (guarded by a lock) from a fragment that
re-runs twice a second.

Keeping up: recv_queued is handed every camera frame that came while the model measured the
last one, so the page counts the frames it skipped and compares the model's time per frame
with the camera's frame interval (pace.Pace). When the model is slower, it measures every other
frame, then also a half-size picture (pace.LOADS), and returns to full when it keeps up again;
the person sees a short note, or, when it still falls behind, a warning in their words, during
the set and at its end. FORMCHECK_TEST_SLOW_MODEL_MS (test only) slows every measured frame.

The end of the set is the clip path's analysis of the recorded landmarks, the Analyse page's
(LiveSession.recorded_analysis, re-scored by upload_page._analysis_for).

The set is recorded: the landmarks always, and the camera picture (un-mirrored, as measured)
unless "Record the video" is off, written frame by frame to an mp4 in the session's folder
(live.SetRecorder). After STOP the set gets the Analyse page's review (annotated video, bottom
frames, table, cards), is published as the session's current result (the Clients page saves
it), and its result id goes into the URL (?set=...) so a reload shows it again.

ICE servers: none by default (works on localhost and a LAN). For a deployment set
FORMCHECK_ICE_SERVERS to a JSON list of RTCIceServer dicts, e.g. a TURN server.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import os
import threading
import time
from pathlib import Path

import streamlit as st

from formcheck.app import (browser_key, components, current_result, my_sets_page, session_files,
                           upload_page)
from formcheck.app.safe_text import md
from formcheck.errors import FormcheckError
from formcheck.live import (LiveSession, SetRecorder, SpokenCues, annotate_live, depth_words,
                            framing_check)
from formcheck.pace import Pace

log = logging.getLogger(__name__)

FRAME_SIZE = {"width": {"ideal": 640}, "height": {"ideal": 480}}


def ice_servers() -> list:
    raw = os.environ.get("FORMCHECK_ICE_SERVERS", "").strip()
    if not raw:
        return []
    try:
        servers = json.loads(raw)
        return servers if isinstance(servers, list) else []
    except json.JSONDecodeError:
        log.warning("FORMCHECK_ICE_SERVERS is not valid JSON; using no ICE servers")
        return []


# on the picture itself (a phone shows the picture first; the page says more below it)
SLOW_ALERT = "Device too slow: reps may be missed"


def slow_model_ms_for_tests() -> float:
    """TEST ONLY: FORMCHECK_TEST_SLOW_MODEL_MS makes every measured frame take that many more
    milliseconds (a sleep in the frame callback), so a browser test can show the page a device
    that falls behind without starving the CPU. Unset (0) in use."""
    try:
        return max(0.0, float(os.environ.get("FORMCHECK_TEST_SLOW_MODEL_MS", "0") or 0))
    except ValueError:
        return 0.0


def _processor_class():
    from streamlit_webrtc import VideoProcessorBase

    class LiveProcessor(VideoProcessorBase):
        """One per stream: owns a LiveSession; runs on streamlit-webrtc's worker thread.
        recv_queued gets every camera frame that arrived while the last one was measured, so
        the frames skipped are counted (pace.Pace), and the model's load is lowered when it
        falls behind (pace.LOADS)."""

        def __init__(self, session: LiveSession, opts: dict):
            self.session = session
            self.opts = opts
            self.errors = 0
            self.slow_s = slow_model_ms_for_tests() / 1000.0
            self._pace = Pace()
            threading.Thread(target=session.load_model, name="live-model", daemon=True).start()
            self._last = None             # the last readout, drawn on the frames not measured
            self._lock = threading.Lock()

        @property
        def pace(self) -> Pace:
            with self._lock:
                return self._pace

        async def recv_queued(self, frames):
            return [self.handle(frames)]

        def handle(self, frames):
            import av

            frame = frames[-1]
            if not self.session.model_ready:
                # the model loads on its own thread: loading it here could take longer than
                # streamlit-webrtc allows one callback (10 s on a busy machine), which ends
                # the stream; meanwhile the picture goes back as it came
                return frame
            times = [f.time if f.time is not None else time.monotonic() for f in frames]
            with self._lock:
                pace, measure = self._pace.arrive(times)
                self._pace = pace
            t0 = time.perf_counter()
            rgb = frame.to_ndarray(format="rgb24")
            try:
                if measure:
                    r = self.session.process(rgb, times[-1], scale_ratio=pace.load.scale_ratio)
                    if self.slow_s:
                        time.sleep(self.slow_s)
                    self._last = r
                else:
                    r = self._last
                out = rgb if r is None else annotate_live(
                    rgb, r, mirror_view=bool(self.opts.get("mirror_view")),
                    mirrored_input=self.session.mirrored_input,
                    alert=SLOW_ALERT if pace.behind else None)
            except Exception:  # keep the stream alive; the page shows the last good readout
                self.errors += 1
                if self.errors == 1 or self.errors % 100 == 0:
                    log.exception("live frame failed (%d so far)", self.errors)
                return frame
            new = av.VideoFrame.from_ndarray(out, format="rgb24")
            new.pts, new.time_base = frame.pts, frame.time_base
            if measure:
                with self._lock:
                    self._pace = self._pace.measured_in((time.perf_counter() - t0) * 1000.0)
            return new

        def recv(self, frame):
            return self.handle([frame])

        def on_ended(self):
            self.session.close()

    return LiveProcessor


def _holder() -> dict:
    return st.session_state.setdefault("live_holder", {"session": None, "opts": {},
                                                        "entry": None, "processor": None,
                                                        "folder": None, "speaker": None})


CUE_STYLE = {  # high contrast, readable from 3 m
    "warn": ("#111111", "#ffd23f"), "ok": ("#ffffff", "#136f2d"), "info": ("#ffffff", "#123e7c")}


def _big(text: str, level: str, testid: str, grow: bool = False) -> str:
    fg, bg = CUE_STYLE.get(level, CUE_STYLE["info"])
    return (f"<div data-testid='{testid}' class='fc-big' style='background:{bg};color:{fg};"
            f"flex:{'1 1 0' if grow else '0 0 auto'}'>{html.escape(text)}</div>")


# The readouts: big, high-contrast boxes side by side. On a phone (narrow screen) they are
# smaller and follow the camera picture (which shows the count and the cue too), so that the
# picture is on the first screen.
READOUT_CSS = """<style>
.fc-row{display:flex;gap:.5rem;align-items:stretch}
.fc-big{font-size:clamp(1.8rem,6vw,3.2rem);font-weight:800;line-height:1.15;padding:.5em .6em;
 border-radius:.4em;text-align:center}
.fc-depth{font-size:1.6rem;font-weight:600}
@media (max-width: 640px){
 .fc-big{font-size:1.15rem;padding:.35em .5em}
 .fc-depth{font-size:1rem}
 [data-testid="stLayoutWrapper"]:has(> .st-key-live_cues),.st-key-live_cues{order:1}
}
</style>"""


def _speak(holder: dict, text: str, level: str) -> None:
    """Say the cue through the browser's speech synthesis (SpokenCues decides when)."""
    speaker = holder.get("speaker")
    if speaker is None:
        speaker = holder["speaker"] = SpokenCues()
    say = speaker.next(text, level, time.monotonic())
    if say is None:
        return
    import streamlit.components.v1 as stc

    stc.html("<script>const s=(window.parent&&window.parent.speechSynthesis)||window.speechSynthesis;"
             f"if(s){{s.cancel();s.speak(new SpeechSynthesisUtterance({json.dumps(say)}));}}</script>",
             height=0)


def _readouts(holder: dict) -> None:
    s: LiveSession | None = holder.get("session")
    r = s.latest() if s is not None else None
    reps = 0 if r is None else r.reps
    fix = framing_check(r) if r is not None and reps == 0 and r.frames > 0 else None
    if r is None:
        cue, level = "Starting the camera…", "info"
    elif not s.model_ready and r.frames == 0:
        cue, level = "Starting: loading the pose model…", "info"
    elif fix is not None:                  # before counting: get the framing right first
        cue, level = fix, "warn"
    else:
        cue, level = r.cue, r.cue_level
    st.markdown(READOUT_CSS + "<div class='fc-row'>"
                + _big(f"{reps} rep{'s' if reps != 1 else ''}", "info", "live-reps")
                + _big(cue, level, "live-cue", grow=True) + "</div>", unsafe_allow_html=True)
    if r is not None and r.person:
        kot = ("n/a" if r.knee_over_toe_ratio is None else f"{r.knee_over_toe_ratio:+.2f} foot lengths")
        st.markdown(f"<div class='fc-depth'>Depth: {html.escape(depth_words(r))}"
                    f" · Knee past toes: {kot}</div>", unsafe_allow_html=True)
    if holder["opts"].get("speak"):
        _speak(holder, cue, level)
    proc = holder.get("processor")
    said = proc.pace.live_words() if proc is not None else None
    if said is not None:     # keeping up: in the person's words, never the timings
        text, how = said
        (st.warning if how == "warn" else st.info)(text, icon=":material/speed:")


def _set_entry(holder: dict, th, profile: str) -> dict | str:
    """The finished set, as the Analyse page's cache entry (or the user-facing error)."""
    session: LiveSession = holder["session"]
    folder: session_files.ClipFolder | None = holder.get("folder")
    proc = holder.get("processor")
    pace_note = proc.pace.end_words() if proc is not None else None
    try:
        with st.spinner("Measuring every rep…"):
            # the clip path on the recorded landmarks, as an upload is analysed (item 3 of
            # issue 23: the end of a live set and an upload cannot disagree)
            analysis, raw = session.recorded_analysis(warnings=[pace_note] if pace_note else None)
    except FormcheckError as exc:
        return str(exc)
    counted = session.latest().reps
    name = f"Live set {time.strftime('%Y-%m-%d %H-%M')}"
    clip = session.recording
    analysis = dataclasses.replace(analysis, source=name)
    raw = raw.replace(source=name)
    entry = {"raw": raw, "base": analysis, "by_view": {"auto": analysis}, "clip_path": None,
             "folder": folder, "name": name, "video": None, "frames": {}, "counted": counted,
             "pace_note": pace_note}
    if folder is None:
        return entry
    if clip is not None:
        import hashlib

        h = hashlib.sha256()
        with open(clip, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        (folder.path / session_files.SHA_NOTE).write_text(h.hexdigest())   # for `forget`
    try:
        # the clip path's analysis, saved as an upload's is: a reload makes it again
        folder.save_result(raw, analysis, name, owner=browser_key.owner_tag())
        st.query_params["set"] = folder.result_id
    except OSError:
        log.exception("saving the live set for a reload")
    return {**entry, "clip_path": clip}


def _restore_from_url(holder: dict) -> None:
    rid = st.query_params.get("set")
    if not rid or holder.get("entry") is not None or holder.get("session") is not None:
        return
    try:
        folder = upload_page._files().adopt_result(rid, browser_key.owner_tag())
        saved = folder.load_result() if folder is not None else None
    except session_files.NotYourResultError as exc:
        st.query_params.pop("set", None)
        st.warning(md(exc), icon=":material/lock:")
        return
    except session_files.SavedResultError as exc:
        st.query_params.pop("set", None)
        st.warning(md(exc))
        return
    if saved is None:
        st.query_params.pop("set", None)
        return
    clip = folder.clip if folder.exists() else None
    holder.update(folder=folder, entry={"raw": saved["raw"], "base": saved["base"],
                                        "by_view": {"auto": saved["base"]},
                                        "clip_path": clip, "folder": folder, "name": saved["name"],
                                        "video": None, "frames": {}})
    components.restore_settings(saved["settings"])   # as the set was shown before the reload


def _end_of_set(holder: dict, th, profile: str, height_cm: float | None, on_box: bool) -> None:
    from formcheck.analysis import with_person

    entry = holder["entry"]
    st.divider()
    st.header("End of set")
    if isinstance(entry, str):
        st.error(entry, icon=":material/error:")
        return
    # as the Analyse page says it of a clip (its own function, on the recorded landmarks)
    analysis = with_person(upload_page._analysis_for(entry, th, profile, "auto"), height_cm,
                           box=on_box)
    # (a device that fell behind is said in the summary's notes: the analysis carries it)
    counted = entry.get("counted")
    if counted is not None and counted != analysis.rep_count:
        st.info(f"The live counter showed {counted} rep{'s' if counted != 1 else ''}; measured "
                f"on the whole recording of the set: {analysis.rep_count}. The results below "
                "are the recording's, as for an uploaded clip.", icon=":material/info:")
    if entry.get("folder") is not None:
        try:     # a reload shows the set with these settings again
            entry["folder"].save_settings(components.page_settings(th, on_box, height_cm))
        except OSError:
            log.exception("keeping the settings of the live set for a reload")
    has_video = entry["clip_path"] is not None and Path(entry["clip_path"]).is_file()
    current_result.publish(analysis, entry["raw"], entry["clip_path"] if has_video else None,
                           entry["name"], "live", kind=current_result.LIVE)
    components.results(analysis, entry["name"], key="live",
                       video_path=lambda: entry.get("video"),
                       get_frame=upload_page._frame_getter(entry, analysis) if has_video else None,
                       video_slot=(lambda: upload_page._video_slot(entry, analysis)) if has_video else None)
    if not my_sets_page.keep_button("live"):      # for a client (or in a clinic): Clients
        st.caption("To keep this set in a client's history, open **Clients** and save it there.")
    if st.button("Clear this set", key="live_clear"):
        if entry.get("folder") is not None:
            entry["folder"].remove()
        current_result.clear("live")
        st.query_params.pop("set", None)
        holder.update(session=None, entry=None, processor=None, folder=None)
        st.rerun()


def render() -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    st.title("Live webcam")
    st.write("Stand side-on to the camera, 2-3 m away, whole body and feet in the picture, "
             "box behind you. Press **START**, squat, and press **STOP** at the end of the set "
             "to see every rep measured.")
    with st.expander("Settings", icon=":material/tune:"):
        profile, th, _ = components.threshold_controls(show_view=False, where=st.container())
        height_cm, on_box = components.person_controls(profile)
        holder = _holder()
        c1, c2 = st.columns(2)
        holder["opts"]["mirror_view"] = c1.toggle(
            "Show as a mirror", value=True, key="live_mirror_view",
            help="Flip the picture left-right, like a mirror. The measurements do not change.")
        mirrored_input = c2.toggle(
            "My camera sends a mirrored picture", value=False, key="live_mirrored_input",
            help="Some phones and virtual cameras mirror the selfie camera. Takes effect at the "
                 "next START.")
        record = c1.toggle(
            "Record the video of the set", value=True, key="live_record",
            help="The set's video is written to this session's folder as it is filmed (kept at "
                 "most an hour) so the end of the set shows it with every rep's bottom frame. "
                 "Off: only the landmarks are kept. Takes effect at the next START.")
        holder["opts"]["speak"] = c2.toggle(
            "Speak the cues", value=False, key="live_speak",
            help="The browser reads the cues aloud (not every rep: the same cue waits 20 s).")
    _restore_from_url(holder)
    Processor = _processor_class()
    files = upload_page._files()
    # above the picture (below it on a phone, see READOUT_CSS): what the person reads from 3 m
    cues = st.container(key="live_cues")

    def factory():
        old = holder.get("folder")
        if old is not None:
            old.remove()           # the previous set's files (a saved set is in the database)
        folder = files.new_live_folder()
        rec = SetRecorder(folder.path / "upload.mp4") if record else None
        session = LiveSession(th, profile, mirrored_input=mirrored_input, recorder=rec)
        proc = Processor(session, holder["opts"])
        holder.update(session=session, processor=proc, entry=None, folder=folder)
        return proc

    ctx = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, video_processor_factory=factory,
        async_processing=True, rtc_configuration={"iceServers": ice_servers()},
        media_stream_constraints={"video": FRAME_SIZE, "audio": False},
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                          # at most 420 px high (the component's frame has no screen height to
                          # go by): a portrait picture fits a phone's first screen
                          "style": {"width": "100%", "maxWidth": "640px", "maxHeight": "420px"}})
    playing = ctx.state.playing
    if playing:
        st.query_params.pop("set", None)
        with cues:
            st.fragment(run_every=0.5)(_readouts)(holder)
        return
    session: LiveSession | None = holder.get("session")
    if holder.get("entry") is None and session is not None and session.recorded_frames > 0:
        session.close()        # finishes the recording (STOP also does, from the video thread)
        holder["entry"] = _set_entry(holder, th, profile)
    if holder.get("entry") is None:
        st.caption("No camera? Use the **Analyse a clip** page with a recorded clip.")
        return
    _end_of_set(holder, th, profile, height_cm, on_box)


if __name__ == "__main__":
    render()
