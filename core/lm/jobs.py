"""Training jobs for language models: causal LMs, toy-task models, masked LMs.

Settings: `config` (the fields of `LMConfig` that differ from its defaults), `steps`, and for
causal LMs `tokenizer`: "char" or a tokenizer job ({"corpus": ..., "settings": ...}), which is
loaded from the cache or trained first, inside this job.
"""

from __future__ import annotations

from typing import Any

import torch

from core.jobs import ArtifactStore, JobKind, JobSpec, ProgressCallback, get_kind, register
from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.masked import MaskedLM, train_masked_lm
from core.lm.model import load_saved_state, state_for_saving
from core.lm.toy import ToyResult, train_toy
from core.lm.train import train_lm
from core.lm.trained import TrainedLM

DEFAULT_STEPS = 300  # about a minute on a 2-core CPU; validation loss about 1.9 on Tiny Shakespeare


def resolve_tokenizer(setting: Any, progress: ProgressCallback, device: torch.device):
    """'char', or the tokenizer a tokenizer job produces (from the cache, else trained now)."""
    if setting == "char":
        return "char"
    spec = JobSpec.of("tokenizer", setting["corpus"], setting["settings"])
    kind = get_kind("tokenizer")
    loaded = ArtifactStore().load(spec)
    return kind.load(*loaded) if loaded is not None else kind.train(spec, progress, device)


def _train_lm(spec: JobSpec, progress: ProgressCallback, device: torch.device) -> TrainedLM:
    s = spec.settings
    tokenizer = resolve_tokenizer(s.get("tokenizer", "char"), progress, device)
    return train_lm(spec.corpus, tokenizer, LMConfig(**s.get("config", {})), steps=s["steps"], device=device,
                    progress=progress, max_chars=s.get("max_chars", 2_000_000))


def lm_spec(corpus: str = "tinyshakespeare", steps: int = DEFAULT_STEPS, tokenizer: Any = "char",
            **config: Any) -> JobSpec:
    """A causal-LM job; `config` holds only the LMConfig fields that differ from the defaults."""
    changed = {k: v for k, v in config.items() if getattr(LMConfig(), k) != v}
    return JobSpec.of("lm", corpus, {"config": changed, "steps": steps, "tokenizer": tokenizer})


def _dump_toy(result: ToyResult):
    tensors, data = result.lm.to_artifact()
    return tensors, {**data, "toy": {"task": result.task, "length": result.length, "accuracy": result.accuracy,
                                     "example": result.example}}


def _load_toy(tensors, data) -> ToyResult:
    return ToyResult(TrainedLM.from_artifact(tensors, data), data["toy"]["task"], data["toy"]["length"],
                     data["toy"]["accuracy"], data["toy"]["example"])


def toy_spec(task: str, length: int = 8, steps: int = 400) -> JobSpec:
    return JobSpec.of("toy", "none", {"task": task, "length": length, "steps": steps})


def _dump_mlm(result: MaskedLM):
    return state_for_saving(result.model), {"config": result.config.__dict__, "chars": result.tokenizer.chars,
                                             "hf_config": result.model.config.to_dict(), "history": result.history}


def _load_mlm(tensors, data) -> MaskedLM:
    from transformers import BertConfig, BertForMaskedLM

    model = BertForMaskedLM(BertConfig(**data["hf_config"]))
    load_saved_state(model, tensors)
    return MaskedLM(model.eval(), CharTokenizer(data["chars"]), LMConfig(**data["config"]), data["history"])


def mlm_spec(corpus: str = "tinyshakespeare", steps: int = 400) -> JobSpec:
    return JobSpec.of("mlm", corpus, {"steps": steps, "config": {"arch": "gpt2", "dropout": 0.0}})


register(JobKind(
    name="lm", version=1, train=_train_lm, dump=lambda lm: lm.to_artifact(), load=TrainedLM.from_artifact,
    description="a tiny causal language model (GPT-2 or Llama style)", defaults=(lm_spec(),)))
register(JobKind(
    name="toy", version=1,
    train=lambda spec, progress, device: train_toy(spec.settings["task"], length=spec.settings["length"],
                                                   steps=spec.settings["steps"], progress=progress),
    dump=_dump_toy, load=_load_toy, description="a 2-layer model solving a toy task",
    defaults=tuple(toy_spec(task) for task in ("copy", "reverse", "sort", "induction"))))
register(JobKind(
    name="mlm", version=1,
    train=lambda spec, progress, device: train_masked_lm(spec.corpus, LMConfig(**spec.settings["config"]),
                                                         steps=spec.settings["steps"], progress=progress),
    dump=_dump_mlm, load=_load_mlm, description="a tiny BERT-style masked language model", defaults=(mlm_spec(),)))
