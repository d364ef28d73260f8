"""BLEU (Papineni et al., 2002) with everything it is built from, computed as sacrebleu does.

A segment contributes sufficient statistics: its length, the closest reference length, and for
n = 1..4 the clipped n-gram matches and the n-gram total. Corpus BLEU sums the statistics over
segments *before* dividing, which is why it is not the mean of sentence BLEUs. The score is the
brevity penalty times the geometric mean of the four precisions; smoothing (Chen & Cherry 2014)
decides what a zero precision contributes: none, floor (method 1), add-k (method 2) or exp
(method 3, mteval's). Every number equals sacrebleu 2.x's (tested), including its quirks: add-k
changes the reported counts, and a log of zero is floored at -9999999999.

Also here: sacrebleu's signature string for the same settings, its bootstrap interval and paired
bootstrap test (`core.metrics.significance`), and a tokeniser suggestion for CJK text.

Unlike sacrebleu, hypothesis and reference streams of different lengths are an error here
(sacrebleu silently drops the extra segments).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from core.errors import InvalidSetting, InvalidText
from core.metrics.bleu_tokenize import get_tokenizer
from core.metrics.rouge import has_cjk
from core.metrics.significance import (N_SAMPLES, SEED, PairedBootstrap, Scorer, bootstrap_scores, estimate_ci,
                                       paired_bootstrap, resample)

MAX_ORDER = 4
SMOOTH_DEFAULTS: dict[str, float | None] = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}
LOG_ZERO = -9999999999  # sacrebleu's floor for log(0)
SACREBLEU_VERSION = "2.6.0"  # the version every score here is tested equal to; signatures name it


@dataclass(frozen=True)
class BLEUResult:
    score: float  # 0..100
    counts: list[float]  # clipped matches per order (add-k adds k for n > 1, as sacrebleu reports)
    totals: list[float]  # hypothesis n-grams per order
    precisions: list[float]  # percentages, after smoothing
    bp: float  # brevity penalty
    sys_len: int
    ref_len: int
    ci: float | None = None  # half-width of the 95% bootstrap interval, if requested
    bootstrap_scores: list[float] = field(default_factory=list, repr=False)

    @property
    def ratio(self) -> float:
        return self.sys_len / self.ref_len if self.ref_len else 0.0


@dataclass(frozen=True)
class NgramMatch:
    """One n-gram occurrence of the hypothesis and how BLEU counted it."""

    ngram: tuple[str, ...]
    position: int  # index of its first token
    status: str  # "matched", "clipped" (in a reference, but used up), "unmatched"


def _ngram_counts(tokens: list[str], max_order: int = MAX_ORDER) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1) for i in range(len(tokens) - n + 1))


def _closest_ref_len(hyp_len: int, ref_lens: list[int]) -> int:
    """The reference length closest to the hypothesis length; the shorter one on a tie."""
    return min(ref_lens, key=lambda length: (abs(hyp_len - length), length))


class _Preprocessor:
    def __init__(self, tokenize: str, lowercase: bool):
        self.tokenizer = get_tokenizer(tokenize)
        self.lowercase = lowercase

    def __call__(self, text: str) -> list[str]:
        return self.tokenizer((text.lower() if self.lowercase else text).rstrip()).split()


def _reference_info(refs: list[list[str]]) -> tuple[Counter, list[int]]:
    """Per n-gram, the largest count in any one reference (the clipping limit); the lengths."""
    limits: Counter = Counter()
    for ref in refs:
        for ngram, count in _ngram_counts(ref).items():
            limits[ngram] = max(limits[ngram], count)
    return limits, [len(ref) for ref in refs]


def _segment_stats(hyp: list[str], limits: Counter, ref_lens: list[int]) -> list[int]:
    correct, total = [0] * MAX_ORDER, [0] * MAX_ORDER
    for ngram, count in _ngram_counts(hyp).items():
        total[len(ngram) - 1] += count
        if ngram in limits:
            correct[len(ngram) - 1] += min(count, limits[ngram])
    return [len(hyp), _closest_ref_len(len(hyp), ref_lens)] + correct + total


def _smooth_value(smooth: str, smooth_value: float | None) -> float | None:
    """The value `smooth` uses: `smooth_value`, or the method's default."""
    if smooth not in SMOOTH_DEFAULTS:
        raise InvalidSetting("smooth must be one of {choices}, not {smooth!r}.", choices=", ".join(SMOOTH_DEFAULTS),
                             smooth=smooth)
    return SMOOTH_DEFAULTS[smooth] if smooth_value is None else smooth_value


def compute_bleu(stats: Sequence[float], smooth: str = "exp", smooth_value: float | None = None,
                 effective_order: bool = False) -> BLEUResult:
    """BLEU from summed statistics [sys_len, ref_len, correct x4, total x4]."""
    value = _smooth_value(smooth, smooth_value)
    sys_len, ref_len = int(stats[0]), int(stats[1])
    correct, total = list(stats[2:2 + MAX_ORDER]), list(stats[2 + MAX_ORDER:])
    bp = 1.0 if sys_len >= ref_len else (math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0)
    precisions = [0.0] * MAX_ORDER
    if not any(correct):
        return BLEUResult(0.0, correct, total, precisions, bp, sys_len, ref_len)
    smooth_mteval, order = 1.0, MAX_ORDER
    for n in range(1, MAX_ORDER + 1):
        if smooth == "add-k" and n > 1:
            correct[n - 1] += value
            total[n - 1] += value
        if total[n - 1] == 0:
            break
        if effective_order:
            order = n
        if correct[n - 1] == 0:
            if smooth == "exp":
                smooth_mteval *= 2
                precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1])
            elif smooth == "floor":
                precisions[n - 1] = 100.0 * value / total[n - 1]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    return BLEUResult(bp * geometric_means(precisions[:order])[-1], correct, total, precisions, bp, sys_len, ref_len)


def geometric_means(precisions: Sequence[float]) -> list[float]:
    """The geometric mean of the first n precisions (percentages), for each n: BLEU before the brevity
    penalty is the last over the orders it uses. A zero counts as sacrebleu counts it (log floored at
    LOG_ZERO), so the mean is 0 from the first zero on."""
    logs = [math.log(p) if p != 0.0 else LOG_ZERO for p in precisions]
    return [math.exp(sum(logs[:n]) / n) for n in range(1, len(logs) + 1)]


def check_streams(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]]) -> None:
    """Hypotheses are a list of strings; references are streams of as many segments (None: no reference)."""
    if isinstance(hypotheses, str) or not all(isinstance(h, str) for h in hypotheses):
        raise InvalidText("hypotheses must be a list of strings, one per segment.")
    if not hypotheses:
        raise InvalidText("There are no hypotheses to score.")
    if isinstance(references, str) or not references or any(isinstance(s, str) for s in references):
        raise InvalidText("references must be a list of reference streams (each a list of strings, one per "
                          "segment), as sacrebleu takes them.")
    for index, stream in enumerate(references, 1):
        if len(stream) != len(hypotheses):
            raise InvalidSetting("There are {hypotheses:,} hypotheses but reference stream {index} has {segments:,} "
                                 "segments: give one reference per hypothesis in each stream.",
                                 hypotheses=len(hypotheses), index=index, segments=len(stream))


def corpus_stats(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]], *,
                 tokenize: str = "13a", lowercase: bool = False) -> np.ndarray:
    """Per-segment statistics, shape (segments, 2 + 2 * 4), for scoring and bootstrap resampling."""
    check_streams(hypotheses, references)
    prepare = _Preprocessor(tokenize, lowercase)
    rows = []
    for hypothesis, refs in zip(hypotheses, zip(*references)):
        refs = [prepare(r) for r in refs if r is not None]
        if not refs:
            raise InvalidText("A segment has no reference at all (every stream has None there).")
        rows.append(_segment_stats(prepare(hypothesis), *_reference_info(refs)))
    return np.array(rows, dtype=np.int64)


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str | None]], *, smooth: str = "exp",
                smooth_value: float | None = None, tokenize: str = "13a", lowercase: bool = False,
                effective_order: bool = False, n_bootstrap: int = 1, seed: int = 12345) -> BLEUResult:
    """Corpus BLEU; `references` is a list of streams (`references[k][i]` is reference k of segment i).

    With `n_bootstrap > 1`, also the 95% confidence interval from resampling segments with
    replacement (sacrebleu's procedure and default seed).
    """
    stats = corpus_stats(hypotheses, references, tokenize=tokenize, lowercase=lowercase)
    result = compute_bleu(stats.sum(0).tolist(), smooth, smooth_value, effective_order)
    if n_bootstrap <= 1:
        return result
    scores = bootstrap_scores(stats, _scorer(smooth, smooth_value, effective_order),
                              resample(len(stats), n_bootstrap, seed))
    _, half_width = estimate_ci(scores)
    return dataclasses.replace(result, ci=half_width, bootstrap_scores=sorted(scores.tolist()))


def _scorer(smooth: str, smooth_value: float | None, effective_order: bool) -> Scorer:
    return lambda stats: compute_bleu(stats, smooth, smooth_value, effective_order).score


def paired_bootstrap_bleu(baseline: Sequence[str], candidate: Sequence[str],
                          references: Sequence[Sequence[str | None]], *, smooth: str = "exp",
                          smooth_value: float | None = None, tokenize: str = "13a", lowercase: bool = False,
                          effective_order: bool = False, n_samples: int = N_SAMPLES,
                          seed: int = SEED) -> PairedBootstrap:
    """Is `candidate`'s corpus BLEU really different from `baseline`'s? sacrebleu's paired bootstrap test."""
    stats = [corpus_stats(system, references, tokenize=tokenize, lowercase=lowercase)
             for system in (baseline, candidate)]
    return paired_bootstrap(*stats, _scorer(smooth, smooth_value, effective_order), n_samples=n_samples,
                            seed=seed)


def sacrebleu_signature(nrefs: int | None, settings: dict[str, object], *, n_bootstrap: int = 1,
                        seed: int = SEED) -> str:
    """sacrebleu's reproducibility signature: references per segment (None: it varies), resampling if any,
    the metric's `settings` in order, the version. `True`/`False` print as yes/no, as sacrebleu prints them."""
    fields: dict[str, object] = {"nrefs": "var" if nrefs is None else nrefs}
    if n_bootstrap > 1:
        fields.update(bs=n_bootstrap, seed=seed)
    fields.update(settings, version=SACREBLEU_VERSION)
    return "|".join(f"{key}:{_signature_text(value)}" for key, value in fields.items())


def _signature_text(value: object) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def bleu_signature(nrefs: int | None = 1, *, smooth: str = "exp", smooth_value: float | None = None,
                   tokenize: str = "13a", lowercase: bool = False, effective_order: bool = False,
                   n_bootstrap: int = 1, seed: int = SEED) -> str:
    """What sacrebleu's `BLEU(...).get_signature()` prints for these settings, e.g.
    `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. `n_bootstrap` is the resamples of an
    interval or a paired test. (sentence_bleu's default is `effective_order=True`.)"""
    value = _smooth_value(smooth, smooth_value)
    get_tokenizer(tokenize)  # refuses an unknown name
    settings = {"case": "lc" if lowercase else "mixed", "eff": effective_order, "tok": tokenize,
                "smooth": smooth if SMOOTH_DEFAULTS[smooth] is None else f"{smooth}[{value:.2f}]"}
    return sacrebleu_signature(nrefs, settings, n_bootstrap=n_bootstrap, seed=seed)


def suggest_bleu_tokenizer(hypothesis: str, references: Sequence[str]) -> str:
    """The tokeniser to suggest: "zh" when the texts hold CJK characters, otherwise "13a" (sacrebleu's default).

    13a cuts at spaces and punctuation, so to it an unsegmented Chinese sentence is one word and BLEU
    is near 0; sacrebleu itself switches to zh only when told the target language. zh cuts every CJK
    character apart and applies 13a's rules to the rest. Japanese gets "zh" too, the nearest tokeniser
    here (its kanji are cut, kana runs stay whole): sacrebleu's ja-mecab needs MeCab.
    """
    return "zh" if any(has_cjk(text) for text in (hypothesis, *references)) else "13a"


def sentence_bleu(hypothesis: str, references: Sequence[str], *, smooth: str = "exp",
                  smooth_value: float | None = None, tokenize: str = "13a", lowercase: bool = False,
                  effective_order: bool = True) -> BLEUResult:
    """BLEU of one sentence against one or more references (effective order on, as sacrebleu)."""
    if isinstance(references, str):
        references = [references]
    return corpus_bleu([hypothesis], [[r] for r in references], smooth=smooth, smooth_value=smooth_value,
                       tokenize=tokenize, lowercase=lowercase, effective_order=effective_order)


def ngram_matches(hypothesis: str, references: Sequence[str], *, tokenize: str = "13a",
                  lowercase: bool = False) -> dict[int, list[NgramMatch]]:
    """Every hypothesis n-gram (n = 1..4) in order, marked matched, clipped or unmatched."""
    prepare = _Preprocessor(tokenize, lowercase)
    hyp = prepare(hypothesis)
    limits, _ = _reference_info([prepare(r) for r in references])
    used: Counter = Counter()
    result: dict[int, list[NgramMatch]] = {}
    for n in range(1, MAX_ORDER + 1):
        result[n] = []
        for i in range(len(hyp) - n + 1):
            ngram = tuple(hyp[i:i + n])
            status = "unmatched"
            if ngram in limits:
                used[ngram] += 1
                status = "matched" if used[ngram] <= limits[ngram] else "clipped"
            result[n].append(NgramMatch(ngram, i, status))
    return result
