"""Alignment: hand-worked losses, the rules, ranking and pairs, LoRA's bookkeeping, bad inputs."""

from __future__ import annotations

import math

import pytest
import torch

from core.alignment import PAPERS, make_rule
from core.alignment.configs import DPOConfig, EvalConfig, LoRAConfig, PPOConfig, PreferenceConfig, SFTConfig
from core.alignment.data import Preferences, Windows, rank
from core.alignment.evaluation import best_of_n_kl
from core.alignment.lora import add_lora, footprint, linear_names, merge_lora
from core.alignment.losses import dpo_loss, gae, pairwise_ranking_loss, ppo_policy_loss, ppo_value_loss
from core.alignment.ppo import PolicyWithValue
from core.alignment.rules import RULES, rule_from_dict
from core.errors import InvalidSetting, UnknownName
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import build_model


def nll(x: float) -> float:
    """-log sigma(x)"""
    return math.log1p(math.exp(-x))


# ---- hand-worked losses ----------------------------------------------------------------------
def test_pairwise_ranking_loss_by_hand():
    # rewards 2, 1, 0 best first: pairs (2-1, 2-0, 1-0) = (1, 2, 1)
    got = pairwise_ranking_loss(torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0]]))
    assert got[0].item() == pytest.approx((2 * nll(1) + nll(2)) / 3)
    assert got[1].item() == pytest.approx((2 * nll(-1) + nll(-2)) / 3)  # ranked backwards: a large loss
    assert got[0] < math.log(2) < got[1]  # log 2 is the loss of a reward model that cannot tell


def test_dpo_loss_by_hand():
    # chosen gained 1 nat over the reference, rejected lost 1: margin 2, times beta 0.5
    got = dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.0]), torch.tensor([-2.0]), beta=0.5)
    assert got.item() == pytest.approx(nll(1.0))
    unchanged = dpo_loss(torch.tensor([-5.0]), torch.tensor([-7.0]), torch.tensor([-5.0]), torch.tensor([-7.0]), 0.1)
    assert unchanged.item() == pytest.approx(math.log(2))  # the policy equals the reference


def test_gae_by_hand():
    rewards, values = torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.5, 0.5]])
    advantages, returns = gae(rewards, values, gamma=1.0, lam=1.0)
    assert advantages.tolist() == [[0.5, 0.5, 0.5]]  # lambda 1: the Monte-Carlo return (1) minus the value
    assert returns.tolist() == [[1.0, 1.0, 1.0]]
    advantages, _ = gae(rewards, values, gamma=1.0, lam=0.0)
    assert advantages.tolist() == [[0.0, 0.0, 0.5]]  # lambda 0: the one-step TD errors
    advantages, _ = gae(rewards, values, gamma=0.5, lam=1.0)
    assert advantages.tolist() == [[0.25 - 0.5, 0.5 - 0.5, 0.5]]  # the reward discounted back


def test_clipped_losses_by_hand():
    old = torch.zeros(1, 2)
    new = torch.log(torch.tensor([[1.5, 0.5]]))  # ratios 1.5 and 0.5
    advantages = torch.tensor([[1.0, -1.0]])
    loss, clipfrac = ppo_policy_loss(new, old, advantages, clip=0.2)
    # token 1: max(-1.5, -1.2) = -1.2, the gain capped at 1 + clip; token 2: max(0.5, 0.8) = 0.8, no credit for
    # pushing a bad token's ratio below 1 - clip
    assert loss.item() == pytest.approx((-1.2 + 0.8) / 2)
    assert clipfrac.item() == 1.0
    value = ppo_value_loss(torch.tensor([[2.0]]), torch.tensor([[0.0]]), torch.tensor([[2.0]]), clip=0.5)
    assert value.item() == pytest.approx(0.5 * (0.5 - 2.0) ** 2)  # the clipped prediction 0.5 is the larger error


def test_the_groups_shown_are_those_the_rule_tells_apart():
    scores = torch.tensor([[1.0, 1.0], [1.0, 0.0], [0.0, 0.0], [0.5, 0.2]])  # the last group is held out
    preferences = Preferences(torch.zeros(4, 3, dtype=torch.long), torch.zeros(4, 2, 5, dtype=torch.long), scores, 1)
    assert preferences.telling(2) == [1, 0] and preferences.telling(9) == [1, 0, 2]


def test_best_of_n_kl_formula():
    assert best_of_n_kl(1) == 0.0
    assert best_of_n_kl(4) == pytest.approx(math.log(4) - 0.75)
    assert all(best_of_n_kl(n) < best_of_n_kl(2 * n) < math.log(2 * n) for n in (1, 2, 8, 64))


# ---- rules ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params,text,score", [
    ("avoid_letter", {"letter": "e"}, "abcde", 0.8),
    ("avoid_letter", {"letter": "E"}, "Eve saw", 1 - 2 / 6),  # either case
    ("avoid_letter", {"letter": "e"}, ":;,\n", 0.0),  # no letters: no credit for saying nothing
    ("include_word", {"word": "love"}, "O LOVE, my", 1.0),
    ("include_word", {"word": "love"}, "lovely day", 0.0),  # a whole word only
    ("include_word", {"word": "我"}, "他說我們走罷", 1.0),  # Chinese: no spaces, so anywhere it occurs
    ("include_word", {"word": "我們"}, "他說我走罷", 0.0),
    ("include_word", {"word": "love"}, "我 love 你", 1.0),  # Latin words beside Chinese: still whole words
    ("include_word", {"word": "love"}, "我lovely", 0.0),
    ("line_length", {"prefer": "shorter"}, "ab\ncdefgh", 1 - 2 / 9),
    ("line_length", {"prefer": "longer"}, "ab\ncdefgh", 2 / 9),
    ("end_with", {"char": "?"}, "who? \nno.\nhal", 0.5),  # two complete lines, one ends with '?'
    ("end_with", {"char": "?"}, "unfinished?", 0.0),
])
def test_rules_score_by_hand(name, params, text, score):
    assert make_rule(name, **params).score(text) == pytest.approx(score)


def test_every_rule_has_a_default_a_description_and_survives_a_round_trip():
    for name in RULES:
        rule = make_rule(name)
        assert rule_from_dict(rule.as_dict()) == rule
        assert rule.describe() and 0.0 <= rule.score("Some text, here.\nAnd more?\n") <= 1.0


@pytest.mark.parametrize("call,message", [
    (lambda: make_rule("rhyme"), "No rule named 'rhyme'"),
    (lambda: make_rule("avoid_letter", colour="red"), "has no parameter colour"),
    (lambda: make_rule("avoid_letter", letter="ee"), "letter must be a single letter"),
    (lambda: make_rule("include_word", word="two words"), "word must be one word"),
    (lambda: make_rule("line_length", prefer="medium"), "prefer must be 'shorter' or 'longer'"),
    (lambda: make_rule("end_with", char=" "), "char must be one visible character"),
])
def test_bad_rules_say_what_to_do(call, message):
    with pytest.raises((InvalidSetting, UnknownName)) as error:
        call()
    assert message in str(error.value)


# ---- data -------------------------------------------------------------------------------------
def test_rank_puts_the_best_first_and_flips_a_seeded_coin_for_ties():
    scores = torch.tensor([[0.1, 0.9, 0.5, 0.9]] * 200)
    order = rank(scores, torch.Generator().manual_seed(0))
    ranked = scores.gather(1, order)
    assert torch.all(ranked[:, :-1] >= ranked[:, 1:])
    assert order[:, 2].eq(2).all() and order[:, 3].eq(0).all()
    first_of_tie = order[:, 0]
    assert 60 < int(first_of_tie.eq(1).sum()) < 140  # either tied response comes first, about half the time
    assert torch.equal(order, rank(scores, torch.Generator().manual_seed(0)))


def test_pairs_are_every_k_choose_2_with_the_better_first():
    k, groups = 4, 5
    prompts = torch.arange(groups * 2).view(groups, 2)
    responses = torch.arange(groups * k * 3).view(groups, k, 3)
    scores = torch.tensor([[1.0, 0.5, 0.5, 0.0]] * groups)
    preferences = Preferences(prompts, responses, scores, held_out=2)
    chosen, rejected, strict = preferences.pairs()
    assert chosen.shape == rejected.shape == (3 * 6, 5)  # 3 training groups x 4-choose-2, prompt + response
    assert torch.equal(chosen[0, :2], prompts[0]) and torch.equal(chosen[0, 2:], responses[0, 0])
    assert torch.equal(rejected[0, 2:], responses[0, 1])
    assert strict.tolist()[:6] == [True, True, True, False, True, True]  # the tie is the coin's
    assert preferences.pairs(held_out=True)[0].shape[0] == 2 * 6


def test_windows_cut_prompts_at_line_ends_and_hold_out_the_end():
    text = "".join(f"line number {i:03d} of the text\n" for i in range(200))
    tokenizer = CharTokenizer.from_text(text)
    windows = Windows.of_text(tokenizer, text, prompt_tokens=8, response_tokens=12)
    prompts = windows.prompts(windows.train_starts)
    assert all(tokenizer.decode(p).endswith("\n") for p in prompts.tolist())
    assert all(tokenizer.decode(r).startswith("line number") for r in windows.responses(windows.train_starts).tolist())
    cut = int(len(windows.ids) * 0.9)
    assert windows.train_starts.max() + 12 <= cut <= windows.held_out_starts.min() - 8
    assert windows.evaluation_prompts(5).shape == (5, 8)


# ---- LoRA bookkeeping -------------------------------------------------------------------------
def test_lora_trains_only_the_adapters_and_starts_as_the_model():
    model = build_model(LMConfig(n_layer=2, n_head=2, n_embd=32, block_size=16), vocab_size=20).eval()
    ids = torch.randint(20, (1, 10), generator=torch.Generator().manual_seed(0))
    before = model(input_ids=ids).logits.detach()
    add_lora(model, r=2, alpha=4, targets=("q_proj", "v_proj"))
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(name.endswith(("lora_A", "lora_B")) for name in trainable)
    assert len(trainable) == 2 * 2 * 2  # A and B on q and v of 2 layers
    torch.testing.assert_close(model(input_ids=ids).logits, before)  # B = 0: no change yet
    size = footprint(model)
    assert size.trainable == 2 * 2 * (2 * 32 + 32 * 2) and size.lora.optimizer == 12 * size.trainable
    assert size.full.optimizer == 12 * size.parameters and size.lora.total < size.full.total
    torch.testing.assert_close(merge_lora(model)(input_ids=ids).logits, before)


def test_lora_refuses_the_tied_output_head_and_unknown_targets():
    model = build_model(LMConfig(arch="gpt2", n_layer=1, n_head=2, n_embd=16, block_size=8), vocab_size=10)
    assert "lm_head" not in linear_names(model) and "c_attn" in linear_names(model)
    with pytest.raises(InvalidSetting, match="targets must name linear layers of this model .*c_attn.*not q_proj"):
        add_lora(model, r=2, alpha=4, targets=("q_proj",))
    with pytest.raises(InvalidSetting, match="r must be a positive whole number"):
        add_lora(model, r=0, alpha=4, targets=("c_attn",))


def test_the_value_head_shares_the_policys_transformer():
    """Unlike TRL's separate value model: one forward pass gives the LM's own logits and values,
    and the value loss trains the shared transformer too."""
    model = build_model(LMConfig(n_layer=2, n_head=2, n_embd=32, block_size=16), vocab_size=20)
    policy = PolicyWithValue(model)
    ids = torch.randint(20, (2, 10), generator=torch.Generator().manual_seed(0))
    logits, values = policy(ids)
    torch.testing.assert_close(logits, model(input_ids=ids).logits)
    assert values.shape == (2, 10) and not values.any()  # the head starts at zero
    torch.nn.init.normal_(policy.value_head.weight)
    policy(ids)[1].sum().backward()
    assert model.model.layers[0].self_attn.q_proj.weight.grad.abs().sum() > 0


# ---- bad inputs -------------------------------------------------------------------------------
@pytest.mark.parametrize("call,message", [
    (lambda: pairwise_ranking_loss(torch.zeros(3, 1)), "K of 2 or more"),
    (lambda: pairwise_ranking_loss(torch.zeros(3)), "(batch, K) tensor"),
    (lambda: dpo_loss(*[torch.zeros(2)] * 4, beta=0.0), "beta must be positive"),
    (lambda: dpo_loss(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2), beta=0.1), "one shape"),
    (lambda: gae(torch.zeros(2, 3), torch.zeros(2, 4), gamma=1.0, lam=0.9), "one shape"),
    (lambda: gae(torch.zeros(2, 3), torch.zeros(2, 3), gamma=1.5, lam=0.9), "gamma must be between 0 and 1"),
    (lambda: ppo_policy_loss(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1, 1), clip=0), "clip must be positive"),
    (lambda: SFTConfig(prompt_tokens=40, response_tokens=40).validate(64), "must fit the model's context of 64"),
    (lambda: SFTConfig(steps=0).validate(64), "steps must be a positive whole number"),
    (lambda: PreferenceConfig(k=3).validate(), "k must be between 4 and 9"),
    (lambda: PreferenceConfig(prompts=10, held_out=10).validate(), "held_out (10) must be fewer than prompts (10)"),
    (lambda: PPOConfig(beta=-0.1).validate(), "beta must be 0 or more"),
    (lambda: PPOConfig(batch_size=10, minibatches=3).validate(), "must divide into 3 minibatches"),
    (lambda: DPOConfig(beta=0).validate(), "beta must be a positive number"),
    (lambda: LoRAConfig(targets=()).validate(), "targets must name at least one projection"),
    (lambda: EvalConfig(best_of=(0,)).validate(), "every n must be positive"),
])
def test_bad_settings_say_what_to_do(call, message):
    with pytest.raises(InvalidSetting) as error:
        call()
    assert message in str(error.value)


def test_every_step_links_its_paper():
    assert {"PPO", "GAE", "DPO", "LoRA"} <= {paper.step for paper in PAPERS}
    assert all(paper.url.startswith("https://arxiv.org/abs/") for paper in PAPERS)
