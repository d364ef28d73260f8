"""Building tiny decoder-only models from `transformers` classes, and reading their attention.

The models are the library's own (`GPT2LMHeadModel`, `LlamaForCausalLM`), so everything the
pages show (attention, KV caches, `generate`) is what practitioners get from the library.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator, Sequence

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedModel

from core.lm.config import LMConfig, intermediate_size
from core.seeding import seeded


def build_model(config: LMConfig, vocab_size: int) -> PreTrainedModel:
    """A freshly initialised model (seeded by `config.seed`). No BOS/EOS/PAD ids: the playground's
    tokenizers have none unless the user asks for one."""
    config.validate()
    ids = {"bos_token_id": None, "eos_token_id": None, "pad_token_id": None}
    if config.arch == "gpt2":
        hf_config = GPT2Config(
            vocab_size=vocab_size, n_positions=config.block_size, n_embd=config.n_embd, n_layer=config.n_layer,
            n_head=config.n_head, resid_pdrop=config.dropout, embd_pdrop=config.dropout,
            attn_pdrop=config.dropout, **ids)
    else:
        hf_config = LlamaConfig(
            vocab_size=vocab_size, hidden_size=config.n_embd, intermediate_size=intermediate_size(config.n_embd),
            num_hidden_layers=config.n_layer, num_attention_heads=config.n_head, num_key_value_heads=config.kv_heads,
            max_position_embeddings=config.block_size, attention_dropout=config.dropout, **ids)
    with seeded(config.seed):
        return (GPT2LMHeadModel if config.arch == "gpt2" else LlamaForCausalLM)(hf_config)


def config_of(model: PreTrainedModel) -> LMConfig:
    """The shape part of an `LMConfig` read back from a `transformers` model (for loaded models)."""
    c = model.config
    if c.model_type == "gpt2":
        return LMConfig(arch="gpt2", n_layer=c.n_layer, n_head=c.n_head, n_embd=c.n_embd, block_size=c.n_positions)
    return LMConfig(arch="llama", n_layer=c.num_hidden_layers, n_head=c.num_attention_heads,
                    n_kv_head=c.num_key_value_heads, n_embd=c.hidden_size, block_size=c.max_position_embeddings)


def layers_of(model: PreTrainedModel) -> list[torch.nn.Module]:
    return list(model.transformer.h) if model.config.model_type == "gpt2" else list(model.model.layers)


@contextlib.contextmanager
def layer_inputs(layers: Sequence[torch.nn.Module]) -> Iterator[list[tuple[torch.Tensor, dict] | None]]:
    """Within the block, record each layer's input hidden states and keyword arguments for forward
    passes run by this thread (one slot per layer, the latest call).

    A served model is shared by every session, and their threads run it at the same time; a hook
    sees every thread's calls, so without the thread check one student's attention map was drawn
    from another student's text (the load test found it: sessions got each other's tensors)."""
    owner = threading.get_ident()
    captured: list[tuple[torch.Tensor, dict] | None] = [None] * len(layers)

    def hook(index: int):
        def capture(module, args, kwargs):
            if threading.get_ident() == owner:
                captured[index] = (args[0] if args else kwargs["hidden_states"], kwargs)
        return capture

    handles = [layer.register_forward_pre_hook(hook(i), with_kwargs=True) for i, layer in enumerate(layers)]
    try:
        yield captured
    finally:
        for handle in handles:
            handle.remove()


def state_for_saving(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The state dict with tied weights (an output head sharing the embedding) stored once:
    safetensors refuses tensors that share memory."""
    state, seen = {}, set()
    for name, value in model.state_dict().items():
        if value.data_ptr() not in seen:
            seen.add(value.data_ptr())
            state[name] = value
    return state


def load_saved_state(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """The inverse of `state_for_saving`: load, re-tie, and insist that only tied weights were absent."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    if hasattr(model, "tie_weights"):
        model.tie_weights()
    pointers = {value.data_ptr() for name, value in model.state_dict().items() if name in state}
    untied = [name for name in missing if model.state_dict()[name].data_ptr() not in pointers]
    if unexpected or untied:
        raise ValueError(f"artifact does not match its model: missing {untied}, unexpected {unexpected}")
