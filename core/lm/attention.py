"""Attention weights computed from a model's own projections, independently of `output_attentions`.

Forward hooks capture each attention block's input (per thread: the model is shared); the weights
are then recomputed from the block's query/key projections: softmax(q k^T / sqrt(d) + causal
mask), with rotary position embeddings applied to q and k for Llama and key heads repeated for
grouped-query attention. The tests check that this equals the library's eager
`output_attentions`, so the pages show what the model really computes, while the model itself
keeps its fast attention and is never modified.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from transformers import PreTrainedModel

from core.lm.model import layer_inputs, layers_of


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """RoPE's rotation (HF's convention: the two halves of each head, not interleaved pairs)."""
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, heads, T, head_dim); cos, sin: (B, T, head_dim)."""
    return x * cos.unsqueeze(1) + rotate_half(x) * sin.unsqueeze(1)


def _weights(q: torch.Tensor, k: torch.Tensor, causal: bool) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) with an optional causal mask; q, k: (B, H, T, D) -> (B, H, T, T)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.size(-1))
    if causal:
        t = q.size(-2)
        mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    return scores.softmax(-1)


def _gpt2_qk(block: torch.nn.Module, hidden: torch.Tensor, n_head: int):
    b, t, e = hidden.shape
    q, k, _ = block.attn.c_attn(block.ln_1(hidden)).split(e, dim=-1)
    return (x.view(b, t, n_head, e // n_head).transpose(1, 2) for x in (q, k))  # (B, H, T, D)


def _llama_qk(layer: torch.nn.Module, hidden: torch.Tensor, position_embeddings, n_head: int, n_kv: int):
    b, t, e = hidden.shape
    d = e // n_head
    x = layer.input_layernorm(hidden)
    q = layer.self_attn.q_proj(x).view(b, t, n_head, d).transpose(1, 2)  # (B, H, T, D)
    k = layer.self_attn.k_proj(x).view(b, t, n_kv, d).transpose(1, 2)  # (B, KV, T, D)
    cos, sin = position_embeddings
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    return q, k.repeat_interleave(n_head // n_kv, dim=1)  # each KV head serves n_head / n_kv query heads


@torch.no_grad()
def attention_weights(model: PreTrainedModel, input_ids: torch.Tensor) -> np.ndarray:
    """Attention of every layer and head for one sequence: array (layers, heads, query, key)."""
    layers = layers_of(model)
    gpt2 = model.config.model_type == "gpt2"
    with layer_inputs(layers) as captured:
        model(input_ids.view(1, -1).to(model.device))
    c = model.config
    out = []
    for layer, (hidden, kwargs) in zip(layers, captured):
        if gpt2:
            q, k = _gpt2_qk(layer, hidden, c.n_head)
        else:
            q, k = _llama_qk(layer, hidden, kwargs["position_embeddings"], c.num_attention_heads,
                             c.num_key_value_heads)
        out.append(_weights(q.float(), k.float(), causal=True)[0])
    return torch.stack(out).cpu().numpy()  # (L, H, T, T)
