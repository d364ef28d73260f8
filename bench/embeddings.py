"""Word-vector quality and speed against gensim 4.4 on the shipped Gutenberg corpus (10.1M words).

    python -m bench.embeddings

Same corpus, tokenizer and settings for both (dim 100, window 5, min_count 5, sample 1e-3,
negative 5, 3 epochs, workers = cores); prints Google-analogy accuracy (top 30,000 words),
WordSim-353 Spearman, and effective words per second of training (vocabulary building excluded).
"""

from __future__ import annotations

import os
import time

from gensim.models import Word2Vec

from bench.common import table
from core.embeddings import WordVectors, encode_corpus, train_word2vec
from core.embeddings.analysis import ANALOGIES, WORDSIM
from core.embeddings.text import sentences_of
from core.corpora import get_corpus

CONFIGS = {"skip-gram + NS": ("skipgram", "negative"), "CBOW + NS": ("cbow", "negative"),
           "skip-gram + HS": ("skipgram", "hierarchical")}


def quality(vectors: WordVectors) -> tuple[float, float, float]:
    analogies = vectors.evaluate_analogies(ANALOGIES)
    family = next(s["accuracy"] for s in analogies["sections"] if s["section"] == "family")
    return analogies["accuracy"], family, vectors.evaluate_similarity(WORDSIM)["spearman"]


def main() -> None:
    corpus = encode_corpus("gutenberg", 5)
    sentences = list(sentences_of(get_corpus("gutenberg").lines()))
    train_word2vec(None, corpus=encode_corpus("tinyshakespeare", 5), epochs=1)  # compile the kernels first
    rows = []
    for name, (arch, objective) in CONFIGS.items():
        ours = train_word2vec(None, arch=arch, objective=objective, corpus=corpus, epochs=3)
        reference = Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-3, sg=int(arch == "skipgram"),
                             hs=int(objective == "hierarchical"), negative=0 if objective == "hierarchical" else 5,
                             workers=os.cpu_count(), seed=0)
        reference.build_vocab(sentences)
        start = time.perf_counter()
        effective, _ = reference.train(sentences, total_examples=reference.corpus_count, epochs=3)
        seconds = time.perf_counter() - start
        theirs = WordVectors(list(reference.wv.index_to_key), reference.wv.vectors)
        (a1, f1, s1), (a2, f2, s2) = quality(ours), quality(theirs)
        speed_ours, speed_theirs = ours.info["effective_words_per_s"], effective / seconds
        rows.append({"model": name, "analogy ours": a1, "analogy gensim": a2, "family ours": f1, "family gensim": f2,
                     "WS-353 ours": s1, "WS-353 gensim": s2, "words/s ours": speed_ours,
                     "words/s gensim": speed_theirs, "speed ratio": speed_ours / speed_theirs})
    print(table(rows, list(rows[0])))
    print("\nOther models on the first 3M words (same settings; GloVe window 10, 30 epochs)\n")
    print(other_models())
    print("\nThe batched PyTorch loop (the GPU path) run on this CPU, against the compiled kernel\n")
    print(batched_ratio())


def other_models() -> str:
    """fastText, PPMI-SVD and GloVe on the first 3M words: quality and time."""
    from core.embeddings.counts import train_svd
    from core.embeddings.fasttext import train_fasttext
    from core.embeddings.glove import train_glove

    corpus = encode_corpus("gutenberg", 5, 3_000_000)
    rows = []
    for name, train in (("fastText", lambda: train_fasttext(corpus=corpus, epochs=3)),
                        ("PPMI + SVD", lambda: train_svd(corpus=corpus)),
                        ("GloVe", lambda: train_glove(corpus=corpus, window=10, epochs=30))):
        start = time.perf_counter()
        vectors = train()
        accuracy, _, spearman = quality(vectors)
        rows.append({"model": name, "analogy": accuracy, "WS-353": spearman, "seconds": time.perf_counter() - start})
    return table(rows, ["model", "analogy", "WS-353", "seconds"])


def batched_ratio() -> str:
    """Skip-gram with negative sampling on 1M words: the kernel's words per second and the batched
    loop's (the PyTorch path GPUs use) on the same CPU."""
    from core.embeddings import word2vec

    corpus = encode_corpus("gutenberg", 5, 1_000_000)
    kernel = train_word2vec(None, corpus=corpus, epochs=1).info["effective_words_per_s"]
    original = word2vec._cpu_epoch
    word2vec._cpu_epoch = word2vec._torch_epoch  # the batched loop, forced onto the CPU
    try:
        batched = train_word2vec(None, corpus=corpus, epochs=1).info["effective_words_per_s"]
    finally:
        word2vec._cpu_epoch = original
    return table([{"kernel words/s": kernel, "batched words/s": batched, "ratio": batched / kernel}],
                 ["kernel words/s", "batched words/s", "ratio"])


if __name__ == "__main__":
    main()
