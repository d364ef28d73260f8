"""What the KV cache & memory page shows: the calculator, the measured cache, why cache, paging.

The worked example of docs/contributing.md: the page's settings are declared here (`PARAMS`), and
each tab is one function returning plain data that the page draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from core.errors import require
from core.i18n import N_
from core.lm.config import LMConfig, intermediate_size
from core.lm.model import build_model
from core.memory import (BYTES_PER_VALUE, PRESETS, Preset, bytes_per_value, check_heads, inference_activations,
                         kv_cache_bytes, measure_kv_cache, model_memory, sequences_that_fit)
from core.memory.paging import simulate
from core.memory.timing import time_per_token
from core.views.params import Choice, Number, Params

GB, GIB = 1e9, 2**30
CUSTOM = "custom"
ATTENTION = {"released": N_("as released"), "MHA": "MHA", "GQA": "GQA", "MQA": "MQA"}
GPUS_GB = (16, 24, 40, 48, 80, 141, 192)
CUSTOM_VOCAB = 32_000  # a custom model is Llama-style, with Llama 2's vocabulary
TIMING_LENGTHS = (8, 32, 64, 128, 192, 255)
MEASURED_MODELS = ((N_("MHA (4 KV heads)"), 4), (N_("GQA (2 KV heads)"), 2), (N_("MQA (1 KV head)"), 1))

TAB = Choice("mem_tab", "calculator", N_("Section"), options=("calculator", "measured", "why", "paged"),
             names={"calculator": N_("Calculator"), "measured": N_("Measured"), "why": N_("Why cache at all"),
                    "paged": N_("Paged vs contiguous")})
PRESET = Choice("mem_preset", "Llama 3 8B", N_("Model"), options=(*PRESETS, CUSTOM), names={CUSTOM: N_("custom")},
                help=N_("A released model's configuration, or your own (custom)."))
LAYERS = Number("mem_layers", 32, N_("Layers"), low=1, high=512)
HEADS = Number("mem_heads", 32, N_("Query heads"), low=1, high=512)
HIDDEN = Number("mem_hidden", 4096, N_("Width"), low=8, high=65536, step=8)
ATTENTION_KIND = Choice("mem_attention", "released", N_("Attention"), options=tuple(ATTENTION), names=ATTENTION,
                        help=N_("Keep the model's own key/value heads, or compare with MHA, GQA or MQA."))
GROUPS = Choice("mem_groups", 8, N_("Key/value heads (g groups)"))
BATCH = Number("mem_batch", 1, N_("Batch"), low=1, high=4096)
CONTEXT = Number("mem_context", 8192, N_("Context length"), low=1, high=2_000_000)
DTYPE = Choice("mem_dtype", "bf16", N_("Weights dtype"), options=tuple(BYTES_PER_VALUE))
KV_DTYPE = Choice("mem_kv_dtype", "bf16", N_("Cache dtype"), options=tuple(BYTES_PER_VALUE))
WINDOW = Number("mem_window", 0, N_("Sliding window (0: none)"), low=0, high=2_000_000,
                help=N_("Mistral keeps only the last 4096 positions in its cache."))
GPU = Choice("mem_gpu", 80, N_("GPU memory (GB)"), options=GPUS_GB)
M_BATCH = Number("mem_m_batch", 2, N_("Batch"), low=1, high=8)
M_PROMPT = Number("mem_m_prompt", 12, N_("Prompt tokens"), low=1, high=32)
M_NEW = Number("mem_m_new", 16, N_("New tokens"), low=0, high=32)
REQUESTS = Number("mem_p_requests", 8, N_("Requests"), low=2, high=32)
MAX_LENGTH = Choice("mem_p_max", 512, N_("Maximum length"), options=(128, 256, 512, 1024, 2048))
BLOCK = Choice("mem_p_block", 16, N_("Block size (tokens)"), options=(4, 8, 16, 32, 64))
PARAMS = Params("mem_", [TAB, PRESET, LAYERS, HEADS, HIDDEN, ATTENTION_KIND, GROUPS, BATCH, CONTEXT, DTYPE,
                         KV_DTYPE, WINDOW, GPU, M_BATCH, M_PROMPT, M_NEW, REQUESTS, MAX_LENGTH, BLOCK])


# ---- the calculator -----------------------------------------------------------------------------
def preset_settings(name: str) -> dict[str, Any]:
    """The settings a preset fills in when it is chosen (the page's dependent fields)."""
    preset = PRESETS.get(name)
    if preset is None:
        return {}
    return {LAYERS.key: preset.n_layers, HEADS.key: preset.n_heads, HIDDEN.key: preset.hidden,
            GROUPS.key: preset.n_kv_heads, WINDOW.key: preset.sliding_window or 0}


def group_options(heads: int) -> list[int]:
    """Key/value head counts that divide the query heads (equal GQA groups)."""
    return [g for g in range(1, heads + 1) if heads % g == 0]


def model_of(name: str, *, layers: int, heads: int, hidden: int, attention: str, groups: int) -> Preset:
    """The model the calculator prices: a preset with its attention changed, or a custom
    Llama-style model (SwiGLU width 8/3 x the model width, a 32,000-token vocabulary)."""
    if name != CUSTOM:
        require(name in PRESETS, "No model named {name!r}.", name=name)
        base = PRESETS[name]
        layers, heads, hidden = base.n_layers, base.n_heads, base.hidden
        intermediate, vocab, context, style = base.intermediate, base.vocab, base.context, base.style
        window = base.sliding_window
    else:
        intermediate, vocab, context, style, window = intermediate_size(hidden), CUSTOM_VOCAB, 2**20, "llama", None
        base = None
    kv_heads = {"MHA": heads, "MQA": 1, "GQA": groups}.get(attention, base.n_kv_heads if base else heads)
    check_heads(heads, kv_heads, hidden)
    return Preset(name, layers, heads, kv_heads, hidden, intermediate, vocab, context, style,
                  base.published if base else 0, window)


@dataclass(frozen=True)
class Breakdown:
    """Bytes of each part, their total in GB (10^9) and GiB (2^30)."""

    parts: dict[str, float]  # English part name (N_-marked) -> bytes

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    @property
    def total_gb(self) -> float:
        return self.total / GB

    @property
    def total_gib(self) -> float:
        return self.total / GIB


@dataclass(frozen=True)
class Calculation:
    model: Preset
    parameters: int
    kv_per_token_bytes: float  # per sequence and token, all layers
    inference: Breakdown
    training: Breakdown
    lengths: list[int]  # the curve of cache size against context
    cache_gb: list[float]
    weights_gb: float
    gpu_gb: int
    sequences: int  # sequences of this context whose caches fit beside the weights
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (English template, fields)


def calculate(model: Preset, *, batch: int, context: int, dtype: str, kv_dtype: str, window: int,
              gpu_gb: int) -> Calculation:
    """Weights, KV cache and activations for inference; weights, gradients and Adam's states for
    mixed-precision training (ZeRO's 16 bytes per parameter); the cache's growth with context."""
    parameters = model.parameters
    kept = window or None

    def cache(length: int, sequences: int = batch) -> int:
        return kv_cache_bytes(batch=sequences, seq_len=length, n_layers=model.n_layers, n_kv_heads=model.n_kv_heads,
                              head_dim=model.head_dim, bytes_per_value=bytes_per_value(kv_dtype), sliding_window=kept)

    kv = cache(context)
    activations = inference_activations(batch=batch, seq_len=context, hidden=model.hidden,
                                        intermediate=model.intermediate, n_heads=model.n_heads,
                                        bytes_per_value=bytes_per_value(dtype))
    inference = model_memory(parameters, dtype=dtype, kv_cache=kv, activations=activations)
    training = model_memory(parameters, training=True)
    lengths = sorted({2**k for k in range(7, 21) if 2**k <= max(context * 4, 1024)} | {context})
    notes = []
    if context > model.context:
        notes.append((N_("{name} was trained with a context of {limit:,} tokens; {context:,} is beyond it."),
                      {"name": model.name, "limit": model.context, "context": context}))
    if window and window >= context:
        notes.append((N_("The window ({window:,}) is not shorter than the context: it changes nothing here."),
                      {"window": window}))
    return Calculation(
        model, parameters, cache(min(context, window or context), 1) / min(context, window or context),
        Breakdown({N_("weights"): inference.weights, N_("KV cache"): inference.kv_cache,
                   N_("activations"): inference.activations}),
        Breakdown({N_("weights"): training.weights, N_("gradients"): training.gradients,
                   N_("optimizer states"): training.optimizer}),
        lengths, [cache(n) / GB for n in lengths], inference.weights / GB, gpu_gb,
        sequences_that_fit(gpu_gb * GB, inference.weights, kv / batch), notes)


# ---- measured on real models --------------------------------------------------------------------
@dataclass(frozen=True)
class MeasuredCache:
    rows: list[dict]  # model, per layer measured, total measured, formula, agree, GPU peak (on CUDA)
    growth: list[dict]  # model, cached tokens, bytes, phase (prefill or decode)


def measure_caches(batch: int, prompt_len: int, new_tokens: int, device: torch.device | str = "cpu") -> MeasuredCache:
    """Three tiny Llama-style models differing only in their key/value heads generate; the bytes
    their `DynamicCache` holds are read from its tensors and set beside the formula."""
    rows, growth = [], []
    for label, kv_heads in MEASURED_MODELS:
        config = LMConfig(n_kv_head=kv_heads)
        model = build_model(config, 65).to(device).eval()
        result = measure_kv_cache(model, batch=batch, prompt_len=prompt_len, new_tokens=new_tokens)
        predicted = kv_cache_bytes(batch=batch, seq_len=prompt_len + new_tokens, n_layers=config.n_layer,
                                   n_kv_heads=kv_heads, head_dim=config.head_dim, bytes_per_value=4)
        rows.append({"model": label, "per_layer": result.final_per_layer[0], "total": result.per_step_total[-1],
                     "formula": predicted, "agree": result.per_step_total[-1] == predicted,
                     "gpu_peak": result.peak_cuda_bytes})
        growth += [{"model": label, "tokens": n, "bytes": v, "phase": N_("prefill") if i == 0 else N_("decode")}
                   for i, (n, v) in enumerate(zip(result.seq_lens, result.per_step_total))]
    return MeasuredCache(rows, growth)


# ---- why cache at all ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CacheTiming:
    lengths: list[int]
    cached_ms: list[float]  # time for the next token with a cache of n tokens (median of repeats)
    uncached_ms: list[float]  # time for the next token re-reading all n tokens
    cached_total_s: list[float]  # generating n tokens one by one, in all (summed over the steps)
    uncached_total_s: list[float]


def cache_timing(device: torch.device | str = "cpu", lengths: tuple[int, ...] = TIMING_LENGTHS,
                 repeats: int = 5) -> CacheTiming:
    """Per-token time with and without a cache on the default model shape (256-token context), and
    the cumulative time to generate n tokens (trapezoid between the measured lengths)."""
    model = build_model(LMConfig(block_size=256), 65).to(device).eval()
    rows = time_per_token(model, lengths=list(lengths), repeats=repeats)
    cached = [r["cached_s"] for r in rows]
    uncached = [r["uncached_s"] for r in rows]
    return CacheTiming(list(lengths), [c * 1e3 for c in cached], [u * 1e3 for u in uncached],
                       _cumulative(list(lengths), cached), _cumulative(list(lengths), uncached))


def _cumulative(lengths: list[int], per_token: list[float]) -> list[float]:
    totals, total, previous = [], 0.0, (0, per_token[0])
    for n, seconds in zip(lengths, per_token):
        total += (n - previous[0]) * (seconds + previous[1]) / 2
        totals.append(total)
        previous = (n, seconds)
    return totals


# ---- paged vs contiguous ------------------------------------------------------------------------
GRID_WIDTH = 16  # physical blocks per row of the picture


@dataclass(frozen=True)
class Paging:
    contiguous_reserved: int
    paged_reserved: int
    contiguous_waste: float
    paged_waste: float
    grid: list[list[int]]  # physical blocks, GRID_WIDTH a row: the request owning each (-1: free)
    requests: list[dict]  # request, tokens, block table


def paging(n_requests: int, max_length: int, block_size: int) -> Paging:
    """PagedAttention's allocation against a contiguous one for requests of random lengths."""
    sim = simulate(n_requests, max_length, block_size)
    owner = {block: request for request, table in enumerate(sim.block_tables) for block in table}
    rows = (len(owner) + GRID_WIDTH - 1) // GRID_WIDTH
    grid = [[owner.get(r * GRID_WIDTH + c, -1) for c in range(GRID_WIDTH)] for r in range(rows)]
    requests = [{"request": i, "tokens": n, "blocks": " ".join(map(str, table))}
                for i, (n, table) in enumerate(zip(sim.lengths, sim.block_tables))]
    return Paging(sim.contiguous_reserved, sim.paged_reserved, sim.contiguous_waste, sim.paged_waste, grid, requests)
