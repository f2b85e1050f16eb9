"""formcheck's web app with formcheck's own cap on request bodies: `streamlit run serve.py`
(same options as `streamlit run streamlit_app.py`; use this one on a network).

The pages are streamlit_app.py's; app/body_limit.py refuses an upload over
server.maxUploadSize while it streams in, so a chunked upload cannot fill the server's memory.
"""

from starlette.middleware import Middleware

import streamlit as st
from formcheck.app.body_limit import BodyLimit

app = st.App("streamlit_app.py", middleware=[Middleware(BodyLimit)])
