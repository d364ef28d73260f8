"""Anatomy experiments as cached jobs: one job per variant, so a page can train an experiment's
variants in the shared queue, show each one's progress, and reuse any already trained.

Settings: the experiment and variant names (for labels), the `changes` that define the variant
(so editing an experiment's definition gives new keys, never stale results), `steps` and `seed`.
"""

from __future__ import annotations

import torch

from core.anatomy.experiments import EXPERIMENTS, VariantResult, parts_of, train_variant
from core.errors import require
from core.jobs import JobContext, JobKind, JobSpec, Work, register
from core.jobs.estimate import transformer_flops
from core.lm.train import char_vocab

DEFAULT_CORPUS = "tinyshakespeare"


def _experiment(name: str):
    require(name in EXPERIMENTS, "No experiment {name!r}: choose one of {choices}.", name=name,
            choices=", ".join(EXPERIMENTS))
    return EXPERIMENTS[name]


def variant_spec(experiment: str, label: str, *, steps: int | None = None, seed: int = 0,
                 corpus: str = DEFAULT_CORPUS) -> JobSpec:
    definition = _experiment(experiment)
    steps = steps or definition.steps
    return ANATOMY.spec(corpus, {"experiment": experiment, "variant": label,
                                 "changes": definition.changes(label, steps), "steps": steps, "seed": seed})


def experiment_specs(experiment: str, *, steps: int | None = None, seed: int = 0,
                     corpus: str = DEFAULT_CORPUS) -> list[JobSpec]:
    """One spec per variant of the experiment, in the experiment's order."""
    return [variant_spec(experiment, label, steps=steps, seed=seed, corpus=corpus)
            for label in _experiment(experiment).variants]


def _train(spec: JobSpec, context: JobContext) -> VariantResult:
    s = spec.settings
    return train_variant(s["changes"], corpus=spec.corpus, steps=s["steps"], seed=s["seed"],
                         experiment=s["experiment"], label=s["variant"], device=context.device,
                         progress=context.progress)


def _work(spec: JobSpec) -> Work:
    """Training, validation every `eval_interval` steps, and the 1x/2x/4x context evaluations."""
    s = spec.settings
    config, _ = parts_of(s["changes"])
    parameters = config.matmul_parameters(char_vocab(spec.corpus))
    window = config.batch_size * config.block_size
    trained = transformer_flops(parameters, config.n_layer, config.n_embd, config.block_size, s["steps"] * window)
    evaluated = (s["steps"] // config.eval_interval + 1 + 3) * config.eval_batches * window
    return Work(trained + transformer_flops(parameters, config.n_layer, config.n_embd, 4 * config.block_size,
                                            evaluated, forward_only=True), "flop")


def _dump(result: VariantResult):
    data = result.as_dict()
    return {"position_losses": torch.tensor(data.pop("position_losses"), dtype=torch.float64)}, data


def _load(tensors, data) -> VariantResult:
    return VariantResult(**data, position_losses=tensors["position_losses"].tolist())


ANATOMY = register(JobKind(
    name="anatomy", version=2, train=_train, dump=_dump, load=_load, work=_work,
    description="a tiny decoder trained with one part swapped (positions, norms, activations, KV heads)",
    defaults=lambda: tuple(spec for name in EXPERIMENTS for spec in experiment_specs(name))))
