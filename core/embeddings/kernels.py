"""word2vec's inner loop for the CPU, compiled with numba: the C tool's algorithm, word by word.

Batched tensor code spends its time gathering and scattering vectors (each pair touches
1 + negative rows of a large matrix); the C tool and gensim instead walk the corpus and update
rows in place, which keeps each row in cache. These kernels do the same, on all cores at once
with lock-free ("Hogwild") updates as the C tool and gensim do, so runs with several threads
differ slightly from run to run. The PyTorch batched path in `word2vec.py` serves GPUs.

Per sentence: frequent words are dropped (subsampling), each centre word gets a window shrunk at
random, and each (context -> centre) pair is one SGD step of negative sampling or hierarchical
softmax; CBOW averages the context vectors first. Learning rate decays linearly with progress.
"""

from __future__ import annotations

import os

from core import settings

# compiled kernels are cached per host, never in the shared cache folder (numba's cache files are
# pickles: whoever could write them would run code in every replica)
os.environ.setdefault("NUMBA_CACHE_DIR", str(settings.compiled_cache_dir()))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

MAX_EXP = 6.0  # scores beyond +-6 give a gradient of (almost) zero: skipped, as in word2vec.c
EXP_TABLE_SIZE = 1000
# word2vec.c's sigmoid table: 1000 values over [-6, 6), read instead of computing exp each time
EXP_TABLE = (1.0 / (1.0 + np.exp(-(np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP))).astype(np.float32)


@njit(inline="always")
def lcg_next(state):
    """word2vec.c's linear congruential generator."""
    return (state * np.uint64(25214903917) + np.uint64(11)) & np.uint64(0xFFFFFFFFFFFF)


@njit(inline="always", fastmath=True)
def _sigmoid(x):
    """For -MAX_EXP < x < MAX_EXP, from the table."""
    return EXP_TABLE[int((x + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2))]


# The dot product and the two row updates are written out in each step function on purpose: moving
# them into a shared helper measured 10-15% slower (2 cores, 1.5M words, best of three).
@njit(inline="always", fastmath=True)
def negative_step(l1, target, w_out, neu1e, table, negative, lr, state, measure):
    """One positive and `negative` sampled targets for hidden vector l1; returns (state, loss).

    The loss is only computed when `measure` (a sample of the steps: logarithms are costly)."""
    dim = l1.shape[0]
    loss = 0.0
    for k in range(negative + 1):
        if k == 0:
            word, label = target, 1.0
        else:
            state = lcg_next(state)
            word = table[(state >> np.uint64(16)) & np.uint64(table.shape[0] - 1)]  # table size: a power of two
            if word == target:
                continue
            label = 0.0
        row = w_out[word]
        f = np.float32(0.0)
        for c in range(dim):
            f += l1[c] * row[c]
        if f <= -MAX_EXP or f >= MAX_EXP:
            continue
        s = _sigmoid(f)
        if measure:
            loss -= np.log(s) if label > 0 else np.log(1.0 - s)
        g = np.float32((label - s) * lr)
        for c in range(dim):
            neu1e[c] += g * row[c]
            row[c] += g * l1[c]
    return state, loss


@njit(inline="always", fastmath=True)
def hierarchical_step(l1, target, w_out, neu1e, points, codes, lengths, lr, measure):
    dim = l1.shape[0]
    loss = 0.0
    for k in range(lengths[target]):
        row = w_out[points[target, k]]
        f = np.float32(0.0)
        for c in range(dim):
            f += l1[c] * row[c]
        if f <= -MAX_EXP or f >= MAX_EXP:
            continue
        s = _sigmoid(f)
        if measure:
            loss -= np.log(1.0 - s) if codes[target, k] else np.log(s)
        g = np.float32((1.0 - codes[target, k] - s) * lr)
        for c in range(dim):
            neu1e[c] += g * row[c]
            row[c] += g * l1[c]
    return loss


@njit(cache=True, fastmath=True)
def _train_block(ids, starts, first, last, keep, w_in, w_out, table, points, codes, lengths, window, negative,
                 hierarchical, cbow, lr_start, lr_end, state):
    """Sentences first..last-1, serially: returns (sampled loss, sampled predictions, kept words)."""
    dim = w_in.shape[1]
    total = starts[-1] - starts[0]
    neu1e = np.zeros(dim, dtype=np.float32)
    hidden = np.zeros(dim, dtype=np.float32)
    longest = 1
    for s in range(first, last):  # a buffer that fits the longest sentence: no input can overrun it
        longest = max(longest, starts[s + 1] - starts[s])
    sentence_ids = np.empty(longest, dtype=np.int32)
    loss, predictions, effective = 0.0, 0, 0
    for s in range(first, last):
        lr = lr_start - (lr_start - lr_end) * (starts[s] - starts[0]) / max(1, total)
        n = 0
        for p in range(starts[s], starts[s + 1]):
            state = lcg_next(state)
            if keep[ids[p]] >= 1.0 or keep[ids[p]] > (state & np.uint64(0xFFFF)) / 65536.0:
                sentence_ids[n] = ids[p]
                n += 1
        effective += n
        for i in range(n):
            state = lcg_next(state)
            reduced = window - np.int64(state % np.uint64(window))
            lo, hi = max(0, i - reduced), min(n, i + reduced + 1)
            if cbow:
                used = 0
                for c in range(dim):
                    hidden[c] = 0.0
                for j in range(lo, hi):
                    if j != i:
                        row = w_in[sentence_ids[j]]
                        for c in range(dim):
                            hidden[c] += row[c]
                        used += 1
                if used == 0:
                    continue
                for c in range(dim):
                    hidden[c] /= used
                    neu1e[c] = 0.0
                state = lcg_next(state)
                measure = (state >> np.uint64(20)) % np.uint64(16) == 0
                if hierarchical:
                    loss += hierarchical_step(hidden, sentence_ids[i], w_out, neu1e, points, codes, lengths, lr,
                                               measure)
                else:
                    state, step_loss = negative_step(hidden, sentence_ids[i], w_out, neu1e, table, negative, lr,
                                                      state, measure)
                    loss += step_loss
                predictions += measure
                for j in range(lo, hi):
                    if j != i:
                        row = w_in[sentence_ids[j]]  # gensim's cbow_mean: every context word gets the whole error
                        for c in range(dim):
                            row[c] += neu1e[c]
                continue
            for j in range(lo, hi):
                if j == i:
                    continue
                l1 = w_in[sentence_ids[j]]
                for c in range(dim):
                    neu1e[c] = 0.0
                state = lcg_next(state)
                measure = (state >> np.uint64(20)) % np.uint64(16) == 0
                if hierarchical:
                    loss += hierarchical_step(l1, sentence_ids[i], w_out, neu1e, points, codes, lengths, lr, measure)
                else:
                    state, step_loss = negative_step(l1, sentence_ids[i], w_out, neu1e, table, negative, lr, state,
                                                      measure)
                    loss += step_loss
                predictions += measure
                for c in range(dim):
                    l1[c] += neu1e[c]
    return loss, predictions, effective


@njit(parallel=True, cache=True)
def train_sentences(ids, starts, keep, w_in, w_out, table, points, codes, lengths, window, negative,
                    hierarchical, cbow, lr_start, lr_end, seed, losses, counts):
    """Train on sentences starts[s]..starts[s+1], split into blocks run in parallel (Hogwild);
    lr falls from lr_start to lr_end across them.

    `losses` and `counts` (one row per block) receive the summed loss of a 1-in-16 sample of the
    predictions, the size of that sample, and the effective (kept) words; the weights are updated
    in place.
    """
    n_sentences = starts.shape[0] - 1
    blocks = losses.shape[0]
    for b in prange(blocks):
        state = np.uint64(seed) * np.uint64(7919) + np.uint64(b) + np.uint64(1)
        loss, predictions, effective = _train_block(
            ids, starts, b * n_sentences // blocks, (b + 1) * n_sentences // blocks, keep, w_in, w_out, table,
            points, codes, lengths, window, negative, hierarchical, cbow, lr_start, lr_end, state)
        losses[b] = loss
        counts[b, 0] = predictions
        counts[b, 1] = effective


def threads() -> int:
    return numba.get_num_threads()
