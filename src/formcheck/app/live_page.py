"""Live webcam: skeleton, rep counter, depth and knee-over-toe readouts and cues; at the end of
the set the same results as the upload page.

streamlit-webrtc runs `LiveProcessor.recv` on a worker thread with async processing: only the
newest frame is handed over, stale ones are dropped, so the picture keeps up when the model is
slower than the camera. Each START makes one LiveSession (one pose model) for this browser
session; STOP (or closing the tab) calls on_ended, which releases the model. The callback never
calls st.*: the page reads LiveSession.latest() (guarded by a lock) from a fragment that
re-runs twice a second.

ICE servers: none by default (works on localhost and a LAN). For a deployment set
FORMCHECK_ICE_SERVERS to a JSON list of RTCIceServer dicts, e.g. a TURN server.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import streamlit as st

from formcheck.app import components
from formcheck.errors import FormcheckError
from formcheck.live import LiveSession, annotate_live, depth_words

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


def _processor_class():
    from streamlit_webrtc import VideoProcessorBase

    class LiveProcessor(VideoProcessorBase):
        """One per stream: owns a LiveSession; runs on streamlit-webrtc's worker thread."""

        def __init__(self, session: LiveSession, opts: dict):
            self.session = session
            self.opts = opts
            self.callback_ms = 0.0
            self.errors = 0
            self._lock = threading.Lock()

        def recv(self, frame):
            import av

            t0 = time.perf_counter()
            rgb = frame.to_ndarray(format="rgb24")
            try:
                r = self.session.process(rgb, frame.time)
                out = annotate_live(rgb, r, mirror_view=bool(self.opts.get("mirror_view")),
                                    mirrored_input=self.session.mirrored_input)
            except Exception:  # keep the stream alive; the page shows the last good readout
                self.errors += 1
                if self.errors == 1 or self.errors % 100 == 0:
                    log.exception("live frame failed (%d so far)", self.errors)
                return frame
            new = av.VideoFrame.from_ndarray(out, format="rgb24")
            new.pts, new.time_base = frame.pts, frame.time_base
            ms = (time.perf_counter() - t0) * 1000.0
            with self._lock:
                self.callback_ms = ms if self.callback_ms == 0 else 0.9 * self.callback_ms + 0.1 * ms
            return new

        def on_ended(self):
            self.session.close()

    return LiveProcessor


def _holder() -> dict:
    return st.session_state.setdefault("live_holder", {"session": None, "opts": {},
                                                        "result": None, "processor": None})


def _readouts(holder: dict) -> None:
    s: LiveSession | None = holder.get("session")
    r = s.latest() if s is not None else None
    c1, c2, c3 = st.columns(3)
    c1.metric("Reps", 0 if r is None else r.reps)
    if r is None or not r.person:
        c2.metric("Depth", "—")
        c3.metric("Knee past toes", "—")
    else:
        c2.metric("Depth", depth_words(r),
                  help="Live estimate; the end-of-set summary measures each rep properly.")
        c3.metric("Knee past toes", "n/a" if r.knee_over_toe_ratio is None
                  else f"{r.knee_over_toe_ratio:+.2f} foot",
                  help="Near leg, in foot lengths; + = knee ahead of the toes.")
    if r is not None:
        show = {"ok": st.success, "warn": st.warning}.get(r.cue_level, st.info)
        show(r.cue)
    proc = holder.get("processor")
    if proc is not None and proc.callback_ms and r is not None:
        st.caption(f"Frame callback {proc.callback_ms:.0f} ms (model {r.process_ms:.0f} ms); "
                   "when the model is slower than the camera, stale frames are skipped.")


def render() -> None:
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    st.title("Live webcam")
    st.write("Stand side-on to the camera, 2-3 m away, whole body and feet in the picture, "
             "box behind you. Press **START**, squat, and press **STOP** at the end of the set "
             "to see every rep measured.")
    profile, th, _ = components.threshold_controls(show_view=False)
    holder = _holder()
    c1, c2 = st.columns(2)
    holder["opts"]["mirror_view"] = c1.toggle(
        "Show as a mirror", value=True, key="live_mirror_view",
        help="Flip the picture left-right, like a mirror. The measurements do not change.")
    mirrored_input = c2.toggle(
        "My camera sends a mirrored picture", value=False, key="live_mirrored_input",
        help="Some phones and virtual cameras mirror the selfie camera. Takes effect at the "
             "next START.")
    Processor = _processor_class()

    def factory():
        session = LiveSession(th, profile, mirrored_input=mirrored_input)
        proc = Processor(session, holder["opts"])
        holder.update(session=session, processor=proc, result=None)
        return proc

    ctx = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, video_processor_factory=factory,
        async_processing=True, rtc_configuration={"iceServers": ice_servers()},
        media_stream_constraints={"video": FRAME_SIZE, "audio": False},
        video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                          "style": {"width": "100%", "maxWidth": "640px"}})
    playing = ctx.state.playing
    if playing:
        st.fragment(run_every=0.5)(_readouts)(holder)

    session: LiveSession | None = holder.get("session")
    if playing or session is None:
        if not playing:
            st.caption("No camera? Use the **Analyse a clip** page with a recorded clip.")
        return
    if session.recorded_frames == 0:
        return
    st.divider()
    st.header("End of set")
    if holder.get("result") is None:
        try:
            with st.spinner("Measuring every rep…"):
                holder["result"] = session.finish(th, profile)
        except FormcheckError as exc:
            holder["result"] = str(exc)
    result = holder["result"]
    if isinstance(result, str):
        st.error(result, icon=":material/error:")
        return
    analysis, raw = result
    from formcheck.analysis import rescore

    analysis = rescore(analysis, th, profile)
    st.session_state["live_analysis"] = analysis
    st.session_state["live_raw_landmarks"] = raw
    components.results(analysis, "webcam set", key="live")
    if st.button("Clear this set", key="live_clear"):
        holder.update(session=None, result=None, processor=None)
        st.rerun()


if __name__ == "__main__":
    render()
