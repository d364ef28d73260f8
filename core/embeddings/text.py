"""The one tokenizer word vectors use, and corpora turned into arrays of word ids.

Words are lowercase runs of letters with an optional apostrophe part (`[a-z]+('[a-z]+)?` on the
lowercased text, so "Don't" is "don't" and "1984" is nothing); a paragraph (text between blank
lines) is a sentence, cut into pieces of at most 10,000 words as gensim cuts them. The same
function tokenises training text, analogy questions and user input, everywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Sequence

import numpy as np

from core.corpora import get_corpus
from core.errors import InvalidSetting, InvalidText

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
MAX_SENTENCE = 10_000  # gensim's MAX_WORDS_IN_BATCH: no sentence is longer (the kernels rely on it)
CHUNK_WORDS = 200_000  # words per kernel call (or per batch of pairs on a GPU): progress and cancel points


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Group lines into paragraphs separated by blank lines."""
    buffer: list[str] = []
    for line in lines:
        if line.strip():
            buffer.append(line)
        elif buffer:
            yield " ".join(buffer)
            buffer = []
    if buffer:
        yield " ".join(buffer)


def sentences_of(lines: Iterable[str], max_words: int | None = None) -> Iterator[list[str]]:
    """Token lists, one per paragraph (split at MAX_SENTENCE words), up to `max_words` in all."""
    total = 0
    for paragraph in paragraphs(lines):
        tokens = words(paragraph)
        for start in range(0, len(tokens), MAX_SENTENCE):
            piece = tokens[start:start + MAX_SENTENCE]
            if max_words is not None and total + len(piece) > max_words:
                piece = piece[: max_words - total]
            if piece:
                yield piece
                total += len(piece)
            if max_words is not None and total >= max_words:
                return


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]  # most frequent first
    counts: np.ndarray  # (V,) int64

    @property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


@dataclass(frozen=True)
class EncodedCorpus:
    """A corpus as word ids: every kept word in order, and where each sentence starts."""

    vocab: Vocabulary
    ids: np.ndarray  # (N,) int32, words below min_count removed (as gensim removes them)
    sentence_starts: np.ndarray  # (S + 1,) offsets into ids
    raw_words: int  # words before the min_count filter


def build_vocab(sentences: Iterable[list[str]], min_count: int) -> tuple[Vocabulary, list[list[str]]]:
    """Counts, the words seen at least `min_count` times sorted by frequency (ties: first seen)."""
    if not isinstance(min_count, int) or min_count < 1:
        raise InvalidSetting("min_count must be a whole number of 1 or more, not {min_count!r}.", min_count=min_count)
    kept = list(sentences)
    counts = Counter(w for sentence in kept for w in sentence)
    if not counts:
        raise InvalidText("The corpus has no words (letters a-z) to learn from.")
    order = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: -counts[w])
    if len(order) < 2:
        raise InvalidText("Fewer than two words occur {min_count} or more times: lower min_count or use more text.",
                          min_count=min_count)
    return Vocabulary(order, np.array([counts[w] for w in order], dtype=np.int64)), kept


def encode(sentences: Iterable[list[str]], min_count: int) -> EncodedCorpus:
    """Word ids of every kept word; sentences longer than MAX_SENTENCE words are cut into pieces
    (as gensim cuts them), whoever built them."""
    vocab, kept = build_vocab(sentences, min_count)
    index = vocab.index
    ids, starts, raw = [], [0], 0
    for sentence in kept:
        raw += len(sentence)
        for piece in range(0, len(sentence), MAX_SENTENCE):
            ids.extend(index[w] for w in sentence[piece:piece + MAX_SENTENCE] if w in index)
            if len(ids) > starts[-1]:
                starts.append(len(ids))
    return EncodedCorpus(vocab, np.array(ids, dtype=np.int32), np.array(starts, dtype=np.int64), raw)


def sentence_chunks(corpus: EncodedCorpus, cuts: Sequence[int] = ()) -> Iterator[tuple[int, int]]:
    """Ranges of sentences (first, last) of about CHUNK_WORDS words each. A chunk also ends at the
    first sentence that starts at or after each word position in `cuts`: word2vec takes its
    snapshots between chunks, and on a small corpus (one chunk an epoch) they would all wait for
    the end of an epoch, the last one for the end of training."""
    starts = corpus.sentence_starts
    ends = sorted({int(np.searchsorted(starts, cut, side="left")) for cut in cuts})
    first = 0
    while first < len(starts) - 1:
        last = int(np.searchsorted(starts, starts[first] + CHUNK_WORDS, side="right")) - 1
        last = max(last, first + 1)
        last = next((end for end in ends if first < end < last), last)
        yield first, min(last, len(starts) - 1)
        first = last


@lru_cache(maxsize=4)
def encode_corpus(corpus: str, min_count: int, max_words: int | None = None) -> EncodedCorpus:
    """A shipped or uploaded corpus, encoded (kept for the process: several models share it)."""
    return encode(sentences_of(get_corpus(corpus).lines(), max_words), min_count)
