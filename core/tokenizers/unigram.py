"""Unigram language-model tokenizer (Kudo 2018), trained as sentencepiece trains it.

Each piece has a log-probability; a text's segmentation is the most probable way to cut it into
pieces (Viterbi), and other segmentations have probabilities too (n-best, sampling: subword
regularisation). Training: a large seed vocabulary of frequent substrings, then rounds of EM
(E: expected piece counts over every word's lattice; M: Bayesian re-estimate with digamma, pieces
expected fewer than 0.5 times dropped) and pruning of the pieces whose removal costs the corpus
likelihood least, 25% per round, until 1.1x the target size; finally the best-scoring pieces.
Mirrors sentencepiece's `unigram_model_trainer.cc`; the documented difference is the seed: every
substring of up to 16 characters seen at least twice (ranked by frequency x length) rather than
the maximal repeats of a suffix array. Words are split as HF's `Metaspace` splits them ('▁' marks
a space), so pieces never cross a space. Unknown characters become `<unk>` (no byte fallback).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter, defaultdict
from typing import Any, Iterable

import numpy as np
from scipy.special import digamma

from core.progress import Progress, ProgressCallback
from core.tokenizers.base import Tokenizer, check_vocab_size, nonempty_texts
from core.tokenizers.lattice import Lattices
from core.tokenizers.pretokenize import METASPACE, metaspace_split, words_of
from core.i18n import N_

UNK_PENALTY = 10.0  # sentencepiece scores an unknown character min_score - 10
MIN_EXPECTED = 0.5  # sentencepiece's kExpectedFrequencyThreshold
Edge = tuple[int, int, int, float]  # (start, end, piece id, score) in a lattice


class Unigram(Tokenizer):
    """A Unigram LM tokenizer: pieces with log-probabilities."""

    algorithm = "unigram"
    splitter = "metaspace"
    unk_token = "<unk>"
    max_piece_length = 16

    def __init__(self, id_to_token: list[str], scores: Iterable[float], **kwargs: Any):
        super().__init__(id_to_token, **kwargs)
        self.scores = [float(s) for s in scores]
        specials = set(self.special_tokens)
        self._unk_score = min((s for t, s in zip(id_to_token, self.scores) if t not in specials), default=0.0) - UNK_PENALTY

    # ---- training ------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, progress: ProgressCallback | None = None, *,
              special_tokens: Iterable[str] = ("<unk>",), normalization: str | None = None,
              seed_size: int = 1_000_000, shrinking_factor: float = 0.75, sub_iterations: int = 2) -> "Unigram":
        specials = list(dict.fromkeys([cls.unk_token, *special_tokens]))
        normalize = cls([], [], normalization=normalization).normalize
        words = Counter(w for text in nonempty_texts(texts, normalize) for w in words_of(cls.splitter, text))
        n_chars = len({ch for word in words for ch in word})  # pieces[:n_chars] are characters: always kept
        check_vocab_size(vocab_size, len(specials) + n_chars, N_("the special tokens plus the alphabet"))
        tracker = Progress(progress, 100)
        tracker.update(1, N_("counting substrings (the seed vocabulary)"), force=True)
        word_counts = np.array(list(words.values()), dtype=np.float64)
        pieces, counts, n_chars, lattices = _seed_lattices(list(words), word_counts, seed_size, cls.max_piece_length)
        logp = np.log(counts) - np.log(counts.sum())
        desired = int(vocab_size * 1.1)
        finder: _Alternatives | None = None
        step = 0
        while True:
            for _ in range(sub_iterations):
                expected, loglik = lattices.expected_counts(logp, word_counts, len(pieces))
                keep = expected >= MIN_EXPECTED
                keep[:n_chars] = True
                pieces, lattices, expected = _restrict(pieces, lattices, expected, keep)
                if finder is not None:
                    finder.restrict(keep)
                logp = digamma(np.maximum(expected, 1e-10)) - digamma(expected.sum())
                step += 1
                tracker.update(min(95, 5 + 6 * step), N_("EM step {em_step}: {pieces:,} pieces"), force=True,
                               fields={"em_step": step, "pieces": len(pieces)}, loglik_per_word=loglik / word_counts.sum())
            if len(pieces) - n_chars + len(specials) <= desired:
                break
            finder = finder or _Alternatives(pieces, n_chars)
            keep = _prune(pieces, logp, lattices, word_counts, n_chars,
                          max(desired, int(shrinking_factor * len(pieces))), finder)
            pieces, lattices, expected = _restrict(pieces, lattices, expected, keep)
            finder.restrict(keep)
            logp = logp[keep]
        order = n_chars + np.argsort(-logp[n_chars:], kind="stable")[: max(0, vocab_size - len(specials) - n_chars)]
        chosen = list(range(n_chars)) + sorted(order.tolist(), key=lambda i: -logp[i])
        tracker.update(100, N_("done: {pieces:,} pieces"), fields={"pieces": len(specials) + len(chosen)}, force=True)
        return cls(specials + [pieces[i] for i in chosen], [0.0] * len(specials) + [float(logp[i]) for i in chosen],
                   special_tokens=specials, normalization=normalization)

    # ---- encoding ------------------------------------------------------------------------
    def lattice(self, text: str) -> list[Edge]:
        """Every edge (start, end, piece id, score) over a Metaspace-marked text; unknown
        characters get `<unk>` edges so a path always exists."""
        edges = []
        unk = self.vocab[self.unk_token]
        for i in range(len(text)):
            found_single = False
            for j in range(i + 1, min(len(text), i + self.max_piece_length) + 1):
                token_id = self.vocab.get(text[i:j])
                if token_id is not None and text[i:j] not in self.special_tokens:
                    edges.append((i, j, token_id, self.scores[token_id]))
                    found_single |= j == i + 1
            if not found_single:
                edges.append((i, i + 1, unk, self._unk_score))
        return edges

    def _encode_words(self, words: list[str]) -> list[list[tuple[int, str, int, int]]]:
        """Each word's Viterbi path, every word in one batched Viterbi (`lattice.Lattices`)."""
        paths = viterbi_all([(len(word), self.lattice(word)) for word in words])
        return [[(token_id, self.id_to_token[token_id], i, j) for i, j, token_id, _ in self.merge_unknown(path)]
                for path in paths]

    def merge_unknown(self, path: list[Edge]) -> list[Edge]:
        """A path with each run of unknown characters made one `<unk>` (as sentencepiece and HF
        encode it), so what the lattice view shows is what encoding gives."""
        unk = self.vocab[self.unk_token]
        out: list[Edge] = []
        for edge in path:
            if edge[2] == unk and out and out[-1][2] == unk:
                out[-1] = (out[-1][0], edge[1], unk, out[-1][3] + edge[3])
            else:
                out.append(edge)
        return out

    def marked(self, text: str) -> str:
        """The text as the lattice sees it: normalised, spaces as '▁', one '▁' in front."""
        return "".join(word for word, _, _ in metaspace_split(self.normalize(text)))

    def nbest(self, text: str, n: int = 5) -> list[tuple[list[str], float]]:
        """The n most probable segmentations of `text` with their probabilities (a run of unknown
        characters is one `<unk>`, as encoded)."""
        marked = self.marked(text)
        edges = self.lattice(marked)
        log_z = forward(len(marked), edges)
        return [(self.pieces_of(marked, path), math.exp(score - log_z))
                for score, path in kbest(len(marked), edges, n)]

    def sample(self, text: str, *, alpha: float = 0.1, seed: int = 0) -> list[str]:
        """A segmentation drawn with probability proportional to P(segmentation)^alpha."""
        marked = self.marked(text)
        edges = [(i, j, t, s * alpha) for i, j, t, s in self.lattice(marked)]
        return self.pieces_of(marked, sample_path(len(marked), edges, np.random.default_rng(seed)))

    def pieces_of(self, marked: str, path: list[Edge]) -> list[str]:
        """The pieces of a path over a marked text, each run of unknown characters one `<unk>`."""
        unk = self.vocab[self.unk_token]
        return [self.unk_token if token_id == unk else marked[i:j] for i, j, token_id, _ in self.merge_unknown(path)]

    def decode(self, ids: Iterable[int]) -> str:
        """Pieces joined, '▁' back to spaces, the prepended one removed (HF's Metaspace decoder)."""
        return "".join(self._tokens_of(ids)).replace(METASPACE, " ").removeprefix(" ")

    # ---- persistence ---------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {"scores": self.scores}

    @classmethod
    def _from_state(cls, data: dict[str, Any]) -> "Unigram":
        return cls(data["vocab"], data["scores"], special_tokens=data["special_tokens"],
                   normalization=data["normalization"])

    def _hf_decoder(self) -> dict[str, Any]:
        return {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "always", "split": True}

    def _hf_model(self) -> dict[str, Any]:
        return {"type": "Unigram", "unk_id": self.vocab[self.unk_token], "byte_fallback": False,
                "vocab": [[t, s] for t, s in zip(self.id_to_token, self.scores)]}


# ---- training helpers ------------------------------------------------------------------------
def _enumerate(strings: list[str], max_len: int, skip_whole: bool = False):
    """Every substring of every string up to `max_len` characters, in a fixed order.

    Returns the substrings' provisional ids (first-seen order), the id-to-substring list, and the
    (string, begin, stop) of each occurrence, built with numpy from the lengths alone, so the
    Python loop does no more than slice and look up (a defaultdict numbers new substrings in C).
    """
    ids_of: defaultdict[str, int] = defaultdict(itertools.count().__next__)
    occurrences: list[int] = []
    spans_of = functools.lru_cache(maxsize=None)(lambda n: _pairs(n, max_len, skip_whole))
    for s in strings:
        occurrences.extend([ids_of[s[i:j]] for i, j in spans_of(len(s))])
    lengths = np.array([len(s) for s in strings], dtype=np.int64)
    owner = np.repeat(np.arange(len(strings)), [len(spans_of(n)) for n in lengths.tolist()])
    begin, stop = np.zeros(len(owner), dtype=np.int64), np.zeros(len(owner), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(strings)))])
    for n in np.unique(lengths).tolist():  # every string of one length has the same spans
        pattern = np.array(spans_of(n), dtype=np.int64).reshape(-1, 2)
        if len(pattern):
            rows = (offsets[np.flatnonzero(lengths == n)][:, None] + np.arange(len(pattern))).ravel()
            begin[rows] = np.tile(pattern[:, 0], int(np.sum(lengths == n)))
            stop[rows] = np.tile(pattern[:, 1], int(np.sum(lengths == n)))
    return np.fromiter(occurrences, dtype=np.int64, count=len(occurrences)), list(ids_of), owner, begin, stop


def _pairs(n: int, max_len: int, skip_whole: bool) -> tuple[tuple[int, int], ...]:
    return tuple((i, j) for i in range(n) for j in range(i + 1, min(n, i + max_len) + 1)
                 if not (skip_whole and i == 0 and j == n))


def _seed_lattices(words: list[str], word_counts: np.ndarray, seed_size: int, max_len: int):
    """Characters first (always kept), then substrings seen at least twice ranked by frequency x
    length; and every word's lattice over them."""
    occurrence, substrings, owner, begin, stop = _enumerate(words, max_len)
    counts = np.bincount(occurrence, weights=word_counts[owner], minlength=len(substrings))
    lengths = np.array([len(x) for x in substrings])
    is_char = lengths == 1
    chars = sorted(np.flatnonzero(is_char).tolist(), key=lambda i: substrings[i])
    frequent = np.flatnonzero(~is_char & (counts >= 2))
    rank = sorted(frequent.tolist(), key=lambda i: (-counts[i] * lengths[i], substrings[i]))
    chosen = chars + rank[: max(0, seed_size - len(chars))]
    final = np.full(len(substrings), -1, dtype=np.int64)
    final[chosen] = np.arange(len(chosen))
    piece = final[occurrence]
    kept = piece >= 0
    word_lengths = np.array([len(w) for w in words], dtype=np.int64)
    lattices = Lattices.build(word_lengths, owner[kept], begin[kept], stop[kept], piece[kept])
    return [substrings[i] for i in chosen], counts[chosen], len(chars), lattices


def _restrict(pieces: list[str], lattices: Lattices, expected: np.ndarray, keep: np.ndarray):
    new_ids = np.cumsum(keep) - 1
    return ([p for p, k in zip(pieces, keep) if k], lattices.keep(keep[lattices.piece], new_ids), expected[keep])


def _prune(pieces: list[str], logp: np.ndarray, lattices: Lattices, word_counts: np.ndarray, n_chars: int,
           target: int, finder: _Alternatives) -> np.ndarray:
    """sentencepiece's PruneSentencePieces: drop the pieces whose loss of likelihood is smallest."""
    _, edges, owners = lattices.viterbi(logp)
    freq = np.bincount(lattices.piece[edges], weights=word_counts[owners], minlength=len(pieces))
    total = freq.sum()
    used = [i for i in range(n_chars, len(pieces)) if freq[i] > 0]  # unused pieces go first
    alternatives = finder.find(logp, used)
    keep = np.zeros(len(pieces), dtype=bool)
    keep[:n_chars] = True
    candidates = []
    for i, alt in zip(used, alternatives):
        if alt is None:  # its own string is better split: removable
            continue
        logprob_sp = math.log(freq[i]) - math.log(total)
        logsum_alt = math.log(total + freq[i] * (len(alt) - 1))
        logprob_alt = sum(math.log(freq[n] + freq[i]) - logsum_alt for n in alt)
        candidates.append((-(freq[i] / total) * (logprob_sp - logprob_alt), i))
    candidates.sort()
    for _, i in candidates[: max(0, target - n_chars)]:
        keep[i] = True
    return keep


class _Alternatives:
    """Each piece's best segmentation without itself (sentencepiece's second-best), for pruning.

    The pieces' own lattices are built once and then restricted as pieces are pruned, like the
    words' lattices, so each round costs one batched Viterbi.
    """

    def __init__(self, pieces: list[str], n_chars: int):
        strings = pieces[n_chars:]
        occurrence, substrings, owner, begin, stop = _enumerate(strings, max(map(len, strings), default=1),
                                                                skip_whole=True)
        index = {p: i for i, p in enumerate(pieces)}
        mapped = np.array([index.get(x, -1) for x in substrings], dtype=np.int64)[occurrence]
        kept = mapped >= 0
        self.n_chars = n_chars
        self.row = np.arange(len(strings))  # lattice row of each current non-character piece
        self.lattices = Lattices.build(np.array([len(x) for x in strings], dtype=np.int64),
                                       owner[kept], begin[kept], stop[kept], mapped[kept])

    def restrict(self, keep: np.ndarray) -> None:
        self.lattices = self.lattices.keep(keep[self.lattices.piece], np.cumsum(keep) - 1)
        self.row = self.row[keep[self.n_chars:]]

    def find(self, logp: np.ndarray, which: list[int]) -> list[list[int] | None]:
        """For each piece in `which`: the pieces of its best split, or None if that split scores
        higher than the piece itself (then the piece is never used and can go)."""
        scores, edges, owners = self.lattices.viterbi(logp)
        order = np.argsort(owners, kind="stable")
        owners, pieces = owners[order], self.lattices.piece[edges[order]]
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(owners)) + 1, [len(owners)]])
        path_of = {int(owners[a]): pieces[a:b].tolist() for a, b in zip(bounds[:-1], bounds[1:]) if b > a}
        result = []
        for i in which:
            row = int(self.row[i - self.n_chars])
            result.append(path_of.get(row) if np.isfinite(scores[row]) and scores[row] <= logp[i] else None)
        return result


# ---- single-lattice algorithms (edges: (start, end, id, score)) ---------------------------------
# Viterbi and the forward pass are `lattice.Lattices`' batched ones, on lattices of one word or
# several; k-best and sampling exist only here.
def _batched(lattices: list[tuple[int, list[Edge]]]) -> tuple[Lattices, np.ndarray, list[Edge]]:
    """The words' lattices as one `Lattices` whose pieces are the edges themselves (so each edge
    keeps its own score: an `<unk>` edge's differs from the `<unk>` token's), with their scores."""
    flat = [edge for _, edges in lattices for edge in edges]
    owner = np.repeat(np.arange(len(lattices)), [len(edges) for _, edges in lattices])
    begin = np.array([e[0] for e in flat], dtype=np.int64)
    stop = np.array([e[1] for e in flat], dtype=np.int64)
    built = Lattices.build(np.array([n for n, _ in lattices], dtype=np.int64), owner, begin, stop,
                           np.arange(len(flat), dtype=np.int64))
    return built, np.array([e[3] for e in flat], dtype=np.float64), flat


def viterbi_all(lattices: list[tuple[int, list[Edge]]]) -> list[list[Edge]]:
    """The best path of each (length, edges) lattice, from node 0 to node `length`, all in one
    batched Viterbi; the first edge met wins ties (as sentencepiece)."""
    if not lattices:
        return []
    built, scores, flat = _batched(lattices)
    _, edges, owners = built.viterbi(scores)
    paths: list[list[Edge]] = [[] for _ in lattices]
    for edge, owner in zip(edges.tolist(), owners.tolist()):  # walked from each word's end
        paths[owner].append(flat[int(built.piece[edge])])
    return [path[::-1] for path in paths]


def viterbi(length: int, edges: list[Edge]) -> list[Edge]:
    """The best path of one lattice (see `viterbi_all`)."""
    return viterbi_all([(length, edges)])[0]


def _alpha(length: int, edges: list[Edge]) -> np.ndarray:
    """log alpha of each node 0..length: the log-sum of the scores of every path reaching it."""
    built, scores, _ = _batched([(length, edges)])
    return built.forward(scores)


def forward(length: int, edges: list[Edge]) -> float:
    """log of the summed score of every path (the normaliser of segmentation probabilities)."""
    return float(_alpha(length, edges)[length])


def kbest(length: int, edges: list[Edge], k: int) -> list[tuple[float, list]]:
    """The k best paths, exactly: each node keeps its k best partial paths."""
    best: list[list[tuple[float, list]]] = [[] for _ in range(length + 1)]
    best[0] = [(0.0, [])]
    by_end: dict[int, list] = {}
    for edge in edges:
        by_end.setdefault(edge[1], []).append(edge)
    for node in range(1, length + 1):
        options = [(score + e[3], path + [e]) for e in by_end.get(node, []) for score, path in best[e[0]]]
        best[node] = sorted(options, key=lambda o: -o[0])[:k]
    return best[length]


def sample_path(length: int, edges: list[Edge], rng: np.random.Generator) -> list:
    """Forward-filtering, backward-sampling: a path drawn with probability proportional to its score."""
    alpha = _alpha(length, edges)
    by_end: dict[int, list] = {}
    for edge in sorted(edges, key=lambda e: (e[1], e[0])):
        by_end.setdefault(edge[1], []).append(edge)
    path, node = [], length
    while node > 0:
        options = by_end[node]
        weights = np.array([alpha[e[0]] + e[3] for e in options])
        probs = np.exp(weights - weights.max())
        edge = options[rng.choice(len(options), p=probs / probs.sum())]
        path.append(edge)
        node = edge[0]
    return path[::-1]
