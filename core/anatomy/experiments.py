"""Small controlled experiments: train tiny decoders that differ in one part, on the same data,
with the same budget and seed, and measure what the part changes.

Each variant records its loss curves, the per-layer gradient norms at initialisation (where
Post-Norm's trouble shows before any training), and its loss when evaluated at 1x, 2x and 4x the
context it was trained on (where positional encodings part ways), including the loss at each
position of the longest windows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from core.anatomy.model import Anatomy, TinyDecoder, layer_gradient_norms
from core.errors import require
from core.i18n import N_
from core.progress import ProgressCallback
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.train import sample_batch, split_ids, training_text
from core.training import fit

CONTEXT_FACTORS = (1, 2, 4)


def parts_of(changes: dict) -> tuple[LMConfig, Anatomy]:
    """Split changes into the LMConfig and the Anatomy they describe, both validated."""
    anatomy_fields = set(Anatomy.__dataclass_fields__)
    anatomy = Anatomy(**{k: v for k, v in changes.items() if k in anatomy_fields})
    config = LMConfig(**{k: v for k, v in changes.items() if k not in anatomy_fields})
    return config.validate(), anatomy.validate()


@dataclass(frozen=True)
class Experiment:
    """A question, the shared settings, and the variants that answer it (label -> changes)."""

    name: str
    title: str  # English, N_-marked
    question: str
    steps: int  # the default budget: each variant trains in 20-40 s on a 2-core CPU
    config: dict  # LMConfig and Anatomy fields shared by every variant
    variants: dict[str, dict]  # label -> the fields that differ (`warmup_fraction`: a share of the budget)

    def changes(self, label: str, steps: int | None = None) -> dict:
        """The variant's settings for a budget of `steps` (the experiment's default when None): a
        `warmup_fraction` becomes that share of the budget in steps, so a warm-up is always shorter
        than the training it prepares (a fixed 50-step warm-up outlasted a 25-step budget)."""
        require(label in self.variants, "{title} has no variant {label!r}: choose one of {choices}.",
                title=self.title, label=label, choices=", ".join(self.variants))
        changes = {**self.config, **self.variants[label]}
        fraction = changes.pop("warmup_fraction", None)
        if fraction is not None:
            changes["warmup_steps"] = max(1, round((steps or self.steps) * fraction))
        return changes


EXPERIMENTS = {e.name: e for e in (
    Experiment(
        "positions", N_("Positional encodings"),
        N_("Which way of giving positions learns best, and which still works at 2x and 4x the trained context?"), 200,
        {"n_layer": 3, "n_embd": 96, "n_head": 4},
        {"none": {"position": "none"}, "sinusoidal": {"position": "sinusoidal"}, "learned": {"position": "learned"},
         "RoPE": {"position": "rope"}, "ALiBi": {"position": "alibi"}}),
    Experiment(
        "norms", N_("Pre-Norm vs Post-Norm"),
        N_("Where does the normalisation go? With the original transformer's initialisation and no warm-up, "
           "Post-Norm's gradients grow toward the output and a deeper model barely trains; Pre-Norm trains; a "
           "warm-up (a third of the budget) rescues Post-Norm (Xiong et al., 2020)."), 150,
        {"n_layer": 8, "n_embd": 64, "n_head": 4, "warmup_steps": 0, "init": "xavier", "activation": "gelu"},
        {"Pre-LayerNorm": {"norm_place": "pre", "norm": "layernorm"},
         "Post-LayerNorm": {"norm_place": "post", "norm": "layernorm"},
         "Pre-RMSNorm": {"norm_place": "pre", "norm": "rmsnorm"},
         "Post-RMSNorm": {"norm_place": "post", "norm": "rmsnorm"},
         "Post-LayerNorm + warm-up": {"norm_place": "post", "norm": "layernorm", "warmup_fraction": 1 / 3}}),
    Experiment(
        "activations", N_("Activations"),
        N_("Does the MLP's nonlinearity matter? Gated units (SwiGLU, GeGLU) at the same parameter count."), 200,
        {"n_layer": 3, "n_embd": 96, "n_head": 4},
        {"ReLU": {"activation": "relu"}, "GELU": {"activation": "gelu"}, "Swish": {"activation": "swish"},
         "SwiGLU": {"activation": "swiglu"}, "GeGLU": {"activation": "geglu"}}),
    Experiment(
        "attention", N_("MHA, GQA, MQA"),
        N_("How much quality does sharing key/value heads cost, for how much smaller a cache?"), 200,
        {"n_layer": 3, "n_embd": 128, "n_head": 8},
        {"MHA (8 KV heads)": {"n_kv_head": 8}, "GQA (2 KV heads)": {"n_kv_head": 2}, "MQA (1 KV head)": {"n_kv_head": 1}}),
)}


@dataclass
class VariantResult:
    """What one trained variant measured (no weights: the experiment is about the numbers)."""

    experiment: str
    label: str
    anatomy: dict
    config: dict
    parameters: int
    init_grad_norms: list[float]  # per block, bottom to top, on one batch before any update
    history: list[dict] = field(default_factory=list)  # step, train_loss, val_loss (every eval_interval)
    context_losses: dict[str, float | None] = field(default_factory=dict)  # "1x", "2x", "4x" -> mean val loss
    position_losses: list[float] = field(default_factory=list)  # val loss at each position of 4x windows
    diverged: bool = False
    elapsed_s: float = 0.0

    @property
    def final_val_loss(self) -> float | None:
        losses = [r["val_loss"] for r in self.history if "val_loss" in r]
        return losses[-1] if losses else None

    def as_dict(self) -> dict:
        return asdict(self)


def _loss(model: TinyDecoder, x: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    logits = model(x)
    losses = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), reduction=reduction)
    return losses if reduction == "mean" else losses.view(y.shape)


@torch.no_grad()
def _per_position_loss(model: TinyDecoder, data: torch.Tensor, config: LMConfig) -> torch.Tensor:
    """Loss at each position (T,) averaged over `eval_batches` fixed batches of `config.block_size` tokens."""
    generator = torch.Generator().manual_seed(1)
    total = torch.zeros(config.block_size, device=data.device)
    for _ in range(config.eval_batches):
        x, y = sample_batch(data, config.block_size, config.batch_size, generator)
        total += _loss(model, x, y, reduction="none").mean(0)
    return (total / config.eval_batches).cpu()


def _context_config(config: LMConfig, factor: int) -> LMConfig:
    """Windows `factor` times longer, in batches holding about the same number of tokens."""
    return config.replace(block_size=config.block_size * factor, batch_size=max(1, config.batch_size // factor))


def train_variant(changes: dict, *, corpus: str | None = None, text: str | None = None, steps: int, seed: int = 0,
                  experiment: str = "", label: str = "", device: torch.device | str = "cpu",
                  progress: ProgressCallback | None = None, max_chars: int | None = 2_000_000) -> VariantResult:
    """Train one variant (LMConfig and Anatomy fields that differ from the defaults) on a
    character-level corpus and measure it. `experiment` and `label` only name the result."""
    config, anatomy = parts_of(changes)
    config = config.replace(seed=seed)
    device = torch.device(device)
    text, _ = training_text(corpus=corpus, text=text, max_chars=max_chars)
    tokenizer = CharTokenizer.from_text(text)
    train, val = (part.to(device) for part in
                  split_ids(torch.tensor(tokenizer.encode(text), dtype=torch.long), config.block_size))
    config.check_fits(tokenizer.vocab_size, device=device)
    model = TinyDecoder(config, anatomy, tokenizer.vocab_size).to(device)
    generator = torch.Generator().manual_seed(seed)
    _loss(model, *sample_batch(train, config.block_size, config.batch_size, generator)).backward()
    result = VariantResult(experiment, label, anatomy.as_dict(), asdict(config),
                           sum(p.numel() for p in model.parameters()), layer_gradient_norms(model))
    model.zero_grad(set_to_none=True)

    def loss_at(step: int) -> torch.Tensor:
        return _loss(model, *sample_batch(train, config.block_size, config.batch_size, generator))

    def validation(step: int) -> dict[str, float]:
        return {"val_loss": float(_per_position_loss(model, val, config).mean())}

    history = fit(model, loss_at, steps=steps, schedule=config.schedule, device=device, progress=progress,
                  label=N_("{variant}: step {step} of {steps}"), label_fields={"variant": label}, evaluate=validation,
                  eval_interval=config.eval_interval)
    result.diverged = bool(history and history[-1].get("diverged"))
    result.history = [{k: v for k, v in r.items() if k in ("step", "train_loss", "val_loss")}
                      for r in history if not r.get("diverged")]
    result.elapsed_s = history[-1]["elapsed_s"] if history else 0.0
    for factor in CONTEXT_FACTORS:
        longer = _context_config(config, factor)
        fits = len(val) > longer.block_size + 1 and not result.diverged
        losses = _per_position_loss(model, val, longer) if fits else None
        result.context_losses[f"{factor}x"] = float(losses.mean()) if losses is not None else None
        if losses is not None and factor == CONTEXT_FACTORS[-1]:
            result.position_losses = [round(float(v), 4) for v in losses]
    return result
