"""My sets: a home user's own history, without the clinic's sign-in.

A set on screen (an analysed clip of squats, or the end of a live set) is kept with "Keep this
set in My sets" (`keep_button`, drawn under the result by the Analyse and Live pages). The My
sets page lists the sets kept in this browser, draws the same trends as a client's Progress
(clients_page.sessions_frame and _trend_charts over Store.history: one function per
measurement), opens one set and deletes one after asking.

Where they are kept and why another browser never sees them: formcheck.store.my_sets.

In a clinic deployment (the clinic's sign-in is on: the app is reachable from other computers,
or accounts exist) My sets keeps nothing and shows no set: the clinic's records are the place
for a client's sets, and a visitor who is not signed in must not be able to store data on the
clinic's server. My sets never reads the clinic's database for sets, and the clinic's pages
never read My sets' database: nothing leaks either way.
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from formcheck.app import browser_key, current_result
from formcheck.app.safe_text import md
from formcheck.errors import FormcheckError

log = logging.getLogger(__name__)

URL_PATH = "my-sets"
TITLE = "My sets"
ICON = ":material/bookmarks:"
MY_SETS = "\0my sets"      # current_result's "saved for" key (no client label has a NUL)
OPEN_KEY = "my_set_open"
CLINIC_WORDS = ("This formcheck belongs to a clinic (it asks for a sign-in), so it keeps no "
                "personal sets. Your physiotherapist keeps your sets in your record. To keep "
                "sets of your own, use formcheck on your own computer.")
TREND_NOTE = ("One point per kept set. Dashed red line: the limit your newest set was scored "
              "with.")


def page():
    """This page for st.navigation and links to it (a link names the page it opens)."""
    return st.Page(render, title=TITLE, icon=ICON, url_path=URL_PATH)


def available() -> bool:
    """True when My sets may keep sets here: the app is used on this computer only and the
    clinic has no accounts (no sign-in). False in a clinic deployment, or when it cannot be
    told (the clinic's database does not answer): then nothing is kept."""
    from formcheck import auth
    from formcheck.app import access

    if access.reachable_beyond_localhost():
        return False
    try:
        from formcheck.store import open_store

        return not auth.has_accounts(open_store())
    except Exception:  # noqa: BLE001 - cannot tell: keep nothing (the safe side)
        log.exception("my sets: is the clinic's sign-in on?")
        return False


def _mine():
    from formcheck.store.my_sets import open_my_sets

    return open_my_sets(browser_key.owner_tag())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def keep_button(where: str) -> bool:
    """"Keep this set in My sets" for the result on screen (`where`: the page's name, for the
    button's key). Draws nothing and returns False when the set is for a client (the Clients
    page saves it), when it is a chair-stand test, or in a clinic deployment."""
    if st.session_state.get("clinic_mode") or current_result.kind() == current_result.CHAIR_STAND:
        return False
    analysis, raw = st.session_state.get("analysis"), st.session_state.get("raw_landmarks")
    if analysis is None or raw is None or not available():
        return False
    box = st.container(border=True, key=f"my_sets_keep_{where}")
    try:
        mine = _mine()
        fp = current_result.fingerprint(analysis, raw, None)
        done = current_result.saved_as(MY_SETS, fp)
        if done is not None and done not in {s.id for s in mine.sets()}:
            done = None              # deleted since: it may be kept again
    except FormcheckError as exc:
        box.error(md(exc), icon=":material/error:")
        return True
    if done is not None:
        c1, c2 = box.columns([3, 1], vertical_alignment="center")
        c1.success("This set is kept in My sets.", icon=":material/bookmark_added:")
        c2.page_link(page(), label="Open My sets", icon=ICON)
        return True
    c1, c2 = box.columns([3, 2], vertical_alignment="center")
    c1.markdown("**Keep this set** to follow your progress from set to set. It is kept in this "
                "browser on this computer; no other browser sees it.")
    if c2.button("Keep this set in My sets", key=f"my_sets_keep_button_{where}",
                 icon=":material/bookmark_add:", width="stretch"):
        clip = st.session_state.get("clip_path")
        clip = clip if clip and Path(clip).is_file() else None
        from formcheck.store.repo import MAX_VIDEO_BYTES

        try:
            info = mine.keep(analysis, raw, clip_path=clip,
                             keep_video=clip is not None and Path(clip).stat().st_size
                             <= MAX_VIDEO_BYTES,
                             clip_name=st.session_state.get("clip_name"),
                             view_requested=st.session_state.get("view", "auto"))
        except FormcheckError as exc:
            box.error(md(exc), icon=":material/error:")
            return True
        current_result.remember_saved(MY_SETS, fp, info.id)
        st.session_state[OPEN_KEY] = info.id        # My sets opens it
        st.rerun()
    return True


def render() -> None:
    from formcheck.app import clients_page

    st.title(TITLE)
    st.caption("Your own sets, kept in this browser on this computer, and your progress from "
               "set to set. Keep a set with **Keep this set in My sets** under the result of "
               "**Analyse a clip** or at the end of a **Live webcam** set. Education, not "
               "diagnosis.")
    if not available():
        st.info(CLINIC_WORDS, icon=":material/lock:")
        return
    if "my_sets_deleted" in st.session_state:
        st.success(st.session_state.pop("my_sets_deleted"), icon=":material/check_circle:")
    try:
        mine = _mine()
        sets = mine.sets()
        if not sets:
            st.info("No sets kept yet. Analyse a clip or do a live set, then press **Keep this "
                    "set in My sets** under the result.", icon=":material/info:")
            return
        df = clients_page.sessions_frame(mine.history(), sets)
    except FormcheckError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    st.subheader(f"Your sets ({len(sets)})")
    cols = ["date", "clip", "reps", "worst knee past toes (foot lengths)",
            "mean depth: thigh (°)", "steepest shin (°)"]
    st.dataframe(df[cols], hide_index=True, width="stretch", column_config={
        "date": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "worst knee past toes (foot lengths)": st.column_config.NumberColumn(format="%+.2f"),
        "mean depth: thigh (°)": st.column_config.NumberColumn(format="%+.0f"),
        "steepest shin (°)": st.column_config.NumberColumn(format="%.0f")})
    if len(df) >= 2:
        st.subheader("Your progress")
        clients_page._trend_charts(df, mine.newest_thresholds(), note=TREND_NOTE)
    else:
        st.caption("Your progress is drawn from the second kept set on.")
    _one_set(mine, df)


def _one_set(mine, df) -> None:
    from formcheck.app import components

    st.subheader("One set")
    names = {int(r.id): f"{r.date:%Y-%m-%d %H:%M} · {r.clip} · {_count(int(r.reps), 'rep')}"
             for r in df.itertuples()}
    ids = list(names)[::-1]             # the newest first
    if st.session_state.get(OPEN_KEY) not in ids:
        st.session_state[OPEN_KEY] = ids[0]     # deleted, or never chosen: the newest
    sid = st.selectbox("Open a set", ids, format_func=names.get, key=OPEN_KEY)
    try:
        info = mine.get(sid)
        analysis = mine.analysis(sid)
        video = mine.video(sid) if info.has_video else None
    except FormcheckError as exc:
        st.error(md(exc), icon=":material/error:")
        return
    with st.popover("Delete this set", icon=":material/delete:"):
        st.write(f"Delete the set of {info.recorded_at:%Y-%m-%d %H:%M} "
                 f"({_count(info.rep_count, 'rep')}) with its measurements"
                 f"{' and its video' if info.has_video else ''}? This cannot be undone.")
        if st.button("Delete", type="primary", key=f"my_set_delete_{sid}"):
            try:
                mine.delete(sid)
            except FormcheckError as exc:
                st.error(md(exc), icon=":material/error:")
                return
            st.session_state.pop(OPEN_KEY, None)
            st.session_state["my_sets_deleted"] = (
                f"Deleted the set of {info.recorded_at:%Y-%m-%d %H:%M}.")
            st.rerun()
    components.summary(analysis, info.clip_name)
    st.markdown("**Every rep**")
    components.compact_rep_table(analysis)
    st.markdown("**Feedback**")
    components.feedback_cards(analysis)
    if video is not None:
        with st.expander("Your clip", icon=":material/movie:"):
            st.video(video)


if __name__ == "__main__":  # run as a page file
    render()
