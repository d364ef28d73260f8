"""Cached results of the tokenizers page (see app.memo)."""

from __future__ import annotations

import streamlit as st

from core.tokenizers.analysis import cost_by_language
from core.tokenizers.base import Tokenizer


@st.cache_data(show_spinner=False, max_entries=16)
def language_costs(_tokenizer: Tokenizer, key: str) -> list[dict]:
    """Tokens per character of every UDHR language for one trained tokenizer, keyed by its job
    spec's key (encoding the 78 declarations takes about a second)."""
    return cost_by_language(_tokenizer)
