"""Transformer anatomy: tiled (FlashAttention-style) attention and positional encodings.

    from core.anatomy import tiled_attention
    out = tiled_attention(q, k, v, block_size=16, causal=True)
"""

from core.anatomy.flash import alibi_bias, memory_traffic, rope, sinusoidal, tiled_attention

__all__ = ["alibi_bias", "memory_traffic", "rope", "sinusoidal", "tiled_attention"]
