"""The registry of job kinds: how to train, save, load and cost each kind of artifact.

A topic package (embeddings, tokenizers, lm, ...) registers its kinds in its `jobs` module;
`ensure_registered` imports those modules the first time a kind is looked up, so importing
`core.jobs` stays cheap and no topic has to know about the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch

from core.errors import UnknownName
from core.jobs.context import JobContext
from core.jobs.spec import JobSpec

Tensors = dict[str, torch.Tensor]
TOPIC_JOB_MODULES = (
    "core.tokenizers.jobs",
    "core.embeddings.jobs",
    "core.lm.jobs",
    "core.anatomy.jobs",
    "core.alignment.jobs",
)


@dataclass(frozen=True)
class Work:
    """How much computing a job needs, in a unit its kind's speed is measured in."""

    amount: float  # e.g. floating-point operations, words, characters
    unit: str  # "flop" for gradient-trained models (one speed per device), else a kind-specific unit


@dataclass(frozen=True)
class JobKind:
    """How one kind of artifact is trained, persisted and costed."""

    name: str
    version: int  # bump when the training code changes what it produces: old artifacts are ignored
    train: Callable[[JobSpec, JobContext], Any]
    dump: Callable[[Any], tuple[Tensors, dict]]  # artifact -> (tensors, JSON-able metadata)
    load: Callable[[Tensors, dict], Any]  # the inverse of dump
    work: Callable[[JobSpec], Work]  # what training it costs, for the estimate shown before Train
    description: str = ""
    defaults: Callable[[], tuple[JobSpec, ...]] = field(default=lambda: ())  # trained by `python -m core warm`

    def spec(self, corpus: str, settings: Mapping[str, Any] | None = None) -> JobSpec:
        """A spec of this kind at its current version."""
        return JobSpec.of(self.name, self.version, corpus, settings)


_KINDS: dict[str, JobKind] = {}
_imported = False


def register(kind: JobKind) -> JobKind:
    """Add a kind (re-registering a name replaces it, so modules can be reloaded)."""
    _KINDS[kind.name] = kind
    return kind


def ensure_registered() -> None:
    """Import every topic's job module once."""
    global _imported
    if _imported:
        return
    _imported = True
    for module in TOPIC_JOB_MODULES:
        importlib.import_module(module)


def get_kind(name: str) -> JobKind:
    if name not in _KINDS:
        ensure_registered()
    if name not in _KINDS:
        raise UnknownName("No job kind named {name!r}. Known kinds: {known}.", name=name,
                          known=", ".join(sorted(_KINDS)) or "none")
    return _KINDS[name]


def all_kinds() -> list[JobKind]:
    ensure_registered()
    return list(_KINDS.values())
