"""The randomness word2vec trains with, made explicit: subsampling, windows, negatives, Huffman.

Each follows gensim's (and the original C tool's) definition, so pages can draw them and tests can
check them: frequent words are dropped with gensim's keep probability; windows shrink at random
("dynamic windows"); negatives come from the unigram distribution raised to 3/4; hierarchical
softmax codes come from a Huffman tree over the counts.
"""

from __future__ import annotations

import heapq

import numpy as np

NEGATIVE_POWER = 0.75


def keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """gensim's: (sqrt(c / t) + 1) * t / c with t = sample x total words, capped at 1 (0: keep all)."""
    if not sample:
        return np.ones(len(counts))
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)


def negative_distribution(counts: np.ndarray, power: float = NEGATIVE_POWER) -> np.ndarray:
    weights = counts.astype(np.float64) ** power
    return weights / weights.sum()


def negative_table(counts: np.ndarray, size: int = 2**20, power: float = NEGATIVE_POWER) -> np.ndarray:
    """word2vec's table: word ids repeated in proportion to count^power; uniform draws from it are
    draws from the smoothed unigram distribution.

    2^20 int32 entries (4 MB) rather than word2vec.c's 10^8: the kernels read it at random five times
    per training pair, and a table that stays in cache made skip-gram 9% faster than a 2^24 int64 one
    (128 MB); any word with probability above 1/2^20 keeps its share to within one slot."""
    cumulative = np.cumsum(negative_distribution(counts, power))
    return np.searchsorted(cumulative, (np.arange(size) + 0.5) / size).astype(np.int32)


def subsample(ids: np.ndarray, keep: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A boolean mask over the corpus: which occurrences survive this epoch."""
    return rng.random(len(ids)) < keep[ids]


def skipgram_pairs(ids: np.ndarray, sentence_of: np.ndarray, window: int, rng: np.random.Generator):
    """(input, output) pairs: each context word predicts its centre, within a window shrunk at
    random per centre word to 1..window (gensim's `reduced_windows`)."""
    effective = window - rng.integers(0, window, size=len(ids))
    inputs, outputs = [], []
    for d in range(1, window + 1):
        same = sentence_of[:-d] == sentence_of[d:]
        right = same & (effective[:-d] >= d)  # centre i, context i + d
        left = same & (effective[d:] >= d)  # centre i + d, context i
        centres = np.concatenate([np.flatnonzero(right), np.flatnonzero(left) + d])
        contexts = np.concatenate([np.flatnonzero(right) + d, np.flatnonzero(left)])
        inputs.append(ids[contexts])
        outputs.append(ids[centres])
    return np.concatenate(inputs), np.concatenate(outputs)


def cbow_windows(ids: np.ndarray, sentence_of: np.ndarray, window: int, rng: np.random.Generator):
    """For each centre word, its context ids padded to 2 x window (-1 where there is none)."""
    n = len(ids)
    effective = window - rng.integers(0, window, size=n)
    context = np.full((n, 2 * window), -1, dtype=np.int64)
    for slot, d in enumerate([-w for w in range(window, 0, -1)] + list(range(1, window + 1))):
        position = np.arange(n) + d
        valid = (position >= 0) & (position < n) & (np.abs(d) <= effective)
        valid[valid] &= sentence_of[position[valid]] == sentence_of[np.flatnonzero(valid)]
        context[valid, slot] = ids[position[valid]]
    has_context = (context >= 0).any(1)
    return ids[has_context], context[has_context]


def huffman_codes(counts: np.ndarray) -> tuple[list[list[int]], list[list[int]]]:
    """Binary codes and inner-node paths of a Huffman tree over `counts` (word2vec's layout:
    inner node ids 0..V-2, the root last; frequent words get short codes)."""
    vocab = len(counts)
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent = np.zeros(2 * vocab - 1, dtype=np.int64)
    bit = np.zeros(2 * vocab - 1, dtype=np.int8)
    next_id = vocab
    while len(heap) > 1:
        c1, left = heapq.heappop(heap)
        c2, right = heapq.heappop(heap)
        parent[left], parent[right] = next_id, next_id
        bit[left], bit[right] = 0, 1
        heapq.heappush(heap, (c1 + c2, next_id))
        next_id += 1
    root = next_id - 1
    codes, points = [], []
    for word in range(vocab):
        code, path, node = [], [], word
        while node != root:
            code.append(int(bit[node]))
            node = int(parent[node])
            path.append(node - vocab)  # inner node index into syn1
        codes.append(code[::-1])
        points.append(path[::-1])
    return codes, points
