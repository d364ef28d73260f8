"""The alignment chain as cached jobs, one kind per step, each depending on the step before it:

    lm -> sft -> preferences -> reward -> ppo
                            \\-> dpo
    sft or dpo -> lora;  ppo + dpo -> alignment-eval

Settings hold exactly what each trainer uses: the previous step's spec (as plain data, so the key
of a step changes whenever anything upstream changes) and the step's config; `sft` also holds the
rule. Each job gets what it builds on through `context.require`, so a page asking for PPO trains
(or loads) SFT, the rankings and the reward model first, each as its own cached job. `work` counts
the floating-point operations of training, sampling and scoring (`core.jobs.estimate`).
"""

from __future__ import annotations

import torch

from core.alignment.configs import (DPOConfig, EvalConfig, LoRAConfig, PPOConfig, PreferenceConfig, RewardConfig,
                                    SFTConfig)
from core.alignment.data import Preferences, Windows, make_preferences
from core.alignment.dpo import train_dpo
from core.alignment.evaluation import EvaluationRow, evaluate
from core.alignment.ppo import train_ppo
from core.alignment.reward import RewardModel, RewardResult, train_reward
from core.alignment.rules import Rule, make_rule, rule_from_dict
from core.alignment.sft import train_sft
from core.alignment.tuned import TunedLM, frozen_copy
from core.errors import UnknownName, require
from core.jobs import JobContext, JobKind, JobSpec, Work, register
from core.jobs.estimate import transformer_flops
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec, lm_vocab


# ---- specs ------------------------------------------------------------------------------------
def sft_spec(base: JobSpec | None = None, rule: Rule | None = None, config: SFTConfig = SFTConfig()) -> JobSpec:
    """Fine-tune the language model `base` (an `lm` spec) towards `rule`."""
    base = base or lm_spec()
    return SFT.spec(base.corpus, {"base": base.as_dict(), "rule": (rule or make_rule()).as_dict(),
                                  "config": config.validate(LMConfig(**base.settings["config"]).block_size).as_dict()})


def preferences_spec(sft: JobSpec | None = None, config: PreferenceConfig = PreferenceConfig()) -> JobSpec:
    sft = sft or sft_spec()
    return PREFERENCES.spec(sft.corpus, {"sft": sft.as_dict(), "config": config.validate().as_dict()})


def reward_spec(preferences: JobSpec | None = None, config: RewardConfig = RewardConfig()) -> JobSpec:
    preferences = preferences or preferences_spec()
    return REWARD.spec(preferences.corpus, {"preferences": preferences.as_dict(),
                                            "config": config.validate().as_dict()})


def ppo_spec(reward: JobSpec | None = None, config: PPOConfig = PPOConfig()) -> JobSpec:
    reward = reward or reward_spec()
    return PPO.spec(reward.corpus, {"reward": reward.as_dict(), "config": config.validate().as_dict()})


def dpo_spec(preferences: JobSpec | None = None, config: DPOConfig = DPOConfig()) -> JobSpec:
    preferences = preferences or preferences_spec()
    return DPO.spec(preferences.corpus, {"preferences": preferences.as_dict(), "config": config.validate().as_dict()})


def lora_spec(of: JobSpec | None = None, config: LoRAConfig = LoRAConfig()) -> JobSpec:
    """The fine-tuning `of` (an `sft` or `dpo` spec) again, with adapters instead of every weight."""
    of = of or sft_spec()
    require(of.kind in ("sft", "dpo"), "LoRA fine-tunes as an 'sft' or 'dpo' job does, not as {kind!r}.", kind=of.kind)
    return LORA.spec(of.corpus, {"of": of.as_dict(), "config": config.validate().as_dict()})


def evaluation_spec(ppo: JobSpec | None = None, dpo: JobSpec | None = None,
                    config: EvalConfig = EvalConfig()) -> JobSpec:
    """SFT, PPO, DPO and best-of-n compared; `ppo` and `dpo` must build on the same SFT model."""
    ppo, dpo = ppo or ppo_spec(), dpo or dpo_spec()
    require(upstream(ppo, "sft") == upstream(dpo, "sft"), "PPO and DPO must start from the same SFT model to be "
            "compared: build both on one preferences job.")
    return EVALUATION.spec(ppo.corpus, {"ppo": ppo.as_dict(), "dpo": dpo.as_dict(),
                                        "config": config.validate().as_dict()})


def upstream(spec: JobSpec, kind: str) -> JobSpec:
    """The spec of `kind` that `spec` builds on (itself if it is of that kind)."""
    found = _search(spec, kind)
    if found is None:
        raise UnknownName("A {have!r} job does not build on a {kind!r} job.", have=spec.kind, kind=kind)
    return found


def _search(spec: JobSpec, kind: str) -> JobSpec | None:
    if spec.kind == kind:
        return spec
    for value in spec.settings.values():
        if isinstance(value, dict) and {"kind", "settings"} <= set(value):
            found = _search(JobSpec.from_dict(value), kind)
            if found is not None:
                return found
    return None


def _config(spec: JobSpec, cls):
    return cls.from_dict(spec.settings["config"])


def _windows(sft: TunedLM, corpus: str) -> Windows:
    return Windows.of(sft.tokenizer, corpus, sft.prompt_tokens, sft.response_tokens)


# ---- training ---------------------------------------------------------------------------------
def _train_sft(spec: JobSpec, context: JobContext, lora: LoRAConfig | None = None) -> TunedLM:
    base = context.require(JobSpec.from_dict(spec.settings["base"]))
    return train_sft(base, rule_from_dict(spec.settings["rule"]), _config(spec, SFTConfig), corpus=spec.corpus,
                     device=context.device, progress=context.progress, lora=lora)


def _train_preferences(spec: JobSpec, context: JobContext) -> Preferences:
    sft = context.require(upstream(spec, "sft"))
    config = _config(spec, PreferenceConfig)
    return make_preferences(frozen_copy(sft.model, context.device), sft.tokenizer, _windows(sft, spec.corpus), sft.rule,
                            prompts=config.prompts, k=config.k, held_out=config.held_out, seed=config.seed,
                            progress=context.progress)


def _train_reward(spec: JobSpec, context: JobContext) -> RewardResult:
    sft = context.require(upstream(spec, "sft"))
    preferences = context.require(upstream(spec, "preferences"))
    return train_reward(sft.model, preferences, _config(spec, RewardConfig), device=context.device,
                        progress=context.progress)


def _train_ppo(spec: JobSpec, context: JobContext) -> TunedLM:
    sft = context.require(upstream(spec, "sft"))
    reward = context.require(upstream(spec, "reward"))
    return train_ppo(sft, reward.model, _windows(sft, spec.corpus), _config(spec, PPOConfig), device=context.device,
                     progress=context.progress)


def _train_dpo(spec: JobSpec, context: JobContext, lora: LoRAConfig | None = None) -> TunedLM:
    sft = context.require(upstream(spec, "sft"))
    preferences = context.require(upstream(spec, "preferences"))
    return train_dpo(sft, preferences, _windows(sft, spec.corpus), _config(spec, DPOConfig), device=context.device,
                     progress=context.progress, lora=lora)


def _train_lora(spec: JobSpec, context: JobContext) -> TunedLM:
    of, config = JobSpec.from_dict(spec.settings["of"]), _config(spec, LoRAConfig)
    return (_train_sft if of.kind == "sft" else _train_dpo)(of, context, lora=config)


def _train_evaluation(spec: JobSpec, context: JobContext) -> list[EvaluationRow]:
    ppo_job, dpo_job = JobSpec.from_dict(spec.settings["ppo"]), JobSpec.from_dict(spec.settings["dpo"])
    sft = context.require(upstream(ppo_job, "sft"))
    reward = frozen_copy(context.require(upstream(ppo_job, "reward")).model, context.device)
    policies = {"SFT": sft, "PPO": context.require(ppo_job), "DPO": context.require(dpo_job)}
    config = _config(spec, EvalConfig)
    reference = frozen_copy(sft.model, context.device)
    models = {name: (reference if name == "SFT" else frozen_copy(tuned.model, context.device))
              for name, tuned in policies.items()}
    prompts = _windows(sft, spec.corpus).evaluation_prompts(config.prompts)
    return evaluate(models, reference, prompts, sft.rule, sft.tokenizer, response_tokens=sft.response_tokens,
                    seeds=list(config.seeds), reward=reward.score, best_of=list(config.best_of))


# ---- artifacts --------------------------------------------------------------------------------
def _dump_preferences(p: Preferences):
    return ({"prompts": p.prompts, "responses": p.responses, "scores": p.scores},
            {"held_out": p.held_out, "examples": p.examples})


def _load_preferences(tensors: dict[str, torch.Tensor], data: dict) -> Preferences:
    return Preferences(tensors["prompts"], tensors["responses"], tensors["scores"], data["held_out"], data["examples"])


def _dump_reward(result: RewardResult):
    tensors, data = result.model.to_artifact()
    return tensors, {**data, "history": result.history, "summary": result.summary}


def _load_reward(tensors: dict[str, torch.Tensor], data: dict) -> RewardResult:
    return RewardResult(RewardModel.from_artifact(tensors, data), data["history"], data["summary"])


def _dump_tuned(tuned: TunedLM):
    return tuned.to_artifact()


# ---- work -------------------------------------------------------------------------------------
def _flops(spec: JobSpec, *, trained: float = 0, forward: float = 0) -> float:
    """FLOPs of `trained` tokens through forward and backward and `forward` tokens forward only,
    on the language model the chain starts from."""
    base = upstream(spec, "lm")
    config = LMConfig(**base.settings["config"])
    parameters = config.matmul_parameters(lm_vocab(base))
    shape = (parameters, config.n_layer, config.n_embd, config.block_size)
    return (transformer_flops(*shape, int(trained)) + transformer_flops(*shape, int(forward), forward_only=True))


def _lengths(spec: JobSpec) -> tuple[int, int]:
    sft = SFTConfig.from_dict(upstream(spec, "sft").settings["config"])
    return sft.prompt_tokens, sft.response_tokens


def _sft_work(spec: JobSpec) -> Work:
    c = _config(spec, SFTConfig)
    t = c.prompt_tokens + c.response_tokens
    measures = c.steps // c.eval_interval + 2
    return Work(_flops(spec, trained=c.steps * c.batch_size * t, forward=measures * c.eval_prompts * 3 * t), "flop")


def _preferences_work(spec: JobSpec) -> Work:
    c, (p, r) = _config(spec, PreferenceConfig), _lengths(spec)
    return Work(_flops(spec, forward=c.prompts * c.k * (p + r)), "flop")


def _reward_work(spec: JobSpec) -> Work:
    c, (p, r) = _config(spec, RewardConfig), _lengths(spec)
    ranked = PreferenceConfig.from_dict(upstream(spec, "preferences").settings["config"])
    checks = 8 * ranked.held_out * ranked.k * ranked.k + ranked.prompts * ranked.k
    return Work(_flops(spec, trained=c.steps * c.batch_groups * ranked.k * (p + r), forward=checks * (p + r)), "flop")


def _ppo_work(spec: JobSpec) -> Work:
    c, (p, r) = _config(spec, PPOConfig), _lengths(spec)
    block = LMConfig(**upstream(spec, "lm").settings["config"]).block_size
    ptx = c.ppo_epochs * c.batch_size * block if c.ptx_coef > 0 else 0
    per_rollout_forward = c.batch_size * (p + r) * 4  # sampling, then policy + value, reference and reward passes
    return Work(_flops(spec, trained=c.rollouts * (c.ppo_epochs * c.batch_size * (p + r) + ptx),
                       forward=c.rollouts * per_rollout_forward), "flop")


def _dpo_work(spec: JobSpec) -> Work:
    c, (p, r) = _config(spec, DPOConfig), _lengths(spec)
    ranked = PreferenceConfig.from_dict(upstream(spec, "preferences").settings["config"])
    pairs = (ranked.prompts - ranked.held_out) * ranked.k * (ranked.k - 1) // 2
    measures = c.steps // c.eval_interval + 1
    return Work(_flops(spec, trained=c.steps * 2 * c.batch_size * (p + r),
                       forward=(2 * pairs + measures * c.eval_prompts * 3) * (p + r)), "flop")


def _lora_work(spec: JobSpec) -> Work:
    """As the fine-tuning it repeats (the frozen weights' gradients are skipped, which this
    estimate ignores: an upper bound)."""
    of = JobSpec.from_dict(spec.settings["of"])
    return (_sft_work if of.kind == "sft" else _dpo_work)(of)


def _evaluation_work(spec: JobSpec) -> Work:
    c, (p, r) = _config(spec, EvalConfig), _lengths(spec)
    per_seed = c.prompts * (3 * 4 + max(c.best_of) * 2) * (p + r)
    return Work(_flops(spec, forward=len(c.seeds) * per_seed), "flop")


# ---- the default chains -------------------------------------------------------------------------
# Each language's first chain: its base model's corpus and a rule a class can read in that language.
# Chinese has no character as common as 'e' in English (a lipogram of 的, its most frequent one,
# scores 0.98 before any fine-tuning), so its chain asks for the word 我 ("I"), which the base
# model writes in about a quarter of its responses: room for every step to show a gain.
DEFAULT_RULES: dict[str, tuple[str, Rule]] = {"en": ("tinyshakespeare", make_rule("avoid_letter", letter="e")),
                                              "zh": ("chinese", make_rule("include_word", word="我"))}


def default_chain(language: str = "en") -> list[JobSpec]:
    """Every step's default spec in `language` (a key of DEFAULT_RULES), in the order they train:
    SFT, ranked samples, reward model, PPO, DPO, LoRA, the comparison."""
    corpus, rule = DEFAULT_RULES[language]
    sft = sft_spec(lm_spec(corpus), rule)
    preferences = preferences_spec(sft)
    reward = reward_spec(preferences)
    ppo, dpo = ppo_spec(reward), dpo_spec(preferences)
    return [sft, preferences, reward, ppo, dpo, lora_spec(sft), evaluation_spec(ppo, dpo)]


def _kind(name: str, train, dump, load, work, description: str) -> JobKind:
    """A step of the chain; its defaults are its spec in each language's default chain (what
    `python -m core warm` prepares)."""
    return register(JobKind(name=name, version=1, train=train, dump=dump, load=load, work=work,
                            description=description, defaults=lambda: tuple(
                                spec for language in DEFAULT_RULES for spec in default_chain(language)
                                if spec.kind == name)))


SFT = _kind("sft", _train_sft, _dump_tuned, TunedLM.from_artifact, _sft_work,
            "a language model fine-tuned on demonstrations that satisfy a rule")
PREFERENCES = _kind("preferences", _train_preferences, _dump_preferences, _load_preferences, _preferences_work,
                    "K responses per prompt from the SFT model, ranked by the rule")
REWARD = _kind("reward", _train_reward, _dump_reward, _load_reward, _reward_work,
               "a reward model trained on ranked responses")
PPO = _kind("ppo", _train_ppo, _dump_tuned, TunedLM.from_artifact, _ppo_work,
            "RLHF: the SFT model optimised with PPO against the reward model")
DPO = _kind("dpo", _train_dpo, _dump_tuned, TunedLM.from_artifact, _dpo_work,
            "the SFT model trained with DPO on the ranked pairs")
LORA = _kind("lora", _train_lora, _dump_tuned, TunedLM.from_artifact, _lora_work,
             "SFT or DPO with low-rank adapters, merged into the weights")
EVALUATION = _kind("alignment-eval", _train_evaluation, lambda rows: ({}, {"rows": [r.as_dict() for r in rows]}),
                   lambda tensors, data: [EvaluationRow(**row) for row in data["rows"]], _evaluation_work,
                   "rule score against KL for SFT, PPO, DPO and best-of-n")
