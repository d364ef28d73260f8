"""BLEU, chrF and ROUGE speed against sacrebleu and rouge-score on 3,000 real segment pairs.

    python -m bench.metrics
"""

from __future__ import annotations

import random

import sacrebleu
from rouge_score import rouge_scorer

from bench.common import table, timed
from core.corpora import get_corpus
from core.metrics import CHRF_PLUS_PLUS, corpus_bleu, corpus_chrf, rouge, sentence_bleu
from core.metrics.bleu_tokenize import TOKENIZERS
from tests.core.test_metrics import perturb

SEGMENTS = 3000


def clear_caches() -> None:
    """Both libraries memoise tokenisation; time them cold, as a first request is."""
    for function in TOKENIZERS.values():
        getattr(function, "cache_clear", lambda: None)()


def main() -> None:
    rng = random.Random(0)
    lines = [l for l in get_corpus("gutenberg").text(max_chars=3_000_000).split("\n") if len(l.split()) > 3]
    refs = rng.sample(lines, SEGMENTS)
    hyps = [perturb(r, rng) for r in refs]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
    runs = {
        "corpus BLEU": (lambda: corpus_bleu(hyps, [refs]), lambda: sacrebleu.corpus_bleu(hyps, [refs])),
        "sentence BLEU x 3000": (lambda: [sentence_bleu(h, [r]) for h, r in zip(hyps, refs)],
                                 lambda: [sacrebleu.sentence_bleu(h, [r]) for h, r in zip(hyps, refs)]),
        "corpus chrF": (lambda: corpus_chrf(hyps, [refs]), lambda: sacrebleu.CHRF().corpus_score(hyps, [refs])),
        "corpus chrF++": (lambda: corpus_chrf(hyps, [refs], CHRF_PLUS_PLUS),
                          lambda: sacrebleu.CHRF(word_order=2).corpus_score(hyps, [refs])),
        "ROUGE 1/2/L/Lsum, stemmer, x 3000": (lambda: [rouge(h, r) for h, r in zip(hyps, refs)],
                                               lambda: [scorer.score(r, h) for h, r in zip(hyps, refs)]),
    }
    rows = []
    for name, (ours, reference) in runs.items():
        clear_caches()
        t_ours, _ = timed(ours)
        t_ref, _ = timed(reference)
        rows.append({"task": name, "ours (s)": t_ours, "reference (s)": t_ref, "ratio": t_ours / t_ref})
    print(table(rows, ["task", "ours (s)", "reference (s)", "ratio"]))


if __name__ == "__main__":
    main()
