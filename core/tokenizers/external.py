"""Tokenizers trained elsewhere: a `tokenizer.json` (uploaded, in a local folder, or on the Hub).

They are wrapped so the page can show them like its own (pieces with spans, ids, decode). Local
folders are confined to the configured model roots; a Hub name needs internet, and offline the
error says so instead of hanging.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer as HFTokenizerCore

from core.errors import InvalidSetting, InvalidText
from core.paths import confined
from core.tokenizers.base import Piece


class ExternalTokenizer:
    """A HuggingFace `tokenizers.Tokenizer` behind this package's read-only interface."""

    def __init__(self, core: HFTokenizerCore, name: str):
        self.core = core
        self.name = name
        self.algorithm = "hf-" + json.loads(core.to_str())["model"]["type"].lower()

    @property
    def vocab_size(self) -> int:
        return self.core.get_vocab_size()

    def pieces(self, text: str) -> list[Piece]:
        encoding = self.core.encode(text, add_special_tokens=False)
        return [Piece(i, t, a, b) for i, t, (a, b) in zip(encoding.ids, encoding.tokens, encoding.offsets)]

    def encode(self, text: str) -> list[int]:
        return self.core.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        return self.core.decode(ids)


def from_json_bytes(data: bytes, name: str = "uploaded tokenizer.json") -> ExternalTokenizer:
    try:
        return ExternalTokenizer(HFTokenizerCore.from_str(data.decode("utf-8")), name)
    except Exception as err:  # bad UTF-8, bad JSON, or a JSON the library cannot build (plain Exceptions)
        raise InvalidText(f"{name} is not a HuggingFace tokenizer.json ({str(err)[:120]}).") from None


def from_pretrained(name_or_path: str) -> ExternalTokenizer:
    """A local `tokenizer.json` or folder holding one (inside the model roots), or a Hub name."""
    text = name_or_path.strip()
    if not text:
        raise InvalidSetting("Give a folder, a tokenizer.json path or a Hub name.")
    looks_local = text.startswith(("/", ".", "~")) or text.endswith(".json") or Path(text).exists()
    if looks_local:
        path = confined(text)
        path = path / "tokenizer.json" if path.is_dir() else path
        if not path.is_file():
            raise InvalidSetting(f"No tokenizer.json in {path.parent}.")
        return from_json_bytes(path.read_bytes(), path.name)
    try:
        return ExternalTokenizer(HFTokenizerCore.from_pretrained(text), text)
    except Exception as err:
        raise InvalidSetting(f"Could not fetch {text!r} from the Hugging Face Hub: this server may have no "
                             f"internet. Upload its tokenizer.json instead. ({str(err)[:100]})") from None
