"""What every tokenizer shares: the vocabulary, special tokens, normalisation, encoding with
offsets, save/load as one JSON file, and export to a HuggingFace `tokenizer.json`.

A subclass supplies `train` (a classmethod), how one pre-tokenised word becomes pieces
(`_encode_word`, or `_encode_words` for a batch of them), `decode`, and the `model`/`decoder`
parts of its HF export. Mirrors minbpe's `base.py` in spirit: the algorithm files stay short
because this file holds the plumbing.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterable

import regex

from core.errors import InvalidSetting, InvalidText
from core.tokenizers.merging import MergeStep
from core.tokenizers.pretokenize import SPLITTERS

FORMAT = "nlp-playground-tokenizer/1"
CACHE_WORDS = 200_000  # words whose pieces are remembered (encoding repeats most words)


@dataclass(frozen=True)
class Piece:
    """One token of an encoding, with its span in the (normalised) text."""

    id: int
    token: str
    start: int
    end: int


class Tokenizer:
    """A trained subword tokenizer. Construct through `train` or `load`."""

    algorithm: ClassVar[str]
    splitter: ClassVar[str]  # a key of `pretokenize.SPLITTERS`
    registry: ClassVar[dict[str, type["Tokenizer"]]] = {}

    def __init__(self, id_to_token: list[str], *, special_tokens: Iterable[str] = (),
                 normalization: str | None = None, trace: Iterable[Any] = ()):
        if normalization not in (None, "nfkc"):
            raise InvalidSetting("normalization must be None or 'nfkc', not {normalization!r}.",
                                 normalization=normalization)
        self.id_to_token = list(id_to_token)
        self.vocab = {token: index for index, token in enumerate(self.id_to_token)}
        self.special_tokens = list(special_tokens)
        self.normalization = normalization
        self.trace = list(trace)
        self._cache: dict[str, list[tuple[int, str, int, int]]] = {}
        self._special_pattern = (
            regex.compile("|".join(regex.escape(t) for t in sorted(self.special_tokens, key=len, reverse=True)))
            if self.special_tokens else None)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "algorithm" in cls.__dict__:  # concrete algorithms register; shared bases do not
            Tokenizer.registry[cls.algorithm] = cls

    # ---- encoding ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self.id_to_token)

    def normalize(self, text: str) -> str:
        return unicodedata.normalize("NFKC", text) if self.normalization == "nfkc" else text

    def pieces(self, text: str) -> list[Piece]:
        """Tokens with ids and character spans in `normalize(text)`; special tokens kept whole."""
        text = self.normalize(text)
        out: list[Piece] = []
        position = 0
        for match in self._special_pattern.finditer(text) if self._special_pattern else ():
            out.extend(self._ordinary_pieces(text[position:match.start()], position))
            out.append(Piece(self.vocab[match.group()], match.group(), match.start(), match.end()))
            position = match.end()
        out.extend(self._ordinary_pieces(text[position:], position))
        return out

    def _words(self, words: list[str]) -> list[list[tuple[int, str, int, int]]]:
        """Each word's pieces, from the cache or encoded together (one batch for the words not seen yet)."""
        missing = [word for word in dict.fromkeys(words) if word not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > CACHE_WORDS:
                self._cache.clear()
            self._cache.update(zip(missing, self._encode_words(missing)))
        return [self._cache[word] for word in words]

    def _ordinary_pieces(self, text: str, offset: int) -> list[Piece]:
        spans = SPLITTERS[self.splitter](text)
        return [Piece(token_id, token, offset + max(0, start + a), offset + max(0, start + b))  # (1)
                for (_, start, _), encoded in zip(spans, self._words([word for word, _, _ in spans]))
                for token_id, token, a, b in encoded]
        # (1) a prepended '▁' (Unigram's Metaspace) has no source character: it spans from -1.

    def _encode_words(self, words: list[str]) -> list[list[tuple[int, str, int, int]]]:
        """`_encode_word` of each word; an algorithm that does better on a batch (Unigram's batched
        Viterbi) overrides this instead."""
        return [self._encode_word(word) for word in words]

    def _encode_word(self, word: str) -> list[tuple[int, str, int, int]]:
        """(id, token, start, end) for each piece of one pre-tokenised word, spans within the word.

        A piece that holds part of a character (byte-level BPE) spans that whole character.
        """
        raise NotImplementedError

    def encode(self, text: str) -> list[int]:
        """Token ids (a faster path than `pieces`: no spans are built)."""
        text = self.normalize(text)
        ids: list[int] = []
        split = SPLITTERS[self.splitter]
        position = 0
        chunks = []
        for match in self._special_pattern.finditer(text) if self._special_pattern else ():
            chunks.append((text[position:match.start()], self.vocab[match.group()]))
            position = match.end()
        chunks.append((text[position:], None))
        for chunk, special in chunks:
            for encoded in self._words([word for word, _, _ in split(chunk)]):
                ids.extend(piece[0] for piece in encoded)
            if special is not None:
                ids.append(special)
        return ids

    def tokenize(self, text: str) -> list[str]:
        return [piece.token for piece in self.pieces(text)]

    def decode(self, ids: Iterable[int]) -> str:
        raise NotImplementedError

    def _tokens_of(self, ids: Iterable[int]) -> list[str]:
        tokens = []
        for index in ids:
            if not 0 <= index < len(self.id_to_token):
                raise InvalidSetting("Token id {index} is outside this vocabulary (0..{last}).", index=index,
                                     last=len(self.id_to_token) - 1)
            tokens.append(self.id_to_token[index])
        return tokens

    # ---- persistence ---------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        """Algorithm-specific state for `save` (merges, scores...)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "algorithm": self.algorithm, "vocab": self.id_to_token,
                "special_tokens": self.special_tokens, "normalization": self.normalization,
                "trace": [asdict(step) for step in self.trace], **self._extra_state()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Tokenizer":
        if data.get("format") != FORMAT or data.get("algorithm") not in Tokenizer.registry:
            raise InvalidText("This file is not a tokenizer saved by the playground (use a tokenizer.json loader).")
        target = Tokenizer.registry[data["algorithm"]]
        return target._from_state(data)

    @classmethod
    def _from_state(cls, data: dict[str, Any]) -> "Tokenizer":
        return cls(data["vocab"], special_tokens=data["special_tokens"], normalization=data["normalization"],
                   trace=[MergeStep(**step) for step in data["trace"]])

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Tokenizer":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_hf_json(self, path: str | Path) -> None:
        """Write a `tokenizer.json` that `tokenizers.Tokenizer.from_file` loads and encodes identically."""
        Path(path).write_text(self.hf_json(), encoding="utf-8")

    def hf_json(self) -> str:
        """The `tokenizer.json` text (see `to_hf_json`)."""
        data = {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True} for t in self.special_tokens],
            "normalizer": {"type": "NFKC"} if self.normalization == "nfkc" else None,
            "pre_tokenizer": self._hf_pre_tokenizer(), "post_processor": None,
            "decoder": self._hf_decoder(), "model": self._hf_model(),
        }
        return json.dumps(data, ensure_ascii=False)

    def _hf_pre_tokenizer(self) -> dict[str, Any]:
        return {"gpt2": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
                "whitespace": {"type": "Whitespace"},
                "bert": {"type": "BertPreTokenizer"},
                "metaspace": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
                }[self.splitter]

    def _hf_decoder(self) -> dict[str, Any]:
        raise NotImplementedError

    def _hf_model(self) -> dict[str, Any]:
        raise NotImplementedError


def check_vocab_size(vocab_size: Any, minimum: int, what: str) -> int:
    """A clear message for a vocabulary size that is not a whole number or cannot hold the alphabet."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int):
        raise InvalidSetting("vocab_size must be a whole number, not {vocab_size!r}.", vocab_size=vocab_size)
    if vocab_size < minimum:
        raise InvalidSetting("vocab_size {vocab_size} is smaller than {what} ({minimum}); choose at least {minimum}.",
                             vocab_size=vocab_size, what=what, minimum=minimum)
    return vocab_size


def nonempty_texts(texts: Iterable[str], normalize) -> list[str]:
    """The training texts, normalised; refuses a corpus with no visible text with a clear message.

    Whitespace-only texts are kept: their spaces are words to a byte-level tokenizer (as in HF)."""
    kept = [normalize(t) for t in texts if isinstance(t, str)]
    if not any(t.strip() for t in kept):
        raise InvalidText("There is no text to train on. Type, paste or pick a corpus first.")
    return kept
