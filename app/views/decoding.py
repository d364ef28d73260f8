"""Decoding: greedy, beam search and sampling on one trained model, seen step by step.

Each tab reads its widgets (declared in `core.views.decoding`), makes one call there (through
`app.memo.decoding`), and draws what comes back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import end_page, user_errors
from app.components.html import show_html
from app.components.tokens import probability_html
from app.components.training import trained
from app.figures import decoding as figures
from app.i18n import t
from app.memo import decoding as memo
from app.models import model_names, trained_specs
from core.views import decoding as view

st.title(t("Decoding"))
st.caption(t("The same trained model, continued three ways. Greedy takes the likeliest token; beam search keeps the "
             "best few partial sequences; sampling draws from the distribution after temperature, top-k and top-p."))

options = view.lm_options(trained_specs("lm"))
model_key = controls.select(view.MODEL, options=[spec.key for spec in options],
                            names=model_names(options))
lm = trained(view.spec_of(model_key, options), key="dec_train", label=t("Train the default model"))
if lm is None:
    end_page()
prompt = controls.text(view.PROMPT)
max_new = int(controls.slider(view.NEW, high=view.max_new_tokens(lm)))


def _notes(notes: list[tuple[str, dict]]) -> None:
    for template, fields in notes:
        messages.info(t(template, **fields))


def _method() -> view.Method:
    method = controls.radio(view.METHOD)
    a, b, c, d, e = st.columns(5)
    if method == "beam":
        return view.Method("beam", beams=int(controls.slider(view.BEAMS, where=a)),
                           length_penalty=float(controls.slider(view.LENGTH_PENALTY, where=b)),
                           no_repeat=int(controls.number(view.NO_REPEAT, where=c)))
    if method == "sampling":
        return view.Method("sampling", temperature=float(controls.slider(view.TEMPERATURE, where=a)),
                           top_k=int(controls.number(view.TOP_K, where=b)),
                           top_p=float(controls.slider(view.TOP_P, where=c)),
                           repetition=float(controls.slider(view.REPETITION, where=d)),
                           seed=int(controls.number(view.SEED, where=e)))
    return view.Method("greedy")


def generate_tab() -> None:
    method = _method()
    with user_errors():
        result = memo.decoded(lm, prompt, max_new, method)
        _notes(result.notes)
        st.markdown(t("**Output**, each generated token shaded by the probability the model gave it (hover for the "
                      "number):"))
        show_html(probability_html([result.prompt, *result.tokens], [1.0, *result.probabilities]))
        score = (t("Score {score:.3f}: sum of log-probabilities / length^penalty", score=result.score)
                 if method.name == "beam" else t("Score {score:.3f}: sum of log-probabilities", score=result.score))
        st.caption(score)
        charts.show(figures.token_probabilities(result.tokens, result.probabilities), key="dec_probabilities",
                    name="token-probabilities", settings=(method.name, max_new))
        if method.name == "beam":
            _beam(result, method)
        elif method.name == "sampling":
            _sampling(result, method)


def _beam(result: view.Continuation, method: view.Method) -> None:
    st.subheader(t("Beam tree"))
    upto = int(controls.slider(view.TREE_STEP, high=len(result.trace) - 1))
    tree = view.beam_tree(result, upto)
    charts.show(figures.beam_tree(tree), key="dec_tree", name="beam-tree", settings=(method.beams, upto))
    st.caption(t("Each step, every kept beam proposes its best next tokens; the {keep} best candidates overall are "
                 "ranked, the best {beams} are kept (circles) and the rest pruned (crosses). A star is a sequence "
                 "that finished.", keep=2 * method.beams, beams=method.beams))
    st.dataframe(pd.DataFrame([{t("rank"): r["rank"], t("text"): r["text"], t("score"): r["score"]}
                               for r in result.ranked]), hide_index=True, width="stretch")


def _sampling(result: view.Continuation, method: view.Method) -> None:
    st.subheader(t("Step by step"))
    step = view.sampling_step(result, int(controls.slider(view.STEP, high=len(result.trace) - 1)))
    columns = st.columns(len(step.stages))
    for index, (column, (name, probabilities)) in enumerate(zip(columns, step.stages)):
        chosen = step.chosen if name == step.stages[-1][0] else None
        charts.show(figures.distribution_bars(step.tokens, probabilities, chosen=chosen, height=280, title=t(name)),
                    key=f"dec_stage_{index}", name="sampling-stage", settings=(t(name), step.step), where=column)
    fields = {"step": step.step, "token": repr(step.chosen_token), "entropy": step.entropy, "count": len(step.tokens)}
    drew = (t("Step {step}: drew {token} (marked ▼ sampled in the last picture). Entropy of the final distribution: "
              "{entropy:.3f} nats.", **fields) if step.chosen is not None else
            t("Step {step}: drew {token}, beyond the {count} likeliest tokens shown. Entropy of the final "
              "distribution: {entropy:.3f} nats.", **fields))
    st.caption(messages.literal(drew))  # a token may be Markdown


def temperature_tab() -> None:
    st.markdown(t("The model's distribution for the token after the prompt, divided by a temperature before the "
                  "softmax: below 1 it sharpens, above 1 it flattens."))
    temperature = float(controls.slider(view.LIVE_TEMPERATURE))
    with user_errors():
        picture = memo.temperature_picture(lm, prompt, temperature)
        _notes(picture.notes)
        title = t("Next token at temperature {temperature:.2f}: entropy {entropy:.3f} nats", temperature=temperature,
                  entropy=picture.entropy)
        charts.show(figures.distribution_bars(picture.tokens, picture.probabilities, title=title), key="dec_live",
                    name="next-token-distribution", settings=(temperature,))
        charts.show(figures.drawn_counts(picture.drawn, picture.draws), key="dec_draws", name="seeded-draws",
                    settings=(temperature,))
        st.caption(t("{draws} draws with seed 0 from this distribution: how often each next token came out.",
                     draws=picture.draws))


def compare_tab() -> None:
    with user_errors():
        result = memo.comparison(lm, prompt, max_new)
        _notes(result.notes)
        columns = {"distinct_1": t("distinct words (distinct-1)"), "distinct_2": t("distinct word pairs (distinct-2)"),
                   "self_bleu": t("self-BLEU"), "repeated_4grams": t("repeated token 4-grams"),
                   "mean_logprob": t("mean log p (nats)")}
        table = pd.DataFrame([{t("method"): t(row.method), **{columns[k]: getattr(row, k) for k in columns}}
                              for row in result.rows])
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={name: st.column_config.NumberColumn(format="%.3f") for name in columns.values()})
        st.caption(t("Diversity across the {samples} outputs of each method, on words: distinct-1 and distinct-2 are "
                     "the share of different words and word pairs among all those of the {samples} outputs pooled "
                     "(higher: more varied); self-BLEU is the BLEU of each output against the others (100: the "
                     "same text every time). Greedy and beam search are deterministic: their {samples} outputs are "
                     "one text. Repeated 4-grams counts tokens repeated within one output; mean log p is how likely "
                     "the model found its own output.", samples=result.samples))
        for row in result.rows:
            st.text(t("{method}: {output}", method=t(row.method), output=repr(row.outputs[0])))


controls.tabs(view.TAB, {"generate": generate_tab, "temperature": temperature_tab, "compare": compare_tab})
