"""Tiny language models: attention extraction, training, saving, perplexity, heads, toy tasks."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from core.errors import InvalidSetting, InvalidText, UnknownName
from core.alignment.jobs import sft_spec
from core.jobs import ArtifactStore, JobManager, JobState, get_kind
from core.lm import CharTokenizer, LMConfig, TrainedLM, train_lm
from core.lm.attention import attention_weights
from core.lm.heads import ablation_losses, describe_heads, head_statistics
from core.lm.jobs import lm_spec, toy_spec
from core.lm.masked import MASK, mask_tokens
from core.lm.model import build_model
from core.lm.toy import train_toy
from core.lm.train import char_vocab
from core.metrics import perplexity
from core.tokenizers import ByteLevelBPE

ARCHES = [dict(arch="gpt2"), dict(arch="llama"), dict(arch="llama", n_kv_head=2), dict(arch="llama", n_kv_head=1)]


@pytest.fixture(scope="module")
def shakespeare_lm() -> TrainedLM:
    config = LMConfig(n_layer=2, n_embd=64, block_size=32, eval_interval=20, sample_interval=40, snapshot_interval=20)
    return train_lm(config, corpus="tinyshakespeare", steps=60, max_chars=200_000)


@pytest.mark.parametrize("shape", ARCHES, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_attention_extraction_equals_transformers_eager(shape):
    model = build_model(LMConfig(n_layer=2, n_embd=64, **shape), vocab_size=50).eval()
    ids = torch.randint(50, (23,), generator=torch.Generator().manual_seed(0))
    ours = attention_weights(model, ids)
    model.set_attn_implementation("eager")
    theirs = torch.stack(model(ids.view(1, -1), output_attentions=True).attentions)[:, 0].detach().numpy()
    assert ours.shape == theirs.shape == (2, 4, 23, 23)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(ours.sum(-1), 1.0, atol=1e-5)  # rows are distributions
    assert np.all(np.triu(ours, k=1) == 0)  # and the causal model never looks ahead


def at_once(work, threads: int, repeats: int) -> dict[int, list]:
    """Run `work(i)` `repeats` times in each of `threads` threads at once; the results per thread."""
    results: dict[int, list] = {i: [] for i in range(threads)}

    def run(i: int) -> None:
        for _ in range(repeats):
            results[i].append(work(i))

    started = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return results


def test_attention_of_a_shared_model_is_each_threads_own():
    """Sessions share one model and read its attention at the same time, each on its own text."""
    model = build_model(LMConfig(n_layer=2, n_embd=64), vocab_size=50).eval()
    inputs = [torch.randint(50, (n,), generator=torch.Generator().manual_seed(n)) for n in range(5, 13)]
    alone = [attention_weights(model, ids) for ids in inputs]
    results = at_once(lambda i: attention_weights(model, inputs[i]), len(inputs), repeats=15)
    for i, expected in enumerate(alone):
        assert len(results[i]) == 15
        for got in results[i]:
            np.testing.assert_allclose(got, expected, atol=1e-6)


def test_models_built_in_parallel_threads_equal_those_built_alone():
    """Seeded initialisation uses torch's one global generator: threads must not disturb each other."""
    configs = [LMConfig(n_layer=2, n_embd=64, seed=seed) for seed in range(6)]
    alone = [build_model(c, 50).state_dict() for c in configs]
    built = at_once(lambda i: build_model(configs[i], 50).state_dict(), len(configs), repeats=4)
    for i, expected in enumerate(alone):
        for state in built[i]:
            assert all(torch.equal(state[name], expected[name]) for name in expected)


@pytest.mark.parametrize("shape", ARCHES, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_parameter_count_formula_matches_the_model(shape):
    config = LMConfig(**shape)
    assert build_model(config, 65).num_parameters() == config.parameter_count(65)


@pytest.mark.parametrize("shape", ARCHES)
def test_the_estimates_parameters_leave_out_the_lookup_tables(shape):
    config = LMConfig(**shape)
    lookup = {"gpt2": "wpe", "llama": "embed_tokens"}[config.arch]
    named = build_model(config, 65).named_parameters()  # a tied output layer is listed once, as the embedding
    assert config.matmul_parameters(65) == sum(p.numel() for name, p in named if lookup not in name)


def test_training_learns_and_records(shakespeare_lm):
    history = shakespeare_lm.history
    assert history[-1]["train_loss"] < history[0]["train_loss"] - 1.0
    assert [h["step"] for h in history if "val_loss" in h] == [20, 40, 60]
    assert len(shakespeare_lm.samples) == 2 and len(shakespeare_lm.samples[-1]["text"]) > 100
    assert shakespeare_lm.snapshots[0]["attention"].shape == (2, 4, 32, 32)


def test_tiny_repeated_text_is_overfit():
    text = "the quick brown fox jumps over the lazy dog. " * 40
    lm = train_lm(LMConfig(n_layer=2, n_embd=64, block_size=32, learning_rate=3e-3, eval_interval=100), text=text,
                  steps=200)
    assert lm.history[-1]["train_loss"] < 0.15


def test_saved_and_reloaded_model_gives_identical_logits(shakespeare_lm, tmp_path):
    tensors, data = shakespeare_lm.to_artifact()
    store = ArtifactStore(tmp_path)
    spec = lm_spec(steps=60)
    store.save(spec, tensors, data)
    loaded = TrainedLM.from_artifact(*store.load(spec))
    ids = shakespeare_lm.encode("ROMEO: what light").view(1, -1)
    with torch.no_grad():
        assert torch.equal(shakespeare_lm.model(ids).logits, loaded.model(ids).logits)
    assert loaded.history == shakespeare_lm.history and loaded.tokenizer.chars == shakespeare_lm.tokenizer.chars


def test_gpt2_with_a_trained_tokenizer_round_trips():
    tokenizer = ByteLevelBPE.train(["to be or not to be that is the question"] * 20, 280)
    lm = train_lm(LMConfig(arch="gpt2", n_layer=1, n_embd=32, block_size=16, eval_interval=10),
                  text="to be or not to be that is the question " * 30, tokenizer=tokenizer, steps=10)
    tensors, data = lm.to_artifact()
    loaded = TrainedLM.from_artifact(tensors, data)
    assert loaded.tokenizer.merges == tokenizer.merges
    assert loaded.perplexity("to be or not") == pytest.approx(lm.perplexity("to be or not"), rel=1e-6)


def test_perplexity_equals_the_models_own_loss(shakespeare_lm):
    text = "ROMEO:\nBut soft, what light"
    ids = shakespeare_lm.encode(text).view(1, -1)
    with torch.no_grad():
        loss = shakespeare_lm.model(ids, labels=ids).loss.item()
    assert perplexity(shakespeare_lm, text) == pytest.approx(np.exp(loss), rel=1e-5)
    long_text = "ROMEO:\n" + "But soft, what light through yonder window breaks? " * 4
    tokens, losses = shakespeare_lm.token_losses(long_text)
    assert len(tokens) == len(losses) > shakespeare_lm.config.block_size and np.isnan(losses[0])
    assert not np.isnan(losses[1:]).any()


def test_head_statistics_hand_worked():
    # Two heads on 3 tokens: head 0 always attends to the previous token, head 1 to the first.
    previous = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]], dtype=float)
    first = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0]], dtype=float)
    rows = head_statistics(np.stack([previous, first])[None])
    assert rows[0]["previous_token"] == 1.0 and rows[0]["mean_distance"] == 1.0 and rows[0]["entropy"] == 0.0
    assert rows[1]["first_token"] == 1.0 and rows[1]["mean_distance"] == 1.5


def test_heads_are_described_and_ablation_changes_loss(shakespeare_lm):
    rows = describe_heads(shakespeare_lm, "ROMEO:\nBut soft, what light")
    assert len(rows) == 8 and all(r["pattern"] for r in rows)
    delta = ablation_losses(shakespeare_lm, "ROMEO:\nBut soft, what light")
    assert delta.shape == (2, 4) and np.abs(delta).max() > 1e-4


def test_toy_copy_task_is_solved():
    result = train_toy("copy", length=5, steps=250)
    assert result.accuracy > 0.9
    assert result.example[5] == "|" and result.example[:5] == result.example[6:]


def test_masking_follows_bert():
    ids = torch.randint(10, (200, 50), generator=torch.Generator().manual_seed(0))
    inputs, labels = mask_tokens(ids, 10, 11, torch.Generator().manual_seed(1))
    chosen = labels != -100
    assert 0.13 < chosen.float().mean() < 0.17
    assert 0.75 < (inputs[chosen] == 10).float().mean() < 0.85
    assert torch.equal(labels[chosen], ids[chosen]) and torch.equal(inputs[~chosen], ids[~chosen])
    assert MASK not in "".join(CharTokenizer.from_text("abc").chars)


def test_lm_job_runs_through_the_queue(tmp_path):
    manager = JobManager(ArtifactStore(tmp_path), workers=1)
    spec = lm_spec(steps=5, config=LMConfig(n_layer=1, n_embd=32, block_size=16, eval_interval=5))
    job = manager.run(spec, timeout=120)
    assert job.state is JobState.DONE and job.result.config.n_layer == 1
    again = JobManager(ArtifactStore(tmp_path), workers=1).lookup(spec)
    assert again.from_cache and again.result.history == job.result.history
    toy = manager.run(toy_spec("reverse", length=3, steps=5), timeout=120)
    assert toy.state is JobState.DONE


@pytest.mark.parametrize(("changes", "message"), [
    (dict(n_embd=130), "divisible by n_head"), (dict(n_kv_head=3), "must divide n_head"),
    (dict(n_layer=0), "positive whole number"), (dict(arch="rnn"), "arch must be"),
])
def test_bad_settings_get_clear_messages(changes, message):
    with pytest.raises(InvalidSetting, match=message):
        LMConfig(**changes).validate()


def test_bad_text_and_memory_estimates():
    with pytest.raises(InvalidText, match="no text"):
        train_lm(LMConfig(), text="   ", steps=1)
    with pytest.raises(InvalidSetting, match="needs more than"):
        train_lm(LMConfig(block_size=64), text="short", steps=1)
    with pytest.raises(UnknownName, match="No corpus named 'tinyshakespear'"):
        train_lm(LMConfig(), corpus="tinyshakespear", steps=1)  # a misspelt corpus is not text to train on
    with pytest.raises(InvalidSetting, match="not both"):
        train_lm(LMConfig(), corpus="tinyshakespeare", text="some text", steps=1)
    with pytest.raises(InvalidSetting, match="GiB to train"):
        LMConfig(n_layer=8, n_embd=2048, n_head=8, block_size=2048, batch_size=512).check_fits(65, 8 * 2**30)
    with pytest.raises(InvalidText, match="not in this model's vocabulary"):
        CharTokenizer.from_text("abc").encode("abd☃")
    with pytest.raises(InvalidText, match="traditional characters"):  # 们 typed to a model of 們
        CharTokenizer.from_text("我們說").encode("我们说")
    with pytest.raises(InvalidText, match="Remove them") as raised:  # a model of simplified text: no such hint
        CharTokenizer.from_text("我们说").encode("我們")
    assert "traditional" not in str(raised.value.render(lambda text: text))


def test_a_save_pretrained_folder_loads_inside_the_model_roots_only(tmp_path, monkeypatch):
    from core import settings
    from core.lm.external import load_pretrained

    tokenizer = ByteLevelBPE.train(["to be or not to be"] * 20, 270)
    lm = train_lm(LMConfig(n_layer=1, n_embd=32, block_size=16, eval_interval=5),
                  text="to be or not to be, that is it. " * 30, tokenizer=tokenizer, steps=5)
    folder = tmp_path / "models" / "tiny"
    lm.model.save_pretrained(folder)
    tokenizer.to_hf_json(folder / "tokenizer.json")
    monkeypatch.setenv(settings.ENV_MODEL_ROOTS, str(tmp_path / "models"))
    loaded = load_pretrained(str(folder))
    assert loaded.perplexity("to be or not") == pytest.approx(lm.perplexity("to be or not"), rel=1e-5)
    with pytest.raises(InvalidSetting, match="outside the folders"):
        load_pretrained(str(folder / ".." / ".." / ".."))


def test_masked_attention_equals_the_librarys_eager_attention():
    from core.lm.masked import MaskedLM, build_masked_model, masked_logits, masked_config

    config = masked_config().replace(n_layer=2, n_embd=64, block_size=32)
    tokenizer = CharTokenizer(list("abcdefgh ") + [MASK])
    model = build_masked_model(config, tokenizer.vocab_size).eval()
    masked = MaskedLM(model, tokenizer, config)
    tokens, ours = masked.attention("a bad cafe")
    model.set_attn_implementation("eager")
    ids = torch.tensor(tokenizer.encode("a bad cafe")).view(1, -1)
    with torch.no_grad():
        theirs = model(input_ids=ids, position_ids=torch.arange(ids.shape[1]).view(1, -1),
                       output_attentions=True).attentions
    np.testing.assert_allclose(ours, torch.stack(theirs)[:, 0].numpy(), atol=1e-5)
    assert tokens == list("a bad cafe") and masked_logits(model, ids).shape == (1, 10, 33)  # padding id: max(10 tokens, 32 positions)


@pytest.mark.slow
def test_masked_model_learns_more_than_letter_frequencies():
    from core.corpora import get_corpus
    from core.lm.jobs import MLM_STEPS
    from core.lm.masked import masked_config, train_masked_lm, unigram_loss

    masked = train_masked_lm(masked_config(), corpus="tinyshakespeare", steps=MLM_STEPS)
    final = [h["val_loss"] for h in masked.history if "val_loss" in h][-1]
    assert final < unigram_loss(get_corpus("tinyshakespeare").text(2_000_000)) - 0.8
    guesses = [ch for ch, _ in masked.fill("the k_ng is dead")[0]]
    assert guesses[0] == "i", guesses  # "king": the letter that fits, not the most frequent one
    assert masked.fill("a_d so")[0][0][0] == "n"


def test_long_texts_are_scored_in_batched_windows_exactly_as_one_window_at_a_time(shakespeare_lm):
    """The windows go through the model side by side; each token's surprisal must be what scoring
    its own window alone gives (a causal model never sees the padding of the last window)."""
    import torch.nn.functional as F

    text = "ROMEO:\nBut soft, what light through yonder window breaks? It is the east. " * 3
    ids = shakespeare_lm.encode(text)
    block, stride = shakespeare_lm.config.block_size, shakespeare_lm.config.block_size // 2
    expected, start = np.full(len(ids), np.nan), 0
    while True:
        window = ids[start:start + block]
        with torch.no_grad():
            logits = shakespeare_lm.model(window.view(1, -1)).logits[0]
        first = 1 if start == 0 else block - stride
        expected[start + first:start + len(window)] = F.cross_entropy(logits[:-1], window[1:], reduction="none")[
            first - 1:].numpy()
        if start + block >= len(ids):
            break
        start += stride
    _, losses = shakespeare_lm.token_losses(text)
    np.testing.assert_allclose(losses, expected, atol=1e-5)


def test_estimates_count_the_characters_of_each_corpus():
    """A character model of the Chinese classics predicts thousands of characters, not Shakespeare's
    65: its estimate, and every alignment step's built on it, says so before the job reads a line."""
    lm = train_lm(LMConfig(n_layer=1, n_embd=32, block_size=16, eval_interval=1), corpus="chinese", steps=1)
    assert lm.tokenizer.vocab_size == char_vocab("chinese") > 3000 and char_vocab("tinyshakespeare") == 65
    for kind, spec in (("lm", lm_spec), ("sft", lambda corpus: sft_spec(lm_spec(corpus)))):
        english, chinese = (get_kind(kind).work(spec(corpus)).amount for corpus in ("tinyshakespeare", "chinese"))
        assert chinese > 1.3 * english, kind
