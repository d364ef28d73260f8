"""Cached results of the memory page (see app.memo)."""

from __future__ import annotations

import streamlit as st

from app.models import manager
from core.views import memory


@st.cache_data(show_spinner=False, max_entries=64)
def measured_caches(batch: int, prompt_len: int, new_tokens: int) -> memory.MeasuredCache:
    """Deterministic for a setting, so one measurement serves every session (building and running
    the three models took 0.2 s a rerun)."""
    return memory.measure_caches(batch, prompt_len, new_tokens, manager().device)


@st.cache_data(show_spinner=False, max_entries=1, ttl=600)
def cache_timing() -> memory.CacheTiming:
    """Timings of this server, shared for ten minutes (measuring takes seconds of every core)."""
    return memory.cache_timing(manager().device)
