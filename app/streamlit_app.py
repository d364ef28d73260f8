"""Entry point: `streamlit run app/streamlit_app.py`.

Sets the page config, draws the sidebar every page shares (the
device in use, the training queue), and runs the page picked in the navigation.
"""

from __future__ import annotations

import logging

import streamlit as st

from app.cache import device_description, manager
from app.catalog import available_pages
from core.settings import ASSETS_DIR

log = logging.getLogger("nlp_playground.app")
ICON = ASSETS_DIR / "app" / "icon.png"  # a local file: a Material icon here would be fetched from Google

st.set_page_config(page_title="NLP Playground", page_icon=str(ICON), layout="wide")

home = st.Page("views/home.py", title="Home", icon=":material/home:", default=True)
topics = [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in available_pages()]
page = st.navigation({"NLP Playground": [home], "Topics": topics})

with st.sidebar:
    st.caption(f":material/developer_board: Device: **{device_description()}**")
    running = manager().active_jobs()
    if running:
        st.caption(f":material/model_training: {len(running)} training job(s) queued or running")
    if not manager().store.writable:
        st.caption(":material/warning: The cache folder is not writable: results are not kept on disk.")

try:
    page.run()
except Exception:  # a bug in a page: log it, show a sentence, keep the server serving
    log.exception("page %s failed", page.title)
    st.error("This page hit an unexpected error. It has been logged; try other settings or reload.",
             icon=":material/error:")
