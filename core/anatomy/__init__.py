"""Transformer anatomy: tiled (FlashAttention-style) attention, positional encodings, and a tiny
decoder whose parts (positions, norms, activations, key/value heads) can be swapped and trained.

    from core.anatomy import tiled_attention
    out = tiled_attention(q, k, v, block_size=16, causal=True)
"""

from core.anatomy.flash import memory_traffic, tiled_attention
from core.anatomy.model import Anatomy, TinyDecoder
from core.anatomy.positions import alibi_bias, alibi_slopes, rope, sinusoidal

__all__ = ["Anatomy", "TinyDecoder", "alibi_bias", "alibi_slopes", "memory_traffic", "rope", "sinusoidal",
           "tiled_attention"]
