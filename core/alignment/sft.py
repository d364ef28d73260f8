"""Supervised fine-tuning on demonstrations that satisfy the rule (InstructGPT step 1, Ouyang et
al. 2022; TRL's `SFTTrainer` with `completion_only_loss=True`).

The loss is the next-token cross-entropy on the response tokens only: the prompt conditions the
model but is not learned, as TRL does by labelling prompt tokens -100 (tested equal to
`transformers`' loss with those labels). With `lora`, only rank-r adapters train and are merged
into the weights at the end (`core.alignment.lora`).
"""

from __future__ import annotations

import torch

from core.alignment.configs import LoRAConfig, SFTConfig
from core.alignment.data import Windows, demonstrations
from core.alignment.evaluation import measure
from core.alignment.lora import add_lora, merge_and_check
from core.alignment.rules import Rule
from core.alignment.sampling import response_loss
from core.alignment.tuned import SHOWN_SAMPLES, TunedLM, frozen_copy, trainable_copy
from core.lm.trained import TrainedLM
from core.progress import ProgressCallback
from core.training import fit
from core.i18n import N_


def train_sft(base: TrainedLM, rule: Rule, config: SFTConfig = SFTConfig(), *, corpus: str,
              device: torch.device | str = "cpu", progress: ProgressCallback | None = None,
              lora: LoRAConfig | None = None) -> TunedLM:
    """Fine-tune a copy of `base` on the corpus continuations that `rule` scores highest."""
    config.validate(base.config.block_size)
    device = torch.device(device)
    windows = Windows.of(base.tokenizer, corpus, config.prompt_tokens, config.response_tokens)
    prompts, responses, demo_scores = demonstrations(windows, base.tokenizer, rule, config.demonstrations,
                                                     config.seed)
    sequences = torch.cat([prompts, responses], dim=1).to(device)  # (n, P + R)
    eval_prompts = windows.evaluation_prompts(config.eval_prompts)
    reference = frozen_copy(base.model, device)
    model = trainable_copy(base.model, device)
    adapted = add_lora(model, r=lora.r, alpha=lora.alpha, targets=lora.targets, seed=lora.seed) if lora else None
    generator = torch.Generator().manual_seed(config.seed)
    tuned = TrainedLM(model, base.tokenizer, base.config, corpus=base.corpus)

    def sample(step: int) -> dict[str, float]:
        seen = measure(model, reference, eval_prompts, rule, base.tokenizer, seed=config.seed,
                       response_tokens=config.response_tokens)
        tuned.samples.append({"step": step, "texts": seen.texts[:SHOWN_SAMPLES]})
        return {"rule_score": seen.rule_score, "kl": seen.kl}

    def loss_at(step: int) -> torch.Tensor:
        batch = sequences[torch.randint(len(sequences), (config.batch_size,), generator=generator).to(device)]
        return response_loss(model(input_ids=batch).logits, batch, config.prompt_tokens)

    before = measure(reference, reference, eval_prompts, rule, base.tokenizer, seed=config.seed,
                     response_tokens=config.response_tokens)
    schedule = config.schedule if lora is None else lora.schedule(config.warmup_steps)
    tuned.history = fit(model, loss_at, steps=config.steps, schedule=schedule, device=device, progress=progress,
                        label=N_("fine-tuning, step {step} of {steps}"), evaluate=sample,
                        eval_interval=config.eval_interval,
                        tokens_per_step=config.batch_size * (config.prompt_tokens + config.response_tokens))
    summary = {"demonstrations": len(sequences), "demonstration_score": float(demo_scores.mean()),
               "rule_score_before": before.rule_score, "rule_score_after": tuned.history[-1]["rule_score"],
               "samples_before": before.texts[:SHOWN_SAMPLES], "samples_after": tuned.samples[-1]["texts"],
               "prompts": [base.tokenizer.decode(p) for p in eval_prompts[:SHOWN_SAMPLES].tolist()]}
    if adapted is not None:
        summary["lora"] = merge_and_check(model, sequences)
    return TunedLM(tuned, rule, "sft" if lora is None else "lora-sft", config.prompt_tokens, config.response_tokens,
                   summary)

