"""Seeded model initialisation that other threads cannot disturb.

PyTorch initialises weights from its one process-wide generator. The server builds models in
several threads at once (a training job in the queue, a page measuring a fresh model), and a
seed set by one is consumed or reset by the other, so "same settings, same model" would hold only
by luck. Initialising under one lock keeps it exact.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import torch

_GLOBAL_GENERATOR = threading.Lock()


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Within the block, torch's global generator starts at `seed` and no other thread seeds it."""
    with _GLOBAL_GENERATOR:
        torch.manual_seed(seed)
        yield
