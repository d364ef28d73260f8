"""A page's settings mirrored in the URL's query parameters, so a lecturer can bookmark or link the
exact demo (word, text, model, settings) and it reopens the same.

Each page's widget keys share a prefix (`PageInfo.state_prefix`). Before the page runs, values in
the URL fill the keys a new session has not set yet; after it runs, the current values are
written back. The open tab is one of these settings (see `app.components.tabs`). Strings are
written as they are (readable links), everything else, and strings that would read back as
something else ("50", "true"), as JSON. Buttons, uploads and downloads hold no
setting and are skipped; so are values too long for a sensible link.
"""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

ACTIONS = re.compile(r"(-train|-cancel)$|_dl_|^tok_export_|^tok_upload$")  # buttons, downloads, uploads
MAX_VALUE_CHARS = 600
SCALARS = (str, int, float, bool)
GLOBAL_PARAMS = ("present", "hide")  # presenter-mode options, kept on every page


def encode(value: Any) -> str:
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value  # plain text stays readable in the link
    return json.dumps(value, ensure_ascii=False)


def decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _shareable(key: str, value: Any, prefix: str) -> bool:
    if not key.startswith(prefix) or ACTIONS.search(key):
        return False
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, SCALARS) for v in value)
    return isinstance(value, SCALARS)


def restore(prefix: str) -> list[str]:
    """Fill the session from the URL (keys not set yet only); return the keys filled.

    Also keeps the settings whose widgets this run will not draw (those in a tab that is not open):
    Streamlit drops a widget's value after a run that does not draw it, but keeps one assigned
    through the Session State API, so each of the page's settings is assigned its own value."""
    if not prefix:
        return []
    for key in [k for k in st.session_state.keys() if isinstance(k, str)]:
        value = st.session_state[key]
        if _shareable(key, value, prefix):
            st.session_state[key] = value
    filled = []
    for key, text in st.query_params.to_dict().items():
        if key.startswith(prefix) and not ACTIONS.search(key) and key not in st.session_state:
            st.session_state[key] = decode(text)
            filled.append(key)
    return filled


def page_state(prefix: str) -> dict[str, str]:
    """The page's current settings, encoded for the URL."""
    state = {}
    for key in sorted(k for k in st.session_state.keys() if isinstance(k, str)):
        value = st.session_state[key]
        if prefix and _shareable(key, value, prefix):
            text = encode(list(value) if isinstance(value, tuple) else value)
            if len(text) <= MAX_VALUE_CHARS:
                state[key] = text
    return state


def save(prefix: str) -> dict[str, str]:
    """Write the page's current settings into the URL (only when they changed) and return them. A
    page without settings (home) leaves the URL alone."""
    if not prefix:
        return {}
    state = page_state(prefix)
    current = st.query_params.to_dict()
    wanted = {key: current[key] for key in GLOBAL_PARAMS if key in current} | state
    if wanted != current:
        st.query_params.from_dict(wanted)
    return state


def forget(keys: list[str]) -> None:
    """Drop settings restored from a link that the page could not use."""
    for key in keys:
        st.session_state.pop(key, None)
    st.query_params.from_dict({k: v for k, v in st.query_params.to_dict().items() if k not in keys})
