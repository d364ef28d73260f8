"""What the word-embeddings page shows: analogies, neighbours, projections, evaluations, the
algorithms' insides, learning, several models side by side, downloads.

The page's settings are declared here (`PARAMS`); each tab is one function returning plain data
that the page draws. Every request is bounded: words typed (`MAX_TYPED_WORDS`, `MAX_COOC_WORDS`,
`MAX_PASSAGE_WORDS`), words per category, and each text's `max_chars`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from core.corpora import get_corpus
from core.embeddings.analysis import (ANALOGIES, CATEGORIES, SIMLEX, WORDSIM, align, category_words,
                                      neighbour_drift, project)
from core.embeddings.counts import book_similarities, cooccurrence_among, glove_weight
from core.embeddings.fasttext import FastTextVectors
from core.embeddings.jobs import MODELS, embedding_spec
from core.embeddings.sampling import huffman_codes, keep_probability, negative_distribution
from core.embeddings.text import encode_corpus, words as tokenize
from core.embeddings.vectors import WordVectors
from core.i18n import N_
from core.jobs import JobSpec
from core.views.params import Choice, Flag, Many, Number, Params, Text

CORPORA = {"gutenberg": N_("English Gutenberg books"), "tinyshakespeare": N_("Tiny Shakespeare")}
GROUPS = {"capitals": N_("capitals"), "family": N_("family"), "plurals": N_("plurals"),
          "past tense": N_("past tense"), "comparatives": N_("comparatives"), "yours": N_("your words")}
METHODS = {"pca": N_("PCA"), "tsne": N_("t-SNE"), "umap": N_("UMAP")}
PER_CATEGORY = 16  # words of each analogy category projected
MAX_TYPED_WORDS = 30  # words typed for a projection
MAX_COOC_WORDS = 20  # words of the co-occurrence heatmap
MAX_PASSAGE_WORDS = 200  # words of the subsampling passage
TOP_WORDS = 2000  # ranks drawn in the sampling curves
NEIGHBOURS = 15
LABEL_GAP = 0.06  # of the picture's width: labels nearer than this to a labelled word are left to hover
SIDE_WORDS = 10  # words of each category in the side-by-side pictures
BOOK_NEIGHBOURS = 8

TAB = Choice("emb_tab", "analogies", N_("Section"),
             options=("analogies", "neighbours", "projection", "evaluation", "inside", "learn", "side", "download"),
             names={"analogies": N_("Analogies"), "neighbours": N_("Neighbours"), "projection": N_("Projection"),
                    "evaluation": N_("Evaluation"), "inside": N_("Inside the algorithm"),
                    "learn": N_("Watch it learn"), "side": N_("Models side by side"), "download": N_("Download")})
MODEL = Choice("emb_model", "cbow", N_("Model"), options=tuple(MODELS), names=MODELS,
               help=N_("CBOW is fastest; skip-gram is better on rare words; hierarchical softmax replaces negatives "
                       "by a tree."))
CORPUS = Choice("emb_corpus", "gutenberg", N_("Corpus"), options=tuple(CORPORA), names=CORPORA)
DIM = Choice("emb_dim", 100, N_("Dimensions"), options=(25, 50, 100, 200),
             help=N_("More dimensions hold more distinctions but need more data."))
WINDOW = Number("emb_window", 5, N_("Window"), low=1, high=10, help=N_("Small windows: syntax; large: topic."))
MIN_COUNT = Number("emb_min_count", 5, N_("Min count"), low=1, high=100, help=N_("Rarer words get no vector."))
EPOCHS = Number("emb_epochs", 3, N_("Epochs"), low=1, high=10, help=N_("Passes over the corpus."))
GLOVE_EPOCHS = Number("emb_glove_epochs", 25, N_("Epochs"), low=5, high=100, step=5,
                      help=N_("Passes over the co-occurrence counts: GloVe needs many on a corpus this small "
                              "(25 is the default measured in docs/benchmarks.md)."))
WORD_A = Text("emb_a", "man", N_("a"), max_chars=40)
WORD_B = Text("emb_b", "king", N_("is to b"), max_chars=40)
WORD_C = Text("emb_c", "woman", N_("as c is to ?"), max_chars=40)
WORD = Text("emb_word", "king", N_("Word"), max_chars=40)
OTHER = Text("emb_other", "queen", N_("Similarity with"), max_chars=40)
CHOSEN = Many("emb_categories", ["family", "capitals"], N_("Categories"), options=tuple(CATEGORIES), names=GROUPS)
METHOD = Choice("emb_method", "pca", N_("Method"), options=tuple(METHODS), names=METHODS)
DIMS = Choice("emb_dims", 2, N_("Dimensions"), options=(2, 3))
EXTRA = Text("emb_extra", "", N_("Also these words (space-separated)"), max_chars=300,
             help=N_("At most 30 words are projected."))
COOC_WORDS = Text("emb_cooc_words", "king queen man woman prince crown throne sword",
                  N_("Co-occurrence of these words (window 5, 1/distance)"), max_chars=300,
                  help=N_("At most 20 words."))
PASSAGE = Text("emb_passage", "It was the best of times, it was the worst of times, it was the age of wisdom, it was "
               "the age of foolishness", N_("Which words subsampling drops"), max_chars=1_500,
               help=N_("At most 200 words."))
DRIFT = Text("emb_drift", "king", N_("Follow the neighbours of"), max_chars=40)
SIDE = Many("emb_side", ["cbow", "sgns", "svd"], N_("Models"), options=tuple(MODELS), names=MODELS)
BOOKS = Flag("emb_books", False, N_("Compare the books (reads 20,000 words of each)"))
BOOK = Choice("emb_book", get_corpus("gutenberg").documents[0].title, N_("Book"))  # options: the corpus's books
# the tabs' own settings first, the training settings last: a check that changes each in turn
# (tests/app/session_vs_link.py) reaches every tab's before a new model leaves nothing trained
PARAMS = Params("emb_", [TAB, WORD_A, WORD_B, WORD_C, WORD, OTHER, CHOSEN, METHOD, DIMS, EXTRA, COOC_WORDS, PASSAGE,
                         DRIFT, SIDE, BOOKS, BOOK, EPOCHS, GLOVE_EPOCHS, MIN_COUNT, WINDOW, DIM, CORPUS, MODEL])


# ---- the model --------------------------------------------------------------------------------
SVD_HAS_NO_EPOCHS = N_("PPMI + SVD counts co-occurrences and factorises them once: it has no epochs.")


def epochs_setting(model: str) -> Number | None:
    """The epochs control a model uses: GloVe its own range (default 25), PPMI-SVD none."""
    return None if model == "svd" else GLOVE_EPOCHS if model == "glove" else EPOCHS


def spec_of(model: str, corpus: str, *, dim: int, window: int, min_count: int, epochs: int,
            glove_epochs: int) -> JobSpec:
    """The training job, holding only the settings `model` uses (`core.embeddings.jobs.settings_for`):
    GloVe takes `glove_epochs`, PPMI-SVD no epochs, the others `epochs`."""
    return embedding_spec(model, corpus, dim=dim, window=window, min_count=min_count,
                          epochs=glove_epochs if model == "glove" else epochs)


def first_models() -> list[JobSpec]:
    """What the page opens on: the default model with the default settings."""
    return [spec_of(MODEL.default, CORPUS.default, dim=DIM.default, window=WINDOW.default,
                    min_count=MIN_COUNT.default, epochs=EPOCHS.default, glove_epochs=GLOVE_EPOCHS.default)]


@dataclass(frozen=True)
class Summary:
    vocabulary: int
    seconds: float
    words_per_s: float | None  # word2vec only: effective words (after subsampling) per second


def summary(vectors: WordVectors) -> Summary:
    info = vectors.info
    return Summary(len(vectors.words), float(info.get("seconds", 0.0)), info.get("effective_words_per_s"))


def download_name(spec: JobSpec, what: str, extension: str) -> str:
    """A file name after its content and the model's settings: `cbow-tinyshakespeare-d50-w5-min5-e1-vectors.txt`."""
    s = spec.settings
    parts = [s["model"], spec.corpus.replace(":", "-"), f"d{s['dim']}", f"w{s['window']}", f"min{s['min_count']}",
             f"e{s['epochs']}" if "epochs" in s else "", what]
    return "-".join(part for part in parts if part) + "." + extension


# ---- analogies and neighbours -------------------------------------------------------------------
@dataclass(frozen=True)
class Analogy:
    add: list[tuple[str, float]]  # 3CosAdd: nearest to b - a + c
    mul: list[tuple[str, float]]  # 3CosMul (Levy & Goldberg, 2014)
    words: list[str]  # a, b, c and 3CosAdd's answer
    points: list[list[float]]  # their PCA coordinates (4 x 2): the parallelogram


def analogy(vectors: WordVectors, a: str, b: str, c: str, topn: int = 10) -> Analogy:
    """a : b :: c : ? both ways, and the four words in 2-D: a→b and c→answer are the same offset
    when the analogy holds."""
    add = vectors.analogy(a, b, c, method="add", topn=topn)
    mul = vectors.analogy(a, b, c, method="mul", topn=topn)
    four = [w.strip().lower() for w in (a, b, c)] + [add[0][0]]
    points = project(np.stack([vectors.vector(w) for w in four]), "pca", 2)
    return Analogy(add, mul, four, points.tolist())


@dataclass(frozen=True)
class Neighbours:
    rows: list[tuple[str, float]]  # word, cosine
    composed_from: list[str]  # for a word fastText composes from character n-grams: those n-grams


def neighbours(vectors: WordVectors, word: str) -> Neighbours:
    """The nearest words by cosine; for a fastText model and a word it never saw, the n-grams its
    vector is built from."""
    composed = (vectors.composition(word) if isinstance(vectors, FastTextVectors)
                and word.strip().lower() not in vectors.index else [])
    return Neighbours(vectors.most_similar([word], topn=NEIGHBOURS), composed)


def similarity(vectors: WordVectors, first: str, second: str) -> float:
    return vectors.similarity(first, second)


# ---- projection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Typed:
    """Words a user typed: those the model knows, those it does not (left out), and whether the
    list was cut at its cap."""

    known: list[str]
    unknown: list[str]
    cut: bool


def typed_words(vectors: WordVectors, text: str, limit: int) -> Typed:
    words = list(dict.fromkeys(tokenize(text)))
    kept = words[:limit]
    return Typed([w for w in kept if w in vectors.index], [w for w in kept if w not in vectors.index],
                 len(words) > limit)


LABEL_RULE = N_("A word is labelled unless a labelled word is nearer than {gap:.0%} of the picture's width (more "
                "frequent words are labelled first); hover a point for its word.")


def label_mask(points: np.ndarray, ranks: Sequence[int], gap: float = LABEL_GAP) -> list[bool]:
    """Which points get a written label: greedily, most frequent word first (lowest rank), each
    kept only if no labelled point is within `gap` of the picture's width, so labels do not pile up."""
    points = np.asarray(points, dtype=float)
    if not len(points):
        return []
    width = max(float(np.ptp(points, axis=0).max()), 1e-12)
    labelled: list[int] = []
    for i in np.argsort(ranks, kind="stable"):
        if all(np.linalg.norm(points[i] - points[j]) >= gap * width for j in labelled):
            labelled.append(int(i))
    chosen = set(labelled)
    return [i in chosen for i in range(len(points))]


@dataclass(frozen=True)
class Projection:
    words: list[str]
    groups: list[str]  # each word's category (an id of GROUPS)
    points: list[list[float]]  # (n, dims); empty when there are too few words to project
    labelled: list[bool]  # see LABEL_RULE
    typed: Typed
    method: str
    dims: int

    def csv(self) -> str:
        """The coordinates as CSV (word, group, x, y[, z])."""
        out = io.StringIO()
        out.write(",".join(["word", "group", *"xyz"[:self.dims]]) + "\n")
        for word, group, point in zip(self.words, self.groups, self.points):
            out.write(",".join([word, group, *(f"{v:.6g}" for v in point)]) + "\n")
        return out.getvalue()


def projection(vectors: WordVectors, categories: Sequence[str], extra: str, method: str, dims: int) -> Projection:
    """The chosen categories' words (PER_CATEGORY each) and the typed ones the model knows, by
    PCA, t-SNE or UMAP; the typed words it does not know are named, not silently dropped."""
    typed = typed_words(vectors, extra, MAX_TYPED_WORDS)
    chosen = dict.fromkeys([(w, c) for c in categories for w in category_words(c, vectors, PER_CATEGORY)])
    pairs = list({w: g for w, g in [*chosen, *((w, "yours") for w in typed.known)]}.items())
    words, groups = [w for w, _ in pairs], [g for _, g in pairs]
    if len(words) <= dims:
        return Projection(words, groups, [], [], typed, method, dims)
    points = project(vectors.unit[[vectors.index[w] for w in words]], method, dims)
    return Projection(words, groups, points.tolist(), label_mask(points, [vectors.index[w] for w in words]), typed,
                      method, dims)


# ---- evaluation ---------------------------------------------------------------------------------
SECTIONS = {"capital-common-countries": N_("capitals (common countries)"), "capital-world": N_("capitals (world)"),
            "currency": N_("currencies"), "city-in-state": N_("cities in states"), "family": N_("family"),
            "gram1-adjective-to-adverb": N_("adjective to adverb"), "gram2-opposite": N_("opposites"),
            "gram3-comparative": N_("comparatives"), "gram4-superlative": N_("superlatives"),
            "gram5-present-participle": N_("present participles"),
            "gram6-nationality-adjective": N_("nationality adjectives"), "gram7-past-tense": N_("past tense"),
            "gram8-plural": N_("plural nouns"), "gram9-plural-verbs": N_("plural verbs")}
SIMILARITY_SETS = (("wordsim", "WordSim-353"), ("simlex", "SimLex-999"))


@dataclass(frozen=True)
class Evaluation:
    accuracy: float  # Google analogies, among the 30,000 most frequent words
    correct: int
    total: int
    sections: list[dict]  # name (human), accuracy, correct, total
    similarity: list[dict] = field(default_factory=list)  # id, name, spearman, coverage, pairs (w1, w2, human, model)


def evaluation(vectors: WordVectors) -> Evaluation:
    """The analogy and similarity benchmarks, as gensim computes them (tests compare)."""
    analogies = vectors.evaluate_analogies(ANALOGIES)
    sections = [{"name": SECTIONS.get(s["section"], s["section"]), "accuracy": s["accuracy"], "correct": s["correct"],
                 "total": s["total"]} for s in analogies["sections"]]
    similarity = [{"id": key, "name": name, **vectors.evaluate_similarity(path)}
                  for (key, name), path in zip(SIMILARITY_SETS, (WORDSIM, SIMLEX))]
    return Evaluation(analogies["accuracy"], analogies["correct"], analogies["total"], sections, similarity)


# ---- inside the algorithm -----------------------------------------------------------------------
@dataclass(frozen=True)
class Inside:
    ranks: list[int]  # 1..TOP_WORDS
    unigram: list[float]  # each word's share of the corpus
    smoothed: list[float]  # unigram^0.75, renormalised: what negatives are drawn from
    keep: list[float]  # the chance a word is kept by subsampling (sample = 1e-3)
    counts: list[float]  # corpus counts, for the Huffman code lengths
    code_lengths: list[int]  # hierarchical softmax: frequent words get short codes
    glove_x: list[float]
    glove_f: list[float]  # GloVe's weighting f(x) = (x / 100)^0.75, capped at 1


def inside(vectors: WordVectors) -> Inside:
    """The sampling distributions and weightings the algorithms use, on this model's counts."""
    counts = vectors.counts if vectors.counts is not None else np.ones(len(vectors.words))
    top = min(TOP_WORDS, len(counts))
    codes, _ = huffman_codes(counts[:top])
    x = np.linspace(0, 200, 200)
    return Inside(list(range(1, top + 1)), (counts[:top] / counts.sum()).tolist(),
                  negative_distribution(counts)[:top].tolist(), keep_probability(counts, 1e-3)[:top].tolist(),
                  counts[:top].astype(float).tolist(), [len(c) for c in codes], x.tolist(), glove_weight(x).tolist())


def cooccurrence(corpus: str, min_count: int, words: Sequence[str], window: int = 5) -> list[list[float]]:
    """log(1 + co-occurrence count) among a few words (1/distance weighted, both sides)."""
    counts = cooccurrence_among(encode_corpus(corpus, min_count, 10_200_000), list(words), window)
    return np.log1p(counts).tolist()


@dataclass(frozen=True)
class Subsampling:
    words: list[str]  # at most MAX_PASSAGE_WORDS
    keep: list[float | None]  # the chance each is kept in a training pass (None: not in the vocabulary)
    cut: bool

    @property
    def opacity(self) -> list[float]:
        """How opaque each word is drawn: its chance of being kept (an unknown word faint)."""
        return [0.3 if p is None else p for p in self.keep]


def subsampling(vectors: WordVectors, passage: str) -> Subsampling:
    """How likely each word of a passage is to survive subsampling (frequent words rarely do)."""
    words = tokenize(passage)
    counts = vectors.counts if vectors.counts is not None else np.ones(len(vectors.words))
    keep = keep_probability(counts, 1e-3)
    kept = words[:MAX_PASSAGE_WORDS]
    return Subsampling(kept, [float(keep[vectors.index[w]]) if w in vectors.index else None for w in kept],
                       len(words) > MAX_PASSAGE_WORDS)


# ---- watch it learn -----------------------------------------------------------------------------
LOSS_NAMES = {"glove": N_("weighted squared error per co-occurrence")}
DEFAULT_LOSS = N_("mean loss per prediction (nats)")
NO_SNAPSHOTS = N_("Only the word2vec models keep snapshots during training.")


@dataclass(frozen=True)
class Learning:
    epochs: list[int]
    losses: list[float]  # each epoch's own mean loss (nothing else: speed is in the progress message)
    loss_name: str  # English, translated where shown
    checkpoints: list[tuple[str, dict]]  # (English template, fields): random start, after N% of training, final
    neighbours: list[list[str]]  # the word's nearest words at each checkpoint


def checkpoint_labels(snapshots: int) -> list[tuple[str, dict]]:
    """Names of the snapshots word2vec keeps (the random start, then evenly spaced points before
    the end: `checkpoints` = n keeps them at 0, 1/n, ... (n-1)/n of training), then the final vectors."""
    if not snapshots:
        return []
    after = [(N_("after {percent}% of training"), {"percent": round(100 * i / snapshots)}) for i in range(1, snapshots)]
    return [(N_("random start"), {}), *after, (N_("final"), {})]


def learning(vectors: WordVectors, model: str, word: str) -> Learning:
    """The loss of each epoch, and how `word`'s nearest neighbours change from the random start
    (for the models that keep snapshots; `word` is not looked up for the others)."""
    history = vectors.history
    return Learning([h["epoch"] for h in history], [h["loss"] for h in history], LOSS_NAMES.get(model, DEFAULT_LOSS),
                    checkpoint_labels(len(vectors.snapshots)),
                    neighbour_drift(vectors, word) if vectors.snapshots else [])


# ---- models side by side ------------------------------------------------------------------------
@dataclass(frozen=True)
class Facet:
    model: str  # an id of MODELS
    words: list[str]
    points: list[list[float]]
    labelled: list[bool]


def side_by_side(models: Sequence[tuple[str, WordVectors]]) -> list[Facet]:
    """The same words by PCA in each model, every model rotated onto the first (orthogonal
    Procrustes: a rotation changes no cosine), so the pictures line up."""
    first = models[0][1]
    shown = [w for c in ("family", "capitals") for w in category_words(c, first, SIDE_WORDS)]
    facets = []
    for (model, vectors), aligned in zip(models, [first] + [align(first, v) for _, v in models[1:]]):
        words = [w for w in shown if w in aligned.index]
        rows = aligned.unit[[aligned.index[w] for w in words]]
        points = project(rows, "pca", 2) if len(words) > 2 else np.zeros((0, 2))
        facets.append(Facet(model, words, points.tolist(), label_mask(points, [aligned.index[w] for w in words])))
    return facets


def scores(models: Sequence[str], evaluations: Sequence[Evaluation]) -> list[dict]:
    """One row per model: analogy accuracy and the two similarity correlations."""
    return [{"model": model, "analogies": e.accuracy, **{s["id"]: s["spearman"] for s in e.similarity}}
            for model, e in zip(models, evaluations)]


@dataclass(frozen=True)
class BookNeighbours:
    tfidf: list[tuple[str, float]]  # nearest books by TF-IDF cosine
    dense: list[tuple[str, float]]  # nearest by the cosine of their mean word vectors


def books(vectors: WordVectors, corpus: str) -> dict[str, Any]:
    """Every book against every other, sparse and dense (reads 20,000 words of each)."""
    return book_similarities(get_corpus(corpus).documents, vectors, max_words=20_000)


def book_neighbours(similarities: dict[str, Any], title: str) -> BookNeighbours:
    titles = similarities["titles"]
    i = titles.index(title) if title in titles else 0

    def nearest(matrix: np.ndarray) -> list[tuple[str, float]]:
        order = [j for j in np.argsort(-matrix[i]) if j != i][:BOOK_NEIGHBOURS]
        return [(titles[j], float(matrix[i, j])) for j in order]

    return BookNeighbours(nearest(np.asarray(similarities["tfidf"])), nearest(np.asarray(similarities["dense"])))
