"""What the word-vectors page draws: projections, analogy categories, alignment, learning curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.linalg import orthogonal_procrustes

from core.embeddings.vectors import WordVectors
from core.errors import require
from core.settings import ASSETS_DIR

EVAL_DIR = ASSETS_DIR / "eval" / "word_embeddings"
ANALOGIES = EVAL_DIR / "questions-words.txt"
WORDSIM = EVAL_DIR / "wordsim353.tsv"
SIMLEX = EVAL_DIR / "simlex999.txt"
CATEGORIES = {"capitals": "capital-common-countries", "family": "family", "plurals": "gram8-plural",
              "past tense": "gram7-past-tense", "comparatives": "gram3-comparative"}


def category_words(category: str, vectors: WordVectors, limit: int = 24, path: Path = ANALOGIES) -> list[str]:
    """Distinct words of one analogy section that the model knows."""
    section, wanted, seen = CATEGORIES[category], False, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            wanted = line[1:].strip() == section
            continue
        if wanted:
            for word in line.lower().split():
                if word in vectors.index and word not in seen:
                    seen.append(word)
    return seen[:limit]


def project(points: np.ndarray, method: str = "pca", dims: int = 2, seed: int = 0) -> np.ndarray:
    """2-D or 3-D coordinates by PCA, t-SNE or UMAP."""
    require(method in ("pca", "tsne", "umap"), "method must be pca, tsne or umap, not {method!r}.", method=method)
    require(dims in (2, 3), "dims must be 2 or 3.")
    require(len(points) > dims, "Projecting needs more than {dims} words.", dims=dims)
    if method == "pca":
        centred = points - points.mean(0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        return centred @ vt[:dims].T
    if method == "tsne":
        from sklearn.manifold import TSNE

        return TSNE(n_components=dims, perplexity=min(30, len(points) - 1), random_state=seed,
                    init="pca").fit_transform(points)
    import umap

    return umap.UMAP(n_components=dims, n_neighbors=min(15, len(points) - 1), random_state=seed).fit_transform(points)


def align(reference: WordVectors, other: WordVectors, top: int = 5000) -> WordVectors:
    """`other` rotated onto `reference` by orthogonal Procrustes over their shared frequent words,
    so projections of two models can be compared (rotations keep every cosine)."""
    shared = [w for w in reference.words[:top] if w in other.index]
    require(len(shared) >= 10, "The two models share too few words to align.")
    a = other.unit[[other.index[w] for w in shared]]
    b = reference.unit[[reference.index[w] for w in shared]]
    require(a.shape[1] == b.shape[1], "Only models of the same dimension can be aligned.")
    rotation, _ = orthogonal_procrustes(a, b)
    return WordVectors(other.words, (other.unit @ rotation).astype(np.float32), counts=other.counts, info=other.info)


def neighbour_drift(vectors: WordVectors, word: str, topn: int = 8) -> list[list[str]]:
    """The nearest words of `word` at each training checkpoint, then at the end."""
    word = word.strip().lower()
    vectors.vector(word)  # an unknown word gets its message (with close spellings) here
    index = vectors.index[word]
    out = []
    for snapshot in [*vectors.snapshots, vectors.vectors]:
        unit = snapshot / np.maximum(np.linalg.norm(snapshot, axis=1, keepdims=True), 1e-12)
        scores = unit @ unit[index]
        best = [i for i in np.argsort(-scores)[: topn + 1] if i != index][:topn]
        out.append([vectors.words[i] for i in best])
    return out
