"""The settings of each step of the chain: frozen dataclasses with a comment on every default.

The defaults are sized so that SFT, the reward model, PPO and DPO together train in a few minutes
on a 2-core CPU on the playground's default language model (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from core.errors import require
from core.training import Schedule


def _check_counts(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        require(isinstance(value, int) and not isinstance(value, bool) and value > 0,
                "{name} must be a positive whole number, not {value!r}.", name=name, value=value)


def _check_rates(config: Any, *names: str) -> None:
    for name in names:
        value = getattr(config, name)
        require(isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0,
                "{name} must be a positive number, not {value!r}.", name=name, value=value)


class _Config:
    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        names = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class SFTConfig(_Config):
    """Supervised fine-tuning on demonstrations (InstructGPT step 1)."""

    steps: int = 150  # optimiser steps; the loss on demonstrations levels off by then
    batch_size: int = 32  # prompt/response pairs per step
    learning_rate: float = 1e-3  # a third of pre-training's peak: fine-tuning, not learning from scratch
    warmup_steps: int = 10
    demonstrations: int = 6000  # the continuations the rule scores highest (a sixth of the corpus: good, not perfect)
    prompt_tokens: int = 24  # context before each response (the end of a line of the play)
    response_tokens: int = 40  # every response has this many tokens; prompt + response must fit the context
    eval_prompts: int = 64  # fixed held-out prompts sampled before, during and after
    eval_interval: int = 50  # steps between samples
    seed: int = 0

    def validate(self, block_size: int) -> "SFTConfig":
        _check_counts(self, "steps", "batch_size", "demonstrations", "prompt_tokens", "response_tokens",
                      "eval_prompts", "eval_interval")
        _check_rates(self, "learning_rate")
        require(self.prompt_tokens + self.response_tokens <= block_size,
                "prompt_tokens + response_tokens ({total}) must fit the model's context of {block} tokens.",
                total=self.prompt_tokens + self.response_tokens, block=block_size)
        return self

    @property
    def schedule(self) -> Schedule:
        return Schedule(learning_rate=self.learning_rate, warmup_steps=self.warmup_steps)


@dataclass(frozen=True)
class PreferenceConfig(_Config):
    """K sampled responses per prompt ranked by the rule (InstructGPT step 2's data)."""

    k: int = 4  # responses ranked per prompt, 4 to 9 as InstructGPT's labellers ranked
    prompts: int = 384  # prompts ranked
    held_out: int = 64  # of them kept aside to measure the reward model
    seed: int = 0

    def validate(self) -> "PreferenceConfig":
        _check_counts(self, "k", "prompts", "held_out")
        require(4 <= self.k <= 9, "k must be between 4 and 9 (InstructGPT's range), not {k}.", k=self.k)
        require(self.held_out < self.prompts, "held_out ({held}) must be fewer than prompts ({prompts}).",
                held=self.held_out, prompts=self.prompts)
        return self


@dataclass(frozen=True)
class RewardConfig(_Config):
    """The reward model: the SFT model with a scalar head, trained on the rankings."""

    steps: int = 150  # optimiser steps
    batch_groups: int = 8  # prompts per step, each with all K responses (K-choose-2 pairs)
    learning_rate: float = 1e-3
    warmup_steps: int = 10
    seed: int = 0

    def validate(self) -> "RewardConfig":
        _check_counts(self, "steps", "batch_groups")
        _check_rates(self, "learning_rate")
        return self

    @property
    def schedule(self) -> Schedule:
        return Schedule(learning_rate=self.learning_rate, warmup_steps=self.warmup_steps)


@dataclass(frozen=True)
class PPOConfig(_Config):
    """RLHF with PPO against the reward model, with a KL penalty to the SFT model."""

    beta: float = 0.05  # per-token KL penalty coefficient; 0 lets the policy chase the reward model
    rollouts: int = 40  # rounds of sample -> score -> optimise
    batch_size: int = 64  # prompts sampled per rollout
    ppo_epochs: int = 4  # passes over each rollout
    minibatches: int = 2  # optimiser steps per pass
    learning_rate: float = 3e-4
    clip: float = 0.2  # the policy ratio's clip range (Schulman et al. 2017)
    value_clip: float = 0.2  # the value prediction's clip range around its rollout value
    vf_coef: float = 0.1  # weight of the value loss (TRL's default)
    gamma: float = 1.0  # no discount: the reward arrives at the last token
    lam: float = 0.95  # GAE's bias-variance knob (Schulman et al. 2016)
    ptx_coef: float = 0.0  # PPO-ptx: weight of the pre-training loss mixed in (InstructGPT); 0 is off
    sample_every: int = 5  # rollouts between recorded samples
    seed: int = 0

    def validate(self) -> "PPOConfig":
        _check_counts(self, "rollouts", "batch_size", "ppo_epochs", "minibatches", "sample_every")
        _check_rates(self, "learning_rate", "clip", "value_clip")
        require(self.beta >= 0, "beta must be 0 or more, not {beta}.", beta=self.beta)
        require(self.ptx_coef >= 0, "ptx_coef must be 0 or more, not {value}.", value=self.ptx_coef)
        require(self.vf_coef >= 0, "vf_coef must be 0 or more, not {value}.", value=self.vf_coef)
        require(0 <= self.gamma <= 1 and 0 <= self.lam <= 1, "gamma and lam must be between 0 and 1, not "
                "{gamma} and {lam}.", gamma=self.gamma, lam=self.lam)
        require(self.batch_size % self.minibatches == 0, "batch_size ({batch}) must divide into {minibatches} "
                "minibatches.", batch=self.batch_size, minibatches=self.minibatches)
        return self

    @property
    def steps(self) -> int:
        """Optimiser steps in all."""
        return self.rollouts * self.ppo_epochs * self.minibatches

    @property
    def schedule(self) -> Schedule:
        return Schedule(learning_rate=self.learning_rate, warmup_steps=0, min_lr_ratio=1.0)


@dataclass(frozen=True)
class DPOConfig(_Config):
    """Direct Preference Optimisation on the same ranked pairs, the SFT model as reference."""

    beta: float = 0.1  # strength of the implicit KL constraint (Rafailov et al. 2023)
    steps: int = 150
    batch_size: int = 32  # preference pairs per step
    learning_rate: float = 3e-4
    warmup_steps: int = 10
    eval_interval: int = 25  # steps between samples (rule score and KL curves)
    eval_prompts: int = 64
    seed: int = 0

    def validate(self) -> "DPOConfig":
        _check_counts(self, "steps", "batch_size", "eval_interval", "eval_prompts")
        _check_rates(self, "learning_rate", "beta")
        return self

    @property
    def schedule(self) -> Schedule:
        return Schedule(learning_rate=self.learning_rate, warmup_steps=self.warmup_steps)


@dataclass(frozen=True)
class LoRAConfig(_Config):
    """Rank-r adapters on chosen projections (Hu et al. 2021)."""

    r: int = 4  # rank of B A
    alpha: float = 8.0  # the update is scaled by alpha / r
    targets: tuple[str, ...] = ("q_proj", "v_proj")  # Llama's query and value projections, as Hu et al.; GPT-2: c_attn
    learning_rate: float = 3e-3  # adapters start at zero and need a larger rate than full fine-tuning
    seed: int = 0

    def validate(self) -> "LoRAConfig":
        _check_counts(self, "r")
        _check_rates(self, "alpha", "learning_rate")
        require(len(self.targets) > 0, "targets must name at least one projection, such as 'q_proj'.")
        return self

    def schedule(self, warmup_steps: int) -> Schedule:
        """The fine-tuning's schedule at the adapters' learning rate."""
        return Schedule(learning_rate=self.learning_rate, warmup_steps=warmup_steps)


@dataclass(frozen=True)
class EvalConfig(_Config):
    """The comparison of SFT, PPO, DPO and best-of-n on fixed prompts and seeds."""

    prompts: int = 64  # held-out prompts, the same for every method
    seeds: tuple[int, ...] = (0, 1, 2)  # sampling seeds; the spread across them is reported
    best_of: tuple[int, ...] = (1, 2, 4, 8, 16)  # n for best-of-n sampling from the SFT model

    def validate(self) -> "EvalConfig":
        _check_counts(self, "prompts")
        require(len(self.seeds) > 0 and len(self.best_of) > 0 and all(n > 0 for n in self.best_of),
                "seeds and best_of must each hold at least one value, and every n must be positive.")
        return self
