"""Anatomy experiments as cached jobs: one job per variant, so a page can train an experiment's
variants in the shared queue, show each one's progress, and reuse any already trained.

Settings: the experiment and variant names (for labels), the `changes` that define the variant
(so editing an experiment's definition gives new keys, never stale results), `steps` and `seed`.
"""

from __future__ import annotations

import torch

from core.anatomy.experiments import EXPERIMENTS, VariantResult, train_variant
from core.errors import require
from core.jobs import JobKind, JobSpec, register

DEFAULT_CORPUS = "tinyshakespeare"


def variant_spec(experiment: str, label: str, *, steps: int | None = None, seed: int = 0,
                 corpus: str = DEFAULT_CORPUS) -> JobSpec:
    require(experiment in EXPERIMENTS, f"No experiment {experiment!r}: choose one of {', '.join(EXPERIMENTS)}.")
    definition = EXPERIMENTS[experiment]
    return JobSpec.of("anatomy", corpus, {"experiment": experiment, "variant": label, "changes": definition.changes(label),
                                          "steps": steps or definition.steps, "seed": seed})


def experiment_specs(experiment: str, *, steps: int | None = None, seed: int = 0,
                     corpus: str = DEFAULT_CORPUS) -> list[JobSpec]:
    """One spec per variant of the experiment, in the experiment's order."""
    require(experiment in EXPERIMENTS, f"No experiment {experiment!r}: choose one of {', '.join(EXPERIMENTS)}.")
    return [variant_spec(experiment, label, steps=steps, seed=seed, corpus=corpus)
            for label in EXPERIMENTS[experiment].variants]


def _train(spec: JobSpec, progress, device: torch.device) -> VariantResult:
    s = spec.settings
    return train_variant(spec.corpus, s["changes"], steps=s["steps"], seed=s["seed"], experiment=s["experiment"],
                         label=s["variant"], device=device, progress=progress)


def _dump(result: VariantResult):
    data = result.as_dict()
    return {"position_losses": torch.tensor(data.pop("position_losses"), dtype=torch.float64)}, data


def _load(tensors, data) -> VariantResult:
    return VariantResult(**data, position_losses=tensors["position_losses"].tolist())


register(JobKind(
    name="anatomy", version=1, train=_train, dump=_dump, load=_load,
    description="a tiny decoder trained with one part swapped (positions, norms, activations, KV heads)",
    defaults=tuple(spec for name in EXPERIMENTS for spec in experiment_specs(name))))
