"""The one place user text becomes HTML: everything goes through `escape`.

Streamlit's `st.html` and `st.markdown(unsafe_allow_html=True)` sanitise, but a page must not rely
on that: text is escaped here first, so a token like `<script>` shows literally.
"""

from __future__ import annotations

import html

import streamlit as st


def escape(text: object) -> str:
    """HTML-escape any value (quotes included, so it is safe inside attributes too)."""
    return html.escape(str(text), quote=True)


def show_html(markup: str) -> None:
    """Render markup built from `escape`d pieces."""
    st.html(markup)
