"""What each attention head does, measured: entropy, distance, previous/first-token weight,
induction score, and the loss when the head is switched off.

All statistics take attention arrays (layers, heads, query, key) as the model produced them
(see `attention.py`); ablation runs the model with one head's output zeroed, on a copy, so the
shared model is never modified, and scores only the tokens from a given position on: on a toy
task, the answer (averaging in the random first half, which no head can predict, drowned the
solving head's effect and made every value negative).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
import torch.nn.functional as F

from core.errors import require
from core.i18n import N_
from core.lm.attention import attention_weights
from core.lm.model import layers_of
from core.lm.trained import TrainedLM

INDUCTION_LENGTH = 24  # tokens in each half of the repeated random sequence


def head_statistics(attention: np.ndarray) -> list[dict]:
    """Per head: mean row entropy (nats), mean attention distance, weight on the previous and on
    the first token. attention: (L, H, T, T), rows sum to 1 over keys <= query."""
    layers, heads, t, _ = attention.shape
    query = np.arange(t)[:, None]
    distance = np.maximum(query - np.arange(t)[None, :], 0)
    rows = []
    for layer in range(layers):
        for head in range(heads):
            a = attention[layer, head].astype(np.float64)
            entropy = -(a * np.log(np.clip(a, 1e-12, None))).sum(-1)
            rows.append({"layer": layer, "head": head, "entropy": float(entropy[1:].mean()),
                         "mean_distance": float((a * distance).sum(-1)[1:].mean()),
                         "previous_token": float(np.mean([a[i, i - 1] for i in range(1, t)])),
                         "first_token": float(a[1:, 0].mean())})
    return rows


def induction_scores(lm: TrainedLM, seed: int = 0) -> np.ndarray:
    """(L, H): attention from each token of a repeated random sequence to the token right after
    its earlier occurrence, the signature of an induction head (Olsson et al., 2022)."""
    n = min(INDUCTION_LENGTH, lm.config.block_size // 2)
    generator = torch.Generator().manual_seed(seed)
    half = torch.randint(lm.tokenizer.vocab_size, (n,), generator=generator)
    attention = attention_weights(lm.model, torch.cat([half, half]))  # (L, H, 2n, 2n)
    queries = np.arange(n, 2 * n)
    return attention[:, :, queries, queries - n + 1].mean(-1)


def label(stats: dict, induction: float) -> str:
    """A short name for the pattern a head shows (thresholds chosen for tiny models); English,
    N_-marked, translated where shown."""
    if induction > 0.3:
        return N_("induction")
    if stats["previous_token"] > 0.5:
        return N_("previous token")
    if stats["first_token"] > 0.5:
        return N_("first token (sink)")
    if stats["mean_distance"] < 2.0:
        return N_("local")
    return N_("broad")


def describe_heads(lm: TrainedLM, text: str) -> list[dict]:
    """Statistics, induction score and label of every head, on `text`."""
    _, attention = lm.attention(text)
    induction = induction_scores(lm)
    rows = head_statistics(attention)
    for row in rows:
        row["induction"] = float(induction[row["layer"], row["head"]])
        row["pattern"] = label(row, row["induction"])
    return rows


def _zero_head_hook(head: int, head_dim: int):
    def hook(module, args):
        hidden = args[0].clone()
        hidden[..., head * head_dim:(head + 1) * head_dim] = 0.0  # this head's share of the concatenation
        return (hidden,)
    return hook


def _output_projection(model, layer: torch.nn.Module) -> torch.nn.Module:
    return layer.attn.c_proj if model.config.model_type == "gpt2" else layer.self_attn.o_proj


@torch.no_grad()
def ablation_losses(lm: TrainedLM, text: str, start: int = 1) -> np.ndarray:
    """(L, H): the mean loss of the tokens from position `start` on (the first scored position:
    1 scores every prediction; a toy task's `answer_start` scores its answer only) with each
    head's output zeroed, minus the intact model's loss on the same tokens."""
    model = copy.deepcopy(lm.model).eval()
    ids = lm.clip(lm.encode(text))[0].to(lm.device).view(1, -1)
    require(1 <= start < ids.shape[1], "The first scored position must be between 1 and {last}, not {start}.",
            last=ids.shape[1] - 1, start=start)

    def loss() -> float:
        logits = model(input_ids=ids).logits[0, start - 1:-1].float()  # the predictions of tokens start..T-1
        return float(F.cross_entropy(logits, ids[0, start:]))

    base = loss()
    layers = layers_of(model)
    heads, head_dim = lm.config.n_head, lm.config.head_dim
    out = np.zeros((len(layers), heads))
    for i, layer in enumerate(layers):
        projection = _output_projection(model, layer)
        for h in range(heads):
            handle = projection.register_forward_pre_hook(_zero_head_hook(h, head_dim))
            try:
                out[i, h] = loss() - base
            finally:
                handle.remove()
    return out
