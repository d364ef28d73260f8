"""The attention page's computations, on tiny models trained through the job manager."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

import core.anatomy.model
import core.anatomy.positions
import core.lm.attention
from core.errors import InvalidSetting, UnknownName
from core.jobs import default_manager
from core.lm import LMConfig, train_lm
from core.lm.attention import attention_weights
from core.lm.jobs import lm_spec, mlm_spec, toy_spec
from core.lm.model import build_model
from core.lm.rope import apply_rope, rope_tables
from core.tokenizers import ByteLevelBPE
from core.tokenizers.jobs import default_spec
from core.views import attention as view

TINY = LMConfig(n_layer=2, n_head=2, n_embd=32, block_size=32, eval_interval=10, sample_interval=10,
                snapshot_interval=10)


def trained(spec):
    job = default_manager().run(spec, timeout=600)
    assert job.error is None, job.error
    return job.result


@pytest.fixture(scope="module")
def lm():
    return trained(lm_spec(steps=20, config=TINY))


def test_the_rotation_is_written_once_and_is_llamas():
    """core.anatomy uses core.lm's RoPE (one rotation, tested against the library's)."""
    assert not hasattr(core.lm.attention, "rotate_half") and not hasattr(core.anatomy.positions, "rotate")
    assert core.anatomy.positions.apply_rope is apply_rope and core.anatomy.model.apply_rope is apply_rope
    q, k = torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 8)
    cos, sin = rope_tables(torch.arange(7), 8)
    theirs = apply_rotary_pos_emb(q, k, cos[None], sin[None])
    torch.testing.assert_close(apply_rope(q, cos, sin), theirs[0])
    torch.testing.assert_close(apply_rope(k, cos, sin), theirs[1])


def test_model_spec_is_the_job_the_settings_describe():
    tokenizer = default_spec()
    spec = view.model_spec("tinyshakespeare", 20, "char", [], arch="llama", layers=2, heads=4, width=64, context=32,
                           kv=4)
    assert spec == lm_spec(steps=20, config=LMConfig(n_layer=2, n_embd=64, block_size=32))  # kv = heads: plain MHA
    gqa = view.model_spec("tinyshakespeare", 20, "char", [], arch="llama", layers=2, heads=4, width=64, context=32,
                          kv=2)
    assert gqa.settings["config"]["n_kv_head"] == 2
    gpt2 = view.model_spec("tinyshakespeare", 20, "char", [], arch="gpt2", layers=2, heads=4, width=64, context=32,
                           kv=2)
    assert "n_kv_head" not in gpt2.settings["config"]
    with_tokenizer = view.model_spec("tinyshakespeare", 20, tokenizer.key, [tokenizer], arch="llama", layers=2,
                                     heads=4, width=64, context=32, kv=4)
    assert with_tokenizer.settings["tokenizer"] == tokenizer.as_dict()
    assert view.tokenizer_names([tokenizer])[tokenizer.key].endswith("tinyshakespeare")
    with pytest.raises(UnknownName):
        view.model_spec("tinyshakespeare", 20, "no-such-key", [], arch="llama", layers=2, heads=4, width=64,
                        context=32, kv=4)
    assert view.kv_options(8) == [1, 2, 4, 8]


def test_training_record_has_both_curves_and_samples(lm):
    record = view.training_record(lm)
    assert record.trained_here and record.parameters == lm.model.num_parameters()
    (train_steps, train_loss), (val_steps, val_loss) = record.curves.values()
    assert train_steps == list(range(1, 21)) and val_steps == [10, 20] and record.val_loss == val_loss[-1]
    assert [s["step"] for s in record.samples] == [10, 20] and record.tokens_per_s > 0


def test_attention_is_clipped_to_the_context_and_says_so(lm):
    maps = view.attention_maps(lm, "To be, or not to be: " * 5)
    assert maps.clipped and len(maps.tokens) == maps.context == 32 and maps.attention.shape == (2, 2, 32, 32)
    assert not view.attention_maps(lm, "To be").clipped


def test_head_lines_of_chosen_heads_and_the_query_hand_worked():
    attention = np.zeros((1, 3, 3, 3))
    attention[0, :, :, 0] = 1.0  # every head looks at the first token...
    attention[0, 2, 2] = [0.5, 0.49, 0.01]  # ...but head 2's third query splits (0.01: below the threshold)
    maps = view.Maps(["a", "b", "c"], attention, False, 3)
    lines = view.head_lines(maps, 0, [2], 2, isolate=False)
    assert lines.heads == [2] and lines.lines == [(2, 0, 0, 1.0), (2, 1, 0, 1.0), (2, 2, 0, 0.5), (2, 2, 1, 0.49)]
    assert lines.focused == [False, False, True, True]
    assert view.head_lines(maps, 0, [], 2, isolate=True).lines == [(0, 2, 0, 1.0), (1, 2, 0, 1.0), (2, 2, 0, 0.5),
                                                                   (2, 2, 1, 0.49)]  # none chosen: every head


@pytest.mark.parametrize("arch", [dict(arch="gpt2"), dict(arch="llama", n_kv_head=1)], ids=["gpt2", "llama-mqa"])
def test_the_neuron_view_adds_up_to_the_attention_row(arch):
    config = LMConfig(n_layer=2, n_head=4, n_embd=32, block_size=16, **arch)
    model = build_model(config, 20).eval()
    ids = torch.randint(20, (9,), generator=torch.Generator().manual_seed(0))
    from core.lm.attention import neuron_view

    view_ = neuron_view(model, ids, layer=1, head=3, query=5)
    np.testing.assert_allclose(view_.weights, attention_weights(model, ids)[1, 3, 5], atol=1e-6)
    np.testing.assert_allclose(view_.products, view_.query[None] * view_.keys, rtol=1e-6)
    np.testing.assert_allclose(view_.scores[:6], view_.products[:6].sum(-1) * view_.scale, rtol=1e-5)
    assert np.isneginf(view_.scores[6:]).all() and (view_.weights[6:] == 0).all()  # causal: later keys masked
    with pytest.raises(InvalidSetting, match="query token"):
        neuron_view(model, ids, layer=1, head=3, query=9)


def test_head_statistics_have_human_column_names(lm):
    rows = view.head_statistics(lm, "ROMEO:\nBut soft, what light")
    assert len(rows) == 4 and list(rows[0]) == list(view.COLUMNS)
    assert all("_" not in name for name in view.COLUMNS.values())
    assert [r["induction"] for r in rows] == sorted((r["induction"] for r in rows), reverse=True)


def test_ablation_scores_from_the_first_scored_position(lm):
    whole = view.ablation(lm, "ROMEO:\nBut soft, what light")
    tail = view.ablation(lm, "ROMEO:\nBut soft, what light", start=20)
    assert whole.shape == tail.shape == (2, 2) and not np.allclose(whole, tail)
    with pytest.raises(InvalidSetting, match="first scored position"):
        view.ablation(lm, "ROMEO", start=0)


def test_the_induction_head_stands_out_on_the_answer():
    """Averaged over the whole sequence (the random half included) every head's ablation was
    negative; on the answer tokens, the head that copies the earlier half costs the most."""
    result = trained(toy_spec("induction", steps=150))
    toy = view.toy(result)
    assert toy.answer_start == 8 and toy.accuracy > 0.9
    assert toy.ablation.max() > 0.1 and toy.attention.shape == (2, 2, 16, 16)


def test_surprisal_scores_at_most_the_cap(lm):
    long = view.surprisal(lm, "To be, or not to be. " * 250)
    assert long.capped and len(long.tokens) == len(long.losses) == view.MAX_SCORED_TOKENS
    assert long.total == len("To be, or not to be. " * 250)
    short = view.surprisal(lm, "To be, or not to be")
    assert not short.capped and short.perplexity == pytest.approx(np.exp(np.nanmean(short.losses)))


def test_a_loaded_model_is_keyed_by_its_name(tmp_path, monkeypatch):
    from core import settings
    from core.lm.external import load_pretrained

    tokenizer = ByteLevelBPE.train(["to be or not to be"] * 20, 270)
    lm = train_lm(LMConfig(n_layer=1, n_embd=32, block_size=16), text="to be or not to be. " * 30,
                  tokenizer=tokenizer, steps=2)
    folder = tmp_path / "models" / "tiny"
    lm.model.save_pretrained(folder)
    tokenizer.to_hf_json(folder / "tokenizer.json")
    monkeypatch.setenv(settings.ENV_MODEL_ROOTS, str(tmp_path / "models"))
    loaded = load_pretrained(str(folder))
    assert loaded.key == "pretrained:" + loaded.corpus and loaded.key.endswith("tiny")
    assert not view.training_record(loaded).trained_here


def test_the_masked_model_shows_its_curves_and_both_directions(lm):
    masked = trained(mlm_spec(steps=20))
    assert masked.key == mlm_spec(steps=20).key  # its caches are keyed by the model
    record = view.masked_record(masked, "tinyshakespeare")
    assert [len(steps) for steps, _ in record.curves.values()] == [20, 1] and 3.0 < record.unigram < 3.5
    both = view.directions(lm, masked, "To be or not")
    assert np.triu(both.causal, 1).max() == 0 and np.triu(both.bidirectional, 1).max() > 0
    assert len(view.fill(masked, "To b_ or n_t")) == 2


def test_links_and_first_models():
    values, notes = view.PARAMS.from_link({"lm_saved": "![x](http://host/t.png)", "lm_tab": "no-such-tab",
                                           "lm_steps": "99999"})
    assert values == {"lm_saved": "![x](http://host/t.png)", "lm_tab": "training", "lm_steps": 5000}
    assert len(notes) == 2
    assert all(isinstance(p.max_chars, int) for p in view.PARAMS if hasattr(p, "max_chars"))
    assert view.first_models()[0] == lm_spec() and view.first_models()[1].corpus == "chinese"
