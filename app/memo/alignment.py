"""Cached results of the fine-tuning & alignment page (see app.memo).

Keyed by the models actually used: the base model's `lm.key` (its job's key) and the reward job's
spec key (a reward model carries no key of its own), never by the page's settings.
"""

from __future__ import annotations

import streamlit as st

from core.alignment.data import Preferences
from core.alignment.reward import RewardResult
from core.alignment.rules import Rule
from core.jobs import JobSpec
from core.lm.trained import TrainedLM
from core.views import alignment as view


@st.cache_data(show_spinner=False, max_entries=32)
def ranked_examples(_lm: TrainedLM, key: str, corpus: str, rule: Rule, k: int,
                    sft: JobSpec) -> list[view.RankedGroup]:
    """Seeded, so one sampling serves every session (it reads the whole corpus to cut prompts)."""
    return view.ranked_examples(_lm, corpus, rule, k, sft)


@st.cache_data(show_spinner=False, max_entries=16)
def reward_view(_result: RewardResult, _preferences: Preferences, _tokenizer, key: str) -> view.RewardView:
    return view.reward_view(_result, _preferences, _tokenizer)


@st.cache_data(show_spinner=False, max_entries=64)
def score_text(_result: RewardResult, _preferences: Preferences, _tokenizer, key: str, rule: Rule, text: str,
               block_size: int) -> view.Scored:
    return view.score_text(_result, _preferences, _tokenizer, rule, text, block_size)
