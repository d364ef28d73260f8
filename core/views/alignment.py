"""What the fine-tuning & alignment page shows: the chain after pre-training (SFT, a reward model,
RLHF with PPO, DPO, LoRA) run on the playground's tiny language models, towards a preference that a
visible rule stands in for (`core.alignment`, which follows InstructGPT, Ouyang et al. 2022).

The page's settings are declared here (`PARAMS`). `chain(settings, lms)` turns them into every
step's job spec, each built from the spec of the step before it (`core.alignment.jobs`), so the
defaults are the default chain that `python -m core warm` trains (`first_models`). Each tab is one
function that reads a step's artifact and returns plain data. The only model calls made per request
are capped here: ranking samples of the base model (`EXAMPLE_PROMPTS` prompts x K) and scoring with
the reward model (its `EXAMPLE_PROMPTS` ranked groups, and one text of `TRY.max_chars` characters).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from core.alignment.configs import (DPOConfig, EvalConfig, LoRAConfig, PPOConfig, PreferenceConfig, RewardConfig,
                                    SFTConfig)
from core.alignment.data import Preferences, Windows, make_preferences
from core.alignment.evaluation import EvaluationRow
from core.alignment.jobs import (DEFAULT_RULES, dpo_spec, evaluation_spec, lora_spec, ppo_spec, preferences_spec,
                                 reward_spec, sft_spec)
from core.alignment.lora import linear_names
from core.alignment.papers import PAPERS, Paper
from core.alignment.reward import RewardResult
from core.alignment.rules import RULES, Rule, make_rule
from core.alignment.tuned import TunedLM
from core.errors import InvalidText
from core.i18n import N_
from core.jobs import JobManager, JobSpec
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec
from core.lm.model import build_model
from core.lm.trained import TrainedLM
from core.views.attention import training_record
from core.views.decoding import spec_of
from core.views.params import Choice, Flag, Many, Number, Params, Text

EXAMPLE_PROMPTS = 3  # prompts whose K responses are sampled and ranked (or scored) per request: 27 responses at most
PROMPT_TOKENS, RESPONSE_TOKENS = SFTConfig.prompt_tokens, SFTConfig.response_tokens  # on a context of 64
PTX_COEF = 1.0  # PPO-ptx's weight of the pre-training loss when it is on (the chain's test: a loss near the base's)
HELD_OUT_SHARE = 6  # one prompt in six is held out to measure the reward model (64 of the default 384)
TAIL = 5  # rollouts averaged for the figures "at the end" of PPO (as the PPO job's own summary)
DPO_START_LOSS = float(np.log(2))  # DPO's loss when the policy equals the reference

TABS = {"overview": N_("Overview & comparison"), "base": N_("1 · Base model"), "rule": N_("2 · Preference"),
        "sft": N_("3 · SFT"), "reward": N_("4 · Reward model"), "ppo": N_("5 · RLHF with PPO"), "dpo": N_("6 · DPO"),
        "lora": N_("7 · LoRA")}
RULE_NAMES = {"avoid_letter": N_("avoid a letter (a lipogram)"), "include_word": N_("include a word"),
              "line_length": N_("shorter or longer lines"), "end_with": N_("end lines with a character")}
STEP_NAMES = {"base": N_("base model"), "sft": N_("SFT"), "preferences": N_("ranked samples"),
              "reward": N_("reward model"), "ppo": N_("PPO"), "dpo": N_("DPO"), "lora": N_("LoRA"),
              "evaluation": N_("comparison")}
METRICS = {"reward": N_("reward model's score"), "rule_score": N_("true rule score"), "kl": N_("KL from SFT (nats)"),
           "entropy": N_("entropy (nats/token)"), "surprise": N_("SFT's surprise (nats/token)"),
           "repetition": N_("repeated 4-grams (share)"), "ptx_loss": N_("pre-training loss (nats/token)")}
LORA_DEFAULTS = {"llama": ("q_proj", "v_proj"), "gpt2": ("c_attn",)}  # Hu et al. adapt the query and value
TAB_PAPERS = {  # the papers each tab follows, by their step in `core.alignment.papers`
    "overview": ("The three steps (SFT, reward model, PPO)", "Best-of-n and KL, reward hacking"),
    "rule": ("The three steps (SFT, reward model, PPO)", "Best-of-n and KL, reward hacking"),
    "sft": ("The three steps (SFT, reward model, PPO)",),
    "reward": ("The three steps (SFT, reward model, PPO)", "Reward model and KL-penalised RL",
               "Reward normalisation, KL penalty"),
    "ppo": ("PPO", "GAE", "Reward model and KL-penalised RL", "Best-of-n and KL, reward hacking"),
    "dpo": ("DPO",), "lora": ("LoRA",)}

TAB = Choice("al_tab", "overview", N_("Section"), options=tuple(TABS), names=TABS)
EN_RULE, ZH_RULE = DEFAULT_RULES["en"][1], DEFAULT_RULES["zh"][1]  # each language's default chain's rule
BASE = Choice("al_base", lm_spec().key, N_("Base model"), localized={"zh": lm_spec(DEFAULT_RULES["zh"][0]).key},
              help=N_("The language model of the attention page; train others there."))
RULE = Choice("al_rule", EN_RULE.name, N_("The labeller's rule"), options=tuple(RULES), names=RULE_NAMES,
              localized={"zh": ZH_RULE.name},
              help=N_("Stands in for human labellers: it scores every response, so the true preference is known."))
LETTER = Text("al_letter", dict(EN_RULE.params)["letter"], N_("Letter to avoid"), max_chars=1,
              localized={"zh": "的"})
WORD = Text("al_word", "love", N_("Word to include"), max_chars=16, localized={"zh": dict(ZH_RULE.params)["word"]})
PREFER = Choice("al_prefer", "shorter", N_("Prefer"), options=("shorter", "longer"),
                names={"shorter": N_("shorter lines"), "longer": N_("longer lines")})
CHAR = Text("al_char", "?", N_("Character to end lines with"), max_chars=1, localized={"zh": "。"})
SFT_STEPS = Number("al_sft_steps", SFTConfig.steps, N_("SFT steps"), low=10, high=1000, step=10)
K = Number("al_k", PreferenceConfig.k, N_("Responses ranked per prompt (K)"), low=4, high=9,
           help=N_("InstructGPT's labellers ranked 4 to 9 answers; each ranking gives K·(K-1)/2 pairs."))
PROMPTS = Choice("al_prompts", PreferenceConfig.prompts, N_("Prompts ranked"), options=(96, 192, 384, 768))
RM_STEPS = Number("al_rm_steps", RewardConfig.steps, N_("Reward model steps"), low=10, high=1000, step=10)
BETA = Number("al_beta", PPOConfig.beta, N_("KL penalty β"), low=0.0, high=0.5, step=0.01, integer=False,
              help=N_("Each token pays β × (log π − log π_SFT). At 0 nothing holds the policy near the SFT model."))
ROLLOUTS = Number("al_rollouts", PPOConfig.rollouts, N_("Rollouts"), low=2, high=200,
                  help=N_("Rounds of sample → score → optimise, 64 prompts each."))
PTX = Flag("al_ptx", False, N_("Mix in pre-training (PPO-ptx)"),
           help=N_("InstructGPT's PPO-ptx: the next-token loss on the corpus is added to PPO's objective."))
DPO_BETA = Number("al_dpo_beta", DPOConfig.beta, N_("DPO β"), low=0.01, high=1.0, step=0.01, integer=False,
                  help=N_("How strongly DPO is held to the SFT model (its implicit KL constraint)."))
DPO_STEPS = Number("al_dpo_steps", DPOConfig.steps, N_("DPO steps"), low=10, high=1000, step=10)
LORA_OF = Choice("al_lora_of", "sft", N_("Fine-tuning done with adapters"), options=("sft", "dpo"),
                 names={"sft": N_("SFT"), "dpo": N_("DPO")})
RANK = Choice("al_rank", LoRAConfig.r, N_("Rank r"), options=(1, 2, 4, 8, 16, 32))
TARGETS = Many("al_targets", list(LORA_DEFAULTS["llama"]), N_("Projections with adapters"))
TRY = Text("al_try", "", N_("Score a response of your own"), max_chars=80,
           help=N_("Written after the first ranked prompt; at most 80 characters."))
RULE_PARAMS = {"avoid_letter": LETTER, "include_word": WORD, "line_length": PREFER, "end_with": CHAR}
HACKING = {BETA.key: 0.0}  # what the "reward hacking" button sets: at the default 40 rollouts the text collapses
# In the order the session-vs-link check changes them: a setting that hides others (a new rule, a step
# not trained yet, which shows only the training panel) after them.
PARAMS = Params("al_", [TAB, TRY, LETTER, WORD, PREFER, CHAR, RULE, SFT_STEPS, K, PROMPTS, RM_STEPS, BETA, ROLLOUTS,
                        PTX, DPO_BETA, DPO_STEPS, TARGETS, RANK, LORA_OF, BASE])


# ---- the chain ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """Every step's job spec for one set of settings, each built on the one before."""

    specs: dict[str, JobSpec]  # step (a key of STEP_NAMES) -> spec
    rule: Rule
    lora_of: str  # "sft" or "dpo"
    notes: tuple[tuple[str, dict], ...] = ()  # (English template, fields): settings made to fit the base model

    def needs(self, step: str) -> list[str]:
        """The steps `step` trains on top of, in the order they train. LoRA repeats SFT or DPO
        with adapters, so it needs what they need, not their results."""
        before = {"base": [], "sft": ["base"], "preferences": ["base", "sft"], "reward": ["base", "sft", "preferences"],
                  "dpo": ["base", "sft", "preferences"], "lora": ["base"] if self.lora_of == "sft" else
                  ["base", "sft", "preferences"]}
        before["ppo"] = [*before["reward"], "reward"]
        before["evaluation"] = [*before["ppo"], "ppo", "dpo"]
        return before[step]

    @property
    def k(self) -> int:
        """Responses ranked per prompt."""
        return self.config("preferences")["k"]

    def config(self, step: str) -> dict[str, Any]:
        """A step's settings (its config), as its job holds them."""
        return self.specs[step].settings["config"]


class _Settings:
    """The page's settings as their widgets would show them: the session's (or the link's) values,
    else the defaults in the session's language, made to fit."""

    def __init__(self, values: Mapping[str, Any], language: str):
        self.values, self.language = values, language

    def __call__(self, param, **bounds: Any) -> Any:
        return param.fit(self.values.get(param.key, param.default_in(self.language)), **bounds).value


def rule_of(name: str, value: Any) -> Rule:
    """The rule `name` with its one parameter set to `value` (checked: a typed error if it does not fit)."""
    (parameter,) = RULES[name].parameters
    return make_rule(name, **{parameter: value})


def sft_config(steps: int, block_size: int) -> tuple[SFTConfig, list[tuple[str, dict]]]:
    """SFT's settings with prompt and response lengths that fit the base model's context (24 + 40
    tokens on the default context of 64; in the same proportion on a shorter one)."""
    prompt = min(PROMPT_TOKENS, block_size * PROMPT_TOKENS // (PROMPT_TOKENS + RESPONSE_TOKENS))
    response = min(RESPONSE_TOKENS, block_size - prompt)
    notes = [] if (prompt, response) == (PROMPT_TOKENS, RESPONSE_TOKENS) else [
        (N_("This model reads {block} tokens at once: prompts of {prompt} tokens and responses of {response}."),
         {"block": block_size, "prompt": prompt, "response": response})]
    return SFTConfig(steps=steps, prompt_tokens=prompt, response_tokens=response), notes


@functools.lru_cache(maxsize=4)
def lora_targets(arch: str) -> list[str]:
    """The projections an adapter may wrap in a model of this architecture (a one-layer model of
    it is built to read their names)."""
    tiny = LMConfig(arch=arch, n_layer=1, n_head=2, n_embd=8, block_size=8)
    return linear_names(build_model(tiny, vocab_size=4))


def lora_config(rank: int, targets: Sequence[str], arch: str) -> tuple[LoRAConfig, list[tuple[str, dict]]]:
    """Adapters of rank `rank` on `targets` (sorted: one spec per set); none chosen adapts the
    architecture's query and value projections, as Hu et al."""
    chosen = sorted(targets) or list(LORA_DEFAULTS[arch])
    notes = [] if targets else [(N_("No projection chosen: adapting {targets}, as Hu et al."),
                                 {"targets": ", ".join(chosen)})]
    return LoRAConfig(r=rank, targets=tuple(chosen)), notes


def base_of(settings: Mapping[str, Any], lms: Sequence[JobSpec], language: str = "en") -> JobSpec:
    """The base model's spec: the chosen one among `lms`, the language models that may be the base."""
    return spec_of(_Settings(settings, language)(BASE, options=[spec.key for spec in lms]), lms)


def lora_options(base: JobSpec) -> list[str]:
    """The projections adapters may wrap in `base`'s architecture."""
    return lora_targets(LMConfig(**base.settings["config"]).arch)


def chain(settings: Mapping[str, Any], lms: Sequence[JobSpec], language: str = "en") -> Chain:
    """Every step's spec from the page's settings (setting key -> value; missing ones take their
    defaults in `language`) and the language models that may be the base (`lms`)."""
    value = _Settings(settings, language)
    base = base_of(settings, lms, language)
    name = value(RULE)
    rule = rule_of(name, value(RULE_PARAMS[name]))
    config = LMConfig(**base.settings["config"])
    sft_settings, notes = sft_config(int(value(SFT_STEPS)), config.block_size)
    sft = sft_spec(base, rule, sft_settings)
    prompts = int(value(PROMPTS))
    preferences = preferences_spec(sft, PreferenceConfig(k=int(value(K)), prompts=prompts,
                                                         held_out=prompts // HELD_OUT_SHARE))
    reward = reward_spec(preferences, RewardConfig(steps=int(value(RM_STEPS))))
    ppo = ppo_spec(reward, PPOConfig(beta=round(float(value(BETA)), 3), rollouts=int(value(ROLLOUTS)),
                                     ptx_coef=PTX_COEF if value(PTX) else 0.0))
    dpo = dpo_spec(preferences, DPOConfig(beta=round(float(value(DPO_BETA)), 3), steps=int(value(DPO_STEPS))))
    lora_of = value(LORA_OF)
    adapters, lora_notes = lora_config(int(value(RANK)), value(TARGETS, options=lora_options(base)), config.arch)
    lora = lora_spec(sft if lora_of == "sft" else dpo, adapters)
    specs = {"base": base, "sft": sft, "preferences": preferences, "reward": reward, "ppo": ppo, "dpo": dpo,
             "lora": lora, "evaluation": evaluation_spec(ppo, dpo)}
    return Chain(specs, rule, lora_of, tuple(notes + lora_notes))


def first_models() -> list[JobSpec]:
    """The default chain in each language, from the base model on (what `python -m core warm`
    trains): what the page opens on in English and in Chinese."""
    lms = [lm_spec(corpus) for corpus, _ in DEFAULT_RULES.values()]
    specs = [spec for language in DEFAULT_RULES for spec in chain({}, lms, language).specs.values()]
    return list(dict.fromkeys(specs))


@dataclass(frozen=True)
class StepStatus:
    step: str  # a key of STEP_NAMES
    trained: bool
    seconds: float  # the estimated training time on this server (0 when trained)


def status(manager: JobManager, chain_: Chain, steps: Sequence[str]) -> list[StepStatus]:
    """Whether each step's artifact is cached, and how long training it would take here."""
    rows = []
    for step in steps:
        spec = chain_.specs[step]
        trained = manager.store.has(spec)
        rows.append(StepStatus(step, trained, 0.0 if trained else manager.estimate(spec).seconds))
    return rows


@dataclass(frozen=True)
class Needs:
    steps: list[str]  # the steps not trained yet, in the order they train
    seconds: float  # their estimated time in all


def needs(manager: JobManager, chain_: Chain, step: str) -> Needs:
    """What `step` builds on that is not trained yet (it trains first, as part of the step's job)."""
    rows = [row for row in status(manager, chain_, chain_.needs(step)) if not row.trained]
    return Needs([row.step for row in rows], sum(row.seconds for row in rows))


def papers(tab: str) -> list[Paper]:
    return [paper for paper in PAPERS if paper.step in TAB_PAPERS.get(tab, ())]


def oneline(text: str) -> str:
    """A response on one line of a table, its line breaks shown as ↵."""
    return text.replace("\n", " ↵ ")


def _series(history: Sequence[dict], metric: str) -> tuple[list[int], list[float]]:
    """(steps, values) of the records that measured `metric`."""
    measured = [r for r in history if metric in r]
    return [r["step"] for r in measured], [float(r[metric]) for r in measured]


def _along(samples: Sequence[dict], rule: Rule) -> list[dict]:
    """Samples recorded while training, one row each: step, text, rule score."""
    return [{"step": s["step"], "text": oneline(text), "rule_score": rule.score(text)}
            for s in samples for text in s["texts"]]


# ---- 1 · the base model ------------------------------------------------------------------------
@dataclass(frozen=True)
class BaseModel:
    parameters: int
    val_loss: float | None
    context: int
    sample: str | None  # its last sample while training


def base_model(lm: TrainedLM) -> BaseModel:
    record = training_record(lm)
    return BaseModel(record.parameters, record.val_loss, lm.config.block_size,
                     record.samples[-1]["text"] if record.samples else None)


# ---- 2 · the preference ------------------------------------------------------------------------
@dataclass(frozen=True)
class RankedGroup:
    prompt: str  # the prompt's end, on one line
    responses: list[str]  # best first, each on one line
    scores: list[float]  # the rule's
    rewards: list[float] | None = None  # the reward model's, when one scored them


def _groups(examples: Sequence[dict], rewards: np.ndarray | None = None) -> list[RankedGroup]:
    return [RankedGroup(oneline(group["prompt"]), [oneline(r["text"]) for r in group["responses"]],
                        [r["score"] for r in group["responses"]], None if rewards is None else rewards[i].tolist())
            for i, group in enumerate(examples)]


def ranked_examples(lm: TrainedLM, corpus: str, rule: Rule, k: int, sft: JobSpec) -> list[RankedGroup]:
    """K responses of the base model to each of `EXAMPLE_PROMPTS` prompts of the corpus, ranked by
    the rule as the labeller ranks the SFT model's (`core.alignment.data.make_preferences`)."""
    config = SFTConfig.from_dict(sft.settings["config"])
    windows = Windows.of(lm.tokenizer, corpus, config.prompt_tokens, config.response_tokens)
    ranked = make_preferences(lm.model, lm.tokenizer, windows, rule, prompts=EXAMPLE_PROMPTS, k=k, held_out=0,
                              seed=0)
    return _groups(ranked.decoded(lm.tokenizer, range(EXAMPLE_PROMPTS)))


# ---- 3 · SFT -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SFTView:
    loss: tuple[list[int], list[float]]  # on the response tokens, every step
    rule_score: tuple[list[int], list[float]]  # step 0 is the base model
    kl: tuple[list[int], list[float]]  # from the base model, nats per response
    demonstrations: int
    demonstration_score: float  # the rule's mean score of the demonstrations
    before: float
    after: float
    samples: list[dict]  # prompt, before, before_score, after, after_score

    @property
    def gain(self) -> float:
        return self.after - self.before


def sft_view(tuned: TunedLM) -> SFTView:
    """The loss, the rule score and KL while fine-tuning, and samples of the base and SFT models
    on the same held-out prompts and seed."""
    s, history = tuned.summary, tuned.lm.history
    steps, scores = _series(history, "rule_score")
    kl_steps, kl = _series(history, "kl")
    rows = [{"prompt": oneline(prompt), "before": oneline(before), "before_score": tuned.rule.score(before),
             "after": oneline(after), "after_score": tuned.rule.score(after)}
            for prompt, before, after in zip(s["prompts"], s["samples_before"], s["samples_after"])]
    return SFTView(_series(history, "train_loss"), ([0, *steps], [s["rule_score_before"], *scores]),
                   ([0, *kl_steps], [0.0, *kl]), s["demonstrations"], s["demonstration_score"],
                   s["rule_score_before"], s["rule_score_after"], rows)


# ---- 4 · the reward model ----------------------------------------------------------------------
@dataclass(frozen=True)
class RewardView:
    loss: tuple[list[int], list[float]]
    accuracy: tuple[list[int], list[float]]  # held-out pair accuracy while training
    agreement: tuple[list[int], list[float]]  # Spearman correlation with the rule while training
    pair_accuracy: float  # after training (and normalising)
    spearman: float
    pairs_held_out: int  # pairs the rule really ordered (coin-flip ties left out)
    pairs_trained: int  # every K-choose-2 pair of the trained prompts
    k: int
    scatter: tuple[list[float], list[float]]  # (rule score, reward) of every held-out response
    examples: list[RankedGroup]  # ranked groups with the reward model's scores beside the rule's

    @property
    def pairs_per_prompt(self) -> int:
        return self.k * (self.k - 1) // 2


def reward_view(result: RewardResult, preferences: Preferences, tokenizer) -> RewardView:
    """How well the reward model learned the rankings, and ranked groups the rule tells apart scored
    by both (`EXAMPLE_PROMPTS` x K responses through the reward model)."""
    s, k = result.summary, preferences.k
    shown = preferences.telling(EXAMPLE_PROMPTS)
    sequences = preferences.sequences(torch.tensor(shown)).flatten(0, 1)  # (shown K, P + R)
    rewards = result.model.score(sequences).view(len(shown), k).cpu().numpy()
    return RewardView(_series(result.history, "train_loss"), _series(result.history, "pair_accuracy"),
                      _series(result.history, "agreement"), s["pair_accuracy"], s["agreement"], s["pairs_held_out"],
                      preferences.trained * k * (k - 1) // 2, k,
                      (s["scatter"]["rule_score"], s["scatter"]["reward"]),
                      _groups(preferences.decoded(tokenizer, shown), rewards))


@dataclass(frozen=True)
class Scored:
    prompt: str  # the prompt's end, on one line
    reward: float  # in standard deviations of the SFT model's own samples (the reward model is normalised so)
    rule_score: float


def score_text(result: RewardResult, preferences: Preferences, tokenizer, rule: Rule, text: str,
               block_size: int) -> Scored:
    """The reward model's and the rule's scores of `text` written after the first ranked prompt
    (the prompt's start is dropped when both do not fit the context); `TRY.max_chars` at most."""
    if not text.strip():
        raise InvalidText("The text is empty: type something first.")
    response = torch.tensor(tokenizer.encode(text[:TRY.max_chars]), dtype=torch.long)
    sequence = torch.cat([preferences.prompts[0], response])[-block_size:]  # (T,)
    reward = float(result.model.score(sequence[None])[0])
    return Scored(oneline(tokenizer.decode(preferences.prompts[0].tolist())), reward, rule.score(text))


# ---- 5 · PPO -----------------------------------------------------------------------------------
def partner(chain_: Chain) -> JobSpec:
    """The PPO run set beside the chosen one when it is trained: the same run at β = 0 (reward
    hacking), or at the default β when β is 0."""
    config = PPOConfig.from_dict(chain_.specs["ppo"].settings["config"])
    return ppo_spec(chain_.specs["reward"], replace(config, beta=0.0 if config.beta > 0 else PPOConfig.beta))


@dataclass(frozen=True)
class PPOView:
    beta: float
    ptx: bool
    curves: dict[str, dict[float, tuple[list[int], list[float]]]]  # metric (of METRICS) -> β -> (rollout, value)
    start: dict[str, float]  # each metric on the first rollout (the SFT model's own samples)
    end: dict[str, float]  # each metric, mean of the last `TAIL` rollouts
    samples: list[dict]  # beta, step (rollout), text, rule_score

    @property
    def change(self) -> dict[str, float]:
        """Each metric at the end less at the start."""
        return {metric: self.end[metric] - self.start[metric] for metric in self.end}


def ppo_view(tuned: TunedLM, other: TunedLM | None = None) -> PPOView:
    """PPO's curves by rollout: what the reward model says, what the rule says, how far the policy
    went (KL), how sure it is (entropy) and how readable its text stays (the SFT model's surprise);
    with `other` (the `partner` run) beside it."""
    runs = [tuned] if other is None else [tuned, other]
    history = tuned.lm.history
    metrics = [metric for metric in METRICS if metric in history[0]]
    curves = {metric: {run.summary["beta"]: _series(run.lm.history, metric) for run in runs if metric
                       in run.lm.history[0]} for metric in metrics}
    own = {metric: _series(history, metric)[1] for metric in metrics}
    samples = sorted(({"beta": run.summary["beta"], **row} for run in runs for row in _along(run.lm.samples, run.rule)),
                     key=lambda row: row["step"])  # the two runs' samples of one rollout together
    return PPOView(tuned.summary["beta"], tuned.summary["ptx_coef"] > 0, curves,
                   {metric: values[0] for metric, values in own.items()},
                   {metric: float(np.mean(values[-TAIL:])) for metric, values in own.items()}, samples)


# ---- 6 · DPO -----------------------------------------------------------------------------------
BESIDE = ("rule_score", "kl", "entropy", "surprise")  # the curves DPO and PPO both measure


@dataclass(frozen=True)
class DPOView:
    beta: float
    pairs: int
    loss: tuple[list[int], list[float]]
    accuracy: tuple[list[int], list[float]]  # implicit reward: chosen above rejected, share of the batch
    margin: tuple[list[int], list[float]]  # implicit reward of chosen minus rejected
    beside: dict[str, dict[str, tuple[list[float], list[float]]]]  # metric -> method -> (share of training, value)
    final: dict[str, float]
    samples: list[dict]  # step, text, rule_score


def _progress(history: Sequence[dict], metric: str, total: int, offset: int = 0) -> tuple[list[float], list[float]]:
    """(share of training done, value): steps of different methods on one axis."""
    steps, values = _series(history, metric)
    return [(step - offset) / total for step in steps], values


def dpo_view(tuned: TunedLM, ppo: TunedLM | None) -> DPOView:
    """DPO's loss and implicit reward while training, and its rule score, KL, entropy and surprise
    beside PPO's (when PPO is trained) on a shared axis: the share of training done. PPO's rollout
    i is sampled before its i-th update (the first is the SFT model's)."""
    history = tuned.lm.history
    steps = history[-1]["step"]
    beside = {metric: {"DPO": _progress(history, metric, steps)} for metric in BESIDE}
    if ppo is not None:
        rollouts = ppo.lm.history[-1]["step"]
        for metric in BESIDE:
            beside[metric]["PPO"] = _progress(ppo.lm.history, metric, rollouts, offset=1)
    return DPOView(tuned.summary["beta"], tuned.summary["pairs"], _series(history, "train_loss"),
                   _series(history, "reward_accuracy"), _series(history, "reward_margin"), beside,
                   dict(tuned.summary["final"]), _along(tuned.lm.samples, tuned.rule))


# ---- 7 · LoRA ----------------------------------------------------------------------------------
MEMORY_PARTS = {"weights": N_("weights"), "gradients": N_("gradients"), "optimizer": N_("optimizer states")}


@dataclass(frozen=True)
class LoRAView:
    of: str  # "sft" or "dpo": the fine-tuning done with adapters
    parameters: int  # the model's
    trainable: int  # the adapters'
    share: float
    memory: dict[str, dict[str, float]]  # "full" or "lora" -> part (a key of MEMORY_PARTS) -> bytes
    totals_mb: dict[str, float]  # "full" or "lora" -> megabytes in all
    merge_difference: float  # max |logit| difference, merged model against adapted model
    rule_score: float  # after fine-tuning with adapters
    full_rule_score: float | None  # after the same fine-tuning of every weight, when trained


def _final_rule_score(tuned: TunedLM) -> float:
    summary = tuned.summary
    return summary["rule_score_after"] if "rule_score_after" in summary else summary["final"]["rule_score"]


def lora_view(tuned: TunedLM, full: TunedLM | None) -> LoRAView:
    """Trainable parameters and training memory of LoRA beside full fine-tuning (the memory page's
    accounting, `core.memory.accounting`), the merge check, and the rule score each reached."""
    size = tuned.summary["lora"]
    memory = {name: {part: size[name][part] for part in MEMORY_PARTS} for name in ("full", "lora")}
    return LoRAView("sft" if tuned.stage == "lora-sft" else "dpo", size["parameters"], size["trainable"],
                    size["trainable_share"], memory,
                    {"full": size["full_total"] / 1e6, "lora": size["lora_total"] / 1e6},
                    size["merge_max_abs_difference"], _final_rule_score(tuned),
                    None if full is None else _final_rule_score(full))


# ---- overview: the comparison ------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    methods: list[dict]  # method (SFT, PPO, DPO), kl, kl_std, rule_score, rule_score_std, reward
    best_of: list[dict]  # n, kl, rule_score, rule_score_std, reward
    table: list[dict]  # method, n (best-of-n) or None, rule_score, rule_score_std, kl, kl_std, reward, surprise,
    #                    repetition, example
    seeds: int  # sampling seeds each figure is the mean of
    prompts: int  # held-out prompts, the same for every method


def comparison(rows: Sequence[EvaluationRow]) -> Comparison:
    """SFT, PPO, DPO and best-of-n sampling from SFT: the true rule score against the KL from SFT
    (mean and spread across sampling seeds), on the same held-out prompts (Gao et al. 2022's axes)."""
    def point(row: EvaluationRow) -> dict:
        return {"kl": row.kl, "kl_std": row.kl_std, "rule_score": row.rule_score,
                "rule_score_std": row.rule_score_std, "reward": row.reward}

    best = [row for row in rows if row.method.startswith("best-of-")]
    methods = [{"method": row.method, **point(row)} for row in rows if row not in best]
    best_of = [{"n": int(row.method.removeprefix("best-of-")), **point(row)} for row in best]
    table = [{"method": row.method if row not in best else None,
              "n": int(row.method.removeprefix("best-of-")) if row in best else None, **point(row),
              "surprise": row.surprise, "repetition": row.repetition,
              "example": oneline(row.examples[0]) if row.examples else ""} for row in rows]
    return Comparison(methods, best_of, table, len(rows[0].per_seed) if rows else 0, EvalConfig().prompts)
