"""Session-state keys, named once, and their initial values."""

from __future__ import annotations

import streamlit as st

PRESENTER = "presenter_mode"  # large fonts, fewer controls

_DEFAULTS = {PRESENTER: False}


def init() -> None:
    """Set every key's default once per session (later reruns keep the user's values)."""
    for key, value in _DEFAULTS.items():
        st.session_state.setdefault(key, value)
