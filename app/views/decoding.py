"""Decoding: greedy, beam search and sampling, seen step by step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app.cache import decoded, method_comparison, next_token_logits, trained_lm_choices
from app.components import charts
from app.components.guard import end_page, user_errors
from app.components.steps import step_slider
from app.components.html import show_html
from app.components.tokens import probability_html
from app.components.training import trained
from core.decoding import SamplingSettings, stages

chart_config = charts.export_config()  # the download button's format (sidebar)

st.title("Decoding")
st.caption("The same trained model, continued four ways. Greedy takes the likeliest token; beam search keeps "
           "the best few partial sequences; sampling draws from the distribution after temperature, top-k and top-p.")

choices = trained_lm_choices()
label = st.selectbox("Model", list(choices), key="dec_model", help="Train more on the Language model page.")
lm = trained(choices[label], key="dec_train", label="Train the default model (about a minute)")
if lm is None:
    end_page()


def text_of(token_id: int) -> str:
    return lm.tokenizer.decode([token_id])


prompt = st.text_input("Prompt", "ROMEO:\n", key="dec_prompt", max_chars=200)
method = st.radio("Method", ["greedy", "beam search", "sampling"], horizontal=True, key="dec_method")
room = max(1, lm.config.block_size - 1)
a, b, c, d = st.columns(4)
max_new = a.slider("New tokens", 1, room, min(40, room), key="dec_new")
settings = SamplingSettings()
if method == "beam search":
    beams = b.slider("Beams", 1, 8, 4, key="dec_beams")
    length_penalty = c.slider("Length penalty", -1.0, 3.0, 1.0, 0.1, key="dec_lp")
    no_repeat = d.number_input("No repeat n-gram", 0, 6, 0, key="dec_ngram")
elif method == "sampling":
    settings = SamplingSettings(b.slider("Temperature", 0.0, 2.0, 0.8, 0.05, key="dec_temp"),
                                c.number_input("Top-k (0 off)", 0, 500, 0, key="dec_topk"),
                                d.slider("Top-p", 0.05, 1.0, 1.0, 0.05, key="dec_topp"),
                                st.slider("Repetition penalty", 1.0, 2.0, 1.0, 0.05, key="dec_rep"))
    seed = st.number_input("Seed", 0, 10_000, 0, key="dec_seed")
    if settings.temperature == 0:
        st.info("Temperature 0 means always the likeliest token: that is greedy decoding.")

with user_errors():
    ids = lm.encode(prompt)
    if len(ids) + max_new > lm.config.block_size:
        st.warning(f"Prompt and new tokens exceed the model's context of {lm.config.block_size} tokens; "
                   f"generating {lm.config.block_size - len(ids)} instead.")
        max_new = max(1, lm.config.block_size - len(ids))
    if method == "greedy":
        options = {}
    elif method == "beam search":
        options = dict(num_beams=beams, length_penalty=length_penalty, no_repeat_ngram_size=int(no_repeat),
                       num_return_sequences=min(3, beams))
    else:
        options = dict(temperature=settings.temperature, top_k=int(settings.top_k), top_p=settings.top_p,
                       repetition_penalty=settings.repetition_penalty, seed=int(seed))
    result = decoded(lm, choices[label].key, prompt, method, max_new, tuple(sorted(options.items())))
    generated = result.sequences[0][len(ids):]
    st.markdown("**Output**, shaded by the probability the model gave each token:")
    show_html(probability_html([prompt] + [text_of(t) for t in generated],
                               [1.0] + list(np.exp(result.token_logprobs[0]))))
    st.caption(f"Sequence score {result.scores[0]:.3f}" + (" (sum log p / length^penalty)" if method == "beam search"
                                                           else " (sum of log-probabilities)"))

    if method == "beam search":
        st.subheader("Beam tree")
        upto = step_slider("Show steps up to", len(result.trace), key="dec_tree_step")
        st.plotly_chart(charts.beam_tree(result.trace, text_of, upto=upto), key="dec_tree", config=chart_config)
        st.dataframe(pd.DataFrame([{"rank": i + 1, "text": lm.tokenizer.decode(seq[len(ids):]), "score": score}
                                   for i, (seq, score) in enumerate(zip(result.sequences, result.scores))]),
                     hide_index=True, width="stretch")
    elif method == "sampling":
        st.subheader("Step by step")
        step = step_slider("Step", len(result.trace), key="dec_step", value=0)
        trace = result.trace[step]
        shown = [text_of(c["token"]) for c in trace.candidates]
        chosen = next((i for i, c in enumerate(trace.candidates) if c["token"] == trace.chosen), None)
        columns = st.columns(len(trace.distributions))
        for column, (name, probs) in zip(columns, trace.distributions):
            column.plotly_chart(charts.distribution_bars(shown, probs, chosen=chosen, height=260, title=name),
                                key=f"dec_stage_{name}", config=chart_config)
        st.caption(f"Entropy of the final distribution: {trace.entropy:.3f} nats. Red: the sampled token.")

    st.subheader("Temperature reshapes the next-token distribution")
    live_t = st.slider("Temperature", 0.05, 3.0, 1.0, 0.05, key="dec_live_temp")
    logits = next_token_logits(lm, choices[label].key, prompt)
    scaled = stages(logits, ids, SamplingSettings(temperature=live_t))[-1][1]
    probs = scaled.softmax(-1).numpy()
    order = np.argsort(-probs)[:30]
    entropy = float(-(probs * np.log(np.clip(probs, 1e-30, None))).sum())
    st.plotly_chart(charts.distribution_bars([text_of(int(i)) for i in order], probs[order],
                                             title=f"entropy {entropy:.3f} nats"), key="dec_live", config=chart_config)
    draws = np.random.default_rng(0).choice(len(probs), size=500, p=probs / probs.sum())
    counts = pd.Series([text_of(int(t)) for t in draws]).value_counts().head(20)
    st.caption("500 seeded draws at this temperature: how often each next token came out.")
    st.bar_chart(counts, height=220)

st.subheader("Compare methods on this prompt")
if st.toggle("Run every method (5 samples each)", key="dec_compare"):
    with user_errors():
        rows = method_comparison(lm, choices[label].key, prompt, min(max_new, lm.config.block_size - len(lm.encode(prompt))))
        table = pd.DataFrame([{k: v for k, v in r.items() if k != "outputs"} for r in rows])
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("distinct-1", "distinct-2", "repeated 4-grams", "mean log p")})
        for r in rows:
            st.text(f"{r['method']}: {lm.tokenizer.decode(r['outputs'][0])!r}")
        st.caption("Beam search and greedy find likely text (high mean log p) but repeat themselves on open-ended "
                   "prompts; sampling is more diverse (distinct-n) at some cost in likelihood.")
