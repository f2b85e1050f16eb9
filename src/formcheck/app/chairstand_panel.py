"""The "Chair-stand test" mode of the Analyse page: the 30-second chair stand or the five-times
sit-to-stand counted and timed on the uploaded clip (chairstand.py), with the published norms,
the flags, the report and the PDF. Kept out of upload_page.py, which only asks `chosen()` and
calls `render()`."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from formcheck import chairstand
from formcheck.app.safe_text import md

MODE_KEY = "analyse_mode"
SQUATS, CHAIR = "Squat analysis", "Chair-stand test"
TEST_NAMES = {chairstand.TEST_30S: "30-second chair stand",
              chairstand.TEST_5X: "Five-times sit-to-stand"}


def is_chosen() -> bool:
    """The chair-stand mode is on (read before the choice is drawn, e.g. for the title)."""
    return st.session_state.get(MODE_KEY) == CHAIR


def chosen() -> bool:
    """Draw the mode choice; True in the chair-stand mode."""
    mode = st.segmented_control("What is in the clip?", [SQUATS, CHAIR], default=SQUATS,
                                key=MODE_KEY,
                                help="Chair-stand test: film from the side, the person starting "
                                     "seated with the arms folded on the chest.")
    return mode == CHAIR


def options() -> tuple[str, int | None, str | None]:
    """The test and the person's age and sex (for the norms)."""
    c1, c2, c3 = st.columns([2, 1, 1])
    test = c1.radio("Test", list(TEST_NAMES), format_func=TEST_NAMES.get, key="cs_test",
                    horizontal=True)
    age = c2.number_input("Age (for the norms)", min_value=1, max_value=120, value=None,
                          step=1, key="cs_age", placeholder="not given",
                          help="Leave empty when not given: the norms then are not shown.")
    sex = c3.selectbox("Sex", ["not given", "F", "M"], key="cs_sex")
    return test, (int(age) if age else None), (None if sex == "not given" else sex)


def render(analysis, name: str) -> chairstand.ChairStandResult | None:
    """The test's result for an analysed clip (None, with the reason shown, when the clip
    holds no stand)."""
    test, age, sex = options()
    result = chairstand.from_analysis(analysis, test, age, sex)
    d = chairstand.to_dict(result, name)
    if not result.stand_list:       # e.g. a squat clip analysed before the mode was switched
        for note in d["notes"]:
            st.warning(md(note), icon=":material/warning:")
        st.info(f"No stand was found in {md(name)}. Upload the clip of the test above: the "
                "person starts seated, arms folded on the chest, filmed from the side.")
        return None
    c1, c2, c3 = st.columns(3)
    c1.metric("Complete stands", d["stands"])
    c2.metric("Time", "–" if d["time_s"] is None else f"{d['time_s']:.2f} s")
    norm = d["norm"]
    if norm and test == chairstand.TEST_30S:
        c3.metric(f"{norm['source']} ({norm['band']})", f"{norm['low']}–{norm['high']}",
                  help="normal range (25th-75th percentile) of complete stands")
        st.write(f"This is **{norm['verdict']}** the normal range for the age and sex.")
    elif norm:
        c3.metric(f"{norm['source']} (age {norm['band']})", f"{norm['high']} s",
                  help="reference time; slower is worse than average for the age")
        st.write(f"This is **{norm['verdict']}** than the reference time.")
    else:
        c3.metric("Norms", "–", help="give the age (and, for the 30-s test, the sex)")
    st.caption(f"End point: {d['end_point']}; times from {d['times_from']}.")
    for note in d["notes"]:
        st.warning(md(note), icon=":material/warning:")
    st.dataframe([{"Stand": s["stand"], "Complete": s["complete"], "Left the seat (s)": s["leave_s"],
                   "Standing (s)": s["up_s"], "Seated again (s)": s["seat_s"],
                   "Knee bend at the top (°)": s["knee_flexion_top_deg"],
                   "Arms off chest": s["arms_off_chest"]} for s in d["per_stand"]],
                 hide_index=True, key="cs_table",
                 column_config={c: st.column_config.NumberColumn(format="%.2f") for c in
                                ("Left the seat (s)", "Standing (s)", "Seated again (s)")})
    stem = Path(name).stem or "chair-stand"
    b1, b2 = st.columns(2)
    b1.download_button("Test report (JSON)", json.dumps(d, indent=2), f"{stem}_{test}.json",
                       "application/json", key="cs_json")
    from formcheck.pdf_report import chair_stand_pdf

    b2.download_button("Test report (PDF)", chair_stand_pdf(result, source=name),
                       f"{stem}_{test}.pdf", "application/pdf", key="cs_pdf")
    return result
