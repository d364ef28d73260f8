"""A tiny decoder whose parts can be swapped one at a time, to train and compare them.

`transformers` has no single model where positions, norm placement, norm type and activation
can each be changed, so the experiments use this one. With `Anatomy()` (RoPE, pre-RMSNorm,
SwiGLU) it computes exactly what `LlamaForCausalLM` computes (tested with copied weights); every
other choice changes one part and nothing else:

- `position`: "none" (causal attention alone can infer position), "sinusoidal", "learned",
  "rope" or "alibi" (see `core.anatomy.positions`);
- `norm`: "layernorm" or "rmsnorm"; `norm_place`: "pre" (x + f(norm(x)), then a final norm) or
  "post" (norm(x + f(x)), the original transformer's order);
- `activation`: "relu", "gelu", "swish" (a 4x-wide MLP) or "swiglu", "geglu" (gated, 8/3-wide, so
  the MLP keeps the same parameter count);
- `init`: "small" (normal, std 0.02, as GPT-2 and Llama) or "xavier" (the original transformer's:
  each residual branch starts as large as its input, which is where Post-Norm gets into trouble).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.anatomy.positions import alibi_slopes, sinusoidal
from core.errors import require
from core.lm.config import LMConfig, intermediate_size
from core.lm.rope import apply_rope, rope_tables
from core.seeding import seeded

POSITIONS = ("none", "sinusoidal", "learned", "rope", "alibi")
NORMS = ("layernorm", "rmsnorm")
NORM_PLACES = ("pre", "post")
ACTIVATIONS = ("relu", "gelu", "swish", "swiglu", "geglu")
INITS = ("small", "xavier")
GATED = {"swiglu": F.silu, "geglu": F.gelu}
PLAIN = {"relu": F.relu, "gelu": F.gelu, "swish": F.silu}
LEARNED_POSITIONS_FACTOR = 4  # a learned table covers 4x the training context; rows never trained stay random


@dataclass(frozen=True)
class Anatomy:
    """The swappable parts. The defaults are Llama's."""

    position: str = "rope"
    norm: str = "rmsnorm"
    norm_place: str = "pre"
    activation: str = "swiglu"
    init: str = "small"

    def validate(self) -> "Anatomy":
        for name, allowed in (("position", POSITIONS), ("norm", NORMS), ("norm_place", NORM_PLACES),
                              ("activation", ACTIVATIONS), ("init", INITS)):
            value = getattr(self, name)
            require(value in allowed, "{name} must be one of {choices}, not {value!r}.", name=name,
                    choices=", ".join(allowed), value=value)
        return self

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class RMSNorm(nn.Module):
    """x / rms(x) x weight, computed in float32 (as Llama does); no mean subtraction, no bias."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def _norm(anatomy: Anatomy, dim: int) -> nn.Module:
    return RMSNorm(dim) if anatomy.norm == "rmsnorm" else nn.LayerNorm(dim, eps=1e-5)


class Attention(nn.Module):
    """Causal self-attention with `kv_heads` key/value heads shared by groups of query heads."""

    def __init__(self, config: LMConfig):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = config.n_head, config.kv_heads, config.head_dim
        e = config.n_embd
        self.q_proj = nn.Linear(e, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(e, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(e, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, e, bias=False)

    def forward(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None,
                bias: torch.Tensor | None) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)  # (B, H, T, D)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)  # (B, KV, T, D)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        group = self.heads // self.kv_heads  # query heads per key/value head, as HF's repeat_kv
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        if bias is None:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)  # bias already holds the causal mask
        return self.o_proj(out.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))


class MLP(nn.Module):
    """act(x W1) W2, or the gated act(x W_gate) * (x W_up) W_down."""

    def __init__(self, config: LMConfig, activation: str):
        super().__init__()
        e = config.n_embd
        self.activation = activation
        if activation in GATED:
            hidden = intermediate_size(e)
            self.gate_proj = nn.Linear(e, hidden, bias=False)
            self.up_proj = nn.Linear(e, hidden, bias=False)
        else:
            hidden = 4 * e
            self.up_proj = nn.Linear(e, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, e, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.activation in GATED:
            return self.down_proj(GATED[self.activation](self.gate_proj(x)) * self.up_proj(x))
        return self.down_proj(PLAIN[self.activation](self.up_proj(x)))


class Block(nn.Module):
    def __init__(self, config: LMConfig, anatomy: Anatomy):
        super().__init__()
        self.pre = anatomy.norm_place == "pre"
        self.input_layernorm = _norm(anatomy, config.n_embd)
        self.self_attn = Attention(config)
        self.post_attention_layernorm = _norm(anatomy, config.n_embd)
        self.mlp = MLP(config, anatomy.activation)

    def forward(self, x, rope, bias):
        if self.pre:
            x = x + self.self_attn(self.input_layernorm(x), rope, bias)
            return x + self.mlp(self.post_attention_layernorm(x))
        x = self.input_layernorm(x + self.self_attn(x, rope, bias))
        return self.post_attention_layernorm(x + self.mlp(x))


class TinyDecoder(nn.Module):
    """Token ids (B, T) -> next-token logits (B, T, V). Parameter names follow HF Llama's."""

    def __init__(self, config: LMConfig, anatomy: Anatomy, vocab_size: int):
        super().__init__()
        config.validate()
        self.config, self.anatomy = config, anatomy.validate()
        e = config.n_embd
        self.embed_tokens = nn.Embedding(vocab_size, e)
        if anatomy.position == "learned":
            self.embed_positions = nn.Embedding(LEARNED_POSITIONS_FACTOR * config.block_size, e)
        self.layers = nn.ModuleList(Block(config, anatomy) for _ in range(config.n_layer))
        self.norm = _norm(anatomy, e) if anatomy.norm_place == "pre" else nn.Identity()
        self.lm_head = nn.Linear(e, vocab_size, bias=False)
        self.register_buffer("slopes", alibi_slopes(config.n_head), persistent=False)
        with seeded(config.seed):
            self.apply(self._init_small if anatomy.init == "small" else self._init_xavier)

    @staticmethod
    def _init_small(module: nn.Module) -> None:
        """Normal(0, 0.02) weights, as GPT-2 and Llama initialise theirs."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    @staticmethod
    def _init_xavier(module: nn.Module) -> None:
        """Xavier-uniform matrices and unit-variance-per-vector embeddings (std d^-1/2), as in
        the original transformer."""
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=module.weight.shape[1] ** -0.5)

    def max_length(self) -> int | None:
        """The longest input the model accepts (None: any length, if not well)."""
        return self.embed_positions.num_embeddings if self.anatomy.position == "learned" else None

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        b, t = input_ids.shape
        limit = self.max_length()
        require(limit is None or t <= limit, "A learned position table has {limit} rows; this input has {t} tokens.",
                limit=limit, t=t)
        positions = torch.arange(t, device=input_ids.device)
        x = self.embed_tokens(input_ids)
        rope = bias = None
        if self.anatomy.position == "sinusoidal":
            # scaled as in the original transformer, so the token signal is not drowned by the position one
            x = x * math.sqrt(self.config.n_embd) + sinusoidal(t, self.config.n_embd).to(x.device, x.dtype)
        elif self.anatomy.position == "learned":
            x = x + self.embed_positions(positions)
        elif self.anatomy.position == "rope":
            rope = rope_tables(positions, self.config.head_dim, dtype=x.dtype)
        elif self.anatomy.position == "alibi":
            distance = (positions[:, None] - positions[None, :]).to(x.dtype)
            bias = (-self.slopes.to(x.dtype)[:, None, None] * distance).masked_fill(distance < 0, float("-inf"))
        for layer in self.layers:
            x = layer(x, rope, bias)
        return self.lm_head(self.norm(x))


def layer_gradient_norms(model: TinyDecoder) -> list[float]:
    """The gradient norm of each block's parameters (after a backward pass), bottom to top."""
    norms = []
    for layer in model.layers:
        grads = [p.grad.detach().float().norm() for p in layer.parameters() if p.grad is not None]
        norms.append(float(torch.stack(grads).norm()) if grads else 0.0)
    return norms
