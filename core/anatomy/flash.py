"""FlashAttention's idea (Dao et al., 2022), computed tile by tile on the CPU so each step shows.

Attention softmax(Q K^T / sqrt(d)) V is computed one query block against one key block at a time,
never holding the whole (n x n) score matrix: each query row keeps a running maximum m, a running
sum of exponentials l and an unnormalised output; a new tile rescales them by exp(m_old - m_new)
(the "online softmax"), and the output is divided by l at the end. The result equals standard
attention; the memory it needs grows with n, not n^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core.errors import require


@dataclass
class TileStep:
    """One (query block, key block) tile, for the page's step-by-step view (batch 0, head 0)."""

    query_block: int
    key_block: int
    running_max: list[float]  # per query row of the block, after this tile
    running_sum: list[float]
    skipped: bool = False  # a tile entirely above the causal diagonal is never computed


def tiled_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, block_size: int, causal: bool = False,
                    trace: bool = False):
    """Attention of q, k, v (batch, heads, seq, head_dim), tile by tile with the online softmax.

    Returns the output (batch, heads, seq, head_dim), or (output, [TileStep...]) with `trace=True`.
    """
    require(q.dim() == 4 and q.shape == k.shape == v.shape,
            "q, k and v must share one (batch, heads, seq, head_dim) shape.")
    require(isinstance(block_size, int) and block_size > 0,
            "block_size must be a positive whole number, not {block_size!r}.", block_size=block_size)
    b, h, n, d = q.shape
    scale = 1.0 / math.sqrt(d)
    out = torch.empty_like(q)
    steps: list[TileStep] = []
    for qs in range(0, n, block_size):
        qe = min(n, qs + block_size)
        qi = q[:, :, qs:qe] * scale  # (B, H, Bq, D)
        m = torch.full((b, h, qe - qs, 1), float("-inf"), dtype=q.dtype)  # running max of the scores
        l = torch.zeros((b, h, qe - qs, 1), dtype=q.dtype)  # running sum of exp(score - m)
        acc = torch.zeros((b, h, qe - qs, d), dtype=q.dtype)  # unnormalised output
        for ks in range(0, n, block_size):
            ke = min(n, ks + block_size)
            if causal and ks > qe - 1:
                if trace:
                    steps.append(TileStep(qs // block_size, ks // block_size, [], [], skipped=True))
                continue
            scores = qi @ k[:, :, ks:ke].transpose(-1, -2)  # (B, H, Bq, Bk)
            if causal:
                rows = torch.arange(qs, qe)[:, None]
                cols = torch.arange(ks, ke)[None, :]
                scores = scores.masked_fill(cols > rows, float("-inf"))
            m_new = torch.maximum(m, scores.amax(-1, keepdim=True))
            correction = torch.exp(m - m_new)  # rescale what was accumulated under the old maximum
            p = torch.exp(scores - m_new)
            l = l * correction + p.sum(-1, keepdim=True)
            acc = acc * correction + p @ v[:, :, ks:ke]
            m = m_new
            if trace:
                steps.append(TileStep(qs // block_size, ks // block_size, m[0, 0, :, 0].tolist(), l[0, 0, :, 0].tolist()))
        out[:, :, qs:qe] = acc / l
    return (out, steps) if trace else out


def memory_traffic(n: int, d: int, sram_bytes: int = 100 * 1024, bytes_per_value: int = 2) -> dict[str, float]:
    """Reads and writes of high-bandwidth memory, in bytes, per the FlashAttention paper's analysis
    (Theorem 2): standard attention moves Theta(N d + N^2) values, the tiled one
    Theta(N^2 d^2 / M) for an on-chip memory of M values. Constants are the obvious ones."""
    m_values = sram_bytes / bytes_per_value
    standard = 4 * n * d + 4 * n * n  # read Q, K, V, write O; write and read S, then P
    tiled = n * n * d * d / m_values * 4 + 4 * n * d
    return {"standard": standard * bytes_per_value, "flash": tiled * bytes_per_value,
            "standard_extra_memory": n * n * bytes_per_value, "flash_extra_memory": 2 * n * bytes_per_value}
