"""Byte-level BPE as in GPT-2: merges over UTF-8 bytes, so no text is ever unknown.

Text is split by GPT-2's regex (a leading space stays with the word it precedes, hence tokens
like `Ġthe`, where `Ġ` is the printable stand-in for the space byte), each word becomes its
UTF-8 bytes shown as printable characters (`pretokenize.bytes_to_unicode`), and merges are learned
exactly as HF's `BpeTrainer` learns them with the 256 byte characters as the initial alphabet
(see `merging.py`), so the merge list equals HF's, in order. A token can hold part of a
multi-byte character (a Chinese character is 3 bytes); `decode` joins the bytes first, so
`decode(encode(x)) == x` for every string, while decoding one such token alone gives `�`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from core.i18n import N_
from core.progress import ProgressCallback
from core.tokenizers.base import check_vocab_size, nonempty_texts
from core.tokenizers.bpe import MergeTokenizer
from core.tokenizers.merging import learn_merges
from core.tokenizers.pretokenize import bytes_to_unicode, from_byte_chars, to_byte_chars, words_of


class ByteLevelBPE(MergeTokenizer):
    """GPT-2-style BPE over bytes."""

    algorithm = "byte_bpe"
    splitter = "gpt2"

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, progress: ProgressCallback | None = None, *,
              special_tokens: Iterable[str] = ("<|endoftext|>",), normalization: str | None = None,
              min_frequency: int = 0) -> "ByteLevelBPE":
        specials = list(dict.fromkeys(special_tokens))
        normalize = cls([], [], normalization=normalization).normalize
        raw = Counter(w for text in nonempty_texts(texts, normalize) for w in words_of(cls.splitter, text))
        counts = Counter({to_byte_chars(word): count for word, count in raw.items()})
        id_to_token = specials + sorted(bytes_to_unicode().values())
        check_vocab_size(vocab_size, len(id_to_token), N_("the 256 bytes plus the special tokens"))
        index = {token: i for i, token in enumerate(id_to_token)}
        words = [[index[ch] for ch in word] for word in counts]
        trace = learn_merges(words, list(counts.values()), id_to_token, vocab_size,
                             min_frequency=min_frequency, progress=progress)
        return cls(id_to_token, [(s.left, s.right) for s in trace], special_tokens=specials,
                   normalization=normalization, trace=trace)

    def _encode_word(self, word: str) -> list[tuple[int, str, int, int]]:
        byte_chars = to_byte_chars(word)
        char_of_byte = [i for i, ch in enumerate(word) for _ in ch.encode("utf-8")]
        ids = self._apply_merges([self.vocab[ch] for ch in byte_chars])
        out, position = [], 0
        for token_id in ids:
            token = self.id_to_token[token_id]
            first, last = char_of_byte[position], char_of_byte[position + len(token) - 1]
            out.append((token_id, token, first, last + 1))
            position += len(token)
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """Join every token's bytes, then decode UTF-8 (invalid sequences become `�`, like HF)."""
        parts: list[bytes] = []
        for token in self._tokens_of(ids):
            parts.append(token.encode("utf-8") if token in self.special_tokens else from_byte_chars(token))
        return b"".join(parts).decode("utf-8", errors="replace")

    @staticmethod
    def token_bytes(token: str) -> bytes:
        """The raw bytes a token stands for (for the byte view)."""
        return from_byte_chars(token)

    def _hf_decoder(self) -> dict[str, Any]:
        return {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}

    def _hf_model(self) -> dict[str, Any]:
        return self._hf_bpe_model()
