"""The reward model: the SFT model with its unembedding replaced by a scalar head, trained on K
ranked responses per prompt with InstructGPT's pairwise ranking loss (Ouyang et al. 2022, eq. 1;
Stiennon et al. 2020).

The reward of a sequence is the head applied to the last token's final hidden state, as
`transformers`' `...ForSequenceClassification` (which TRL's `RewardTrainer` trains) reads it.
After training the head's bias and scale are set so that the rewards of the SFT model's own
samples (the training responses) have mean 0 and variance 1 (Ziegler et al. 2019, whose
normalisation Stiennon et al. and InstructGPT keep in spirit: they only shift to mean 0). A fixed
scale makes PPO's KL coefficient mean the same thing whatever the reward model learned.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn
from transformers import AutoConfig, AutoModel

from core.alignment.configs import RewardConfig
from core.alignment.data import Preferences
from core.alignment.losses import pairwise_ranking_loss
from core.lm.model import load_saved_state, state_for_saving
from core.progress import ProgressCallback
from core.seeding import seeded
from core.training import fit
from core.i18n import N_


class RewardModel(nn.Module):
    """A language model's transformer (no unembedding) and a linear head to one number."""

    def __init__(self, trunk: nn.Module, head: nn.Linear):
        super().__init__()
        self.trunk = trunk
        self.head = head

    @classmethod
    def from_lm(cls, lm_model, seed: int = 0) -> "RewardModel":
        """The trunk of a causal LM (copied) under a fresh scalar head (std 1 / sqrt(width + 1),
        Stiennon et al.'s initialisation)."""
        trunk = copy.deepcopy(lm_model.base_model)
        width = lm_model.config.hidden_size
        with seeded(seed):
            head = nn.Linear(width, 1)
            nn.init.normal_(head.weight, std=1 / np.sqrt(width + 1))
            nn.init.zeros_(head.bias)
        return cls(trunk, head.to(next(trunk.parameters()).device))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B, T) prompt + response ids -> (B,) rewards."""
        hidden = self.trunk(input_ids=input_ids).last_hidden_state  # (B, T, E)
        return self.head(hidden[:, -1].float()).squeeze(-1)  # (B,)

    @torch.no_grad()
    def score(self, sequences: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """Rewards of many sequences, in batches, without a gradient."""
        device = next(self.parameters()).device
        return torch.cat([self(sequences[i:i + batch_size].to(device)) for i in range(0, len(sequences), batch_size)])

    @torch.no_grad()
    def normalise(self, sequences: torch.Tensor) -> None:
        """Rescale the head so the rewards of `sequences` have mean 0 and standard deviation 1."""
        rewards = self.score(sequences)
        scale = 1 / rewards.std().clamp_min(1e-6)
        self.head.weight.mul_(scale)
        self.head.bias.sub_(rewards.mean()).mul_(scale)

    def to_artifact(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors = {f"trunk.{k}": v for k, v in state_for_saving(self.trunk).items()}
        tensors.update({"head.weight": self.head.weight.detach(), "head.bias": self.head.bias.detach()})
        return tensors, {"hf_config": self.trunk.config.to_dict()}

    @classmethod
    def from_artifact(cls, tensors: dict[str, torch.Tensor], data: dict) -> "RewardModel":
        trunk = AutoModel.from_config(AutoConfig.for_model(**data["hf_config"]))
        load_saved_state(trunk, {k.removeprefix("trunk."): v for k, v in tensors.items() if k.startswith("trunk.")})
        head = nn.Linear(trunk.config.hidden_size, 1)
        head.load_state_dict({"weight": tensors["head.weight"], "bias": tensors["head.bias"]})
        return cls(trunk, head).eval()


@dataclass
class RewardResult:
    model: RewardModel
    history: list[dict] = field(default_factory=list)  # step, train_loss, lr, pair_accuracy, agreement
    summary: dict = field(default_factory=dict)  # held-out figures and the reward/rule scatter


def held_out_figures(model: RewardModel, preferences: Preferences) -> dict:
    """Pair accuracy on held-out pairs the rule really ordered (coin-flip ties left out), and the
    Spearman correlation of reward and rule score over every held-out response."""
    chosen, rejected, strict = preferences.pairs(held_out=True)
    right = model.score(chosen[strict]) > model.score(rejected[strict])
    groups = torch.arange(preferences.trained, len(preferences.prompts))
    rewards = model.score(preferences.sequences(groups).flatten(0, 1)).cpu()
    scores = preferences.scores[groups].flatten()
    agreement = spearmanr(rewards.numpy(), scores.numpy()).statistic if scores.std() > 0 else float("nan")
    return {"pair_accuracy": float(right.float().mean()) if len(right) else float("nan"),
            "agreement": float(agreement), "pairs_held_out": int(strict.sum()),
            "scatter": {"reward": rewards.tolist(), "rule_score": scores.tolist()}}


def train_reward(lm_model, preferences: Preferences, config: RewardConfig = RewardConfig(), *,
                 device: torch.device | str = "cpu", progress: ProgressCallback | None = None) -> RewardResult:
    """Train a reward model from `lm_model` (the SFT model) on the ranked groups."""
    config.validate()
    device = torch.device(device)
    model = RewardModel.from_lm(lm_model, config.seed).to(device).train()
    generator = torch.Generator().manual_seed(config.seed)
    k = preferences.k

    def loss_at(step: int) -> torch.Tensor:
        groups = torch.randint(preferences.trained, (config.batch_groups,), generator=generator)
        sequences = preferences.sequences(groups).flatten(0, 1).to(device)  # (G K, T), best first per group
        rewards = model(sequences).view(config.batch_groups, k)  # (G, K)
        return pairwise_ranking_loss(rewards).mean()

    def check(step: int) -> dict[str, float]:
        figures = held_out_figures(model, preferences)
        return {"pair_accuracy": figures["pair_accuracy"], "agreement": figures["agreement"]}

    history = fit(model, loss_at, steps=config.steps, schedule=config.schedule, device=device, progress=progress,
                  label=N_("reward model, step {step} of {steps}"), evaluate=check, eval_interval=max(1, config.steps // 6))
    model.normalise(preferences.sequences(torch.arange(preferences.trained)).flatten(0, 1))
    model.eval()
    return RewardResult(model, history, held_out_figures(model, preferences))
