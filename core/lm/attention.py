"""Attention weights computed from a model's own projections, independently of `output_attentions`.

Forward hooks capture each attention block's input (per thread: the model is shared); the weights
are then recomputed from the block's query/key projections: softmax(q k^T / sqrt(d) + causal
mask), with rotary position embeddings applied to q and k for Llama (`core.lm.rope`) and key heads
repeated for grouped-query attention. The tests check that this equals the library's eager
`output_attentions`, so the pages show what the model really computes, while the model itself
keeps its fast attention and is never modified.

`neuron_view` opens one head for one query token the way BertViz's neuron view does (Vig, 2019):
the query vector, every key vector, their elementwise products, the dot products and the softmax.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedModel

from core.errors import require
from core.lm.model import layer_inputs, layers_of
from core.lm.rope import apply_rope


def _scores(q: torch.Tensor, k: torch.Tensor, causal: bool) -> torch.Tensor:
    """q k^T / sqrt(d), with -inf above the diagonal when causal; q, k: (B, H, T, D) -> (B, H, T, T)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.size(-1))
    if causal:
        t = q.size(-2)
        mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    return scores


def _gpt2_qk(block: torch.nn.Module, hidden: torch.Tensor, n_head: int):
    b, t, e = hidden.shape
    q, k, _ = block.attn.c_attn(block.ln_1(hidden)).split(e, dim=-1)
    return tuple(x.view(b, t, n_head, e // n_head).transpose(1, 2) for x in (q, k))  # (B, H, T, D)


def _llama_qk(layer: torch.nn.Module, hidden: torch.Tensor, position_embeddings, n_head: int, n_kv: int):
    b, t, e = hidden.shape
    d = e // n_head
    x = layer.input_layernorm(hidden)
    q = layer.self_attn.q_proj(x).view(b, t, n_head, d).transpose(1, 2)  # (B, H, T, D)
    k = layer.self_attn.k_proj(x).view(b, t, n_kv, d).transpose(1, 2)  # (B, KV, T, D)
    cos, sin = (part.unsqueeze(1) for part in position_embeddings)  # (B, 1, T, D): shared by the heads
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    return q, k.repeat_interleave(n_head // n_kv, dim=1)  # each KV head serves n_head / n_kv query heads


@torch.no_grad()
def queries_and_keys(model: PreTrainedModel, input_ids: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer, the queries and keys attention compares (float32, (H, T, D) each, positions
    applied, key heads repeated to one per query head), for one sequence."""
    layers = layers_of(model)
    with layer_inputs(layers) as captured:
        model(input_ids.view(1, -1).to(model.device))
    c = model.config
    out = []
    for layer, (hidden, kwargs) in zip(layers, captured):
        if c.model_type == "gpt2":
            q, k = _gpt2_qk(layer, hidden, c.n_head)
        else:
            q, k = _llama_qk(layer, hidden, kwargs["position_embeddings"], c.num_attention_heads,
                             c.num_key_value_heads)
        out.append((q[0].float(), k[0].float()))
    return out


def attention_weights(model: PreTrainedModel, input_ids: torch.Tensor) -> np.ndarray:
    """Attention of every layer and head for one sequence: array (layers, heads, query, key)."""
    weights = [_scores(q, k, causal=True).softmax(-1) for q, k in queries_and_keys(model, input_ids)]
    return torch.stack(weights).cpu().numpy()  # (L, H, T, T)


@dataclass(frozen=True)
class NeuronView:
    """One head's computation for one query token (BertViz's neuron view), as plain arrays."""

    query: np.ndarray  # (D,) the query vector q
    keys: np.ndarray  # (T, D) every key vector k_j (after RoPE for Llama)
    products: np.ndarray  # (T, D) q * k_j elementwise: each dimension's share of the score
    scores: np.ndarray  # (T,) q . k_j / sqrt(D); -inf for keys after the query (the causal mask)
    weights: np.ndarray  # (T,) softmax of the scores: the row of the attention map
    scale: float  # 1 / sqrt(D)


def neuron_view(model: PreTrainedModel, input_ids: torch.Tensor, layer: int, head: int, query: int) -> NeuronView:
    """q, the k's, q * k, the scaled dot products and their softmax for `query` in one head."""
    pairs = queries_and_keys(model, input_ids)
    require(0 <= layer < len(pairs), "layer must be between 0 and {last}, not {layer}.", last=len(pairs) - 1,
            layer=layer)
    q, k = pairs[layer]
    require(0 <= head < q.shape[0], "head must be between 0 and {last}, not {head}.", last=q.shape[0] - 1, head=head)
    require(0 <= query < q.shape[1], "The query token must be between 0 and {last}, not {query}.",
            last=q.shape[1] - 1, query=query)
    scale = 1.0 / math.sqrt(q.shape[-1])
    vector, keys = q[head, query], k[head]  # (D,), (T, D)
    products = vector[None, :] * keys  # (T, D)
    scores = products.sum(-1) * scale
    scores[query + 1:] = float("-inf")  # causal: later keys are never seen
    return NeuronView(vector.cpu().numpy(), keys.cpu().numpy(), products.cpu().numpy(), scores.cpu().numpy(),
                      scores.softmax(-1).cpu().numpy(), scale)
