"""ROUGE (Lin, 2004): recall-oriented overlap of n-grams and of longest common subsequences.

Computed as Google's `rouge-score` computes it (tested equal): text lowercased, every run of
characters outside [a-z0-9] a separator, and with `stemmer=True` Porter-stemmed tokens longer
than three characters (the stemmer is NLTK's `PorterStemmer`, the one rouge-score uses, so stems
agree by construction). ROUGE-N counts clipped n-gram overlap; ROUGE-L uses the longest common
subsequence; ROUGE-Lsum the union LCS of each reference sentence against every hypothesis
sentence, sentences split at newlines.

`unicode=True` is a deliberate difference: rouge-score's tokenizer deletes every non-ASCII letter
("café" becomes "caf", Chinese text becomes nothing); this one keeps Unicode letters and digits,
and makes each CJK ideograph or kana a token of its own (Chinese and Japanese are written without
spaces, and ROUGE on Chinese is commonly counted in characters).

The LCS is not rouge-score's (m+1) x (n+1) table of Python ints, which a 460 KB text pair would
need ~17 GB for: see `lcs_length` and `lcs_alignment`, which give the same length and the same
pairs in linear and O(n sqrt(m)) bits. Texts are still capped at MAX_TOKENS tokens, for time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Sequence

import regex

from core.errors import InvalidSetting, InvalidText

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
# Measured on a 2-core machine shared with other work: a pair of 20,000-token texts (~110 KB of
# English each) scores every type in 1.3-1.4 s, cold stemmer cache included (rougeL and rougeLsum
# ~0.65 s each, rouge-score would need ~3 GB and minutes); adversarial pairs (one word repeated,
# every word distinct, one word per line) in 1.2-1.6 s. LCS time grows as the product of the lengths.
MAX_TOKENS = 20_000
_ASCII_SEPARATOR = re.compile(r"[^a-z0-9]+")
_UNICODE_SEPARATOR = regex.compile(r"[^\p{L}\p{N}]+")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_SPACES = re.compile(r"\s+")
_REVERSED_BYTES = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


@dataclass(frozen=True)
class RougeScore:
    precision: float
    recall: float
    fmeasure: float
    matched: tuple  # n-grams matched (ROUGE-N) or (ref index, hyp index) pairs of the LCS (ROUGE-L)


@lru_cache(maxsize=1)
def _porter():
    from nltk.stem import porter

    return porter.PorterStemmer()


@lru_cache(maxsize=2**16)
def _stem(token: str) -> str:
    return _porter().stem(token) if len(token) > 3 else token


def has_cjk(text: str) -> bool:
    """Whether `text` holds a CJK ideograph or kana (the characters `unicode=True` makes tokens alone)."""
    return _CJK.search(text) is not None


def tokenize(text: str, *, stemmer: bool = True, unicode: bool = False) -> list[str]:
    """rouge-score's tokenizer (or its Unicode-aware variant, CJK characters one token each)."""
    text = text.lower()
    if unicode:
        text = _UNICODE_SEPARATOR.sub(" ", _CJK.sub(r" \g<0> ", text))
    else:
        text = _ASCII_SEPARATOR.sub(" ", text)
    tokens = _SPACES.split(text)
    if stemmer:
        tokens = [_stem(t) for t in tokens]
    return [t for t in tokens if t]


def _f(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _ngram_score(hyp: list[str], ref: list[str], n: int) -> RougeScore:
    hyp_ngrams = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
    ref_ngrams = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
    overlap = hyp_ngrams & ref_ngrams
    hits = sum(overlap.values())
    precision = hits / max(sum(hyp_ngrams.values()), 1)
    recall = hits / max(sum(ref_ngrams.values()), 1)
    return RougeScore(precision, recall, _f(precision, recall), tuple(sorted(overlap.elements())))


class _Packed:
    """Hypothesis segments side by side in one integer, a row of the LCS table per reference token.

    Bit-parallel LCS (Allison & Dix 1986, in Hyyrö's 2004 form): bit j of a row V_i is 1 when
    table[i][j+1] == table[i][j], so a row of n cells is an n-bit int and one reference token
    updates it in a few big-integer operations: V + (V & match) carries from the lowest match in
    each run of 1s (where the row now climbs) to the next 0 (where the climb it absorbs was).
    Each segment is followed by a zero guard bit that catches the carry leaving it, so the
    segments (ROUGE-Lsum's sentences) stay independent.
    """

    def __init__(self, segments: Sequence[Sequence[str]]):
        self.masks: dict[str, int] = {}  # token -> the bits where it stands: one int per distinct token
        bit, guards, ends = 0, 0, 0
        for segment in segments:
            for token in segment:
                self.masks[token] = self.masks.get(token, 0) | (1 << bit)
                bit += 1
            ends |= (1 << (bit - 1)) if segment else 0
            guards |= 1 << bit
            bit += 1
        self.width, self.cells = bit, ((1 << bit) - 1) ^ guards  # V_0: every cell 1 (table row 0 is all 0)
        self.reversed_cells = self.reverse(self.cells)
        self.last = self.reverse(ends)  # where the backtrack starts: each segment's last token

    def step(self, v: int, token: str) -> tuple[int, int]:
        """The next row, and V + U with its carries (the backtrack reads where they landed)."""
        match = self.masks.get(token, 0)
        carried = v + (v & match)
        return (carried | (v & ~match)) & self.cells, carried

    def reverse(self, x: int) -> int:
        """`x` with its `width` bits in reverse order: a carry in it then runs towards lower j."""
        size = (self.width + 7) // 8
        return int.from_bytes(x.to_bytes(size, "little").translate(_REVERSED_BYTES), "big") >> (8 * size - self.width)


def _check_size(tokens: Sequence[str], name: str) -> None:
    if len(tokens) > MAX_TOKENS:
        raise InvalidText("The {name} has {count:,} tokens; ROUGE scores at most {limit:,} per text: shorten it.",
                          name=name, count=len(tokens), limit=MAX_TOKENS)


def lcs_length(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Length of the longest common subsequence: rouge-score's table[-1][-1], one n-bit row at a time.

    Memory: that row and one n-bit mask per distinct hypothesis token (at most n²/16 bytes, 25 MB
    at MAX_TOKENS, when every token differs); rouge-score's table takes ~8 m n bytes and more.
    """
    _check_size(ref, "reference")
    _check_size(hyp, "hypothesis")
    packed = _Packed([hyp])
    v = packed.cells
    for token in ref:
        v, _ = packed.step(v, token)
    return len(hyp) - v.bit_count()


def _diagonals(ref: Sequence[str], packed: _Packed) -> Iterator[tuple[int, int]]:
    """rouge-score's backtrack, run in every packed segment at once: from the last reference token
    down, while a segment is still walking, (its index r, the diagonal moves taken in row r + 1 of
    the table, as bits of the reversed row).

    From cell (i, j), rouge-score takes the diagonal on a match, moves left when
    table[i][j-1] > table[i-1][j] (the cell's left step is flat and its up step climbs), else up.
    Those cells are bit-masks of rows i-1 and i, so a row's leftward walks are one carry in the
    reversed row. Rows come back from checkpoints every ~sqrt(m) rows, recomputed a block at a
    time: O(n sqrt(m)) bits instead of the m x n table, for twice the forward work.
    """
    every = math.isqrt(len(ref)) + 1
    checkpoints, v = [], packed.cells
    for i, token in enumerate(ref):
        if i % every == 0:
            checkpoints.append(v)
        v, _ = packed.step(v, token)
    walking = packed.last  # one bit per segment, at its current column, in the reversed row
    for start in reversed(range(0, len(ref), every)):
        befores = [checkpoints[start // every]]  # the rows before each token of this block
        for token in ref[start:min(start + every, len(ref)) - 1]:
            befores.append(packed.step(befores[-1], token)[0])
        for r in reversed(range(start, start + len(befores))):
            if not walking:
                return
            before, match = befores[r - start], packed.masks.get(ref[r], 0)
            now, carried = packed.step(before, ref[r])
            # Cells where this row is one above the row before: from each carry's start up to its landing.
            climbs = (carried & ~before) - (before & ~now)
            left = packed.reverse(climbs & now & ~match)  # flat left step, climbing up step, no match
            match = packed.reverse(match)
            stops = (left + walking) & ~left  # each walk runs left to the match that ends its run
            diagonal = stops & match
            if diagonal:
                yield r, diagonal
            walking = ((diagonal << 1) | (stops & ~match)) & packed.reversed_cells


def lcs_alignment(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int, int]]:
    """One longest common subsequence as (ref index, hyp index) pairs: exactly those of rouge-score's
    backtrack (tested), in O(n sqrt(m)) bits of memory."""
    _check_size(ref, "reference")
    _check_size(hyp, "hypothesis")
    packed = _Packed([hyp])
    return [(i, packed.width - diagonal.bit_length()) for i, diagonal in _diagonals(ref, packed)][::-1]


def _lcs_score(hyp: list[str], ref: list[str]) -> RougeScore:
    if not hyp or not ref:
        return RougeScore(0.0, 0.0, 0.0, ())
    length = lcs_length(ref, hyp)
    precision, recall = length / len(hyp), length / len(ref)
    return RougeScore(precision, recall, _f(precision, recall), tuple(lcs_alignment(ref, hyp)))


def _summary_lcs_score(hyp_sents: list[list[str]], ref_sents: list[list[str]]) -> RougeScore:
    """ROUGE-Lsum: for each reference sentence, the union of its LCS with every hypothesis
    sentence; a token is a hit while both texts still have an unused copy of it."""
    m, n = sum(map(len, ref_sents)), sum(map(len, hyp_sents))
    if not m or not n:
        return RougeScore(0.0, 0.0, 0.0, ())
    ref_left = Counter(t for s in ref_sents for t in s)
    hyp_left = Counter(t for s in hyp_sents for t in s)
    packed = _Packed(hyp_sents)
    hits: list[str] = []
    for ref in ref_sents:
        union = [i for i, _ in _diagonals(ref, packed)][::-1]
        for token in (ref[i] for i in union):
            if hyp_left[token] > 0 and ref_left[token] > 0:
                hits.append(token)
                hyp_left[token] -= 1
                ref_left[token] -= 1
    precision, recall = len(hits) / n, len(hits) / m
    return RougeScore(precision, recall, _f(precision, recall), tuple(hits))


def rouge(hypothesis: str, reference: str, *, types: Sequence[str] = ROUGE_TYPES, stemmer: bool = True,
          unicode: bool = False) -> dict[str, RougeScore]:
    """ROUGE of `hypothesis` against `reference`, per type (rouge1..rouge9, rougeL, rougeLsum)."""
    if not isinstance(hypothesis, str) or not isinstance(reference, str):
        raise InvalidText("hypothesis and reference must both be text.")
    hyp, ref = tokenize(hypothesis, stemmer=stemmer, unicode=unicode), tokenize(reference, stemmer=stemmer,
                                                                                  unicode=unicode)
    _check_size(hyp, "hypothesis")
    _check_size(ref, "reference")

    def sentences(text: str) -> list[list[str]]:
        return [tokenize(s, stemmer=stemmer, unicode=unicode) for s in text.split("\n") if s]

    result = {}
    for kind in types:
        if kind == "rougeL":
            result[kind] = _lcs_score(hyp, ref)
        elif kind == "rougeLsum":
            result[kind] = _summary_lcs_score(sentences(hypothesis), sentences(reference))
        elif re.fullmatch(r"rouge[1-9]", kind):
            result[kind] = _ngram_score(hyp, ref, int(kind[5:]))
        else:
            raise InvalidSetting("Unknown ROUGE type {kind!r}: use rouge1..rouge9, rougeL or rougeLsum.", kind=kind)
    return result
