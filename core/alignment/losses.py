"""The losses of the alignment chain, each written as its paper writes it and as TRL computes it.

- `pairwise_ranking_loss`: InstructGPT's reward-model loss (Ouyang et al. 2022, eq. 1): for K
  ranked responses to one prompt, the mean over the K-choose-2 pairs of -log sigma(r_i - r_j),
  i ranked above j. With K = 2 it is TRL's `RewardTrainer` loss (no margin, no centring term).
- `dpo_loss`: Rafailov et al. 2023, eq. 7; TRL's `DPOTrainer` with `loss_type="sigmoid"`,
  `f_divergence_type="reverse_kl"` and no label smoothing.
- `gae`: generalised advantage estimation (Schulman et al. 2016, eq. 16) with the value after
  the last step taken as 0, as TRL's `PPOTrainer` loop does.
- `ppo_policy_loss`, `ppo_value_loss`: the clipped surrogate (Schulman et al. 2017, eq. 7, negated
  to be minimised) and the clipped value loss of OpenAI's baselines, both as TRL's `PPOTrainer`
  computes them, averaged over every response token (responses here have a fixed length, so no
  padding mask is needed).
- `whiten`: TRL's `masked_whiten` without a mask (unbiased variance, epsilon 1e-8).

The tests run TRL 0.29.1's own lines on the same tensors and require equal results.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.errors import require


def pairwise_ranking_loss(scores: torch.Tensor) -> torch.Tensor:
    """scores: (B, K) rewards of K responses per prompt, best first -> (B,) loss per prompt.

    Averaging over the pairs of one prompt (rather than treating each pair as its own example)
    is InstructGPT's fix for overfitting: every comparison of a prompt shares one batch element."""
    require(isinstance(scores, torch.Tensor) and scores.dim() == 2 and scores.shape[1] >= 2,
            "scores must be a (batch, K) tensor with K of 2 or more, not shape {shape}.",
            shape=tuple(getattr(scores, "shape", ())))
    above, below = torch.triu_indices(scores.shape[1], scores.shape[1], offset=1, device=scores.device)
    margins = scores[:, above] - scores[:, below]  # (B, K(K-1)/2): r_i - r_j for i ranked above j
    return -F.logsigmoid(margins).mean(dim=-1)


def dpo_loss(policy_chosen_logps: torch.Tensor, policy_rejected_logps: torch.Tensor, ref_chosen_logps: torch.Tensor,
             ref_rejected_logps: torch.Tensor, beta: float) -> torch.Tensor:
    """Per pair, -log sigma(beta ((pi_c - ref_c) - (pi_r - ref_r))); each argument (B,) holds
    log-probabilities summed over the response tokens. Returns (B,)."""
    require(beta > 0, "beta must be positive, not {beta}: it sets how far DPO may move from the reference.",
            beta=beta)
    shapes = {tuple(t.shape) for t in (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps,
                                       ref_rejected_logps)}
    require(len(shapes) == 1, "The four log-probability tensors must have one shape, not {shapes}.",
            shapes=sorted(shapes))
    chosen = policy_chosen_logps - ref_chosen_logps  # (B,) log-ratio of the preferred response
    rejected = policy_rejected_logps - ref_rejected_logps  # (B,)
    return -F.logsigmoid(beta * (chosen - rejected))


def dpo_rewards(policy_logps: torch.Tensor, ref_logps: torch.Tensor, beta: float) -> torch.Tensor:
    """DPO's implicit reward beta (log pi - log ref) of a response (what TRL logs as rewards/chosen)."""
    return beta * (policy_logps - ref_logps)


def gae(rewards: torch.Tensor, values: torch.Tensor, *, gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """rewards, values: (B, T) -> (advantages, returns), both (B, T).

    delta_t = r_t + gamma V_{t+1} - V_t with V_T = 0; A_t = delta_t + gamma lam A_{t+1};
    returns = A + V (the value targets)."""
    require(rewards.dim() == 2 and rewards.shape == values.shape,
            "rewards and values must both be (batch, steps) tensors of one shape, not {a} and {b}.",
            a=tuple(rewards.shape), b=tuple(values.shape))
    require(0 <= gamma <= 1, "gamma must be between 0 and 1, not {gamma}.", gamma=gamma)
    require(0 <= lam <= 1, "lam must be between 0 and 1, not {lam}.", lam=lam)
    steps = rewards.shape[1]
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])  # (B,)
    for t in reversed(range(steps)):
        next_value = values[:, t + 1] if t + 1 < steps else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]  # (B,)
        running = delta + gamma * lam * running
        advantages[:, t] = running
    return advantages, advantages + values


def whiten(values: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit variance over every element (TRL's `masked_whiten` with a full mask)."""
    return (values - values.mean()) * torch.rsqrt(values.var() + 1e-8)


def ppo_policy_loss(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                    clip: float) -> tuple[torch.Tensor, torch.Tensor]:
    """All (B, T). Mean of max(-A ratio, -A clip(ratio, 1 - clip, 1 + clip)), and the fraction of
    tokens where the clipped term was the larger (TRL's `policy/clipfrac`)."""
    require(clip > 0, "clip must be positive, not {clip}.", clip=clip)
    ratio = torch.exp(logprobs - old_logprobs)  # (B, T) pi_new / pi_old per token
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip, 1.0 + clip)
    return torch.max(unclipped, clipped).mean(), (clipped > unclipped).float().mean()


def ppo_value_loss(values: torch.Tensor, old_values: torch.Tensor, returns: torch.Tensor,
                   clip: float) -> torch.Tensor:
    """All (B, T). 0.5 mean of max((V - R)^2, (clip(V, V_old - clip, V_old + clip) - R)^2)."""
    require(clip > 0, "value_clip must be positive, not {clip}.", clip=clip)
    clipped = torch.clamp(values, old_values - clip, old_values + clip)
    return 0.5 * torch.max(torch.square(values - returns), torch.square(clipped - returns)).mean()
