"""Evaluation metrics, broken down to what they count: BLEU, chrF, ROUGE, perplexity, significance.

    from core.metrics import corpus_bleu, sentence_bleu, corpus_chrf, rouge, paired_bootstrap_bleu
"""

from core.metrics.bleu import (BLEUResult, bleu_signature, corpus_bleu, geometric_means, ngram_matches,
                               paired_bootstrap_bleu, sentence_bleu, suggest_bleu_tokenizer)
from core.metrics.chrf import (CHRF_PLUS_PLUS, CHRFConfig, CHRFResult, chrf_signature, corpus_chrf,
                               paired_bootstrap_chrf, sentence_chrf)
from core.metrics.perplexity import Surprisal, perplexity, surprisal
from core.metrics.rouge import MAX_TOKENS, RougeScore, has_cjk, lcs_alignment, lcs_length, rouge
from core.metrics.significance import Estimate, PairedBootstrap

__all__ = ["BLEUResult", "CHRFConfig", "CHRFResult", "CHRF_PLUS_PLUS", "Estimate", "MAX_TOKENS", "PairedBootstrap",
           "RougeScore", "Surprisal", "bleu_signature", "chrf_signature", "corpus_bleu", "corpus_chrf",
           "geometric_means", "has_cjk", "lcs_alignment", "lcs_length", "ngram_matches", "paired_bootstrap_bleu",
           "paired_bootstrap_chrf", "perplexity", "rouge", "sentence_bleu", "sentence_chrf", "suggest_bleu_tokenizer",
           "surprisal"]
