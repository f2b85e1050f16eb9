"""formcheck's web app: `streamlit run streamlit_app.py`.

Thin on purpose: each page is a function in formcheck.app that calls the library.
To add a page, add one st.Page line to PAGES.

Every page has its own URL (/analyse, /live, /my-sets, /filming, /clients). Streamlit serves its default
page only at the root, so the Analyse page is registered twice (the root and /analyse) and the
menu is drawn here from PAGES (st.navigation's own menu would list it twice).
"""

import streamlit as st

from formcheck.app import (browser_key, current_result, filming_page, live_page, my_sets_page,
                           phone, running_page, signin_memory, upload_page)

st.set_page_config(page_title="formcheck: squat form", page_icon=":material/fitness_center:", layout="wide")

# (page, menu title, icon, URL path)
MENU = [
    (upload_page.render, "Analyse a clip", ":material/movie:", "analyse"),
    (live_page.render, "Live webcam", ":material/videocam:", "live"),
    (my_sets_page.render, my_sets_page.TITLE, my_sets_page.ICON, my_sets_page.URL_PATH),
    (filming_page.render, "How to film", ":material/straighten:", "filming"),
    ("src/formcheck/app/clients_page.py", "Clients", ":material/groups:", "clients"),
    (running_page.render, "Running", ":material/directions_run:", "running"),
]
PAGES = [st.Page(page, title=title, icon=icon, url_path=url) for page, title, icon, url in MENU]
HOME = st.Page(upload_page.render, title="Analyse a clip", icon=":material/movie:", url_path="home",
               default=True)

browser_key.secret()              # this browser's own key to its result links (a cookie)
signin_memory.flush()             # the sign-in cookie a sign-in or sign-out just made
current_result.keep_choices()     # the Analyse page's mode, client toggle, profile... outlive a page change
page = st.navigation([HOME, *PAGES], position="hidden")
for p, (_, title, icon, _) in zip(PAGES, MENU):
    st.sidebar.page_link(p, label=title, icon=icon)
st.sidebar.divider()
phone.close_menu_on_choice()      # on a phone the menu covers the page: it closes after a choice
page.run()
