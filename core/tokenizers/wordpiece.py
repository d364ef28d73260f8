"""WordPiece (Schuster & Nakajima 2012; BERT): merges chosen by likelihood, greedy encoding.

Training starts from characters (`##` marks a piece that continues a word) and repeatedly merges
the pair with the highest score count(ab) / (count(a) * count(b)): a pair is worth merging when
its parts occur together more than their own frequencies predict, not merely when it is frequent.
Ties go to the more frequent pair, then to the smaller ids. (HF's `WordPieceTrainer` instead
trains BPE on counts and only encodes as WordPiece, so merges are not compared with it.)

Encoding is greedy longest-match-first within each word; a word that cannot be covered, or longer
than 100 characters, becomes `[UNK]` as a whole, exactly as HF's `WordPiece` model does (tested).
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from typing import Any, Iterable

from core.progress import Progress, ProgressCallback
from core.tokenizers.base import Tokenizer, check_vocab_size, nonempty_texts
from core.tokenizers.merging import MergeStep, Pair, merge_word
from core.tokenizers.pretokenize import words_of
from core.i18n import N_

PREFIX = "##"
MAX_WORD_CHARS = 100
BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# HF's WordPiece decoder cleanup: spaces before punctuation and inside contractions removed.
CLEANUP = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
           (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def _join(left: str, right: str) -> str:
    return left + right.removeprefix(PREFIX)


class _ScoredMerger:
    """Pair and token counts with a lazy max-heap on the likelihood score."""

    def __init__(self, words: list[list[int]], counts: list[int]):
        self.words, self.counts = words, counts
        self.pair_counts: dict[Pair, int] = defaultdict(int)
        self.token_counts: dict[int, int] = defaultdict(int)
        self.where: dict[Pair, set[int]] = defaultdict(set)
        self.pairs_of: dict[int, set[Pair]] = defaultdict(set)
        for index, (word, count) in enumerate(zip(words, counts)):
            for token in word:
                self.token_counts[token] += count
            for pair in zip(word, word[1:]):
                self._add_pair(pair, count, index)
        self.heap: list[tuple[float, int, int, int]] = []
        for pair in self.pair_counts:
            self._push(pair)

    def _add_pair(self, pair: Pair, change: int, index: int) -> None:
        self.pair_counts[pair] += change
        if change > 0:
            self.where[pair].add(index)
            self.pairs_of[pair[0]].add(pair)
            self.pairs_of[pair[1]].add(pair)

    def score(self, pair: Pair) -> float:
        return self.pair_counts[pair] / (self.token_counts[pair[0]] * self.token_counts[pair[1]])

    def _push(self, pair: Pair) -> None:
        if self.pair_counts[pair] > 0:
            heapq.heappush(self.heap, (-self.score(pair), -self.pair_counts[pair], *pair))

    def best(self) -> tuple[Pair, float, int] | None:
        while self.heap:
            negative_score, negative_count, a, b = heapq.heappop(self.heap)
            pair = (a, b)
            count = self.pair_counts[pair]
            if count <= 0:
                continue
            if -negative_count == count and -negative_score == self.score(pair):
                return pair, -negative_score, count
            self._push(pair)
        return None

    def merge(self, pair: Pair, new: int) -> None:
        a, b = pair
        for index in list(self.where[pair]):
            word, weight = self.words[index], self.counts[index]
            before = len(word)
            for changed, change in merge_word(word, a, b, new):
                self._add_pair(changed, change * weight, index)
            merged = (before - len(word)) * weight
            self.token_counts[a] -= merged
            self.token_counts[b] -= merged
            self.token_counts[new] += merged
        self.pair_counts[pair] = 0
        for touched in self.pairs_of[a] | self.pairs_of[b] | self.pairs_of[new]:  # their scores changed
            self._push(touched)


class WordPiece(Tokenizer):
    """BERT-style WordPiece."""

    algorithm = "wordpiece"
    splitter = "bert"
    unk_token = "[UNK]"

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, progress: ProgressCallback | None = None, *,
              special_tokens: Iterable[str] = BERT_SPECIALS, normalization: str | None = None) -> "WordPiece":
        specials = list(dict.fromkeys([*special_tokens, cls.unk_token]))
        normalize = cls([], normalization=normalization).normalize
        counts = Counter(w for text in nonempty_texts(texts, normalize) for w in words_of(cls.splitter, text)
                         if len(w) <= MAX_WORD_CHARS)
        symbols = {word: [word[0]] + [PREFIX + ch for ch in word[1:]] for word in counts}
        id_to_token = specials + sorted({s for pieces in symbols.values() for s in pieces})
        check_vocab_size(vocab_size, len(id_to_token), N_("the special tokens plus the alphabet"))
        index = {token: i for i, token in enumerate(id_to_token)}
        words = [[index[s] for s in symbols[word]] for word in counts]
        merger = _ScoredMerger(words, list(counts.values()))
        tracker = Progress(progress, vocab_size - len(id_to_token))
        trace: list[MergeStep] = []
        while len(index) < vocab_size:
            found = merger.best()
            if found is None:
                break
            (a, b), score, count = found
            token = _join(id_to_token[a], id_to_token[b])
            new = index.setdefault(token, len(id_to_token))
            if new == len(id_to_token):
                id_to_token.append(token)
            merger.merge((a, b), new)
            trace.append(MergeStep(id_to_token[a], id_to_token[b], token, count, score))
            tracker.update(len(trace), N_("merge {step}: {token!r}"), fields={"token": token}, score=score)
        return cls(id_to_token, special_tokens=specials, normalization=normalization, trace=trace)

    def _encode_word(self, word: str) -> list[tuple[int, str, int, int]]:
        unk = [(self.vocab[self.unk_token], self.unk_token, 0, len(word))]
        if len(word) > MAX_WORD_CHARS:
            return unk
        out, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else PREFIX + word[start:end]
                if piece in self.vocab:
                    out.append((self.vocab[piece], piece, start, end))
                    start = end
                    break
            else:
                return unk
        return out

    def decode(self, ids: Iterable[int]) -> str:
        """HF's WordPiece decoder: `##` pieces glued on, others spaced, then its cleanup."""
        out = []
        for i, token in enumerate(self._tokens_of(ids)):
            if i:
                token = token[len(PREFIX):] if token.startswith(PREFIX) else " " + token
            for dirty, clean in CLEANUP:
                token = token.replace(dirty, clean)
            out.append(token)
        return "".join(out)

    @classmethod
    def from_vocab(cls, vocab: Iterable[str], *, special_tokens: Iterable[str] = BERT_SPECIALS) -> "WordPiece":
        """A WordPiece over a given vocabulary (e.g. a BERT `vocab.txt`), for encoding only."""
        return cls(list(vocab), special_tokens=[t for t in special_tokens if t in set(vocab)])

    def _hf_decoder(self) -> dict[str, Any]:
        return {"type": "WordPiece", "prefix": PREFIX, "cleanup": True}

    def _hf_model(self) -> dict[str, Any]:
        return {"type": "WordPiece", "unk_token": self.unk_token, "continuing_subword_prefix": PREFIX,
                "max_input_chars_per_word": MAX_WORD_CHARS, "vocab": self.vocab}
