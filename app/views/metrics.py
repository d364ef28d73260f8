"""Metrics: BLEU and ROUGE broken down to what they count; perplexity token by token."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from app.cache import trained_lm_choices
from app.components.guard import user_errors
from app.components.html import escape, show_html
from app.components.tokens import STYLE, surprisal_html
from app.components.training import trained
from app.components.tabs import show_tabs
from core.metrics import corpus_bleu, ngram_matches, perplexity, rouge, sentence_bleu, token_surprisal
from core.metrics.bleu_tokenize import TOKENIZERS
from core.metrics.rouge import lcs_alignment, tokenize

EXAMPLES = {
    "Cat on the mat": ("the cat sat on the mat", "the cat is sitting on the mat\nthere is a cat on the mat"),
    "Short output": ("the cat", "the cat is sitting on the mat"),
    "Word order": ("mat the on sat cat the", "the cat sat on the mat"),
    "Chinese": ("猫坐在垫子上", "猫坐在席子上"),
}
STATUS = {"matched": "#bbf7d0", "clipped": "#fde68a", "unmatched": "#fecaca"}
SMOOTHINGS = ["none", "floor", "add-k", "exp"]

st.title("Metrics")
st.caption("BLEU asks how much of the output is in the references (precision); ROUGE how much of the reference "
           "the output recovers (recall). Both only count overlapping words.")

example = st.selectbox("Example", list(EXAMPLES), key="met_example")
hypothesis = st.text_area("Hypothesis (system output)", EXAMPLES[example][0], key="met_hyp", height=70)
references = st.text_area("References, one per line", EXAMPLES[example][1], key="met_refs", height=90)
refs = [r for r in references.split("\n") if r.strip()]
a, b, c = st.columns(3)
tokenize_name = a.selectbox("BLEU tokenisation", list(TOKENIZERS), key="met_tok")
smooth = b.selectbox("Smoothing", SMOOTHINGS, index=3, key="met_smooth")
lowercase = c.toggle("Lowercase", key="met_lower")


def bleu_breakdown_tab() -> None:
    if not refs:
        st.info("Give at least one reference.")
    else:
        with user_errors():
            result = sentence_bleu(hypothesis, refs, smooth=smooth, tokenize=tokenize_name, lowercase=lowercase)
            matches = ngram_matches(hypothesis, refs, tokenize=tokenize_name, lowercase=lowercase)
            for n, marks in matches.items():
                chips = "".join(f'<span title="{escape(m.status)}" style="{STYLE};background:{STATUS[m.status]}">'
                                f"{escape(' '.join(m.ngram))}</span>" for m in marks)
                show_html(f"<div><b>{n}-grams</b> {chips or '<i>none</i>'}</div>")
            st.caption("Green: matched in a reference · yellow: clipped (the reference has fewer copies) · red: unmatched.")
            rows = []
            log_sum = 0.0
            for n in range(4):
                p = result.precisions[n]
                log_sum += math.log(p) if p > 0 else float("-inf")
                rows.append({"n": n + 1, "clipped matches": result.counts[n], "total": result.totals[n],
                             "precision %": p, "geometric mean so far %": math.exp(log_sum / (n + 1)) if p > 0 else 0.0})
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
            st.markdown(f"Brevity penalty: hypothesis {result.sys_len} tokens, closest reference {result.ref_len} "
                        f"→ BP = {result.bp:.4f}. **BLEU = {result.score:.2f}**")
            st.subheader("Smoothing when a precision is zero")
            st.dataframe(pd.DataFrame([{"smoothing": s, "BLEU": sentence_bleu(hypothesis, refs, smooth=s,
                                                                             tokenize=tokenize_name).score}
                                       for s in SMOOTHINGS]), hide_index=True)
            st.subheader("The same pair under each tokenisation")
            st.dataframe(pd.DataFrame([{"tokenize": t, "BLEU": sentence_bleu(hypothesis, refs, smooth=smooth,
                                                                            tokenize=t).score} for t in TOKENIZERS]),
                         hide_index=True)


def rouge_breakdown_tab() -> None:
    stemmer = st.toggle("Porter stemmer", value=True, key="met_stem")
    unicode = st.toggle("Unicode-aware tokens (rouge-score keeps ASCII only)", key="met_unicode")
    if refs:
        with user_errors():
            scores = rouge(hypothesis, refs[0], stemmer=stemmer, unicode=unicode)
            st.dataframe(pd.DataFrame([{"type": k, "precision": v.precision, "recall": v.recall, "F1": v.fmeasure}
                                       for k, v in scores.items()]), hide_index=True, width="stretch")
            hyp_tokens = tokenize(hypothesis, stemmer=stemmer, unicode=unicode)
            ref_tokens = tokenize(refs[0], stemmer=stemmer, unicode=unicode)
            pairs = lcs_alignment(ref_tokens, hyp_tokens)
            in_ref, in_hyp = {i for i, _ in pairs}, {j for _, j in pairs}

            def line(tokens, marked):
                return "".join(f'<span style="{STYLE};background:{"#bbf7d0" if i in marked else "#f3f4f6"}">'
                               f"{escape(t)}</span>" for i, t in enumerate(tokens))
            st.markdown("**ROUGE-L**: the longest common subsequence (green) between the first reference and the output")
            show_html(f"<div>reference: {line(ref_tokens, in_ref)}</div><div>hypothesis: {line(hyp_tokens, in_hyp)}</div>")


def corpus_bleu_tab() -> None:
    st.markdown("Corpus BLEU adds every sentence's matches and totals before dividing; averaging sentence BLEUs "
                "weighs a short sentence as much as a long one and lets zero scores drag the mean down.")
    corpus = st.text_area("Hypothesis ||| reference, one pair per line",
                          "the cat sat on the mat ||| the cat sat on the mat\nhello ||| hello there my friend\n"
                          "a dog barked loudly at night ||| the dog barked at night", key="met_corpus", height=110)
    with user_errors():
        lines = [l.split("|||") for l in corpus.split("\n") if l.strip()]
        if any(len(l) != 2 for l in lines):
            st.error("Write each line as: hypothesis ||| reference")
        elif lines:
            hyps, refs_stream = [l[0].strip() for l in lines], [l[1].strip() for l in lines]
            whole = corpus_bleu(hyps, [refs_stream], smooth=smooth, tokenize=tokenize_name, n_bootstrap=200)
            mean = float(np.mean([sentence_bleu(h, [r], smooth=smooth, tokenize=tokenize_name).score
                                  for h, r in zip(hyps, refs_stream)]))
            a, b = st.columns(2)
            a.metric("Corpus BLEU", f"{whole.score:.2f}", help=f"95% bootstrap interval ± {whole.ci:.2f} (200 resamples)")
            b.metric("Mean of sentence BLEUs", f"{mean:.2f}")


def perplexity_tab() -> None:
    choices = trained_lm_choices()
    label = st.selectbox("Model", list(choices), key="met_model")
    lm = trained(choices[label], key="met_train", label="Train the default model (about a minute)")
    if lm is not None:
        text = st.text_area("Text", "ROMEO:\nBut soft, what light through yonder window breaks?", key="met_ppl_text")
        with user_errors():
            tokens, surprisal = token_surprisal(lm, text)
            mean = float(np.nanmean(surprisal))
            a, b, c = st.columns(3)
            a.metric("Perplexity", f"{perplexity(lm, text):.3f}")
            b.metric("Mean surprisal H", f"{mean:.3f} nats", help=f"{mean / math.log(2):.3f} bits")
            c.metric("e^H = 2^(H in bits)", f"{math.exp(mean):.3f}")
            show_html(surprisal_html(tokens, surprisal.tolist()))


show_tabs({
    "BLEU": bleu_breakdown_tab,
    "ROUGE": rouge_breakdown_tab,
    "Corpus BLEU": corpus_bleu_tab,
    "Perplexity": perplexity_tab,
}, key="met_tab")
