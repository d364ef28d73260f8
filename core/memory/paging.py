"""Contiguous vs paged KV-cache allocation (PagedAttention, Kwon et al., 2023), simulated.

A contiguous server reserves room for the maximum length of every request up front; a paged one
hands out fixed-size blocks as tokens arrive and keeps a block table per request. The simulation
counts what each reserves and wastes for a batch of requests of varied lengths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.errors import require


@dataclass(frozen=True)
class PagingResult:
    lengths: list[int]  # tokens each request actually holds
    max_length: int
    block_size: int
    contiguous_reserved: int  # token slots reserved
    paged_reserved: int
    block_tables: list[list[int]]  # physical block ids of each request, in order

    @property
    def used(self) -> int:
        return sum(self.lengths)

    @property
    def contiguous_waste(self) -> float:
        return 1 - self.used / self.contiguous_reserved

    @property
    def paged_waste(self) -> float:
        return 1 - self.used / self.paged_reserved


def simulate(n_requests: int = 8, max_length: int = 512, block_size: int = 16, seed: int = 0) -> PagingResult:
    """Requests with lengths drawn uniformly from 1..max_length; blocks assigned as requests grow
    token by token, interleaved (so a request's blocks are scattered in physical memory)."""
    require(n_requests > 0 and max_length > 0 and block_size > 0, "Counts and sizes must be positive.")
    require(n_requests * math.ceil(max_length / block_size) <= 100_000, "Too many blocks to draw: use fewer requests.")
    lengths = np.random.default_rng(seed).integers(1, max_length + 1, size=n_requests).tolist()
    tables: list[list[int]] = [[] for _ in lengths]
    next_block = 0
    for position in range(max(lengths)):
        for request, length in enumerate(lengths):
            if position < length and position % block_size == 0:
                tables[request].append(next_block)
                next_block += 1
    return PagingResult(lengths, max_length, block_size, n_requests * max_length, next_block * block_size, tables)
