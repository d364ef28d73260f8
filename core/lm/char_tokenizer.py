"""The character-level tokenizer: one token per character seen in the training text."""

from __future__ import annotations

import unicodedata
from typing import Any, Iterable

from core.errors import InvalidText
from core.tokenizers.base import Piece


class CharTokenizer:
    """Every distinct character of the training text is a token; nothing else is known.

    A character-level model cannot read a character it never saw, so `encode` refuses such text
    with the characters named, rather than silently dropping them.
    """

    algorithm = "char"

    def __init__(self, chars: Iterable[str]):
        self.chars = list(chars)
        self.vocab = {ch: i for i, ch in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def unknown(self, text: str) -> list[str]:
        return sorted({ch for ch in text if ch not in self.vocab})

    def encode(self, text: str) -> list[int]:
        missing = self.unknown(text)
        if missing:
            shown = ", ".join(repr(ch) for ch in missing[:10]) + (" ..." if len(missing) > 10 else "")
            if any(_is_han(ch) for ch in missing) and "們" in self.vocab and "们" not in self.vocab:
                raise InvalidText("The character(s) {shown} are not in this model's vocabulary of {vocab_size} "
                                  "characters: it knows its corpus's characters only, and its corpus is written in "
                                  "traditional characters (們, not 们; 說, not 说). Write them so, or leave them out.",
                                  shown=shown, vocab_size=self.vocab_size)
            raise InvalidText("The character(s) {shown} are not in this model's vocabulary of {vocab_size} "
                              "characters. Remove them or train on text that has them.", shown=shown,
                              vocab_size=self.vocab_size)
        return [self.vocab[ch] for ch in text]

    def pieces(self, text: str) -> list[Piece]:
        return [Piece(token_id, ch, i, i + 1) for i, (ch, token_id) in enumerate(zip(text, self.encode(text)))]

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.chars[i] for i in ids)

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": "char", "chars": self.chars}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CharTokenizer":
        return cls(data["chars"])


def tokenizer_from_dict(data: dict[str, Any]):
    """A character tokenizer or a trained subword tokenizer, from its saved form."""
    if data.get("algorithm") == "char":
        return CharTokenizer.from_dict(data)
    from core.tokenizers import Tokenizer

    return Tokenizer.from_dict(data)


def token_strings(tokenizer, ids: list[int]) -> list[str]:
    """How each token reads on its own (for axis labels and chips)."""
    if isinstance(tokenizer, CharTokenizer):
        return [tokenizer.chars[i] for i in ids]
    return [tokenizer.decode([i]) for i in ids]


def _is_han(ch: str) -> bool:
    """A Chinese character: a student typing simplified ones into a model of traditional text is
    told why they are unknown (the shipped Chinese classics are traditional)."""
    return unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")
