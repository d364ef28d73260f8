"""Cached results of the decoding page (see app.memo), keyed by the model actually used (`lm.key`).

Greedy and beam search are deterministic and sampling is seeded, so every session asking for the
same continuation gets the one computed first: generating was the page's largest cost under load.
"""

from __future__ import annotations

import streamlit as st

from core.views import decoding as view


@st.cache_data(show_spinner=False, max_entries=256)
def _decoded(_lm, key: str, prompt: str, max_new: int, method: view.Method) -> view.Continuation:
    return view.decode(_lm, prompt, max_new, method)


def decoded(lm, prompt: str, max_new: int, method: view.Method) -> view.Continuation:
    return _decoded(lm, lm.key, prompt, max_new, method)


@st.cache_data(show_spinner=False, max_entries=256)
def _temperature_picture(_lm, key: str, prompt: str, temperature: float) -> view.TemperaturePicture:
    return view.temperature_picture(_lm, prompt, temperature)


def temperature_picture(lm, prompt: str, temperature: float) -> view.TemperaturePicture:
    return _temperature_picture(lm, lm.key, prompt, temperature)


@st.cache_data(show_spinner="Decoding with every method...", max_entries=32)
def _comparison(_lm, key: str, prompt: str, max_new: int) -> view.Comparison:
    return view.comparison(_lm, prompt, max_new)


def comparison(lm, prompt: str, max_new: int) -> view.Comparison:
    """Six methods, five outputs each (about 20 generations): the costliest thing the page does."""
    return _comparison(lm, lm.key, prompt, max_new)
