"""Perplexity and per-token surprisal of a text under a trained language model.

Perplexity is exp of the mean cross-entropy per token (nats); it equals e^H where H is that mean
surprisal, or 2^H' with H' in bits. For a text within the model's context it equals exp of the
loss the model itself reports for the text (tested).
"""

from __future__ import annotations

import math

import numpy as np


def token_surprisal(lm, text: str) -> tuple[list[str], np.ndarray]:
    """Each token and its surprisal -ln p(token | earlier tokens); the first token has none (NaN)."""
    return lm.token_losses(text)


def perplexity(lm, text: str) -> float:
    _, surprisal = token_surprisal(lm, text)
    return math.exp(float(np.nanmean(surprisal)))
