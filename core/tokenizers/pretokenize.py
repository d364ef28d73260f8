"""Splitting text into words before a subword model sees it, and GPT-2's byte alphabet.

Each splitter mirrors a HuggingFace `tokenizers` pre-tokenizer, so a tokenizer exported with
`to_hf_json` splits the same way in both libraries:
- `gpt2_split`: `pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)`'s regex;
- `whitespace_split`: `pre_tokenizers.Whitespace` (`\\w+|[^\\w\\s]+`);
- `bert_split`: `pre_tokenizers.BertPreTokenizer` (whitespace, and every punctuation mark alone).
Each returns `(word, start, end)` character offsets so token chips can point back into the text.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import regex

GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
WHITESPACE_PATTERN = regex.compile(r"\w+|[^\w\s]+")

Span = tuple[str, int, int]
METASPACE = "\u2581"  # '▁', sentencepiece's visible space


def gpt2_split(text: str) -> list[Span]:
    return [(m.group(), m.start(), m.end()) for m in GPT2_PATTERN.finditer(text)]


def whitespace_split(text: str) -> list[Span]:
    return [(m.group(), m.start(), m.end()) for m in WHITESPACE_PATTERN.finditer(text)]


def _is_bert_punctuation(ch: str) -> bool:
    """BERT counts ASCII symbols as punctuation as well as Unicode's P* categories."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def bert_split(text: str) -> list[Span]:
    spans: list[Span] = []
    start = None
    for i, ch in enumerate(text):
        if ch.isspace() or _is_bert_punctuation(ch):
            if start is not None:
                spans.append((text[start:i], start, i))
                start = None
            if not ch.isspace():
                spans.append((ch, i, i + 1))
        elif start is None:
            start = i
    if start is not None:
        spans.append((text[start:], start, len(text)))
    return spans


def metaspace_split(text: str) -> list[Span]:
    """HF's `Metaspace(prepend_scheme="always")`: spaces become '▁', one is prepended, and the text
    splits before each '▁'. The prepended '▁' has no source character: its span starts at -1."""
    spans: list[Span] = []
    marked = (METASPACE + text.replace(" ", METASPACE)) if not text.startswith(" ") else text.replace(" ", METASPACE)
    shift = 1 if not text.startswith(" ") else 0
    start = 0
    for i in range(1, len(marked) + 1):
        if i == len(marked) or marked[i] == METASPACE:
            spans.append((marked[start:i], start - shift, i - shift))
            start = i
    return [span for span in spans if span[0]] if text else []


SPLITTERS = {"gpt2": gpt2_split, "whitespace": whitespace_split, "bert": bert_split, "metaspace": metaspace_split}
_METASPACE_WORD = regex.compile("\u2581[^\u2581]*|[^\u2581]+")


def _metaspace_words(text: str) -> list[str]:
    marked = text.replace(" ", METASPACE)
    return _METASPACE_WORD.findall(marked if marked.startswith(METASPACE) else METASPACE + marked) if text else []


_FAST = {"gpt2": GPT2_PATTERN.findall, "whitespace": WHITESPACE_PATTERN.findall, "metaspace": _metaspace_words}


def words_of(splitter: str, text: str) -> list[str]:
    """Just the words (no spans): what training counts, on a faster path where one exists."""
    fast = _FAST.get(splitter)
    return fast(text) if fast else [word for word, _, _ in SPLITTERS[splitter](text)]


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a printable character (space 0x20 becomes 'Ġ').

    Printable Latin-1 bytes map to themselves; the 68 others are shifted to code points 256+, so
    every byte sequence is a string of visible characters that BPE can merge.
    """
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    shifted = [b for b in range(256) if b not in keep]
    mapping = {b: chr(b) for b in keep}
    mapping.update({b: chr(256 + i) for i, b in enumerate(shifted)})
    return mapping


@lru_cache(maxsize=1)
def unicode_to_bytes() -> dict[str, int]:
    return {ch: b for b, ch in bytes_to_unicode().items()}


def to_byte_chars(text: str) -> str:
    """The text's UTF-8 bytes, each shown as its GPT-2 character.

    Decoding the bytes as Latin-1 gives one character per byte, whose code point is the byte, so
    `str.translate` with the byte -> character map itself converts them all in C.
    """
    return text.encode("utf-8").decode("latin-1").translate(bytes_to_unicode())


def from_byte_chars(chars: str) -> bytes:
    table = unicode_to_bytes()
    return bytes(table[ch] for ch in chars)
