"""KV cache & memory: what a model costs, predicted by formula and measured on real models."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app.cache import kv_cache_measurement
from app.components import charts
from app.components.guard import user_errors
from app.components.tabs import show_tabs
from core.lm.config import LMConfig
from core.lm.model import build_model
from core.memory import (BYTES_PER_VALUE, PRESETS, Preset, bytes_per_value, check_heads, inference_activations,
                         kv_cache_bytes, model_memory, sequences_that_fit)
from core.memory.paging import simulate
from core.memory.timing import time_per_token

chart_config = charts.export_config()  # the download button's format (sidebar)

GB = 1e9

st.title("KV cache & memory")
st.caption("During generation a transformer keeps every past token's keys and values so it need not recompute "
           "them. That cache grows with batch x length x layers x KV heads, and it is often bigger than the model.")


def calculator_tab() -> None:
    preset_name = st.selectbox("Model", list(PRESETS) + ["custom"], index=list(PRESETS).index("Llama 3 8B"),
                               key="mem_preset")
    base = PRESETS.get(preset_name, PRESETS["Llama 2 7B"])
    a, b, c, d = st.columns(4)
    n_layers = a.number_input("Layers", 1, 512, base.n_layers, key="mem_layers", disabled=preset_name != "custom")
    n_heads = b.number_input("Query heads", 1, 512, base.n_heads, key="mem_heads", disabled=preset_name != "custom")
    hidden = c.number_input("Width", 8, 65536, base.hidden, key="mem_hidden", disabled=preset_name != "custom")
    attention = d.selectbox("Attention", ["as released", "MHA", "GQA", "MQA"], key="mem_attention")
    groups = base.n_kv_heads
    if attention == "MHA":
        groups = n_heads
    elif attention == "MQA":
        groups = 1
    elif attention == "GQA":
        groups = st.select_slider("Key/value heads (g groups)", [g for g in range(1, n_heads + 1) if n_heads % g == 0],
                                  value=base.n_kv_heads if n_heads % base.n_kv_heads == 0 else 1, key="mem_groups")
    a, b, c, d = st.columns(4)
    batch = a.number_input("Batch", 1, 4096, 1, key="mem_batch")
    context = b.number_input("Context length", 1, 2_000_000, min(8192, base.context), key="mem_context")
    dtype = c.selectbox("Weights dtype", list(BYTES_PER_VALUE), index=1, key="mem_dtype")
    kv_dtype = d.selectbox("Cache dtype", list(BYTES_PER_VALUE), index=1, key="mem_kv_dtype")
    window = st.number_input("Sliding window (0: none)", 0, 2_000_000, base.sliding_window or 0, key="mem_window",
                             help="Mistral keeps only the last 4096 positions in its cache.")
    with user_errors():
        check_heads(int(n_heads), int(groups), int(hidden))
        preset = Preset("custom", int(n_layers), int(n_heads), int(groups), int(hidden),
                        base.intermediate * int(hidden) // base.hidden, base.vocab, base.context, base.style, 0)
        n_params = preset.parameters
        kv = kv_cache_bytes(batch=int(batch), seq_len=int(context), n_layers=preset.n_layers,
                            n_kv_heads=preset.n_kv_heads, head_dim=preset.head_dim,
                            bytes_per_value=bytes_per_value(kv_dtype), sliding_window=int(window) or None)
        acts = inference_activations(batch=int(batch), seq_len=int(context), hidden=preset.hidden,
                                     intermediate=preset.intermediate, n_heads=preset.n_heads,
                                     bytes_per_value=bytes_per_value(dtype))
        memory = model_memory(n_params, dtype=dtype, kv_cache=kv, activations=acts)
        st.markdown(f"**{n_params / 1e9:.2f}B parameters** · {preset.attention} · head size {preset.head_dim} · "
                    f"KV cache per token {kv / int(batch) / min(int(context), int(window) or int(context)) / 1e6:.3f} MB")
        fig = go.Figure()
        for part, value in (("weights", memory.weights), ("KV cache", memory.kv_cache), ("activations", memory.activations)):
            fig.add_bar(name=part, y=["inference"], x=[value / GB], orientation="h")
        train = model_memory(n_params, training=True)
        for part, value in (("weights", train.weights), ("gradients", train.gradients), ("optimizer", train.optimizer)):
            fig.add_bar(name=f"{part} (training)", y=["training (Adam, mixed precision)"], x=[value / GB], orientation="h")
        fig.update_layout(barmode="stack")
        fig.update_xaxes(title="GB")
        st.plotly_chart(charts.style(fig, height=260), key="mem_stack", config=chart_config)
        lengths = [int(x) for x in sorted({2 ** k for k in range(7, 21)} | {int(context)}) if x <= max(int(context) * 4, 1024)]
        cache_gb = [kv_cache_bytes(batch=int(batch), seq_len=n, n_layers=preset.n_layers, n_kv_heads=preset.n_kv_heads,
                                   head_dim=preset.head_dim, bytes_per_value=bytes_per_value(kv_dtype),
                                   sliding_window=int(window) or None) / GB for n in lengths]
        curve = {"KV cache (GB)": (lengths, cache_gb), "weights (GB)": (lengths, [memory.weights / GB] * len(lengths))}
        st.plotly_chart(charts.lines(curve, x_title="context", y_title="GB", log_x=True, height=300),
                        key="mem_curve", config=chart_config)
        gpu = st.select_slider("GPU memory (GB)", [16, 24, 40, 48, 80, 141, 192], value=80, key="mem_gpu")
        per_sequence = kv / int(batch)
        st.metric(f"Sequences of {int(context):,} tokens that fit beside the weights",
                  f"{sequences_that_fit(gpu * GB, memory.weights, per_sequence):,}")


def measured_tab() -> None:
    st.markdown("Three tiny Llama-style models that differ only in their key/value heads generate here; the bytes "
                "their `DynamicCache` holds are read from the tensors and set beside the formula.")
    a, b, c = st.columns(3)
    batch_m = a.slider("Batch", 1, 8, 2, key="mem_m_batch")
    prompt_len = b.slider("Prompt tokens", 1, 32, 12, key="mem_m_prompt")
    new_tokens = c.slider("New tokens", 0, 32, 16, key="mem_m_new")
    rows, growth = [], []
    for label, kv_heads in (("MHA (4 KV heads)", 4), ("GQA (2 KV heads)", 2), ("MQA (1 KV head)", 1)):
        config = LMConfig(n_kv_head=kv_heads)
        result = kv_cache_measurement(kv_heads, batch_m, prompt_len, new_tokens)
        predicted = kv_cache_bytes(batch=batch_m, seq_len=prompt_len + new_tokens, n_layers=config.n_layer,
                                   n_kv_heads=kv_heads, head_dim=config.head_dim, bytes_per_value=4)
        rows.append({"model": label, "per layer, measured": result.final_per_layer[0],
                     "total, measured": result.per_step_total[-1], "total, formula": predicted,
                     "agree": result.per_step_total[-1] == predicted,
                     **({"GPU peak allocated": result.peak_cuda_bytes} if result.peak_cuda_bytes is not None else {})})
        growth += [{"model": label, "cached tokens": n, "bytes": v, "phase": "prefill" if i == 0 else "decode"}
                   for i, (n, v) in enumerate(zip(result.seq_lens, result.per_step_total))]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    fig = px.line(pd.DataFrame(growth), x="cached tokens", y="bytes", color="model", markers=True, symbol="phase")
    st.plotly_chart(charts.style(fig, height=320), key="mem_growth", config=chart_config)
    st.caption("The first point is the prefill: the whole prompt's keys and values written at once. "
               "Each later point is one decoded token.")


def why_cache_tab() -> None:
    if st.toggle("Measure (runs the model about 60 times)", key="mem_time"):
        model = build_model(LMConfig(block_size=256), 65).eval()
        timing = pd.DataFrame(time_per_token(model, lengths=[8, 32, 64, 128, 192, 255]))
        st.plotly_chart(charts.style(px.line(timing, x="length", y=["with cache (ms)", "without cache (ms)"],
                                             markers=True), height=320), key="mem_timing", config=chart_config)
        st.caption("Without a cache each new token re-processes the whole prefix, so generating n tokens costs "
                   "O(n^2) work; with it each step costs O(n) attention over cached keys.")


def paged_vs_contiguous_tab() -> None:
    a, b, c = st.columns(3)
    n_requests = a.slider("Requests", 2, 32, 8, key="mem_p_requests")
    max_length = b.select_slider("Maximum length", [128, 256, 512, 1024, 2048], value=512, key="mem_p_max")
    block = c.select_slider("Block size (tokens)", [4, 8, 16, 32, 64], value=16, key="mem_p_block")
    with user_errors():
        sim = simulate(n_requests, max_length, block)
        a, b = st.columns(2)
        a.metric("Contiguous: reserved, wasted", f"{sim.contiguous_reserved:,} slots", f"{sim.contiguous_waste:.0%} wasted",
                 delta_color="inverse")
        b.metric("Paged: reserved, wasted", f"{sim.paged_reserved:,} slots", f"{sim.paged_waste:.0%} wasted",
                 delta_color="inverse")
        owner = {}
        for request, table in enumerate(sim.block_tables):
            for block_id in table:
                owner[block_id] = request
        width = 16
        grid = [[owner.get(r * width + col, -1) for col in range(width)] for r in range((len(owner) + width - 1) // width)]
        fig = px.imshow(grid, color_continuous_scale="Turbo", zmin=-1, zmax=len(sim.lengths) - 1,
                        labels=dict(color="request"), aspect="auto")
        st.plotly_chart(charts.style(fig, height=300), key="mem_blocks", config=chart_config)
        st.caption("Physical blocks coloured by the request that owns them: requests grow token by token, so their "
                   "blocks interleave; each keeps a block table mapping its logical blocks to these.")
        st.dataframe(pd.DataFrame({"request": range(len(sim.lengths)), "tokens": sim.lengths,
                                   "block table": [" ".join(map(str, t)) for t in sim.block_tables]}),
                     hide_index=True, width="stretch")


show_tabs({
    "Calculator": calculator_tab,
    "Measured": measured_tab,
    "Why cache at all": why_cache_tab,
    "Paged vs contiguous": paged_vs_contiguous_tab,
}, key="mem_tab")
