"""The alignment chain's default settings, timed step by step, and the comparison it leads to.

    python -m bench.alignment              # a fresh cache: the base model and every step are trained
    python -m bench.alignment --no-hacking # without the extra PPO run at beta = 0
    python -m bench.alignment --language zh  # the Chinese chain (the Chinese classics, include 我)

Prints one Markdown table per step (seconds, key figures), PPO's curves at the default beta and
at beta = 0 (reward hacking), and the evaluation: the rule score of SFT, PPO, DPO and best-of-n
at their KL from the SFT model, mean +- standard deviation over the sampling seeds, on fixed
held-out prompts. Runs on whatever device `core.device` picks.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import table
from core.alignment.configs import PPOConfig
from core.alignment.jobs import (DEFAULT_RULES, default_chain, dpo_spec, ppo_spec, reward_spec, sft_spec)
from core.device import describe_device
from core.jobs import ArtifactStore, JobManager, JobSpec, get_kind
from core.lm.jobs import lm_spec


def run(manager: JobManager, spec: JobSpec) -> tuple[object, float]:
    """Train `spec` (its dependencies are already cached); the artifact and the seconds it took."""
    start = time.perf_counter()
    job = manager.run(spec)
    if job.error is not None:
        raise SystemExit(f"{spec.kind} failed: {job.error}")
    return job.result, time.perf_counter() - start


def mean(records: list[dict], key: str) -> float:
    return sum(r[key] for r in records) / len(records)


def pm(value: float, spread: float) -> str:
    return f"{value:.3f} ± {spread:.3f}"


def step_tables(results: dict, seconds: dict) -> list[str]:
    sft, preferences, reward = results["sft"], results["preferences"], results["reward"]
    ppo, dpo, lora = results["ppo"], results["dpo"], results["lora"]
    lm = results["lm"]
    lora_size = lora.summary["lora"]
    return [
        table([{"seconds": seconds["lm"], "steps": lm.history[-1]["step"],
                "validation loss": lm.history[-1]["val_loss"]}],
              ["seconds", "steps", "validation loss"]),
        table([{"seconds": seconds["sft"], "demonstrations": sft.summary["demonstrations"],
                "first loss": sft.lm.history[0]["train_loss"], "last loss": sft.lm.history[-1]["train_loss"],
                "rule score before": sft.summary["rule_score_before"], "after": sft.summary["rule_score_after"],
                "KL from base": sft.lm.history[-1]["kl"]}],
              ["seconds", "demonstrations", "first loss", "last loss", "rule score before", "after", "KL from base"]),
        table([{"seconds": seconds["preferences"], "prompts x K": f"{len(preferences.prompts)} x {preferences.k}",
                **{f"rank {i + 1} score": float(s) for i, s in enumerate(preferences.scores.mean(0))}}],
              ["seconds", "prompts x K"] + [f"rank {i + 1} score" for i in range(preferences.k)]),
        table([{"seconds": seconds["reward"], "first loss": reward.history[0]["train_loss"],
                "held-out pair accuracy": reward.summary["pair_accuracy"], "pairs": reward.summary["pairs_held_out"],
                "Spearman with rule": reward.summary["agreement"]}],
              ["seconds", "first loss", "held-out pair accuracy", "pairs", "Spearman with rule"]),
        table([{"seconds": seconds["ppo"], "reward first": ppo.lm.history[0]["reward"],
                "reward last 5": mean(ppo.lm.history[-5:], "reward"), "KL last 5": mean(ppo.lm.history[-5:], "kl"),
                "rule first": ppo.lm.history[0]["rule_score"], "rule last 5": mean(ppo.lm.history[-5:], "rule_score"),
                "entropy last 5": mean(ppo.lm.history[-5:], "entropy")}],
              ["seconds", "reward first", "reward last 5", "KL last 5", "rule first", "rule last 5", "entropy last 5"]),
        table([{"seconds": seconds["dpo"], "pairs": dpo.summary["pairs"], "last loss": dpo.lm.history[-1]["train_loss"],
                "implicit reward accuracy": dpo.lm.history[-1]["reward_accuracy"],
                "rule score": dpo.lm.history[-1]["rule_score"], "KL": dpo.lm.history[-1]["kl"]}],
              ["seconds", "pairs", "last loss", "implicit reward accuracy", "rule score", "KL"]),
        table([{"seconds": seconds["lora"], "trainable": f"{lora_size['trainable']:,} of {lora_size['parameters']:,}",
                "optimiser MB (LoRA / full)": f"{lora_size['lora']['optimizer'] / 1e6:.2f} / "
                                              f"{lora_size['full']['optimizer'] / 1e6:.2f}",
                "training MB (LoRA / full)": f"{lora_size['lora_total'] / 1e6:.2f} / "
                                             f"{lora_size['full_total'] / 1e6:.2f}",
                "rule score": lora.summary["rule_score_after"], "full SFT": sft.summary["rule_score_after"],
                "merged vs adapted max |logit diff|": f"{lora_size['merge_max_abs_difference']:.1e}"}],
              ["seconds", "trainable", "optimiser MB (LoRA / full)", "training MB (LoRA / full)", "rule score",
               "full SFT", "merged vs adapted max |logit diff|"]),
    ]


def curves(runs: dict[str, object], every: int = 5) -> str:
    rows = []
    for name, tuned in runs.items():
        for record in tuned.lm.history:
            if record["step"] == 1 or record["step"] % every == 0:
                rows.append({"run": name, "rollout": record["step"], **{k: record[k] for k in (
                    "reward", "kl", "rule_score", "entropy", "surprise")}})
    return table(rows, ["run", "rollout", "reward", "kl", "rule_score", "entropy", "surprise"])


def evaluation_table(rows) -> str:
    return table([{"method": row.method, "rule score": pm(row.rule_score, row.rule_score_std),
                   "KL from SFT (nats)": pm(row.kl, row.kl_std), "reward": row.reward,
                   "surprise (nats/char)": row.surprise, "repeated 4-grams": row.repetition} for row in rows],
                 ["method", "rule score", "KL from SFT (nats)", "reward", "surprise (nats/char)", "repeated 4-grams"])


def chain_rows(device, *, quick: bool = False) -> list[dict]:
    """The default chain's steps on `device`, as rows for bench/gpu.py (a fresh cache; `quick`: the
    base model only a few steps, to check the script)."""
    manager = JobManager(ArtifactStore(Path(tempfile.mkdtemp(prefix="bench-alignment-"))), workers=1, device=device)
    if quick:
        manager.run(lm_spec(steps=20))
    specs = {"SFT": sft_spec(), "reward model": reward_spec(), "PPO": ppo_spec(), "DPO": dpo_spec()}
    run(manager, lm_spec())
    rows = []
    for name, spec in specs.items():
        _, seconds = run(manager, spec)
        rows.append({"model": f"alignment: {name}", "seconds": seconds, "speed": "—", "quality": "—",
                     "ratio to gensim (CPU)": "", "CPU figure": "docs/benchmarks.md#alignment"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.alignment", description=__doc__)
    parser.add_argument("--cache", type=Path, help="artifact folder (default: a new temporary one)")
    parser.add_argument("--no-hacking", action="store_true", help="skip the PPO run at beta = 0")
    parser.add_argument("--language", choices=tuple(DEFAULT_RULES), default="en",
                        help="whose default chain: its base model's corpus and its rule")
    args = parser.parse_args()
    manager = JobManager(ArtifactStore(args.cache or Path(tempfile.mkdtemp(prefix="bench-alignment-"))), workers=1)
    corpus, rule = DEFAULT_RULES[args.language]
    specs = {"lm": lm_spec(corpus), **{spec.kind: spec for spec in default_chain(args.language)}}
    results, seconds = {}, {}
    for name, spec in specs.items():
        results[name], seconds[name] = run(manager, spec)
    print(f"Device: {describe_device(manager.device)}; base corpus: {corpus}; rule: {rule.name} "
          f"{dict(rule.params)}\n")
    chain = ("sft", "preferences", "reward", "ppo", "dpo")
    print(table([{"step": name, "seconds": seconds[name],
                  "estimated TFLOP": get_kind(specs[name].kind).work(specs[name]).amount / 1e12} for name in specs]
                + [{"step": "default chain (SFT to PPO, and DPO)", "seconds": sum(seconds[n] for n in chain)}],
                ["step", "seconds", "estimated TFLOP"]))
    for heading, text in zip(("Base language model", "SFT", "Ranked samples", "Reward model", "PPO", "DPO", "LoRA"),
                             step_tables(results, seconds)):
        print(f"\n{heading}\n\n{text}")
    runs = {f"beta {PPOConfig().beta}": results["ppo"]}
    if not args.no_hacking:
        hacking = ppo_spec(specs["reward"], PPOConfig(beta=0.0, rollouts=60))
        runs["beta 0"], seconds["hacking"] = run(manager, hacking)
        print(f"\nPPO at beta = 0, 60 rollouts: {seconds['hacking']:.0f} s")
    print(f"\nPPO curves\n\n{curves(runs)}")
    print(f"\nEvaluation (mean ± sd over sampling seeds)\n\n{evaluation_table(results['alignment-eval'])}")
    print("\nSamples (first evaluation prompt, seed 0)\n")
    for row in results["alignment-eval"]:
        print(f"- {row.method}: {row.examples[0]!r}")
    if "beta 0" in runs:
        print(f"- PPO beta 0 (last rollout): {runs['beta 0'].lm.samples[-1]['texts'][0]!r}")


if __name__ == "__main__":
    main()
