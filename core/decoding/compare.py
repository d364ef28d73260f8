"""Comparing decoding methods: diversity across samples, repetition within one, likelihood.

Diversity is measured on words, across the samples of one method: distinct-1/2 (Li et al., 2016),
the share of different words and word pairs among all those of the samples pooled, and self-BLEU
(Zhu et al., 2018, Texygen), the BLEU of each sample against the others. Counting characters
instead would make greedy look diverse: a character model's greedy text uses many letters while
repeating the same few words. Greedy and beam search give the same text every time, so their
samples are that one text repeated, which is what a user asking again would get.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Hashable, Sequence

import numpy as np

from core.decoding.search import beam_search, greedy, sample
from core.decoding.stepper import check_prompt
from core.i18n import N_
from core.metrics.bleu import sentence_bleu, suggest_bleu_tokenizer
from core.metrics.bleu_tokenize import get_tokenizer

SAMPLES = 5  # outputs per method


def distinct_n(samples: Sequence[Sequence[Hashable]], n: int) -> float:
    """Distinct n-grams over all n-grams, pooled across samples (Li et al., 2016)."""
    grams = [tuple(s[i:i + n]) for s in samples for i in range(len(s) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repeated_ngram_rate(tokens: Sequence[Hashable], n: int = 4) -> float:
    """Share of n-grams in one sample that already occurred earlier in it (degeneration)."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    if not grams:
        return 0.0
    seen: Counter = Counter()
    repeats = 0
    for gram in grams:
        repeats += seen[gram] > 0
        seen[gram] += 1
    return repeats / len(grams)


def word_tokenizer(texts: Sequence[str]) -> str:
    """The BLEU tokeniser that cuts these texts into words: 13a, or zh when they are Chinese."""
    return suggest_bleu_tokenizer(texts[0], texts[1:]) if texts else "13a"


def words(text: str, tokenize: str = "13a") -> list[str]:
    """The words of `text` as sacrebleu's `tokenize` rules cut them."""
    return get_tokenizer(tokenize)(text).split()


def self_bleu(texts: Sequence[str]) -> float:
    """Mean sentence BLEU of each sample against all the others as references (Texygen's self-BLEU):
    100 when every sample is the same text, near 0 when they share few words; NaN when there is
    nothing to compare (fewer than two samples, or no words at all)."""
    tokenize = word_tokenizer(texts)
    if len(texts) < 2 or not any(words(text, tokenize) for text in texts):
        return float("nan")
    return float(np.mean([sentence_bleu(text, [*texts[:i], *texts[i + 1:]], tokenize=tokenize).score
                          for i, text in enumerate(texts)]))


@dataclass(frozen=True)
class MethodRow:
    method: str  # English, N_-marked
    outputs: list[str]  # the generated texts (prompt left out)
    deterministic: bool  # the same text every time
    distinct_1: float  # different words / words, pooled across the samples
    distinct_2: float  # different word pairs / word pairs, pooled
    self_bleu: float  # 0..100, each sample against the others
    repeated_4grams: float  # tokens: share of 4-grams repeated within a sample, averaged
    mean_logprob: float  # nats per generated token, under the model


def summary(method: str, texts: list[str], generated: list[list[int]], logprobs: list[list[float]],
            deterministic: bool) -> MethodRow:
    tokenize = word_tokenizer(texts)
    split = [words(text, tokenize) for text in texts]
    return MethodRow(method, texts, deterministic, distinct_n(split, 1), distinct_n(split, 2), self_bleu(texts),
                     float(np.mean([repeated_ngram_rate(g) for g in generated])) if generated else 0.0,
                     float(np.mean([np.mean(lp) for lp in logprobs if lp])) if logprobs else 0.0)


METHODS = {  # name -> settings: what the comparison runs
    N_("greedy"): {"method": "greedy"},
    N_("beam search (4 beams)"): {"method": "beam", "num_beams": 4},
    N_("sampling, temperature 1.0"): {"method": "sample", "temperature": 1.0},
    N_("sampling, temperature 0.7"): {"method": "sample", "temperature": 0.7},
    N_("top-k 10"): {"method": "sample", "top_k": 10},
    N_("top-p 0.9"): {"method": "sample", "top_p": 0.9},
}


def compare_methods(model, input_ids, *, max_new_tokens: int, decode: Callable[[list[int]], str],
                    samples: int = SAMPLES) -> list[MethodRow]:
    """Each method's `samples` outputs on one prompt (seeds 0..samples-1 for sampling), measured.
    `decode` turns generated token ids into text (the model's tokenizer)."""
    input_ids = check_prompt(input_ids, max_new_tokens)
    prompt_len = input_ids.shape[1]
    rows = []
    for name, settings in METHODS.items():
        settings = dict(settings)
        method = settings.pop("method")
        if method == "greedy":
            results = [greedy(model, input_ids, max_new_tokens)] * samples
        elif method == "beam":
            results = [beam_search(model, input_ids, max_new_tokens=max_new_tokens, **settings)] * samples
        else:
            results = [sample(model, input_ids, max_new_tokens=max_new_tokens, seed=s, **settings)
                       for s in range(samples)]
        generated = [r.sequences[0][prompt_len:] for r in results]
        rows.append(summary(name, [decode(g) for g in generated], generated, [r.token_logprobs[0] for r in results],
                            method != "sample"))
    return rows
