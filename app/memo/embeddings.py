"""Cached results of the word-embeddings page (see app.memo). Vectors have no `.key`: each
wrapper takes the key of the job spec that trained them."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.embeddings.vectors import WordVectors
from core.views import embeddings as view


@st.cache_resource
def warm_umap() -> None:
    """Import umap once in the background: its first import compiles for about 14 s. A failed warm-up
    costs nothing but time: the projection imports umap itself when asked for it."""
    import logging
    import threading

    def warm() -> None:
        try:
            import umap  # noqa: F401
        except Exception:  # e.g. a test harness swapping modules meanwhile
            logging.getLogger(__name__).info("umap warm-up skipped", exc_info=True)

    threading.Thread(target=warm, name="warm-umap", daemon=True).start()


@st.cache_data(show_spinner=False, max_entries=32)
def projection(_vectors: WordVectors, key: str, categories: tuple[str, ...], extra: str, method: str,
               dims: int) -> view.Projection:
    """t-SNE and UMAP take seconds: one run serves every session asking for the same picture."""
    return view.projection(_vectors, categories, extra, method, dims)


@st.cache_data(show_spinner=False, max_entries=16)
def evaluation(_vectors: WordVectors, key: str) -> view.Evaluation:
    """The analogy and similarity benchmarks (seconds on a large vocabulary)."""
    return view.evaluation(_vectors)


@st.cache_data(show_spinner=False, max_entries=16)
def cooccurrence(corpus: str, min_count: int, words: tuple[str, ...]) -> list[list[float]]:
    """Reads the whole corpus (keyed by what it reads: the corpus and the vocabulary's min count)."""
    return view.cooccurrence(corpus, min_count, words)


@st.cache_data(show_spinner=False, max_entries=4)
def books(_vectors: WordVectors, key: str, corpus: str) -> dict[str, Any]:
    """Reads 20,000 words of every book."""
    return view.books(_vectors, corpus)
