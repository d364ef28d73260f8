"""Segmentation lattices for Unigram, batched over every distinct word with numpy.

A word of length L has nodes 0..L; an edge (i, j, piece) says that characters i..j are a piece
of the vocabulary. Training needs, for every word at once, the forward-backward marginals of each
edge (the E-step) and the Viterbi path (pruning). Nodes of all words live in one flat array and
edges are grouped by their end position within the word, so position j of every word is
computed together: a few numpy calls per position instead of a Python loop per edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Lattices:
    """Every edge of every word's lattice, sorted by (end position in word, end node)."""

    word: np.ndarray  # (E,) word index of each edge
    start: np.ndarray  # (E,) flat index of the start node
    end: np.ndarray  # (E,) flat index of the end node
    piece: np.ndarray  # (E,) piece id
    first_node: np.ndarray  # (W,) flat index of each word's node 0
    last_node: np.ndarray  # (W,) flat index of each word's final node
    group_bounds: np.ndarray  # (G+1,) edge ranges sharing one end position

    @classmethod
    def build(cls, lengths: np.ndarray, word: np.ndarray, begin: np.ndarray, stop: np.ndarray,
              piece: np.ndarray) -> "Lattices":
        """From edges given as (word, begin, stop, piece) with positions within the word."""
        first = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        order = np.lexsort((first[word] + stop, stop))
        word, begin, stop, piece = word[order], begin[order], stop[order], piece[order]
        bounds = np.flatnonzero(np.diff(stop)) + 1
        return cls(word, first[word] + begin, first[word] + stop, piece, first, first + lengths,
                   np.concatenate([[0], bounds, [len(stop)]]))

    def keep(self, mask: np.ndarray, new_piece_ids: np.ndarray) -> "Lattices":
        """The lattices without the edges of removed pieces (`mask` over edges), pieces renumbered."""
        stop_rel = self.end - self.first_node[self.word]
        kept = Lattices(self.word[mask], self.start[mask], self.end[mask], new_piece_ids[self.piece[mask]],
                        self.first_node, self.last_node, np.zeros(0, dtype=np.int64))
        rel = stop_rel[mask]
        kept.group_bounds = np.concatenate([[0], np.flatnonzero(np.diff(rel)) + 1, [len(rel)]])
        return kept

    @property
    def n_nodes(self) -> int:
        return int(self.last_node[-1]) + 1

    def _groups(self):
        for g in range(len(self.group_bounds) - 1):
            lo, hi = self.group_bounds[g], self.group_bounds[g + 1]
            if hi > lo:
                yield lo, hi

    def forward(self, logp: np.ndarray) -> np.ndarray:
        """log alpha per node: the log-sum of the scores of every path from the word's start."""
        alpha = np.full(self.n_nodes, -np.inf)
        alpha[self.first_node] = 0.0
        for lo, hi in self._groups():
            values = alpha[self.start[lo:hi]] + logp[self.piece[lo:hi]]
            nodes, totals = _segment_logsumexp(values, self.end[lo:hi])
            alpha[nodes] = totals
        return alpha

    def backward(self, logp: np.ndarray) -> np.ndarray:
        """log beta per node: the log-sum of the scores of every path to the word's end."""
        beta = np.full(self.n_nodes, -np.inf)
        beta[self.last_node] = 0.0
        order = np.argsort(self.start - self.first_node[self.word], kind="stable")[::-1]
        starts, ends, pieces = self.start[order], self.end[order], self.piece[order]
        rel = starts - self.first_node[self.word[order]]
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(rel)) + 1, [len(rel)]])
        for g in range(len(bounds) - 1):
            lo, hi = bounds[g], bounds[g + 1]
            values = beta[ends[lo:hi]] + logp[pieces[lo:hi]]
            keys = starts[lo:hi]
            sort = np.argsort(keys, kind="stable")
            nodes, totals = _segment_logsumexp(values[sort], keys[sort])
            beta[nodes] = totals
        return beta

    def expected_counts(self, logp: np.ndarray, word_counts: np.ndarray, n_pieces: int) -> tuple[np.ndarray, float]:
        """E-step: expected count of each piece over all words, and the corpus log-likelihood."""
        alpha, beta = self.forward(logp), self.backward(logp)
        log_z = alpha[self.last_node]  # (W,)
        posterior = np.exp(alpha[self.start] + logp[self.piece] + beta[self.end] - log_z[self.word])
        expected = np.bincount(self.piece, weights=posterior * word_counts[self.word], minlength=n_pieces)
        return expected, float(np.dot(log_z, word_counts))

    def viterbi(self, logp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best paths: (score per word, the edges on every best path, the word of each such edge).

        At each node the first maximal edge wins, as in sentencepiece (edges of equal end are
        in order of their start). A word with no complete path scores -inf and has no edges.
        """
        best = np.full(self.n_nodes, -np.inf)
        best[self.first_node] = 0.0
        back = np.full(self.n_nodes, -1, dtype=np.int64)
        for lo, hi in self._groups():
            values = best[self.start[lo:hi]] + logp[self.piece[lo:hi]]
            ends = self.end[lo:hi]
            boundaries = np.concatenate([[0], np.flatnonzero(np.diff(ends)) + 1])
            sizes = np.diff(np.concatenate([boundaries, [len(values)]]))
            winner = np.flatnonzero(values == np.repeat(np.maximum.reduceat(values, boundaries), sizes))
            winner_node = ends[winner]
            first = np.concatenate([[True], winner_node[1:] != winner_node[:-1]])
            best[winner_node[first]] = values[winner[first]]
            back[winner_node[first]] = lo + winner[first]
        scores = best[self.last_node]
        edges, owners = [], []
        node = self.last_node.copy()
        active = np.flatnonzero((node != self.first_node) & np.isfinite(scores))
        while active.size:
            step = back[node[active]]
            edges.append(step)
            owners.append(active)
            node[active] = self.start[step]
            active = active[node[active] != self.first_node[active]]
        empty = np.zeros(0, dtype=np.int64)
        return scores, (np.concatenate(edges) if edges else empty), (np.concatenate(owners) if owners else empty)


def _segment_logsumexp(values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """logsumexp of `values` over runs of equal `keys` (keys sorted); returns (key, total) per run."""
    boundaries = np.concatenate([[0], np.flatnonzero(np.diff(keys)) + 1])
    maxima = np.maximum.reduceat(values, boundaries)
    sizes = np.diff(np.concatenate([boundaries, [len(values)]]))
    safe = np.where(np.isfinite(maxima), maxima, 0.0)
    sums = np.add.reduceat(np.exp(values - np.repeat(safe, sizes)), boundaries)
    with np.errstate(divide="ignore"):
        return keys[boundaries], np.log(sums) + safe
