"""KV-cache bytes: formula equals measurement; presets equal published sizes; worked examples."""

from __future__ import annotations

import pytest

from core.errors import InvalidSetting
from core.lm import LMConfig
from core.lm.model import build_model
from core.memory import PRESETS, check_heads, kv_cache_bytes, measure_kv_cache, model_memory, sequences_that_fit
from core.memory.paging import simulate
from core.memory.timing import time_per_token


@pytest.mark.parametrize("shape", [dict(arch="gpt2"), dict(n_kv_head=4), dict(n_kv_head=2), dict(n_kv_head=1)],
                         ids=["gpt2-mha", "llama-mha", "llama-gqa", "llama-mqa"])
@pytest.mark.parametrize(("batch", "prompt_len", "new_tokens"), [(1, 1, 0), (2, 7, 5), (3, 16, 12)])
def test_formula_equals_measured_cache(shape, batch, prompt_len, new_tokens):
    config = LMConfig(n_layer=3, n_embd=64, **shape)
    result = measure_kv_cache(build_model(config, 40).eval(), batch=batch, prompt_len=prompt_len,
                              new_tokens=new_tokens)
    for length, measured in zip(result.seq_lens, result.per_step_total):
        assert measured == kv_cache_bytes(batch=batch, seq_len=length, n_layers=3, n_kv_heads=config.kv_heads,
                                          head_dim=config.head_dim, bytes_per_value=4)
    assert len(set(result.prefill_per_layer)) == 1 and len(result.per_step_total) == new_tokens + 1


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_reproduce_published_parameter_counts(name):
    preset = PRESETS[name]
    assert abs(preset.parameters / preset.published - 1) < 0.02


def test_worked_examples():
    assert model_memory(7e9, dtype="fp16").total == pytest.approx(14e9)  # about 2N GB for weights
    assert model_memory(7e9, training=True).total == pytest.approx(112e9)  # 16N GB with Adam, mixed precision
    # Llama 2 7B, one 4096-token sequence in fp16: 4096 x 32 layers x 2 x 32 heads x 128 x 2 bytes = 2 GiB
    llama = PRESETS["Llama 2 7B"]
    assert kv_cache_bytes(batch=1, seq_len=4096, n_layers=32, n_kv_heads=llama.n_kv_heads, head_dim=llama.head_dim,
                          bytes_per_value=2) == 2 * 2**30
    assert kv_cache_bytes(batch=1, seq_len=32768, n_layers=32, n_kv_heads=8, head_dim=128, bytes_per_value=2,
                          sliding_window=4096) == 4096 * 32 * 2 * 8 * 128 * 2
    assert sequences_that_fit(80e9, 14e9, 2e9) == 33


@pytest.mark.parametrize(("call", "message"), [
    (lambda: kv_cache_bytes(batch=0, seq_len=1, n_layers=1, n_kv_heads=1, head_dim=1, bytes_per_value=2), "batch"),
    (lambda: kv_cache_bytes(batch=1, seq_len=10**9, n_layers=1, n_kv_heads=1, head_dim=1, bytes_per_value=2),
     "longer than any"),
    (lambda: check_heads(12, 5, 768), "do not divide 12"),
    (lambda: check_heads(7, 7, 768), "do not divide the width"),
    (lambda: model_memory(-1), "positive"),
    (lambda: model_memory(1e9, dtype="fp64"), "dtype must be"),
])
def test_bad_sizes_get_clear_messages(call, message):
    with pytest.raises(InvalidSetting, match=message):
        call()


def test_paged_allocation_wastes_less_than_contiguous():
    result = simulate(n_requests=8, max_length=512, block_size=16, seed=0)
    assert result.paged_reserved < result.contiguous_reserved and result.paged_waste < 16 * 8 / result.used
    blocks = sorted(b for table in result.block_tables for b in table)
    assert blocks == list(range(len(blocks)))  # every physical block belongs to exactly one request
    assert all(len(t) == -(-n // 16) for t, n in zip(result.block_tables, result.lengths))


def test_time_per_token_is_measured_for_each_length():
    rows = time_per_token(build_model(LMConfig(n_layer=1, n_embd=32, block_size=64), 20).eval(), lengths=[4, 32],
                          repeats=1)
    assert [r["length"] for r in rows] == [4, 32] and all(r["cached_s"] > 0 and r["uncached_s"] > 0 for r in rows)
