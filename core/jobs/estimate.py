"""How long a job will take on this server's device: measured, then corrected by every job that ran.

Gradient-trained models state their work in floating-point operations (about 6 x parameters x
tokens, Kaplan et al. 2020, plus attention); the device's rate for such tiny models is measured
once per process by timing a few training steps of a small decoder (`measure_flop_rate`), because
tiny models reach a small and device-specific fraction of peak speed. Other work (characters a
tokenizer reads, words word2vec walks) starts from rates measured on the 2-core development
machine (docs/benchmarks.md). After each job, the ratio of its real time to the prediction is
remembered per kind and device, on disk beside the artifacts, so estimates converge to what this
server really does and replicas share what they learned.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from core.jobs.kinds import Work

# Rates measured on the development machine (2 cores, docs/benchmarks.md), per second
PRIOR_RATES = {
    "char": 1.0e6,  # byte-level BPE training reads about a million characters a second
    "word": 7.0e5,  # CBOW with negative sampling, effective words a second over all epochs
}
CALIBRATION_STEPS = 3
SMOOTHING = 0.5  # weight of the newest observation in the per-kind correction


@dataclass(frozen=True)
class Estimate:
    seconds: float
    measured: bool  # corrected by a job of this kind that ran on this device (else a first estimate)


def transformer_flops(parameters: int, n_layer: int, n_embd: int, block_size: int, tokens: int,
                      forward_only: bool = False) -> float:
    """Training FLOPs for `tokens` tokens: 6 N per token (2 forward, 4 backward) plus attention's
    12 x layers x context x width (PaLM's appendix B accounting); a third of that without backward.
    N is the parameters a token is multiplied by (`LMConfig.matmul_parameters`), not lookup tables."""
    per_token = 6 * parameters + 12 * n_layer * block_size * n_embd
    return per_token * tokens / (3 if forward_only else 1)


class _Block(torch.nn.Module):
    """A pre-norm transformer block in plain torch: the work of the playground's tiny models."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.qkv, self.out = torch.nn.Linear(width, 3 * width), torch.nn.Linear(width, width)
        self.up, self.down = torch.nn.Linear(width, 4 * width), torch.nn.Linear(4 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, e = x.shape
        q, k, v = (part.view(b, t, self.heads, -1).transpose(1, 2) for part in self.qkv(self.norm1(x)).split(e, -1))
        attended = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.out(attended.transpose(1, 2).reshape(b, t, e))
        return x + self.down(torch.nn.functional.gelu(self.up(self.norm2(x))))


def measure_flop_rate(device: torch.device, *, layers: int = 4, width: int = 128, context: int = 64,
                      batch: int = 32) -> float:
    """FLOP/s this device reaches training a small decoder (a few steps, timed after a warm-up)."""
    generator = torch.Generator().manual_seed(0)
    blocks = torch.nn.Sequential(*(_Block(width, 4) for _ in range(layers))).to(device)
    optimizer = torch.optim.AdamW(blocks.parameters(), lr=1e-3)
    x = torch.randn(batch, context, width, generator=generator).to(device)

    def step() -> None:
        loss = blocks(x).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()  # warm-up: allocations, kernel selection
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(CALIBRATION_STEPS):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = (time.perf_counter() - start) / CALIBRATION_STEPS
    parameters = sum(p.numel() for p in blocks.parameters())
    return transformer_flops(parameters, layers, width, context, batch * context) / max(seconds, 1e-9)


class SpeedBook:
    """This device's speed per unit of work and each kind's correction, kept in `folder`."""

    def __init__(self, device: torch.device, folder: Path | None,
                 measure: Callable[[torch.device], float] = None):
        self.device = device
        slug = str(device).replace(":", "-")
        self.path = folder / f"{slug}.json" if folder is not None else None
        self.measure = measure or measure_flop_rate  # a cluster measures on one of its workers
        self._lock = threading.Lock()
        self._flop_rate: float | None = None
        self._ratios: dict[str, float] = {}
        self._units: dict[str, str] = {}
        self._read()

    def _read(self) -> None:
        if self.path is None:
            return
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._ratios = {str(k): float(v) for k, v in data.get("ratios", {}).items() if float(v) > 0}
            self._flop_rate = self._flop_rate or (float(data["flop_rate"]) if data.get("flop_rate") else None)
            self._units = {str(k): str(v) for k, v in data.get("units", {}).items()}

    def _write(self) -> None:
        if self.path is None:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"ratios": self._ratios, "units": self._units, "flop_rate": self._flop_rate}),
                           encoding="utf-8")
            os.replace(tmp, self.path)

    def rate(self, unit: str) -> float:
        if unit == "flop":
            with self._lock:
                if self._flop_rate is None:
                    self._flop_rate = self.measure(self.device)
                    self._write()  # measured once per device, for every replica sharing the cache
                return self._flop_rate
        return PRIOR_RATES.get(unit, 1.0)

    def estimate(self, kind: str, work: Work) -> Estimate:
        """Seconds `work` of `kind` takes here. A kind never run here borrows the median correction
        of the kinds measured in the same unit (a language model from the masked model, say)."""
        ratio = self._ratios.get(kind)
        if ratio is None:
            kin = sorted(r for k, r in self._ratios.items() if self._units.get(k) == work.unit)
            borrowed = kin[len(kin) // 2] if kin else 1.0
            return Estimate(work.amount / self.rate(work.unit) * borrowed, False)
        return Estimate(work.amount / self.rate(work.unit) * ratio, True)

    def observe(self, kind: str, work: Work, seconds: float) -> None:
        """A job of `kind` took `seconds`: move the kind's correction toward what was seen."""
        predicted = work.amount / self.rate(work.unit)
        if predicted <= 0 or seconds <= 0:
            return
        with self._lock:
            self._read()  # another replica may have learned something meanwhile
            seen = seconds / predicted
            old = self._ratios.get(kind)
            self._ratios[kind] = seen if old is None else (1 - SMOOTHING) * old + SMOOTHING * seen
            self._units[kind] = work.unit
            self._write()
