"""The memory page's computations: the calculator's model and totals, the refill rules, paging."""

from __future__ import annotations

import pytest

from core.errors import InvalidSetting
from core.memory import PRESETS
from core.views import memory as view


def price(name: str, **changes):
    settings = {"layers": 4, "heads": 4, "hidden": 64, "attention": "released", "groups": 1, **changes}
    return view.model_of(name, **settings)


def test_a_preset_ignores_stale_fields_and_prices_the_released_model():
    model = price("Llama 2 70B", layers=32, heads=12, hidden=768)  # fields left over from another preset
    assert (model.n_layers, model.n_heads, model.n_kv_heads, model.hidden) == (80, 64, 8, 8192)
    assert round(model.parameters / 1e9, 2) == 68.98
    assert price("GPT-2 small", heads=32, groups=8).n_kv_heads == 12  # was "12 kv heads do not divide 32"


def test_attention_variants_and_custom_models():
    assert price("Llama 3 8B", attention="MHA").n_kv_heads == 32
    assert price("Llama 3 8B", attention="MQA").n_kv_heads == 1
    assert price("Llama 3 8B", attention="GQA", groups=4).n_kv_heads == 4
    custom = price(view.CUSTOM, layers=2, heads=4, hidden=256, attention="GQA", groups=2)
    assert (custom.n_layers, custom.n_kv_heads, custom.intermediate, custom.vocab) == (2, 2, 680, 32_000)
    with pytest.raises(InvalidSetting, match="do not divide the width"):
        price(view.CUSTOM, heads=7, hidden=64)
    with pytest.raises(InvalidSetting, match="do not divide 8 query heads"):
        price(view.CUSTOM, heads=8, hidden=64, attention="GQA", groups=3)
    assert view.group_options(12) == [1, 2, 3, 4, 6, 12]


def test_totals_are_in_gb_and_gib_and_match_the_formula():
    model = price("Llama 2 7B")
    result = view.calculate(model, batch=1, context=4096, dtype="fp16", kv_dtype="fp16", window=0, gpu_gb=80)
    assert result.inference.parts["weights"] == 2 * model.parameters  # fp16: 2 bytes each, 13.5 GB
    assert result.inference.parts["KV cache"] == 4096 * 32 * 2 * 32 * 128 * 2  # 2 GiB for one sequence
    assert result.training.total == 16 * model.parameters  # ZeRO's mixed-precision Adam
    assert result.training.total_gib == pytest.approx(result.training.total / 2**30)
    assert result.kv_per_token_bytes == 32 * 2 * 32 * 128 * 2  # 0.5 MiB per token
    assert result.sequences == int((80e9 - 2 * model.parameters) // (4096 * 524288))
    assert result.lengths[0] == 128 and 4096 in result.lengths and result.cache_gb[-1] > result.cache_gb[0]


def test_notes_for_a_context_beyond_the_model_and_a_useless_window():
    model = price("GPT-2 small")
    notes = view.calculate(model, batch=1, context=8192, dtype="bf16", kv_dtype="bf16", window=16384,
                           gpu_gb=24).notes
    assert [template.split(" ")[1] for template, _ in notes] == ["was", "window"]


def test_choosing_a_preset_refills_its_fields():
    filled = view.preset_settings("Mistral 7B")
    assert filled == {"mem_layers": 32, "mem_heads": 32, "mem_hidden": 4096, "mem_groups": 8, "mem_window": 4096}
    assert view.preset_settings(view.CUSTOM) == {}
    assert set(filled) <= set(view.PARAMS.by_key)


def test_links_are_checked_against_the_declared_settings():
    values, notes = view.PARAMS.from_link({"mem_context": "abc", "mem_batch": "99999", "mem_preset": "Llama 2 7B",
                                           "mem_unknown": "1", "mem_dtype": "fp64"})
    assert values == {"mem_batch": 4096, "mem_preset": "Llama 2 7B", "mem_dtype": "bf16"}  # clamped, kept, default
    assert len(notes) == 3


def test_paging_draws_every_block_once():
    result = view.paging(8, 512, 16)
    owners = [owner for row in result.grid for owner in row if owner >= 0]
    assert len(owners) == result.paged_reserved // 16 and set(owners) == set(range(8))
    assert result.paged_waste < result.contiguous_waste


def test_cache_timing_is_cumulative_and_measured_caches_agree():
    timing = view.cache_timing(lengths=(4, 16, 32), repeats=1)
    assert timing.cached_total_s == sorted(timing.cached_total_s) and len(timing.uncached_ms) == 3
    measured = view.measure_caches(2, 5, 3)
    assert all(row["agree"] for row in measured.rows) and len(measured.growth) == 3 * 4


def test_every_preset_is_an_option():
    assert set(PRESETS) < set(view.PRESET.options)
