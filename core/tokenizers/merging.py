"""Learning BPE merges: the incremental pair-count algorithm of HuggingFace's `BpeTrainer`.

Words are deduplicated and weighted by count; pair counts are kept up to date from the changes
each merge makes to the words that contain the pair (an index from pair to words), so only the
affected words are touched. The bookkeeping mirrors `tokenizers/src/models/bpe/{trainer,word}.rs`
exactly, because the merge order depends on it:
- the best pair is the one with the highest count; ties go to the smallest pair of ids;
- ids are the special tokens, then the alphabet sorted by code point, then merges in order;
- a stale heap entry is re-pushed with its current count (a lazy max-heap);
- merging inside a word updates only the neighbouring pairs, left to right (so "aaa" -> "aa a").
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from core.progress import Progress, ProgressCallback
from core.i18n import N_

Pair = tuple[int, int]


@dataclass(frozen=True)
class MergeStep:
    """One line of the training trace."""

    left: str
    right: str
    new: str
    count: int  # how many times the pair occurred when it was merged (weighted by word counts)
    score: float | None = None  # WordPiece's likelihood score; None for count-based BPE


def merge_word(symbols: list[int], a: int, b: int, new: int) -> list[tuple[Pair, int]]:
    """Replace every (a, b) left to right in place; return the pair-count changes (HF's order)."""
    changes: list[tuple[Pair, int]] = []
    i = 0
    while i < len(symbols) - 1:
        if symbols[i] == a and symbols[i + 1] == b:
            if i > 0:
                changes.append(((symbols[i - 1], a), -1))
                changes.append(((symbols[i - 1], new), 1))
            symbols[i:i + 2] = [new]
            if i < len(symbols) - 1:
                changes.append(((b, symbols[i + 1]), -1))
                changes.append(((new, symbols[i + 1]), 1))
        i += 1
    return changes


def learn_merges(words: list[list[int]], counts: list[int], id_to_token: list[str], vocab_size: int, *,
                 min_frequency: int = 0, join: Callable[[str, str], str] = str.__add__,
                 progress: ProgressCallback | None = None) -> list[MergeStep]:
    """Merge the most frequent pair until `id_to_token` has `vocab_size` entries.

    `words` (symbol ids) are modified in place and `id_to_token` is extended with the new tokens.
    """
    pair_counts: dict[Pair, int] = defaultdict(int)
    where: dict[Pair, set[int]] = defaultdict(set)
    for index, (word, count) in enumerate(zip(words, counts)):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += count
            where[pair].add(index)
    heap = [(-c, a, b) for (a, b), c in pair_counts.items() if c > 0]
    heapq.heapify(heap)
    token_to_id = {token: i for i, token in enumerate(id_to_token)}
    tracker = Progress(progress, max(1, vocab_size - len(id_to_token)))
    steps: list[MergeStep] = []
    while len(token_to_id) < vocab_size and heap:
        negative, a, b = heapq.heappop(heap)
        count = pair_counts[(a, b)]
        if -negative != count:
            heapq.heappush(heap, (-count, a, b))
            continue
        if count < 1 or count < min_frequency:
            break
        new_token = join(id_to_token[a], id_to_token[b])
        new = token_to_id.get(new_token, len(id_to_token))
        if new == len(id_to_token):
            id_to_token.append(new_token)
            token_to_id[new_token] = new
        steps.append(MergeStep(id_to_token[a], id_to_token[b], new_token, count))
        grown: set[Pair] = set()
        for index in list(where[(a, b)]):
            weight = counts[index]
            for pair, change in merge_word(words[index], a, b, new):
                pair_counts[pair] += change * weight
                if change > 0:
                    where[pair].add(index)
                    grown.add(pair)
        for pair in grown:
            if pair_counts[pair] > 0:
                heapq.heappush(heap, (-pair_counts[pair], *pair))
        tracker.update(len(steps), N_("merge {step}: {token!r}"), fields={"token": new_token}, count=count)
    return steps
