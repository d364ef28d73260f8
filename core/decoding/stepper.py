"""Running a causal LM one token at a time with its KV cache (transformers' `DynamicCache`), and the
one rule that fits a prompt and a number of new tokens into the model's context (`fit_to_context`)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel

from core.errors import InvalidSetting, InvalidText


class Stepper:
    """Feeds a model a prompt once (prefill), then one token per sequence per step (decode)."""

    def __init__(self, model: PreTrainedModel):
        self.model = model
        self.cache = DynamicCache()
        self.block_size = getattr(model.config, "n_positions", None) or model.config.max_position_embeddings

    @torch.no_grad()
    def prefill(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids: (B, T) -> last-position logits (B, V) in float32."""
        return self._run(input_ids)

    @torch.no_grad()
    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B,) -> next logits (B, V)."""
        return self._run(tokens.view(-1, 1))

    def reorder(self, beam_index: torch.Tensor) -> None:
        self.cache.reorder_cache(beam_index.to(self.model.device))

    def _run(self, ids: torch.Tensor) -> torch.Tensor:
        if self.cache.get_seq_length() + ids.shape[1] > self.block_size:
            raise InvalidSetting("The prompt plus the new tokens exceed the model's context of {block:,} tokens: "
                                 "shorten the prompt or generate fewer tokens.", block=self.block_size)
        out = self.model(input_ids=ids.to(self.model.device), cache=self.cache, use_cache=True)
        return out.logits[:, -1, :].float()


def check_prompt(input_ids: torch.Tensor, max_new_tokens: int) -> torch.Tensor:
    """A (1, T) prompt tensor, with clear messages for an empty prompt or a bad length."""
    ids = torch.as_tensor(input_ids, dtype=torch.long)
    ids = ids.view(1, -1) if ids.dim() == 1 else ids
    if ids.shape[-1] == 0:
        raise InvalidText("The prompt is empty: type at least one character.")
    if ids.shape[0] != 1:
        raise InvalidSetting("Give one prompt at a time (a batch of 1).")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise InvalidSetting("max_new_tokens must be a positive whole number, not {value!r}.", value=max_new_tokens)
    return ids


@dataclass(frozen=True)
class ContextFit:
    """A prompt and a number of new tokens that fit the model's context together."""

    ids: torch.Tensor  # (1, T) the prompt tokens kept: its last ones when it was too long
    max_new_tokens: int  # at least 1, at most what was asked
    requested: int  # the new tokens asked for
    dropped: int  # prompt tokens left out from its start

    @property
    def kept(self) -> int:
        return self.ids.shape[1]


def fit_to_context(input_ids, max_new_tokens: int, block_size: int) -> ContextFit:
    """The one clamp rule of decoding: a prompt that alone fills the context (or more) keeps its
    last `block_size - 1` tokens, so one new token still fits; the new tokens are then cut to the
    room left. Never a negative count; what changed is in the result, for the page to say.

    `generate` would refuse instead (its positions run out); a sliding window would let the model
    read past what it was trained on, so here the prompt's start goes, once, before decoding."""
    ids = check_prompt(input_ids, max_new_tokens)
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise InvalidSetting("The model's context must hold at least 2 tokens, not {block!r}.", block=block_size)
    kept = min(ids.shape[1], block_size - 1)
    return ContextFit(ids[:, ids.shape[1] - kept:], min(max_new_tokens, block_size - kept), max_new_tokens,
                      ids.shape[1] - kept)
