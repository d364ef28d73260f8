"""Training a tiny language model from scratch: a plain PyTorch loop a page (or a test) can call.

AdamW (weight decay on matrices only), linear warm-up then cosine decay, global gradient-norm
clipping; validation loss on held-out text every `eval_interval` steps; generated samples and
attention snapshots along the way so a page can show the model learning.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from core.corpora import get_corpus
from core.device import pick_device
from core.errors import InvalidSetting, InvalidText, require
from core.jobs.progress import Progress, ProgressCallback
from core.lm.attention import attention_weights
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import build_model
from core.lm.trained import TrainedLM

VAL_FRACTION = 0.1
SAMPLE_TOKENS = 160
PROBE_TOKENS = 48


def text_of(text_or_corpus: str, max_chars: int | None) -> tuple[str, str]:
    """(text, corpus name): a corpus name is looked up, anything else is the text itself."""
    try:
        corpus = get_corpus(text_or_corpus)
    except KeyError:
        text, name = text_or_corpus, "text"
    else:
        text, name = corpus.text(max_chars=max_chars), corpus.name
    if not text.strip():
        raise InvalidText("There is no text to train on.")
    return text, name


def split_ids(ids: torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """90% to train, the last 10% to validate; a text too short to hold out validates on itself."""
    need = block_size + 1
    require(len(ids) > need, f"The text has {len(ids)} tokens; training with a context of {block_size} needs more "
                             f"than {need}. Use a longer text or a shorter context (block_size).")
    cut = int(len(ids) * (1 - VAL_FRACTION))
    if len(ids) - cut <= need or cut <= need:
        return ids, ids
    return ids[:cut], ids[cut:]


def sample_batch(data: torch.Tensor, config: LMConfig, generator: torch.Generator, device: torch.device):
    starts = torch.randint(len(data) - config.block_size - 1, (config.batch_size,), generator=generator)
    x = torch.stack([data[s:s + config.block_size] for s in starts])
    y = torch.stack([data[s + 1:s + config.block_size + 1] for s in starts])
    return x.to(device), y.to(device)  # (B, T) each


def _loss(model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    logits = model(input_ids=x).logits  # (B, T, V)
    return F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.view(-1))


@torch.no_grad()
def evaluate(model, data: torch.Tensor, config: LMConfig, device: torch.device, seed: int = 1) -> float:
    """Mean loss on `eval_batches` fixed batches (the same every time: curves are comparable)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    losses = [_loss(model, *sample_batch(data, config, generator, device)).item() for _ in range(config.eval_batches)]
    model.train()
    return sum(losses) / len(losses)


def learning_rate(step: int, steps: int, config: LMConfig) -> float:
    """Linear warm-up to the peak, then cosine decay to `min_lr_ratio` of it at the last step."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, steps - config.warmup_steps)
    floor = config.min_lr_ratio * config.learning_rate
    return floor + (config.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def make_optimizer(model, config: LMConfig) -> torch.optim.Optimizer:
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": matrices, "weight_decay": config.weight_decay},
                              {"params": others, "weight_decay": 0.0}], lr=config.learning_rate, betas=(0.9, 0.95))


def train_lm(text_or_corpus: str, tokenizer, config: LMConfig, *, steps: int, device=None,
             progress: ProgressCallback | None = None, max_chars: int | None = 2_000_000) -> TrainedLM:
    """Train a model from scratch on a corpus (by name) or a text, with `"char"` or a trained tokenizer."""
    config.validate()
    require(isinstance(steps, int) and steps > 0, f"steps must be a positive whole number, not {steps!r}.")
    device = pick_device(device)
    text, corpus = text_of(text_or_corpus, max_chars)
    tokenizer = CharTokenizer.from_text(text) if tokenizer == "char" else tokenizer
    if isinstance(tokenizer, str):
        raise InvalidSetting(f"tokenizer must be 'char' or a trained tokenizer, not {tokenizer!r}.")
    ids = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    train, val = split_ids(ids, config.block_size)
    config.check_fits(tokenizer.vocab_size)
    model = build_model(config, tokenizer.vocab_size).to(device)
    model.train()
    optimizer = make_optimizer(model, config)
    generator = torch.Generator().manual_seed(config.seed)
    probe = val[:min(PROBE_TOKENS, config.block_size)]
    result = TrainedLM(model, tokenizer, config, probe_text=tokenizer.decode(probe.tolist()), corpus=corpus)
    tracker = Progress(progress, steps)
    start, tokens_seen = time.perf_counter(), 0
    for step in range(1, steps + 1):
        lr = learning_rate(step - 1, steps, config)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = _loss(model, *sample_batch(train, config, generator, device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        tokens_seen += config.batch_size * config.block_size
        elapsed = time.perf_counter() - start
        record = {"step": step, "train_loss": loss.item(), "lr": lr, "elapsed_s": elapsed,
                  "tokens_per_s": tokens_seen / max(elapsed, 1e-9)}
        if step % config.eval_interval == 0 or step == steps:
            record["val_loss"] = evaluate(model, val, config, device)
            record["val_perplexity"] = math.exp(record["val_loss"])
        result.history.append(record)
        if step % config.snapshot_interval == 0 or step == 1 or step == steps:
            model.eval()
            result.snapshots.append({"step": step, "attention": attention_weights(model, probe).astype("float16")})
            model.train()
        if step % config.sample_interval == 0 or step == steps:
            result.samples.append({"step": step, "text": _sample(result, val)})
        metrics = {"loss": record["train_loss"], **({"val_loss": record["val_loss"]} if "val_loss" in record else {})}
        tracker.update(step, f"step {step} of {steps}", force="val_loss" in record, **metrics)
    model.eval()
    return result


def _sample(lm: TrainedLM, val: torch.Tensor) -> str:
    """A sample continuing the first few held-out tokens, so each checkpoint is compared fairly."""
    was_training = lm.model.training
    lm.model.eval()
    text = lm.sample_text(val[:8], SAMPLE_TOKENS, temperature=0.8, seed=0)
    lm.model.train(was_training)
    return text
