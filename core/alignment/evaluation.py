"""Measuring what a step of the chain did: the true rule score against the KL from the SFT model,
over one fixed set of held-out prompts and several sampling seeds, with the spread across seeds.

The KL of a policy from the SFT model is estimated from the policy's own samples,
E_y~pi[sum_t log pi(y_t) - log pi_sft(y_t)] (nats per response), as PPO's penalty is. Best-of-n
sampling from the SFT model (pick the reward model's favourite of n samples) has the analytic KL
log n - (n - 1) / n (Stiennon et al. 2020, appendix; Gao et al. 2022, eq. 1), which Gao et al.
use as the x-axis of their over-optimisation curves; it is an upper bound of the true KL.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch

from core.alignment.rules import Rule
from core.alignment.sampling import entropy, sample_responses, token_logprobs
from core.decoding.compare import repeated_ngram_rate

RewardFunction = Callable[[torch.Tensor], torch.Tensor]  # (B, T) sequences -> (B,) rewards


@dataclass(frozen=True)
class Measurement:
    """One model's samples on one set of prompts with one seed."""

    rule_score: float  # mean rule score of the responses
    kl: float  # mean KL from the reference per response, nats (0 for the reference itself)
    entropy: float  # mean next-token entropy along the responses, nats
    repetition: float  # mean share of repeated 4-grams in a response (degenerate text repeats)
    surprise: float  # mean -log p_reference per response token, nats: how far from readable text it strays
    reward: float | None  # mean reward-model score, when one is given
    texts: list[str]  # the responses


@torch.no_grad()
def measure(model, reference, prompts: torch.Tensor, rule: Rule, tokenizer, *, response_tokens: int, seed: int,
            reward: RewardFunction | None = None) -> Measurement:
    """Sample one response per prompt (temperature 1) from `model` and measure it."""
    device = next(model.parameters()).device
    prompts = prompts.to(device)
    responses = sample_responses(model, prompts, response_tokens, seed=seed)  # (N, R)
    sequences = torch.cat([prompts, responses], dim=1)  # (N, P + R)
    logits = model(input_ids=sequences).logits
    logps = token_logprobs(logits, sequences, prompts.shape[1])  # (N, R)
    ref_logps = token_logprobs(reference(input_ids=sequences).logits, sequences, prompts.shape[1])
    texts = [tokenizer.decode(r) for r in responses.tolist()]
    return Measurement(
        rule_score=float(np.mean(rule.scores(texts))), kl=float((logps - ref_logps).sum(-1).mean()),
        entropy=float(entropy(logits[:, prompts.shape[1] - 1:-1]).mean()),
        repetition=float(np.mean([repeated_ngram_rate(r) for r in responses.tolist()])),
        surprise=float(-ref_logps.mean()), reward=float(reward(sequences).mean()) if reward is not None else None,
        texts=texts)


def best_of_n_kl(n: int) -> float:
    """The analytic KL of best-of-n sampling from its base policy: log n - (n - 1) / n."""
    return math.log(n) - (n - 1) / n


@torch.no_grad()
def best_of_n(model, prompts: torch.Tensor, rule: Rule, tokenizer, reward: RewardFunction, *, ns: list[int],
              response_tokens: int, seed: int) -> dict[int, Measurement]:
    """For each n in `ns`: per prompt, the reward model's favourite of the first n of max(ns)
    samples from `model`; its rule score, reward, analytic KL and surprise under `model`."""
    device = next(model.parameters()).device
    most = max(ns)
    repeated = prompts.to(device).repeat_interleave(most, dim=0)  # (N most, P)
    responses = sample_responses(model, repeated, response_tokens, seed=seed)  # (N most, R)
    sequences = torch.cat([repeated, responses], dim=1)  # (N most, P + R)
    rewards = reward(sequences).view(len(prompts), most)  # (N, most)
    surprise = -token_logprobs(model(input_ids=sequences).logits, sequences, prompts.shape[1]).mean(-1)
    scores = torch.tensor(rule.scores([tokenizer.decode(r) for r in responses.tolist()])).view(len(prompts), most)
    candidates = responses.view(len(prompts), most, -1)
    results = {}
    for n in ns:
        best = rewards[:, :n].argmax(-1)  # (N,)
        rows = torch.arange(len(prompts), device=device)
        picked = candidates[rows, best]  # (N, R)
        results[n] = Measurement(
            rule_score=float(scores[rows.cpu(), best.cpu()].mean()), kl=best_of_n_kl(n), entropy=math.nan,
            repetition=float(np.mean([repeated_ngram_rate(r) for r in picked.tolist()])),
            surprise=float(surprise.view(len(prompts), most)[rows, best].mean()),
            reward=float(rewards[rows, best].mean()), texts=[tokenizer.decode(r) for r in picked.tolist()])
    return results


@dataclass(frozen=True)
class EvaluationRow:
    """One method's figures, mean and standard deviation across sampling seeds."""

    method: str  # "SFT", "PPO", "DPO", "best-of-4", ...
    rule_score: float
    rule_score_std: float
    kl: float
    kl_std: float
    reward: float | None
    repetition: float
    surprise: float
    per_seed: list[dict]  # {"seed", "rule_score", "kl", "reward", "repetition", "surprise"}
    examples: list[str]  # the first seed's first few responses

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(method: str, by_seed: dict[int, Measurement], examples: int = 3) -> EvaluationRow:
    """Mean and standard deviation (population, over seeds) of each figure."""
    seeds = sorted(by_seed)
    rule = np.array([by_seed[s].rule_score for s in seeds])
    kl = np.array([by_seed[s].kl for s in seeds])
    rewards = [by_seed[s].reward for s in seeds]
    return EvaluationRow(
        method, float(rule.mean()), float(rule.std()), float(kl.mean()), float(kl.std()),
        float(np.mean(rewards)) if None not in rewards else None,
        float(np.mean([by_seed[s].repetition for s in seeds])), float(np.mean([by_seed[s].surprise for s in seeds])),
        [{"seed": s, "rule_score": by_seed[s].rule_score, "kl": by_seed[s].kl, "reward": by_seed[s].reward,
          "repetition": by_seed[s].repetition, "surprise": by_seed[s].surprise} for s in seeds],
        by_seed[seeds[0]].texts[:examples])


def evaluate(policies: dict[str, torch.nn.Module], reference, prompts: torch.Tensor, rule: Rule, tokenizer, *,
             response_tokens: int, seeds: list[int], reward: RewardFunction, best_of: list[int]) -> list[EvaluationRow]:
    """The comparison table: each policy (the reference, SFT, among them) at its KL from the
    reference, then best-of-n from the reference for each n, all on `prompts` x `seeds`."""
    rows = [summarise(name, {seed: measure(model, reference, prompts, rule, tokenizer, seed=seed, reward=reward,
                                           response_tokens=response_tokens) for seed in seeds})
            for name, model in policies.items()]
    by_seed = {seed: best_of_n(reference, prompts, rule, tokenizer, reward, ns=best_of, seed=seed,
                               response_tokens=response_tokens) for seed in seeds}
    rows += [summarise(f"best-of-{n}", {seed: by_seed[seed][n] for seed in seeds}) for n in best_of]
    return rows
