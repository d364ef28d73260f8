"""word2vec (Mikolov et al., 2013): skip-gram and CBOW, negative sampling or hierarchical softmax.

On the CPU the corpus is walked word by word by a compiled kernel (`kernels.py`), as the C tool
and gensim walk it, on every core; on a GPU, PyTorch trains large batches of pairs with
hand-written gradients. Both use plain SGD with the learning rate decaying linearly to 1e-4,
frequent-word subsampling, windows shrunk at random, negatives from unigram^0.75 (or a Huffman
tree for hierarchical softmax). Both vectors per word are kept: `vectors` (input, "syn0") and
`context_vectors` (output, "syn1neg").
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from core.embeddings.sampling import (cbow_windows, huffman_codes, keep_probability, negative_table,
                                      skipgram_pairs, subsample)
from core.embeddings.text import EncodedCorpus, encode, sentence_chunks
from core.embeddings.vectors import WordVectors
from core.errors import require
from core.progress import Progress, ProgressCallback
from core.i18n import N_



def _check(arch: str, objective: str, dim: int, window: int, negative: int, epochs: int, alpha: float) -> None:
    require(arch in ("skipgram", "cbow"), "arch must be 'skipgram' or 'cbow', not {arch!r}.", arch=arch)
    require(objective in ("negative", "hierarchical"),
            "objective must be 'negative' or 'hierarchical', not {objective!r}.", objective=objective)
    for name, value in (("dim", dim), ("window", window), ("epochs", epochs)):
        require(isinstance(value, int) and not isinstance(value, bool) and value > 0,
                "{name} must be a positive whole number, not {value!r}.", name=name, value=value)
    require(objective != "negative" or (isinstance(negative, int) and negative > 0),
            "negative must be a positive whole number with negative sampling, not {negative!r}.", negative=negative)
    require(alpha > 0, "alpha (the learning rate) must be positive, not {alpha!r}.", alpha=alpha)


class _Weights:
    """Input and output matrices plus what the objective needs (negative table or Huffman paths)."""

    def __init__(self, counts: np.ndarray, dim: int, objective: str, seed: int):
        vocab = len(counts)
        self.w_in = ((np.random.default_rng(seed).random((vocab, dim), dtype=np.float32) - 0.5) / dim)
        self.hierarchical = objective == "hierarchical"
        self.w_out = np.zeros((vocab - 1 if self.hierarchical else vocab, dim), dtype=np.float32)
        self.table = negative_table(counts) if not self.hierarchical else np.zeros(1, dtype=np.int32)
        if self.hierarchical:
            codes, points = huffman_codes(counts)
            depth = max(len(c) for c in codes)
            self.points = np.array([p + [0] * (depth - len(p)) for p in points], dtype=np.int64)
            self.codes = np.array([c + [0] * (depth - len(c)) for c in codes], dtype=np.float32)
            self.lengths = np.array([len(c) for c in codes], dtype=np.int64)
        else:
            self.points = np.zeros((1, 1), dtype=np.int64)
            self.codes = np.zeros((1, 1), dtype=np.float32)
            self.lengths = np.zeros(1, dtype=np.int64)


def train_word2vec(sentences, *, arch: str = "skipgram", objective: str = "negative", dim: int = 100, window: int = 5,
                   negative: int = 5, min_count: int = 5, subsample: float = 1e-3, epochs: int = 3,
                   alpha: float | None = None, min_alpha: float = 1e-4, seed: int = 0,
                   device: torch.device | str = "cpu",
                   progress: ProgressCallback | None = None, corpus: EncodedCorpus | None = None,
                   checkpoints: int = 0) -> WordVectors:
    """Train word2vec on `sentences` (an iterable of token lists) or an already encoded corpus.

    `checkpoints` > 0 keeps that many snapshots of the vectors before the end ("watch it learn"): the
    random start, then evenly spaced through training, each taken where it falls (a chunk of
    sentences ends there), so none is the final vectors, which are not repeated.
    """
    alpha = alpha if alpha is not None else (0.025 if arch == "skipgram" else 0.05)
    _check(arch, objective, dim, window, negative, epochs, alpha)
    device = torch.device(device)
    corpus = corpus or encode(sentences, min_count)
    weights = _Weights(corpus.vocab.counts, dim, objective, seed)
    keep = keep_probability(corpus.vocab.counts, subsample).astype(np.float32)
    train = _cpu_epoch if device.type == "cpu" else _torch_epoch
    tracker = Progress(progress, epochs * len(corpus.ids))
    start, history = time.perf_counter(), []
    total = epochs * len(corpus.ids)
    marks = [i * total / checkpoints for i in range(checkpoints)] if checkpoints else []
    snapshots = [weights.w_in.copy()] if marks else []  # the random start
    for epoch in range(epochs):
        def report(done: int, loss: float, effective: int, current: Callable[[], np.ndarray]) -> None:
            seconds = time.perf_counter() - start
            position = epoch * len(corpus.ids) + done
            while len(snapshots) < len(marks) and position >= marks[len(snapshots)]:
                snapshots.append(current().copy())
            speed = (sum(h["effective_words"] for h in history) + effective) / seconds
            tracker.update(position, N_("epoch {epoch} of {epochs} · {speed:,.0f} words/s"), loss=loss,
                           fields={"epoch": epoch + 1, "epochs": epochs, "speed": speed})

        def lr_at(fraction: float) -> float:
            return alpha - (alpha - min_alpha) * (epoch + fraction) / epochs

        within = [mark - epoch * len(corpus.ids) for mark in marks]  # a chunk ends at each, for its snapshot
        cuts = [mark for mark in within if 0 < mark < len(corpus.ids)]
        loss, effective = train(corpus, weights, keep, arch, window, negative, lr_at, seed + epoch, report, device,
                                cuts)
        history.append({"epoch": epoch + 1, "loss": loss, "effective_words": effective,
                        "seconds": time.perf_counter() - start})
    elapsed = time.perf_counter() - start
    return WordVectors(corpus.vocab.words, weights.w_in, counts=corpus.vocab.counts,
                       context_vectors=None if weights.hierarchical else weights.w_out, history=history,
                       snapshots=snapshots, info={"model": f"word2vec {arch} {objective}", "seconds": elapsed,
                                                  "effective_words_per_s": sum(h["effective_words"] for h in history) / elapsed})


def _cpu_epoch(corpus, weights, keep, arch, window, negative, lr_at, seed, report, device, cuts):
    from core.embeddings import kernels

    blocks = 4 * kernels.threads()
    total_loss, total_predictions, total_effective = 0.0, 0, 0
    for index, (first, last) in enumerate(sentence_chunks(corpus, cuts)):
        starts = corpus.sentence_starts[first:last + 1]
        losses, counts = np.zeros(blocks), np.zeros((blocks, 2), dtype=np.int64)
        kernels.train_sentences(corpus.ids, starts, keep, weights.w_in, weights.w_out, weights.table,
                                weights.points, weights.codes, weights.lengths, window, negative,
                                weights.hierarchical, arch == "cbow", lr_at(starts[0] / len(corpus.ids)),
                                lr_at(starts[-1] / len(corpus.ids)), seed * 100_003 + index, losses, counts)
        total_loss += losses.sum()
        total_predictions += int(counts[:, 0].sum())
        total_effective += int(counts[:, 1].sum())
        report(int(starts[-1]), total_loss / max(1, total_predictions), total_effective, lambda: weights.w_in)
    return total_loss / max(1, total_predictions), total_effective


def _torch_epoch(corpus, weights, keep, arch, window, negative, lr_at, seed, report, device, cuts):
    """The GPU path: pairs in large batches, gathered, updated with index_add_.

    A batch sums the updates of every pair in it, so it holds at most about two pairs per
    vocabulary word: with a tiny vocabulary, huge batches would pile thousands of steps onto one row.
    """
    per_row = 2 if arch == "skipgram" else 2 / (2 * window)  # a CBOW example updates up to 2 x window rows
    batch = int(np.clip(per_row * len(corpus.vocab.words), 64, 16384))
    w_in, w_out = torch.from_numpy(weights.w_in).to(device), torch.from_numpy(weights.w_out).to(device)
    table = torch.from_numpy(weights.table).to(device).long()
    paths = [torch.from_numpy(a).to(device) for a in (weights.points, weights.codes, weights.lengths)]
    rng, generator = np.random.default_rng(seed), torch.Generator(device=device).manual_seed(seed)
    sentence_of = np.repeat(np.arange(len(corpus.sentence_starts) - 1), np.diff(corpus.sentence_starts))
    total_loss, predictions, effective = 0.0, 0, 0
    for first, last in sentence_chunks(corpus, cuts):
        lo, hi = corpus.sentence_starts[first], corpus.sentence_starts[last]
        kept = subsample(corpus.ids[lo:hi], keep, rng)
        words, sentences = corpus.ids[lo:hi][kept].astype(np.int64), sentence_of[lo:hi][kept]
        effective += len(words)
        if arch == "skipgram":
            inputs, outputs = skipgram_pairs(words, sentences, window, rng)
        else:
            outputs, inputs = cbow_windows(words, sentences, window, rng)
        order = rng.permutation(len(outputs))
        inputs, outputs = torch.from_numpy(inputs[order]).to(device), torch.from_numpy(outputs[order]).to(device)
        for b in range(0, len(outputs), batch):
            lr = lr_at((lo + (hi - lo) * b / max(1, len(outputs))) / len(corpus.ids))
            x, y = inputs[b:b + batch], outputs[b:b + batch]
            total_loss += _torch_step(w_in, w_out, x, y, lr, weights.hierarchical, table, paths, negative, generator)
            predictions += len(y)
        report(int(hi), total_loss / max(1, predictions), effective, lambda: w_in.cpu().numpy())
    weights.w_in[:], weights.w_out[:] = w_in.cpu().numpy(), w_out.cpu().numpy()
    return total_loss / max(1, predictions), effective


def _torch_step(w_in, w_out, x, y, lr, hierarchical, table, paths, negative, generator) -> float:
    """One batch: x are context ids (B,) for skip-gram or (B, 2w) with -1 pads for CBOW."""
    if x.dim() == 1:
        h = w_in[x]  # (B, d)
    else:
        mask = (x >= 0).float()
        h = (w_in[x.clamp_min(0)] * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True)
    if hierarchical:
        points, codes, lengths = (p[y] for p in paths)
        targets = points  # (B, L)
        mask_out = (torch.arange(points.shape[1], device=x.device)[None, :] < lengths[:, None]).float()
        labels = 1 - codes
    else:
        negatives = table[torch.randint(len(table), (len(y), negative), device=x.device, generator=generator)]
        targets = torch.cat([y[:, None], negatives], dim=1)  # (B, 1 + K)
        labels = torch.zeros_like(targets, dtype=torch.float32)
        labels[:, 0] = 1
        mask_out = torch.ones_like(labels)
        mask_out[:, 1:] = (negatives != y[:, None]).float()
    rows = w_out[targets]  # (B, T, d)
    scores = torch.bmm(rows, h[:, :, None])[..., 0]  # (B, T)
    g = (labels - torch.sigmoid(scores)) * mask_out * lr
    grad_h = torch.bmm(g[:, None, :], rows)[:, 0]
    w_out.index_add_(0, targets.flatten(), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
    if x.dim() == 1:
        w_in.index_add_(0, x, grad_h)
    else:
        flat = (x >= 0).flatten()
        w_in.index_add_(0, x.clamp_min(0).flatten()[flat], grad_h.repeat_interleave(x.shape[1], 0)[flat])
    loss = torch.nn.functional.softplus(torch.where(labels > 0, -scores, scores)) * mask_out
    return float(loss.sum())
