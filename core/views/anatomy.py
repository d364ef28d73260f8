"""What the transformer anatomy page shows: FlashAttention tile by tile, the pictures of positional
encodings and activations, and the experiments that train tiny decoders differing in one part.

The page's settings are declared here (`PARAMS`); each tab is one function returning plain data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from core.anatomy import alibi_bias, memory_traffic, rope, sinusoidal, tiled_attention
from core.anatomy.activations import activation_curves
from core.anatomy.experiments import CONTEXT_FACTORS, EXPERIMENTS, VariantResult, parts_of
from core.anatomy.flash import TileStep
from core.anatomy.jobs import experiment_specs
from core.errors import require
from core.i18n import N_
from core.jobs import JobSpec
from core.lm.config import LMConfig
from core.memory import kv_cache_bytes
from core.views.params import Choice, Flag, Number, Params

TABS = {"flash": N_("FlashAttention"), "positions": N_("Positional encodings"), "norms": N_("Pre-Norm vs Post-Norm"),
        "activations": N_("Activations"), "attention": N_("MHA, GQA, MQA")}
STEP_CHOICES = (25, 50, 100, 150, 200, 400, 800)
TRAFFIC_LENGTHS = tuple(2 ** p for p in range(8, 16))
HEAD_SIZE = 64  # the memory-traffic charts' head size
NOT_YET, EARLIER, NOW, SKIPPED = 0, 1, 2, 3
TILE_STATES = {NOT_YET: N_("not computed yet"), EARLIER: N_("computed earlier"), NOW: N_("computed now"),
               SKIPPED: N_("skipped: above the causal diagonal")}
TILE_MARKS = {NOT_YET: "", EARLIER: "✓", NOW: "●", SKIPPED: "×"}  # the states in symbols, not colour alone
CONTEXT_COLUMNS = {"1x": N_("loss at 1x the context"), "2x": N_("loss at 2x the context"),
                   "4x": N_("loss at 4x the context")}

TAB = Choice("an_tab", "flash", N_("Section"), options=tuple(TABS), names=TABS)
LENGTH = Number("an_n", 16, N_("Sequence length"), low=4, high=64)
BLOCK = Choice("an_block", 4, N_("Block size"), options=(1, 2, 4, 8, 16, 32))
CAUSAL = Flag("an_causal", True, N_("Causal"))
TILE = Number("an_tile", 0, N_("Tile"), low=0, high=4095, help=N_("Tiles in the order the algorithm visits them."))
POSITIONS = Number("an_positions", 64, N_("Positions"), low=8, high=256)
DIMS = Choice("an_dims", 64, N_("Dimensions"), options=(16, 32, 64, 128))
BUDGETS = {name: Choice(f"an_{name}_steps", e.steps, N_("Training steps per variant"), options=STEP_CHOICES,
                        help=N_("The same budget for every variant; each step is one batch of 32 x 64 characters."))
           for name, e in EXPERIMENTS.items()}
SEEDS = {name: Number(f"an_{name}_seed", 0, N_("Seed"), low=0, high=9999,
                      help=N_("Initialisation and batch order: the same seed gives the same curves."))
         for name in EXPERIMENTS}
QUERY_HEADS = Choice("an_heads", 8, N_("Query heads"), options=(4, 8, 16, 32))
WIDTH = Choice("an_width", 512, N_("Width"), options=(128, 256, 512, 1024))
CONTEXT = Choice("an_context", 2048, N_("Context"), options=(512, 2048, 8192))
PARAMS = Params("an_", [TAB, LENGTH, BLOCK, CAUSAL, TILE, POSITIONS, DIMS, *BUDGETS.values(), *SEEDS.values(),
                        QUERY_HEADS, WIDTH, CONTEXT])


def first_models() -> list[JobSpec]:
    """Every experiment's variants at its default budget and seed."""
    return [spec for name in EXPERIMENTS for spec in experiment_specs(name)]


# ---- FlashAttention ----------------------------------------------------------------------------------
def tile_count(n: int, block: int) -> int:
    """Tiles (query block x key block) the algorithm visits, skipped ones included."""
    return math.ceil(n / block) ** 2


@dataclass(frozen=True)
class Flash:
    error: float  # the largest difference from standard attention
    grid: list[list[int]]  # query block x key block: NOT_YET, EARLIER, NOW or SKIPPED
    marks: list[list[str]]  # the same as symbols
    step: TileStep  # the tile at `tile`: its running max and sum per query row


def flash(n: int, block: int, causal: bool, tile: int) -> Flash:
    """Tiled attention of random q, k, v (one head, head size 8), compared with PyTorch's, and the
    tiles' states after the first `tile` + 1 of them."""
    count = tile_count(n, block)
    require(0 <= tile < count, "The tile must be between 0 and {last}, not {tile}.", last=count - 1, tile=tile)
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 1, n, 8, generator=generator) for _ in range(3))
    out, steps = tiled_attention(q, k, v, block_size=block, causal=causal, trace=True)
    error = float((out - F.scaled_dot_product_attention(q, k, v, is_causal=causal)).abs().max())
    side = math.ceil(n / block)
    grid = [[NOT_YET] * side for _ in range(side)]
    for i, s in enumerate(steps[:tile + 1]):
        grid[s.query_block][s.key_block] = SKIPPED if s.skipped else (NOW if i == tile else EARLIER)
    return Flash(error, grid, [[TILE_MARKS[state] for state in row] for row in grid], steps[tile])


@dataclass(frozen=True)
class Traffic:
    lengths: list[int]
    extra_memory: dict[str, list[float]]  # English name -> bytes beside q, k, v and the output
    moved: dict[str, list[float]]  # English name -> bytes read and written in HBM


def traffic() -> Traffic:
    """Extra memory and HBM traffic of standard and tiled attention (FlashAttention, Theorem 2)."""
    rows = [memory_traffic(n, HEAD_SIZE) for n in TRAFFIC_LENGTHS]
    return Traffic(list(TRAFFIC_LENGTHS),
                   {N_("standard: the n x n score matrix"): [r["standard_extra_memory"] for r in rows],
                    N_("FlashAttention: two numbers per row"): [r["flash_extra_memory"] for r in rows]},
                   {N_("standard attention"): [r["standard"] for r in rows],
                    N_("FlashAttention"): [r["flash"] for r in rows]})


# ---- pictures: positions and activations -----------------------------------------------------------
@dataclass(frozen=True)
class Encodings:
    table: np.ndarray  # (positions, dims) sinusoidal encodings
    similarity: np.ndarray  # (positions, positions) cosine similarity of their rows
    offsets: list[int]
    rope_scores: list[float]  # q . k with q at each offset and k at 0, RoPE applied
    alibi: np.ndarray  # (16, 16) ALiBi's bias for head 1 of 4


def encodings(n: int, d: int) -> Encodings:
    table = sinusoidal(n, d).numpy()
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    generator = torch.Generator().manual_seed(0)
    query, key = torch.randn(1, d, generator=generator), torch.randn(1, d, generator=generator)
    rotated_key = rope(key, torch.tensor([0]))
    scores = [float(rope(query, torch.tensor([o])) @ rotated_key.T) for o in range(n)]
    return Encodings(table, unit @ unit.T, list(range(n)), scores, alibi_bias(16, 4)[0].numpy())


@dataclass(frozen=True)
class Activations:
    x: list[float]
    values: dict[str, list[float]]  # name -> f(x)
    slopes: dict[str, list[float]]  # name -> f'(x), by autograd


def activations() -> Activations:
    x = torch.linspace(-4, 4, 161, dtype=torch.float64)
    curves = activation_curves(x)
    return Activations(x.tolist(), {name: value.tolist() for name, (value, _) in curves.items()},
                       {name: slope.tolist() for name, (_, slope) in curves.items()})


def attention_variants(heads: int, width: int, context: int, layers: int = 8, vocab: int = 32_000) -> list[dict]:
    """Parameters and KV cache of MHA, GQA (a quarter of the heads) and MQA at one shape."""
    rows = []
    for name, kv in (("MHA", heads), ("GQA", max(1, heads // 4)), ("MQA", 1)):
        config = LMConfig(n_layer=layers, n_head=heads, n_kv_head=kv, n_embd=width, block_size=context)
        rows.append({N_("attention"): name, N_("key/value heads"): kv,
                     N_("parameters"): config.parameter_count(vocab),
                     N_("KV cache per sequence (MB, fp16)"): kv_cache_bytes(
                         batch=1, seq_len=context, n_layers=layers, n_kv_heads=kv, head_dim=width // heads,
                         bytes_per_value=2) / 1e6})
    return rows


# ---- experiments ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    specs: list[JobSpec]
    labels: list[str]
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (English template, fields): budget warnings


def plan(name: str, steps: int, seed: int) -> Plan:
    """The experiment's jobs at this budget, with warnings where the budget is too small to show
    what the experiment is about."""
    specs = experiment_specs(name, steps=steps, seed=seed)
    return Plan(specs, list(EXPERIMENTS[name].variants), budget_notes(specs))


def budget_notes(specs: Sequence[JobSpec]) -> list[tuple[str, dict]]:
    """Too few steps for a curve (validation runs every `eval_interval` steps: under two intervals
    the charts hold one point), and any warm-up not shorter than the budget (it never ends, and
    its variant looks worst for no reason the experiment is about)."""
    notes = []
    steps = specs[0].settings["steps"]
    interval = parts_of(specs[0].settings["changes"])[0].eval_interval
    if steps < 2 * interval:
        notes.append((N_("With {steps} steps, validation is measured once (every {interval} steps): the curves are a "
                         "single point. Choose at least {least} steps."),
                      {"steps": steps, "interval": interval, "least": 2 * interval}))
    for spec in specs:
        warmup = parts_of(spec.settings["changes"])[0].warmup_steps
        if warmup >= steps:
            notes.append((N_("{variant} warms up for {warmup} steps, not fewer than the {steps} it trains: it never "
                             "reaches its full learning rate, so it is not a fair comparison."),
                          {"variant": spec.settings["variant"], "warmup": warmup, "steps": steps}))
    return notes


def summary(name: str, results: Sequence[VariantResult]) -> list[dict]:
    """One row per variant (English column names): parameters, final validation loss, time, and
    the experiment's own measures (losses at longer contexts; the KV cache)."""
    rows = []
    for r in results:
        row = {N_("variant"): r.label, N_("parameters"): r.parameters,
               N_("validation loss"): None if r.diverged else r.final_val_loss, N_("diverged"): r.diverged,
               N_("training time (s)"): round(r.elapsed_s, 1)}
        if name == "positions":
            row.update({CONTEXT_COLUMNS[f"{f}x"]: r.context_losses.get(f"{f}x") for f in CONTEXT_FACTORS})
        if name == "attention":
            c = r.config
            row[N_("KV cache per sequence (KB, fp32)")] = kv_cache_bytes(
                batch=1, seq_len=c["block_size"], n_layers=c["n_layer"], n_kv_heads=c["n_kv_head"],
                head_dim=c["n_embd"] // c["n_head"], bytes_per_value=4) / 1e3
        rows.append(row)
    return rows


Series = dict[str, tuple[list[float], list[float]]]


def validation_curves(results: Sequence[VariantResult]) -> Series:
    return {r.label: ([h["step"] for h in r.history if "val_loss" in h],
                      [h["val_loss"] for h in r.history if "val_loss" in h]) for r in results}


def training_curves(results: Sequence[VariantResult], smooth: int = 10) -> Series:
    """Training loss per step, the mean of the last `smooth` steps, so the variants can be told apart."""
    series = {}
    for r in results:
        losses = np.array([h["train_loss"] for h in r.history], dtype=float)
        sums = np.cumsum(np.insert(losses, 0, 0.0))
        starts = np.maximum(np.arange(1, len(losses) + 1) - smooth, 0)
        means = (sums[1:] - sums[starts]) / (np.arange(1, len(losses) + 1) - starts)
        series[r.label] = ([h["step"] for h in r.history], means.tolist())
    return series


@dataclass(frozen=True)
class Extrapolation:
    trained_context: int
    factors: list[int]
    by_context: Series  # label -> (factors, validation loss at that multiple of the context)
    by_position: Series  # label -> (positions, loss at each position of windows 4x the context)


def extrapolation(results: Sequence[VariantResult]) -> Extrapolation:
    factors = list(CONTEXT_FACTORS)
    return Extrapolation(results[0].config["block_size"], factors,
                         {r.label: (factors, [r.context_losses.get(f"{f}x") for f in factors]) for r in results},
                         {r.label: (list(range(len(r.position_losses))), r.position_losses) for r in results})


def gradient_norms(results: Sequence[VariantResult]) -> Series:
    """Label -> (layer, 1 nearest the input; gradient norm at initialisation)."""
    return {r.label: (list(range(1, len(r.init_grad_norms) + 1)), r.init_grad_norms) for r in results}
