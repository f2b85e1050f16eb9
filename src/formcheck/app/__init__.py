"""The Streamlit shell: pages that call the formcheck library and show its results.

Pages: upload_page (analyse a clip), live_page (webcam), filming_page (how to film).
Shared widgets live in components. No metric math here: everything is measured by formcheck.
"""
