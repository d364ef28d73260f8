"""RLHF with PPO (InstructGPT step 3, Ouyang et al. 2022; Stiennon et al. 2020; PPO, Schulman et
al. 2017; GAE, Schulman et al. 2016), following TRL's `PPOTrainer` (trl.experimental.ppo, 0.29).

Each rollout: sample one response per prompt from the policy; score the whole sequence with the
reward model; per-token rewards are -beta (log pi - log pi_sft) (the k1 estimate of the KL to the
SFT model) with the reward model's score added at the last token; GAE gives advantages (whitened)
and value targets; then `ppo_epochs` passes of `minibatches` optimiser steps on the clipped
objective plus `vf_coef` x the clipped value loss, and with PPO-ptx `ptx_coef` x the pre-training
loss on a batch of the corpus (InstructGPT eq. 2).

Deliberate differences from TRL: the value head sits on the policy's own transformer (the
original TRL design, `AutoModelForCausalLMWithValueHead`) instead of a second model initialised
from the reward model: half the compute, which a CPU needs; responses have a fixed length, so
there is no end-of-sequence truncation, padding mask or missing-EOS penalty; sampling is at
temperature 1.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from core.alignment.configs import PPOConfig
from core.alignment.data import Windows
from core.alignment.losses import gae, ppo_policy_loss, ppo_value_loss, whiten
from core.alignment.reward import RewardModel
from core.alignment.sampling import device_generator, entropy, generate, token_logprobs
from core.alignment.tuned import SHOWN_SAMPLES, TunedLM, frozen_copy, trainable_copy
from core.decoding.compare import repeated_ngram_rate
from core.lm.train import VAL_FRACTION, cross_entropy, sample_batch
from core.lm.trained import TrainedLM
from core.progress import ProgressCallback
from core.training import Trainer
from core.i18n import N_


class PolicyWithValue(nn.Module):
    """A causal LM and a value head reading the same final hidden states."""

    def __init__(self, lm: nn.Module):
        super().__init__()
        self.lm = lm
        self.value_head = nn.Linear(lm.config.hidden_size, 1, device=lm.device)
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)

    def forward(self, input_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T) -> logits (B, T, V) and values (B, T)."""
        hidden = self.lm.base_model(input_ids=input_ids).last_hidden_state  # (B, T, E)
        logits = self.lm.get_output_embeddings()(hidden)  # (B, T, V)
        return logits, self.value_head(hidden.float()).squeeze(-1)


@torch.no_grad()
def rollout(policy: PolicyWithValue, reference, reward_model: RewardModel, prompts: torch.Tensor,
            config: PPOConfig, response_tokens: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Sample, score and compute advantages for one batch of prompts (B, P)."""
    p = prompts.shape[1]
    responses = generate(policy.lm, prompts, response_tokens, generator=generator)  # (B, R)
    sequences = torch.cat([prompts, responses], dim=1)  # (B, P + R)
    logits, values = policy(sequences)
    logprobs = token_logprobs(logits, sequences, p)  # (B, R)
    values = values[:, p - 1:-1]  # (B, R) the value of the state before each response token
    ref_logprobs = token_logprobs(reference(input_ids=sequences).logits, sequences, p)
    scores = reward_model(sequences)  # (B,)
    kl = logprobs - ref_logprobs  # (B, R) per-token k1 estimate
    rewards = -config.beta * kl
    rewards[:, -1] += scores
    advantages, returns = gae(rewards, values, gamma=config.gamma, lam=config.lam)
    return {"sequences": sequences, "responses": responses, "logprobs": logprobs, "values": values,
            "advantages": whiten(advantages), "returns": returns, "scores": scores, "kl": kl.sum(-1),
            "surprise": -ref_logprobs.mean(),
            "entropy": entropy(logits[:, p - 1:-1]).mean()}


def train_ppo(sft: TunedLM, reward_model: RewardModel, windows: Windows, config: PPOConfig = PPOConfig(), *,
              device: torch.device | str = "cpu", progress: ProgressCallback | None = None) -> TunedLM:
    """Optimise a copy of the SFT model against `reward_model`; `windows` gives the prompts (and,
    with PPO-ptx, the pre-training text)."""
    config.validate()
    device = torch.device(device)
    policy = PolicyWithValue(trainable_copy(sft.model, device))
    reference = frozen_copy(sft.model, device)
    reward_model = frozen_copy(reward_model, device)
    trainer = Trainer(policy.parameters(), config.schedule, steps=config.steps, device=device, progress=progress,
                      label=N_("PPO"))
    prompt_generator = torch.Generator().manual_seed(config.seed)
    sampler = device_generator(device, config.seed)
    corpus = windows.ids[:int(len(windows.ids) * (1 - VAL_FRACTION))].to(device)
    tuned = TrainedLM(policy.lm, sft.tokenizer, sft.lm.config, corpus=sft.lm.corpus)
    per_rollout = config.ppo_epochs * config.minibatches
    for index in range(1, config.rollouts + 1):
        policy.eval()
        starts = windows.train_starts[torch.randint(len(windows.train_starts), (config.batch_size,),
                                                    generator=prompt_generator)]
        batch = rollout(policy, reference, reward_model, windows.prompts(starts).to(device), config,
                        sft.response_tokens, sampler)
        losses = _optimise(policy, trainer, batch, corpus, config, sft, prompt_generator, (index - 1) * per_rollout)
        record, texts = _record(index, batch, losses, sft, trainer.elapsed_s)
        tuned.history.append(record)
        if index % config.sample_every == 0 or index in (1, config.rollouts):
            tuned.samples.append({"step": index, "texts": texts[:SHOWN_SAMPLES]})
        trainer.report(index * per_rollout, N_("PPO rollout {rollout} of {rollouts}"), force=True,
                       fields={"rollout": index, "rollouts": config.rollouts},
                       reward=record["reward"], kl=record["kl"], rule_score=record["rule_score"])
    policy.eval()
    last = tuned.history[-min(5, len(tuned.history)):]
    summary = {name: float(np.mean([r[name] for r in last])) for name in ("reward", "kl", "rule_score", "entropy")}
    return TunedLM(tuned, sft.rule, "ppo", sft.prompt_tokens, sft.response_tokens,
                   {"final": summary, "beta": config.beta, "ptx_coef": config.ptx_coef})


def _optimise(policy: PolicyWithValue, trainer: Trainer, batch: dict[str, torch.Tensor], corpus: torch.Tensor,
              config: PPOConfig, sft: TunedLM, generator: torch.Generator, step: int) -> list[dict[str, torch.Tensor]]:
    """`ppo_epochs` shuffled passes over one rollout, `minibatches` optimiser steps each, the
    first of them optimiser step `step` (0-based) of the run."""
    policy.train()
    losses = []
    for _ in range(config.ppo_epochs):
        order = torch.randperm(config.batch_size, generator=generator).to(batch["sequences"].device)
        for part in order.split(config.batch_size // config.minibatches):
            trainer.set_step(step + len(losses))
            with trainer.autocast():
                loss, parts = _minibatch_loss(policy, batch, part, corpus, config, sft.prompt_tokens,
                                              sft.lm.config.block_size, generator)
            trainer.update(loss)
            losses.append(parts)
    return losses


def _minibatch_loss(policy: PolicyWithValue, batch: dict[str, torch.Tensor], part: torch.Tensor,
                    corpus: torch.Tensor, config: PPOConfig, prompt_tokens: int, block_size: int,
                    generator: torch.Generator) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The clipped objective and value loss on rows `part` of the rollout (+ PPO-ptx)."""
    sequences = batch["sequences"][part]
    logits, values = policy(sequences)
    logprobs = token_logprobs(logits, sequences, prompt_tokens)  # (b, R)
    values = values[:, prompt_tokens - 1:-1]  # (b, R)
    policy_loss, clipfrac = ppo_policy_loss(logprobs, batch["logprobs"][part], batch["advantages"][part], config.clip)
    value_loss = ppo_value_loss(values, batch["values"][part], batch["returns"][part], config.value_clip)
    loss = policy_loss + config.vf_coef * value_loss
    parts = {"policy_loss": policy_loss.detach(), "value_loss": value_loss.detach(), "clipfrac": clipfrac}
    if config.ptx_coef > 0:
        x, y = sample_batch(corpus, block_size, len(part), generator)
        ptx = cross_entropy(policy.lm(input_ids=x).logits, y)
        loss = loss + config.ptx_coef * ptx
        parts["ptx_loss"] = ptx.detach()
    return loss, parts


def _record(index: int, batch: dict[str, torch.Tensor], losses: list[dict], sft: TunedLM,
            elapsed: float) -> tuple[dict, list[str]]:
    """One rollout's curves (read from the device once per rollout, not once per step) and texts."""
    texts = [sft.tokenizer.decode(r) for r in batch["responses"].tolist()]
    means = {name: float(torch.stack([parts[name] for parts in losses]).mean()) for name in losses[0]}
    return {"step": index, "reward": float(batch["scores"].mean()), "kl": float(batch["kl"].mean()),
            "rule_score": float(np.mean(sft.rule.scores(texts))), "entropy": float(batch["entropy"]),
            "repetition": float(np.mean([repeated_ngram_rate(r) for r in batch["responses"].tolist()])),
            "surprise": float(batch["surprise"]), **means, "elapsed_s": elapsed}, texts
