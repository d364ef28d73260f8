"""GloVe (Pennington, Socher & Manning, 2014): least squares on log co-occurrence counts.

For every non-zero co-occurrence X_ij (pairs at distance d weighted 1/d), minimise
f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2 with f(x) = min(1, (x / x_max)^alpha), by AdaGrad
over the non-zeros in random order, exactly as the reference `glove.c` updates (gradients scaled by
the learning rate before AdaGrad accumulates their squares), lock-free on every core. The
final vectors are W + W~, as the paper recommends.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, prange

from core.embeddings import kernels  # noqa: F401  (sets numba's cache folder first)
from core.embeddings.counts import cooccurrence
from core.embeddings.text import EncodedCorpus, encode
from core.embeddings.vectors import WordVectors
from core.errors import require
from core.progress import Progress, ProgressCallback
from core.i18n import N_


@njit(parallel=True, cache=True, fastmath=True)
def _epoch(rows, cols, values, order, w, wc, b, bc, gw, gwc, gb, gbc, x_max, alpha, lr, blocks):
    """One AdaGrad pass over the non-zeros in `order`; returns the summed weighted squared error."""
    losses = np.zeros(blocks)
    n, dim = order.shape[0], w.shape[1]
    for block in prange(blocks):
        loss = 0.0
        for k in range(block * n // blocks, (block + 1) * n // blocks):
            e = order[k]
            i, j, x = rows[e], cols[e], values[e]
            weight = 1.0 if x >= x_max else (x / x_max) ** alpha
            diff = bc[j] + b[i] - np.log(x)
            for c in range(dim):
                diff += w[i, c] * wc[j, c]
            loss += 0.5 * weight * diff * diff
            g = lr * weight * diff  # glove.c scales by the learning rate before AdaGrad's accumulation
            for c in range(dim):
                gi, gj = g * wc[j, c], g * w[i, c]
                w[i, c] -= gi / np.sqrt(gw[i, c])
                wc[j, c] -= gj / np.sqrt(gwc[j, c])
                gw[i, c] += gi * gi
                gwc[j, c] += gj * gj
            b[i] -= g / np.sqrt(gb[i])
            bc[j] -= g / np.sqrt(gbc[j])
            gb[i] += g * g
            gbc[j] += g * g
        losses[block] = loss
    return losses.sum()


def train_glove(sentences=None, *, dim: int = 100, window: int = 10, min_count: int = 5, epochs: int = 15,
                x_max: float = 100.0, alpha: float = 0.75, learning_rate: float = 0.05, vocab_limit: int = 40_000,
                corpus: EncodedCorpus | None = None, seed: int = 0,
                progress: ProgressCallback | None = None) -> WordVectors:
    for name, value in (("dim", dim), ("window", window), ("epochs", epochs)):
        require(isinstance(value, int) and value > 0, "{name} must be a positive whole number, not {value!r}.",
                name=name, value=value)
    corpus = corpus or encode(sentences, min_count)
    limit = min(vocab_limit, len(corpus.vocab.words))
    matrix = cooccurrence(corpus, window, harmonic=True, vocab_limit=limit).tocoo()
    rows, cols, values = matrix.row.astype(np.int64), matrix.col.astype(np.int64), matrix.data
    rng = np.random.default_rng(seed)
    w = ((rng.random((limit, dim)) - 0.5) / dim).astype(np.float64)
    wc = ((rng.random((limit, dim)) - 0.5) / dim).astype(np.float64)
    b, bc = np.zeros(limit), np.zeros(limit)
    gw, gwc, gb, gbc = np.ones_like(w), np.ones_like(wc), np.ones(limit), np.ones(limit)
    tracker = Progress(progress, epochs)
    history, start = [], time.perf_counter()
    for epoch in range(epochs):
        loss = _epoch(rows, cols, values, rng.permutation(len(values)), w, wc, b, bc, gw, gwc, gb, gbc,
                      x_max, alpha, learning_rate, 8)
        history.append({"epoch": epoch + 1, "loss": loss / len(values), "seconds": time.perf_counter() - start})
        tracker.update(epoch + 1, N_("epoch {epoch} of {epochs}"), force=True,
                       fields={"epoch": epoch + 1, "epochs": epochs}, loss=loss / len(values))
    return WordVectors(corpus.vocab.words[:limit], (w + wc).astype(np.float32), counts=corpus.vocab.counts[:limit],
                       context_vectors=wc.astype(np.float32), history=history,
                       info={"model": "GloVe", "nonzeros": int(len(values)), "seconds": time.perf_counter() - start})
