"""Running: import runs from a watch (FIT, GPX, TCX, export zips), weekly load with the
acute:chronic workload ratio, and step rate with a metronome. Thin: formcheck.runs computes."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from formcheck.app import access
from formcheck.app.safe_text import md
from formcheck.errors import FormcheckError

log = logging.getLogger(__name__)

OWN = "Your own runs"
ADVICE = ("The physiotherapist's advice formcheck grew from starts with running: runner's knee "
          "usually follows a sudden **spike in training load**, so halve the distance and build "
          "it back up gradually; and **a step rate 5-10 % higher** (smaller steps) lowers the "
          "load on the knee. Education, not diagnosis: see a physiotherapist if pain persists.")


NO_RUNS_STEP_RATE = ("Import a run recorded with cadence (a watch's accelerometer or a footpod "
                     "records it) to see its step rate, the +5 % and +10 % targets and a "
                     "metronome.")


def _store():
    from formcheck.store import open_store

    return open_store()


def _who(store, user) -> str | None:
    labels = [c.label for c in store.list_clients()] if user.may(access.Action.VIEW_CLIENTS) \
        else []
    choice = st.selectbox("Whose runs", [OWN, *labels], key="runs_owner")
    return None if choice == OWN else choice


def _import_section(store, owner: str | None) -> None:
    from formcheck.runs.inputs import collect_upload
    from formcheck.store.runs_store import save_runs

    with st.form("runs_import", clear_on_submit=True):
        files = st.file_uploader("Activity files from a watch or phone app (.fit, .fit.gz, .gpx, "
                                 ".tcx) or an export zip (Garmin, Strava)",
                                 type=["fit", "gz", "gpx", "tcx", "zip"],
                                 accept_multiple_files=True, key="runs_files")
        sport = st.selectbox("Sport of files that do not say (GPX often does not)",
                             ["not running", "running", "trail", "treadmill"])
        go = st.form_submit_button("Import", type="primary")
    if not go or not files:
        return
    runs, dups = [], 0
    try:
        for f in files:      # all read first: one bad file and nothing is stored
            got = collect_upload(f.name, f.getvalue(),
                                 None if sport == "not running" else sport)
            runs.extend(got.runs)
            dups += len(got.duplicates)
        added, before = save_runs(store, owner, runs)
    except FormcheckError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return
    st.success(f"{len(runs)} activit{'y' if len(runs) == 1 else 'ies'} read, {added} added"
               + (f"; {before + dups} already imported (same device and start), not counted "
                  "twice" if before + dups else "") + ".", icon=":material/check_circle:")


def _load_section(runs) -> None:
    from formcheck.runs.load import training_load

    load = training_load(runs)
    if load is None:
        st.info("No running yet: import a run above.")
        return
    this = load.weeks[-1]
    whole = load.as_of.weekday() == 6     # the as-of day is a Sunday: the week is complete
    c = st.columns(4)
    c[0].metric("This week" if whole else "This week so far", f"{this.distance_m / 1000:.1f} km",
                None if this.increase_ratio is None or not whole
                else f"{this.increase_ratio:+.0%} on last week", delta_color="off",
                delta_arrow="off")
    c[1].metric("Time this week" if whole else "Time so far", f"{this.duration_s / 3600:.1f} h")
    c[2].metric("ACWR (7 / 28 days)", "–" if load.acwr is None else f"{load.acwr:.2f}")
    c[3].metric("ACWR, EWMA", "–" if load.acwr_ewma is None else f"{load.acwr_ewma:.2f}")
    if load.acwr is None:
        st.caption(f"The ratio needs 28 days of history (have {load.days_of_history}); until "
                   "then the weekly distance and its change are shown.")
    else:
        st.caption(f"As of {load.as_of}: {load.zone}. About 0.8-1.3 is the sweet spot, above 1.5 "
                   "a spike (Gabbett 2016); rolling and EWMA forms after Williams et al. 2017.")
    if load.plan:
        with st.container(border=True):
            st.markdown("**Load spike: the plan**")
            st.markdown(md(load.plan.reason))
            st.markdown("Kilometres per week: " + " → ".join(f"{x / 1000:.1f}"
                                                          for x in load.plan.weeks_m))
            st.caption("Sources: " + "; ".join(load.plan.sources))
    weeks = pd.DataFrame({"week": [w.week_start.isoformat() for w in load.weeks],
                          "km": [w.distance_m / 1000 for w in load.weeks],
                          "ACWR": [w.acwr for w in load.weeks],
                          "ACWR (EWMA)": [w.acwr_ewma for w in load.weeks],
                          "steps/min": [w.cadence_spm for w in load.weeks]}).set_index("week")
    st.markdown("**Weekly distance (km)**")
    st.bar_chart(weeks["km"], height=220)
    if weeks["ACWR"].notna().any():
        st.markdown("**Acute:chronic workload ratio by week**")
        st.line_chart(weeks[["ACWR", "ACWR (EWMA)"]], height=220)
    if weeks["steps/min"].notna().any():
        st.markdown("**Step rate by week (steps/min)**")
        import altair as alt

        cad = weeks["steps/min"].dropna().reset_index()
        st.altair_chart(alt.Chart(cad).mark_line(point=True).encode(
            x=alt.X("week:N", title="week of"),
            y=alt.Y("steps/min:Q", scale=alt.Scale(zero=False))).properties(height=200),
            width="stretch")


def _step_rate_section(runs) -> None:
    from formcheck.runs.steprate import SOURCE, metronome_wav, step_rate

    rated = [(r, step_rate(r)) for r in runs]
    rated = [(r, s) for r, s in rated if s is not None]
    st.subheader("Step rate")
    if not runs:        # "none of these runs" would contradict "No running yet" just above
        st.info(NO_RUNS_STEP_RATE)
        return
    if not rated:
        st.info("None of these runs recorded cadence (a watch's accelerometer or a footpod "
                "does).")
        return
    run, s = rated[-1]
    c = st.columns(3)
    c[0].metric("Last run's step rate", f"{s.cadence_spm:.0f} steps/min",
                None if s.cadence_sd_spm is None else f"± {s.cadence_sd_spm:.0f} (spread)",
                delta_color="off", delta_arrow="off")
    c[1].metric("+5 % target", f"{s.target_5_spm:.0f} steps/min")
    c[2].metric("+10 % target", f"{s.target_10_spm:.0f} steps/min")
    st.caption(f"{run.start[:10]}, {run.source_file}. Smaller, quicker steps at the same pace: "
               f"+5 % and +10 % lowered the load on the knee ({SOURCE}). Step rate = steps of "
               "both feet per minute (a FIT file's per-leg cadence, doubled).")
    target = st.radio("Metronome", [f"+5 % ({s.target_5_spm:.0f}/min)",
                                    f"+10 % ({s.target_10_spm:.0f}/min)"], horizontal=True)
    spm = round(s.target_5_spm if target.startswith("+5") else s.target_10_spm)
    wav = metronome_wav(float(spm), seconds=60.0)
    st.audio(wav, format="audio/wav")
    st.download_button(f"Download the {spm} steps/min metronome (1 min, WAV)", wav,
                       file_name=f"metronome_{spm}spm.wav", mime="audio/wav")


def _runs_table(runs) -> None:
    df = pd.DataFrame([{"start": r.start[:16].replace("T", " "), "sport": r.sport,
                        "km": round(r.distance_m / 1000, 2),
                        "min": round(r.duration_s / 60, 1),
                        "pace /km": "" if r.pace_s_per_km is None else
                        f"{int(r.pace_s_per_km // 60)}:{int(round(r.pace_s_per_km % 60)):02d}",
                        "steps/min": None if r.cadence_spm is None else round(r.cadence_spm),
                        "file": r.source_file} for r in reversed(runs)])
    st.dataframe(df, hide_index=True, width="stretch")


def _pdf_button(runs, owner: str | None) -> None:
    from formcheck.runs.load import training_load
    from formcheck.runs.pdf import runs_pdf

    if st.button("Make a PDF of the load and step rate", icon=":material/picture_as_pdf:"):
        who = owner or "your runs"
        st.download_button("Download the PDF", runs_pdf(training_load(runs), runs, who),
                           file_name=f"running_{who.replace(' ', '_')}.pdf",
                           mime="application/pdf", type="primary")


def render() -> None:
    st.title("Running")
    st.markdown(ADVICE)
    try:
        store = _store()
        user = access.gate(store)
        if user is None:
            return
        owner = _who(store, user)
        _import_section(store, owner)
        from formcheck.store.runs_store import list_runs

        runs = list_runs(store, owner)
        st.subheader("Training load")
        _load_section(runs)
        _step_rate_section(runs)
        if runs:
            st.subheader("Activities")
            _runs_table(runs)
            _pdf_button(runs, owner)
    except FormcheckError as exc:
        st.error(md(str(exc)), icon=":material/error:")
    except Exception as exc:  # noqa: BLE001 - shown on the page, logged with its trace
        log.exception("running page")
        st.error(f"Something went wrong ({type(exc).__name__}); nothing was changed.",
                 icon=":material/error:")


if __name__ == "__main__":
    render()
