"""The alignment losses and LoRA against the reference libraries, on the same inputs.

TRL computes its losses inside its trainers' methods, not in functions one can call, so these
tests run TRL's own source lines (read from the installed `trl` with `inspect`, from the named
first to the named last line) on our tensors, in the namespace of TRL's module, and require the
same numbers. TRL 0.29.1 is the last release with `PPOTrainer` (`trl.experimental.ppo`); it
imports with transformers 5.24. Should TRL rewrite a block, the lines are not found and the test
fails, rather than silently comparing with a stale copy.
"""

from __future__ import annotations

import copy
import inspect
import textwrap
from types import SimpleNamespace

import pytest
import torch

from core.alignment.lora import add_lora, lora_layers, merge_lora
from core.alignment.losses import dpo_loss, gae, pairwise_ranking_loss, ppo_policy_loss, ppo_value_loss, whiten
from core.alignment.sampling import response_logprobs, response_loss
from core.lm.config import LMConfig
from core.lm.model import build_model

trl = pytest.importorskip("trl", minversion="0.29")
ppo_trainer = pytest.importorskip("trl.experimental.ppo.ppo_trainer")
peft = pytest.importorskip("peft")
from trl import DPOTrainer, RewardTrainer  # noqa: E402

B, T = 4, 7


def trl_lines(function, first: str, last: str, **names) -> dict:
    """Run the lines of `function` from the one starting with `first` through the statement
    starting with `last`, with `names` bound; return the resulting namespace."""
    lines = inspect.getsource(function).splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(first))
    end = next(i for i in range(start, len(lines)) if lines[i].strip().startswith(last))
    while "\n".join(lines[start:end + 1]).count("(") > "\n".join(lines[start:end + 1]).count(")"):
        end += 1  # the last statement continues over several lines
    scope = {**function.__globals__, **names}
    exec(textwrap.dedent("\n".join(lines[start:end + 1])), scope)
    return scope


def tensors(seed: int, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("gamma,lam", [(1.0, 0.95), (0.9, 0.5), (1.0, 1.0), (0.99, 0.0)])
def test_gae_equals_trl_ppo_trainer(gamma, lam):
    rewards, values = tensors(0, B, T), tensors(1, B, T)
    theirs = trl_lines(ppo_trainer.PPOTrainer.train, "lastgaelam = 0", "returns = advantages + values",
                       rewards=rewards, values=values, responses=torch.zeros(B, T, dtype=torch.long),
                       args=SimpleNamespace(gamma=gamma, lam=lam))
    advantages, returns = gae(rewards, values, gamma=gamma, lam=lam)
    torch.testing.assert_close(advantages, theirs["advantages"], rtol=0, atol=1e-6)
    torch.testing.assert_close(returns, theirs["returns"], rtol=0, atol=1e-6)
    everywhere = torch.ones(B, T, dtype=torch.bool)
    torch.testing.assert_close(whiten(advantages), ppo_trainer.masked_whiten(theirs["advantages"], everywhere))


@pytest.mark.parametrize("clip,value_clip,vf_coef", [(0.2, 0.2, 0.1), (0.1, 0.5, 1.0)])
def test_clipped_policy_and_value_losses_equal_trl_ppo_trainer(clip, value_clip, vf_coef):
    new, old = tensors(2, B, T) * 0.3 - 2, tensors(3, B, T) * 0.3 - 2  # log-probs: ratios on both sides of the clip
    advantages, values, old_values, returns = tensors(4, B, T), tensors(5, B, T), tensors(6, B, T), tensors(7, B, T)
    no_padding = torch.zeros(B, T + 1, dtype=torch.bool)
    names = dict(vpred=values, mb_values=old_values, mb_return=returns, new_logprobs=new, mb_logprobs=old,
                 mb_advantage=advantages, padding_mask=no_padding[:, :T], padding_mask_p1=no_padding[:, :T],
                 micro_batch_inds=torch.arange(B), args=SimpleNamespace(cliprange=clip, cliprange_value=value_clip,
                                                                        vf_coef=vf_coef))
    theirs = trl_lines(ppo_trainer.PPOTrainer.train, "vpredclipped = torch.clamp(", "loss = pg_loss + args.vf_coef",
                       **names)
    clipped = trl_lines(ppo_trainer.PPOTrainer.train, "pg_clipfrac = masked_mean(", "pg_clipfrac = masked_mean(",
                        **{**names, **theirs})
    policy_loss, clipfrac = ppo_policy_loss(new, old, advantages, clip)
    value_loss = ppo_value_loss(values, old_values, returns, value_clip)
    torch.testing.assert_close(policy_loss, theirs["pg_loss"])
    torch.testing.assert_close(value_loss, theirs["vf_loss"])
    torch.testing.assert_close(policy_loss + vf_coef * value_loss, theirs["loss"])
    torch.testing.assert_close(clipfrac, clipped["pg_clipfrac"])
    assert 0 < float(clipfrac) < 1  # the example exercises both branches of the clip


@pytest.mark.parametrize("k", [2, 4, 9])
def test_ranking_loss_equals_trl_reward_trainer_over_all_pairs(k):
    """With K = 2 it is TRL's loss; with K > 2, TRL's loss over the K-choose-2 pairs of each
    prompt (InstructGPT trains on exactly those pairs)."""
    scores = tensors(8, B, k) * 2
    above, below = torch.triu_indices(k, k, offset=1)
    chosen, rejected = scores[:, above].flatten(), scores[:, below].flatten()
    theirs = trl_lines(RewardTrainer.compute_loss, "rewards_chosen, rewards_rejected",
                       "loss = -nn.functional.logsigmoid(rewards_chosen - rewards_rejected).mean()",
                       outputs=SimpleNamespace(logits=torch.cat([chosen, rejected])[:, None]), inputs={})
    torch.testing.assert_close(pairwise_ranking_loss(scores).mean(), theirs["loss"])


@pytest.mark.parametrize("beta", [0.05, 0.1, 1.0])
def test_dpo_loss_equals_trl_dpo_trainer_on_the_same_logprobs(beta):
    logps = {name: tensors(seed, B) * 5 - 20 for seed, name in enumerate(
        ("chosen_logps", "rejected_logps", "ref_chosen_logps", "ref_rejected_logps"), 10)}
    this = SimpleNamespace(f_divergence_type="reverse_kl", beta=beta)
    theirs = trl_lines(DPOTrainer._compute_loss, "chosen_logratios = chosen_logps", "delta_score = ", self=this,
                       **logps)
    theirs = trl_lines(DPOTrainer._compute_loss, "per_sequence_loss = -F.logsigmoid(self.beta * delta_score)",
                       "per_sequence_loss", **theirs)
    ours = dpo_loss(logps["chosen_logps"], logps["rejected_logps"], logps["ref_chosen_logps"],
                    logps["ref_rejected_logps"], beta)
    torch.testing.assert_close(ours, theirs["per_sequence_loss"])


@pytest.fixture(scope="module")
def tiny_model():
    return build_model(LMConfig(n_layer=2, n_head=2, n_embd=32, block_size=16), vocab_size=20).eval()


def test_response_logprobs_equal_trl_dpo_trainer_on_a_real_model(tiny_model):
    """DPO's log-probability of a response: TRL's lines (shift, gather, mask the prompt, sum)."""
    prompt = 5
    sequences = torch.randint(20, (2 * B, 12), generator=torch.Generator().manual_seed(3))
    completion = torch.zeros_like(sequences)
    completion[:, prompt:] = 1
    with torch.no_grad():
        theirs = trl_lines(DPOTrainer._compute_loss, "shift_logits = outputs.logits", "chosen_logps, rejected_logps",
                           outputs=tiny_model(input_ids=sequences), input_ids=sequences, completion_mask=completion,
                           self=SimpleNamespace(ld_alpha=None))
        ours = response_logprobs(tiny_model, sequences, prompt).sum(-1)
    torch.testing.assert_close(ours, theirs["logps"])


def test_sft_loss_is_the_transformers_loss_with_the_prompt_labelled_minus_100(tiny_model):
    """TRL's SFT collator sets the labels of non-completion tokens to -100 (`completion_only_loss`)."""
    prompt = 6
    sequences = torch.randint(20, (B, 14), generator=torch.Generator().manual_seed(4))
    labels = sequences.clone()
    labels[:, :prompt] = -100
    with torch.no_grad():
        out = tiny_model(input_ids=sequences, labels=labels)
        torch.testing.assert_close(response_loss(out.logits, sequences, prompt), out.loss)


def _randomise_b(model: torch.nn.Module) -> None:
    """B starts at zero (the adapted model is the model); make the update non-trivial."""
    generator = torch.Generator().manual_seed(5)
    for _, layer in lora_layers(model):
        layer.lora_B.data = torch.randn(layer.lora_B.shape, generator=generator) * 0.1


@pytest.mark.parametrize("arch,targets", [("llama", ("q_proj", "v_proj")), ("llama", ("o_proj", "down_proj")),
                                          ("gpt2", ("c_attn",)), ("gpt2", ("c_attn", "c_fc"))])
def test_lora_forward_and_merge_equal_peft_merge_and_unload(arch, targets):
    base = build_model(LMConfig(arch=arch, n_layer=2, n_head=2, n_embd=32, block_size=16), vocab_size=20).eval()
    ids = torch.randint(20, (2, 12), generator=torch.Generator().manual_seed(6))
    ours = add_lora(copy.deepcopy(base), r=4, alpha=8, targets=targets)
    _randomise_b(ours)
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=list(targets), lora_dropout=0.0,
                             fan_in_fan_out=arch == "gpt2")
    theirs = peft.get_peft_model(copy.deepcopy(base), config)
    adapters = dict(lora_layers(ours))
    for name, module in theirs.named_modules():
        if isinstance(module, peft.tuners.lora.LoraLayer):
            key = name.removeprefix("base_model.model.")
            module.lora_A["default"].weight.data = adapters[key].lora_A.data.clone()
            module.lora_B["default"].weight.data = adapters[key].lora_B.data.clone()
    assert len(adapters) == sum(isinstance(m, peft.tuners.lora.LoraLayer) for m in theirs.modules()) > 0
    with torch.no_grad():
        adapted = ours(input_ids=ids).logits
        torch.testing.assert_close(adapted, theirs(input_ids=ids).logits, rtol=0, atol=1e-6)
        assert not torch.allclose(adapted, base(input_ids=ids).logits, atol=1e-3)  # the adapters do something
        merged, reference = merge_lora(ours), theirs.merge_and_unload()
        theirs_state = reference.state_dict()
        for name, weight in merged.state_dict().items():
            torch.testing.assert_close(weight, theirs_state[name], rtol=0, atol=1e-6)
        torch.testing.assert_close(merged(input_ids=ids).logits, adapted, rtol=0, atol=1e-5)
    assert not lora_layers(merged) and all(p.requires_grad for p in merged.parameters())
