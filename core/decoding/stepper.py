"""Running a causal LM one token at a time with its KV cache (transformers' `DynamicCache`)."""

from __future__ import annotations

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
            raise InvalidSetting(f"The prompt plus the new tokens exceed the model's context of {self.block_size} "
                                 "tokens: shorten the prompt or generate fewer tokens.")
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
    if not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise InvalidSetting(f"max_new_tokens must be a positive whole number, not {max_new_tokens!r}.")
    return ids
