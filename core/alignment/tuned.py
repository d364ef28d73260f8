"""A language model after a step of the chain (SFT, PPO, DPO, LoRA), with its rule and record.

It wraps the playground's `TrainedLM` (model, tokenizer, config; `history` holds the step's
curves and `samples` its samples along the way), so every page that shows a language model can
show a tuned one, and saving reuses `TrainedLM`'s safetensors + JSON form.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch

from core.alignment.rules import Rule, rule_from_dict
from core.lm.trained import TrainedLM

SHOWN_SAMPLES = 4  # samples kept per checkpoint (and before/after) for the page


@dataclass
class TunedLM:
    lm: TrainedLM  # the tuned model; lm.history: the curves, lm.samples: samples along the way
    rule: Rule  # the preference it was tuned towards
    stage: str  # "sft", "ppo", "dpo", "lora-sft", "lora-dpo"
    prompt_tokens: int
    response_tokens: int
    summary: dict = field(default_factory=dict)  # headline figures and before/after samples, plain data

    @property
    def model(self):
        return self.lm.model

    @property
    def tokenizer(self):
        return self.lm.tokenizer

    def to_artifact(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors, data = self.lm.to_artifact()
        data["tuned"] = {"rule": self.rule.as_dict(), "stage": self.stage, "prompt_tokens": self.prompt_tokens,
                         "response_tokens": self.response_tokens, "summary": self.summary}
        return tensors, data

    @classmethod
    def from_artifact(cls, tensors: dict[str, torch.Tensor], data: dict) -> "TunedLM":
        tuned = data["tuned"]
        return cls(TrainedLM.from_artifact(tensors, data), rule_from_dict(tuned["rule"]), tuned["stage"],
                   tuned["prompt_tokens"], tuned["response_tokens"], tuned["summary"])


def trainable_copy(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """A copy of `model` on `device` to fine-tune, leaving the cached original untouched."""
    return copy.deepcopy(model).to(device).train()


def frozen_copy(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """A copy on `device` in eval mode with gradients off: the reference model of PPO and DPO."""
    frozen = copy.deepcopy(model).to(device).eval()
    frozen.requires_grad_(False)
    return frozen
