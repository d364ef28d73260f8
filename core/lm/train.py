"""Training a tiny language model from scratch on the playground's one training loop.

The optimiser, schedule, clipping, progress and cancel are `core.training`'s; this module supplies
the data (random windows of the corpus, validation on the held-out last 10%) and what a page shows
while a model learns: validation loss every `eval_interval` steps, generated samples and attention
snapshots along the way.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from core.corpora import get_corpus
from core.errors import InvalidSetting, InvalidText, PlaygroundError, require
from core.progress import ProgressCallback
from core.lm.attention import attention_weights
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import build_model
from core.lm.trained import TrainedLM
from core.training import fit
from core.i18n import N_

VAL_FRACTION = 0.1
SAMPLE_TOKENS = 160
PROBE_TOKENS = 48
DEFAULT_MAX_CHARS = 2_000_000


def training_text(*, corpus: str | None = None, text: str | None = None,
                  max_chars: int | None = DEFAULT_MAX_CHARS) -> tuple[str, str]:
    """(text, corpus name) from exactly one of a corpus name and a text (named "text")."""
    require((corpus is None) != (text is None), "Give either a corpus name or a text to train on, not both.")
    if corpus is not None:
        text, name = get_corpus(corpus).text(max_chars=max_chars), corpus
    else:
        name = "text"
    if not text.strip():
        raise InvalidText("There is no text to train on.")
    return text, name


@functools.lru_cache(maxsize=64)
def char_vocab(corpus: str) -> int:
    """The vocabulary of a character-level model of `corpus`: the distinct characters of the text
    it trains on. The estimate before training needs it, for the embedding and output layers grow
    with it (Tiny Shakespeare has 65 characters, the Chinese classics thousands: at width 128 their
    model has twice the parameters). An unknown corpus counts 100 (its job will say why it cannot run)."""
    try:
        text, _ = training_text(corpus=corpus)
    except PlaygroundError:
        return 100
    return len(set(text))


def split_ids(ids: torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """90% to train, the last 10% to validate; a text too short to hold out validates on itself."""
    need = block_size + 1
    require(len(ids) > need, "The text has {tokens} tokens; training with a context of {block} needs more than "
            "{need}. Use a longer text or a shorter context (block_size).", tokens=len(ids), block=block_size, need=need)
    cut = int(len(ids) * (1 - VAL_FRACTION))
    if len(ids) - cut <= need or cut <= need:
        return ids, ids
    return ids[:cut], ids[cut:]


def sample_batch(data: torch.Tensor, block_size: int, batch_size: int,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch_size` random windows of `data` (inputs and next-token targets, (B, T) each) on the
    device `data` lives on. Start positions come from a CPU generator, so every device draws the
    same batches for the same seed."""
    starts = torch.randint(len(data) - block_size - 1, (batch_size,), generator=generator).to(data.device)
    offsets = torch.arange(block_size + 1, device=data.device)
    windows = data[starts[:, None] + offsets]  # (B, T + 1)
    return windows[:, :-1], windows[:, 1:]


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token loss in nats, computed in float32 whatever the model's precision."""
    return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), targets.reshape(-1))


@torch.no_grad()
def evaluate(model, data: torch.Tensor, config: LMConfig, seed: int = 1) -> float:
    """Mean loss on `eval_batches` fixed batches (the same every time: curves are comparable)."""
    generator = torch.Generator().manual_seed(seed)
    losses = [cross_entropy(model(input_ids=x).logits, y)
              for x, y in (sample_batch(data, config.block_size, config.batch_size, generator)
                           for _ in range(config.eval_batches))]
    return float(torch.stack(losses).mean())


def train_lm(config: LMConfig, *, corpus: str | None = None, text: str | None = None, tokenizer="char",
             steps: int, device: torch.device | str = "cpu", progress: ProgressCallback | None = None,
             max_chars: int | None = DEFAULT_MAX_CHARS) -> TrainedLM:
    """Train a model from scratch on a corpus (by name) or a text, with `"char"` or a trained tokenizer."""
    config.validate()
    device = torch.device(device)
    text, corpus_name = training_text(corpus=corpus, text=text, max_chars=max_chars)
    tokenizer = CharTokenizer.from_text(text) if tokenizer == "char" else tokenizer
    if isinstance(tokenizer, str):
        raise InvalidSetting("tokenizer must be 'char' or a trained tokenizer, not {name!r}.", name=tokenizer)
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    train, val = (part.to(device) for part in split_ids(ids, config.block_size))
    config.check_fits(tokenizer.vocab_size, device=device)
    model = build_model(config, tokenizer.vocab_size).to(device)
    generator = torch.Generator().manual_seed(config.seed)
    probe = val[:min(PROBE_TOKENS, config.block_size)]
    result = TrainedLM(model, tokenizer, config, probe_text=tokenizer.decode(probe.tolist()), corpus=corpus_name)

    def loss_at(step: int) -> torch.Tensor:
        x, y = sample_batch(train, config.block_size, config.batch_size, generator)
        return cross_entropy(model(input_ids=x).logits, y)

    def checkpoint(step: int) -> dict[str, float]:
        record = {}
        if step % config.eval_interval == 0 or step == steps:
            record["val_loss"] = evaluate(model, val, config)
            record["val_perplexity"] = math.exp(min(record["val_loss"], 50.0))
        if step % config.snapshot_interval == 0 or step in (1, steps):
            attention = attention_weights(model, probe).astype("float16")
            result.snapshots.append({"step": step, "attention": attention})
        if step % config.sample_interval == 0 or step == steps:
            result.samples.append({"step": step, "text": result.sample_text(val[:8], SAMPLE_TOKENS, temperature=0.8)})
        return record

    result.history = fit(model, loss_at, steps=steps, schedule=config.schedule, device=device, progress=progress,
                         label=N_("step {step} of {steps}"), evaluate=checkpoint, eval_interval=config.eval_interval,
                         checkpoints=_checkpoint_steps(config, steps),
                         tokens_per_step=config.batch_size * config.block_size)
    return result


def _checkpoint_steps(config: LMConfig, steps: int) -> set[int]:
    every = (config.snapshot_interval, config.sample_interval)
    return {1, steps} | {s for interval in every for s in range(interval, steps + 1, interval)}
