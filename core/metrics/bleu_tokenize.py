"""The tokenisers BLEU scores with, as sacrebleu defines them (13a, intl, char, zh, none).

BLEU's number depends on how text is cut into words, so these follow sacrebleu 2.x exactly
(tested token for token): `13a` is mteval-v13a's (WMT's default), `intl` mteval-v14's Unicode
punctuation and symbol rules, `char` every character, `zh` every CJK character alone plus 13a's
rules for the rest. Each returns the text with tokens separated by single spaces.
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex

from core.errors import InvalidSetting

_13A_RULES = (
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),  # punctuation and symbols
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # period and comma unless preceded by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # ... unless followed by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # a dash after a digit
)
_INTL_RULES = (
    (regex.compile(r"(\P{N})(\p{P})"), r"\1 \2 "),
    (regex.compile(r"(\p{P})(\P{N})"), r" \1 \2"),
    (regex.compile(r"(\p{S})"), r" \1 "),
)
# sacrebleu's CJK ranges, compared as strings exactly as it compares them. Two bounds are written
# there as '\u20000' and '\u2f800' (meant as U+20000, U+2F800), which Python reads as two
# characters; the comparison then spans U+2001..U+2A6D and U+2F81..U+2FA1, punctuation such as
# '—' and '“' included. Matching the reference means keeping that quirk.
_ZH_RANGES = (
    ("\u3400", "\u4db5"), ("\u4e00", "\u9fa5"), ("\u9fa6", "\u9fbb"), ("\uf900", "\ufa2d"),
    ("\ufa30", "\ufa6a"), ("\ufa70", "\ufad9"), ("\u20000", "\u2a6d6"), ("\u2f800", "\u2fa1d"),
    ("\uff00", "\uffef"), ("\u2e80", "\u2eff"), ("\u3000", "\u303f"), ("\u31c0", "\u31ef"),
    ("\u2f00", "\u2fdf"), ("\u2ff0", "\u2fff"), ("\u3100", "\u312f"), ("\u31a0", "\u31bf"),
    ("\ufe10", "\ufe1f"), ("\ufe30", "\ufe4f"), ("\u2600", "\u26ff"), ("\u2700", "\u27bf"),
    ("\u3200", "\u32ff"), ("\u3300", "\u33ff"),
)


def _apply(rules, line: str) -> str:
    for pattern, replacement in rules:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


@lru_cache(maxsize=2**16)
def tokenize_13a(line: str) -> str:
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return _apply(_13A_RULES, f" {line} ")


@lru_cache(maxsize=2**16)
def tokenize_intl(line: str) -> str:
    return _apply(_INTL_RULES, line)


@lru_cache(maxsize=2**16)
def tokenize_char(line: str) -> str:
    return " ".join(line)


@lru_cache(maxsize=2**16)
def _is_chinese(ch: str) -> bool:
    return any(start <= ch <= end for start, end in _ZH_RANGES)


@lru_cache(maxsize=2**16)
def tokenize_zh(line: str) -> str:
    spaced = "".join(f" {ch} " if _is_chinese(ch) else ch for ch in line.strip())
    return _apply(_13A_RULES, spaced)


def tokenize_none(line: str) -> str:
    return line


TOKENIZERS = {"13a": tokenize_13a, "intl": tokenize_intl, "char": tokenize_char, "zh": tokenize_zh,
              "none": tokenize_none}


def get_tokenizer(name: str):
    if name not in TOKENIZERS:
        raise InvalidSetting("tokenize must be one of {choices}, not {name!r}.", choices=", ".join(TOKENIZERS),
                             name=name)
    return TOKENIZERS[name]
