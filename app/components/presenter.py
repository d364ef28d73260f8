"""Presenter mode for lectures: large fonts, high contrast, fewer controls, still navigable.

Both options live in the URL so a demo can be linked from slides:
- `?present=1`: larger text and chart fonts, black on white, the pages as a bar across the top
  (the sidebar starts collapsed, its button stays), and a button to leave the mode;
- `?hide=emb_dim,emb_window`: those controls are not drawn (by their widget keys; Streamlit
  marks each keyed element with the class `st-key-<key>`). Keys are checked against a strict
  pattern before they reach the style sheet, so a link cannot inject CSS.
"""

from __future__ import annotations

import re

import streamlit as st

from app.i18n import t

KEY = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
CHART_FONT = {False: 13, True: 20}
CHART_TEXT = {False: "#374151", True: "#000000"}

PRESENTER_CSS = """
html { font-size: 21px; }
.stApp, .stApp p, .stApp li, .stApp label, [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stMetricLabel"] { color: #000 !important; opacity: 1 !important; }
.stApp { background: #fff; }
h1 { font-size: 2.2rem !important; margin-bottom: 0 !important; } h2, h3 { font-size: 1.7rem !important; }
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
.block-container { padding-top: 3.2rem; padding-bottom: 1rem; max-width: 96rem; }
"""


def presenting() -> bool:
    return st.query_params.get("present", "") in ("1", "true", "yes")


def hidden_keys() -> list[str]:
    return [key for key in st.query_params.get("hide", "").split(",") if KEY.match(key)]


def chart_font_size() -> int:
    return CHART_FONT[presenting()]


def chart_text_color() -> str:
    return CHART_TEXT[presenting()]


def apply_style() -> None:
    """Inject the presenter style and the rules hiding chosen controls (nothing when unused)."""
    rules = PRESENTER_CSS if presenting() else ""
    rules += "".join(f".st-key-{key} {{ display: none !important; }}\n" for key in hidden_keys())
    if rules:
        st.html(f"<style>{rules}</style>")


def _set(present: bool) -> None:
    if present:
        st.query_params["present"] = "1"
    elif "present" in st.query_params:
        del st.query_params["present"]


def leave_button() -> None:
    """In presenter mode, a button on the page itself to leave it (the sidebar may be closed)."""
    if presenting():
        st.button(t("Leave presenter mode"), key="presenter_leave", icon=":material/close_fullscreen:",
                  on_click=_set, args=(False,), type="tertiary")


def controls(page_keys: list[str]) -> None:
    """Sidebar widgets that write the presenter options into the URL."""
    present = st.toggle(t("Presenter mode"), value=presenting(), key="presenter",
                        help=t("Large fonts and high contrast for a projector; the link keeps it on."))
    hide = st.multiselect(t("Hide in the link"), sorted(set(page_keys) | set(hidden_keys())), default=hidden_keys(),
                          key="presenter_hide",
                          help=t("Controls (by key) left out when this link is opened: for a demo embedded in "
                                 "slides."))
    if present != presenting():
        _set(present)
        st.rerun()
    if hide != hidden_keys():
        if hide:
            st.query_params["hide"] = ",".join(k for k in hide if KEY.match(k))
        else:
            del st.query_params["hide"]
        st.rerun()
