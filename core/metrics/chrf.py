"""chrF (Popović 2015) and chrF++ (Popović 2017): an F-score over character n-grams, plus word n-grams.

A segment contributes three counts per order, hypothesis n-grams, reference n-grams and clipped
matches, for characters n = 1..6 (whitespace removed first) and, in chrF++, words n = 1..2 (split
at whitespace, one punctuation mark cut off the end, or else the start, of each word: "(hi)"
becomes "(hi" and ")"). Corpus chrF sums the counts over segments before dividing; sentence chrF
is the corpus of one. With β = 2 recall weighs twice as much as precision.

Every number equals sacrebleu 2.6.0's `CHRF` (tested), including: several references, of which a
segment keeps the best-scoring one (the first on a tie); an order that no reference has counts no
hypothesis n-grams either; and its two smoothings. By default (sacrebleu's `eps_smoothing=False`)
precision and recall are averaged over the orders both texts have, then combined; with
`eps_smoothing=True` the F-scores of all orders are averaged, an absent count making a precision
or recall of 1e-16 (chrF++.py's, Moses' and NLTK's way).

As for BLEU, hypothesis and reference streams of different lengths are an error here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.errors import InvalidText, require
from core.metrics.bleu import check_streams, sacrebleu_signature
from core.metrics.significance import N_SAMPLES, SEED, PairedBootstrap, Scorer, paired_bootstrap

EPS = 1e-16  # sacrebleu's stand-in for a precision or recall with nothing to count
PUNCTUATION = frozenset('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')  # string.punctuation, as sacrebleu has it


@dataclass(frozen=True)
class CHRFConfig:
    char_order: int = 6  # character n-grams of 1..char_order characters
    word_order: int = 0  # word n-grams of 1..word_order words: 0 for chrF, 2 for chrF++
    beta: int = 2  # recall weighs beta times as much as precision
    lowercase: bool = False  # compare case-insensitively
    eps_smoothing: bool = False  # average per-order F-scores (chrF++.py) instead of precision and recall

    def __post_init__(self):
        for name, least in (("char_order", 1), ("word_order", 0), ("beta", 0)):
            value = getattr(self, name)
            require(isinstance(value, int) and value >= least,
                    "{name} must be a whole number of at least {least}, not {value!r}.", name=name, least=least,
                    value=value)

    @property
    def name(self) -> str:
        """sacrebleu's name for the metric: chrF2, chrF2++."""
        return f"chrF{self.beta}" + "+" * self.word_order


CHRF_PLUS_PLUS = CHRFConfig(word_order=2)


@dataclass(frozen=True)
class OrderStats:
    """The counts of one n-gram order, for a breakdown."""

    unit: str  # "char" or "word"
    n: int
    hyp: int  # hypothesis n-grams (0 when the references have none of this order, as sacrebleu counts)
    ref: int  # reference n-grams
    matches: int  # hypothesis n-grams found in the reference, clipped at its count

    @property
    def precision(self) -> float:
        return 100.0 * self.matches / self.hyp if self.hyp else 0.0

    @property
    def recall(self) -> float:
        return 100.0 * self.matches / self.ref if self.ref else 0.0


@dataclass(frozen=True)
class CHRFResult:
    score: float  # 0..100
    stats: tuple[int, ...]  # (hyp, ref, matches) per order: characters 1..char_order, then words
    config: CHRFConfig

    @property
    def orders(self) -> list[OrderStats]:
        units = [("char", n) for n in range(1, self.config.char_order + 1)]
        units += [("word", n) for n in range(1, self.config.word_order + 1)]
        return [OrderStats(unit, n, *self.stats[3 * k:3 * k + 3]) for k, (unit, n) in enumerate(units)]


def _f_beta(precision: float, recall: float, factor: int) -> float:
    return (1 + factor) * precision * recall / (factor * precision + recall)


def _precision_recall(n_hyp: float, n_ref: float, n_match: float) -> tuple[float, float]:
    return (n_match / n_hyp if n_hyp > 0 else EPS), (n_match / n_ref if n_ref > 0 else EPS)


def chrf_score(stats: Sequence[float], beta: int = 2, eps_smoothing: bool = False) -> float:
    """chrF (0..100) from summed statistics, (hyp, ref, matches) per order.

    The operations are sacrebleu's, in its order (sums by `+=`, not `sum`, which compensates on
    Python 3.12): on the float32 sums of a bootstrap resample they round as sacrebleu's do.
    """
    factor, orders = beta ** 2, [stats[k:k + 3] for k in range(0, len(stats), 3)]
    if eps_smoothing:  # the mean F-score of every order
        total = 0.0
        for counts in orders:
            precision, recall = _precision_recall(*counts)
            total += _f_beta(precision, recall, factor) if factor * precision + recall > 0 else EPS
        return 100 * total / len(orders)
    both = [_precision_recall(*counts) for counts in orders if counts[0] > 0 and counts[1] > 0]
    precision, recall = 0.0, 0.0  # the F-score of mean precision and mean recall over orders both texts have
    for order_precision, order_recall in both:
        precision += order_precision
        recall += order_recall
    if both:
        precision /= len(both)
        recall /= len(both)
    return 100 * _f_beta(precision, recall, factor) if precision + recall else 0.0


def _words(text: str) -> list[str]:
    """sacrebleu's chrF++ words: one punctuation mark split off the end, or else the start, of a word."""
    words = []
    for word in text.split():
        if len(word) > 1 and word[-1] in PUNCTUATION:
            words += [word[:-1], word[-1]]
        elif len(word) > 1 and word[0] in PUNCTUATION:
            words += [word[0], word[1:]]
        else:
            words.append(word)
    return words


def _ngrams(text: str, config: CHRFConfig) -> list[Counter]:
    """Counts of character n-grams (n = 1..char_order), then of word n-grams (n = 1..word_order)."""
    chars = "".join(text.split())
    counts = [Counter([chars[i:i + n] for i in range(len(chars) - n + 1)]) for n in range(1, config.char_order + 1)]
    words = _words(text) if config.word_order else []
    counts += [Counter([" ".join(words[i:i + n]) for i in range(len(words) - n + 1)])
               for n in range(1, config.word_order + 1)]
    return counts


def _match_stats(hyp: list[Counter], ref: list[Counter]) -> list[int]:
    stats = []
    for hyp_counts, ref_counts in zip(hyp, ref):
        matches = sum(min(count, ref_counts[g]) for g, count in hyp_counts.items() if g in ref_counts)
        stats += [hyp_counts.total() if ref_counts else 0, ref_counts.total(), matches]
    return stats


def chrf_stats(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]],
               config: CHRFConfig = CHRFConfig()) -> np.ndarray:
    """Per-segment statistics, shape (segments, 3 * (char_order + word_order)), each segment against
    its best-scoring reference; `references[k][i]` is reference k of segment i (None: none)."""
    check_streams(hypotheses, references)
    prepare = str.lower if config.lowercase else str
    rows = []
    for hypothesis, refs in zip(hypotheses, zip(*references)):
        refs = [_ngrams(prepare(r), config) for r in refs if r is not None]
        if not refs:
            raise InvalidText("A segment has no reference at all (every stream has None there).")
        hyp = _ngrams(prepare(hypothesis), config)
        candidates = [_match_stats(hyp, ref) for ref in refs]
        scores = [chrf_score(stats, config.beta, config.eps_smoothing) for stats in candidates]
        rows.append(candidates[scores.index(max(scores))])
    return np.array(rows, dtype=np.int64)


def corpus_chrf(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]],
                config: CHRFConfig = CHRFConfig()) -> CHRFResult:
    """Corpus chrF (chrF++ with `CHRF_PLUS_PLUS`); `references[k][i]` is reference k of segment i."""
    stats = chrf_stats(hypotheses, references, config).sum(0).tolist()
    return CHRFResult(chrf_score(stats, config.beta, config.eps_smoothing), tuple(stats), config)


def sentence_chrf(hypothesis: str, references: Sequence[str], config: CHRFConfig = CHRFConfig()) -> CHRFResult:
    """chrF of one sentence against one or more references."""
    if isinstance(references, str):
        references = [references]
    return corpus_chrf([hypothesis], [[r] for r in references], config)


def _scorer(config: CHRFConfig) -> Scorer:
    return lambda stats: chrf_score(stats, config.beta, config.eps_smoothing)


def paired_bootstrap_chrf(baseline: Sequence[str], candidate: Sequence[str],
                          references: Sequence[Sequence[str | None]], config: CHRFConfig = CHRFConfig(), *,
                          n_samples: int = N_SAMPLES, seed: int = SEED) -> PairedBootstrap:
    """Is `candidate`'s corpus chrF really different from `baseline`'s? sacrebleu's paired bootstrap test."""
    stats = [chrf_stats(system, references, config) for system in (baseline, candidate)]
    return paired_bootstrap(*stats, _scorer(config), n_samples=n_samples, seed=seed)


def chrf_signature(nrefs: int | None = 1, config: CHRFConfig = CHRFConfig(), *, n_bootstrap: int = 1,
                   seed: int = SEED) -> str:
    """What sacrebleu's `CHRF(...).get_signature()` prints for these settings, e.g.
    `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0` (nrefs None: it varies)."""
    settings = {"case": "lc" if config.lowercase else "mixed", "eff": not config.eps_smoothing,
                "nc": config.char_order, "nw": config.word_order, "space": False}
    return sacrebleu_signature(nrefs, settings, n_bootstrap=n_bootstrap, seed=seed)
