"""A tiny BERT-style masked language model, to contrast bidirectional with causal attention.

Training follows BERT: 15% of the tokens are chosen; of those 80% become [MASK], 10% a random
token and 10% stay, and only the chosen tokens carry the loss. Character-level, so any text of
the corpus's characters can be filled in: write `_` where a character is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from transformers import BertConfig, BertForMaskedLM

from core.errors import InvalidText
from core.jobs.progress import Progress, ProgressCallback
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import layer_inputs
from core.lm.train import learning_rate, make_optimizer, sample_batch, split_ids, text_of
from core.seeding import seeded

MASK = "\u2588"  # the [MASK] token's character (█): one character, like every other token
BLANK = "_"  # what a user types for a missing character


@dataclass
class MaskedLM:
    model: BertForMaskedLM
    tokenizer: CharTokenizer  # the corpus's characters plus MASK (last id)
    config: LMConfig
    history: list[dict] = field(default_factory=list)

    @property
    def mask_id(self) -> int:
        return self.tokenizer.vocab[MASK]

    def _ids(self, text: str) -> torch.Tensor:
        if BLANK not in text:
            raise InvalidText(f"Write {BLANK} where a character is missing, e.g. 'To be or not to b_'.")
        ids = self.tokenizer.encode(text.replace(BLANK, MASK))
        return torch.tensor(ids[: self.config.block_size])

    @torch.no_grad()
    def fill(self, text: str, top: int = 5) -> list[list[tuple[str, float]]]:
        """For each blank, the `top` characters the model proposes with their probabilities."""
        ids = self._ids(text)
        probs = self.model(input_ids=ids.view(1, -1)).logits[0].softmax(-1)
        out = []
        for position in (ids == self.mask_id).nonzero().flatten().tolist():
            best = torch.topk(probs[position], top + 1)
            out.append([(self.tokenizer.chars[i], float(p)) for p, i in zip(best.values, best.indices)
                        if i != self.mask_id][:top])
        return out

    @torch.no_grad()
    def attention(self, text: str) -> tuple[list[str], np.ndarray]:
        """Bidirectional attention (layers, heads, query, key), computed from the query and key
        projections as `core.lm.attention` does for causal models, without the mask."""
        ids = torch.tensor(self.tokenizer.encode(text)[: self.config.block_size]).view(1, -1)
        layers = self.model.bert.encoder.layer
        with layer_inputs(layers) as captured:
            self.model(input_ids=ids)
        heads, d = self.config.n_head, self.config.head_dim
        weights = []
        for layer, (hidden, _) in zip(layers, captured):
            q = layer.attention.self.query(hidden).view(1, -1, heads, d).transpose(1, 2)  # (1, H, T, D)
            k = layer.attention.self.key(hidden).view(1, -1, heads, d).transpose(1, 2)
            weights.append((q @ k.transpose(-1, -2) / math.sqrt(d)).softmax(-1)[0])
        return [self.tokenizer.chars[i] for i in ids[0].tolist()], torch.stack(weights).numpy()


def mask_tokens(ids: torch.Tensor, mask_id: int, vocab_size: int, generator: torch.Generator):
    """BERT's corruption: (inputs, labels) with labels -100 where no loss is taken."""
    chosen = torch.rand(ids.shape, generator=generator) < 0.15
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = mask_id
    random_positions = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[random_positions] = torch.randint(vocab_size - 1, ids.shape, generator=generator)[random_positions]
    return inputs, labels


def train_masked_lm(text_or_corpus: str, config: LMConfig, *, steps: int,
                    progress: ProgressCallback | None = None) -> MaskedLM:
    config.validate()
    text, _ = text_of(text_or_corpus, 2_000_000)
    tokenizer = CharTokenizer(sorted(set(text) - {MASK}) + [MASK])
    train, _ = split_ids(torch.tensor(tokenizer.encode(text)), config.block_size)
    bert = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=config.n_embd, num_hidden_layers=config.n_layer,
        num_attention_heads=config.n_head, intermediate_size=4 * config.n_embd,
        max_position_embeddings=config.block_size, hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout, pad_token_id=None)
    with seeded(config.seed):
        model = BertForMaskedLM(bert).train()
    optimizer = make_optimizer(model, config)
    generator = torch.Generator().manual_seed(config.seed)
    tracker = Progress(progress, steps)
    result = MaskedLM(model, tokenizer, config)
    for step in range(1, steps + 1):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step - 1, steps, config)
        x, _ = sample_batch(train, config, generator, torch.device("cpu"))
        inputs, labels = mask_tokens(x, result.mask_id, tokenizer.vocab_size, generator)
        logits = model(input_ids=inputs).logits
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        result.history.append({"step": step, "train_loss": loss.item()})
        tracker.update(step, f"step {step} of {steps}", loss=loss.item())
    model.eval()
    return result
