"""Every Streamlit cache wrapper of the app, in one module.

Models are trained and kept by `core.jobs` (shared across sessions, bounded, on disk); this module
adds `st.cache_data` for derived data that is cheap to keep and costly to recompute.
"""

from __future__ import annotations

import streamlit as st

from core.corpora import shipped_corpora
from core.device import describe_device
from core.jobs import JobManager, default_manager


def manager() -> JobManager:
    """The process-wide job manager (one queue and one cache for every session)."""
    return default_manager()


@st.cache_data(show_spinner=False)
def device_description() -> str:
    return describe_device(manager().device)


@st.cache_data(show_spinner=False)
def corpora_table() -> list[dict]:
    return [
        {"corpus": c.name, "title": c.title, "language": c.language, "MB": round(c.size_bytes / 2**20, 1),
         "licence": c.licence, "what for": c.description}
        for c in shipped_corpora()
    ]


@st.cache_data(show_spinner=False, max_entries=16)
def language_costs(_tokenizer, key: str) -> list[dict]:
    """Tokens per character of every UDHR language for one trained tokenizer (keyed by its job)."""
    from core.tokenizers.analysis import cost_by_language

    return cost_by_language(_tokenizer)
