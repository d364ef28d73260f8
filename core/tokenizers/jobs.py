"""Training jobs for tokenizers: one kind for a single tokenizer, one for a size sweep.

Settings are plain JSON so job keys are stable: `algorithm` (bpe, byte_bpe, wordpiece, unigram),
`vocab_size`, `normalization` (null or "nfkc"), `max_chars` (how much of the corpus to read) and
optionally `documents` (a subset of the corpus's documents, e.g. one UDHR language).
"""

from __future__ import annotations

from typing import Any

from core.corpora import get_corpus
from core.errors import InvalidSetting
from core.jobs import JobContext, JobKind, JobSpec, Work, register
from core.progress import Progress, ProgressCallback
from core.tokenizers.base import Tokenizer
from core.i18n import N_

ALGORITHMS = ("bpe", "byte_bpe", "wordpiece", "unigram")
DEFAULT_MAX_CHARS = 2_000_000  # Tiny Shakespeare whole; 2 MB of the books
SWEEP_SIZES = (300, 600, 1000, 2000, 4000, 8000)


def training_lines(corpus: str, settings: dict[str, Any]) -> list[str]:
    """The lines a tokenizer job trains on: the chosen documents, up to `max_chars` characters."""
    source = get_corpus(corpus)
    documents = settings.get("documents") or [doc.id for doc in source.documents]
    budget = int(settings.get("max_chars", DEFAULT_MAX_CHARS))
    lines: list[str] = []
    for doc_id in documents:
        for line in source.document(doc_id).lines():
            if budget <= 0:
                return lines
            lines.append(line)
            budget -= len(line) + 1
    return lines


def train_tokenizer(lines: list[str], algorithm: str, vocab_size: int, progress: ProgressCallback | None = None,
                    normalization: str | None = None) -> Tokenizer:
    if algorithm not in ALGORITHMS:
        raise InvalidSetting("algorithm must be one of {choices}, not {algorithm!r}.",
                             choices=", ".join(ALGORITHMS), algorithm=algorithm)
    return Tokenizer.registry[algorithm].train(lines, vocab_size, progress, normalization=normalization)


ALGORITHM_COST = {"bpe": 1.0, "byte_bpe": 1.0, "wordpiece": 2.8, "unigram": 4.0}  # relative, measured (benchmarks)


def _train(spec: JobSpec, context: JobContext) -> Tokenizer:
    settings = spec.settings
    return train_tokenizer(training_lines(spec.corpus, settings), settings["algorithm"], settings["vocab_size"],
                           context.progress, settings.get("normalization"))


def _sweep(spec: JobSpec, context: JobContext) -> dict[str, Any]:
    """Characters per token against vocabulary size for every algorithm, on held-out text."""
    settings = spec.settings
    lines = training_lines(spec.corpus, settings)
    held_out = "\n".join(lines[::10])
    train = [line for i, line in enumerate(lines) if i % 10]
    sizes = settings["sizes"]
    tracker = Progress(context.progress, len(sizes) * len(ALGORITHMS), min_interval_s=0.0)
    rows = []
    for algorithm in ALGORITHMS:
        for size in sizes:
            try:
                tokenizer = train_tokenizer(train, algorithm, size)
            except InvalidSetting:  # size below this algorithm's alphabet: no point on the curve
                continue
            rows.append({"algorithm": algorithm, "vocab_size": size, "actual_size": tokenizer.vocab_size,
                         "chars_per_token": len(held_out) / max(1, len(tokenizer.encode(held_out)))})
            tracker.update(len(rows), N_("{algorithm} at {size}"), fields={"algorithm": algorithm, "size": size})
    return {"rows": rows}


def corpus_chars(corpus: str, max_chars: int) -> int:
    """About how many characters a job reads (compressed books count three times their size)."""
    source = get_corpus(corpus)
    size = sum(doc.path.stat().st_size * (3 if doc.path.suffix == ".gz" else 1) for doc in source.documents)
    return min(max_chars, size)


def default_spec(algorithm: str = "byte_bpe", corpus: str = "tinyshakespeare", vocab_size: int = 1000,
                 normalization: str | None = None, documents: list[str] | None = None) -> JobSpec:
    settings = {"algorithm": algorithm, "vocab_size": vocab_size, "normalization": normalization,
                "max_chars": DEFAULT_MAX_CHARS}
    if documents:
        settings["documents"] = list(documents)
    return TOKENIZER.spec(corpus, settings)


def sweep_spec(corpus: str = "tinyshakespeare") -> JobSpec:
    return SWEEP.spec(corpus, {"sizes": list(SWEEP_SIZES), "max_chars": 600_000})


def _work(spec: JobSpec) -> Work:
    s = spec.settings
    return Work(corpus_chars(spec.corpus, s["max_chars"]) * ALGORITHM_COST.get(s["algorithm"], 1.0), "char")


def _sweep_work(spec: JobSpec) -> Work:
    s = spec.settings
    per_size = corpus_chars(spec.corpus, s["max_chars"]) * 0.9 * sum(ALGORITHM_COST.values())
    return Work(per_size * len(s["sizes"]), "char")


TOKENIZER = register(JobKind(
    name="tokenizer", version=1, train=_train,
    dump=lambda tok: ({}, tok.to_dict()), load=lambda tensors, data: Tokenizer.from_dict(data), work=_work,
    description="a BPE, byte-level BPE, WordPiece or Unigram tokenizer",
    defaults=lambda: tuple(default_spec(a) for a in ALGORITHMS),
))
SWEEP = register(JobKind(
    name="tokenizer-sweep", version=1, train=_sweep,
    dump=lambda result: ({}, result), load=lambda tensors, data: data, work=_sweep_work,
    description="characters per token against vocabulary size, every algorithm",
    defaults=lambda: (sweep_spec(),),
))
