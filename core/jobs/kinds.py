"""The registry of job kinds: how to train, save and load each kind of artifact.

A topic package (embeddings, tokenizers, lm, ...) registers its kinds in its `jobs` module;
`ensure_registered` imports those modules the first time a kind is looked up, so importing
`core.jobs` stays cheap and no topic has to know about the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from core.errors import UnknownName
from core.jobs.progress import ProgressCallback
from core.jobs.spec import JobSpec

Tensors = dict[str, torch.Tensor]
TOPIC_JOB_MODULES = (
    "core.tokenizers.jobs",
    "core.embeddings.jobs",
    "core.lm.jobs",
    "core.anatomy.jobs",
)


@dataclass(frozen=True)
class JobKind:
    """How one kind of artifact is trained and persisted."""

    name: str
    version: int  # bump when the training code changes what it produces: old artifacts are ignored
    train: Callable[[JobSpec, ProgressCallback, torch.device], Any]
    dump: Callable[[Any], tuple[Tensors, dict]]  # artifact -> (tensors, JSON-able metadata)
    load: Callable[[Tensors, dict], Any]  # the inverse of dump
    description: str = ""
    defaults: tuple[JobSpec, ...] = field(default=())  # trained by `python -m core warm`


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
        raise UnknownName(f"No job kind named {name!r}. Known kinds: {', '.join(sorted(_KINDS)) or 'none'}.")
    return _KINDS[name]


def all_kinds() -> list[JobKind]:
    ensure_registered()
    return list(_KINDS.values())
