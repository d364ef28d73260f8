"""Measures for comparing decoding methods: diversity, repetition, likelihood."""

from __future__ import annotations

from collections import Counter

import numpy as np


def distinct_n(texts_tokens: list[list[int]], n: int) -> float:
    """Distinct n-grams over all n-grams, pooled across samples (Li et al., 2016)."""
    grams = [tuple(t[i:i + n]) for t in texts_tokens for i in range(len(t) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repeated_ngram_rate(tokens: list[int], n: int = 4) -> float:
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


def summary(generated: list[list[int]], logprobs: list[list[float]]) -> dict[str, float]:
    """Distinct-1/2 across samples, mean repeated-4-gram rate, mean log-probability per token."""
    return {"distinct-1": distinct_n(generated, 1), "distinct-2": distinct_n(generated, 2),
            "repeated 4-grams": float(np.mean([repeated_ngram_rate(g) for g in generated])) if generated else 0.0,
            "mean log p": float(np.mean([np.mean(lp) for lp in logprobs if lp])) if logprobs else 0.0}


METHODS = {  # name -> settings: what the comparison runs
    "greedy": {"method": "greedy"},
    "beam (4)": {"method": "beam", "num_beams": 4},
    "sampling T=1.0": {"method": "sample", "temperature": 1.0},
    "sampling T=0.7": {"method": "sample", "temperature": 0.7},
    "top-k 10": {"method": "sample", "top_k": 10},
    "top-p 0.9": {"method": "sample", "top_p": 0.9},
}


def compare_methods(model, input_ids, *, max_new_tokens: int, samples: int = 5) -> list[dict]:
    """Each method's outputs on one prompt, with diversity and repetition measures."""
    from core.decoding.search import beam_search, greedy, sample

    prompt_len = len(input_ids)
    rows = []
    for name, settings in METHODS.items():
        settings = dict(settings)
        method = settings.pop("method")
        if method == "greedy":
            results = [greedy(model, input_ids, max_new_tokens)]
        elif method == "beam":
            results = [beam_search(model, input_ids, max_new_tokens=max_new_tokens, **settings)]
        else:
            results = [sample(model, input_ids, max_new_tokens=max_new_tokens, seed=s, **settings)
                       for s in range(samples)]
        generated = [r.sequences[0][prompt_len:] for r in results]
        rows.append({"method": name, "outputs": generated, **summary(generated, [r.token_logprobs[0] for r in results])})
    return rows
