"""Byte-pair encoding on characters, with an end-of-word mark (Sennrich et al., 2016).

Words are split on whitespace and punctuation (HF's `Whitespace` pre-tokenizer); each word's last
character carries `</w>`, so "low" and "lowest" share `l o w` but end differently, and merges
never cross a word boundary. Characters never seen in training become `[UNK]` (no byte fallback:
that is what `ByteLevelBPE` is for). Decoding turns `</w>` back into spaces, so whitespace is
normalised: "a  b" decodes as "a b". Training mirrors HF's `BpeTrainer` (see `merging.py`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

from core.i18n import N_
from core.progress import ProgressCallback
from core.tokenizers.base import Tokenizer, check_vocab_size, nonempty_texts
from core.tokenizers.merging import MergeStep, learn_merges
from core.tokenizers.pretokenize import words_of

INFINITY = float("inf")


class MergeTokenizer(Tokenizer):
    """Encoding shared by the BPE family: apply the learned merges in the order they were learned."""

    unk_token: str | None = None

    def __init__(self, id_to_token: list[str], merges: Iterable[tuple[str, str]], **kwargs: Any):
        super().__init__(id_to_token, **kwargs)
        self.merges = [tuple(pair) for pair in merges]
        self._ranks = {(self.vocab[a], self.vocab[b]): (rank, self.vocab[a + b])
                       for rank, (a, b) in enumerate(self.merges)}

    def _apply_merges(self, ids: list[int]) -> list[int]:
        """Repeatedly merge the adjacent pair learned earliest, left to right (HF's `merge_all`)."""
        ranks = self._ranks
        while len(ids) > 1:
            best_rank, best = INFINITY, None
            for pair in zip(ids, ids[1:]):
                found = ranks.get(pair)
                if found is not None and found[0] < best_rank:
                    best_rank, best = found[0], pair
            if best is None:
                break
            new, merged, i = ranks[best][1], [], 0
            while i < len(ids):
                if i < len(ids) - 1 and (ids[i], ids[i + 1]) == best:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(ids[i])
                    i += 1
            ids = merged
        return ids

    def _extra_state(self) -> dict[str, Any]:
        return {"merges": [list(pair) for pair in self.merges]}

    @classmethod
    def _from_state(cls, data: dict[str, Any]) -> "MergeTokenizer":
        return cls(data["vocab"], data["merges"], special_tokens=data["special_tokens"],
                   normalization=data["normalization"], trace=[MergeStep(**s) for s in data["trace"]])

    def _hf_bpe_model(self, **options: Any) -> dict[str, Any]:
        return {"type": "BPE", "dropout": None, "unk_token": self.unk_token, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": self.vocab, "merges": [list(pair) for pair in self.merges], **options}


class BPE(MergeTokenizer):
    """Character BPE with an end-of-word suffix."""

    algorithm = "bpe"
    splitter = "whitespace"
    suffix = "</w>"
    unk_token = "[UNK]"

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, progress: ProgressCallback | None = None, *,
              special_tokens: Iterable[str] = ("[UNK]",), normalization: str | None = None,
              min_frequency: int = 0) -> "BPE":
        specials = list(dict.fromkeys([cls.unk_token, *special_tokens]))
        normalize = cls([], [], normalization=normalization).normalize
        counts = Counter(w for text in nonempty_texts(texts, normalize) for w in words_of(cls.splitter, text))
        alphabet = sorted({ch for word in counts for ch in word})
        finals = sorted({word[-1] + cls.suffix for word in counts})
        id_to_token = specials + alphabet + finals
        check_vocab_size(vocab_size, len(id_to_token), N_("the special tokens plus the alphabet"))
        index = {token: i for i, token in enumerate(id_to_token)}
        words = [[index[ch] for ch in word[:-1]] + [index[word[-1] + cls.suffix]] for word in counts]
        trace = learn_merges(words, list(counts.values()), id_to_token, vocab_size,
                             min_frequency=min_frequency, progress=progress)
        return cls(id_to_token, [(s.left, s.right) for s in trace], special_tokens=specials,
                   normalization=normalization, trace=trace)

    def _encode_word(self, word: str) -> list[tuple[int, str, int, int]]:
        unk = self.vocab[self.unk_token]
        symbols = [*word[:-1], word[-1] + self.suffix]
        ids = self._apply_merges([self.vocab.get(s, unk) for s in symbols])
        out, position = [], 0
        for token_id in ids:
            token = self.id_to_token[token_id]
            length = 1 if token_id == unk else len(token.removesuffix(self.suffix))
            out.append((token_id, token, position, position + length))
            position += length
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """Tokens joined, each `</w>` a space (HF's `BPEDecoder`: none after the last token)."""
        tokens = self._tokens_of(ids)
        return "".join(t.replace(self.suffix, " " if i < len(tokens) - 1 else "") for i, t in enumerate(tokens))

    def _hf_decoder(self) -> dict[str, Any]:
        return {"type": "BPEDecoder", "suffix": self.suffix}

    def _hf_model(self) -> dict[str, Any]:
        return self._hf_bpe_model(end_of_word_suffix=self.suffix)
