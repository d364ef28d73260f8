"""What a running job is handed: where to train, how to report, and how to ask for another artifact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import torch

from core.progress import ProgressCallback

if TYPE_CHECKING:
    from core.jobs.spec import JobSpec


@dataclass(frozen=True)
class JobContext:
    """A job's view of the manager running it.

    `require(spec)` returns another spec's artifact: from memory or the cache, else trained first
    (as its own cached job, with its own progress), so a language model on a trained tokenizer
    never trains that tokenizer privately and uncached.
    """

    device: torch.device  # the device the manager trains on: every job kind uses it
    progress: ProgressCallback  # record an event; returns False when the job should stop
    require: Callable[["JobSpec"], Any]
