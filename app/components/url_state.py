"""A page's settings mirrored in the URL's query parameters, so a lecturer can bookmark or link the
exact demo (word, text, model, settings, open tab) and it reopens the same.

Only the settings a page declares (`core.views.params.Params`) are written or read: a value from a
link is parsed and checked against its declaration before it reaches the session, and one that does
not fit opens with the default and a note (never an error). Global options (presenter mode, hidden
controls, the language) are kept on every page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.components import presenter
from app.components.messages import info
from app.i18n import t
from core.views.params import Fitted, Params

LANGUAGE = "lang"  # the session's language, written into every page's link (so a copied link opens in it)
RESTORED = "_url_state_restored"  # the pages whose link this session has read


def restore(params: Params | None) -> list[Fitted]:
    """Fill a new session from the link (once per page and session), keep every declared setting
    alive through runs that do not draw its widget, and return the notes about values that did
    not fit.

    Streamlit drops a widget's value after a run that does not draw it (a setting in a closed tab)
    but keeps one assigned through the Session State API, so each setting is assigned its own value."""
    if params is None:
        return []
    for param in params:
        if param.key in st.session_state:
            st.session_state[param.key] = st.session_state[param.key]
    done = st.session_state.setdefault(RESTORED, set())
    if params.prefix in done:
        return []
    done.add(params.prefix)
    values, notes = params.from_link(st.query_params.to_dict())
    for key, value in values.items():
        if key not in st.session_state:
            st.session_state[key] = value
    return notes


def show_notes(notes: list[Fitted]) -> None:
    for fitted in notes:
        fields = {k: t(v) if k == "label" else v for k, v in fitted.fields.items()}
        info(t(fitted.note, **fields))


def page_state(params: Params) -> dict[str, str]:
    """The page's current settings, encoded for the URL."""
    return {param.key: param.encode(_plain(st.session_state[param.key])) for param in params
            if param.key in st.session_state}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def save(params: Params | None) -> dict[str, str]:
    """Write the page's settings into the URL (only when they changed) and return them. A page
    without settings (home) leaves the URL alone."""
    if params is None:
        return {}
    state = page_state(params)
    current = st.query_params.to_dict()
    language = st.session_state.get(LANGUAGE)
    wanted = ({LANGUAGE: language} if language else {}) | presenter.link_options() | state
    if wanted != current:
        st.query_params.from_dict(wanted)
    return state
