"""Why cache at all: time per generated token with and without the KV cache, measured.

Without a cache every step re-runs the whole prefix (total work grows with the square of the
length); with it each step processes one token against the cached keys and values (linear).
Each time is the median of `repeats` runs: one run on a shared CPU was noise enough to hide the
difference between the two curves at short lengths.
"""

from __future__ import annotations

import statistics
import time

import torch
from transformers import DynamicCache

from core.errors import require


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


@torch.no_grad()
def time_per_token(model, *, lengths: list[int], repeats: int = 5, seed: int = 0) -> list[dict]:
    """For each length n: seconds to produce token n+1 with a cache of n tokens, and without one
    (a forward pass over all n + 1 tokens), each the median of `repeats` runs."""
    require(isinstance(repeats, int) and repeats >= 1, "repeats must be 1 or more, not {repeats!r}.", repeats=repeats)
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for n in lengths:
        ids = torch.randint(model.config.vocab_size, (1, n + 1), generator=generator).to(model.device)
        cached, full = [], []
        for _ in range(repeats):
            cache = DynamicCache()
            model(input_ids=ids[:, :n], cache=cache, use_cache=True)
            cached.append(_seconds(lambda: model(input_ids=ids[:, n:], cache=cache, use_cache=True)))
            full.append(_seconds(lambda: model(input_ids=ids, use_cache=False)))
        rows.append({"length": n, "cached_s": statistics.median(cached), "uncached_s": statistics.median(full)})
    return rows
