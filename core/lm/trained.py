"""A trained language model with what the pages ask of it: attention, perplexity, samples."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedModel

from core.errors import InvalidText
from core.lm.attention import attention_weights
from core.lm.char_tokenizer import token_strings, tokenizer_from_dict
from core.lm.config import LMConfig
from core.lm.model import load_saved_state, state_for_saving


WINDOWS_PER_PASS = 64  # windows scored in one forward pass (64 x 64 tokens: a few MB of activations)


@dataclass
class TrainedLM:
    """A model, its tokenizer, its config and the record of its training."""

    model: PreTrainedModel
    tokenizer: Any  # CharTokenizer or a core.tokenizers.Tokenizer
    config: LMConfig
    history: list[dict] = field(default_factory=list)  # {"step", "train_loss", "val_loss"?, "lr", ...}
    samples: list[dict] = field(default_factory=list)  # {"step", "text"}
    snapshots: list[dict] = field(default_factory=list)  # {"step", "attention": (L, H, T, T) float16}
    probe_text: str = ""  # the text the snapshots attend over
    corpus: str = ""
    key: str = ""  # which model this is, for caches of what pages derive from it: its job's key, or
    # "pretrained:<name>" for a loaded one (set by whoever made it; never a string a page invents)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def encode(self, text: str) -> torch.Tensor:
        if not text:
            raise InvalidText("The text is empty: type something first.")
        ids = self.tokenizer.encode(text)
        if not ids:
            raise InvalidText("The text has no tokens this tokenizer can read.")
        return torch.tensor(ids, dtype=torch.long)

    def clip(self, ids: torch.Tensor) -> tuple[torch.Tensor, bool]:
        """The first `block_size` tokens, and whether the text was longer (pages say so)."""
        return ids[: self.config.block_size], len(ids) > self.config.block_size

    def tokens(self, ids: torch.Tensor) -> list[str]:
        return token_strings(self.tokenizer, ids.tolist())

    def attention(self, text: str) -> tuple[list[str], np.ndarray]:
        """Token strings and attention weights (layers, heads, query, key) for the text's first
        `block_size` tokens."""
        ids, _ = self.clip(self.encode(text))
        return self.tokens(ids), attention_weights(self.model, ids)

    @torch.no_grad()
    def token_losses(self, text: str, max_tokens: int | None = None) -> tuple[list[str], np.ndarray]:
        """Every token and its surprisal in nats (the first token has no prediction: NaN); with
        `max_tokens`, only the text's first `max_tokens` tokens (a page's per-request bound).

        Texts longer than the context are scored in windows that overlap by half a context, each
        token scored once with at least half a context before it. The windows go through the model
        side by side, `WINDOWS_PER_PASS` at a time: one window per pass made 4,000 tokens 125
        forward passes, 1-19 s on a busy 2-core server (the attack benchmark); a few batched
        passes take a fraction of a second.
        """
        ids = self.encode(text)[:max_tokens]
        if len(ids) < 2:
            raise InvalidText("Perplexity needs at least two tokens: type a longer text.")
        block, stride = self.config.block_size, max(1, self.config.block_size // 2)
        starts = [0]
        while starts[-1] + block < len(ids):
            starts.append(starts[-1] + stride)
        width = min(block, len(ids))
        losses = np.full(len(ids), np.nan)
        for batch in range(0, len(starts), WINDOWS_PER_PASS):  # the windows side by side, a few passes
            chunk = starts[batch:batch + WINDOWS_PER_PASS]
            # the last window may be short: padded on the right, which a causal model never looks at
            windows = torch.stack([F.pad(ids[s:s + width], (0, width - len(ids[s:s + width]))) for s in chunk])
            logits = self.model(windows.to(self.device)).logits.float()  # (W, T, V)
            nll = F.cross_entropy(logits[:, :-1].transpose(1, 2), windows[:, 1:].to(self.device),
                                  reduction="none").cpu().numpy()  # (W, T - 1)
            for row, start in enumerate(chunk):
                first_new = 1 if start == 0 else block - stride
                end = min(start + width, len(ids))
                losses[start + first_new:end] = nll[row, first_new - 1:end - start - 1]
        return self.tokens(ids), losses

    @torch.no_grad()
    def sample_text(self, prompt_ids: torch.Tensor, n_tokens: int, *, temperature: float = 0.8, seed: int = 0) -> str:
        """Prompt plus `n_tokens` sampled tokens; past the context the window slides (no cache),
        so samples can be longer than the model's context."""
        generator = torch.Generator().manual_seed(seed)
        ids = prompt_ids.tolist()
        for _ in range(n_tokens):
            window = torch.tensor(ids[-self.config.block_size:], device=self.device).view(1, -1)
            logits = self.model(input_ids=window).logits[0, -1].float().cpu()
            ids.append(int(torch.multinomial((logits / temperature).softmax(-1), 1, generator=generator)))
        return self.tokenizer.decode(ids)

    def perplexity(self, text: str) -> float:
        """exp of the mean per-token cross-entropy (nats) over the text."""
        _, losses = self.token_losses(text)
        return float(np.exp(np.nanmean(losses)))

    # ---- persistence -----------------------------------------------------------------------
    def to_artifact(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors = {f"model.{name}": value for name, value in state_for_saving(self.model).items()}
        for i, snap in enumerate(self.snapshots):
            tensors[f"snapshot.{i}"] = torch.from_numpy(np.ascontiguousarray(snap["attention"]))
        data = {"config": self.config.__dict__, "hf_config": self.model.config.to_dict(),
                "tokenizer": self.tokenizer.to_dict(), "history": self.history, "samples": self.samples,
                "snapshot_steps": [s["step"] for s in self.snapshots], "probe_text": self.probe_text,
                "corpus": self.corpus}
        return tensors, json.loads(json.dumps(data))

    @classmethod
    def from_artifact(cls, tensors: dict[str, torch.Tensor], data: dict) -> "TrainedLM":
        hf_config = AutoConfig.for_model(**data["hf_config"])
        model = AutoModelForCausalLM.from_config(hf_config)
        state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
        load_saved_state(model, state)
        model.eval()
        snapshots = [{"step": step, "attention": tensors[f"snapshot.{i}"].numpy()}
                     for i, step in enumerate(data["snapshot_steps"])]
        return cls(model, tokenizer_from_dict(data["tokenizer"]), LMConfig(**data["config"]), data["history"],
                   data["samples"], snapshots, data["probe_text"], data["corpus"])
