"""Clients page: pick or add a client, save the current analysis to their history, follow their
progress across sessions, compare two sessions side by side, set their targets, and get the
PDF/CSV of any session. Backup (export/import) and "forget this client" live here too.

The current analysis comes from the "Analyse a clip" page through st.session_state
("analysis", "raw_landmarks", "clip_path", "clip_name"). Everything else is read from the
database (FORMCHECK_DATABASE_URL, default a SQLite file in the user's data folder).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import fields
from pathlib import Path

import pandas as pd
import streamlit as st

from formcheck import auth
from formcheck.app import access, current_result
from formcheck.app.safe_text import md
from formcheck.auth import Action
from formcheck.errors import FormcheckError
from formcheck.store.errors import ImportConflictError
from formcheck.report import SetSummary
from formcheck.thresholds import HELP, LABELS, PROFILE_HELP, PROFILES, Thresholds
from formcheck.values import fmt_num

log = logging.getLogger(__name__)

CLIENT_KEY = current_result.CLIENT_KEY
# Shown beside "Keep the video" and stored with every session whose video is kept.
VIDEO_CONSENT = ("The client agreed that this video of their squats is stored in the clinic's "
                 "formcheck database, seen only by the clinic's staff, used to review and "
                 "compare their movement, and deleted when they ask (Forget this client) or "
                 "when the session is deleted.")
# Thresholds a physio sets per client, first in the form.
MAIN_TARGETS = ("knee_over_toe_max_ratio", "shin_angle_max_deg", "depth_target_deg", "fppa_max_deg")


def _store():
    from formcheck.store import open_store

    return open_store()


def _fail(exc: Exception) -> None:
    if isinstance(exc, FormcheckError):
        st.error(md(exc), icon=":material/error:")   # messages quote labels and file names
    else:
        log.exception("clients page")
        st.error("Something went wrong; nothing was changed.",
                 icon=":material/error:")


def _count(n: int, noun: str) -> str:
    """'1 session', '2 sessions'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _fmt(x, spec: str) -> str:
    return fmt_num(x, spec, none="–")


# --- client picker (usable from other pages too) -------------------------------------------------------
def _client_chosen() -> None:
    """The picker's on_change: the choice becomes the session's current client."""
    current_result.choose_client(st.session_state.get("client_select"))


def client_picker(where=None) -> str | None:
    """Select or add a client; returns the label (the session's current client,
    current_result.CLIENT_KEY). The picker always shows the current client: after Add, Forget
    or a rename too."""
    where = where or st
    store = _store()
    clients = store.list_clients()
    labels = [c.label for c in clients]
    current = current_result.client()
    if current not in labels:
        current = None
        current_result.choose_client(None)
    st.session_state["client_select"] = current        # the one source of truth, shown
    if where is st.sidebar:       # too narrow for two columns: "Add a client" would wrap
        pick, add = where.container(), where.container()
    else:
        pick, add = where.columns([3, 2], vertical_alignment="bottom")
    label = pick.selectbox("Client", labels, index=None, on_change=_client_chosen,
                           placeholder="Choose a client…" if labels else "No clients yet: add one",
                           key="client_select")
    with add.popover("Add a client", icon=":material/person_add:", width="stretch"):
        with st.form("add_client", clear_on_submit=True, border=False):
            new = st.text_input("Label (a pseudonym such as knee-07, not a real name)",
                                max_chars=120)
            profile = st.selectbox("Profile", list(PROFILES), index=list(PROFILES).index("knee-rehab"),
                                   help="\n\n".join(f"**{n}**: {PROFILE_HELP.get(n, '')}" for n in PROFILES))
            notes = st.text_area("Notes", height=80)
            if st.form_submit_button("Add", type="primary"):
                try:
                    store.add_client(new, notes=notes, profile=profile)
                    current_result.choose_client(new.strip())
                    st.rerun()
                except Exception as exc:  # noqa: BLE001 - shown on the page
                    _fail(exc)
    return label


def use_client_thresholds_on_analyse_page(client) -> None:
    """Preset the Analyse page's sidebar (profile and threshold widgets) to the client's values."""
    st.session_state["profile"] = client.profile
    base = PROFILES[client.profile]
    for f in fields(Thresholds):
        key = f"th_{client.profile}_{f.name}"
        value = client.thresholds.__getattribute__(f.name)
        if value != getattr(base, f.name):
            st.session_state[key] = value
        else:
            st.session_state.pop(key, None)


def apply_client_targets(label: str) -> None:
    """Preset the Analyse page's thresholds to this client's targets (once per choice)."""
    if st.session_state.get("client_targets_applied") != label:
        use_client_thresholds_on_analyse_page(_store().get_client(label))
        st.session_state["client_targets_applied"] = label


# --- save the current analysis ---------------------------------------------------------------------------
def _save_section(store, client) -> None:
    if "saved_message" in st.session_state:
        st.success(st.session_state.pop("saved_message"), icon=":material/check_circle:")
    analysis = st.session_state.get("analysis")
    raw = st.session_state.get("raw_landmarks")
    if analysis is None or raw is None:
        st.info("No clip analysed yet in this browser session. Open **Analyse a clip** in the "
                "menu, analyse the client's clip, then come back here to save it.",
                icon=":material/info:")
        if st.button(f"Use {md(client.label)}'s thresholds on the Analyse page", key="preset"):
            use_client_thresholds_on_analyse_page(client)
            st.success(f"Done: the Analyse page now starts with {md(client.label)}'s profile and "
                       "thresholds.")
        return
    name = st.session_state.get("clip_name") or Path(analysis.source or "clip").name
    clip_path = st.session_state.get("clip_path")
    if clip_path and not Path(clip_path).is_file():
        clip_path = None      # the app's copy was deleted (expiry): landmarks can still be saved
        st.caption("The clip itself is no longer on the server (uploads are kept at most an "
                   "hour), so only the landmarks and measurements can be saved.")
    kind = current_result.kind()
    chair = chair_stand_to_save(name)
    what = (f"a {current_result.KINDS[kind]}" + (
        f" ({_count(chair['stands'], 'complete stand')})" if chair is not None else
        f" of {_count(analysis.rep_count, 'rep')}"))
    st.write(f"Current analysis: **{md(name)}**, {what}, {analysis.view.view} view, profile "
             f"{analysis.profile}.")
    differs = analysis.thresholds != client.thresholds
    rescore_it = False
    if differs:
        rescore_it = st.checkbox(f"Score it with {md(client.label)}'s own thresholds (profile "
                                 f"{client.profile}) before saving", value=True, key="save_rescore",
                                 help="The analysis on screen used other thresholds. Re-scoring "
                                      "uses the same landmarks; nothing is measured again.")
    from formcheck.analysis import rescore

    to_save = rescore(analysis, client.thresholds, client.profile) if rescore_it else analysis
    fp = current_result.fingerprint(to_save, raw, chair)
    done = current_result.saved_as(client.label, fp)
    if done is not None and done not in {s.id for s in store.list_sessions(client.label)}:
        done = None       # deleted since: it may be saved again
    if done is not None:
        st.warning(f"This analysis is already saved for {md(client.label)} as session {done}; "
                   "it is not saved twice. Analyse another clip, or change the thresholds, to "
                   "save a new session.", icon=":material/content_copy:")
    with st.form("save_session", border=True):
        c1, c2 = st.columns([1, 2])
        day = c1.date_input("Session date", value=dt.date.today(), key="save_date")
        keep = c1.checkbox("Keep the video", value=bool(clip_path), key="save_keep_video",
                           help="On by default in the clinic: the review, the comparison and "
                                "the PDF then show the real frames. Untick to save only the "
                                "landmarks and measurements.",
                           disabled=not clip_path)
        if clip_path:
            c1.caption(f"**Consent:** {VIDEO_CONSENT}")
        note = c2.text_area("Physio's note", key="save_note", height=110,
                            placeholder="e.g. box 45 cm, pain 2/10 after the set, keep for 2 weeks")
        submitted = st.form_submit_button("Save session", type="primary", icon=":material/save:",
                                          disabled=done is not None)
    if submitted and done is None:
        a = to_save
        when = dt.datetime.combine(day, dt.datetime.now().time().replace(microsecond=0))
        try:
            info = store.save_session(client.label, a, raw, clip_path=clip_path, keep_video=keep,
                                      physio_note=note, recorded_at=when,
                                      view_requested=st.session_state.get("view", "auto"),
                                      clip_name=name,
                                      video_consent=VIDEO_CONSENT if keep else "",
                                      chair_stand=chair)
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
            return
        current_result.remember_saved(client.label, fp, info.id)
        st.session_state["last_saved"] = (client.label, info.id)
        st.session_state["saved_message"] = (
            f"Saved as session {info.id} for {md(client.label)}"
            f"{' with the video' if info.has_video else ' (video not kept)'}.")
        st.rerun()        # the header, the history and the trends count the new session


# --- progress ------------------------------------------------------------------------------------------------
def _sessions_frame(store, label: str) -> pd.DataFrame:
    return sessions_frame(store.history(label), store.list_sessions(label))


def sessions_frame(hist, sessions) -> pd.DataFrame:
    """The history table: one row per saved session (Store.history's trend points with the
    sessions' SessionInfo), the trend charts' input. My sets uses it too."""
    sessions = {s.id: s for s in sessions}
    rows = []
    for h in hist:
        s, m = sessions[h.session_id], h.summary
        rows.append({"id": h.session_id, "date": h.recorded_at, "clip": s.clip_name,
                     "reps": m.rep_count, "view": h.view,
                     "worst knee past toes (foot lengths)": m.worst_knee_over_toe_ratio,
                     "steepest shin (°)": m.worst_shin_angle_deg,
                     "mean depth: thigh (°)": m.mean_thigh_angle_deg,
                     "knees caving in: worst FPPA (°)": m.worst_fppa_deg,
                     "video": "kept" if s.has_video else "",
                     "corrections": h.corrections,
                     "note": s.physio_note})
    return pd.DataFrame(rows)


def _progress_section(store, client) -> None:
    user = st.session_state.get("clinic_user") or access.LOCAL_USER
    opened = st.session_state.setdefault("audited_open", set())
    if client.uid not in opened:
        access.audit(store, user, "open_sessions", client.uid)
        opened.add(client.uid)
    df = _sessions_frame(store, client.label)
    if df.empty:
        st.info(f"No sessions saved for {md(client.label)} yet.")
        return
    st.dataframe(df, hide_index=True, width="stretch",
                 column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                                "worst knee past toes (foot lengths)": st.column_config.NumberColumn(format="%+.2f"),
                                "steepest shin (°)": st.column_config.NumberColumn(format="%.0f"),
                                "mean depth: thigh (°)": st.column_config.NumberColumn(format="%+.0f"),
                                "knees caving in: worst FPPA (°)": st.column_config.NumberColumn(format="%.0f")})
    if len(df) >= 2:
        _trend_charts(df, client.thresholds)
    else:
        st.caption("Trends appear from the second saved session on.")
    _session_detail(store, client, df)


# (column of the history table, chart title, unit suffix for the minimum axis span, limit field)
TRENDS = (
    ("worst knee past toes (foot lengths)", "Worst knee past the toes (foot lengths)", "ratio",
     "knee_over_toe_max_ratio"),
    ("mean depth: thigh (°)", "Depth: mean thigh angle at the bottom (°, + = hip below knee)",
     "deg", "depth_target_deg"),
    ("steepest shin (°)", "Steepest shin (° from vertical)", "deg", "shin_angle_max_deg"),
    ("knees caving in: worst FPPA (°)", "Knees caving in: worst FPPA (°, front-view clips)",
     "deg", "fppa_max_deg"),
)


def trend_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The history with one x label per session: its date (and time where two sessions share
    a day), in date order. The trend charts' x axis is this, never seconds."""
    from formcheck.pdf_report import session_ticks

    out = df.sort_values(["date", "id"]).reset_index(drop=True)
    out["session"] = [t.replace("\n", " ") for t in session_ticks(list(out["date"]))]
    dup = out["session"].duplicated(keep=False)
    out.loc[dup, "session"] = out.loc[dup, "session"] + " #" + out.loc[dup, "id"].astype(str)
    return out


def _trend_chart(t: pd.DataFrame, column: str, title: str, unit: str, limit):
    import altair as alt

    from formcheck.values import MIN_AXIS_SPAN, axis_range

    values = t[column].astype(float)
    span = axis_range(list(values) + ([] if limit is None else [limit]), MIN_AXIS_SPAN[unit])
    order = list(t["session"])
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=list(span), zero=False, nice=False))
    x = alt.X("session:N", sort=order, title="session date",
              axis=alt.Axis(labelAngle=0 if len(order) <= 4 else -30, labelLimit=140))
    data = pd.DataFrame({"session": t["session"], "value": values})
    layers = [alt.Chart(data).mark_line(point=True, color="#1f6fb2").encode(
        x=x, y=y, tooltip=["session", alt.Tooltip("value:Q", format=".2f")])]
    if limit is not None:
        layers.append(alt.Chart(pd.DataFrame({"value": [limit]})).mark_rule(
            color="#c0392b", strokeDash=[5, 3]).encode(y="value:Q"))
    return alt.layer(*layers).properties(height=220, title=title)


TREND_NOTE = ("Dashed red line: the client's limit or target now. Trends count the physio's "
              "corrections (excluded reps and values marked wrong are left out).")


def _trend_charts(df: pd.DataFrame, th, note: str = TREND_NOTE) -> None:
    """The client's trends, one point per session by date, each axis at least the minimum
    span of its unit; a limit line only where the value was measured. My sets draws its
    trends with this too (its own `note` under them)."""
    t = trend_frame(df)
    charts = []
    for column, title, unit, limit_name in TRENDS:
        measured = t[column].notna()
        if column.startswith("worst knee past toes"):
            measured &= t["view"] != "front"     # cannot be seen from the front
        if not measured.any():
            continue
        charts.append(_trend_chart(t[measured], column, title, unit, getattr(th, limit_name)))
    cols = st.columns(2)
    for k, chart in enumerate(charts):
        cols[k % 2].altair_chart(chart, width="stretch")
    if all(t["view"] == "front"):
        st.caption("Knee travel past the toes is not charted: every session was filmed from the "
                   "front, where it cannot be seen.")
    if t["knees caving in: worst FPPA (°)"].isna().all():
        st.caption("Knees caving in is not charted yet: it needs a clip filmed from the front.")
    st.caption(note)


# --- chair-stand tests (issue 11) -------------------------------------------------------------
def chair_stand_to_save(name: str) -> dict | None:
    """The chair-stand test on screen (the Analyse page's "Chair-stand test" mode), to keep
    with the session; None in the squat mode."""
    from formcheck import chairstand
    result = st.session_state.get("chair_stand")
    if current_result.kind() != current_result.CHAIR_STAND or result is None:
        return None
    return chairstand.to_dict(result, name)


def chair_stand_section(store, client) -> None:
    """The client's chair-stand tests over time: a table and, from two tests of a kind, a trend."""
    from formcheck.app.chairstand_panel import TEST_NAMES

    hist = store.chair_stand_history(client.label)
    if not hist:
        return
    st.subheader("Chair-stand tests")
    df = pd.DataFrame([{"id": h.session_id, "date": h.recorded_at, "test": TEST_NAMES[h.test],
                        "complete stands": h.stands, "time (s)": h.time_s,
                        "against the norm": h.verdict or ""} for h in hist])
    st.dataframe(df, hide_index=True, width="stretch", key="cs_history",
                 column_config={"date": st.column_config.DatetimeColumn(format="YYYY-MM-DD")})
    for test, name in TEST_NAMES.items():
        sub = df[df["test"] == name].set_index("date")
        if len(sub) >= 2:
            col = "complete stands" if test == "chair-stand-30" else "time (s)"
            st.markdown(f"**{name}**: {col}")
            st.line_chart(sub[[col]].astype(float), height=200)
    by_id = {h.session_id: h for h in hist}
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    sid = c1.selectbox("Test", list(by_id)[::-1], key=f"cs_pick_{client.label}",
                       format_func=lambda i: f"#{i} · {by_id[i].recorded_at:%Y-%m-%d} · "
                                             f"{TEST_NAMES[by_id[i].test]}")

    if sid is not None:
        chair_stand_pdf_button(c2, client, sid, by_id[sid].recorded_at, by_id[sid].test,
                               "PDF of this test", f"cs_pdf_{sid}")


def chair_stand_pdf_button(where, client, sid: int, recorded_at, test: str, label: str, key: str,
                           primary=False) -> None:
    """The download of a saved chair-stand test's PDF (pdf_report.chair_stand_pdf, with the
    client's earlier tests of its kind), for the tests' section and the session detail; the
    store is read when the button is pressed."""
    def pdf_bytes():
        from formcheck.pdf_report import chair_stand_pdf

        store = _store()
        info = store.get_session(sid)
        return chair_stand_pdf(info.report["chair_stand"], client_label=client.label,
                               recorded_at=info.recorded_at,
                               history=store.chair_stand_history(client.label))

    where.download_button(label, pdf_bytes, icon=":material/picture_as_pdf:",
                          file_name=f"{client.label}_{recorded_at:%Y-%m-%d}_{test}.pdf",
                          mime="application/pdf", key=key, on_click="ignore", width="stretch",
                          type="primary" if primary else "secondary")


def _session_label(store_df: pd.DataFrame):
    lookup = {int(r.id): f"#{int(r.id)} · {r.date:%Y-%m-%d} · {r.clip} · {int(r.reps)} reps"
              for r in store_df.itertuples()}
    return lookup


def _session_detail(store, client, df: pd.DataFrame) -> None:
    st.subheader("One session")
    names = _session_label(df)
    ids = list(names)[::-1]
    key = f"detail_{client.label}"
    shown = current_result.visit(client.label)
    # the one visit on screen: the picker always shows it (a saved or deleted session changes
    # the list; the picker never keeps an older choice while the page shows another)
    st.session_state[key] = shown if shown in ids else (ids[0] if ids else None)
    sid = st.selectbox("Session", ids, index=None, format_func=names.get, key=key,
                       on_change=lambda: current_result.show_visit(client.label,
                                                                   st.session_state.get(key)))
    if sid is None:
        return
    info = store.get_session(sid)
    c1, c2, c3 = st.columns(3)

    def pdf_bytes(sid=sid):
        from formcheck.pdf_report import session_files

        return session_files(_store(), sid)[0]

    def csv_bytes(sid=sid):
        from formcheck.pdf_report import session_csv

        store = _store()      # the physio's corrections applied, as `formcheck report --csv`
        return session_csv(store.load_analysis(sid), store.corrections(sid)).encode("utf-8")

    stem = f"{client.label}_{info.recorded_at:%Y-%m-%d}_s{sid}"
    if info.report.get("chair_stand"):       # saved in the "Chair-stand test" mode: its PDF
        chair_stand_pdf_button(c1, client, sid, info.recorded_at,
                               info.report["chair_stand"]["test"], "Chair-stand PDF",
                               f"pdf_{sid}", primary=True)
    else:
        c1.download_button("PDF report", pdf_bytes, file_name=f"{stem}.pdf",
                           mime="application/pdf", icon=":material/picture_as_pdf:",
                           type="primary", key=f"pdf_{sid}", on_click="ignore", width="stretch")
    c2.download_button("Reps as CSV", csv_bytes, file_name=f"{stem}.csv", mime="text/csv",
                       icon=":material/table:", key=f"csv_{sid}", on_click="ignore", width="stretch")
    user = st.session_state.get("clinic_user") or access.LOCAL_USER
    if not user.may(Action.DELETE_SESSIONS):
        c3.caption("Deleting a session is for admins.")
    else:
        with c3.popover("Delete this session", icon=":material/delete:", width="stretch"):
            st.write("The session, its landmarks and its video (if kept) are deleted for good.")
            if st.button("Delete", type="primary", key=f"del_{sid}"):
                try:
                    auth.delete_session(store, user, sid)   # role checked, audited
                    current_result.show_visit(client.label, None)     # the newest left
                    st.rerun()
                except Exception as exc:  # noqa: BLE001
                    _fail(exc)
    with st.form(f"note_{sid}", border=False):
        note = st.text_area("Physio's note", value=info.physio_note, height=90)
        if st.form_submit_button("Save note"):
            try:
                store.set_note(sid, note)
                st.rerun()
            except Exception as exc:  # noqa: BLE001
                _fail(exc)
    analysis = _analysis(store, sid)
    _reps_section(store, info, analysis)
    _review_section(store, info, analysis)
    _corrections_section(store, info, analysis)
    if info.cues:
        with st.expander("Cues given", expanded=False):
            for c in info.cues:
                st.markdown(f"**{md(c['title'])}** {md(c['seen'])} *Try:* {md(c['try_this'])}")


def _reps_section(store, info, analysis) -> None:
    """The session's per-rep table (the Analyse page's, with the box columns when a rep touched
    the box), with the physio's corrections applied."""
    from formcheck.app import components
    from formcheck.report import corrected_rows

    corrections = store.corrections(info.id)
    rows = corrected_rows(analysis, corrections)
    out = sum(1 for r in rows if r.get("excluded"))
    title = f"Every rep ({len(rows) - out}" + (f", {out} excluded)" if out else ")")
    with st.expander(title, icon=":material/table:", expanded=True):
        components.rep_table(analysis, rows, key=f"reps_{info.id}")


# --- review in motion and corrections (issue 13) ------------------------------------------------------------
def _clinic_files():
    """This browser session's folder for kept videos taken out of the database to be drawn on
    (deleted when the session ends, or after session_files_ttl_s)."""
    from formcheck.app import session_files

    folder = st.session_state.get("clinic_files")
    if folder is None or not folder.path.is_dir():
        folder = st.session_state["clinic_files"] = session_files.SessionFolder()
    return folder


def _annotated_video(store, sid: int, analysis) -> Path | None:
    """The session's kept video with the analysis drawn on it (made once per browser session),
    or None when the video was not kept."""
    from formcheck import render

    cache = st.session_state.setdefault("clinic_videos", {})
    k = (sid, repr(analysis.thresholds))
    if k in cache and Path(cache[k]).is_file():
        return Path(cache[k])
    data = store.load_video(sid)
    if not data:
        return None
    folder = _clinic_files().add_clip(data, store.get_session(sid).clip_name or "clip.mp4")
    del data
    out = folder.derived("annotated", ".mp4")
    with st.spinner(f"Drawing the measurements on the video of session {sid}…"):
        render.write_annotated(folder.clip, analysis, out, mode=0o600)   # private, like the clip
    cache[k] = str(out)
    return out


def _review_section(store, info, analysis) -> None:
    with st.expander("Review in motion (frame by frame)", icon=":material/slow_motion_video:",
                     expanded=info.has_video):
        if not info.has_video:
            st.caption("The video of this session was not kept, so it cannot be reviewed in "
                       "motion. Keep the video when saving to review it frame by frame.")
            return
        try:
            video = _annotated_video(store, info.id, analysis)
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
            return
        from formcheck.app import components

        components.review_player(analysis, video, key=f"review_{info.id}",
                                 on_measure=lambda m: _hand_correction(store, info, m))
        if info.video_consent:
            st.caption(f"Video kept with consent: {md(info.video_consent)}")


def _hand_correction(store, info, measured: dict) -> None:
    """A value measured by hand in the review player, put into a correction of a rep (the
    note says on which frame it was measured)."""
    from formcheck.app import review
    from formcheck.report import CORRECTABLE

    used = st.session_state.setdefault("hand_measures_used", set())
    stamp = (info.id, measured.get("stamp"))
    reps = [r["rep"] for r in info.reps]
    if stamp in used or not reps or "frame" not in measured:
        return
    st.markdown(f"**Measured by hand on frame {int(measured['frame'])}:** "
                f"{md(str(measured.get('words', '')))}")
    metrics = review.correction_metrics(measured)
    if not metrics:
        st.caption("This measurement gives none of the report's values: a distance needs a "
                   "side-on frame to be in foot lengths.")
        return
    k = f"hand_{info.id}_{measured.get('stamp')}"
    c1, c2, c3 = st.columns([1, 2, 1])
    rep = c1.selectbox("Rep", reps, key=f"{k}_rep",
                       index=reps.index(measured["rep"]) if measured.get("rep") in reps else 0)
    metric = c2.selectbox("Is the right value of", metrics, key=f"{k}_metric",
                          format_func=lambda m: CORRECTABLE[m][0] + f" ({CORRECTABLE[m][1].strip()})")
    value = c3.number_input("Right value", value=review.correction_value(metric, measured),
                            key=f"{k}_value_{metric}", format="%.2f",
                            help="Knee bend is 180° minus the angle at the knee (hip, knee, "
                                 "ankle); change the sign of a thigh angle with the hip above "
                                 "the knee.")
    note = st.text_input("Note", value=review.hand_note(measured), key=f"{k}_note")
    b1, b2 = st.columns(2)
    if b1.button("Save as a correction", key=f"{k}_save", icon=":material/straighten:",
                 type="primary"):
        user = st.session_state.get("clinic_user") or access.LOCAL_USER
        try:
            store.add_correction(info.id, rep, "wrong_value", metric=metric, note=note,
                                 author=user.name, value=value)
            used.add(stamp)
            st.rerun()
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
    if b2.button("Discard", key=f"{k}_discard"):
        used.add(stamp)
        st.rerun()


def correction_choices() -> dict[str, tuple[str, str | None]]:
    """What a physio can say about a rep: words -> (kind, metric)."""
    from formcheck.report import CORRECTABLE

    out = {"Not a rep (exclude it)": ("not_a_rep", None)}
    for metric, (name, _unit, _spec) in CORRECTABLE.items():
        out[f"The {name} is wrong"] = ("wrong_value", metric)
    return out


def _corrections_section(store, info, analysis) -> None:
    """List the session's corrections (each can be withdrawn) and add one."""
    user = st.session_state.get("clinic_user") or access.LOCAL_USER
    corrections = store.corrections(info.id)
    originals = {r["rep"]: r for r in info.reps}
    with st.expander(f"Corrections ({len(corrections)})", icon=":material/edit_note:",
                     expanded=bool(corrections)):
        st.caption("Mark a rep the tracker got wrong, or give a value's right value. The "
                   "report, the PDF, the CSV and the "
                   "trends show the correction and who made it; the measured values stay on "
                   "record, and withdrawing a correction brings them back.")
        for c in corrections:
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            original = originals.get(c.rep, {}).get(c.metric) if c.metric else None
            c1.markdown(f"**Rep {c.rep}:** {md(c.words(original))}")
            if c2.button("Withdraw", key=f"undo_corr_{c.id}", width="stretch"):
                try:
                    store.delete_correction(c.id)
                    st.session_state.pop("clinic_analyses", None)
                    st.rerun()
                except Exception as exc:  # noqa: BLE001
                    _fail(exc)
        reps = [r["rep"] for r in info.reps]
        if not reps:
            return
        choices = correction_choices()
        with st.form(f"correct_{info.id}", clear_on_submit=True, border=False):
            c1, c2, c3, c4 = st.columns([1, 2, 1, 2])
            rep = c1.selectbox("Rep", reps, key=f"corr_rep_{info.id}")
            what = c2.selectbox("Correction", list(choices), key=f"corr_what_{info.id}")
            value = c3.number_input("Right value", value=None, key=f"corr_value_{info.id}",
                                    format="%.2f", placeholder="optional",
                                    help="For a value marked wrong: the value you measured "
                                         "(in the unit of the table). Empty: the value is only "
                                         "left out.")
            note = c4.text_input("Note (why)", key=f"corr_note_{info.id}",
                                 placeholder="e.g. the box hid the foot")
            if st.form_submit_button("Save correction", icon=":material/edit:"):
                kind, metric = choices[what]
                try:
                    store.add_correction(info.id, rep, kind, metric=metric, note=note,
                                         author=user.name,
                                         value=value if kind == "wrong_value" else None)
                    st.rerun()
                except Exception as exc:  # noqa: BLE001
                    _fail(exc)


# --- compare two sessions ---------------------------------------------------------------------------------
def _analysis(store, sid: int):
    cache = st.session_state.setdefault("clinic_analyses", {})
    if sid not in cache:
        cache[sid] = store.load_analysis(sid)
    return cache[sid]


def _bottom_picture(store, sid: int, analysis, rep_index: int):
    from formcheck.pdf_report import key_frame

    cache = st.session_state.setdefault("clinic_frames", {})
    k = (sid, rep_index)
    if k not in cache:
        video = store.load_video(sid)
        path = None
        if video:
            fd, path = tempfile.mkstemp(suffix=".mp4")
            with os.fdopen(fd, "wb") as f:
                f.write(video)
        try:
            cache[k] = key_frame(analysis, rep_index, path)
        finally:
            if path:
                os.unlink(path)
    return cache[k]


def _worst_rep(analysis, corrections=()) -> int:
    """0-based index of the rep whose knee went furthest past the toes (the first rep when
    knee travel was not measured), of the reps and values the physio's corrections leave."""
    from formcheck.report import corrected_summary, rep_rows

    rep = corrected_summary(rep_rows(analysis), corrections).worst_knee_rep
    if rep is None:
        return 0
    return next((i for i, m in enumerate(analysis.metrics) if m.index == rep), 0)


# The comparison table: (row label, SetSummary field, number format, format of the change).
COMPARE_ROWS = (
    ("Reps", "rep_count", "d", "+d"),
    ("Worst knee past toes (foot lengths)", "worst_knee_over_toe_ratio", "+.2f", "+.2f"),
    ("Steepest shin (°)", "worst_shin_angle_deg", ".0f", "+.0f"),
    ("Mean depth: thigh (°)", "mean_thigh_angle_deg", "+.0f", "+.0f"),
    ("Shallowest rep: thigh (°)", "shallowest_thigh_angle_deg", "+.0f", "+.0f"),
    ("Knees caving in: worst FPPA (°)", "worst_fppa_deg", ".0f", "+.0f"),
    ("Most trunk lean (°)", "most_trunk_lean_deg", ".0f", "+.0f"),
    ("Reps flagged", "reps_flagged", "d", "+d"),
)


def compare_rows(a: SetSummary, b: SetSummary, name_a: str, name_b: str) -> list[dict]:
    """The two sessions' summaries side by side, with the change from the first to the second."""
    rows = []
    for label, key, spec, change_spec in COMPARE_ROWS:
        va, vb = getattr(a, key), getattr(b, key)
        change = None if va is None or vb is None else vb - va
        rows.append({"measure": label, name_a: _fmt(va, spec), name_b: _fmt(vb, spec),
                     "change": _fmt(change, change_spec)})
    return rows


def _compare_section(store, client) -> None:
    sessions = store.list_sessions(client.label)
    if len(sessions) < 2:
        st.info("Save at least two sessions to compare them.")
        return
    names = {s.id: f"#{s.id} · {s.recorded_at:%Y-%m-%d} · {s.clip_name}" for s in sessions}
    ids = [s.id for s in sessions]
    c1, c2 = st.columns(2)
    a_id = c1.selectbox("Earlier session", ids, index=len(ids) - 2, format_func=names.get,
                        key=f"cmp_a_{client.label}")
    b_id = c2.selectbox("Later session", ids, index=len(ids) - 1, format_func=names.get,
                        key=f"cmp_b_{client.label}")
    try:
        pair = [(sid, _analysis(store, sid)) for sid in (a_id, b_id)]
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    chosen = []
    for col, (sid, an) in zip((c1, c2), pair):
        if not an.reps:
            col.warning("No reps in this session.")
            chosen.append(None)
            continue
        reps = list(range(len(an.reps)))
        worst = _worst_rep(an, store.corrections(sid))
        chosen.append(col.selectbox(
            "Rep", reps, index=worst, key=f"cmp_rep_{sid}_{col is c1}",
            format_func=lambda r, an=an, worst=worst: f"rep {r + 1} (bottom at "
            f"{an.metrics[r].bottom_s:.1f} s)" + ("  ← knee furthest forward" if r == worst else "")))
    kept = {s.id: s.has_video for s in sessions}
    played = False
    if None not in chosen and kept.get(a_id) and kept.get(b_id):
        from formcheck.app import components

        try:
            videos = [_annotated_video(store, sid, an) for sid, an in pair]
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
            videos = [None, None]
        played = components.compare_players(
            [(an, v, names[sid], i) for (sid, an), v, i in zip(pair, videos, chosen)],
            key=f"cmp_{a_id}_{b_id}")
        if played:
            st.caption("The two reps play in step: they start together and reach the bottom "
                       "together. Step frame by frame or play in slow motion; each video's "
                       "numbers are next to the other's.")
    if not played:
        for col, (sid, an), i in zip((c1, c2), pair, chosen):
            if i is None:
                continue
            img, from_video = _bottom_picture(store, sid, an, i)
            col.image(img, width="stretch",
                      caption=None if from_video else "Drawn from the landmarks (video not kept)")
        if not (kept.get(a_id) and kept.get(b_id)):
            st.caption("Keep the video when saving a session to compare the two in motion.")
    summaries = {h.session_id: h.summary for h in store.history(client.label)}
    rows = compare_rows(summaries[a_id], summaries[b_id], names[a_id], names[b_id])
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Both sessions are scored here with the thresholds used at the time. Changes in "
               "FPPA under about 8° are within the error of a 2D video.")


# --- targets, notes, forget ---------------------------------------------------------------------------------
def _targets_section(store, client, user) -> None:
    with st.form(f"targets_{client.uid}"):
        profile = st.selectbox("Profile", list(PROFILES), index=list(PROFILES).index(client.profile)
                               if client.profile in PROFILES else 0,
                               help="\n\n".join(f"**{n}**: {PROFILE_HELP.get(n, '')}" for n in PROFILES))
        th = client.thresholds
        values = {}
        others = [f.name for f in fields(Thresholds) if f.name not in MAIN_TARGETS]
        for group, caption in ((list(MAIN_TARGETS), "Targets"), (others, "Other thresholds")):
            st.caption(caption)
            cols = st.columns(2)
            for k, name in enumerate(group):
                v = getattr(th, name)
                values[name] = cols[k % 2].number_input(
                    LABELS.get(name, name), value=None if v is None else float(v), help=HELP.get(name),
                    step=0.05 if name.endswith("_ratio") else 1.0,
                    format="%.2f" if name.endswith("_ratio") else "%.1f")
        notes = st.text_area("Notes", value=client.notes, height=100)
        rename = st.text_input("Label", value=client.label)
        if st.form_submit_button("Save targets and notes", type="primary"):
            base = PROFILES[profile]
            overrides = {k: v for k, v in values.items() if v != getattr(base, k)}
            try:
                store.update_client(client.label, new_label=rename, notes=notes, profile=profile,
                                    threshold_overrides=overrides, replace_overrides=True)
                current_result.choose_client(rename.strip())
                st.rerun()
            except Exception as exc:  # noqa: BLE001
                _fail(exc)
    if not user.may(Action.FORGET):
        st.caption("Forgetting a client is for admins.")
        return
    with st.expander("Forget this client", icon=":material/warning:"):
        st.write(f"Deletes **{md(client.label)}** with all {client.session_count} session(s), their "
                 "landmarks and videos, and scrubs the freed space. This cannot be undone. "
                 "Exports made earlier still contain the client.")
        typed = st.text_input("Type the client's label to confirm", key=f"forget_{client.uid}")
        if st.button("Forget for good", type="primary", disabled=typed.strip() != client.label,
                     key=f"forget_btn_{client.uid}"):
            try:
                r = store.forget_client(client.label)
                access.audit(store, user, "forget", client.uid, f"{r['sessions']} session(s)")
                from formcheck.app.session_files import remove_clips

                remove_clips(r["clip_sha256s"])
                from formcheck.engine import forget_worker_copies

                try:
                    r["on_workers"] = forget_worker_copies(r["clip_sha256s"])
                except FormcheckError as exc:
                    r["workers_unreached"] = str(exc)
                current_result.choose_client(None)
                current_result.show_visit(client.label, None)
                st.session_state.pop("clinic_analyses", None)
                st.session_state.pop("clinic_frames", None)
                st.session_state["forgot"] = r
                st.rerun()
            except Exception as exc:  # noqa: BLE001
                _fail(exc)


def import_clash_words(exc) -> str:
    """The import clash in the app's words (the store's message names CLI commands)."""
    names = ", ".join(repr(x) for x in getattr(exc, "labels", ())) or "the same label"
    return (f"This database already has client(s) called {names}, so nothing was imported. "
            "Rename them here first (Targets and notes → Label), or tick \"Add the export's "
            "sessions to clients with the same label here\" and import again.")


def _backup_section(store, user) -> None:
    if not user.may(Action.EXPORT):
        return        # export and import are for admins
    with st.expander("Backup and moving clinics", icon=":material/backup:"):
        st.write("Export writes every client and session (landmarks, measurements, notes and "
                 "kept videos) into one zip file; import loads such a file here. The file holds "
                 "health data: keep it safe.")

        def export_bytes():
            fd, path = tempfile.mkstemp(suffix=".zip")
            os.close(fd)
            try:
                counts = _store().export(path)
                access.audit(store, user, "export", detail=f"{counts['clients']} client(s), "
                                                           f"{counts['sessions']} session(s)")
                return Path(path).read_bytes()
            finally:
                os.unlink(path)

        st.download_button("Export everything", export_bytes,
                           file_name=f"formcheck-export-{dt.date.today():%Y-%m-%d}.zip",
                           mime="application/zip", icon=":material/download:", on_click="ignore")
        up = st.file_uploader("Import an export file", type=["zip"], key="import_file")
        merge = st.checkbox("Add the export's sessions to clients with the same label here",
                            key="import_merge", help="Clients are matched by label. Without "
                            "this, a label that exists here stops the import and nothing is "
                            "imported.")
        if up is not None and st.button("Import", key="import_btn"):
            fd, path = tempfile.mkstemp(suffix=".zip")
            with os.fdopen(fd, "wb") as f:
                f.write(up.getvalue())
            try:
                c = store.import_(path, merge=merge, display_name=up.name)
                access.audit(store, user, "import", detail=f"{c['sessions_added']} session(s)")
                st.success(f"Imported {_count(c['sessions_added'], 'session')}: "
                           f"{_count(c['clients_added'], 'new client')}; "
                           f"{_count(c['sessions_skipped'], 'session')} "
                           f"{'was' if c['sessions_skipped'] == 1 else 'were'} here already.")
            except ImportConflictError as exc:    # the store's words name the command line
                st.error(f"{md(import_clash_words(exc))}", icon=":material/error:")
            except Exception as exc:  # noqa: BLE001
                _fail(exc)
            finally:
                os.unlink(path)


def render() -> None:
    st.title("Clients")
    st.caption("Follow each client across visits: save sessions, see progress, compare visits, "
               "set targets, and hand over a PDF report. Education, not diagnosis.")
    if "forgot" in st.session_state:
        r = st.session_state.pop("forgot")
        st.success(f"Forgot {md(r['client'])}: {r['sessions']} session(s) and {r['videos']} video(s) "
                   "deleted." + (f" {r['on_workers']} copy(ies) of their clips on the cluster's "
                                 "workers deleted." if r.get("on_workers") else "")
                   + ("" if r.get("scrubbed", True) else
                      " Another program has the database open: some freed pages are scrubbed "
                      "when it closes."),
                   icon=":material/check_circle:")
        if r.get("workers_unreached"):
            st.warning("Their clips may still be on the cluster's workers until those jobs end: "
                       f"{md(r['workers_unreached'])}", icon=":material/warning:")
    try:
        store = _store()
        user = access.gate(store)
        if user is None:      # nothing about clients is read before a sign-in
            return
        access.sign_out_button()
        label = client_picker()
    except Exception as exc:  # noqa: BLE001 - e.g. the database server is down
        _fail(exc)
        return
    st.session_state["clinic_user"] = user
    if label is None:
        st.info("Choose a client, or add one with a pseudonymous label (no real names).")
        _backup_section(store, user)
        return
    try:
        client = store.get_client(label)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    th = client.thresholds
    st.header(md(client.label), anchor=False)        # the current client, on every tab
    st.caption(f"Profile **{client.profile}** · knee past toes limit "
               f"{fmt_num(th.knee_over_toe_max_ratio, '+.2f')} foot lengths · shin limit "
               f"{fmt_num(th.shin_angle_max_deg, '.0f')}° · depth target "
               f"{fmt_num(th.depth_target_deg, '+.0f', '°', none='none')} · "
               f"{_count(client.session_count, 'session')}"
               + (f" · {md(client.notes)}" if client.notes else ""))
    tabs = st.tabs(["Save current analysis", "Progress", "Compare two sessions", "Targets and notes"])
    try:
        with tabs[0]:
            _save_section(store, client)
        with tabs[1]:
            _progress_section(store, client)
            chair_stand_section(store, client)
        with tabs[2]:
            _compare_section(store, client)
        with tabs[3]:
            _targets_section(store, client, user)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
    _backup_section(store, user)


if __name__ == "__main__":  # run as a page file
    render()
