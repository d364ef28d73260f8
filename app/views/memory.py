"""KV cache & memory: what a model costs, predicted by formula and measured on real models.

The worked example of docs/contributing.md: each tab reads its widgets (drawn from the settings
`core.views.memory` declares), makes one call into that module, and draws what comes back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import user_errors
from app.figures import memory as figures
from app.memo import memory as memo
from app.i18n import t
from core.views import memory as view

st.title(t("KV cache & memory"))
st.caption(t("During generation a transformer keeps every past token's keys and values so it need not recompute "
             "them. That cache grows with batch x length x layers x KV heads, and it is often bigger than the model."))


def _refill_from_preset() -> None:
    """A new preset fills in its layers, heads, width, key/value heads and window (and a context
    beyond the new model's is brought back to it)."""
    st.session_state.update(view.preset_settings(st.session_state[view.PRESET.key]))
    preset = view.PRESETS.get(st.session_state[view.PRESET.key])
    if preset is not None and st.session_state.get(view.CONTEXT.key, 0) > preset.context:
        st.session_state[view.CONTEXT.key] = preset.context


def calculator_tab() -> None:
    # two rows of settings, so that the first chart starts above the fold of a projector (1280x720)
    a, b, c, d, e = st.columns([1.6, 1, 1, 1, 1.2])
    name = controls.select(view.PRESET, on_change=_refill_from_preset, where=a)
    fixed = view.preset_settings(name)
    custom = name == view.CUSTOM
    layers = controls.number(view.LAYERS, forced=fixed.get(view.LAYERS.key), disabled=not custom, where=b)
    heads = controls.number(view.HEADS, forced=fixed.get(view.HEADS.key), disabled=not custom, where=c)
    hidden = controls.number(view.HIDDEN, forced=fixed.get(view.HIDDEN.key), disabled=not custom, where=d)
    attention = controls.select(view.ATTENTION_KIND, where=e)
    groups = (controls.steps(view.GROUPS, options=view.group_options(int(heads))) if attention == "GQA"
              else st.session_state.get(view.GROUPS.key) or view.GROUPS.default)
    a, b, c, d, e, f = st.columns([1.3, 1, 1, 1, 1.2, 1.5])
    context = controls.number(view.CONTEXT, where=a)
    batch = controls.number(view.BATCH, where=b)
    dtype = controls.select(view.DTYPE, where=c)
    kv_dtype = controls.select(view.KV_DTYPE, where=d)
    window = controls.number(view.WINDOW, where=e)
    gpu = controls.steps(view.GPU, where=f)
    with user_errors():
        model = view.model_of(name, layers=int(layers), heads=int(heads), hidden=int(hidden), attention=attention,
                              groups=int(groups))
        result = view.calculate(model, batch=int(batch), context=int(context), dtype=dtype, kv_dtype=kv_dtype,
                                window=int(window), gpu_gb=gpu)
        for template, fields in result.notes:
            messages.info(t(template, **fields))
        _calculation(result, (name, attention, batch, context, dtype, kv_dtype))


def _calculation(result: view.Calculation, settings: tuple) -> None:
    model = result.model
    st.markdown(t("**{params:.2f}B parameters** · {attention} · head size {head} · KV cache per token and sequence "
                  "{per_token:,.0f} bytes", params=result.parameters / 1e9, attention=model.attention,
                  head=model.head_dim, per_token=result.kv_per_token_bytes))
    chart, numbers = st.columns([3, 1])  # the numbers beside the chart: both on a projector's first screen
    for label, part in ((t("Inference total"), result.inference),
                        (t("Training total (Adam, mixed precision)"), result.training)):
        numbers.metric(label, f"{part.total_gb:,.2f} GB", help=f"{part.total_gib:,.2f} GiB = {part.total:,.0f} bytes")
    numbers.metric(t("Sequences of {context:,} tokens that fit on {gpu} GB", context=settings[3], gpu=result.gpu_gb),
                   f"{result.sequences:,}")
    charts.show(figures.breakdown(result, title=t("Where the memory goes")), key="mem_stack",
                name="memory-breakdown", settings=settings, where=chart)
    curve = {t("KV cache"): (result.lengths, result.cache_gb), t("weights"): (result.lengths,
                                                                          [result.weights_gb] * len(result.lengths))}
    charts.show(charts.lines(curve, x_title=t("context length (tokens)"), y_title=t("memory (GB)"), log_x=True,
                             height=320, title=t("The cache grows with the context; the weights do not")),
                key="mem_curve", name="kv-cache-vs-context", settings=settings)


def measured_tab() -> None:
    st.markdown(t("Three tiny Llama-style models that differ only in their key/value heads generate here; the bytes "
                  "their `DynamicCache` holds are read from the tensors and set beside the formula."))
    a, b, c = st.columns(3)
    batch = controls.slider(view.M_BATCH, where=a)
    prompt = controls.slider(view.M_PROMPT, where=b)
    new = controls.slider(view.M_NEW, where=c)
    result = memo.measured_caches(int(batch), int(prompt), int(new))
    table = pd.DataFrame([{t("model"): t(r["model"]), t("per layer, measured (bytes)"): r["per_layer"],
                           t("total, measured (bytes)"): r["total"], t("total, formula (bytes)"): r["formula"],
                           t("agree"): t("yes") if r["agree"] else t("no"),
                           **({t("GPU peak allocated (bytes)"): r["gpu_peak"]} if r["gpu_peak"] is not None else {})}
                          for r in result.rows])
    st.dataframe(table, hide_index=True, width="stretch")
    charts.show(figures.growth(result, title=t("The cache as tokens are generated")), key="mem_growth",
                name="kv-cache-growth", settings=(batch, prompt, new))
    st.caption(t("The first point (square) is the prefill: the whole prompt's keys and values written at once. "
                 "Each later point is one decoded token."))


def why_cache_tab() -> None:
    st.markdown(t("Without a cache each new token re-reads the whole prefix, so generating n tokens costs O(n²) "
                  "work; with it each step attends over the cached keys, O(n). Times are the median of 5 runs on "
                  "this server."))
    if not st.button(t("Measure (runs the model about 60 times)"), key="mem_time_run"):
        return
    timing = memo.cache_timing()
    left, right = st.columns(2)
    per_token = {t("with cache"): (timing.lengths, timing.cached_ms),
                 t("without cache"): (timing.lengths, timing.uncached_ms)}
    charts.show(charts.lines(per_token, x_title=t("tokens already generated"), y_title=t("time for the next token (ms)"),
                             height=320, title=t("One more token")), key="mem_timing", name="time-per-token",
                where=left)
    total = {t("with cache"): (timing.lengths, timing.cached_total_s),
             t("without cache"): (timing.lengths, timing.uncached_total_s)}
    charts.show(charts.lines(total, x_title=t("tokens generated"), y_title=t("total time (s)"), height=320,
                             title=t("Generating n tokens")), key="mem_timing_total", name="generation-time",
                where=right)


def paged_tab() -> None:
    a, b, c = st.columns(3)
    requests = controls.slider(view.REQUESTS, where=a)
    max_length = controls.steps(view.MAX_LENGTH, where=b)
    block = controls.steps(view.BLOCK, where=c)
    with user_errors():
        result = view.paging(int(requests), int(max_length), int(block))
        a, b = st.columns(2)
        a.metric(t("Contiguous: slots reserved"), f"{result.contiguous_reserved:,}",
                 t("{share:.0%} wasted", share=result.contiguous_waste), delta_color="inverse")
        b.metric(t("Paged: slots reserved"), f"{result.paged_reserved:,}",
                 t("{share:.0%} wasted", share=result.paged_waste), delta_color="inverse")
        heat = charts.heatmap(result.grid, x_title=t("block (within a row of 16)"), y_title=t("row"),
                              colorscale="Turbo", zmin=-1, zmax=int(requests) - 1, color_title=t("request"),
                              square=False, height=300, title=t("Physical blocks, coloured by the request that "
                                                                "owns them (-1: free)"))
        charts.show(heat, key="mem_blocks", name="paged-blocks", settings=(requests, max_length, block))
        st.caption(t("Requests grow token by token, so their blocks interleave; each keeps a block table mapping its "
                     "logical blocks to these."))
        st.dataframe(pd.DataFrame([{t("request"): r["request"], t("tokens"): r["tokens"],
                                    t("block table"): r["blocks"]} for r in result.requests]),
                     hide_index=True, width="stretch")


controls.tabs(view.TAB, {"calculator": calculator_tab, "measured": measured_tab, "why": why_cache_tab,
                         "paged": paged_tab})
