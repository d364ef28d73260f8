"""Language models trained elsewhere: a folder written by `save_pretrained`, or a Hub name.

A local folder (its text starts with `./` or `/`: the shape decides, the disk is not asked) must
lie inside the model roots and hold `config.json`, `tokenizer.json` and safetensors weights; a Hub
name goes through `core.hub` (off unless the host allows it, allow-listed, sizes and config
checked before the weights). Either way `config.json` is read and its `model_type` checked before
any weights are loaded, pickled weights are never loaded, and the tokenizer runs in a worker
process (`core.tokenizers.external`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core import hub
from core.errors import InvalidSetting
from core.lm.model import config_of
from core.lm.trained import TrainedLM
from core.paths import confined, looks_like_path, shown
from core.sandbox import plain
from core.tokenizers.external import MAX_JSON_BYTES, from_json_bytes, read_file

MODEL_TYPES = ("gpt2", "llama")  # the architectures the attention and memory pages know
MAX_CONFIG_BYTES = 2**20


def check_config(config: dict[str, Any]) -> None:
    """Refuse a `config.json` of an architecture the pages cannot show, before its weights load."""
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if model_type not in MODEL_TYPES:
        raise InvalidSetting("Only GPT-2 and Llama models can be shown here, not {kind}.",
                             kind=plain(str(model_type), 40) or "this one")


def load_pretrained(name_or_path: str) -> TrainedLM:
    text = name_or_path.strip()
    if not text:
        raise InvalidSetting("Give a model folder (starting with ./ or /) or a Hub name.")
    if looks_like_path(text):
        folder = confined(text)
        check_config(_read_config(folder))
        tokenizer_path = confined(folder / "tokenizer.json")
    else:  # a snapshot the hub module fetched into the cache: not under the model roots
        folder = hub.model_folder(text, check_config)
        tokenizer_path = folder / "tokenizer.json"
    tokenizer = from_json_bytes(read_file(tokenizer_path, MAX_JSON_BYTES), "tokenizer.json")
    from transformers import AutoModelForCausalLM

    try:
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    except (OSError, ValueError, KeyError) as err:
        raise InvalidSetting("The model in `{path}` could not be loaded: it needs the config.json and "
                             "model.safetensors that save_pretrained writes.", path=_name(folder, text)) from err
    name = _name(folder, text)
    # caches of what pages derive from a model are keyed by the model actually used
    return TrainedLM(model.eval(), tokenizer, config_of(model), corpus=name, key="pretrained:" + name)


def _read_config(folder: Path) -> dict[str, Any]:
    path = confined(folder / "config.json")
    try:
        return json.loads(read_file(path, MAX_CONFIG_BYTES))
    except ValueError:
        raise InvalidSetting("The config.json in `{path}` is not JSON.", path=shown(folder)) from None


def _name(folder: Path, text: str) -> str:
    """How the page names the model: the Hub name, or the folder relative to its root."""
    return shown(folder) if looks_like_path(text) else text
