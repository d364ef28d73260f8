"""Tiled attention equals PyTorch's; RoPE preserves norms and depends only on relative position;
the swappable decoder equals Llama; experiments are cached jobs, reproducible with a seed."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from transformers import LlamaConfig, LlamaForCausalLM
from transformers.models.bloom.modeling_bloom import build_alibi_tensor

from core.anatomy import Anatomy, TinyDecoder, alibi_bias, alibi_slopes, memory_traffic, rope, sinusoidal, tiled_attention
from core.anatomy.activations import activation_curves
from core.anatomy.experiments import EXPERIMENTS, train_variant
from core.anatomy.jobs import experiment_specs, variant_spec
from core.anatomy.model import ACTIVATIONS, NORM_PLACES, NORMS, POSITIONS
from core.errors import InvalidSetting
from core.jobs import ArtifactStore, JobManager, JobState
from core.lm.config import LMConfig, intermediate_size


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


def test_default_anatomy_computes_exactly_what_llama_computes():
    config = LMConfig(n_layer=2, n_head=4, n_kv_head=2, n_embd=64, block_size=32)
    ours = TinyDecoder(config, Anatomy(), vocab_size=50)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=50, hidden_size=64, intermediate_size=intermediate_size(64),
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                         max_position_embeddings=32))
    renamed = {name if name == "lm_head.weight" else f"model.{name}": value for name, value in ours.state_dict().items()}
    llama.load_state_dict(renamed, strict=True)
    ids = torch.randint(50, (3, 32), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids), llama(input_ids=ids).logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("heads", [1, 4, 6, 8, 12, 16])
def test_alibi_slopes_equal_bloom(heads):
    bloom = build_alibi_tensor(torch.ones(1, 3), heads, torch.float32)[:, 0, 1]  # slope x key position 1
    torch.testing.assert_close(alibi_slopes(heads), bloom)


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("norm_place", NORM_PLACES)
def test_every_part_builds_and_is_causal(position, norm_place):
    for norm, activation in zip(NORMS * 3, ACTIVATIONS):
        model = TinyDecoder(LMConfig(n_layer=2, n_head=2, n_embd=16, block_size=8),
                            Anatomy(position, norm, norm_place, activation, init="xavier"), vocab_size=11)
        ids = torch.randint(11, (2, 8), generator=torch.Generator().manual_seed(1))
        changed = ids.clone()
        changed[:, 5:] = (changed[:, 5:] + 1) % 11
        with torch.no_grad():
            logits, after = model(ids), model(changed)
        assert logits.shape == (2, 8, 11) and torch.isfinite(logits).all()
        torch.testing.assert_close(logits[:, :5], after[:, :5])  # no position sees a later token


def test_learned_positions_refuse_inputs_beyond_their_table_and_bad_parts_are_named():
    model = TinyDecoder(LMConfig(n_layer=1, n_head=2, n_embd=8, block_size=4), Anatomy(position="learned"), 5)
    assert model(torch.zeros(1, 16, dtype=torch.long)).shape == (1, 16, 5)
    with pytest.raises(InvalidSetting, match="16 rows"):
        model(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(InvalidSetting, match="activation must be one of"):
        Anatomy(activation="tanh").validate()


def test_gated_and_plain_mlps_have_the_same_parameter_count():
    counts = {activation: sum(p.numel() for p in TinyDecoder(LMConfig(n_embd=96), Anatomy(activation=activation),
                                                             65).parameters()) for activation in ACTIVATIONS}
    assert len(set(counts.values())) == 1


def test_activation_derivatives_are_the_known_ones():
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    curves = activation_curves(x)
    relu, relu_slope = curves["ReLU"]
    assert torch.equal(relu, x.clamp_min(0)) and torch.equal(relu_slope, (x > 0).double())
    sigmoid = torch.sigmoid(x)
    torch.testing.assert_close(curves["Swish (SiLU)"][1], sigmoid * (1 + x * (1 - sigmoid)))
    swish = x * sigmoid
    torch.testing.assert_close(curves["SwiGLU (gate = value)"][1], 2 * swish + x * x * sigmoid * (1 - sigmoid))


def test_post_norm_gradients_grow_toward_the_output_and_pre_norm_ones_do_not():
    """Xiong et al. (2020), measured at initialisation on one real batch (the norms experiment)."""
    norms = EXPERIMENTS["norms"]
    pre, post = (train_variant({**norms.changes(label), "eval_batches": 1}, corpus="tinyshakespeare", steps=1,
                               max_chars=50_000) for label in ("Pre-LayerNorm", "Post-LayerNorm"))
    assert post.init_grad_norms[-1] > post.init_grad_norms[0]
    assert pre.init_grad_norms[-1] < pre.init_grad_norms[0]
    assert set(post.context_losses) == {"1x", "2x", "4x"} and len(post.position_losses) == 4 * 64


def test_experiments_are_cached_jobs_reproducible_with_a_seed(tmp_path):
    specs = experiment_specs("attention", steps=3)
    assert [s.settings["variant"] for s in specs] == list(EXPERIMENTS["attention"].variants)
    reseeded = variant_spec("attention", "MQA (1 KV head)", steps=3, seed=1)
    assert len({s.key for s in specs}) == 3 and reseeded.key not in {s.key for s in specs}
    first = JobManager(ArtifactStore(tmp_path / "a")).run(specs[2])
    again = JobManager(ArtifactStore(tmp_path / "b")).run(specs[2])
    assert first.state is again.state is JobState.DONE
    assert first.result.history == again.result.history and first.result.history[-1]["step"] == 3
    loaded = JobManager(ArtifactStore(tmp_path / "a")).run(specs[2])
    assert loaded.result.as_dict() == first.result.as_dict() and loaded.result.config["n_kv_head"] == 1
    with pytest.raises(InvalidSetting, match="no variant"):
        variant_spec("attention", "MLA")
