"""Training jobs for language models: causal LMs, toy-task models, masked LMs.

Settings hold exactly what each trainer uses: `config` (the fields of `LMConfig` that differ from
its defaults), `steps`, and for causal LMs `tokenizer`: "char" or a tokenizer job's spec, which
the manager provides (from the cache, or trained first as its own job).
"""

from __future__ import annotations

from typing import Any

from core.jobs import JobContext, JobKind, JobSpec, Work, register
from core.jobs.estimate import transformer_flops
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.masked import MaskedLM, masked_config, train_masked_lm
from core.lm.model import load_saved_state, state_for_saving
from core.lm.toy import SYMBOLS, ToyResult, default_config, train_toy
from core.lm.train import DEFAULT_MAX_CHARS, PROBE_TOKENS, SAMPLE_TOKENS, char_vocab, train_lm
from core.lm.trained import TrainedLM

DEFAULT_STEPS = 300  # about a minute on a 2-core CPU; validation loss about 1.9 on Tiny Shakespeare


def config_changes(config: LMConfig) -> dict[str, Any]:
    """The fields of `config` that differ from `LMConfig()`: what a spec records."""
    default = LMConfig()
    return {name: value for name, value in config.__dict__.items() if getattr(default, name) != value}


def lm_flops(config: LMConfig, vocab: int, steps: int, *, evaluations: int = 0, generated: int = 0) -> float:
    """Training plus validation and sampling FLOPs of a causal LM run (see `core.jobs.estimate`)."""
    parameters = config.matmul_parameters(vocab)
    tokens = steps * config.batch_size * config.block_size
    evaluated = evaluations * config.eval_batches * config.batch_size * config.block_size
    sampled = generated * config.block_size  # each sampled token re-runs its window (no cache)
    return (transformer_flops(parameters, config.n_layer, config.n_embd, config.block_size, tokens)
            + transformer_flops(parameters, config.n_layer, config.n_embd, config.block_size, evaluated + sampled,
                                forward_only=True))


# ---- causal language models -------------------------------------------------------------------
def lm_spec(corpus: str = "tinyshakespeare", steps: int = DEFAULT_STEPS, tokenizer: JobSpec | str = "char",
            config: LMConfig | None = None) -> JobSpec:
    """A causal-LM job on `corpus` with `"char"` tokens or a tokenizer job's artifact."""
    token_setting = tokenizer if isinstance(tokenizer, str) else tokenizer.as_dict()
    return LM.spec(corpus, {"config": config_changes(config or LMConfig()), "steps": steps,
                            "tokenizer": token_setting})


def _lm_parts(spec: JobSpec) -> tuple[LMConfig, int, Any]:
    s = spec.settings
    return LMConfig(**s["config"]), s["steps"], s["tokenizer"]


def lm_vocab(spec: JobSpec) -> int:
    """The vocabulary size of an `lm` spec's model, known before it trains (for its estimate)."""
    token_setting = spec.settings["tokenizer"]
    return char_vocab(spec.corpus) if token_setting == "char" else token_setting["settings"]["vocab_size"]


def _train_lm(spec: JobSpec, context: JobContext) -> TrainedLM:
    config, steps, token_setting = _lm_parts(spec)
    tokenizer = "char" if token_setting == "char" else context.require(JobSpec.from_dict(token_setting))
    return train_lm(config, corpus=spec.corpus, tokenizer=tokenizer, steps=steps, device=context.device,
                    progress=context.progress, max_chars=DEFAULT_MAX_CHARS)


def _lm_work(spec: JobSpec) -> Work:
    config, steps, _ = _lm_parts(spec)
    samples = steps // config.sample_interval + 1
    return Work(lm_flops(config, lm_vocab(spec), steps, evaluations=steps // config.eval_interval + 1,
                         generated=samples * SAMPLE_TOKENS + (steps // config.snapshot_interval + 2) * PROBE_TOKENS),
                "flop")


LM = register(JobKind(
    name="lm", version=2, train=_train_lm, dump=lambda lm: lm.to_artifact(), load=TrainedLM.from_artifact,
    work=_lm_work, description="a tiny causal language model (GPT-2 or Llama style)",
    defaults=lambda: (lm_spec(), lm_spec("chinese"))))  # the attention page's first model, in English and Chinese


# ---- toy tasks --------------------------------------------------------------------------------
TOY_STEPS = 400


def toy_spec(task: str, length: int = 8, steps: int = TOY_STEPS) -> JobSpec:
    return TOY.spec("none", {"task": task, "length": length, "steps": steps})


def _dump_toy(result: ToyResult):
    tensors, data = result.lm.to_artifact()
    return tensors, {**data, "toy": {"task": result.task, "length": result.length, "accuracy": result.accuracy,
                                     "example": result.example, "answer_start": result.answer_start}}


def _load_toy(tensors, data) -> ToyResult:
    toy = data["toy"]
    return ToyResult(TrainedLM.from_artifact(tensors, data), toy["task"], toy["length"], toy["accuracy"],
                     toy["example"], toy["answer_start"])


def _toy_work(spec: JobSpec) -> Work:
    s = spec.settings
    config = default_config(s["length"])
    return Work(lm_flops(config, len(SYMBOLS) + 1, s["steps"]), "flop")


TOY = register(JobKind(
    name="toy", version=2,
    train=lambda spec, context: train_toy(spec.settings["task"], length=spec.settings["length"],
                                          steps=spec.settings["steps"], device=context.device,
                                          progress=context.progress),
    dump=_dump_toy, load=_load_toy, work=_toy_work, description="a 2-layer model solving a toy task",
    defaults=lambda: tuple(toy_spec(task) for task in ("copy", "reverse", "sort", "induction"))))


# ---- masked language models -------------------------------------------------------------------
MLM_STEPS = 1200  # leaves the unigram plateau near step 400 (see core.lm.masked)


def mlm_spec(corpus: str = "tinyshakespeare", steps: int = MLM_STEPS) -> JobSpec:
    return MLM.spec(corpus, {"steps": steps})


def _dump_mlm(result: MaskedLM):
    return state_for_saving(result.model), {"config": result.config.__dict__, "chars": result.tokenizer.chars,
                                             "hf_config": result.model.config.to_dict(), "history": result.history}


def _load_mlm(tensors, data) -> MaskedLM:
    from transformers import RobertaPreLayerNormConfig, RobertaPreLayerNormForMaskedLM

    model = RobertaPreLayerNormForMaskedLM(RobertaPreLayerNormConfig(**data["hf_config"]))
    load_saved_state(model, tensors)
    return MaskedLM(model.eval(), CharTokenizer(data["chars"]), LMConfig(**data["config"]), data["history"])


def _mlm_work(spec: JobSpec) -> Work:
    config, steps = masked_config(), spec.settings["steps"]
    return Work(lm_flops(config, char_vocab(spec.corpus), steps, evaluations=steps // config.eval_interval + 1), "flop")


MLM = register(JobKind(
    name="mlm", version=3,  # 3: pre-norm encoder that learns
    train=lambda spec, context: train_masked_lm(masked_config(), corpus=spec.corpus, steps=spec.settings["steps"],
                                                device=context.device, progress=context.progress),
    dump=_dump_mlm, load=_load_mlm, work=_mlm_work, description="a tiny BERT-style masked language model",
    defaults=lambda: (mlm_spec(),)))
