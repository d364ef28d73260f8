"""OpenAI's own tokenizers, offline, to compare with the ones trained here ("yours vs GPT-4's").

Two references, as Tiktokenizer offers them: `cl100k_base` (GPT-4, GPT-3.5-turbo, the
text-embedding-3 models) and `o200k_base` (GPT-4o, GPT-4.1, o1/o3). `tiktoken` itself downloads
its vocabulary files on first use, which a server with no internet cannot do; the `bpe-openai`
package (a binding of GitHub's rust-gems `bpe-openai` crate) ships both files inside its wheel, the
very files tiktoken fetches (same SHA-256 as tiktoken's `expected_hash`), and encodes them with the
same pre-tokenisation regexes and merge ranks, so the ids equal tiktoken's.

The package is optional: `available_references()` lists only what can load, and `reference(name)`
says how to install it when it is missing. Loading is lazy and done once per process (the package
reads its vocabularies on import: about half a second and ~170 MB for both references).

Like `ByteLevelBPE`, a reference works on UTF-8 bytes: a piece's `token` is its bytes written in
GPT-2's printable characters (`Ġ` for a space), `token_bytes` turns it back, and a piece that
holds part of a multi-byte character spans that whole character. Special tokens written in the
text (`<|endoftext|>`) are kept whole, as tiktoken's `encode(text, allowed_special="all")` does.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Any, Iterable

import regex

from core.errors import InvalidSetting, InvalidText, UnknownName
from core.tokenizers.base import Piece
from core.tokenizers.pretokenize import bytes_to_unicode, from_byte_chars

PACKAGE = "bpe_openai"  # the import name; the distribution is `bpe-openai`
CHUNK_CHARS = 40_000  # text is encoded in pieces of about this size (bpe-openai refuses >200k tokens per call)
# A line break followed by a letter or digit: no pre-token of cl100k/o200k crosses it (the optional
# prefix of a word excludes \r\n, and whitespace/punctuation pre-tokens end at the break), so the
# text on either side encodes alone to the same ids.
_SAFE_CUT = regex.compile(r"(?<=\n)(?=[\p{L}\p{N}])")
_SURROGATE = regex.compile(r"[\ud800-\udfff]")
_BYTE_CHARS = bytes_to_unicode()


@dataclass(frozen=True)
class ReferenceInfo:
    """What the page shows before loading: the encoding's name, a title and the models that use it."""

    name: str
    title: str
    models: tuple[str, ...]
    vocab_size: int  # ids 0..vocab_size-1, as tiktoken's `n_vocab` (a few ids between are unused)


REFERENCES: dict[str, ReferenceInfo] = {
    "cl100k_base": ReferenceInfo(
        "cl100k_base", "GPT-4 / GPT-3.5",
        ("gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-ada-002", "text-embedding-3-small",
         "text-embedding-3-large"), 100_277),
    "o200k_base": ReferenceInfo(
        "o200k_base", "GPT-4o",
        ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o1", "o3", "o4-mini"), 200_019),
}


def backend_installed() -> bool:
    """Whether `bpe-openai` can be imported (checked without importing it: the import reads vocabularies)."""
    return importlib.util.find_spec(PACKAGE) is not None


def available_references() -> list[ReferenceInfo]:
    """The references this server can load (none without `bpe-openai`), so the page offers only these."""
    return list(REFERENCES.values()) if backend_installed() else []


def resolve(name: str) -> ReferenceInfo:
    """The reference for an encoding name (`cl100k_base`) or a model that uses it (`gpt-4o`)."""
    key = name.strip().lower() if isinstance(name, str) else name
    for info in REFERENCES.values():
        if key == info.name or key in info.models:
            return info
    raise UnknownName("There is no reference tokenizer {name!r}; choose one of {choices}.",
                      name=name, choices=", ".join(REFERENCES))


class ReferenceTokenizer:
    """One OpenAI encoding (`cl100k_base` or `o200k_base`) behind the playground's read-only interface.

    The same methods as a trained tokenizer (`pieces`, `encode`, `decode`, `tokenize`,
    `vocab_size`), so the page shows it like its own. Build through `reference(name)`, which caches.
    """

    algorithm = "tiktoken"

    def __init__(self, info: ReferenceInfo, encoding: Any):
        self.info = info
        self.name = info.name
        self._encoding = encoding  # a `bpe_openai.Encoding`
        self.special_tokens = sorted(encoding.special_tokens_set)
        self._special_ids = {token: encoding.encode_single_token(token) for token in self.special_tokens}
        self._special_pattern = regex.compile(
            "|".join(regex.escape(t) for t in sorted(self.special_tokens, key=len, reverse=True)))
        self._token_cache: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"<ReferenceTokenizer {self.name} ({self.info.title})>"

    @property
    def vocab_size(self) -> int:
        return self._encoding.n_vocab

    @property
    def models(self) -> tuple[str, ...]:
        return self.info.models

    # ---- encoding ------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """Token ids, equal to tiktoken's `encode(text, allowed_special="all")`."""
        ids: list[int] = []
        for chunk, special in self._segments(_checked(text)):
            for part in _cuts(chunk):
                ids.extend(self._encode_ordinary(part))
            if special is not None:
                ids.append(self._special_ids[special])
        return ids

    def pieces(self, text: str) -> list[Piece]:
        """Tokens with ids and character spans in `text`; a token holding part of a character spans it whole."""
        text = _checked(text)
        ids = self.encode(text)
        char_of_byte = (range(len(text)) if text.isascii()
                        else [i for i, ch in enumerate(text) for _ in range(_utf8_width(ch))])
        out, position = [], 0
        for token_id in ids:
            width = len(self._encoding.decode_single_token_bytes(token_id))
            first, last = char_of_byte[position], char_of_byte[position + width - 1]
            out.append(Piece(token_id, self._token(token_id), first, last + 1))
            position += width
        return out

    def tokenize(self, text: str) -> list[str]:
        return [piece.token for piece in self.pieces(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Join every token's bytes, then decode UTF-8 (a cut character becomes `�`, like tiktoken)."""
        parts = [self._bytes(token_id) for token_id in ids]
        return b"".join(parts).decode("utf-8", errors="replace")

    def token_bytes_of(self, token_id: int) -> bytes:
        """The raw bytes one id stands for (for the byte view)."""
        return self._bytes(token_id)

    @staticmethod
    def token_bytes(token: str) -> bytes:
        """The raw bytes a piece's `token` stands for (GPT-2 characters back to bytes), as `ByteLevelBPE`."""
        return from_byte_chars(token)

    # ---- helpers -------------------------------------------------------------------------
    def _segments(self, text: str) -> list[tuple[str, str | None]]:
        """(ordinary text, the special token after it or None): specials are encoded whole."""
        out, position = [], 0
        for match in self._special_pattern.finditer(text):
            out.append((text[position:match.start()], match.group()))
            position = match.end()
        out.append((text[position:], None))
        return out

    def _encode_ordinary(self, text: str) -> list[int]:
        try:
            return self._encoding.encode_ordinary(text)
        except ValueError:  # bpe-openai's limits: 1M characters or 200k tokens in one call
            raise InvalidText("A stretch of {chars:,} characters without a line break is too long for the {name} "
                              "reference: break it into lines.", chars=len(text), name=self.name) from None

    def _bytes(self, token_id: Any) -> bytes:
        if isinstance(token_id, bool) or not isinstance(token_id, int):
            raise InvalidSetting("Token ids must be whole numbers, not {value!r}.", value=token_id)
        if not 0 <= token_id < self.vocab_size:
            raise InvalidSetting("Token id {id} is outside the {name} vocabulary (0..{last}).",
                                 id=token_id, name=self.name, last=self.vocab_size - 1)
        try:
            return self._encoding.decode_single_token_bytes(token_id)
        except KeyError:
            raise InvalidSetting("Token id {id} is not used by {name} (its ids have a gap there).",
                                 id=token_id, name=self.name) from None

    def _token(self, token_id: int) -> str:
        token = self._token_cache.get(token_id)
        if token is None:
            raw = self._encoding.decode_single_token_bytes(token_id)
            special = raw.decode("utf-8", errors="replace")
            token = special if self._special_ids.get(special) == token_id else "".join(_BYTE_CHARS[b] for b in raw)
            self._token_cache[token_id] = token
        return token


def _checked(text: Any) -> str:
    """The text with each lone surrogate replaced by `�` (length kept, so spans stay valid)."""
    if not isinstance(text, str):
        raise InvalidText("The text must be a string, not {kind}.", kind=type(text).__name__)
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _cuts(text: str) -> list[str]:
    """`text` in parts of about `CHUNK_CHARS`, cut only where encoding the parts alone changes nothing."""
    if len(text) <= CHUNK_CHARS:
        return [text]
    parts, start, last = [], 0, 0
    for match in _SAFE_CUT.finditer(text):
        cut = match.start()
        if cut - start > CHUNK_CHARS and last > start:
            parts.append(text[start:last])
            start = last
        last = cut
    if len(text) - start > CHUNK_CHARS and last > start:
        parts.append(text[start:last])
        start = last
    parts.append(text[start:])
    return parts


def _utf8_width(ch: str) -> int:
    code = ord(ch)
    return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4


_cache: dict[str, ReferenceTokenizer] = {}
_lock = threading.Lock()


def reference(name: str) -> ReferenceTokenizer:
    """The reference tokenizer for an encoding or model name, loaded once per process, offline."""
    info = resolve(name)
    with _lock:
        loaded = _cache.get(info.name)
        if loaded is None:
            if not backend_installed():
                raise InvalidSetting("The {name} reference ({title}) needs the bpe-openai package, which "
                                     "holds its vocabulary: install it with `pip install bpe-openai`.",
                                     name=info.name, title=info.title)
            import bpe_openai  # reads the bundled vocabularies (about half a second)

            loaded = _cache[info.name] = ReferenceTokenizer(info, bpe_openai.get_encoding(info.name))
        return loaded
