"""fastText (Bojanowski et al., 2017): skip-gram whose input vector is built from character n-grams.

A word is `<word>` with boundary marks; its vector is the mean of its own vector and those of its
n-grams (3 to 6 characters), each n-gram hashed (FNV-1a, as fastText) into one of `buckets` rows.
Training is skip-gram with negative sampling through that mean, each part receiving the whole
error (fastText's update). A word never seen still has n-grams, so it still gets a vector: the mean of theirs.
The default bucket count is 200,000 (fastText uses 2 million) to keep a lab server's memory small.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, prange

from core.embeddings.kernels import lcg_next, negative_step
from core.embeddings.sampling import keep_probability, negative_table
from core.embeddings.text import EncodedCorpus, encode, sentence_chunks
from core.embeddings.vectors import UnknownWord, WordVectors
from core.errors import require
from core.progress import Progress, ProgressCallback
from core.i18n import N_

MIN_N, MAX_N = 3, 6


def fnv1a(text: str) -> int:
    """32-bit FNV-1a over UTF-8 bytes (fastText's n-gram hash)."""
    h = 2166136261
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def ngrams(word: str, min_n: int = MIN_N, max_n: int = MAX_N) -> list[str]:
    marked = f"<{word}>"
    return [marked[i:i + n] for n in range(min_n, max_n + 1) for i in range(len(marked) - n + 1)]


def ngram_rows(word: str, buckets: int) -> list[int]:
    return [fnv1a(g) % buckets for g in ngrams(word)]


class FastTextVectors(WordVectors):
    """Word vectors that can compose a vector for any word from its n-grams."""

    def __init__(self, words, vectors, *, ngram_vectors: np.ndarray, buckets: int, **kwargs):
        super().__init__(words, vectors, **kwargs)
        self.ngram_vectors = ngram_vectors
        self.buckets = buckets

    def vector(self, word: str) -> np.ndarray:
        word = word.strip().lower()
        if word in self.index:
            return self.vectors[self.index[word]]
        rows = ngram_rows(word, self.buckets)
        if not rows:
            raise UnknownWord("{word!r} is too short to have character n-grams.", word=word)
        return self.ngram_vectors[rows].mean(0)

    def composition(self, word: str) -> list[str]:
        """The n-grams an out-of-vocabulary word's vector is built from."""
        return ngrams(word.strip().lower())

    def to_artifact(self):
        import torch

        tensors, data = super().to_artifact()
        tensors["ngram_vectors"] = torch.from_numpy(np.ascontiguousarray(self.ngram_vectors))
        return tensors, {**data, "buckets": self.buckets}

    @classmethod
    def from_artifact(cls, tensors: dict, data: dict) -> "FastTextVectors":
        arrays = {k: v.numpy() for k, v in tensors.items()}
        return cls(data["words"], arrays["vectors"], ngram_vectors=arrays["ngram_vectors"], buckets=data["buckets"],
                   **cls._artifact_fields(arrays, data))


@njit(cache=True, fastmath=True)
def _block(ids, starts, first, last, keep, w_word, w_ngram, offsets, grams, w_out, table, window, negative,
           lr_start, lr_end, state):
    dim = w_word.shape[1]
    total = starts[-1] - starts[0]
    l1, neu1e = np.zeros(dim, dtype=np.float32), np.zeros(dim, dtype=np.float32)
    longest = 1
    for s in range(first, last):  # a buffer that fits the longest sentence: no input can overrun it
        longest = max(longest, starts[s + 1] - starts[s])
    sentence_ids = np.empty(longest, dtype=np.int32)
    loss, predictions = 0.0, 0
    for s in range(first, last):
        lr = lr_start - (lr_start - lr_end) * (starts[s] - starts[0]) / max(1, total)
        n = 0
        for p in range(starts[s], starts[s + 1]):
            state = lcg_next(state)
            if keep[ids[p]] >= 1.0 or keep[ids[p]] > (state & np.uint64(0xFFFF)) / 65536.0:
                sentence_ids[n] = ids[p]
                n += 1
        for i in range(n):
            state = lcg_next(state)
            reduced = window - np.int64(state % np.uint64(window))
            for j in range(max(0, i - reduced), min(n, i + reduced + 1)):
                if j == i:
                    continue
                word = sentence_ids[j]
                parts = 1 + offsets[word + 1] - offsets[word]
                for c in range(dim):
                    l1[c] = w_word[word, c]
                    neu1e[c] = 0.0
                for g in range(offsets[word], offsets[word + 1]):
                    for c in range(dim):
                        l1[c] += w_ngram[grams[g], c]
                for c in range(dim):
                    l1[c] /= parts
                state = lcg_next(state)
                measure = (state >> np.uint64(20)) % np.uint64(16) == 0
                state, step_loss = negative_step(l1, sentence_ids[i], w_out, neu1e, table, negative, lr, state,
                                                  measure)
                loss += step_loss
                predictions += measure
                for c in range(dim):  # every part gets the whole error, as fastText's skip-gram does
                    w_word[word, c] += neu1e[c]
                for g in range(offsets[word], offsets[word + 1]):
                    for c in range(dim):
                        w_ngram[grams[g], c] += neu1e[c]
    return loss, predictions


@njit(parallel=True, cache=True)
def _train(ids, starts, keep, w_word, w_ngram, offsets, grams, w_out, table, window, negative, lr_start, lr_end,
           seed, losses, counts):
    n_sentences, blocks = starts.shape[0] - 1, losses.shape[0]
    for b in prange(blocks):
        state = np.uint64(seed) * np.uint64(7919) + np.uint64(b) + np.uint64(1)
        loss, predictions = _block(ids, starts, b * n_sentences // blocks, (b + 1) * n_sentences // blocks, keep,
                                   w_word, w_ngram, offsets, grams, w_out, table, window, negative, lr_start,
                                   lr_end, state)
        losses[b], counts[b] = loss, predictions


def train_fasttext(sentences=None, *, dim: int = 100, window: int = 5, negative: int = 5, min_count: int = 5,
                   subsample: float = 1e-3, epochs: int = 3, alpha: float = 0.025, min_alpha: float = 1e-4,
                   buckets: int = 200_000, corpus: EncodedCorpus | None = None, seed: int = 0,
                   progress: ProgressCallback | None = None) -> FastTextVectors:
    for name, value in (("dim", dim), ("window", window), ("epochs", epochs), ("buckets", buckets)):
        require(isinstance(value, int) and value > 0, "{name} must be a positive whole number, not {value!r}.",
                name=name, value=value)
    corpus = corpus or encode(sentences, min_count)
    words, counts = corpus.vocab.words, corpus.vocab.counts
    rows = [ngram_rows(w, buckets) for w in words]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    grams = np.array([g for r in rows for g in r], dtype=np.int64)
    rng = np.random.default_rng(seed)
    w_word = ((rng.random((len(words), dim), dtype=np.float32) - 0.5) / dim)
    w_ngram = ((rng.random((buckets, dim), dtype=np.float32) - 0.5) / dim)
    w_out = np.zeros((len(words), dim), dtype=np.float32)
    table, keep = negative_table(counts), keep_probability(counts, subsample).astype(np.float32)
    tracker = Progress(progress, epochs * len(corpus.ids))
    history, start = [], time.perf_counter()
    for epoch in range(epochs):
        total_loss, total_predictions = 0.0, 0
        for index, (first, last) in enumerate(sentence_chunks(corpus)):
            starts = corpus.sentence_starts[first:last + 1]
            losses, predictions = np.zeros(8), np.zeros(8, dtype=np.int64)
            fraction = (epoch + starts[0] / len(corpus.ids)) / epochs, (epoch + starts[-1] / len(corpus.ids)) / epochs
            _train(corpus.ids, starts, keep, w_word, w_ngram, offsets, grams, w_out, table, window, negative,
                   alpha - (alpha - min_alpha) * fraction[0], alpha - (alpha - min_alpha) * fraction[1],
                   seed * 100_003 + epoch * 1000 + index, losses, predictions)
            total_loss += losses.sum()
            total_predictions += int(predictions.sum())
            tracker.update(epoch * len(corpus.ids) + int(starts[-1]), N_("epoch {epoch} of {epochs}"),
                           fields={"epoch": epoch + 1, "epochs": epochs}, loss=total_loss / max(1, total_predictions))
        history.append({"epoch": epoch + 1, "loss": total_loss / max(1, total_predictions),
                        "seconds": time.perf_counter() - start})
    composed = np.stack([(w_word[i] + w_ngram[rows[i]].sum(0)) / (1 + len(rows[i])) for i in range(len(words))])
    return FastTextVectors(words, composed.astype(np.float32), ngram_vectors=w_ngram, buckets=buckets, counts=counts,
                           history=history, info={"model": "fastText skip-gram", "seconds": time.perf_counter() - start})
