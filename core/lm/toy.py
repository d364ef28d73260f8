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
from core.jobs.progress import Progress, ProgressCallback
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import build_model
from core.lm.train import learning_rate, make_optimizer
from core.lm.trained import TrainedLM

TASKS = ("copy", "reverse", "sort", "induction")
SYMBOLS = "0123456789"
SEPARATOR = "|"


def make_batch(task: str, length: int, batch: int, generator: torch.Generator) -> tuple[torch.Tensor, int]:
    """Token ids (batch, total) of task examples and the index where the answer starts."""
    require(task in TASKS, f"task must be one of {', '.join(TASKS)}, not {task!r}.")
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


def tokenizer() -> CharTokenizer:
    return CharTokenizer(SYMBOLS + SEPARATOR)


def train_toy(task: str, *, length: int = 8, steps: int = 400, config: LMConfig | None = None,
              progress: ProgressCallback | None = None) -> ToyResult:
    """Train a 2-layer model on one task; the answer positions alone carry the loss."""
    config = (config or LMConfig(n_layer=2, n_head=2, n_embd=64, block_size=2 * length + 1, batch_size=64,
                                 learning_rate=3e-3, warmup_steps=20)).validate()
    require(2 * length + 1 <= config.block_size, "The task's sequences are longer than the model's context.")
    model = build_model(config, len(SYMBOLS) + 1).train()
    optimizer = make_optimizer(model, config)
    generator = torch.Generator().manual_seed(config.seed)
    tracker = Progress(progress, steps)
    history = []
    for step in range(1, steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step - 1, steps, config)
        ids, answer = make_batch(task, length, config.batch_size, generator)
        logits = model(input_ids=ids[:, :-1]).logits[:, answer - 1:]  # predictions of the answer tokens
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), ids[:, answer:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        history.append({"step": step, "train_loss": loss.item()})
        tracker.update(step, f"{task}: step {step} of {steps}", loss=loss.item())
    model.eval()
    ids, answer = make_batch(task, length, 256, torch.Generator().manual_seed(12345))
    with torch.no_grad():
        predicted = model(input_ids=ids[:, :-1]).logits[:, answer - 1:].argmax(-1)
    accuracy = float((predicted == ids[:, answer:]).float().mean())
    lm = TrainedLM(model, tokenizer(), config, history=history, corpus=f"toy:{task}")
    return ToyResult(lm, task, length, accuracy, tokenizer().decode(ids[0].tolist()))
