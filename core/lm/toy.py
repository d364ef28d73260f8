"""Toy tasks with a known answer: train in seconds, then find the head that solves the task.

Sequences of digits: `copy` (x|x), `reverse` (x|reversed x), `sort` (x|sorted x) and `induction`
(a random sequence, then the same again: predicting the second half needs an induction head).
The loss counts only the answer tokens, so accuracy means the task is solved.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.errors import require
from core.progress import ProgressCallback
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import build_model
from core.lm.trained import TrainedLM
from core.training import fit
from core.i18n import N_

TASKS = ("copy", "reverse", "sort", "induction")
SYMBOLS = "0123456789"
SEPARATOR = "|"


def make_batch(task: str, length: int, batch: int, generator: torch.Generator) -> tuple[torch.Tensor, int]:
    """Token ids (batch, total) of task examples and the index where the answer starts."""
    require(task in TASKS, "task must be one of {choices}, not {task!r}.", choices=", ".join(TASKS), task=task)
    x = torch.randint(len(SYMBOLS), (batch, length), generator=generator)
    if task == "induction":
        return torch.cat([x, x], dim=1), length
    answer = {"copy": x, "reverse": x.flip(1), "sort": x.sort(dim=1).values}[task]
    separator = torch.full((batch, 1), len(SYMBOLS))
    return torch.cat([x, separator, answer], dim=1), length + 1


@dataclass
class ToyResult:
    lm: TrainedLM
    task: str
    length: int
    accuracy: float  # answer tokens predicted right (teacher-forced greedy), on fresh examples
    example: str  # one solved example, for the attention picture
    answer_start: int  # index of the example's first answer token


def tokenizer() -> CharTokenizer:
    return CharTokenizer(SYMBOLS + SEPARATOR)


def default_config(length: int) -> LMConfig:
    """Two layers of two heads: small enough that the head solving the task can be found."""
    return LMConfig(n_layer=2, n_head=2, n_embd=64, block_size=2 * length + 1, batch_size=64, learning_rate=3e-3,
                    warmup_steps=20)


def answer_loss(model, ids: torch.Tensor, answer: int) -> torch.Tensor:
    """Mean loss of the answer tokens only (teacher-forced): what solving the task means."""
    logits = model(input_ids=ids[:, :-1]).logits[:, answer - 1:]  # predictions of the answer tokens
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), ids[:, answer:].reshape(-1))


def train_toy(task: str, *, length: int = 8, steps: int = 400, config: LMConfig | None = None,
              device: torch.device | str = "cpu", progress: ProgressCallback | None = None) -> ToyResult:
    """Train a 2-layer model on one task; the answer positions alone carry the loss."""
    config = (config or default_config(length)).validate()
    require(2 * length + 1 <= config.block_size, "The task's sequences are longer than the model's context.")
    device = torch.device(device)
    model = build_model(config, len(SYMBOLS) + 1).to(device)
    generator = torch.Generator().manual_seed(config.seed)

    def loss_at(step: int) -> torch.Tensor:
        ids, answer = make_batch(task, length, config.batch_size, generator)
        return answer_loss(model, ids.to(device), answer)

    history = fit(model, loss_at, steps=steps, schedule=config.schedule, device=device, progress=progress,
                  label=N_("{task}: step {step} of {steps}"), label_fields={"task": task})
    ids, answer = make_batch(task, length, 256, torch.Generator().manual_seed(12345))
    with torch.no_grad():
        predicted = model(input_ids=ids[:, :-1].to(device)).logits[:, answer - 1:].argmax(-1).cpu()
    accuracy = float((predicted == ids[:, answer:]).float().mean())
    lm = TrainedLM(model, tokenizer(), config, history=history, corpus=f"toy:{task}")
    return ToyResult(lm, task, length, accuracy, tokenizer().decode(ids[0].tolist()), answer)
