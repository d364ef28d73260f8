"""Low-rank adapters (LoRA, Hu et al. 2021): W x + (alpha / r) B A x, with W frozen.

A is (r, in) and starts random (Kaiming-uniform, as PEFT does), B is (out, r) and starts at zero,
so an adapted model starts as the model itself. Only A and B train; `merge_lora` folds
(alpha / r) B A into W, giving a plain model with no extra cost at inference and the same
outputs. GPT-2's projections are `transformers`' `Conv1D` (the weight stored (in, out)): the
product is transposed for them, as PEFT's `fan_in_fan_out=True` does. Equal to PEFT's
`merge_and_unload` for the same adapter values (tested). Deliberately left out: dropout on the
adapter input (PEFT's default is none too), adapters on embeddings, several adapters at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from transformers.pytorch_utils import Conv1D

from core.errors import InvalidSetting, require
from core.memory.accounting import Memory, model_memory

CHECKED = 16  # sequences on which merged and adapted logits are compared


class LoRALinear(nn.Module):
    """A frozen `nn.Linear` (or GPT-2 `Conv1D`) plus a trainable rank-r update."""

    def __init__(self, base: nn.Linear | Conv1D, *, r: int, alpha: float, generator: torch.Generator):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.transposed = isinstance(base, Conv1D)  # Conv1D keeps its weight as (in, out)
        n_in, n_out = base.weight.shape if self.transposed else base.weight.shape[::-1]
        self.scale = alpha / r
        a = torch.empty(r, n_in)
        nn.init.kaiming_uniform_(a, a=math.sqrt(5), generator=generator)
        self.lora_A = nn.Parameter(a.to(base.weight.device))  # (r, in)
        self.lora_B = nn.Parameter(torch.zeros(n_out, r, device=base.weight.device))  # (out, r)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = (x @ self.lora_A.T) @ self.lora_B.T  # (..., in) -> (..., r) -> (..., out)
        return self.base(x) + self.scale * update

    def delta(self) -> torch.Tensor:
        """(alpha / r) B A, laid out as the base weight is: (out, in), or (in, out) for Conv1D."""
        product = self.scale * (self.lora_B @ self.lora_A)  # (out, in)
        return product.T if self.transposed else product

    def merged(self) -> nn.Module:
        """The base layer with the update folded into its weight."""
        with torch.no_grad():
            self.base.weight += self.delta()
        return self.base.requires_grad_(True)


def _linears(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The linear layers an adapter may wrap: not the output head, which GPT-2 ties to the
    embedding (merging into it would change the embedding too)."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    return [(name, module) for name, module in model.named_modules()
            if isinstance(module, (nn.Linear, Conv1D)) and name and module is not head]


def linear_names(model: nn.Module) -> list[str]:
    """The distinct last names of the model's adaptable linear layers (what `targets` may name)."""
    return sorted({name.rsplit(".", 1)[-1] for name, _ in _linears(model)})


def add_lora(model: nn.Module, *, r: int, alpha: float, targets: tuple[str, ...] | list[str],
             seed: int = 0) -> nn.Module:
    """Freeze every weight of `model` and wrap each linear layer whose name ends in one of
    `targets` (e.g. "q_proj", "v_proj" for Llama; "c_attn" for GPT-2) in a `LoRALinear`.
    Returns the same model, changed in place."""
    require(isinstance(r, int) and not isinstance(r, bool) and r > 0, "r must be a positive whole number, not "
            "{r!r}.", r=r)
    require(alpha > 0, "alpha must be positive, not {alpha}.", alpha=alpha)
    available = linear_names(model)
    unknown = sorted(set(targets) - set(available))
    if not targets or unknown:
        raise InvalidSetting("targets must name linear layers of this model ({available}), not {unknown}.",
                             available=", ".join(available), unknown=", ".join(unknown) or "nothing")
    model.requires_grad_(False)
    generator = torch.Generator().manual_seed(seed)
    chosen = [name for name, _ in _linears(model) if name.rsplit(".", 1)[-1] in targets]
    for name in chosen:
        parent, _, child = name.rpartition(".")
        holder = model.get_submodule(parent)
        setattr(holder, child, LoRALinear(getattr(holder, child), r=r, alpha=alpha, generator=generator))
    return model


def lora_layers(model: nn.Module) -> list[tuple[str, LoRALinear]]:
    return [(name, module) for name, module in model.named_modules() if isinstance(module, LoRALinear)]


def merge_lora(model: nn.Module) -> nn.Module:
    """Fold every adapter into its weight; returns the same model, plain (every weight trainable)."""
    for name, layer in lora_layers(model):
        parent, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent), child, layer.merged())
    return model.requires_grad_(True)


@dataclass(frozen=True)
class LoRAFootprint:
    """Trainable parameters and training memory of full fine-tuning against LoRA, in the memory
    page's accounting (`core.memory.accounting.model_memory`: mixed precision, AdamW)."""

    parameters: int  # every parameter of the model
    trainable: int  # the adapters' parameters
    full: Memory  # full fine-tuning: 2 + 2 + 12 bytes per parameter
    lora: Memory  # LoRA: bf16 weights for all, gradients and AdamW state for the adapters only

    @property
    def trainable_share(self) -> float:
        return self.trainable / self.parameters

    def as_dict(self) -> dict:
        return {"parameters": self.parameters, "trainable": self.trainable, "trainable_share": self.trainable_share,
                "full": self.full.__dict__, "lora": self.lora.__dict__,
                "full_total": self.full.total, "lora_total": self.lora.total}


def footprint(model: nn.Module) -> LoRAFootprint:
    """Of a model with adapters (before merging)."""
    adapters = sum(layer.lora_A.numel() + layer.lora_B.numel() for _, layer in lora_layers(model))
    base = sum(p.numel() for p in model.parameters()) - adapters
    trained = model_memory(adapters, training=True)
    lora = Memory(model_memory(base + adapters, dtype="bf16").weights, trained.gradients, trained.optimizer)
    return LoRAFootprint(base, adapters, model_memory(base, training=True), lora)


@torch.no_grad()
def merge_and_check(model: nn.Module, check: torch.Tensor) -> dict:
    """Merge the adapters of a fine-tuned model into its weights; report the footprint and how
    far the merged model's logits are from the adapted model's on the first `CHECKED` of `check`
    (B, T): float rounding only, as B A is added to W once instead of applied at every call."""
    model.eval()
    check = check[:CHECKED]
    adapted = model(input_ids=check).logits
    size = footprint(model)
    merge_lora(model)
    return {**size.as_dict(), "merge_max_abs_difference": float((model(input_ids=check).logits - adapted).abs().max())}
