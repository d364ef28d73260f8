"""ROUGE (Lin, 2004): recall-oriented overlap of n-grams and of longest common subsequences.

Computed as Google's `rouge-score` computes it (tested equal): text lowercased, every run of
characters outside [a-z0-9] a separator, and with `stemmer=True` Porter-stemmed tokens longer
than three characters (the stemmer is NLTK's `PorterStemmer`, the one rouge-score uses, so stems
agree by construction). ROUGE-N counts clipped n-gram overlap; ROUGE-L uses the longest common
subsequence; ROUGE-Lsum the union LCS of each reference sentence against every hypothesis
sentence, sentences split at newlines.

`unicode=True` is a deliberate difference: rouge-score's tokenizer deletes every non-ASCII letter
("café" becomes "caf", Chinese text becomes nothing); this one keeps Unicode letters and digits.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import regex

from core.errors import InvalidSetting, InvalidText

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_ASCII_SEPARATOR = re.compile(r"[^a-z0-9]+")
_UNICODE_SEPARATOR = regex.compile(r"[^\p{L}\p{N}]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class RougeScore:
    precision: float
    recall: float
    fmeasure: float
    matched: tuple  # n-grams matched (ROUGE-N) or (hyp index, ref index) pairs of the LCS (ROUGE-L)


@lru_cache(maxsize=1)
def _porter():
    from nltk.stem import porter

    return porter.PorterStemmer()


@lru_cache(maxsize=2**16)
def _stem(token: str) -> str:
    return _porter().stem(token) if len(token) > 3 else token


def tokenize(text: str, *, stemmer: bool = True, unicode: bool = False) -> list[str]:
    """rouge-score's tokenizer (or its Unicode-aware variant)."""
    separator = _UNICODE_SEPARATOR if unicode else _ASCII_SEPARATOR
    tokens = _SPACES.split(separator.sub(" ", text.lower()))
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


def lcs_table(ref: Sequence[str], hyp: Sequence[str]) -> list[list[int]]:
    table = [[0] * (len(hyp) + 1) for _ in range(len(ref) + 1)]
    for i in range(1, len(ref) + 1):
        row, previous, token = table[i], table[i - 1], ref[i - 1]
        for j in range(1, len(hyp) + 1):
            row[j] = previous[j - 1] + 1 if token == hyp[j - 1] else max(previous[j], row[j - 1])
    return table


def lcs_alignment(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int, int]]:
    """One longest common subsequence as (ref index, hyp index) pairs (rouge-score's backtrack)."""
    table = lcs_table(ref, hyp)
    i, j, pairs = len(ref), len(hyp), []
    while i > 0 and j > 0:
        if ref[i - 1] == hyp[j - 1]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return pairs[::-1]


def _lcs_score(hyp: list[str], ref: list[str]) -> RougeScore:
    if not hyp or not ref:
        return RougeScore(0.0, 0.0, 0.0, ())
    pairs = lcs_alignment(ref, hyp)
    precision, recall = len(pairs) / len(hyp), len(pairs) / len(ref)
    return RougeScore(precision, recall, _f(precision, recall), tuple(pairs))


def _summary_lcs_score(hyp_sents: list[list[str]], ref_sents: list[list[str]]) -> RougeScore:
    """ROUGE-Lsum: for each reference sentence, the union of its LCS with every hypothesis
    sentence; a token is a hit while both texts still have an unused copy of it."""
    m, n = sum(map(len, ref_sents)), sum(map(len, hyp_sents))
    if not m or not n:
        return RougeScore(0.0, 0.0, 0.0, ())
    ref_left = Counter(t for s in ref_sents for t in s)
    hyp_left = Counter(t for s in hyp_sents for t in s)
    hits: list[str] = []
    for ref in ref_sents:
        union = sorted({i for hyp in hyp_sents for i, _ in lcs_alignment(ref, hyp)})
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
    result = {}
    for kind in types:
        if kind == "rougeL":
            result[kind] = _lcs_score(hyp, ref)
        elif kind == "rougeLsum":
            def sentences(text: str) -> list[list[str]]:
                return [tokenize(s, stemmer=stemmer, unicode=unicode) for s in text.split("\n") if s]
            result[kind] = _summary_lcs_score(sentences(hypothesis), sentences(reference))
        elif re.fullmatch(r"rouge[1-9]", kind):
            result[kind] = _ngram_score(hyp, ref, int(kind[5:]))
        else:
            raise InvalidSetting(f"Unknown ROUGE type {kind!r}: use rouge1..rouge9, rougeL or rougeLsum.")
    return result
