"""Cached results of the transformer anatomy page (see app.memo)."""

from __future__ import annotations

import streamlit as st

from core.views import anatomy as view


@st.cache_data(show_spinner=False, max_entries=256)
def flash(n: int, block: int, causal: bool, tile: int) -> view.Flash:
    """Block size 1 on 64 tokens is 4,096 tiles, each a step of Python: 0.3 s a rerun uncached."""
    return view.flash(n, block, causal, tile)


@st.cache_data(show_spinner=False, max_entries=1)
def traffic() -> view.Traffic:
    return view.traffic()


@st.cache_data(show_spinner=False, max_entries=64)
def encodings(n: int, d: int) -> view.Encodings:
    return view.encodings(n, d)


@st.cache_data(show_spinner=False, max_entries=1)
def activations() -> view.Activations:
    return view.activations()
