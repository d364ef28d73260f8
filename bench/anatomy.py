"""The anatomy experiments' figures: every variant of every experiment (trained, or loaded from the
cache), its validation loss, its loss at 1x/2x/4x the trained context, and its gradient norms at
initialisation.

    python -m bench.anatomy
"""

from __future__ import annotations

from bench.common import table
from core.anatomy.experiments import EXPERIMENTS
from core.anatomy.jobs import experiment_specs
from core.jobs import JobManager


def _loss(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main() -> None:
    manager = JobManager()
    for name, experiment in EXPERIMENTS.items():
        rows = []
        for spec in experiment_specs(name):
            job = manager.run(spec)
            if job.error:
                rows.append({"variant": spec.settings["variant"], "validation loss": job.error})
                continue
            r = job.result
            rows.append({"variant": r.label, "parameters": f"{r.parameters:,}",
                         "validation loss": _loss(None if r.diverged else r.final_val_loss),
                         **{f"loss at {f}": _loss(r.context_losses.get(f)) for f in ("1x", "2x", "4x")},
                         "grad norm, first / last layer": f"{r.init_grad_norms[0]:.3f} / {r.init_grad_norms[-1]:.3f}",
                         "training (s)": f"{r.elapsed_s:.0f}"})
        print(f"\n### {experiment.title} ({experiment.steps} steps per variant, seed 0)\n")
        print(table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
