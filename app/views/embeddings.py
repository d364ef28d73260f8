"""Word embeddings: word2vec, GloVe, fastText and count-based vectors, trained on demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app.cache import book_neighbours, cooccurrence_heatmap, embedding_evaluation, projection, warm_umap
from app.components import charts
from app.components.guard import end_page, user_errors
from app.components.html import escape, show_html
from app.components.tokens import STYLE
from app.components.training import trained, trained_all
from app.components.tabs import show_tabs
from core.corpora import shipped_corpora
from core.embeddings.analysis import CATEGORIES, align, category_words, neighbour_drift, project
from core.embeddings.counts import glove_weight
from core.embeddings.fasttext import FastTextVectors
from core.embeddings.jobs import MODELS, embedding_spec
from core.embeddings.sampling import huffman_codes, keep_probability, negative_distribution
from core.embeddings.text import words as tokenize

chart_config = charts.export_config()  # the download button's format (sidebar)

warm_umap()
st.title("Word embeddings")
st.caption("Words that appear in similar contexts get similar vectors. Every model here learns them from the "
           "shipped books (words: lowercase letters, an apostrophe allowed; one paragraph is one sentence).")

names = {c.name: c.title for c in shipped_corpora() if c.name in ("gutenberg", "tinyshakespeare")}
with st.expander("Model and settings", expanded=False, icon=":material/tune:"):
    a, b = st.columns(2)
    model = a.selectbox("Model", list(MODELS), format_func=MODELS.get, key="emb_model", index=1,
                        help="CBOW is fastest; skip-gram is better on rare words; HS replaces negatives by a tree.")
    corpus = b.selectbox("Corpus", list(names), format_func=names.get, key="emb_corpus", index=list(names).index("gutenberg"))
    a, b, c, d = st.columns(4)
    dim = a.select_slider("Dimensions", [25, 50, 100, 200], value=100, key="emb_dim",
                          help="More dimensions hold more distinctions but need more data.")
    window = b.slider("Window", 1, 10, 5, key="emb_window", help="Small windows: syntax; large: topic.")
    min_count = c.number_input("Min count", 1, 100, 5, key="emb_min_count", help="Rarer words get no vector.")
    epochs = d.slider("Epochs", 1, 10, 3, key="emb_epochs", help="Passes over the corpus.")
spec = embedding_spec(model, corpus, dim=dim, window=window, min_count=int(min_count), epochs=epochs)
with user_errors():
    vectors = trained(spec, key="emb_train", label="Train the vectors")
if vectors is None:
    end_page()

info = vectors.info
a, b, c = st.columns(3)
a.metric("Vocabulary", f"{len(vectors.words):,} words")
b.metric("Training time", f"{info.get('seconds', 0):.0f} s")
if "effective_words_per_s" in info:
    c.metric("Effective words / s", f"{info['effective_words_per_s']:,.0f}")


def analogies_tab() -> None:
    a, b, c = st.columns(3)
    first, second, third = (a.text_input("a", "man", key="emb_a"), b.text_input("is to b", "king", key="emb_b"),
                            c.text_input("as c is to ?", "woman", key="emb_c"))
    with user_errors():
        add = vectors.analogy(first, second, third, method="add")
        mul = vectors.analogy(first, second, third, method="mul")
        left, right = st.columns(2)
        left.markdown("**3CosAdd**: nearest to b - a + c")
        left.dataframe(pd.DataFrame(add, columns=["word", "cosine"]), hide_index=True, width="stretch")
        right.markdown("**3CosMul**: cos(b)·cos(c) / cos(a)")
        right.dataframe(pd.DataFrame(mul, columns=["word", "score"]), hide_index=True, width="stretch")
        four = [first.lower(), second.lower(), third.lower(), add[0][0]]
        points = project(np.stack([vectors.vector(w) for w in four]), "pca", 2)
        fig = go.Figure()
        for (i, j), color in (((0, 1), charts.COLORS[0]), ((2, 3), charts.COLORS[0]), ((0, 2), charts.COLORS[1]),
                              ((1, 3), charts.COLORS[1])):
            fig.add_annotation(x=points[j, 0], y=points[j, 1], ax=points[i, 0], ay=points[i, 1], xref="x", yref="y",
                               axref="x", ayref="y", showarrow=True, arrowhead=3, arrowcolor=color)
        fig.add_scatter(x=points[:, 0], y=points[:, 1], mode="markers+text", text=four, textposition="top center",
                        marker=dict(size=12, color=charts.COLORS[2]))
        st.plotly_chart(charts.style(fig, height=380), key="emb_parallelogram", config=chart_config)
        st.caption("The four words by PCA: a→b and c→answer are the same offset when the analogy holds.")


def neighbours_tab() -> None:
    word = st.text_input("Word", "king", key="emb_word")
    with user_errors():
        if isinstance(vectors, FastTextVectors) and word.strip().lower() not in vectors.index:
            st.info("Not in the vocabulary: fastText composes it from these character n-grams: "
                    + " ".join(f"`{g}`" for g in vectors.composition(word)))
        st.dataframe(pd.DataFrame(vectors.most_similar([word], topn=15), columns=["word", "cosine"]),
                     hide_index=True, width="stretch")
        other = st.text_input("Similarity with", "queen", key="emb_other")
        st.metric(f"cos({word}, {other})", f"{vectors.similarity(word, other):.3f}")


def projection_tab() -> None:
    a, b, c = st.columns(3)
    categories = a.multiselect("Categories", list(CATEGORIES), ["family", "capitals"], key="emb_categories")
    method = b.radio("Method", ["pca", "tsne", "umap"], horizontal=True, key="emb_method")
    dims = c.radio("Dimensions", [2, 3], horizontal=True, key="emb_dims")
    extra = st.text_input("Also these words (space-separated)", "", key="emb_extra")
    with user_errors():
        chosen = [(w, cat) for cat in categories for w in category_words(cat, vectors, 16)]
        chosen += [(w, "yours") for w in tokenize(extra) if w in vectors.index]
        chosen = list(dict((w, c) for w, c in chosen).items())
        if len(chosen) > dims:
            coords = projection(vectors, spec.key, tuple(w for w, _ in chosen), method, dims)
            frame = pd.DataFrame(coords, columns=["x", "y", "z"][:dims])
            frame["word"], frame["category"] = [w for w, _ in chosen], [c for _, c in chosen]
            plot = px.scatter_3d if dims == 3 else px.scatter
            fig = plot(frame, **{k: k for k in ["x", "y", "z"][:dims]}, color="category", text="word",
                       hover_name="word")
            st.plotly_chart(charts.style(fig, height=560), key="emb_projection", config=chart_config)
            st.download_button("Projected coordinates (CSV)", frame.to_csv(index=False), file_name="projection.csv",
                               key="emb_dl_coords", icon=":material/download:")
        else:
            st.info("Pick categories or words to project.")


def evaluation_tab() -> None:
    evaluation = embedding_evaluation(vectors, spec.key)
    analogies = evaluation["analogies"]
    st.metric("Google analogies (top 30,000 words)", f"{analogies['accuracy']:.1%}",
              help=f"{analogies['correct']} of {analogies['total']} answerable questions")
    sections = pd.DataFrame(analogies["sections"])
    st.plotly_chart(charts.style(px.bar(sections, x="section", y="accuracy", hover_data=["correct", "total"]),
                                 height=340), key="emb_sections", config=chart_config)
    for name, label in (("wordsim", "WordSim-353"), ("simlex", "SimLex-999")):
        result = evaluation[name]
        pairs = pd.DataFrame(result["pairs"], columns=["word 1", "word 2", "human", "model"])
        st.markdown(f"**{label}**: Spearman ρ = {result['spearman']:.3f}, coverage {result['coverage']:.0%}")
        st.plotly_chart(charts.style(px.scatter(pairs, x="human", y="model", hover_data=["word 1", "word 2"]),
                                     height=300), key=f"emb_{name}", config=chart_config)


def inside_the_algorithm_tab() -> None:
    counts = vectors.counts if vectors.counts is not None else np.ones(len(vectors.words))
    top = min(2000, len(counts))
    frequency = counts[:top] / counts.sum()
    ranks = np.arange(1, top + 1)
    left, right = st.columns(2)
    left.plotly_chart(charts.lines({"unigram": (ranks, frequency), "unigram^0.75": (ranks, negative_distribution(counts)[:top])},
                                   x_title="rank", y_title="probability", log_x=True, log_y=True, height=320,
                                   title="Negative sampling: unigram vs unigram^0.75"),
                      key="emb_neg", config=chart_config)
    right.plotly_chart(charts.lines({"keep probability (sample=1e-3)": (ranks, keep_probability(counts, 1e-3)[:top])},
                                    x_title="rank", y_title="keep probability", log_x=True, height=320,
                                    title="Subsampling: chance a word is kept"), key="emb_keep", config=chart_config)
    codes, _ = huffman_codes(counts[:top])
    huffman = charts.lines({"words": (counts[:top], [len(c) for c in codes])}, x_title="count",
                           y_title="Huffman code length", log_x=True, height=320,
                           title="Hierarchical softmax: frequent words, short codes")
    huffman.update_traces(mode="markers")
    left.plotly_chart(huffman, key="emb_huffman", config=chart_config)
    x = np.linspace(0, 200, 200)
    right.plotly_chart(charts.lines({"f(x)": (x, glove_weight(x))}, x_title="co-occurrence count", y_title="f(x)",
                                    height=320, title="GloVe weighting f(x) = (x/100)^0.75, capped at 1"),
                       key="emb_glove_f", config=chart_config)
    chosen_words = st.text_input("Co-occurrence of these words (window 5, 1/distance)", "king queen man woman prince "
                                 "crown throne sword", key="emb_cooc_words")
    known = [w for w in tokenize(chosen_words) if w in vectors.index][:20]
    if len(known) >= 2:
        heat = cooccurrence_heatmap(corpus, int(min_count), tuple(known), 5)
        st.plotly_chart(charts.heatmap(np.log1p(heat), x=known, y=known, x_title="context word", y_title="word",
                                       color_title="log(1 + count)", height=380), key="emb_cooc", config=chart_config)
    passage = st.text_area("Which words subsampling drops", "It was the best of times, it was the worst of times, "
                           "it was the age of wisdom, it was the age of foolishness", key="emb_passage")
    keep = keep_probability(counts, 1e-3)
    chips = "".join(f'<span title="{escape(f"kept with p = {keep[vectors.index[w]]:.2f}" if w in vectors.index else "not in the vocabulary")}" '
                    f'style="{STYLE};opacity:{keep[vectors.index[w]] if w in vectors.index else 0.3:.2f}">{escape(w)}</span>'
                    for w in tokenize(passage))
    show_html(f"<div>{chips}</div>")
    st.caption("Faded words are likely to be dropped from a training pass: the frequent ones carry little information.")


def watch_it_learn_tab() -> None:
    if vectors.history:
        history = pd.DataFrame(vectors.history)
        st.plotly_chart(charts.lines({"loss": (history["epoch"], history["loss"])}, x_title="epoch",
                                     y_title="mean loss per prediction"), key="emb_loss", config=chart_config)
        st.caption("The mean loss of each epoch on its own (gensim's reported loss is cumulative and not comparable).")
    if vectors.snapshots:
        word = st.text_input("Follow the neighbours of", "king", key="emb_drift")
        with user_errors():
            drift = neighbour_drift(vectors, word)
            labels = [f"checkpoint {i + 1}" for i in range(len(drift) - 1)] + ["final"]
            st.dataframe(pd.DataFrame(dict(zip(labels, drift))), hide_index=True, width="stretch")


def models_side_by_side_tab() -> None:
    st.markdown("Several models on the same corpus, rotated onto the first by orthogonal Procrustes so their "
                "pictures line up (a rotation changes no cosine).")
    others = st.multiselect("Models", list(MODELS), ["cbow", "sgns", "svd"], format_func=MODELS.get, key="emb_side")
    specs = [embedding_spec(m, corpus, dim=dim, window=window, min_count=int(min_count), epochs=epochs) for m in others]
    models = trained_all(specs, key="emb_side_train", label="Train these models", labels=[MODELS[m] for m in others])
    if models:
        words_shown = [w for cat in ("family", "capitals") for w in category_words(cat, models[0], 10)]
        frames = []
        for name, vecs in zip(others, [models[0]] + [align(models[0], m) for m in models[1:]]):
            shown = [w for w in words_shown if w in vecs.index]
            coords = project(vecs.unit[[vecs.index[w] for w in shown]], "pca", 2)
            frames.append(pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "word": shown, "model": name}))
        fig = px.scatter(pd.concat(frames), x="x", y="y", text="word", facet_col="model")
        st.plotly_chart(charts.style(fig, height=420), key="emb_side_chart", config=chart_config)
        scores = [embedding_evaluation(m, s.key) for m, s in zip(models, specs)]
        st.dataframe(pd.DataFrame([{"model": MODELS[name], "analogy accuracy": e["analogies"]["accuracy"],
                                    "WordSim-353 ρ": e["wordsim"]["spearman"], "SimLex-999 ρ": e["simlex"]["spearman"]}
                                   for name, e in zip(others, scores)]), hide_index=True, width="stretch")
    st.subheader("Documents: sparse TF-IDF vs dense mean vectors")
    if corpus == "gutenberg" and st.toggle("Compare the books (reads 20,000 words of each)", key="emb_books"):
        books = book_neighbours(vectors, spec.key, corpus)
        title = st.selectbox("Book", books["titles"], key="emb_book")
        i = books["titles"].index(title)
        columns = st.columns(2)
        for column, (name, matrix) in zip(columns, (("TF-IDF", books["tfidf"]), ("mean word vectors", books["dense"]))):
            order = [j for j in np.argsort(-matrix[i]) if j != i][:8]
            column.markdown(f"**Nearest by {name}**")
            column.dataframe(pd.DataFrame({"book": [books["titles"][j] for j in order],
                                           "cosine": [matrix[i, j] for j in order]}), hide_index=True, width="stretch")


def downloads_tab() -> None:
    a, b = st.columns(2)
    # the files are written when clicked (a callable), not on every rerun nor kept per session
    a.download_button("Vectors (word2vec text format)", vectors.word2vec_text, file_name="vectors.txt",
                      key="emb_dl_w2v", icon=":material/download:")
    b.download_button("Embedding Projector: vectors.tsv", lambda: vectors.projector_tsv()[0], file_name="vectors.tsv",
                      key="emb_dl_tsv", icon=":material/download:")
    b.download_button("Embedding Projector: metadata.tsv", lambda: vectors.projector_tsv()[1],
                      file_name="metadata.tsv", key="emb_dl_meta", icon=":material/download:")


show_tabs({
    "Analogies": analogies_tab,
    "Neighbours": neighbours_tab,
    "Projection": projection_tab,
    "Evaluation": evaluation_tab,
    "Inside the algorithm": inside_the_algorithm_tab,
    "Watch it learn": watch_it_learn_tab,
    "Models side by side": models_side_by_side_tab,
    "Download": downloads_tab,
}, key="emb_tab")
