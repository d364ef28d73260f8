"""Evaluation metrics, broken down to what they count: BLEU, ROUGE, perplexity.

    from core.metrics import corpus_bleu, sentence_bleu, rouge
"""

from core.metrics.bleu import BLEUResult, corpus_bleu, ngram_matches, sentence_bleu
from core.metrics.perplexity import perplexity, token_surprisal
from core.metrics.rouge import RougeScore, rouge

__all__ = ["BLEUResult", "RougeScore", "corpus_bleu", "ngram_matches", "perplexity", "rouge", "sentence_bleu",
           "token_surprisal"]
