"""Metrics: BLEU, chrF and ROUGE broken down to what they count; corpus scores and a paired bootstrap
test of two systems; perplexity token by token.

Each tab reads its widgets (declared in `core.views.metrics`), makes one call there, and draws what
comes back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import user_errors
from app.components.html import show_html
from app.components.tokens import surprisal_html
from app.components.training import trained
from app.figures import metrics as figures
from app.i18n import t
from app.memo import metrics as memo
from app.models import model_names, trained_specs
from core.views import metrics as view
from core.views.decoding import lm_options, spec_of

st.title(t("Metrics"))
st.caption(t("BLEU asks how much of the output is in the references (precision); ROUGE how much of the reference the "
             "output recovers (recall); chrF weighs both, on characters. All of them only count overlapping text."))


def _notes(notes: list[tuple[str, dict]]) -> None:
    for template, fields in notes:
        messages.info(t(template, **fields))


def _refill_from_example() -> None:
    """A new example fills in its hypothesis and references."""
    st.session_state.update(view.example_texts(st.session_state[view.EXAMPLE.key]))


def _pair() -> tuple[str, str]:
    """The example, hypothesis and references the sentence tabs share. A link with an example but
    without texts shows that example's texts."""
    example = controls.select(view.EXAMPLE, on_change=_refill_from_example)
    for key, value in view.example_texts(example).items():
        st.session_state.setdefault(key, value)
    hypothesis = controls.area(view.HYPOTHESIS, height=70)
    references = controls.area(view.REFERENCES, height=90)
    return hypothesis, references


def _signature(signature: str) -> None:
    st.caption(t("sacrebleu's signature for these settings (what a paper should report beside the score):"))
    st.code(signature, language=None)


def bleu_tab() -> None:
    hypothesis, references = _pair()
    a, b, c = st.columns(3)
    tokenize = controls.select(view.TOKENIZE, where=a)
    smooth = controls.select(view.SMOOTH, where=b)
    lowercase = controls.toggle(view.LOWERCASE, where=c)
    with user_errors():
        result = view.bleu(hypothesis, references, tokenize=tokenize, smooth=smooth, lowercase=lowercase)
        _notes(result.notes)
        a, b, c = st.columns(3)
        a.metric(t("BLEU"), f"{result.score:.2f}")
        b.metric(t("Brevity penalty"), f"{result.bp:.4f}", help=t("Hypothesis {hyp} tokens, closest reference {ref}.",
                                                                   hyp=result.sys_len, ref=result.ref_len))
        c.metric(t("Length ratio (hypothesis / reference)"), f"{result.ratio:.3f}")
        _signature(result.signature)
        for n, chips in result.chips.items():
            show_html(figures.ngram_chips(t("{n}-grams", n=n), chips, more=result.chip_totals[n] - len(chips)))
        st.caption(figures.legend())
        st.dataframe(pd.DataFrame([_order_row(row, smooth) for row in result.orders]), hide_index=True,
                     width="stretch")
        st.markdown(t("BLEU = brevity penalty × geometric mean of the precisions used = {bp:.4f} × {mean:.2f} = "
                      "**{score:.2f}**", bp=result.bp, mean=result.geometric_mean, score=result.score))
        st.subheader(t("Smoothing when a precision is zero"))
        st.caption(t("The same pair, tokenisation and case as above; only the smoothing changes."))
        st.dataframe(pd.DataFrame([{t("smoothing"): t(view.SMOOTHINGS[r["smooth"]]), t("BLEU"): r["score"]}
                                   for r in result.by_smoothing]), hide_index=True)
        st.subheader(t("The same pair under each tokenisation"))
        st.caption(t("The same pair, smoothing and case as above; only the tokenisation changes."))
        st.dataframe(pd.DataFrame([{t("tokenisation"): t(view.TOKENIZER_NAMES[r["tokenize"]]), t("BLEU"): r["score"]}
                                   for r in result.by_tokenizer]), hide_index=True)


def _order_row(row: view.OrderRow, smooth: str) -> dict:
    if row.precision is None:
        how = t("not used: no {n}-grams", n=row.n)
    elif row.smoothed:
        how = t("smoothed: {smoothing}", smoothing=t(view.SMOOTHINGS[smooth]))
    else:
        how = t("as counted")
    return {t("n"): row.n, t("matches (after clipping)"): row.matches, t("n-grams in the hypothesis"): row.total,
            t("precision as counted %"): row.raw_precision, t("precision BLEU uses %"): row.precision,
            t("how"): how, t("geometric mean of orders 1..n %"): row.geometric_mean}


def chrf_tab() -> None:
    hypothesis, references = _pair()
    a, b = st.columns(2)
    words = controls.radio(view.CHRF_WORDS, where=a)
    lowercase = controls.toggle(view.LOWERCASE, where=b)
    with user_errors():
        result = view.chrf(hypothesis, references, word_order=int(words), lowercase=lowercase)
        st.metric(result.name, f"{result.score:.2f}")
        _signature(result.signature)
        st.caption(t("chrF averages precision and recall over character n-grams of 1 to 6 characters (spaces "
                     "removed), then combines them with recall weighing twice as much (β = 2). chrF++ adds words "
                     "and word pairs. With several references each sentence keeps its best-scoring one."))
        names = {"unit": t("unit"), "n": t("n"), "hypothesis": t("in the hypothesis"),
                 "reference": t("in the reference"), "matches": t("matches"), "precision": t("precision %"),
                 "recall": t("recall %")}
        st.dataframe(pd.DataFrame([{names[k]: t(v) if k == "unit" else v for k, v in row.items()}
                                   for row in result.orders]), hide_index=True, width="stretch")
        charts.show(figures.chrf_orders(result.orders, title=t("{name}: precision and recall of each order",
                                                                 name=result.name)),
                    key="met_chrf_orders", name="chrf-orders", settings=(result.name,))


def rouge_tab() -> None:
    hypothesis, references = _pair()
    a, b = st.columns(2)
    stemmer = controls.toggle(view.STEMMER, where=a)
    unicode = controls.toggle(view.UNICODE, where=b)
    with user_errors():
        result = view.rouge_scores(hypothesis, references, stemmer=stemmer, unicode=unicode)
        _notes(result.notes)
        st.dataframe(pd.DataFrame([{t("type"): t(r["type"]), t("precision"): r["precision"], t("recall"): r["recall"],
                                    t("F1"): r["f1"]} for r in result.rows]), hide_index=True, width="stretch")
        st.markdown(t("**ROUGE-L**: the longest common subsequence (marked ✓) of the first reference and the "
                      "hypothesis. ROUGE scores one reference at a time, so only the first is used here."))
        show_html(figures.lcs_chips(t("reference:"), result.reference_tokens,
                                    more=result.token_totals[0] - len(result.reference_tokens)))
        show_html(figures.lcs_chips(t("hypothesis:"), result.hypothesis_tokens,
                                    more=result.token_totals[1] - len(result.hypothesis_tokens)))


def corpus_tab() -> None:
    st.markdown(t("Corpus BLEU adds every sentence's matches and totals before dividing; averaging sentence BLEUs "
                  "weighs a short sentence as much as a long one and lets zero scores drag the mean down. With a "
                  "second system, the paired bootstrap test asks whether their difference is more than the luck of "
                  "this test set."))
    text = controls.area(view.CORPUS_TEXT, height=200)
    a, b, c = st.columns(3)
    tokenize = controls.select(view.TOKENIZE, where=a)
    smooth = controls.select(view.SMOOTH, where=b)
    lowercase = controls.toggle(view.LOWERCASE, where=c)
    with user_errors():
        result = memo.corpus(text, tokenize, smooth, lowercase)
        _notes(result.notes)
        a, b, c = st.columns(3)
        a.metric(t("Corpus BLEU (system A)"), f"{result.bleu:.2f}",
                 help=t("95% bootstrap interval ± {ci:.2f} ({samples:,} resamples)", ci=result.bleu_ci,
                        samples=view.BOOTSTRAP))
        b.metric(t("Mean of sentence BLEUs (system A)"), f"{result.mean_sentence_bleu:.2f}")
        c.metric(t("Corpus chrF (system A)"), f"{result.chrf:.2f}")
        _signature(result.signature)
        if result.comparisons:
            _paired(result.comparisons)
        st.dataframe(pd.DataFrame([{t("system A"): s["a"], t("BLEU A"): s["bleu_a"],
                                    **({t("system B"): s["b"], t("BLEU B"): s["bleu_b"]} if s["b"] is not None else {}),
                                    t("reference"): s["reference"]} for s in result.segments]),
                     hide_index=True, width="stretch")


def _paired(comparisons: list[view.Comparison]) -> None:
    st.subheader(t("Paired bootstrap test: system B against system A"))
    rows = [{t("metric"): t(c.metric), t("A"): c.a, t("B"): c.b,
             t("A over resamples"): t("{mean:.2f} ± {ci:.2f}", mean=c.a_mean, ci=c.a_ci),
             t("B over resamples"): t("{mean:.2f} ± {ci:.2f}", mean=c.b_mean, ci=c.b_ci), t("p-value"): c.p_value,
             t("verdict"): t("different (p < 0.05)") if c.significant else t("not shown different (p ≥ 0.05)")}
            for c in comparisons]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    charts.show(figures.systems(comparisons), key="met_systems", name="paired-bootstrap")
    st.caption(t("Both systems are scored on the same {samples:,} resamples of the segments (sacrebleu's paired "
                 "bootstrap, Koehn 2004); the p-value is the share of resamples whose difference, centred, exceeds "
                 "the real one.", samples=view.BOOTSTRAP))
    for c in comparisons:
        st.code(c.signature, language=None)


def perplexity_tab() -> None:
    options = lm_options(trained_specs("lm"))
    left, right = st.columns([1, 2])  # the model beside the text: the chart starts on a projector's first screen
    key = controls.select(view.MODEL, options=[spec.key for spec in options], where=left,
                          names=model_names(options))
    lm = trained(spec_of(key, options), key="met_train", label=t("Train the default model"))
    if lm is None:
        return
    text = controls.area(view.PERPLEXITY_TEXT, height=90, where=right)
    with user_errors():
        result = memo.perplexity(lm, text)
        a, b, c = st.columns(3)
        a.metric(t("Perplexity"), f"{result.perplexity:.3f}")
        b.metric(t("Mean surprisal H"), t("{nats:.3f} nats", nats=result.mean),
                 help=t("{bits:.3f} bits", bits=result.mean_bits))
        c.metric(t("e^H = 2^(H in bits)"), f"{result.perplexity:.3f}")
        show_html(surprisal_html(result.tokens, result.nats, first=t("first token: no prediction"),
                                 hover=t("{nats:.2f} nats · p = {p:.3f}")))
        charts.show(figures.surprisal_bars(result.tokens, result.nats), key="met_surprisal", name="surprisal")


controls.tabs(view.TAB, {"bleu": bleu_tab, "chrf": chrf_tab, "rouge": rouge_tab, "corpus": corpus_tab,
                         "perplexity": perplexity_tab})
