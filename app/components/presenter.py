"""Presenter mode for lectures: large fonts, high contrast, fewer controls, still navigable.

Both options live in the URL so a demo can be linked from slides:
- `?present=1`: larger text and chart fonts, black on white, the pages as a bar across the top
  (the sidebar starts collapsed, its button stays), and a button to leave the mode;
- `?hide=emb_dim,emb_window`: those controls are not drawn (by their widget keys; Streamlit
  marks each keyed element with the class `st-key-<key>`). Keys are checked against a strict
  pattern before they reach the style sheet, so a link cannot inject CSS.

The link is read once per session; after that the session holds the options (moving to another
page clears Streamlit's query string, and presenter mode must survive it) and writes them back into
every page's link (`app.components.url_state.save`).
"""

from __future__ import annotations

import re

import streamlit as st

from app.i18n import t

KEY = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
TOGGLE, HIDE = "presenter", "presenter_hide"  # the sidebar widgets' keys
PRESENT, HIDDEN = "_presenter_on", "_presenter_hidden"  # the session's options
CHART_FONT = {False: 13, True: 20}
CHART_TEXT = {False: "#374151", True: "#000000"}
CHART_HEIGHT = {False: 1.0, True: 1.3}  # taller charts for the larger text, so the plots keep their room

# Always on. Streamlit draws captions in the body colour at 60% opacity: 3.9:1 on white with its
# default colours, code in a caption 3.0:1, both under WCAG's 4.5:1 (axe's color-contrast rule,
# tests/e2e/test_accessibility.py). Opaque grey-600 gives 7.6:1, and code keeps its own colour.
# A metric's label wraps instead of ending in "…": cut, "Sequences that fit on 80 GB" lost its GB.
READABLE_CSS = """
[data-testid="stCaptionContainer"] { opacity: 1; color: #4b5563; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] { white-space: normal; overflow: visible; }
"""
# Presenter mode. The toolbar holds the page bar (`position="top"`) and the button that opens the
# sidebar: only its actions are hidden. The button that leaves the mode sits in the header, so the
# first chart starts higher (tests/e2e/test_presenter.py: a chart above the fold at 1280x720).
PRESENTER_CSS = """
html { font-size: 21px; }
.stApp, .stApp p, .stApp li, .stApp label, [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stMetricLabel"] { color: #000 !important; opacity: 1 !important; }
.stApp { background: #fff; }
h1 { font-size: 2.2rem !important; margin-bottom: 0 !important; padding-top: 0 !important; }
h2, h3 { font-size: 1.7rem !important; }
[data-testid="stToolbarActions"], [data-testid="stDecoration"] { display: none; }
.st-key-presenter_leave { position: fixed; top: 0.55rem; right: 3.2rem; z-index: 999991; width: auto !important; }
.block-container { padding-top: 4rem; padding-bottom: 1rem; max-width: 96rem; }
.block-container [data-testid="stVerticalBlock"] { gap: 0.5rem; }
"""


def presenting() -> bool:
    if PRESENT not in st.session_state:  # a new session: the link decides
        st.session_state[PRESENT] = st.query_params.get("present", "") in ("1", "true", "yes")
    return st.session_state[PRESENT]


def hidden_keys() -> list[str]:
    if HIDDEN not in st.session_state:
        st.session_state[HIDDEN] = [key for key in st.query_params.get("hide", "").split(",") if KEY.match(key)]
    return st.session_state[HIDDEN]


def link_options() -> dict[str, str]:
    """The options as the link writes them."""
    hide = hidden_keys()
    return {**({"present": "1"} if presenting() else {}), **({"hide": ",".join(hide)} if hide else {})}


def chart_font_size() -> int:
    return CHART_FONT[presenting()]


def chart_text_color() -> str:
    return CHART_TEXT[presenting()]


def chart_height(height: int) -> int:
    return round(height * CHART_HEIGHT[presenting()])


def apply_style() -> None:
    """Inject the app's style: readable captions, the presenter style and the rules hiding chosen
    controls (a style-only `st.html` takes no room on the page)."""
    rules = READABLE_CSS + (PRESENTER_CSS if presenting() else "")
    rules += "".join(f".st-key-{key} {{ display: none !important; }}\n" for key in hidden_keys())
    st.html(f"<style>{rules}</style>")


def _set(present: bool) -> None:
    st.session_state[PRESENT] = present
    if present:
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


def _toggled() -> None:
    _set(st.session_state[TOGGLE])


def _hide_changed() -> None:
    hide = st.session_state[HIDDEN] = [key for key in st.session_state[HIDE] if KEY.match(key)]
    if hide:
        st.query_params["hide"] = ",".join(hide)
    elif "hide" in st.query_params:
        del st.query_params["hide"]


def leave_button() -> None:
    """In presenter mode, a button on the page itself to leave it (the sidebar may be closed)."""
    if presenting():
        st.button(t("Leave presenter mode"), key="presenter_leave", icon=":material/close_fullscreen:",
                  on_click=_set, args=(False,), type="tertiary")


def controls(page_keys: list[str]) -> None:
    """Sidebar widgets that write the presenter options into the URL.

    They write in their callbacks, before the run, so the run that follows is already drawn with the
    new options (chart fonts included), and they always show the session's options: a toggle that
    kept its own state turned presenter mode back on right after the leave button turned it off."""
    st.session_state[TOGGLE] = presenting()
    st.session_state[HIDE] = hidden_keys()
    st.toggle(t("Presenter mode"), key=TOGGLE, on_change=_toggled,
              help=t("Large fonts and high contrast for a projector; the link keeps it on."))
    st.multiselect(t("Hide in the link"), sorted(set(page_keys) | set(hidden_keys())), key=HIDE,
                   on_change=_hide_changed,
                   help=t("Controls (by key) left out when this link is opened: for a demo embedded in slides."))
