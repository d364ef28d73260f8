"""Why cache at all: time per generated token with and without the KV cache, measured.

Without a cache every step re-runs the whole prefix (total work grows with the square of the
length); with it each step processes one token against the cached keys and values (linear).
"""

from __future__ import annotations

import time

import torch
from transformers import DynamicCache


@torch.no_grad()
def time_per_token(model, *, lengths: list[int], repeats: int = 3, seed: int = 0) -> list[dict]:
    """For each length n: seconds to produce token n+1 with a cache of n tokens, and without one
    (a forward pass over all n + 1 tokens). Best of `repeats`."""
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for n in lengths:
        ids = torch.randint(model.config.vocab_size, (1, n + 1), generator=generator).to(model.device)
        cached, full = float("inf"), float("inf")
        for _ in range(repeats):
            cache = DynamicCache()
            model(input_ids=ids[:, :n], cache=cache, use_cache=True)
            start = time.perf_counter()
            model(input_ids=ids[:, n:], cache=cache, use_cache=True)
            cached = min(cached, time.perf_counter() - start)
            start = time.perf_counter()
            model(input_ids=ids, use_cache=False)
            full = min(full, time.perf_counter() - start)
        rows.append({"length": n, "with cache (ms)": cached * 1e3, "without cache (ms)": full * 1e3})
    return rows
