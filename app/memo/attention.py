"""Cached results of the language model & attention page (see app.memo).

Everything derived from a model is keyed by the model actually used (`lm.key`: its job's key, or
"pretrained:<name>" for a loaded one): a table cached under the form's settings was shown for a
saved model that had been opened instead (one student saw another's model's heads).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.lm.external import load_pretrained
from core.lm.masked import MaskedLM
from core.lm.toy import ToyResult
from core.lm.trained import TrainedLM
from core.views import attention as view


@st.cache_resource(show_spinner=False, max_entries=4, ttl=3600)
def loaded(name: str) -> TrainedLM:
    """A saved model, read once (loading re-read the weights on every rerun); never changed after."""
    return load_pretrained(name)


@st.cache_data(show_spinner=False, max_entries=64)
def attention_maps(_lm: TrainedLM, key: str, text: str) -> view.Maps:
    return view.attention_maps(_lm, text)


@st.cache_data(show_spinner=False, max_entries=64)
def neuron(_lm: TrainedLM, key: str, text: str, layer: int, head: int, query: int) -> view.Neuron:
    return view.neuron(_lm, text, layer, head, query)


@st.cache_data(show_spinner=False, max_entries=64)
def head_statistics(_lm: TrainedLM, key: str, text: str) -> list[dict]:
    return view.head_statistics(_lm, text)


@st.cache_data(show_spinner=False, max_entries=32)
def ablation(_lm: TrainedLM, key: str, text: str) -> np.ndarray:
    """One forward pass per head: seconds on a larger model."""
    return view.ablation(_lm, text)


@st.cache_data(show_spinner=False, max_entries=8)
def toy(_result: ToyResult, key: str) -> view.Toy:
    return view.toy(_result)


@st.cache_data(show_spinner=False, max_entries=32)
def directions(_lm: TrainedLM, key: str, _masked: MaskedLM, masked_key: str, text: str) -> view.Directions:
    return view.directions(_lm, _masked, text)


@st.cache_data(show_spinner=False, max_entries=8)
def masked_record(_masked: MaskedLM, key: str, corpus: str) -> view.MaskedRecord:
    return view.masked_record(_masked, corpus)


@st.cache_data(show_spinner=False, max_entries=64)
def surprisal(_lm: TrainedLM, key: str, text: str) -> view.Surprisal:
    return view.surprisal(_lm, text)
