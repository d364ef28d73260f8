"""Rotary position embeddings (Su et al., 2021), written once for every model here.

The layout is HF Llama's (`transformers.models.llama.modeling_llama.rotate_half` and
`apply_rotary_pos_emb`): each head's vector is split into two halves, and the pair (x_i, x_{i+d/2})
is turned by the angle position x base^(-2i/d). The attention pages recompute Llama's weights with
it (`core.lm.attention`), and the anatomy page's decoder and pictures use the same functions
(`core.anatomy`), so there is one rotation to test against the library.
"""

from __future__ import annotations

import torch


def rope_tables(positions: torch.Tensor, d: int, base: float = 10_000.0,
                dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin (seq, d) of the rotation angles, each repeated over the two halves of the head.
    Angles are computed in float32 as Llama does, then cast to `dtype`."""
    frequencies = 1.0 / base ** (torch.arange(0, d, 2, dtype=torch.int64, device=positions.device).float() / d)
    angles = positions.float()[:, None] * frequencies[None, :]  # (seq, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # (seq, d)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """(x1, x2) -> (-x2, x1) over the two halves of the last dimension."""
    first, second = x.chunk(2, dim=-1)
    return torch.cat((-second, first), dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x (..., seq, d) rotated; cos and sin broadcast against it ((seq, d), or (B, 1, seq, d) for
    heads in dimension 1)."""
    return x * cos + rotate_half(x) * sin
