"""Logits processors: what decoding does to the next-token scores before choosing.

Each mirrors the `transformers` processor of the same name (tested to 1e-6 on the same input),
written on a 1-D score vector so the page can show the distribution after every stage:
repetition penalty, then temperature, then top-k, then top-p (the order `generate` applies them).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.errors import InvalidSetting, require

NEG_INF = float("-inf")


def repetition_penalty(scores: torch.Tensor, previous: torch.Tensor, penalty: float) -> torch.Tensor:
    """CTRL's penalty on every token already in the sequence: divide a positive score by
    `penalty`, multiply a negative one (so the token always becomes less likely)."""
    if penalty == 1.0 or previous.numel() == 0:
        return scores
    tokens = previous.unique()
    chosen = scores[tokens]
    out = scores.clone()
    out[tokens] = torch.where(chosen < 0, chosen * penalty, chosen / penalty)
    return out


def temperature(scores: torch.Tensor, value: float) -> torch.Tensor:
    return scores if value == 1.0 else scores / value


def top_k(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k highest scores (ties with the k-th kept too), the rest to -inf."""
    if k <= 0:
        return scores
    threshold = torch.topk(scores, min(k, scores.numel()))[0][-1]
    return scores.masked_fill(scores < threshold, NEG_INF)


def top_p(scores: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of most probable tokens whose probability
    reaches p (always at least one)."""
    if p >= 1.0:
        return scores
    ascending, order = torch.sort(scores)
    cumulative = ascending.softmax(-1).cumsum(-1)
    remove = cumulative <= (1 - p)
    remove[-1:] = False
    return scores.masked_fill(remove.scatter(0, order, remove), NEG_INF)


def entropy(scores: torch.Tensor) -> float:
    """Entropy in nats of the distribution softmax(scores); -inf scores (filtered out) count 0."""
    probs = scores.softmax(-1)
    return float(-(probs * probs.clamp_min(1e-30).log()).sum())


def no_repeat_ngram_bans(tokens: list[int], n: int) -> list[int]:
    """Tokens that would complete an n-gram already present in `tokens`."""
    if n <= 0 or len(tokens) < n:
        return []
    prefix = tuple(tokens[len(tokens) - n + 1:])
    return [tokens[i + n - 1] for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n - 1]) == prefix]


@dataclass(frozen=True)
class SamplingSettings:
    """The knobs of sampling, validated once."""

    temperature: float = 1.0  # 0 means greedy (said so on the page)
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1: off
    repetition_penalty: float = 1.0  # 1: off

    def validate(self) -> "SamplingSettings":
        require(self.temperature >= 0, "temperature must be 0 or more, not {value}.", value=self.temperature)
        require(isinstance(self.top_k, int) and self.top_k >= 0,
                "top_k must be a whole number, 0 or more (0 turns it off), not {value}.", value=self.top_k)
        require(0 < self.top_p <= 1, "top_p must be in (0, 1], not {value}.", value=self.top_p)
        require(self.repetition_penalty > 0, "repetition_penalty must be positive, not {value}.",
                value=self.repetition_penalty)
        return self

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def stages(logits: torch.Tensor, previous: torch.Tensor, settings: SamplingSettings) -> list[tuple[str, torch.Tensor]]:
    """The scores after each processor, in `generate`'s order: (name, scores) pairs."""
    if not isinstance(settings, SamplingSettings):
        raise InvalidSetting("settings must be a SamplingSettings.")
    out = [("model", logits)]
    scores = repetition_penalty(logits, previous, settings.repetition_penalty)
    if settings.repetition_penalty != 1.0:
        out.append(("repetition penalty", scores))
    if not settings.greedy:
        for name, step in (("temperature", lambda s: temperature(s, settings.temperature)),
                           ("top-k", lambda s: top_k(s, settings.top_k)),
                           ("top-p", lambda s: top_p(s, settings.top_p))):
            scores = step(scores)
            out.append((name, scores))
    return out
