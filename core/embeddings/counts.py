"""Count-based representations: windowed co-occurrence, PPMI + truncated SVD, and TF-IDF.

The co-occurrence matrix counts, for every word, the words within `window` positions of it in
the same sentence (both sides; GloVe weights a pair at distance d by 1/d). PPMI keeps the
positive pointwise mutual information log(P(w,c) / (P(w) P(c))), with the context distribution
raised to 0.75 (Levy, Goldberg & Dagan 2015); its truncated SVD, U sqrt(S), gives dense vectors
that are the classic baseline for word2vec. TF-IDF contrasts sparse document vectors with dense ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from core.embeddings.text import EncodedCorpus, sentences_of
from core.embeddings.vectors import WordVectors
from core.errors import require
from core.progress import Progress, ProgressCallback
from core.i18n import N_

CHUNK = 2_000_000


def cooccurrence(corpus: EncodedCorpus, window: int, *, harmonic: bool = True, vocab_limit: int | None = None,
                 progress: ProgressCallback | None = None) -> sp.csr_matrix:
    """(V, V) symmetric counts of word pairs within `window`; weight 1/distance if `harmonic`."""
    require(isinstance(window, int) and window > 0, "window must be a positive whole number, not {window!r}.",
            window=window)
    vocab = vocab_limit or len(corpus.vocab.words)
    sentence_of = np.repeat(np.arange(len(corpus.sentence_starts) - 1), np.diff(corpus.sentence_starts))
    matrix = sp.csr_matrix((vocab, vocab), dtype=np.float64)
    tracker = Progress(progress, len(corpus.ids))
    for lo in range(0, len(corpus.ids), CHUNK):
        ids, sentences = corpus.ids[lo:lo + CHUNK + window], sentence_of[lo:lo + CHUNK + window]
        rows, cols, weights = [], [], []
        for d in range(1, window + 1):
            ok = (sentences[:-d] == sentences[d:]) & (ids[:-d] < vocab) & (ids[d:] < vocab)
            ok[min(CHUNK, len(ok)):] = False  # pairs starting in the next chunk are counted there
            rows.append(ids[:-d][ok])
            cols.append(ids[d:][ok])
            weights.append(np.full(int(ok.sum()), 1.0 / d if harmonic else 1.0))
        r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
        part = sp.coo_matrix((w, (r, c)), shape=(vocab, vocab)).tocsr()
        matrix = matrix + part + part.T
        tracker.update(min(len(corpus.ids), lo + CHUNK), N_("counting co-occurrences"))
    return matrix


def ppmi(counts: sp.csr_matrix, context_power: float = 0.75) -> sp.csr_matrix:
    """Positive PMI of a co-occurrence matrix (context probabilities smoothed by `context_power`)."""
    total = counts.sum()
    word = np.asarray(counts.sum(1)).ravel() / total
    context = np.asarray(counts.sum(0)).ravel() ** context_power
    context /= context.sum()
    coo = counts.tocoo()
    values = np.log(coo.data / total / (word[coo.row] * context[coo.col]))
    keep = values > 0
    return sp.csr_matrix((values[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)


def train_svd(sentences=None, *, dim: int = 100, window: int = 5, min_count: int = 5, vocab_limit: int = 30_000,
              corpus: EncodedCorpus | None = None, seed: int = 0, progress: ProgressCallback | None = None) -> WordVectors:
    """PPMI + truncated SVD vectors (U sqrt(S)) for the `vocab_limit` most frequent words."""
    from core.embeddings.text import encode

    corpus = corpus or encode(sentences, min_count)
    limit = min(vocab_limit, len(corpus.vocab.words))
    require(dim < limit, "dim ({dim}) must be smaller than the vocabulary ({limit} words).", dim=dim, limit=limit)
    matrix = ppmi(cooccurrence(corpus, window, harmonic=False, vocab_limit=limit, progress=progress))
    u, s, _ = randomized_svd(matrix, n_components=dim, random_state=seed)
    vectors = (u * np.sqrt(s)).astype(np.float32)
    return WordVectors(corpus.vocab.words[:limit], vectors, counts=corpus.vocab.counts[:limit],
                       info={"model": "PPMI + SVD", "singular_values": s.tolist()})


def tfidf_documents(documents: list[tuple[str, list[str]]], vocab: dict[str, int]) -> sp.csr_matrix:
    """(documents, vocabulary) TF-IDF: sublinear term frequency 1 + log tf, idf log(N / df),
    rows L2-normalised so a dot product is a cosine."""
    rows, cols, values = [], [], []
    for r, (_, tokens) in enumerate(documents):
        ids, counts = np.unique([vocab[t] for t in tokens if t in vocab], return_counts=True)
        rows += [r] * len(ids)
        cols += ids.tolist()
        values += (1 + np.log(counts)).tolist()
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(len(documents), len(vocab)))
    df = np.bincount(matrix.indices, minlength=len(vocab))
    matrix = matrix.multiply(np.log(len(documents) / np.maximum(df, 1))).tocsr()
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(1)).ravel())
    return sp.diags(1 / np.maximum(norms, 1e-12)) @ matrix


def book_similarities(corpus_documents, vectors: WordVectors, *, max_words: int = 60_000) -> dict:
    """Books compared two ways: TF-IDF cosine (sparse) and the cosine of their mean word vectors (dense).

    `corpus_documents` are `core.corpora.Document`s; each book is read up to `max_words` words.
    """
    docs = [(doc.title, [w for s in sentences_of(doc.lines(), max_words) for w in s]) for doc in corpus_documents]
    tfidf = tfidf_documents(docs, vectors.index)
    dense = np.stack([vectors.sentence_vector(" ".join(tokens)) for _, tokens in docs])
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    return {"titles": [t for t, _ in docs], "tfidf": (tfidf @ tfidf.T).toarray(), "dense": dense @ dense.T}


def glove_weight(x: np.ndarray, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting f(x) = (x / x_max)^alpha below x_max, 1 above."""
    return np.minimum(1.0, (x / x_max) ** alpha)


def cooccurrence_among(corpus: EncodedCorpus, words: list[str], window: int) -> np.ndarray:
    """Co-occurrence counts (1/distance weighted, both sides) among a few chosen words: (k, k)."""
    index = corpus.vocab.index
    chosen = [index[w] for w in words if w in index]
    remap = np.full(len(corpus.vocab.words), -1, dtype=np.int64)
    remap[chosen] = np.arange(len(chosen))
    local = remap[corpus.ids]
    sentence_of = np.repeat(np.arange(len(corpus.sentence_starts) - 1), np.diff(corpus.sentence_starts))
    out = np.zeros((len(chosen), len(chosen)))
    for d in range(1, window + 1):
        ok = (local[:-d] >= 0) & (local[d:] >= 0) & (sentence_of[:-d] == sentence_of[d:])
        np.add.at(out, (local[:-d][ok], local[d:][ok]), 1.0 / d)
    return out + out.T
