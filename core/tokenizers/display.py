"""How a token is written on every page: one convention, with a legend.

Tokenizers store spaces differently (byte-level BPE as `Ġ`, Unigram as `▁`, BPE drops them and marks
word ends with `</w>`), and a byte-level token may hold part of a character. Pages show all of them
the same way: a space is `·`, a line break `↵`, a tab `→`, sentencepiece's word start `▁`, BPE's
`</w>` and WordPiece's `##` stay (they are the algorithms' own marks), and bytes that are not a
whole character are written as hex in angle brackets, `⟨e4 bd⟩`. `token_text` applies it to any
token, byte-level ones (GPT-2's printable byte characters, `Ġthe`) included.
"""

from __future__ import annotations

from core.i18n import N_
from core.tokenizers.pretokenize import from_byte_chars, unicode_to_bytes

WHITESPACE = {" ": "·", "\n": "↵", "\t": "→", "\r": "␍"}
LEGEND = N_("· is a space, ↵ a line break, → a tab; ⟨e4 bd⟩ are bytes of a character split across tokens; "
            "▁ marks a word start (sentencepiece), </w> a word end (BPE), ## a piece that continues a word "
            "(WordPiece).")


def token_text(token: str, *, byte_level: bool = False) -> str:
    """A token as every page shows it. A byte-level token is written in GPT-2's printable byte
    characters (`Ġthe`, `ä½ł`): it is shown by the bytes it stands for (`·the`, `你`, `⟨e4 bd⟩`).
    A special token (`<|endoftext|>`) is made of printable ASCII, which those characters keep as
    they are, so it shows unchanged."""
    if byte_level and all(ch in unicode_to_bytes() for ch in token):
        return visible_bytes(from_byte_chars(token))
    return visible(token)


def visible(text: str) -> str:
    """Whitespace shown as visible marks, so a token that is a space is not an empty box."""
    return "".join(WHITESPACE.get(ch, ch) for ch in text)


def visible_bytes(raw: bytes) -> str:
    """A byte string as text where it decodes, and ⟨hex⟩ for the bytes of an incomplete character."""
    out, i = [], 0
    while i < len(raw):
        for size in (1, 2, 3, 4):
            try:
                out.append(visible(raw[i:i + size].decode("utf-8")))
                i += size
                break
            except UnicodeDecodeError:
                continue
        else:
            end = i + 1
            while end < len(raw) and not _starts_character(raw, end):
                end += 1
            out.append("⟨" + raw[i:end].hex(" ") + "⟩")
            i = end
    return "".join(out)


def _starts_character(raw: bytes, index: int) -> bool:
    """A byte that begins a complete character from here."""
    for size in (1, 2, 3, 4):
        try:
            raw[index:index + size].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False
