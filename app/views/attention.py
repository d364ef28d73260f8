"""Language model & attention: a tiny transformer trained on demand, every layer and head visible.

Each tab reads its widgets (drawn from the settings `core.views.attention` declares), makes one
call into that module (through `app.memo.attention`, keyed by the model actually shown), and draws.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import end_page, user_errors
from app.components.html import show_html
from app.components.tokens import surprisal_html
from app.components.training import trained
from app.figures import attention as figures
from app.i18n import t
from app.memo import attention as memo
from app.models import trained_specs
from core.lm.trained import TrainedLM
from core.views import attention as view

st.title(t("Language model & attention"))
st.caption(t("A small decoder-only transformer (the `transformers` library's own Llama or GPT-2 classes) trained "
             "here from scratch. Everything below is read from that model."))


def _refill_kv() -> None:
    """New query heads: start from as many key/value heads (plain multi-head attention)."""
    st.session_state[view.KV.key] = st.session_state[view.HEADS.key]


def _model() -> TrainedLM | None:
    """The settings of the model, and the model: a saved one if named, else the trained one."""
    with st.expander(t("Model and training settings"), icon=":material/tune:"):
        a, b, c = st.columns(3)
        corpus = controls.select(view.CORPUS, where=a)
        tokenizers = trained_specs("tokenizer")
        names = view.tokenizer_names(tokenizers)
        tokenizer = controls.select(view.TOKENIZER, options=list(names), names=names, where=b)
        arch = controls.radio(view.ARCH, where=c)
        a, b, c, d = st.columns(4)
        layers = controls.number(view.LAYERS, where=a)
        heads = controls.select(view.HEADS, on_change=_refill_kv, where=b)
        width = controls.select(view.WIDTH, where=c)
        context = controls.select(view.CONTEXT, where=d)
        a, b = st.columns(2)
        llama = arch == "llama"
        kv = controls.select(view.KV, options=view.kv_options(heads), forced=None if llama else heads,
                             disabled=not llama, where=a)
        steps = controls.number(view.STEPS, where=b)
        saved = controls.text(view.SAVED).strip()
    with user_errors():
        if saved:
            return memo.loaded(saved)
        spec = view.model_spec(corpus, int(steps), tokenizer, tokenizers, arch=arch, layers=int(layers),
                               heads=int(heads), width=int(width), context=int(context), kv=int(kv))
        return trained(spec, key="lm_train", label=t("Train the model"))
    return None


lm = _model()
if lm is None:
    end_page()


def training_tab() -> None:
    record = view.training_record(lm)
    if not record.trained_here:
        messages.info(t("A model loaded from {name}: it has no training record here. {parameters:,} parameters.",
                        name=lm.corpus, parameters=record.parameters))
        return
    a, b, c, d = st.columns(4)
    a.metric(t("Parameters"), f"{record.parameters:,}")
    b.metric(t("Validation loss"), "-" if record.val_loss is None else t("{loss:.3f} nats", loss=record.val_loss))
    c.metric(t("Validation perplexity"), "-" if record.val_perplexity is None else f"{record.val_perplexity:.2f}")
    d.metric(t("Tokens / second"), "-" if record.tokens_per_s is None else f"{record.tokens_per_s:,.0f}")
    curves = {t(name): series for name, series in record.curves.items()}
    charts.show(charts.lines(curves, x_title=t("step"), y_title=t("loss (nats per token)"), markers=False,
                             title=t("Loss while training")), key="lm_curves", name="lm-loss", settings=(lm.corpus,))
    st.markdown(t("**Samples as it learned** (temperature 0.8, the same prompt each time)"))
    for sample in record.samples:
        st.caption(t("step {step}", step=sample["step"]))
        st.text(sample["text"])


def _maps(height: int = 80) -> tuple[str, view.Maps]:
    """The text (clipped to the context, as the caption says) and every head's attention on it."""
    text = controls.area(view.TEXT, height=height)
    maps = memo.attention_maps(lm, lm.key, text)
    st.caption(t("Attention is read on the text's first {context} tokens at most: the model's context.",
                 context=maps.context))
    if maps.clipped:
        messages.info(t("Only the first {context} tokens fit in this model's context; the rest is cut.",
                        context=maps.context))
    return text, maps


def _pick(maps: view.Maps) -> tuple[int, int, int]:
    """Layer, head and query token, within this model and text."""
    a, b, c = st.columns(3)
    layer = controls.slider(view.LAYER, high=lm.config.n_layer - 1, where=a)
    head = controls.slider(view.HEAD, high=lm.config.n_head - 1, where=b)
    query = controls.slider(view.QUERY, high=len(maps.tokens) - 1, where=c)
    return int(layer), int(head), int(query)


def attention_tab() -> None:
    with user_errors():
        _, maps = _maps()
        layer, head, query = _pick(maps)
        left, right = st.columns(2)
        charts.show(figures.attention_heatmap(maps.attention[layer, head], maps.tokens,
                                              title=t("layer {layer}, head {head}", layer=layer, head=head)),
                    key="lm_heatmap", name="attention-map", settings=(layer, head), where=left)
        heads = controls.many(view.VIEW_HEADS, options=list(range(lm.config.n_head)),
                              names={h: t("head {head}", head=h) for h in range(lm.config.n_head)}, where=right)
        isolate = controls.toggle(view.ISOLATE, where=right)
        lines = view.head_lines(maps, layer, heads, query, isolate)
        charts.show(figures.head_view(lines, title=t("Head view, layer {layer}: a colour per head", layer=layer)),
                    key="lm_headview", name="head-view", settings=(layer, query), where=right)
        st.markdown(t("**Model view**: every layer and head. Click a thumbnail to open it above."))

        def open_clicked_head() -> None:  # a callback: it runs before the sliders above are drawn
            points = st.session_state["lm_modelview"]["selection"]["points"]
            cell = figures.model_view_cell(points[0], len(maps.tokens)) if points else None
            if cell is not None:
                st.session_state[view.LAYER.key], st.session_state[view.HEAD.key] = cell

        charts.show(figures.model_view(maps.attention, title=t("Every layer (rows) and head (columns)")),
                    key="lm_modelview", name="model-view", on_select=open_clicked_head, selection_mode="points")


def neuron_tab() -> None:
    st.markdown(t("How one head decides where a query token looks: the query vector q is multiplied with each "
                  "key vector k, dimension by dimension (q × k); the sum is the score q · k, scaled by 1/√d; the "
                  "softmax of the scores is that token's row of the attention map."))
    with user_errors():
        text, maps = _maps(height=68)
        layer, head, query = _pick(maps)
        result = memo.neuron(lm, lm.key, text, layer, head, query)
        charts.show(figures.neuron_view(result, title=t("Neuron view: layer {layer}, head {head}, query token {query}",
                                                        layer=layer, head=head, query=query)),
                    key="lm_neuron", name="neuron-view", settings=(layer, head, query))
        st.caption(t("Keys after the query are masked (a causal model cannot see them): their weight is 0. Blue is "
                     "positive, red negative; the bars give each score and weight as a number."))


def stats_tab() -> None:
    text = controls.text(view.STATS_TEXT)
    with user_errors():
        rows = memo.head_statistics(lm, lm.key, text)
        table = pd.DataFrame([{t(view.COLUMNS[k]): t(v) if k == "pattern" else v for k, v in row.items()}
                              for row in rows])
        numbers = {t(view.COLUMNS[k]): st.column_config.NumberColumn(format="%.3f")
                   for k in ("induction", "previous_token", "first_token", "mean_distance", "entropy")}
        st.dataframe(table, hide_index=True, width="stretch", column_config=numbers)
        st.caption(t("Induction score: attention, on a random sequence repeated twice, from each token of the second "
                     "copy to the token right after its first occurrence. Mean distance back: how many tokens back a "
                     "head looks, on average."))
        if controls.toggle(view.ABLATE):
            delta = memo.ablation(lm, lm.key, text)
            charts.show(figures.ablation_heatmap(delta, title=t("Loss increase when each head is switched off")),
                        key="lm_ablation_chart", name="head-ablation")


def forming_tab() -> None:
    if not lm.snapshots:
        messages.info(t("This model was not trained here, so there are no snapshots of its training."))
        return
    index = controls.slider(view.SNAPSHOT, high=len(lm.snapshots) - 1)
    step, attention = view.snapshot(lm, int(index))
    st.caption(t("Attention on the held-out probe text at step {step}.", step=step))
    charts.show(figures.model_view(attention, title=t("Every head at step {step}", step=step)),
                key="lm_snapshot_chart", name="heads-forming", settings=(step,))


def bidirectional_tab() -> None:
    st.markdown(t("A **causal** model may only look back; a **masked** (BERT-style) model sees both sides. The masked "
                  "model is trained on the same text with 15% of characters hidden."))
    corpus = st.session_state[view.CORPUS.key]
    steps = controls.number(view.MASKED_STEPS)
    masked = trained(view.masked_spec(corpus, int(steps)), key="lm_mlm", label=t("Train the masked model"))
    if masked is None:
        return
    record = memo.masked_record(masked, masked.key, corpus)
    fig = charts.lines({t(name): series for name, series in record.curves.items()}, x_title=t("step"),
                       y_title=t("loss on the hidden characters (nats)"), markers=False,
                       title=t("The masked model while training"))
    fig.add_hline(y=record.unigram, line_dash="dot", annotation_text=t("letter frequencies only"))
    charts.show(fig, key="lm_mlm_curves", name="masked-lm-loss", settings=(corpus,))
    sentence = controls.text(view.MLM_TEXT)
    with user_errors():
        both = memo.directions(lm, lm.key, masked, masked.key, sentence)
        left, right = st.columns(2)
        charts.show(figures.attention_heatmap(both.causal, both.causal_tokens,
                                              title=t("causal (last layer, mean of heads)")),
                    key="lm_causal", name="causal-attention", where=left)
        charts.show(figures.attention_heatmap(both.bidirectional, both.masked_tokens,
                                              title=t("bidirectional (last layer, mean of heads)")),
                    key="lm_bidir", name="bidirectional-attention", where=right)
    blanks = controls.text(view.FILL)
    with user_errors():
        guesses = view.fill(masked, blanks)
        st.dataframe(pd.DataFrame([{t("blank"): i + 1, **{t("guess {rank}", rank=r + 1): f"{ch!r} {p:.0%}"
                                                         for r, (ch, p) in enumerate(options)}}
                                   for i, options in enumerate(guesses)]), hide_index=True, width="stretch")


def toy_tab() -> None:
    task = controls.radio(view.TASK)
    result = trained(view.toy_model(task), key=f"lm_toy_{task}", label=t("Train on {task}",
                                                                          task=t(view.TASK.names[task])))
    if result is None:
        return
    toy = memo.toy(result, result.lm.key)
    st.metric(t("Answer accuracy"), f"{toy.accuracy:.1%}")
    columns = st.columns(toy.attention.shape[0])
    for layer, column in enumerate(columns):
        for head in range(toy.attention.shape[1]):
            charts.show(figures.attention_heatmap(toy.attention[layer, head], toy.tokens, height=320,
                                                  title=t("layer {layer}, head {head}", layer=layer, head=head)),
                        key=f"lm_toy_{layer}_{head}", name="toy-attention", settings=(task, layer, head), where=column)
    charts.show(figures.ablation_heatmap(toy.ablation, title=t("Loss increase on the answer when each head is "
                                                               "switched off")),
                key="lm_toy_ablation", name="toy-ablation", settings=(task,))
    st.caption(t("Measured on the answer tokens only (from token {start} on): the head that solves the task stands "
                 "out with the largest increase.", start=toy.answer_start))


def surprise_tab() -> None:
    passage = controls.area(view.SURPRISE)
    with user_errors():
        result = memo.surprisal(lm, lm.key, passage)
        if result.capped:
            messages.info(t("Only the first {scored:,} of the text's {total:,} tokens are scored: a limit per request "
                            "on this shared server.", scored=len(result.tokens), total=result.total))
        st.metric(t("Perplexity"), f"{result.perplexity:.2f}",
                  help=t("exp of the mean surprisal, {mean:.3f} nats per token", mean=result.mean))
        show_html(surprisal_html(result.tokens, result.losses))


controls.tabs(view.TAB, {"training": training_tab, "attention": attention_tab, "neuron": neuron_tab,
                         "stats": stats_tab, "forming": forming_tab, "bidirectional": bidirectional_tab,
                         "toy": toy_tab, "surprise": surprise_tab})
