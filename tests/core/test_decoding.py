"""Greedy and beam search equal `model.generate`; the processors equal transformers' own."""

from __future__ import annotations

import pytest
import torch
from transformers import (LogitsProcessorList, RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper,
                          TopKLogitsWarper, TopPLogitsWarper)

from core.decoding import beam_search, greedy, sample
from core.decoding.compare import distinct_n, repeated_ngram_rate
from core.decoding.processors import SamplingSettings, repetition_penalty, stages, top_k, top_p
from core.errors import InvalidSetting, InvalidText
from core.lm import LMConfig, train_lm
from core.lm.model import build_model

PROMPT = torch.tensor([[1, 5, 7, 2]])
LIKELY = "likely"  # stands for a token the model really produces early, so beams do finish
BEAM_SETTINGS = [
    dict(num_beams=4), dict(num_beams=3, length_penalty=0.5), dict(num_beams=4, length_penalty=2.0),
    dict(num_beams=4, no_repeat_ngram_size=2, num_return_sequences=3),
    dict(num_beams=4, eos_token_id=LIKELY), dict(num_beams=4, eos_token_id=LIKELY, early_stopping=True),
    dict(num_beams=5, eos_token_id=LIKELY, length_penalty=2.0, num_return_sequences=2),
    dict(num_beams=4, eos_token_id=LIKELY, early_stopping="never"), dict(num_beams=1),
]


def peaky_random_model(arch: str, **shape):
    """Random weights scaled up, so distributions are peaked and beams really differ."""
    model = build_model(LMConfig(arch=arch, n_layer=2, n_embd=64, seed=1, **shape), 30).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(3.0)
    return model


@pytest.fixture(scope="module")
def models():
    trained = train_lm(LMConfig(n_layer=2, n_embd=64, block_size=32, eval_interval=100),
                       text="to be, or not to be, that is the question. " * 40, steps=80).model
    return {"gpt2": peaky_random_model("gpt2"), "llama-gqa": peaky_random_model("llama", n_kv_head=2),
            "trained": trained}


def resolve(model, settings: dict) -> dict:
    """Replace LIKELY by the token greedy decoding produces most often."""
    if settings.get("eos_token_id") == LIKELY:
        generated = greedy(model, PROMPT, 12).sequences[0][PROMPT.shape[1]:]
        return {**settings, "eos_token_id": max(set(generated), key=generated.count)}
    return settings


def hf_generate(model, **settings):
    out = model.generate(PROMPT, max_new_tokens=12, do_sample=False, output_scores=True, return_dict_in_generate=True,
                         pad_token_id=0, **settings)
    return out


def strip_after_eos(sequence: list[int], eos: int | None) -> list[int]:
    if eos is not None and eos in sequence[PROMPT.shape[1]:]:
        return sequence[:PROMPT.shape[1] + sequence[PROMPT.shape[1]:].index(eos) + 1]
    return sequence


@pytest.mark.parametrize("name", ["gpt2", "llama-gqa", "trained"])
def test_greedy_equals_generate(models, name):
    model = models[name]
    ours = greedy(model, PROMPT, 12)
    theirs = hf_generate(model)
    assert ours.sequences[0] == theirs.sequences[0].tolist()
    scores = model.compute_transition_scores(theirs.sequences, theirs.scores, normalize_logits=True)[0]
    assert ours.token_logprobs[0] == pytest.approx(scores.tolist(), abs=1e-4)


@pytest.mark.parametrize("settings", BEAM_SETTINGS, ids=str)
@pytest.mark.parametrize("name", ["gpt2", "llama-gqa", "trained"])
def test_beam_search_equals_generate(models, name, settings):
    model = models[name]
    settings = resolve(model, settings)
    ours = beam_search(model, PROMPT, max_new_tokens=12, **settings)
    theirs = hf_generate(model, **settings)
    eos = settings.get("eos_token_id")
    assert ours.sequences == [strip_after_eos(s.tolist(), eos) for s in theirs.sequences]
    if settings["num_beams"] > 1:
        assert ours.scores == pytest.approx(theirs.sequences_scores.tolist(), abs=1e-4)


@pytest.mark.parametrize("name", ["gpt2", "trained"])  # (the Llama model's early-finished beams are outscored)
def test_eos_settings_really_finish_early(models, name):
    settings = resolve(models[name], {"eos_token_id": LIKELY})
    finished = [s for s in beam_search(models[name], PROMPT, num_beams=4, max_new_tokens=12, num_return_sequences=4,
                                       **settings).sequences if s[-1] == settings["eos_token_id"]]
    assert finished and any(len(s) < PROMPT.shape[1] + 12 for s in finished)


def test_beam_trace_marks_every_candidate(models):
    result = beam_search(models["trained"], PROMPT, num_beams=3, max_new_tokens=6)
    assert len(result.trace) == 6
    for step in result.trace[:-1]:
        statuses = [c["status"] for c in step.candidates]
        assert len(statuses) == 6 and statuses.count("running") == 3
    assert {c["status"] for c in result.trace[-1].candidates} >= {"finished"}


def transformers_chain(logits, previous, settings):
    processors = LogitsProcessorList()
    if settings.repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(settings.repetition_penalty))
    if settings.temperature != 1.0:
        processors.append(TemperatureLogitsWarper(settings.temperature))
    if settings.top_k:
        processors.append(TopKLogitsWarper(settings.top_k))
    if settings.top_p < 1.0:
        processors.append(TopPLogitsWarper(settings.top_p))
    return processors(previous.view(1, -1), logits.view(1, -1).clone())[0]


@pytest.mark.parametrize("settings", [
    SamplingSettings(0.7, 0, 1.0, 1.0), SamplingSettings(1.3, 10, 1.0, 1.0), SamplingSettings(1.0, 0, 0.9, 1.0),
    SamplingSettings(0.8, 20, 0.7, 1.3), SamplingSettings(1.0, 1, 0.5, 1.0), SamplingSettings(2.0, 50, 0.95, 1.1),
])
def test_filtered_distributions_equal_transformers(settings):
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        logits = torch.randn(100, generator=generator) * 3
        previous = torch.randint(100, (15,), generator=generator)
        ours = stages(logits, previous, settings)[-1][1].softmax(-1)
        theirs = transformers_chain(logits, previous, settings).softmax(-1)
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=0)


def test_processors_hand_worked():
    scores = torch.tensor([2.0, -1.0, 0.5, 0.5])
    assert top_k(scores, 2).tolist() == [2.0, float("-inf"), 0.5, 0.5]  # ties with the k-th are kept
    assert repetition_penalty(scores, torch.tensor([0, 1]), 2.0).tolist() == [1.0, -2.0, 0.5, 0.5]
    kept = top_p(torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05])), 0.75)
    assert torch.isfinite(kept).tolist() == [True, True, False, False]


def test_sampling_is_seeded_and_temperature_zero_is_greedy(models):
    model = models["trained"]
    a = sample(model, PROMPT, max_new_tokens=10, temperature=1.0, seed=3)
    b = sample(model, PROMPT, max_new_tokens=10, temperature=1.0, seed=3)
    assert a.sequences == b.sequences and len(a.trace[0].distributions) == 4
    assert sample(model, PROMPT, max_new_tokens=10, temperature=0.0).sequences == greedy(model, PROMPT, 10).sequences


def test_diversity_measures_hand_worked():
    assert distinct_n([[1, 2, 1, 2]], 1) == 0.5 and distinct_n([[1, 2, 1, 2]], 2) == pytest.approx(2 / 3)
    assert repeated_ngram_rate([1, 2, 1, 2, 1, 2], n=2) == pytest.approx(3 / 5)


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda m: sample(m, PROMPT, max_new_tokens=5, top_p=0.0), InvalidSetting, "top_p"),
    (lambda m: sample(m, PROMPT, max_new_tokens=5, top_k=-1), InvalidSetting, "top_k"),
    (lambda m: greedy(m, torch.tensor([[]], dtype=torch.long), 5), InvalidText, "empty"),
    (lambda m: beam_search(m, PROMPT, num_beams=0, max_new_tokens=5), InvalidSetting, "num_beams"),
    (lambda m: greedy(m, PROMPT, 500), InvalidSetting, "context"),
])
def test_bad_settings_get_clear_messages(models, call, error, message):
    with pytest.raises(error, match=message):
        call(models["trained"])
