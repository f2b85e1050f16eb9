"""How to film: a short guide with a picture."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PICTURE = Path(__file__).resolve().parents[3] / "docs" / "filming.png"

GUIDE = """
- **From the side.** Stand side-on to the camera: knee travel past the toes can only be seen
  from the side. (To check whether the knees cave in, film a second set from the front.)
- **At hip height.** Put the phone or laptop on a shelf, chair or tripod so the lens is about
  level with your hips. From above or below the angles are distorted.
- **2-3 m away**, so the **whole body and both feet** stay in the picture at the top and at the
  bottom of every rep. Landscape or portrait both work.
- **The box behind you**, at the depth you are working to, so you sit back onto it.
- **Keep the camera still**, the room well lit, and wear clothes that show the knees and hips.
- **Stand up fully between reps**: that is how reps are counted. A few seconds of standing at
  the start helps to measure the foot length.
"""


def render() -> None:
    st.title("How to film")
    if PICTURE.is_file():
        st.image(str(PICTURE), width="stretch",
                 caption="Side view at hip height, 2-3 m away, whole body and feet in frame, "
                         "the box behind you.")
    st.markdown(GUIDE)
    st.info("A clip filmed from the front still counts reps, depth and knees caving in, but not "
            "knee-over-toe; an angled (about 45°) view gives it only roughly.")


if __name__ == "__main__":
    render()
