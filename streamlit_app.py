"""formcheck's web app: `streamlit run streamlit_app.py`.

Thin on purpose: each page is a function in formcheck.app that calls the library.
To add a page, add one st.Page line to PAGES.

Every page has its own URL (/analyse, /live, /filming, /clients). Streamlit serves its default
page only at the root, so the Analyse page is registered twice (the root and /analyse) and the
menu is drawn here from PAGES (st.navigation's own menu would list it twice).
"""

import streamlit as st

from formcheck.app import filming_page, live_page, upload_page

st.set_page_config(page_title="formcheck: squat form", page_icon=":material/fitness_center:", layout="wide")

PAGES = [
    st.Page(upload_page.render, title="Analyse a clip", icon=":material/movie:", url_path="analyse"),
    st.Page(live_page.render, title="Live webcam", icon=":material/videocam:", url_path="live"),
    st.Page(filming_page.render, title="How to film", icon=":material/straighten:", url_path="filming"),
    st.Page("src/formcheck/app/clients_page.py", title="Clients", icon=":material/groups:", url_path="clients"),
]
HOME = st.Page(upload_page.render, title="Analyse a clip", icon=":material/movie:", url_path="home",
               default=True)

page = st.navigation([HOME, *PAGES], position="hidden")
for p in PAGES:
    st.sidebar.page_link(p, label=p.title, icon=p.icon)
st.sidebar.divider()
page.run()
