"""Direct Preference Optimisation (Rafailov et al. 2023) on the reward model's ranked pairs, with
the SFT model as the reference: no reward model, no sampling during training.

As TRL's `DPOTrainer` with `precompute_ref_logps=True`: the reference's summed response
log-probabilities are computed once; each step scores a batch of (chosen, rejected) pairs under the
policy and takes the sigmoid loss. Every `eval_interval` steps the policy samples on fixed held-out
prompts, giving rule-score, KL and entropy curves that sit beside PPO's. The pairs are every
K-choose-2 pair of each ranked group, including those the labeller's coin decided (as the reward
model sees them); TRL takes pairs as given.
"""

from __future__ import annotations

import torch

from core.alignment.configs import DPOConfig, LoRAConfig
from core.alignment.data import Preferences, Windows
from core.alignment.evaluation import measure
from core.alignment.lora import add_lora, merge_and_check
from core.alignment.losses import dpo_loss, dpo_rewards
from core.alignment.sampling import response_logprobs, sequence_logprobs
from core.alignment.tuned import SHOWN_SAMPLES, TunedLM, frozen_copy, trainable_copy
from core.lm.trained import TrainedLM
from core.progress import ProgressCallback
from core.training import fit
from core.i18n import N_


def train_dpo(sft: TunedLM, preferences: Preferences, windows: Windows, config: DPOConfig = DPOConfig(), *,
              device: torch.device | str = "cpu", progress: ProgressCallback | None = None,
              lora: LoRAConfig | None = None) -> TunedLM:
    """Train a copy of the SFT model on the preference pairs; `windows` gives the evaluation prompts."""
    config.validate()
    device = torch.device(device)
    p = sft.prompt_tokens
    chosen, rejected, _ = (t.to(device) for t in preferences.pairs())  # (M, T) each
    reference = frozen_copy(sft.model, device)
    ref_chosen, ref_rejected = sequence_logprobs(reference, chosen, p), sequence_logprobs(reference, rejected, p)
    model = trainable_copy(sft.model, device)
    adapted = add_lora(model, r=lora.r, alpha=lora.alpha, targets=lora.targets, seed=lora.seed) if lora else None
    eval_prompts = windows.evaluation_prompts(config.eval_prompts)
    generator = torch.Generator().manual_seed(config.seed)
    tuned = TrainedLM(model, sft.tokenizer, sft.lm.config, corpus=sft.lm.corpus)

    def loss_at(step: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        rows = torch.randint(len(chosen), (config.batch_size,), generator=generator).to(device)
        logps = response_logprobs(model, torch.cat([chosen[rows], rejected[rows]]), p).sum(-1)  # (2 b,)
        policy_chosen, policy_rejected = logps.chunk(2)  # (b,) each: the batch is [chosen, rejected]
        losses = dpo_loss(policy_chosen, policy_rejected, ref_chosen[rows], ref_rejected[rows], config.beta)
        reward_chosen = dpo_rewards(policy_chosen.detach(), ref_chosen[rows], config.beta)
        reward_rejected = dpo_rewards(policy_rejected.detach(), ref_rejected[rows], config.beta)
        return losses.mean(), {"reward_accuracy": (reward_chosen > reward_rejected).float().mean(),
                               "reward_margin": (reward_chosen - reward_rejected).mean()}

    def sample(step: int) -> dict[str, float]:
        seen = measure(model, reference, eval_prompts, sft.rule, sft.tokenizer, seed=config.seed,
                       response_tokens=sft.response_tokens)
        tuned.samples.append({"step": step, "texts": seen.texts[:SHOWN_SAMPLES]})
        return {"rule_score": seen.rule_score, "kl": seen.kl, "entropy": seen.entropy, "repetition": seen.repetition,
                "surprise": seen.surprise}

    schedule = config.schedule if lora is None else lora.schedule(config.warmup_steps)
    tuned.history = fit(model, loss_at, steps=config.steps, schedule=schedule, device=device, progress=progress,
                        label=N_("DPO, step {step} of {steps}"), evaluate=sample, eval_interval=config.eval_interval,
                        tokens_per_step=2 * config.batch_size * chosen.shape[1])
    last = tuned.history[-1]
    summary = {"final": {name: last[name] for name in ("rule_score", "kl", "entropy", "reward_accuracy")},
               "beta": config.beta, "pairs": len(chosen)}
    if adapted is not None:
        summary["lora"] = merge_and_check(model, chosen)
    return TunedLM(tuned, sft.rule, "dpo" if lora is None else "lora-dpo", p, sft.response_tokens, summary)
