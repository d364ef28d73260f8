"""Transformer anatomy: FlashAttention computed tile by tile; positional encodings, norms, activations and
attention variants, each drawn and then trained side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch
import torch.nn.functional as F

from app.components import charts
from app.components.experiments import run_experiment, summary, training_curves, validation_curves
from app.components.guard import user_errors
from app.components.steps import step_slider
from app.components.tabs import show_tabs
from core.anatomy import alibi_bias, memory_traffic, rope, sinusoidal, tiled_attention
from core.anatomy.activations import activation_curves
from core.anatomy.experiments import CONTEXT_FACTORS
from core.lm.config import LMConfig
from core.memory import kv_cache_bytes

chart_config = charts.export_config()  # the download button's format (sidebar)

st.title("Transformer anatomy")
st.caption("The parts inside a transformer block, each computed here and then swapped one at a time in a tiny "
           "model trained on the same data, budget and seed: what the part changes is measured, not asserted.")


def flash_attention_tab() -> None:
    a, b, c = st.columns(3)
    n = a.slider("Sequence length", 4, 64, 16, key="an_n")
    block = b.select_slider("Block size", [1, 2, 4, 8, 16, 32], value=4, key="an_block")
    causal = c.toggle("Causal", True, key="an_causal")
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 1, n, 8, generator=generator) for _ in range(3))
    with user_errors():
        out, steps = tiled_attention(q, k, v, block_size=block, causal=causal, trace=True)
        error = float((out - F.scaled_dot_product_attention(q, k, v, is_causal=causal)).abs().max())
        st.metric("Largest difference from standard attention", f"{error:.2e}")
        step = step_slider("Tile", len(steps), key="an_step", value=0)
        tiles = np.zeros(((n + block - 1) // block, (n + block - 1) // block))
        for i, s in enumerate(steps[: step + 1]):
            tiles[s.query_block, s.key_block] = 0.3 if s.skipped else (1.0 if i == step else 0.6)
        current = steps[step]
        left, right = st.columns(2)
        left.plotly_chart(charts.heatmap(tiles, x_title="key block", y_title="query block", zmin=0, zmax=1, height=340),
                          key="an_tiles", config=chart_config)
        if current.skipped:
            right.info("Above the causal diagonal: every score is masked, so the tile is never computed.")
        else:
            right.dataframe(pd.DataFrame({"running max m": current.running_max, "running sum l": current.running_sum}),
                            width="stretch")
            right.caption("Each new tile rescales the accumulated output by exp(m_old - m_new).")
    lengths = [2 ** p for p in range(8, 16)]
    traffic = [memory_traffic(L, 64) for L in lengths]

    def curves(*names: str) -> dict:
        return {name: (lengths, [t[name] for t in traffic]) for name in names}

    st.plotly_chart(charts.lines(curves("standard_extra_memory", "flash_extra_memory"), x_title="sequence length",
                                 y_title="bytes (fp16, one head)", log_x=True, log_y=True, height=320,
                                 title="Extra memory: the n x n score matrix vs two numbers per row"),
                    key="an_memory", config=chart_config)
    st.plotly_chart(charts.lines(curves("standard", "flash"), x_title="sequence length",
                                 y_title="bytes moved to and from HBM", log_x=True, log_y=True, height=320,
                                 title="Memory traffic (FlashAttention paper, Theorem 2; head size 64, 100 KB SRAM)"),
                    key="an_traffic", config=chart_config)


def positional_encodings_tab() -> None:
    a, b = st.columns(2)
    n_pos = a.slider("Positions", 8, 256, 64, key="an_positions")
    d_pos = b.select_slider("Dimensions", [16, 32, 64, 128], value=64, key="an_dims")
    table = sinusoidal(n_pos, d_pos).numpy()
    left, right = st.columns(2)
    left.plotly_chart(charts.heatmap(table, x_title="dimension", y_title="position", colorscale="RdBu", square=False,
                                     height=360, title="Sinusoidal encodings"), key="an_sin", config=chart_config)
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    right.plotly_chart(charts.heatmap(unit @ unit.T, x_title="position j", y_title="position i", colorscale="Viridis",
                                      height=360, title="Similarity of position i to j: a function of i - j"),
                       key="an_sin_sim", config=chart_config)
    generator = torch.Generator().manual_seed(0)
    query, key = torch.randn(1, d_pos, generator=generator), torch.randn(1, d_pos, generator=generator)
    offsets = np.arange(n_pos)
    scores = [float(rope(query, torch.tensor([o])) @ rope(key, torch.tensor([0])).T) for o in offsets]
    left.plotly_chart(charts.lines({"q . k": (offsets, scores)}, x_title="distance", y_title="q . k", markers=False,
                                   height=320, title="RoPE: a score depends only on the distance"),
                      key="an_rope", config=chart_config)
    right.plotly_chart(charts.heatmap(alibi_bias(16, 4)[0].numpy(), x_title="key", y_title="query",
                                      colorscale="Reds_r", height=320,
                                      title="ALiBi: a bias that grows with distance (head 1 of 4)"),
                       key="an_alibi", config=chart_config)
    st.divider()
    results = run_experiment("positions")
    if results:
        trained_context = results[0].config["block_size"]
        names = [f"{factor}x" for factor in CONTEXT_FACTORS]
        st.dataframe(summary(results, **{f"loss at {n}": (lambda r, n=n: r.context_losses.get(n)) for n in names}),
                     hide_index=True, width="stretch")
        left, right = st.columns(2)
        by_context = {r.label: (list(CONTEXT_FACTORS), [r.context_losses.get(n) for n in names]) for r in results}
        left.plotly_chart(charts.lines(by_context, x_title="evaluated context / trained context",
                                       y_title="validation loss", height=340,
                                       title=f"Extrapolation: trained on {trained_context} characters"),
                          key="an_extrapolation", config=chart_config)
        per_position = {r.label: (range(len(r.position_losses)), r.position_losses) for r in results}
        figure = charts.lines(per_position, x_title="position in the window", y_title="loss at that position",
                              height=340, title="Loss by position, windows 4x the trained length")
        figure.add_vline(x=trained_context - 0.5, line_dash="dot", annotation_text="trained context")
        right.plotly_chart(figure, key="an_per_position", config=chart_config)
        st.plotly_chart(validation_curves(results), key="an_positions_curves", config=chart_config)
        st.caption("A learned table has nothing trained beyond the training context (its rows there are still "
                   "random); sinusoids and rotations were never seen at those angles; ALiBi only ever sees "
                   "distances, and a longer window just adds more distant keys it already discounts.")


def norm_placement_tab() -> None:
    st.markdown("Pre-Norm: `x + f(norm(x))`, then one norm before the output head. Post-Norm (the original "
                "transformer): `norm(x + f(x))`. RMSNorm drops LayerNorm's mean subtraction and bias: "
                "`x / rms(x) * g`.")
    results = run_experiment("norms")
    if results:
        st.dataframe(summary(results), hide_index=True, width="stretch")
        left, right = st.columns(2)
        gradients = {r.label: (range(1, len(r.init_grad_norms) + 1), r.init_grad_norms) for r in results}
        left.plotly_chart(charts.lines(gradients, x_title="layer (1 = nearest the input)", y_title="gradient norm",
                                       height=340, title="Gradient norm per layer at initialisation"),
                          key="an_norm_grads", config=chart_config)
        right.plotly_chart(training_curves(results), key="an_norm_curves", config=chart_config)
        st.caption("At initialisation Post-Norm's gradients grow toward the output layers, so one learning rate "
                   "fits no layer and, without a warm-up, training stalls; Pre-Norm keeps an identity path from "
                   "the loss to every layer.")


def activation_functions_tab() -> None:
    x = torch.linspace(-4, 4, 161, dtype=torch.float64)
    curves = {name: (value.tolist(), slope.tolist()) for name, (value, slope) in activation_curves(x).items()}
    x = x.tolist()
    left, right = st.columns(2)
    left.plotly_chart(charts.lines({name: (x, value) for name, (value, _) in curves.items()}, x_title="x",
                                   y_title="f(x)", height=340, title="Activations"),
                      key="an_act_values", config=chart_config)
    right.plotly_chart(charts.lines({name: (x, slope) for name, (_, slope) in curves.items()}, x_title="x",
                                    y_title="f'(x)", height=340, title="Derivatives (by autograd)"),
                       key="an_act_slopes", config=chart_config)
    st.caption("ReLU's gradient is 0 or 1; GELU and Swish are smooth and let a little negative signal through; "
               "a gated unit multiplies two projections, so its output can grow quadratically. Gated MLPs "
               "here are 8/3 wide instead of 4x, so every variant has the same number of parameters.")
    results = run_experiment("activations")
    if results:
        st.dataframe(summary(results), hide_index=True, width="stretch")
        st.plotly_chart(validation_curves(results), key="an_act_curves", config=chart_config)


def attention_variants_tab() -> None:
    a, b, c = st.columns(3)
    heads = a.select_slider("Query heads", [4, 8, 16, 32], value=8, key="an_heads")
    width = b.select_slider("Width", [128, 256, 512, 1024], value=512, key="an_width")
    context = c.select_slider("Context", [512, 2048, 8192], value=2048, key="an_context")
    rows = []
    for name, kv in (("MHA", heads), ("GQA", max(1, heads // 4)), ("MQA", 1)):
        config = LMConfig(n_layer=8, n_head=heads, n_kv_head=kv, n_embd=width, block_size=context)
        rows.append({"attention": name, "key/value heads": kv, "parameters": config.parameter_count(32000),
                     "KV cache per sequence (MB, fp16)": kv_cache_bytes(
                         batch=1, seq_len=context, n_layers=8, n_kv_heads=kv, head_dim=width // heads,
                         bytes_per_value=2) / 1e6})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Sharing key/value heads shrinks the cache (and the K/V projections) in proportion.")
    results = run_experiment("attention")
    if results:
        def cache_kb(r) -> float:
            c = r.config
            return kv_cache_bytes(batch=1, seq_len=c["block_size"], n_layers=c["n_layer"], n_kv_heads=c["n_kv_head"],
                                  head_dim=c["n_embd"] // c["n_head"], bytes_per_value=4) / 1e3

        st.dataframe(summary(results, **{"KV cache per sequence (KB, fp32)": cache_kb}), hide_index=True,
                     width="stretch")
        st.plotly_chart(validation_curves(results), key="an_variant_curves", config=chart_config)


show_tabs({
    "FlashAttention": flash_attention_tab,
    "Positional encodings": positional_encodings_tab,
    "Pre-Norm vs Post-Norm": norm_placement_tab,
    "Activations": activation_functions_tab,
    "MHA, GQA, MQA": attention_variants_tab,
}, key="an_tab")
