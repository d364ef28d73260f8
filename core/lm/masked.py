"""A tiny BERT-style masked language model, to contrast bidirectional with causal attention.

Training follows BERT: 15% of the tokens are chosen; of those 80% become [MASK], 10% a random
token and 10% stay, and only the chosen tokens carry the loss. Character-level, so any text of
the corpus's characters can be filled in: write `_` where a character is missing.

The model is `transformers`' RoBERTa-PreLayerNorm (BERT's encoder with the norm before each
sub-layer, as in the decoder the other pages train). BERT's own post-norm blocks learned nothing
beyond letter frequencies in the budget a page has: at 600 steps the loss sat at the unigram
entropy (3.07 nats; 3.31 is the unigram's) and every blank got the same guess; pre-norm blocks
leave that plateau after about 400 steps (2 layers: 2.2 nats at 1,000 steps, 1.9 at 1,500,
measured; 4 layers leave it later, after about 800). The anatomy page shows why pre-norm trains
more easily. Positions are given explicitly (0..T-1), not RoBERTa's
padding-offset scheme; an extra, never-used padding row keeps the [MASK] embedding trainable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from transformers import RobertaPreLayerNormConfig, RobertaPreLayerNormForMaskedLM

from core.errors import InvalidText
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.model import layer_inputs
from core.lm.train import sample_batch, split_ids, training_text
from core.progress import ProgressCallback
from core.seeding import seeded
from core.training import fit
from core.i18n import N_

MASK = "\u2588"  # the [MASK] token's character (█): one character, like every other token
BLANK = "_"  # what a user types for a missing character
MASK_RATE, MASK_AS_MASK, MASK_AS_RANDOM = 0.15, 0.8, 0.1  # BERT's 15%, and its 80/10/10 split


def masked_config() -> LMConfig:
    """The masked model's shape and schedule (every step only scores the 15% masked characters,
    so it needs more steps than the causal model to learn as much)."""
    return LMConfig(arch="gpt2", n_layer=2, learning_rate=3e-3, warmup_steps=50)


def build_masked_model(config: LMConfig, vocab_size: int) -> RobertaPreLayerNormForMaskedLM:
    """A fresh model over `vocab_size` tokens plus a padding row that is never used.

    RoBERTa's token and position tables share the padding id and freeze its row at zero, so the id
    lies beyond every real token and every position used (rows between are never seen)."""
    pad = max(vocab_size, config.block_size)
    hf_config = RobertaPreLayerNormConfig(
        vocab_size=pad + 1, pad_token_id=pad, hidden_size=config.n_embd,
        num_hidden_layers=config.n_layer, num_attention_heads=config.n_head, intermediate_size=4 * config.n_embd,
        max_position_embeddings=pad + 1, hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout, bos_token_id=None, eos_token_id=None)
    with seeded(config.seed):
        return RobertaPreLayerNormForMaskedLM(hf_config)


def masked_logits(model: RobertaPreLayerNormForMaskedLM, ids: torch.Tensor) -> torch.Tensor:
    """ids (B, T) -> logits (B, T, padding id + 1), positions 0..T-1."""
    positions = torch.arange(ids.shape[1], device=ids.device).expand_as(ids)
    return model(input_ids=ids, position_ids=positions).logits


@dataclass
class MaskedLM:
    model: RobertaPreLayerNormForMaskedLM
    tokenizer: CharTokenizer  # the corpus's characters plus MASK (last id)
    config: LMConfig
    history: list[dict] = field(default_factory=list)
    key: str = ""  # its job's key (set by the job manager): what caches of its pictures are keyed by

    @property
    def mask_id(self) -> int:
        return self.tokenizer.vocab[MASK]

    def _ids(self, text: str) -> torch.Tensor:
        if BLANK not in text:
            raise InvalidText("Write {blank} where a character is missing, e.g. 'To be or not to b_'.", blank=BLANK)
        ids = self.tokenizer.encode(text.replace(BLANK, MASK))
        return torch.tensor(ids[: self.config.block_size])

    @torch.no_grad()
    def fill(self, text: str, top: int = 5) -> list[list[tuple[str, float]]]:
        """For each blank, the `top` characters the model proposes with their probabilities."""
        ids = self._ids(text)
        logits = masked_logits(self.model, ids.view(1, -1).to(self.model.device))[0, :, :self.mask_id]
        probs = logits.float().softmax(-1).cpu()  # over the characters: never [MASK] or padding
        out = []
        for position in (ids == self.mask_id).nonzero().flatten().tolist():
            best = torch.topk(probs[position], min(top, probs.shape[-1]))
            out.append([(self.tokenizer.chars[i], float(p)) for p, i in zip(best.values, best.indices)])
        return out

    @torch.no_grad()
    def attention(self, text: str) -> tuple[list[str], np.ndarray]:
        """Bidirectional attention (layers, heads, query, key), computed from each layer's normed
        input and its query and key projections as `core.lm.attention` does for causal models,
        without the mask (tested equal to the library's eager attention)."""
        ids = torch.tensor(self.tokenizer.encode(text)[: self.config.block_size]).view(1, -1).to(self.model.device)
        layers = self.model.roberta_prelayernorm.encoder.layer
        with layer_inputs(layers) as captured:
            masked_logits(self.model, ids)
        heads, d = self.config.n_head, self.config.head_dim
        weights = []
        for layer, (hidden, _) in zip(layers, captured):
            normed = layer.attention.LayerNorm(hidden)
            q = layer.attention.self.query(normed).view(1, -1, heads, d).transpose(1, 2)  # (1, H, T, D)
            k = layer.attention.self.key(normed).view(1, -1, heads, d).transpose(1, 2)
            weights.append((q @ k.transpose(-1, -2) / math.sqrt(d)).softmax(-1)[0])
        return [self.tokenizer.chars[i] for i in ids[0].tolist()], torch.stack(weights).float().cpu().numpy()


def mask_tokens(ids: torch.Tensor, mask_id: int, vocab_size: int, generator: torch.Generator):
    """BERT's corruption: (inputs, labels) with labels -100 where no loss is taken. The draws come
    from a CPU generator (the same on every device) and move to `ids`' device. Random replacements
    are drawn from the `vocab_size - 1` characters (never [MASK])."""
    chosen = (torch.rand(ids.shape, generator=generator) < MASK_RATE).to(ids.device)
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=generator).to(ids.device)
    inputs = ids.clone()
    inputs[chosen & (roll < MASK_AS_MASK)] = mask_id
    random_positions = chosen & (roll >= MASK_AS_MASK) & (roll < MASK_AS_MASK + MASK_AS_RANDOM)
    replacements = torch.randint(vocab_size - 1, ids.shape, generator=generator).to(ids.device)
    inputs[random_positions] = replacements[random_positions]
    return inputs, labels


def train_masked_lm(config: LMConfig, *, corpus: str | None = None, text: str | None = None, steps: int,
                    device: torch.device | str = "cpu", progress: ProgressCallback | None = None) -> MaskedLM:
    """Train the masked model on BERT's corruption of random windows; validation on held-out text."""
    config.validate()
    device = torch.device(device)
    text, _ = training_text(corpus=corpus, text=text)
    tokenizer = CharTokenizer(sorted(set(text) - {MASK}) + [MASK])
    train, val = (part.to(device) for part in split_ids(torch.tensor(tokenizer.encode(text)), config.block_size))
    model = build_masked_model(config, tokenizer.vocab_size).to(device)
    generator = torch.Generator().manual_seed(config.seed)
    result = MaskedLM(model, tokenizer, config)

    def loss_on(data: torch.Tensor, draws: torch.Generator) -> torch.Tensor:
        x, _ = sample_batch(data, config.block_size, config.batch_size, draws)
        inputs, labels = mask_tokens(x, result.mask_id, tokenizer.vocab_size, draws)
        logits = masked_logits(model, inputs)
        return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=-100)

    def validation(step: int) -> dict[str, float]:
        draws = torch.Generator().manual_seed(1)
        return {"val_loss": float(torch.stack([loss_on(val, draws) for _ in range(config.eval_batches)]).mean())}

    result.history = fit(model, lambda step: loss_on(train, generator), steps=steps, schedule=config.schedule,
                         device=device, progress=progress, label=N_("step {step} of {steps}"), evaluate=validation,
                         eval_interval=config.eval_interval)
    return result


def unigram_loss(text: str) -> float:
    """The entropy of the text's characters (nats): the loss of a model that only knows how often
    each character occurs, the plateau a masked model must leave."""
    counts = np.unique(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), return_counts=True)[1]
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())
