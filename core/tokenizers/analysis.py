"""What the tokenizers page measures: counts, replay of training, cost across languages."""

from __future__ import annotations

from dataclasses import dataclass

from core.corpora import get_corpus, udhr_languages
from core.errors import InvalidSetting
from core.tokenizers.base import Piece, Tokenizer
from core.tokenizers.bpe import MergeTokenizer
from core.tokenizers.wordpiece import WordPiece


@dataclass(frozen=True)
class TextStats:
    tokens: int
    characters: int
    bytes: int
    words: int

    @property
    def chars_per_token(self) -> float:
        return self.characters / self.tokens if self.tokens else 0.0

    @property
    def tokens_per_word(self) -> float:
        return self.tokens / self.words if self.words else 0.0


def text_stats(text: str, pieces: list[Piece]) -> TextStats:
    return TextStats(len(pieces), len(text), len(text.encode("utf-8")), len(text.split()))


def merge_count(tokenizer: Tokenizer) -> int:
    """How many training steps a replay can show (merges; 0 for Unigram, which prunes instead)."""
    return len(tokenizer.trace) if isinstance(tokenizer, (MergeTokenizer, WordPiece)) else 0


def at_step(tokenizer: Tokenizer, step: int) -> Tokenizer:
    """The tokenizer as it was after its first `step` merges (for the training replay)."""
    total = merge_count(tokenizer)
    if not 0 <= step <= total:
        raise InvalidSetting("step must be between 0 and {total}, not {step}.", total=total, step=step)
    learned = {s.new for s in tokenizer.trace}
    base = [t for t in tokenizer.id_to_token if t not in learned]
    vocab = base + list(dict.fromkeys(s.new for s in tokenizer.trace[:step]))
    kwargs = {"special_tokens": tokenizer.special_tokens, "normalization": tokenizer.normalization,
              "trace": tokenizer.trace[:step]}
    if isinstance(tokenizer, MergeTokenizer):
        return type(tokenizer)(vocab, tokenizer.merges[:step], **kwargs)
    return type(tokenizer)(vocab, **kwargs)


def cost_by_language(tokenizer: Tokenizer) -> list[dict]:
    """Tokens per character (and per byte) of the same declaration in every UDHR language."""
    corpus = get_corpus("udhr")
    rows = []
    for info in udhr_languages():
        text = corpus.document(info["code"]).text()
        tokens = len(tokenizer.encode(text))
        rows.append({"code": info["code"], "language": info["language"], "script": info["script"],
                     "characters": len(text), "bytes": len(text.encode("utf-8")), "tokens": tokens,
                     "tokens_per_char": tokens / max(1, len(text)),
                     "bytes_per_char": len(text.encode("utf-8")) / max(1, len(text))})
    return rows
