"""One training loop: optimiser, schedule, clipping, progress, cancel, evaluation, on any device.

Every model trained by gradient descent here (language models, the masked model, toy-task models,
the anatomy variants, the fine-tuning and alignment steps) goes through `Trainer`: AdamW with
weight decay on matrices only, a linear warm-up then cosine decay to `min_lr_ratio` of the peak
(nanoGPT's schedule), global gradient-norm clipping. `fit` is the loop for models whose step is
"compute a loss, take one optimiser step"; PPO, which takes several optimiser steps per rollout,
drives a `Trainer` itself.

The device is given, never guessed. On a GPU the loop does not wait for the device at every step:
losses stay on the device and are read every `SYNC_EVERY_CUDA` steps (`float(loss)` per step
would stall the queue of kernels); on the CPU, where reading costs nothing, every step, so a
cancel is seen at once. bf16 autocast is used on CUDA devices that support it.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import torch

from core.errors import require
from core.progress import Progress, ProgressCallback
from core.i18n import N_

SYNC_EVERY_CUDA = 10  # steps between reads of the loss on a GPU (progress, cancel, divergence)
LossResult = torch.Tensor | tuple[torch.Tensor, dict[str, torch.Tensor | float]]


@dataclass(frozen=True)
class Schedule:
    """Optimiser and learning-rate schedule; the defaults suit the playground's tiny models."""

    learning_rate: float = 3e-3  # peak; tiny models tolerate (and need) a high rate
    min_lr_ratio: float = 0.1  # cosine decay ends at this fraction of the peak
    warmup_steps: int = 50  # linear warm-up, so the first noisy steps do not blow up Adam's moments
    weight_decay: float = 0.1  # on weight matrices only, not on norms and biases
    grad_clip: float = 1.0  # global gradient-norm clip (0: none)
    beta2: float = 0.95  # Adam's second-moment decay (nanoGPT's); beta1 is 0.9

    def validate(self) -> "Schedule":
        require(self.learning_rate > 0, "learning_rate must be positive, not {value}.", value=self.learning_rate)
        require(0 <= self.min_lr_ratio <= 1, "min_lr_ratio must be between 0 and 1, not {value}.",
                value=self.min_lr_ratio)
        require(isinstance(self.warmup_steps, int) and self.warmup_steps >= 0,
                "warmup_steps must be a whole number, 0 or more, not {value!r}.", value=self.warmup_steps)
        return self


def learning_rate(step: int, steps: int, schedule: Schedule) -> float:
    """The rate for 0-based `step` of `steps`: linear warm-up to the peak, then cosine decay to
    `min_lr_ratio` of it at the last step."""
    if step < schedule.warmup_steps:
        return schedule.learning_rate * (step + 1) / schedule.warmup_steps
    progress = (step - schedule.warmup_steps) / max(1, steps - schedule.warmup_steps)
    floor = schedule.min_lr_ratio * schedule.learning_rate
    return floor + (schedule.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _parameter_groups(parameters: Iterable[torch.nn.Parameter], weight_decay: float) -> list[dict]:
    trainable = [p for p in parameters if p.requires_grad]
    matrices = [p for p in trainable if p.dim() >= 2]
    others = [p for p in trainable if p.dim() < 2]
    return [{"params": matrices, "weight_decay": weight_decay}, {"params": others, "weight_decay": 0.0}]


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bf16 on a CUDA device that has it (Ampere and later), else None (full precision)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


class Trainer:
    """The optimiser side of training: one `update(loss)` per optimiser step.

    `parameters` are the ones to train (frozen ones, `requires_grad=False`, are skipped, so LoRA
    adapters train alone). Progress is reported through `progress` under `label`.
    """

    def __init__(self, parameters: Iterable[torch.nn.Parameter], schedule: Schedule, *, steps: int,
                 device: torch.device, progress: ProgressCallback | None = None, label: str = ""):
        require(isinstance(steps, int) and not isinstance(steps, bool) and steps > 0,
                "steps must be a positive whole number, not {steps!r}.", steps=steps)
        self.schedule = schedule.validate()
        self.steps = steps
        self.device = torch.device(device)
        self.groups = _parameter_groups(parameters, schedule.weight_decay)
        self.parameters = [p for group in self.groups for p in group["params"]]
        require(bool(self.parameters), "There is nothing to train: every parameter is frozen.")
        self.optimizer = torch.optim.AdamW(self.groups, lr=schedule.learning_rate, betas=(0.9, schedule.beta2),
                                           fused=self.device.type == "cuda")
        self.tracker = Progress(progress, steps)
        self.label = label
        self.dtype = autocast_dtype(self.device)
        self.sync_every = SYNC_EVERY_CUDA if self.device.type == "cuda" else 1
        self.started = time.perf_counter()

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for the forward pass where the device has bf16; nothing otherwise."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def set_step(self, step: int) -> float:
        """Set the learning rate for 0-based `step`; returns it."""
        lr = learning_rate(step, self.steps, self.schedule)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def update(self, loss: torch.Tensor) -> torch.Tensor:
        """Backward, clip, one optimiser step; returns the gradient norm before clipping (on the device)."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.schedule.grad_clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.parameters, self.schedule.grad_clip)
        else:
            norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in self.parameters if p.grad is not None]))
        self.optimizer.step()
        return norm.detach()

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def report(self, step: int, message: str, *, force: bool = False, fields: dict[str, object] | None = None,
               **metrics: float) -> None:
        """Tell the job (may raise `JobCancelled` when it was cancelled)."""
        self.tracker.update(step, message, force=force, fields=fields, **metrics)


class Diverged(Exception):
    """Raised inside `fit` when the loss stops being finite; `fit` catches it and stops."""


def _as_loss(result: LossResult) -> tuple[torch.Tensor, dict]:
    return result if isinstance(result, tuple) else (result, {})


def _materialise(pending: list[dict]) -> Iterator[dict]:
    """Read the device tensors of the pending records in one transfer each."""
    for record in pending:
        yield {key: (float(value) if isinstance(value, torch.Tensor) else value) for key, value in record.items()}


def fit(model: torch.nn.Module, loss_at: Callable[[int], LossResult], *, steps: int, schedule: Schedule,
        device: torch.device, progress: ProgressCallback | None = None, label: str = "",
        evaluate: Callable[[int], dict[str, float]] | None = None, eval_interval: int = 50,
        checkpoints: Iterable[int] = (), tokens_per_step: int = 0,
        parameters: Iterable[torch.nn.Parameter] | None = None, stop_on_divergence: bool = True,
        label_fields: dict[str, object] | None = None) -> list[dict]:
    """Train `model` for `steps` optimiser steps; `loss_at(step)` (1-based) returns the loss of
    that step's batch, or (loss, extra metrics). `evaluate(step)` runs without gradients in eval
    mode every `eval_interval` steps, at the last one and at any step in `checkpoints`; the
    metrics it returns join that step's record.

    `label` is the progress message, a template that may use {step}, {steps} and `label_fields`.
    Returns one record per step: step, train_loss, lr, elapsed_s, tokens_per_s (when
    `tokens_per_step` is given), the extra metrics and any evaluation. A loss that stops being
    finite ends training (the last record has `diverged: True`) unless `stop_on_divergence` is off.
    """
    trainer = Trainer(parameters if parameters is not None else model.parameters(), schedule, steps=steps,
                      device=device, progress=progress, label=label)
    history: list[dict] = []
    pending: list[dict] = []
    extra_checkpoints = set(checkpoints)
    model.train()
    try:
        for step in range(1, steps + 1):
            lr = trainer.set_step(step - 1)
            with trainer.autocast():
                loss, extra = _as_loss(loss_at(step))
            trainer.update(loss)
            record = {"step": step, "train_loss": loss.detach().float(), "lr": lr, **extra}
            pending.append(record)
            evaluating = evaluate is not None and (step % eval_interval == 0 or step == steps
                                                   or step in extra_checkpoints)
            if evaluating or step % trainer.sync_every == 0 or step == steps:
                _flush(pending, history, trainer, tokens_per_step, stop_on_divergence)
                pending = []
                if evaluating:
                    model.eval()
                    with torch.no_grad():
                        history[-1].update(evaluate(step))
                    model.train()
                last = history[-1]
                shown = {"loss": last["train_loss"], **{k: v for k, v in last.items() if k.startswith("val_")}}
                trainer.report(step, label or N_("training"), force=evaluating, fields=label_fields, **shown)
    except Diverged:
        history[-1]["diverged"] = True
    model.eval()
    return history


def _flush(pending: list[dict], history: list[dict], trainer: Trainer, tokens_per_step: int,
           stop_on_divergence: bool) -> None:
    elapsed = trainer.elapsed_s
    for record in _materialise(pending):
        record["elapsed_s"] = elapsed
        if tokens_per_step:
            record["tokens_per_s"] = tokens_per_step * record["step"] / max(elapsed, 1e-9)
        history.append(record)
        if stop_on_divergence and not math.isfinite(record["train_loss"]):
            raise Diverged
