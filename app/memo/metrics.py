"""Cached results of the metrics page (see app.memo), keyed by their inputs and, for perplexity, by
the model actually used (`lm.key`)."""

from __future__ import annotations

import streamlit as st

from core.metrics.perplexity import Surprisal
from core.views import metrics as view


@st.cache_data(show_spinner=False, max_entries=64)
def corpus(text: str, tokenize: str, smooth: str, lowercase: bool) -> view.CorpusScores:
    """Two paired bootstrap tests of 1,000 resamples each, and the interval's: the tab's costliest part."""
    return view.corpus(text, tokenize=tokenize, smooth=smooth, lowercase=lowercase)


@st.cache_data(show_spinner=False, max_entries=128)
def _perplexity(_lm, key: str, text: str) -> Surprisal:
    return view.perplexity(_lm, text)


def perplexity(lm, text: str) -> Surprisal:
    return _perplexity(lm, lm.key, text)
