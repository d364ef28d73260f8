"""Word embeddings: word2vec, GloVe, fastText and count-based vectors, trained on demand.

Each tab reads its widgets (drawn from the settings `core.views.embeddings` declares), makes one
call into that module (through `app.memo.embeddings` where it costs time), and draws what comes back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.components import charts, controls, messages
from app.components.guard import end_page, user_errors
from app.components.html import show_html
from app.components.tokens import faded_html
from app.components.training import trained, trained_all
from app.figures import embeddings as figures
from app.i18n import enumeration, language, t
from app.memo import embeddings as memo
from core.embeddings.jobs import MODELS
from core.views import embeddings as view

memo.warm_umap()
st.title(t("Word embeddings"))
st.caption(t("Words that appear in similar contexts get similar vectors. Every model here learns them from the "
             "shipped books (words: lowercase letters, an apostrophe allowed; one paragraph is one sentence)."))


def _value(param) -> int:
    """A setting drawn only for some models (the other model's epochs), as the session holds it."""
    return int(st.session_state.get(param.key, param.default_in(language())))


with st.expander(t("Model and settings"), expanded=False, icon=":material/tune:"):
    a, b = st.columns(2)
    model = controls.select(view.MODEL, where=a)
    corpus = controls.select(view.CORPUS, where=b)
    a, b, c, d = st.columns(4)
    dim = controls.steps(view.DIM, where=a)
    window = controls.slider(view.WINDOW, where=b)
    min_count = controls.number(view.MIN_COUNT, where=c)
    epochs_param = view.epochs_setting(model)
    if epochs_param is None:
        d.caption(t(view.SVD_HAS_NO_EPOCHS))
    else:
        controls.slider(epochs_param, where=d)
epochs = {"epochs": _value(view.EPOCHS), "glove_epochs": _value(view.GLOVE_EPOCHS)}
settings = {"dim": int(dim), "window": int(window), "min_count": int(min_count), **epochs}
spec = view.spec_of(model, corpus, **settings)
vectors = trained(spec, key="emb_train", label=t("Train the vectors"))
if vectors is None:
    end_page()

summary = view.summary(vectors)
a, b, c = st.columns(3)
a.metric(t("Vocabulary"), t("{count:,} words", count=summary.vocabulary))
b.metric(t("Training time"), t("{seconds:.0f} s", seconds=summary.seconds))
if summary.words_per_s is not None:
    c.metric(t("Effective words / s"), f"{summary.words_per_s:,.0f}")


def analogies_tab() -> None:
    a, b, c = st.columns(3)
    first, second, third = (controls.text(view.WORD_A, where=a), controls.text(view.WORD_B, where=b),
                            controls.text(view.WORD_C, where=c))
    with user_errors():
        result = view.analogy(vectors, first, second, third)
        left, right = st.columns(2)
        left.markdown(t("**3CosAdd**: nearest to b − a + c"))
        left.dataframe(pd.DataFrame(result.add, columns=[t("word"), t("cosine")]), hide_index=True, width="stretch")
        right.markdown(t("**3CosMul**: cos(b)·cos(c) / cos(a)"))
        right.dataframe(pd.DataFrame(result.mul, columns=[t("word"), t("score")]), hide_index=True, width="stretch")
        fig = figures.parallelogram(result, title=t("The four words by PCA"), offset_ab="b − a", offset_ac="c − a")
        charts.show(fig, key="emb_parallelogram", name="analogy-parallelogram", settings=(*result.words, model, corpus))
        st.caption(t("a→b and c→answer are the same offset (b − a) when the analogy holds; so are a→c and b→answer "
                     "(c − a)."))


def neighbours_tab() -> None:
    a, b = st.columns(2)
    word = controls.text(view.WORD, where=a)
    other = controls.text(view.OTHER, where=b)
    with user_errors():
        result = view.neighbours(vectors, word)
        if result.composed_from:
            messages.info(t("Not in the vocabulary: fastText composes it from these character n-grams: {ngrams}",
                            ngrams=" ".join(result.composed_from)))
        st.dataframe(pd.DataFrame(result.rows, columns=[t("word"), t("cosine")]), hide_index=True, width="stretch")
    with user_errors():
        st.metric(messages.literal(t("cos({first}, {second})", first=word, second=other)),
                  f"{view.similarity(vectors, word, other):.3f}")


def projection_tab() -> None:
    a, b, c = st.columns(3)
    categories = controls.many(view.CHOSEN, where=a)
    method = controls.radio(view.METHOD, where=b)
    dims = controls.radio(view.DIMS, where=c)
    extra = controls.text(view.EXTRA)
    with user_errors():
        result = memo.projection(vectors, spec.key, tuple(categories), extra, method, int(dims))
        if result.typed.unknown:
            messages.info(t("Not in this model's vocabulary, so not drawn: {words}",
                            words=enumeration(result.typed.unknown)))
        if result.typed.cut:
            st.caption(t("Only the first {limit} words typed are projected.", limit=view.MAX_TYPED_WORDS))
        if not result.points:
            messages.info(t("Pick categories or type words to project (more than {dims}).", dims=dims))
            return
        fig = figures.projection(result, names={group: t(name) for group, name in view.GROUPS.items()},
                                 title=t("{count} words by {method}", count=len(result.words),
                                         method=t(view.METHODS[method])))
        charts.show(fig, key="emb_projection", name="projection", settings=(model, corpus, method, f"{dims}d"))
        st.caption(t(view.LABEL_RULE, gap=view.LABEL_GAP))
        st.download_button(t("Projected coordinates (CSV)"), result.csv(),
                           file_name=view.download_name(spec, f"projection-{method}-{dims}d", "csv"),
                           key="emb_dl_coords", icon=":material/download:")


def evaluation_tab() -> None:
    result = memo.evaluation(vectors, spec.key)
    st.metric(t("Google analogies (30,000 most frequent words)"), f"{result.accuracy:.1%}",
              help=t("{correct:,} of {total:,} answerable questions", correct=result.correct, total=result.total))
    names = [t(section["name"]) for section in result.sections]
    hover = [t("{correct:,} of {total:,}", correct=s["correct"], total=s["total"]) for s in result.sections]
    fig = charts.bars(names, [s["accuracy"] for s in result.sections], x_title=t("kind of analogy"),
                      y_title=t("accuracy"), title=t("Accuracy by kind of analogy"), hover=hover)
    charts.show(fig, key="emb_sections", name="analogy-accuracy", settings=(model, corpus))
    for found in result.similarity:
        st.markdown(t("**{name}**: Spearman ρ = {rho:.3f}, coverage {coverage:.0%}", name=found["name"],
                      rho=found["spearman"], coverage=found["coverage"]))
        fig = figures.similarity(found["pairs"], x_title=t("human rating"), y_title=t("cosine in the model"),
                                 title=t("{name}: people against the model", name=found["name"]))
        charts.show(fig, key=f"emb_{found['id']}", name=f"{found['id']}-similarity", settings=(model, corpus))


def inside_tab() -> None:
    data = view.inside(vectors)
    left, right = st.columns(2)
    curves = {t("unigram"): (data.ranks, data.unigram), t("unigram^0.75"): (data.ranks, data.smoothed)}
    charts.show(charts.lines(curves, x_title=t("rank"), y_title=t("probability"), log_x=True, log_y=True, height=320,
                             title=t("Negative sampling: unigram vs unigram^0.75")), key="emb_neg",
                name="negative-sampling", settings=(model, corpus), where=left)
    charts.show(charts.lines({t("chance of being kept (sample = 0.001)"): (data.ranks, data.keep)}, x_title=t("rank"),
                             y_title=t("chance of being kept"), log_x=True, height=320,
                             title=t("Subsampling: the chance a word is kept")), key="emb_keep", name="subsampling",
                settings=(model, corpus), where=right)
    huffman = charts.lines({t("words"): (data.counts, data.code_lengths)}, x_title=t("count in the corpus"),
                           y_title=t("Huffman code length"), log_x=True, markers=True, height=320,
                           title=t("Hierarchical softmax: frequent words, short codes"))
    charts.show(huffman.update_traces(mode="markers"), key="emb_huffman", name="huffman-codes",
                settings=(model, corpus), where=left)
    charts.show(charts.lines({"f(x)": (data.glove_x, data.glove_f)}, x_title=t("co-occurrence count"), y_title="f(x)",
                             height=320, title=t("GloVe weighting f(x) = (x/100)^0.75, capped at 1")),
                key="emb_glove_f", name="glove-weighting", where=right)
    chosen = view.typed_words(vectors, controls.text(view.COOC_WORDS), view.MAX_COOC_WORDS)
    if chosen.unknown:
        messages.info(t("Not in this model's vocabulary, so not drawn: {words}", words=enumeration(chosen.unknown)))
    if len(chosen.known) >= 2:
        heat = memo.cooccurrence(corpus, int(min_count), tuple(chosen.known))
        charts.show(charts.heatmap(heat, x=chosen.known, y=chosen.known, x_title=t("context word"), y_title=t("word"),
                                   color_title=t("log(1 + count)"), height=380,
                                   title=t("How often these words occur near each other")),
                    key="emb_cooc", name="cooccurrence", settings=(corpus, min_count))
    passage = view.subsampling(vectors, controls.area(view.PASSAGE, height=90))
    hovers = [t("kept with p = {p:.2f}", p=p) if p is not None else t("not in the vocabulary") for p in passage.keep]
    show_html(faded_html(passage.words, passage.opacity, hovers))
    st.caption(t("Faded words are likely to be dropped from a training pass: the frequent ones carry little "
                 "information."))
    if passage.cut:
        st.caption(t("Only the first {limit} words are shown.", limit=view.MAX_PASSAGE_WORDS))


def learn_tab() -> None:
    word = controls.text(view.DRIFT) if vectors.snapshots else ""
    with user_errors():
        result = view.learning(vectors, model, word)
        if result.epochs:
            fig = charts.lines({t("loss"): (result.epochs, result.losses)}, x_title=t("epoch"),
                               y_title=t(result.loss_name), title=t("The loss, epoch by epoch"))
            charts.show(fig, key="emb_loss", name="training-loss", settings=(model, corpus))
            st.caption(t("The mean loss of each epoch on its own (gensim's reported loss is cumulative and not "
                         "comparable)."))
        else:
            messages.info(t(view.SVD_HAS_NO_EPOCHS))
        if not result.neighbours:
            messages.info(t(view.NO_SNAPSHOTS))
            return
        labels = [t(template, **fields) for template, fields in result.checkpoints]
        st.markdown(t("The nearest words at each point of training:"))
        st.dataframe(pd.DataFrame(dict(zip(labels, result.neighbours))), hide_index=True, width="stretch")


def side_tab() -> None:
    st.markdown(t("Several models on the same corpus, rotated onto the first by orthogonal Procrustes so their "
                  "pictures line up (a rotation changes no cosine)."))
    chosen = controls.many(view.SIDE)
    if not chosen:
        messages.info(t("Pick the models to compare."))
    else:
        specs = [view.spec_of(name, corpus, **settings) for name in chosen]
        models = trained_all(specs, key="emb_side_train", label=t("Train these models"),
                             labels=[t(MODELS[name]) for name in chosen])
        if models:
            facets = view.side_by_side(list(zip(chosen, models)))
            fig = figures.side_by_side(facets, names=[t(MODELS[f.model]) for f in facets],
                                       title=t("The same words in each model (PCA, rotated onto the first)"))
            charts.show(fig, key="emb_side_chart", name="models-side-by-side", settings=(*chosen, corpus))
            rows = view.scores(chosen, [memo.evaluation(m, s.key) for m, s in zip(models, specs)])
            columns = {"model": t("model"), "analogies": t("analogy accuracy"), "wordsim": "WordSim-353 ρ",
                       "simlex": "SimLex-999 ρ"}
            table = pd.DataFrame(rows, columns=list(columns)).rename(columns=columns)
            table[t("model")] = [t(MODELS[name]) for name in chosen]
            st.dataframe(table, hide_index=True, width="stretch")
    books_section()


def books_section() -> None:
    st.subheader(t("Documents: sparse TF-IDF vs dense mean vectors"))
    if corpus != "gutenberg":
        st.caption(t("The books are compared on the Gutenberg corpus."))
        return
    if not controls.toggle(view.BOOKS):
        return
    similarities = memo.books(vectors, spec.key, corpus)
    title = controls.select(view.BOOK, options=similarities["titles"])
    result = view.book_neighbours(similarities, title)
    for column, (label, rows) in zip(st.columns(2), ((t("**Nearest by TF-IDF**"), result.tfidf),
                                                     (t("**Nearest by mean word vectors**"), result.dense))):
        column.markdown(label)
        column.dataframe(pd.DataFrame(rows, columns=[t("book"), t("cosine")]), hide_index=True, width="stretch")


def download_tab() -> None:
    a, b = st.columns(2)
    # the files are written when clicked (a callable), not on every rerun nor kept per session
    a.download_button(t("Vectors (word2vec text format)"), vectors.word2vec_text,
                      file_name=view.download_name(spec, "vectors", "txt"), key="emb_dl_w2v",
                      icon=":material/download:")
    b.download_button(t("Embedding Projector: vectors"), lambda: vectors.projector_tsv()[0],
                      file_name=view.download_name(spec, "projector-vectors", "tsv"), key="emb_dl_tsv",
                      icon=":material/download:")
    b.download_button(t("Embedding Projector: metadata"), lambda: vectors.projector_tsv()[1],
                      file_name=view.download_name(spec, "projector-metadata", "tsv"), key="emb_dl_meta",
                      icon=":material/download:")


controls.tabs(view.TAB, {"analogies": analogies_tab, "neighbours": neighbours_tab, "projection": projection_tab,
                         "evaluation": evaluation_tab, "inside": inside_tab, "learn": learn_tab, "side": side_tab,
                         "download": download_tab})
