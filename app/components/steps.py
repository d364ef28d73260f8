"""A slider over steps that copes with a single step (Streamlit refuses a slider with min == max)."""

from __future__ import annotations

import streamlit as st


def step_slider(label: str, count: int, *, key: str, value: int | None = None, **kwargs) -> int:
    """An index in 0..count-1; with one step (or none) there is nothing to choose: 0."""
    if count <= 1:
        return 0
    return st.slider(label, 0, count - 1, count - 1 if value is None else value, key=key, **kwargs)
