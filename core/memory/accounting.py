"""What a model costs in memory: weights, gradients, optimizer states, KV cache, activations.

`kv_cache_bytes` is the formula every serving system uses; `measure_kv_cache` reads the bytes of
the tensors a real `transformers` model keeps in its `DynamicCache`, and the tests hold the two
equal. Training memory follows the mixed-precision accounting of the ZeRO paper (Rajbhandari et
al., 2020): 2 bytes of fp16 weights + 2 of fp16 gradients + 12 of fp32 optimizer state (master
weights, Adam's two moments) per parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core.errors import InvalidSetting, require

BYTES_PER_VALUE = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.0, "fp8": 1.0, "int4": 0.5}
MAX_SEQUENCE = 10_000_000  # beyond any released context: a typo, not a configuration


def bytes_per_value(dtype: str) -> float:
    if dtype not in BYTES_PER_VALUE:
        raise InvalidSetting("dtype must be one of {choices}, not {dtype!r}.", choices=", ".join(BYTES_PER_VALUE),
                             dtype=dtype)
    return BYTES_PER_VALUE[dtype]


def _positive(**values: float) -> None:
    for name, value in values.items():
        require(isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0,
                "{name} must be a positive number, not {value!r}.", name=name, value=value)


def kv_cache_bytes(*, batch: int, seq_len: int, n_layers: int, n_kv_heads: int, head_dim: int,
                   bytes_per_value: float, sliding_window: int | None = None) -> int:
    """batch x seq_len x n_layers x 2 (K and V) x n_kv_heads x head_dim x bytes per value.

    With a sliding window only the last `sliding_window` positions are kept.
    """
    _positive(batch=batch, seq_len=seq_len, n_layers=n_layers, n_kv_heads=n_kv_heads, head_dim=head_dim,
              bytes_per_value=bytes_per_value)
    require(seq_len <= MAX_SEQUENCE, "seq_len {seq_len:,} is longer than any model's context; check the number.",
            seq_len=seq_len)
    kept = min(seq_len, sliding_window) if sliding_window else seq_len
    return int(batch * kept * n_layers * 2 * n_kv_heads * head_dim * bytes_per_value)


def check_heads(n_heads: int, n_kv_heads: int, hidden: int) -> None:
    """Heads must divide the width, and key/value heads must divide the query heads."""
    _positive(n_heads=n_heads, n_kv_heads=n_kv_heads, hidden=hidden)
    require(hidden % n_heads == 0, "{n_heads} heads do not divide the width {hidden}: choose a divisor of {hidden}.",
            n_heads=n_heads, hidden=hidden)
    require(n_heads % n_kv_heads == 0,
            "{n_kv_heads} key/value heads do not divide {n_heads} query heads (GQA groups must be equal).",
            n_kv_heads=n_kv_heads, n_heads=n_heads)


@dataclass(frozen=True)
class Memory:
    weights: float
    gradients: float = 0.0
    optimizer: float = 0.0
    kv_cache: float = 0.0
    activations: float = 0.0

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer + self.kv_cache + self.activations


def model_memory(n_params: float, *, dtype: str = "bf16", training: bool = False, optimizer: str = "adamw",
                 kv_cache: float = 0.0, activations: float = 0.0) -> Memory:
    """Bytes for weights (and, training with mixed precision, gradients and optimizer states).

    Inference: n_params x bytes(dtype), plus any KV cache and activation estimate passed in.
    Training with Adam(W) in mixed precision (ZeRO's accounting): 2 + 2 + 12 = 16 bytes per
    parameter before activations; plain SGD with momentum keeps 4 + 4 instead of 12.
    """
    _positive(n_params=n_params)
    if not training:
        return Memory(n_params * bytes_per_value(dtype), kv_cache=kv_cache, activations=activations)
    state = {"adamw": 12.0, "adam": 12.0, "sgd": 8.0}
    require(optimizer in state, "optimizer must be one of {choices}, not {optimizer!r}.", choices=", ".join(state),
            optimizer=optimizer)
    return Memory(2.0 * n_params, 2.0 * n_params, state[optimizer] * n_params, activations=activations)


def inference_activations(*, batch: int, seq_len: int, hidden: int, intermediate: int, n_heads: int,
                          bytes_per_value: float, flash: bool = True) -> float:
    """A peak-activation estimate for one forward pass (layers run one after another, so one
    layer's working set counts): the residual stream, the MLP's hidden layer, and, without a
    fused (flash) kernel, the attention score matrix."""
    per_token = 2 * hidden + intermediate
    scores = 0 if flash else batch * n_heads * seq_len * seq_len
    return (batch * seq_len * per_token + scores) * bytes_per_value


def sequences_that_fit(gpu_bytes: float, weights: float, per_sequence: float) -> int:
    """How many sequences' caches fit beside the weights."""
    if per_sequence <= 0 or gpu_bytes <= weights:
        return 0
    return math.floor((gpu_bytes - weights) / per_sequence)


@dataclass(frozen=True)
class CacheMeasurement:
    prefill_per_layer: list[int]  # bytes of K and V per layer right after the prompt
    per_step_total: list[int]  # total cache bytes after prefill, then after each new token
    final_per_layer: list[int]
    seq_lens: list[int]  # the cached length at each entry of per_step_total
    peak_cuda_bytes: int | None = None  # torch.cuda.max_memory_allocated during the run, on a GPU


@torch.no_grad()
def measure_kv_cache(model, *, batch: int, prompt_len: int, new_tokens: int, seed: int = 0) -> CacheMeasurement:
    """Generate with the real model (random prompt tokens) and read the bytes its cache holds.

    Reads `cache.layers[i].keys` and `.values` of transformers' `DynamicCache` after the prefill
    and after every decoded token.
    """
    from transformers import DynamicCache

    _positive(batch=batch, prompt_len=prompt_len)
    require(isinstance(new_tokens, int) and new_tokens >= 0, "new_tokens must be 0 or more.")
    limit = getattr(model.config, "n_positions", None) or model.config.max_position_embeddings
    require(prompt_len + new_tokens <= limit, "prompt_len + new_tokens must be at most the context, {limit}.",
            limit=limit)
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(model.config.vocab_size, (batch, prompt_len), generator=generator).to(model.device)
    cache = DynamicCache()
    on_cuda = ids.device.type == "cuda"
    if on_cuda:
        torch.cuda.reset_peak_memory_stats(ids.device)

    def per_layer() -> list[int]:
        return [layer.keys.nbytes + layer.values.nbytes for layer in cache.layers]

    logits = model(input_ids=ids, cache=cache, use_cache=True).logits
    prefill, totals, lengths = per_layer(), [sum(per_layer())], [prompt_len]
    for step in range(new_tokens):
        token = logits[:, -1].argmax(-1, keepdim=True)
        logits = model(input_ids=token, cache=cache, use_cache=True).logits
        totals.append(sum(per_layer()))
        lengths.append(prompt_len + step + 1)
    peak = torch.cuda.max_memory_allocated(ids.device) if on_cuda else None
    return CacheMeasurement(prefill, totals, per_layer(), lengths, peak)
