"""Tabs that run only the open tab's code.

Streamlit's plain tabs run every tab's code on every rerun, hidden ones included, so a page with
eight tabs builds eight tabs' figures for each click. Building a Plotly figure costs 10-50 ms of
the server's one interpreter, and that cost, times the students clicking at once, is what decides
how many of them a server keeps responsive. These tabs rerun the page when one is opened and draw
only that one. The open tab is a setting like any other: kept in the session and in the URL (the
key shares the page's prefix), so a link reopens the same tab.
"""

from __future__ import annotations

from typing import Callable

import streamlit as st


def show_tabs(sections: dict[str, Callable[[], None]], *, key: str) -> None:
    """Draw a tab for each label and run the open one's function inside it."""
    tabs = st.tabs(list(sections), key=key, on_change="rerun")
    for tab, draw in zip(tabs, sections.values()):
        if tab.open:
            with tab:
                draw()
