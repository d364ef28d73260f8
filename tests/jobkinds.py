"""A small real job kind for testing the job machinery on its own: character-bigram counts.

It reads a real corpus, counts, reports progress and can be slowed down (`delay_s` per step) so
tests can cancel it or kill its process midway. Each training appends a line to `log` (a file),
so tests can count how many times a key was trained, across processes. `alloc_bytes` makes it
first allocate that many bytes on the device (a real allocation, for out-of-memory tests);
`seconds` is the work it declares (so tests can make it look long to the budget rules); `needs`
makes it require another spec's artifact first (a dependency through the manager).
"""

from __future__ import annotations

import time

import torch

from core.corpora import get_corpus
from core.jobs import JobContext, JobKind, JobSpec, Work, register
from core.progress import Progress


def _train(spec: JobSpec, context: JobContext) -> dict:
    settings = spec.settings
    if settings.get("needs"):
        context.require(JobSpec.from_dict(settings["needs"]))
    if settings.get("alloc_bytes"):
        torch.empty(settings["alloc_bytes"], dtype=torch.uint8, device=context.device)
    if settings.get("log"):
        with open(settings["log"], "a", encoding="utf-8") as handle:
            handle.write(spec.key + "\n")
    text = get_corpus(spec.corpus).text(max_chars=settings.get("max_chars", 5000))
    steps = settings.get("steps", 10)
    tracker = Progress(context.progress, steps, min_interval_s=0.0)
    alphabet = sorted(set(text))
    index = {ch: i for i, ch in enumerate(alphabet)}
    counts = torch.zeros(len(alphabet), len(alphabet))
    chunk = max(1, len(text) // steps)
    for step in range(steps):
        part = text[step * chunk:(step + 1) * chunk + 1]
        for a, b in zip(part, part[1:]):
            counts[index[a], index[b]] += 1
        time.sleep(settings.get("delay_s", 0.0))
        tracker.update(step + 1, "counting bigrams", loss=float(steps - step))
    return {"alphabet": alphabet, "counts": counts}


BIGRAMS = JobKind(
    name="test-bigrams",
    version=1,
    train=_train,
    dump=lambda r: ({"counts": r["counts"]}, {"alphabet": r["alphabet"]}),
    load=lambda tensors, data: {"alphabet": data["alphabet"], "counts": tensors["counts"]},
    work=lambda spec: Work(spec.settings.get("seconds", 0.01) * 1e6, "char"),  # the prior: 1e6 chars/s
    description="character bigram counts (tests only)",
)


def register_test_kind() -> JobKind:
    """Make the kind known to the registry (tests call this; the product never does)."""
    return register(BIGRAMS)


def bigram_spec(corpus: str = "tinyshakespeare", **settings) -> JobSpec:
    return BIGRAMS.spec(corpus, settings)
