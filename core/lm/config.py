"""The configuration of a tiny language model and its training run."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

import torch

from core.errors import require
from core.training import Schedule

ARCHITECTURES = ("llama", "gpt2")


@dataclass(frozen=True)
class LMConfig:
    """Model shape and training settings. Defaults are tuned to train in about a minute on a 2-core
    CPU: a Llama-style model of 0.8M parameters reaches a validation loss under 2.0 nats per
    character on Tiny Shakespeare in 350 steps (see docs/benchmarks.md)."""

    arch: str = "llama"  # "llama" (RoPE, RMSNorm, SwiGLU, grouped KV heads) or "gpt2" (learned positions, LayerNorm, GELU)
    n_layer: int = 4  # transformer blocks
    n_head: int = 4  # query heads per block
    n_kv_head: int | None = None  # llama only: key/value heads (None = n_head: MHA; 1: MQA; between: GQA)
    n_embd: int = 128  # width of the residual stream
    block_size: int = 64  # context length in tokens
    dropout: float = 0.0  # a model trained for a minute underfits: dropout would only slow it
    batch_size: int = 32  # sequences per step
    learning_rate: float = 3e-3  # peak; tiny models tolerate (and need) a high rate
    min_lr_ratio: float = 0.1  # cosine decay ends at this fraction of the peak
    warmup_steps: int = 50  # linear warm-up, so the first noisy steps do not blow up Adam's moments
    weight_decay: float = 0.1  # on weight matrices only, not on norms and biases
    grad_clip: float = 1.0  # global gradient-norm clip
    eval_interval: int = 50  # steps between validation measurements
    eval_batches: int = 8  # batches per validation measurement
    sample_interval: int = 100  # steps between generated samples
    snapshot_interval: int = 50  # steps between attention snapshots ("heads forming")
    seed: int = 0  # initialisation, batch order and samples

    @property
    def kv_heads(self) -> int:
        return self.n_head if self.n_kv_head is None or self.arch == "gpt2" else self.n_kv_head

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def replace(self, **changes) -> "LMConfig":
        return dataclasses.replace(self, **changes)

    @property
    def schedule(self) -> Schedule:
        """The optimiser settings for `core.training`."""
        return Schedule(learning_rate=self.learning_rate, min_lr_ratio=self.min_lr_ratio,
                        warmup_steps=self.warmup_steps, weight_decay=self.weight_decay, grad_clip=self.grad_clip)

    def validate(self) -> "LMConfig":
        """Raise `InvalidSetting` naming the setting and the fix; return self when consistent."""
        require(self.arch in ARCHITECTURES, "arch must be one of {choices}, not {arch!r}.",
                choices=", ".join(ARCHITECTURES), arch=self.arch)
        for name in ("n_layer", "n_head", "n_embd", "block_size", "batch_size", "eval_interval", "eval_batches"):
            value = getattr(self, name)
            require(isinstance(value, int) and not isinstance(value, bool) and value > 0,
                    "{name} must be a positive whole number, not {value!r}.", name=name, value=value)
        require(self.n_embd % self.n_head == 0,
                "n_embd ({n_embd}) must be divisible by n_head ({n_head}): try n_embd = {suggestion}.",
                n_embd=self.n_embd, n_head=self.n_head,
                suggestion=self.n_head * max(1, round(self.n_embd / self.n_head)))
        require(self.head_dim % 2 == 0 or self.arch == "gpt2", "RoPE needs an even head size (n_embd / n_head).")
        kv = self.kv_heads
        require(isinstance(kv, int) and 0 < kv <= self.n_head and self.n_head % kv == 0,
                "n_kv_head ({n_kv_head}) must divide n_head ({n_head}): choose one of {choices}.",
                n_kv_head=self.n_kv_head, n_head=self.n_head,
                choices=[d for d in range(1, self.n_head + 1) if self.n_head % d == 0])
        require(self.block_size <= 2048, "block_size {block_size} is too long for a tiny model: use at most 2048.",
                block_size=self.block_size)
        require(0.0 <= self.dropout < 1.0, "dropout must be in [0, 1), not {dropout}.", dropout=self.dropout)
        require(self.learning_rate > 0, "learning_rate must be positive, not {learning_rate}.",
                learning_rate=self.learning_rate)
        return self

    def parameter_count(self, vocab_size: int) -> int:
        """Parameters of the model this config builds (embeddings tied for GPT-2, untied for Llama)."""
        e, l = self.n_embd, self.n_layer
        if self.arch == "gpt2":
            per_layer = 4 * e + (3 * e * e + 3 * e) + (e * e + e) + (8 * e * e + 5 * e)
            return vocab_size * e + self.block_size * e + l * per_layer + 2 * e
        kv_dim = self.kv_heads * self.head_dim
        hidden = intermediate_size(e)
        per_layer = 2 * e + e * e + 2 * e * kv_dim + e * e + 3 * e * hidden
        return 2 * vocab_size * e + l * per_layer + e

    def matmul_parameters(self, vocab_size: int) -> int:
        """The parameters each token is multiplied by: all but the tables that are only looked up
        (learned positions; the token embedding when it is not also the output layer). The N of
        the 6N training FLOPs per token: Kaplan et al. (2020) leave embeddings out, and the output
        layer's product, which grows with the vocabulary, is counted."""
        lookups = self.block_size * self.n_embd if self.arch == "gpt2" else vocab_size * self.n_embd
        return self.parameter_count(vocab_size) - lookups

    def training_bytes(self, vocab_size: int) -> int:
        """An upper estimate of training memory: fp32 weights, gradients and two Adam moments
        (16 bytes per parameter), plus activations kept for the backward pass."""
        tokens = self.batch_size * self.block_size
        activations = tokens * self.n_layer * (16 * self.n_embd + 2 * self.n_head * self.block_size) * 4
        logits = 3 * tokens * vocab_size * 4
        return 16 * self.parameter_count(vocab_size) + activations + logits

    def check_fits(self, vocab_size: int, available_bytes: int | None = None,
                   device: torch.device | str = "cpu") -> None:
        """Refuse, with the estimate, a run that would not fit in half the device's free memory."""
        available = available_bytes if available_bytes is not None else available_memory(torch.device(device))
        need = self.training_bytes(vocab_size)
        require(need <= available / 2,
                "This model would need about {need:.1f} GiB to train, more than half of the {available:.1f} GiB "
                "available. Use fewer layers, a narrower model, a shorter context or a smaller batch.",
                need=need / 2**30, available=available / 2**30)


def intermediate_size(n_embd: int) -> int:
    """SwiGLU's hidden width: 8/3 of the model width (keeping the MLP's parameters as GELU's 4x),
    rounded to a multiple of 8."""
    return max(8, int(8 * n_embd / 3) // 8 * 8)


def available_memory(device: torch.device) -> int:
    """Free bytes on the device: the GPU's free memory, or the host's available RAM."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30
