"""Tiny language models built from `transformers` classes and trained from scratch.

    from core.lm import LMConfig, train_lm
    lm = train_lm("tinyshakespeare", "char", LMConfig(), steps=350)
    tokens, attention = lm.attention("ROMEO: ")   # (layers, heads, query, key)
    lm.perplexity("To be, or not to be")
"""

from core.lm.char_tokenizer import CharTokenizer
from core.lm.config import LMConfig
from core.lm.train import train_lm
from core.lm.trained import TrainedLM

__all__ = ["CharTokenizer", "LMConfig", "TrainedLM", "train_lm"]
