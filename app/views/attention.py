"""Language model & attention: a tiny transformer trained on demand, every layer and head visible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

from app.cache import ablation, head_table, trained_tokenizer_choices
from app.components import charts
from app.components.guard import end_page, user_errors
from app.components.steps import step_slider
from app.components.html import show_html
from app.components.tokens import surprisal_html
from app.components.training import trained
from app.components.tabs import show_tabs
from core.corpora import shipped_corpora
from core.lm.external import load_pretrained
from core.lm.jobs import DEFAULT_STEPS, lm_spec, mlm_spec, toy_spec
from core.lm.toy import TASKS

chart_config = charts.export_config()  # the download button's format (sidebar)

st.title("Language model & attention")
st.caption("A small decoder-only transformer (the `transformers` library's own Llama or GPT-2 classes) "
           "trained here from scratch. Everything below is read from that model.")

names = {c.name: c.title for c in shipped_corpora() if c.name != "udhr"}
with st.expander("Model and training settings", expanded=False, icon=":material/tune:"):
    a, b, c = st.columns(3)
    corpus = a.selectbox("Corpus", list(names), format_func=names.get, key="lm_corpus")
    tokenizers = trained_tokenizer_choices()
    tokenizer_label = b.selectbox("Tokenizer", list(tokenizers), key="lm_tokenizer",
                                  help="Characters, or a tokenizer trained on the Tokenizers page.")
    arch = c.radio("Architecture", ["llama", "gpt2"], horizontal=True, key="lm_arch",
                   help="Llama: RoPE, RMSNorm, SwiGLU, grouped KV heads. GPT-2: learned positions, LayerNorm, GELU.")
    a, b, c, d = st.columns(4)
    n_layer = a.number_input("Layers", 1, 8, 4, key="lm_layers")
    n_head = b.selectbox("Heads", [1, 2, 4, 8], index=2, key="lm_heads")
    n_embd = c.selectbox("Width", [32, 64, 128, 192, 256], index=2, key="lm_width")
    block_size = d.selectbox("Context", [32, 64, 128, 256], index=1, key="lm_context")
    a, b = st.columns(2)
    kv_options = [h for h in range(1, n_head + 1) if n_head % h == 0]
    n_kv_head = a.select_slider("Key/value heads (Llama)", kv_options, value=n_head, key="lm_kv",
                                help="Fewer KV heads than query heads is grouped-query attention; one is MQA.")
    steps = b.number_input("Steps", 20, 5000, DEFAULT_STEPS, step=50, key="lm_steps")
    saved = st.text_input("Or open a saved model (a save_pretrained folder with tokenizer.json, or a Hub name)", "",
                          key="lm_saved", help="Folders must be inside the server's model folders.")

spec = lm_spec(corpus, int(steps), tokenizers[tokenizer_label], arch=arch, n_layer=int(n_layer), n_head=n_head,
               n_kv_head=(n_kv_head if arch == "llama" and n_kv_head != n_head else None), n_embd=n_embd,
               block_size=block_size)
lm = None
if saved.strip():
    with user_errors():
        lm = load_pretrained(saved)
else:
    lm = trained(spec, key="lm_train", label="Train the model")
if lm is None:
    end_page()


def training_record_tab() -> None:
    if not lm.history:
        st.info(f"A model loaded from {lm.corpus}: it has no training record here. "
                f"{lm.model.num_parameters():,} parameters.")
    else:
        history = pd.DataFrame(lm.history)
        final = history.dropna(subset=["val_loss"]).iloc[-1] if "val_loss" in history else None
        a, b, c, d = st.columns(4)
        a.metric("Parameters", f"{lm.model.num_parameters():,}")
        b.metric("Validation loss", f"{final['val_loss']:.3f} nats" if final is not None else "-")
        c.metric("Validation perplexity", f"{final['val_perplexity']:.2f}" if final is not None else "-")
        d.metric("Tokens / second", f"{history['tokens_per_s'].iloc[-1]:,.0f}")
        series = {"train": (history["step"], history["train_loss"])}
        if "val_loss" in history:
            val = history.dropna(subset=["val_loss"])
            series["validation"] = (val["step"], val["val_loss"])
        st.plotly_chart(charts.lines(series, x_title="step", y_title="loss (nats per token)"), key="lm_curves", config=chart_config)
        st.markdown("**Samples as it learned** (temperature 0.8, the same prompt each time)")
        for sample in lm.samples:
            st.text(f"step {sample['step']}:\n{sample['text']}")


def attention_maps_tab() -> None:
    text = st.text_area("Text", lm.probe_text or "ROMEO:\nBut soft, what light", key="lm_text", height=80)
    with user_errors():
        tokens, attention = lm.attention(text)
        if len(lm.encode(text)) > lm.config.block_size:
            st.info(f"Only the first {lm.config.block_size} tokens fit in this model's context; the rest is cut.")
        pick_layer, pick_head = st.columns(2)
        layer = pick_layer.select_slider("Layer", list(range(lm.config.n_layer)), key="lm_layer")
        head = pick_head.select_slider("Head", list(range(lm.config.n_head)), key="lm_head")
        left, right = st.columns(2)
        left.plotly_chart(charts.attention_heatmap(attention[layer, head], tokens, title=f"layer {layer}, head {head}"),
                          key="lm_heatmap", config=chart_config)
        focus = right.selectbox("Isolate a query token", ["all"] + [f"{i}: {t!r}" for i, t in enumerate(tokens)],
                                key="lm_focus")
        right.plotly_chart(charts.head_view(attention[layer, head], tokens,
                                            focus=None if focus == "all" else int(focus.split(":")[0])),
                           key="lm_headview", config=chart_config)
        st.markdown("**Model view**: every layer and head. Click a thumbnail to open it above.")

        def open_clicked_head() -> None:  # a callback: it runs before the sliders above are drawn
            points = st.session_state["lm_modelview"]["selection"]["points"]
            cell = charts.model_view_cell(points[0], len(tokens)) if points else None
            if cell is not None:
                st.session_state["lm_layer"], st.session_state["lm_head"] = cell

        st.plotly_chart(charts.model_view(attention), key="lm_modelview", on_select=open_clicked_head,
                        selection_mode="points", config=chart_config)


def head_statistics_tab() -> None:
    probe = st.text_input("Measured on", lm.probe_text[:200] or "ROMEO:\nBut soft, what light", key="lm_stats_text")
    with user_errors():
        rows = pd.DataFrame(head_table(lm, spec.key, probe))
        st.dataframe(rows.sort_values("induction", ascending=False), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3f") for c in
                                    ("entropy", "mean_distance", "previous_token", "first_token", "induction")})
        st.caption("Induction score: attention, on a random sequence repeated twice, from each token of the "
                   "second copy to the token right after its first occurrence.")
        if st.toggle("Switch each head off and measure the loss", key="lm_ablate"):
            delta = ablation(lm, spec.key, probe)
            fig = px.imshow(delta, labels=dict(x="head", y="layer", color="loss increase"),
                            color_continuous_scale="Reds", text_auto=".3f")
            st.plotly_chart(charts.style(fig, height=320), key="lm_ablation_chart", config=chart_config)


def heads_forming_tab() -> None:
    if lm.snapshots:
        index = step_slider("Snapshot", len(lm.snapshots), key="lm_snapshot")
        snapshot = lm.snapshots[index]
        st.caption(f"Attention on the held-out probe text at step {snapshot['step']}.")
        st.plotly_chart(charts.model_view(snapshot["attention"].astype(np.float32)), key="lm_snapshot_chart", config=chart_config)


def causal_vs_bidirectional_tab() -> None:
    st.markdown("A **causal** model may only look back; a **masked** (BERT-style) model sees both sides. "
                "The masked model is trained on the same text with 15% of characters hidden.")
    masked = trained(mlm_spec(corpus), key="lm_mlm", label="Train the masked model")
    if masked is not None:
        sentence = st.text_input("Sentence", "To be or not to be", key="lm_mlm_sentence")
        with user_errors():
            causal_tokens, causal = lm.attention(sentence)
            masked_tokens, bidirectional = masked.attention(sentence)
            left, right = st.columns(2)
            left.plotly_chart(charts.attention_heatmap(causal[-1].mean(0), causal_tokens, title="causal (last layer, mean of heads)"),
                              key="lm_causal", config=chart_config)
            right.plotly_chart(charts.attention_heatmap(bidirectional[-1].mean(0), masked_tokens,
                                                        title="bidirectional (last layer, mean of heads)"), key="lm_bidir", config=chart_config)
        blanks = st.text_input("Fill in the blanks (_)", "To be or not to b_", key="lm_fill")
        with user_errors():
            for i, options in enumerate(masked.fill(blanks)):
                st.write(f"Blank {i + 1}: " + ", ".join(f"`{ch!r}` {p:.0%}" for ch, p in options))


def toy_tasks_tab() -> None:
    task = st.radio("Task", TASKS, horizontal=True, key="lm_task",
                    help="copy: 4721|4721 · reverse: 4721|1274 · sort: 4721|1247 · induction: 47214721")
    toy = trained(toy_spec(task), key=f"lm_toy_{task}", label=f"Train on {task}")
    if toy is not None:
        st.metric("Answer accuracy", f"{toy.accuracy:.1%}")
        tokens, attention = toy.lm.attention(toy.example)
        grid = st.columns(toy.lm.config.n_layer)
        for layer, column in enumerate(grid):
            for head in range(toy.lm.config.n_head):
                column.plotly_chart(charts.attention_heatmap(attention[layer, head], tokens, height=320,
                                                             title=f"layer {layer} head {head}"),
                                    key=f"lm_toy_{layer}_{head}", config=chart_config)
        delta = ablation(toy.lm, f"toy-{task}", toy.example)
        st.caption("Loss increase when each head is switched off: the head that solves the task stands out.")
        st.dataframe(pd.DataFrame(delta, columns=[f"head {h}" for h in range(delta.shape[1])]), width="stretch")


def surprise_tab() -> None:
    passage = st.text_area("Text", "ROMEO:\nBut soft, what light through yonder window breaks?", key="lm_surprise")
    with user_errors():
        tokens, losses = lm.token_losses(passage)
        mean = float(np.nanmean(losses))
        st.metric("Perplexity", f"{np.exp(mean):.2f}", help=f"exp of the mean surprisal, {mean:.3f} nats per token")
        show_html(surprisal_html(tokens, losses.tolist()))


show_tabs({
    "Training": training_record_tab,
    "Attention": attention_maps_tab,
    "Head statistics": head_statistics_tab,
    "Heads forming": heads_forming_tab,
    "Causal vs bidirectional": causal_vs_bidirectional_tab,
    "Toy tasks": toy_tasks_tab,
    "Surprise": surprise_tab,
}, key="lm_tab")
