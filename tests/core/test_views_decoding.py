"""The decoding page's computations: one rule for lengths, the beam tree laid out as a tree, sampling
steps and the temperature picture from core's entropy, diversity measured on words across samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.decoding import beam_search, entropy, fit_to_context
from core.decoding.compare import distinct_n, self_bleu, words
from core.errors import InvalidSetting, InvalidText
from core.lm import LMConfig, train_lm
from core.views import decoding as view

TEXT = "to be, or not to be, that is the question. whether tis nobler in the mind to suffer. " * 30


@pytest.fixture(scope="module")
def lm():
    model = train_lm(LMConfig(n_layer=2, n_embd=64, block_size=64, eval_interval=100), text=TEXT, steps=60)
    model.key = "test:tiny"
    return model


@pytest.mark.parametrize(("prompt", "new", "kept", "generated"), [
    (128, 40, 63, 1),  # the issue: "generating -64 instead", then a failure
    (64, 40, 63, 1), (63, 40, 63, 1), (62, 40, 62, 2), (10, 40, 10, 40), (1, 63, 1, 63), (1, 100, 1, 63),
])
def test_one_clamp_rule_never_negative(prompt, new, kept, generated):
    fit = fit_to_context(torch.arange(prompt) % 5, new, 64)
    assert (fit.kept, fit.max_new_tokens, fit.dropped, fit.requested) == (kept, generated, prompt - kept, new)
    assert fit.kept + fit.max_new_tokens <= 64 and fit.max_new_tokens >= 1
    assert fit.ids[0].tolist() == (torch.arange(prompt) % 5)[prompt - kept:].tolist()  # the prompt's end is kept


def test_a_long_prompt_is_cut_and_the_notes_say_exactly_what_happened(lm):
    prompt = ("to be, or not " * 10)[:128]
    result = view.decode(lm, prompt, 40, view.Method("greedy"))
    assert len(result.tokens) == 1 and result.prompt == prompt[-63:]
    (cut, template), (shorter, fields) = result.notes
    assert cut.format(**template).startswith("The prompt has 128 tokens and the model reads at most 64: only its "
                                             "last 63 tokens are used")
    assert shorter.format(**fields).endswith("generating 1 instead of 40.")
    assert "-" not in str(fields)
    assert view.decode(lm, "to be", 10, view.Method("greedy")).notes == []


def test_bad_lengths_and_prompts_get_sentences(lm):
    with pytest.raises(InvalidText, match="empty"):
        view.decode(lm, "", 10, view.Method("greedy"))
    with pytest.raises(InvalidSetting, match="positive whole number"):
        fit_to_context(torch.tensor([1, 2]), 0, 64)
    with pytest.raises(InvalidSetting, match="at least 2 tokens"):
        fit_to_context(torch.tensor([1, 2]), 1, 1)
    assert view.max_new_tokens(lm) == 63
    fit, notes = view.fitted(lm, "to", 1_000)
    assert fit.max_new_tokens == 62 and notes[0][0].format(**notes[0][1]).startswith("At most 256 new tokens")


def test_negative_zero_never_shows():
    assert str(view.rounded(-0.0001)) == "0.0" and f"{view.rounded(-0.0):.3f}" == "0.000"
    assert f"{view.rounded(-1e-12, 3):.3f}" == "0.000" and view.rounded(-0.0126, 2) == -0.01
    one_hot = torch.tensor([0.0, -float("inf"), -float("inf")])
    assert f"{entropy(one_hot):.3f}" == "-0.000"  # why the page needed it: -(1 x log 1) is -0.0
    assert f"{view.rounded(entropy(one_hot)):.3f}" == "0.000"


def test_greedy_sampling_at_temperature_zero_is_said_and_its_entropies_are_positive(lm):
    result = view.decode(lm, "to be", 12, view.Method("sampling", temperature=0.0))
    assert any("that is greedy decoding" in template for template, _ in result.notes)
    assert result.tokens == view.decode(lm, "to be", 12, view.Method("greedy")).tokens
    step = view.sampling_step(result, 0)
    assert [name for name, _ in step.stages] == ["the model's distribution"]
    assert math.copysign(1.0, step.entropy) == 1.0


def test_sampling_steps_show_each_stage_and_the_drawn_token(lm):
    result = view.decode(lm, "to be", 8, view.Method("sampling", temperature=0.8, top_k=5, top_p=0.9, seed=3))
    step = view.sampling_step(result, 2)
    assert [name for name, _ in step.stages] == ["the model's distribution", "after temperature", "after top-k",
                                                 "after top-p"]
    assert len(step.tokens) == min(view.SHOWN_TOKENS, lm.tokenizer.vocab_size)
    assert all(len(p) == len(step.tokens) for _, p in step.stages)
    assert step.chosen is not None and step.tokens[step.chosen] == step.chosen_token == result.tokens[2]
    assert sum(p > 0 for p in step.stages[2][1]) <= 5  # top-k kept five
    assert view.sampling_step(result, 999).step == len(result.trace) - 1  # brought back


def test_the_beam_tree_is_a_tree_grouped_by_beam(lm):
    result = view.decode(lm, "to be", 10, view.Method("beam", beams=3))
    trace = beam_search(lm.model, lm.encode("to be"), num_beams=3, max_new_tokens=10, num_return_sequences=3).trace
    tree = view.beam_tree(result, 4)
    nodes = tree.nodes
    assert tree.upto == 4 and len(nodes) == 1 + sum(len(step.candidates) for step in trace[:5])
    assert nodes[0].status == "prompt" and {n.status for n in nodes[1:]} <= {"running", "pruned", "finished"}
    for node in nodes[1:]:
        assert node.x == nodes[node.parent].x + 1  # x is the step; an edge joins each candidate to its beam
        assert nodes[node.parent].status in ("prompt", "running")
    for index, parent in enumerate(nodes):  # descendants of a node fill a band no other node's descendants enter
        below = _descendants(nodes, index)
        if below:
            low, high = min(nodes[i].y for i in below), max(nodes[i].y for i in below)
            inside = {i for i, n in enumerate(nodes) if low <= n.y <= high and n.x > parent.x}
            assert inside <= below, index
    whole = view.beam_tree(result, 999)
    assert whole.upto == len(result.trace) - 1
    best = max((n for n in whole.nodes if n.status == "finished"), key=lambda n: n.score)
    path, node = [], best
    while node.parent >= 0:  # read the best sequence back up the tree: the edges join each token to its beam
        path.append(node.token)
        node = whole.nodes[node.parent]
    assert "".join(reversed(path)) == "".join(result.tokens)
    assert len(result.ranked) == 3 and result.ranked[0]["score"] == result.score


def _descendants(nodes, index: int) -> set[int]:
    found, frontier = set(), {index}
    while frontier:
        frontier = {i for i, n in enumerate(nodes) if n.parent in frontier}
        found |= frontier
    return found


def test_the_temperature_picture_draws_500_seeded_samples_with_core_entropy(lm):
    picture = view.temperature_picture(lm, "to be", 1.5)
    again = view.temperature_picture(lm, "to be", 1.5)
    assert picture == again and picture.draws == 500 and sum(c for _, c in picture.drawn) <= 500
    counts = [c for _, c in picture.drawn]
    assert counts == sorted(counts, reverse=True)
    assert len(picture.tokens) == min(view.SHOWN_TOKENS, lm.tokenizer.vocab_size)
    with torch.no_grad():
        logits = lm.model(input_ids=lm.encode("to be").view(1, -1)).logits[0, -1].float()
    assert picture.entropy == view.rounded(entropy(logits / 1.5))
    assert picture.probabilities[0] == view.rounded(float((logits / 1.5).softmax(-1).max()), 4)
    cooler = view.temperature_picture(lm, "to be", 0.3)
    assert cooler.entropy < picture.entropy and cooler.probabilities[0] > picture.probabilities[0]


def test_diversity_is_measured_on_words_across_samples():
    assert words("the cat, the dog.") == ["the", "cat", ",", "the", "dog", "."]
    assert words("猫坐在垫子上", "zh") == list("猫坐在垫子上")
    same = ["the cat sat on the mat"] * 5
    assert self_bleu(same) == pytest.approx(100.0)
    varied = ["the cat sat on the mat", "a dog ran in the park", "birds fly over green hills",
              "rain falls on quiet roofs", "my tea is cold again"]
    assert self_bleu(varied) < 10
    assert distinct_n([words(t) for t in same], 1) == pytest.approx(5 / 30)
    assert distinct_n([words(t) for t in varied], 1) > 0.8
    assert math.isnan(self_bleu(["   ", "  "]))


def test_the_comparison_agrees_with_its_caption(lm):
    """Greedy had distinct-1 0.350 against sampling's 0.210: characters within one sample were counted."""
    result = view.comparison(lm, "to be", 30)
    rows = {row.method: row for row in result.rows}
    assert list(rows) == ["greedy", "beam search (4 beams)", "sampling, temperature 1.0", "sampling, temperature 0.7",
                          "top-k 10", "top-p 0.9"]
    greedy, sampled = rows["greedy"], rows["sampling, temperature 1.0"]
    assert greedy.deterministic and len(set(greedy.outputs)) == 1 and len(greedy.outputs) == result.samples == 5
    assert sampled.distinct_1 > greedy.distinct_1 and sampled.distinct_2 > greedy.distinct_2
    assert greedy.self_bleu == 100.0 or math.isnan(greedy.self_bleu)
    assert sampled.self_bleu < 100.0 and greedy.mean_logprob > sampled.mean_logprob
    values = [v for row in result.rows for v in (row.distinct_1, row.self_bleu, row.mean_logprob) if not np.isnan(v)]
    assert all(math.copysign(1.0, v) == 1.0 for v in values if v == 0)


def test_params_and_the_model_picker():
    assert view.LIVE_TEMPERATURE.label != view.TEMPERATURE.label and "picture" in view.LIVE_TEMPERATURE.label
    assert view.PROMPT.max_chars == 200 and view.TREE_STEP.default == view.TREE_FIRST_STEPS
    assert view.NEW.high == view.MAX_NEW_TOKENS
    assert view.first_models()[0].key == view.MODEL.default
    options = view.lm_options([])
    assert view.spec_of(view.MODEL.default, options) == options[0]
    with pytest.raises(KeyError, match="No model"):
        view.spec_of("nope", options)
