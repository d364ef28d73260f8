"""Language models trained elsewhere: a folder written by `save_pretrained`, or a Hub name.

A local folder must lie inside the configured model roots and hold a `tokenizer.json`; a Hub name
needs internet, and offline the error says so instead of hanging.
"""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModelForCausalLM

from core.errors import InvalidSetting
from core.lm.model import config_of
from core.lm.trained import TrainedLM
from core.paths import confined
from core.tokenizers.external import from_json_bytes, from_pretrained


def load_pretrained(name_or_path: str) -> TrainedLM:
    text = name_or_path.strip()
    if not text:
        raise InvalidSetting("Give a model folder or a Hub name.")
    if text.startswith(("/", ".", "~")) or Path(text).exists():
        folder = confined(text)
        if not (folder / "config.json").is_file() or not (folder / "tokenizer.json").is_file():
            raise InvalidSetting(f"{folder} needs a config.json (from save_pretrained) and a tokenizer.json.")
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
        tokenizer = from_json_bytes((folder / "tokenizer.json").read_bytes(), "tokenizer.json")
    else:
        tokenizer = from_pretrained(text)  # fails first, and clearly, when offline
        try:
            model = AutoModelForCausalLM.from_pretrained(text)
        except Exception as err:
            raise InvalidSetting(f"Could not fetch the model {text!r}: {str(err)[:120]}") from None
    if model.config.model_type not in ("gpt2", "llama"):
        raise InvalidSetting(f"Only GPT-2 and Llama models can be shown here, not {model.config.model_type!r}.")
    return TrainedLM(model.eval(), tokenizer, config_of(model), corpus=text)
