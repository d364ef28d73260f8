"""Entry point: `streamlit run app/streamlit_app.py`.

Sets the page config, draws the sidebar every page shares (the device in use, the training queue,
presenter options, the chart download format), and runs the page picked in the navigation with its
settings mirrored in the URL (see `app.components.url_state`).
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.errors import StreamlitAPIException

from app.cache import device_description, manager
from app.catalog import available_pages
from app.components import charts, presenter, url_state
from app.components.guard import PageEnd
from core.settings import ASSETS_DIR

log = logging.getLogger("nlp_playground.app")
if not logging.getLogger("core").handlers:  # training jobs started, loaded, failed: in the server's log
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("core").addHandler(_handler)
    logging.getLogger("core").setLevel(logging.INFO)
    # settings restored from a link are put in the session before their widgets exist, on purpose:
    # Streamlit would log a warning with a stack for each one
    logging.getLogger("streamlit.elements.lib.policies").addFilter(
        lambda record: "had its value set via the Session State API" not in record.getMessage())
ICON = ASSETS_DIR / "app" / "icon.png"  # a local file: a Material icon here would be fetched from Google

st.set_page_config(page_title="NLP Playground", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenter.presenting() else "auto")

home = st.Page("views/home.py", title="Home", icon=":material/home:", default=True)
infos = available_pages()
topics = [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path) for p in infos]
page = st.navigation({"NLP Playground": [home], "Topics": topics})
prefix = next((p.state_prefix for p in infos if p.url_path == page.url_path), "")
presenter.apply_style()

with st.sidebar:
    st.caption(f":material/developer_board: Device: **{device_description()}**")
    running = manager().active_jobs()
    if running:
        st.caption(f":material/model_training: {len(running)} training job(s) queued or running")
    if not manager().store.writable:
        st.caption(":material/warning: The cache folder is not writable: results are not kept on disk.")
    st.radio("Download charts as", charts.EXPORT_FORMATS, horizontal=True, key=charts.EXPORT_FORMAT_KEY,
             format_func=str.upper, help="The camera button on each chart saves it, drawn in your browser.")

restored = url_state.restore(prefix)
try:
    page.run()
except PageEnd:  # the page drew all it could (nothing trained yet)
    pass
except StreamlitAPIException:
    if not restored:
        raise
    # a link from another version of the page (an option that no longer exists): open with defaults
    log.warning("settings from the link did not fit %s: %s", page.title, restored)
    url_state.forget(restored)
    st.toast("Some settings in this link do not fit the page any more; it opened with defaults.")
    st.rerun()
except Exception:  # a bug in a page: log it, show a sentence, keep the server serving
    log.exception("page %s failed", page.title)
    st.error("This page hit an unexpected error. It has been logged; try other settings or reload.",
             icon=":material/error:")
finally:
    shared = url_state.save(prefix)
    with st.sidebar.expander("Lecture", icon=":material/co_present:"):
        st.caption("The address bar holds this page's settings: copy it to bookmark or share this exact demo.")
        presenter.controls(list(shared))
