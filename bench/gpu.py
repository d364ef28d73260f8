"""Every page's default models trained on a GPU, measured beside the CPU figures.

    python -m bench.gpu                 # on the device core.device picks (CUDA on a GPU server)
    python -m bench.gpu --quick         # a few steps of each, to check the script on a CPU

Prints one Markdown table: for word2vec skip-gram and CBOW on the Gutenberg corpus (10.1M words,
3 epochs), the default language model (300 steps), one anatomy experiment (its 5 variants), the
masked model, a toy task and the alignment chain (when present): seconds, tokens or words per
second, peak GPU memory, the quality reached (analogy accuracy, validation loss), the CPU figure
from docs/benchmarks.md, and for word2vec the ratio to gensim's CPU speed measured in the same run.
Goals (issue "Training on a GPU, measured"): skip-gram at least 10x gensim at equal analogy
accuracy; the default language model to validation loss 2.0 within 5 s; every anatomy experiment
within 30 s; `python -m core warm` within 2 minutes. Every job runs through the playground's own
code path (`core.jobs`), cached artifacts are not used (a fresh cache folder).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any, Callable

import torch

from bench.common import table
from core.device import describe_device, pick_device

# CPU figures from docs/benchmarks.md (2 cores, no GPU), for the comparison column
CPU = {"word2vec skip-gram + NS": "161k words/s, analogy 0.258", "word2vec CBOW + NS": "723k words/s, analogy 0.26",
       "language model (300 steps)": "49.6 s, 12.4k tokens/s, val 1.91",
       "anatomy: positional encodings (5 models)": "20-40 s a variant"}


def _peak(device: torch.device) -> str:
    if device.type != "cuda":
        return "—"
    return f"{torch.cuda.max_memory_allocated(device) / 2**20:,.0f} MiB"


def _measure(device: torch.device, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    row = work()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    row.setdefault("seconds", time.perf_counter() - start)
    row["peak GPU memory"] = _peak(device)
    return row


def word2vec_rows(device: torch.device, quick: bool) -> list[dict]:
    from gensim.models import Word2Vec

    from core.corpora import get_corpus
    from core.embeddings import encode_corpus, train_word2vec
    from core.embeddings.analysis import ANALOGIES
    from core.embeddings.text import sentences_of

    words = 300_000 if quick else None
    corpus = encode_corpus("gutenberg", 5, words)
    sentences = list(sentences_of(get_corpus("gutenberg").lines(), words))
    train_word2vec(None, corpus=encode_corpus("tinyshakespeare", 5), epochs=1, device=device)  # compile/warm up
    rows = []
    for name, arch in (("word2vec skip-gram + NS", "skipgram"), ("word2vec CBOW + NS", "cbow")):
        ours: dict = {}

        def train() -> dict:
            vectors = train_word2vec(None, arch=arch, corpus=corpus, epochs=1 if quick else 3, device=device)
            ours["vectors"] = vectors
            return {"speed": vectors.info["effective_words_per_s"]}

        row = _measure(device, train)
        reference = Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-3, sg=int(arch == "skipgram"),
                             negative=5, workers=os.cpu_count(), seed=0)
        reference.build_vocab(sentences)
        started = time.perf_counter()
        effective, _ = reference.train(sentences, total_examples=reference.corpus_count, epochs=1 if quick else 3)
        gensim_speed = effective / (time.perf_counter() - started)
        accuracy = ours["vectors"].evaluate_analogies(ANALOGIES)["accuracy"]
        rows.append({"model": name, "seconds": row["seconds"], "speed": f"{row['speed']:,.0f} words/s",
                     "peak GPU memory": row["peak GPU memory"], "quality": f"analogy {accuracy:.3f}",
                     "ratio to gensim (CPU)": f"{row['speed'] / gensim_speed:.2f}x", "CPU figure": CPU[name]})
    return rows


def job_rows(device: torch.device, quick: bool) -> list[dict]:
    """The default language model, masked model, a toy task and one anatomy experiment, as jobs."""
    from core.anatomy.jobs import experiment_specs
    from core.jobs import ArtifactStore, JobManager
    from core.lm.jobs import lm_spec, mlm_spec, toy_spec

    manager = JobManager(ArtifactStore(tempfile.mkdtemp(prefix="bench-gpu-")), workers=1, device=device)
    steps = 20 if quick else None
    cases = [("language model (300 steps)", [lm_spec(steps=steps or 300)]),
             ("masked model", [mlm_spec(steps=steps or 1200)]),
             ("toy task: induction", [toy_spec("induction", steps=steps or 400)]),
             ("anatomy: positional encodings (5 models)", experiment_specs("positions", steps=steps))]
    rows = []
    for name, specs in cases:
        def train() -> dict:
            jobs = [manager.run(spec) for spec in specs]
            failed = [str(job.error) for job in jobs if job.error]
            if failed:
                return {"quality": "failed: " + failed[0]}
            return {"quality": _quality(jobs[0].result), "speed": _speed(jobs[0].result)}

        row = _measure(device, train)
        rows.append({"model": name, "seconds": row["seconds"], "speed": row.get("speed", "—"),
                     "peak GPU memory": row["peak GPU memory"], "quality": row["quality"],
                     "ratio to gensim (CPU)": "", "CPU figure": CPU.get(name, "see docs/benchmarks.md")})
    return rows


def _quality(result: Any) -> str:
    history = getattr(result, "history", None) or getattr(getattr(result, "lm", None), "history", [])
    losses = [h["val_loss"] for h in history if "val_loss" in h]
    if hasattr(result, "accuracy"):
        return f"answer accuracy {result.accuracy:.1%}"
    return f"val loss {losses[-1]:.3f}" if losses else "—"


def _speed(result: Any) -> str:
    history = getattr(result, "history", [])
    if history and "tokens_per_s" in history[-1]:
        return f"{history[-1]['tokens_per_s']:,.0f} tokens/s"
    return "—"


def alignment_rows(device: torch.device, quick: bool) -> list[dict]:
    """The fine-tuning and alignment chain, when its benchmark exists (bench/alignment.py)."""
    try:
        from bench import alignment
    except ImportError:
        return []
    return [{**row, "peak GPU memory": _peak(device)} for row in alignment.chain_rows(device, quick=quick)]


def warm_rows(device: torch.device, quick: bool) -> list[dict]:
    """`python -m core warm` into a fresh cache folder: every page's models, as before a lecture."""
    from core import settings
    from core.__main__ import warm

    os.environ[settings.ENV_CACHE_DIR] = tempfile.mkdtemp(prefix="bench-warm-")
    os.environ[settings.ENV_DEVICE] = str(device)
    row = _measure(device, lambda: {"quality": f"{warm(['lm'] if quick else None)} failed"})
    return [{"model": "python -m core warm (everything)", **row, "speed": "—", "ratio to gensim (CPU)": "",
             "CPU figure": "about 30 min (docs/hosting.md)"}]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few steps of each (to check the script on a CPU)")
    parser.add_argument("--skip", action="append", default=[], choices=["word2vec", "jobs", "alignment", "warm"])
    args = parser.parse_args(argv)
    device = pick_device()
    print(f"Device: {describe_device(device)}; torch {torch.__version__}\n")
    rows = []
    for name, part in (("word2vec", word2vec_rows), ("jobs", job_rows), ("alignment", alignment_rows),
                       ("warm", warm_rows)):
        if name not in args.skip:
            rows += part(device, args.quick)
    columns = ["model", "seconds", "speed", "peak GPU memory", "quality", "ratio to gensim (CPU)", "CPU figure"]
    print(table(rows, columns))


if __name__ == "__main__":
    main()
