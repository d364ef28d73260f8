"""Public configurations of well-known models, for the memory calculator.

Each entry's numbers come from the model's released `config.json` (cited); `parameters` is
computed from the shapes (`parameter_count`) and tested against the published count.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    n_layers: int
    n_heads: int
    n_kv_heads: int
    hidden: int
    intermediate: int  # MLP width
    vocab: int
    context: int
    style: str  # "gpt2" (GELU MLP, learned positions, tied head) or "llama" (SwiGLU, untied head)
    published: float  # parameters the authors report
    sliding_window: int | None = None

    @property
    def head_dim(self) -> int:
        return self.hidden // self.n_heads

    @property
    def parameters(self) -> int:
        return parameter_count(self)

    @property
    def attention(self) -> str:
        if self.n_kv_heads == self.n_heads:
            return "MHA"
        return "MQA" if self.n_kv_heads == 1 else f"GQA ({self.n_heads // self.n_kv_heads} queries per KV head)"


def parameter_count(p: Preset) -> int:
    h, kv = p.hidden, p.n_kv_heads * p.head_dim
    if p.style == "gpt2":
        per_layer = 12 * h * h + 13 * h  # qkv, projection, 4x MLP, two LayerNorms, biases
        return p.vocab * h + p.context * h + p.n_layers * per_layer + 2 * h
    per_layer = 2 * h * h + 2 * h * kv + 3 * h * p.intermediate + 2 * h  # q, o, k, v, SwiGLU, two RMSNorms
    return 2 * p.vocab * h + p.n_layers * per_layer + h


PRESETS: dict[str, Preset] = {p.name: p for p in (
    # openai-community/gpt2{,-medium,-large,-xl} config.json (n_layer, n_head, n_embd, n_positions);
    # parameters as the Hub reports them: 124M, 355M, 774M, 1.56B
    Preset("GPT-2 small", 12, 12, 12, 768, 3072, 50257, 1024, "gpt2", 124e6),
    Preset("GPT-2 medium", 24, 16, 16, 1024, 4096, 50257, 1024, "gpt2", 355e6),
    Preset("GPT-2 large", 36, 20, 20, 1280, 5120, 50257, 1024, "gpt2", 774e6),
    Preset("GPT-2 XL", 48, 25, 25, 1600, 6400, 50257, 1024, "gpt2", 1.56e9),
    # TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T config.json; 1.1B
    Preset("TinyLlama 1.1B", 22, 32, 4, 2048, 5632, 32000, 2048, "llama", 1.1e9),
    # meta-llama/Llama-2-7b-hf, -13b-hf, -70b-hf config.json; Llama 2 paper (Touvron et al. 2023) table 1
    Preset("Llama 2 7B", 32, 32, 32, 4096, 11008, 32000, 4096, "llama", 6.74e9),
    Preset("Llama 2 13B", 40, 40, 40, 5120, 13824, 32000, 4096, "llama", 13.0e9),
    Preset("Llama 2 70B", 80, 64, 8, 8192, 28672, 32000, 4096, "llama", 69.0e9),
    # meta-llama/Meta-Llama-3-8B, -70B config.json; model card: 8.03B and 70.6B
    Preset("Llama 3 8B", 32, 32, 8, 4096, 14336, 128256, 8192, "llama", 8.03e9),
    Preset("Llama 3 70B", 80, 64, 8, 8192, 28672, 128256, 8192, "llama", 70.6e9),
    # mistralai/Mistral-7B-v0.1 config.json (sliding_window 4096); Mistral 7B paper: 7.24B
    Preset("Mistral 7B", 32, 32, 8, 4096, 14336, 32000, 32768, "llama", 7.24e9, sliding_window=4096),
)}
