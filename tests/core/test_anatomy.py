"""Tiled attention equals PyTorch's; RoPE preserves norms and depends only on relative position."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from core.anatomy import alibi_bias, memory_traffic, rope, sinusoidal, tiled_attention
from core.errors import InvalidSetting


@pytest.mark.parametrize("shape", [(1, 1, 1, 4), (2, 3, 17, 8), (1, 4, 64, 16), (3, 2, 33, 32)])
@pytest.mark.parametrize("block_size", [1, 4, 16, 100])
@pytest.mark.parametrize("causal", [False, True])
def test_tiled_attention_equals_sdpa(shape, block_size, causal):
    generator = torch.Generator().manual_seed(sum(shape) + block_size)
    q, k, v = (torch.randn(shape, generator=generator) * 2 for _ in range(3))
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    torch.testing.assert_close(tiled_attention(q, k, v, block_size=block_size, causal=causal), expected,
                               atol=1e-5, rtol=1e-5)


def test_trace_records_running_statistics_and_skips_future_tiles():
    q = k = v = torch.randn(1, 1, 8, 4, generator=torch.Generator().manual_seed(0))
    _, steps = tiled_attention(q, k, v, block_size=4, causal=True, trace=True)
    assert [(s.query_block, s.key_block, s.skipped) for s in steps] == [(0, 0, False), (0, 1, True), (1, 0, False),
                                                                        (1, 1, False)]
    assert all(a <= b + 1e-6 for a, b in zip(steps[2].running_max, steps[3].running_max))


def test_rope_preserves_norms_and_depends_on_relative_position():
    generator = torch.Generator().manual_seed(1)
    q, k = torch.randn(1, 16, generator=generator), torch.randn(1, 16, generator=generator)
    rotated = rope(q.repeat(50, 1), torch.arange(50))
    torch.testing.assert_close(rotated.norm(dim=-1), q.norm(dim=-1).repeat(50))
    scores = {(i, j): float(rope(q, torch.tensor([i])) @ rope(k, torch.tensor([j])).T) for i in range(12) for j in range(12)}
    for (i, j), value in scores.items():
        assert value == pytest.approx(scores[(i - j + 5, 5)] if 0 <= i - j + 5 < 12 else value, abs=1e-4)


def test_encodings_and_traffic_shapes():
    assert sinusoidal(10, 8).shape == (10, 8) and alibi_bias(5, 4)[0, 4, 0] < 0
    small, large = memory_traffic(512, 64), memory_traffic(4096, 64)
    assert large["standard_extra_memory"] / small["standard_extra_memory"] == 64
    assert large["flash_extra_memory"] / small["flash_extra_memory"] == 8
    with pytest.raises(InvalidSetting, match="share one"):
        tiled_attention(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 3, 2), torch.zeros(1, 1, 3, 2), block_size=1)
