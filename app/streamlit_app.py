"""Entry point: `streamlit run app/streamlit_app.py`.

Sets the page config, asks who is there (`app.identity`), draws the sidebar every page shares (the
language, the device in use, the training queue, presenter options, the chart download format),
and runs the page picked in the navigation with its declared settings mirrored in the URL (see
`app.components.url_state`).
"""

from __future__ import annotations

import logging

import streamlit as st

from app import identity
from app.catalog import available_pages
from app.components import charts, presenter, url_state
from app.components.guard import PageEnd
from app.components.messages import error
from app.i18n import KEY as LANGUAGE, language, t
from app.models import device_description, manager
from core.i18n import LANGUAGES
from core.settings import ASSETS_DIR

log = logging.getLogger("nlp_playground.app")
if not logging.getLogger("core").handlers:  # training jobs started, loaded, failed: in the server's log
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("core").addHandler(_handler)
    logging.getLogger("core").setLevel(logging.INFO)
    # settings are put in the session before their widgets exist, on purpose (app.components.controls):
    # Streamlit would log a warning with a stack for each one
    logging.getLogger("streamlit.elements.lib.policies").addFilter(
        lambda record: "had its value set via the Session State API" not in record.getMessage())
ICON = ASSETS_DIR / "app" / "icon.png"  # a local file: a Material icon here would be fetched from Google

st.set_page_config(page_title="NLP Playground", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenter.presenting() else "auto")
st.session_state[LANGUAGE] = language()  # the link's, the chosen or the browser's, kept for the session
presenter.apply_style()

user = identity.current_user()
if user is None:
    identity.login_form()
    st.stop()

infos = available_pages()
home = st.Page("views/home.py", title=t("Home"), icon=":material/home:", default=True)
topics = [st.Page(p.path, title=t(p.title), icon=p.icon, url_path=p.url_path) for p in infos]
# one flat list: with sections Streamlit nests them as <div>s inside the list of pages, which screen
# readers cannot announce as a list (axe's `list` rule; tests/e2e/test_accessibility.py)
page = st.navigation([home, *topics], position="top" if presenter.presenting() else "sidebar")
info = next((p for p in infos if p.url_path == page.url_path), None)
params = info.params if info is not None else None

with st.sidebar:
    st.radio(t("Language"), list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True, key=LANGUAGE,
             on_change=lambda: st.query_params.update({LANGUAGE: st.session_state[LANGUAGE]}))
    st.caption(t("Device: {device}", device=device_description()))
    if user.role != "lecturer" or identity.mode() != "open":
        st.caption(t("Signed in as {name} ({role})", name=user.name, role=t(user.role)))
    running = manager().active_jobs()
    if running:
        st.caption(t("{count} training job(s) queued or running", count=len(running)))
    if not manager().store.writable:
        st.caption(t("The cache folder is not writable: results are not kept on disk."))
    st.radio(t("Download charts as"), charts.EXPORT_FORMATS, horizontal=True, key=charts.EXPORT_FORMAT_KEY,
             format_func=str.upper, help=t("The camera button on each chart saves it, drawn in your browser."))

presenter.leave_button()
notes = url_state.restore(params)
try:
    url_state.show_notes(notes)
    page.run()
except PageEnd:  # the page drew all it could (nothing trained yet)
    pass
except Exception:  # a bug in a page: log it, show a sentence, keep the server serving
    log.exception("page %s failed", page.title)
    error(t("This page hit an unexpected error. It has been logged; try other settings or reload."))
finally:
    shared = url_state.save(params)
    with st.sidebar.expander(t("Lecture"), icon=":material/co_present:"):
        st.caption(t("The address bar holds this page's settings: copy it to bookmark or share this exact demo."))
        presenter.controls(list(shared))
