"""Presenter mode for lectures: large fonts, high contrast, fewer controls.

Both options live in the URL so a demo can be linked from slides:
- `?present=1`: larger text and charts, black on white, sidebar and toolbar out of the way;
- `?hide=emb_dim,emb_window`: those controls are not drawn (by their widget keys; Streamlit
  marks each keyed element with the class `st-key-<key>`). Keys are checked against a strict
  pattern before they reach the style sheet, so a link cannot inject CSS.
"""

from __future__ import annotations

import re

import streamlit as st

KEY = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
CHART_FONT = {False: 13, True: 20}

PRESENTER_CSS = """
html { font-size: 21px; }
.stApp, .stApp p, .stApp li, .stApp label, [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stMetricLabel"] { color: #000 !important; opacity: 1 !important; }
.stApp { background: #fff; }
h1 { font-size: 2.6rem !important; } h2, h3 { font-size: 1.9rem !important; }
[data-testid="stHeader"], [data-testid="stToolbar"] { display: none; }
.block-container { padding-top: 1.5rem; max-width: 96rem; }
"""


def presenting() -> bool:
    return st.query_params.get("present", "") in ("1", "true", "yes")


def hidden_keys() -> list[str]:
    return [key for key in st.query_params.get("hide", "").split(",") if KEY.match(key)]


def chart_font_size() -> int:
    return CHART_FONT[presenting()]


def apply_style() -> None:
    """Inject the presenter style and the rules hiding chosen controls (nothing when unused)."""
    rules = PRESENTER_CSS if presenting() else ""
    rules += "".join(f".st-key-{key} {{ display: none !important; }}\n" for key in hidden_keys())
    if rules:
        st.html(f"<style>{rules}</style>")


def controls(page_keys: list[str]) -> None:
    """Sidebar widgets that write the presenter options into the URL."""
    present = st.toggle("Presenter mode", value=presenting(), key="presenter",
                        help="Large fonts and high contrast for a projector; the link keeps it on.")
    hide = st.multiselect("Hide in the link", sorted(set(page_keys) | set(hidden_keys())), default=hidden_keys(),
                          key="presenter_hide",
                          help="Controls (by key) left out when this link is opened: for a demo embedded in slides.")
    if present != presenting():
        if present:
            st.query_params["present"] = "1"
        else:
            del st.query_params["present"]
        st.rerun()
    if hide != hidden_keys():
        if hide:
            st.query_params["hide"] = ",".join(k for k in hide if KEY.match(k))
        else:
            del st.query_params["hide"]
        st.rerun()
