"""Which accelerator to train on: CUDA, then Apple MPS, then the CPU.

One place decides, so every page trains where the others do. `NLP_PLAYGROUND_DEVICE` overrides
the choice (`cpu`, `cuda`, `cuda:1`, `mps`); an override naming a device that is not there falls
back to the automatic choice rather than failing a lecture.
"""

from __future__ import annotations

import os

import torch

from core import settings
from core.i18n import N_


def _available(name: str) -> bool:
    kind = name.split(":", 1)[0]
    if kind == "cpu":
        return True
    if kind == "cuda":
        if not torch.cuda.is_available():
            return False
        index = int(name.split(":", 1)[1]) if ":" in name else 0
        return index < torch.cuda.device_count()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


def pick_device(preferred: str | torch.device | None = None) -> torch.device:
    """The device to use: `preferred` if given and present, else the environment's, else the best."""
    for choice in (preferred, os.environ.get(settings.ENV_DEVICE, "").strip().lower()):
        if choice and str(choice) != "auto" and _available(str(choice)):
            return torch.device(str(choice))
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _available("mps"):
        return torch.device("mps")
    return torch.device("cpu")


def device_words(device: torch.device | None = None) -> tuple[str, dict]:
    """A short human description as an English template (N_-marked, so the page can translate it)
    and its fields: 'CUDA: NVIDIA H200 (139 GiB)', 'Apple MPS' or 'CPU (2 threads)'."""
    device = device or pick_device()
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return N_("CUDA: {name} ({memory:.0f} GiB)"), {"name": props.name, "memory": props.total_memory / 2**30}
    if device.type == "mps":
        return N_("Apple MPS"), {}
    return N_("CPU ({threads} threads)"), {"threads": torch.get_num_threads()}


def describe_device(device: torch.device | None = None) -> str:
    """The description in English (command line, benchmarks)."""
    template, fields = device_words(device)
    return template.format(**fields)
