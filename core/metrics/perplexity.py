"""Perplexity and per-token surprisal of a text under a trained language model, from one scoring pass.

Perplexity is exp of the mean cross-entropy per token (nats); it equals e^H where H is that mean
surprisal, or 2^H' with H' in bits. For a text within the model's context it equals exp of the
loss the model itself reports for the text (tested). `surprisal` returns the tokens, each one's
surprisal, the mean and the perplexity together, so a page showing all of them runs the model once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.errors import InvalidText

MAX_TOKENS = 2_000  # tokens scored per request: beyond this the text is refused (a few forward passes)


@dataclass(frozen=True)
class Surprisal:
    tokens: list[str]  # each token as text
    nats: list[float]  # -ln p(token | earlier tokens); the first token has no prediction (NaN)
    mean: float  # mean surprisal H over the predicted tokens, in nats
    perplexity: float  # e^H

    @property
    def mean_bits(self) -> float:
        return self.mean / math.log(2)


def surprisal(lm, text: str) -> Surprisal:
    """Every token's surprisal, their mean and the perplexity, from one pass of the model over the
    text (windows of its context when the text is longer: see `TrainedLM.token_losses`)."""
    count = len(lm.encode(text))
    if count > MAX_TOKENS:
        raise InvalidText("The text has {count:,} tokens; at most {limit:,} are scored at a time: shorten it.",
                          count=count, limit=MAX_TOKENS)
    tokens, losses = lm.token_losses(text)
    mean = float(np.nanmean(losses))
    return Surprisal(tokens, losses.tolist(), mean, math.exp(mean))


def perplexity(lm, text: str) -> float:
    """exp of the mean surprisal of `text` (nats per token)."""
    return surprisal(lm, text).perplexity
