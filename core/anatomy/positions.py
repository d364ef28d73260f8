"""The ways a transformer is told where each token is: added vectors, rotations, and biases.

- `sinusoidal`: fixed sin/cos vectors added to the embeddings (Vaswani et al., 2017).
- learned: a trained table of position vectors (GPT-2); it has nothing for positions never trained.
- `rope`: queries and keys rotated by angles proportional to their position (Su et al., 2021), so
  q . k depends only on the distance; the two-halves layout of HF Llama, written once in
  `core.lm.rope` (this package may import `core.lm`, never the reverse).
- `alibi_bias`: no position vectors at all, a penalty on attention growing linearly with distance,
  one slope per head (Press et al., 2022); slopes follow the paper's code (and HF Bloom's) for any
  number of heads.
"""

from __future__ import annotations

import math

import torch

from core.lm.rope import apply_rope, rope_tables


def sinusoidal(n: int, d: int) -> torch.Tensor:
    """The original transformer's encodings: sin on even dimensions, cos on odd (n, d)."""
    positions = torch.arange(n, dtype=torch.float64)[:, None]
    frequencies = 10_000 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    table = torch.zeros(n, d, dtype=torch.float64)
    table[:, 0::2] = torch.sin(positions * frequencies)
    table[:, 1::2] = torch.cos(positions * frequencies[: d // 2])
    return table


def rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10_000.0) -> torch.Tensor:
    """Rotary position embedding of x (..., seq, dim) at the given positions."""
    cos, sin = rope_tables(positions, x.shape[-1], base, x.dtype)
    return apply_rope(x, cos, sin)


def alibi_slopes(heads: int) -> torch.Tensor:
    """One slope per head: the geometric sequence 2^(-8/n), 2^(-16/n), ... for n a power of two;
    otherwise those of the nearest lower power of two, then every other slope of the next one."""
    closest = 2 ** math.floor(math.log2(heads))
    base = 2 ** (-8 / closest)
    slopes = [base ** (i + 1) for i in range(closest)]
    if closest < heads:
        extra = 2 ** (-4 / closest)
        slopes += [extra ** (i + 1) for i in range(0, 2 * (heads - closest), 2)]
    return torch.tensor(slopes)


def alibi_bias(n: int, heads: int) -> torch.Tensor:
    """ALiBi's additive attention bias (heads, n, n): -slope x distance to each earlier key
    (zero above the diagonal, where a causal mask hides the keys anyway)."""
    distance = (torch.arange(n)[:, None] - torch.arange(n)[None, :]).clamp_min(0)
    return -alibi_slopes(heads)[:, None, None] * distance[None]
