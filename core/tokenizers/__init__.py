"""Subword tokenizers implemented from scratch: BPE, byte-level BPE, WordPiece, Unigram.

    from core.tokenizers import ByteLevelBPE
    tok = ByteLevelBPE.train(lines, vocab_size=1000)
    tok.encode("Hello"), tok.tokenize("Hello"), tok.decode(tok.encode("Hello"))
"""

from core.tokenizers.base import Piece, Tokenizer
from core.tokenizers.bpe import BPE
from core.tokenizers.byte_level import ByteLevelBPE
from core.tokenizers.unigram import Unigram
from core.tokenizers.wordpiece import WordPiece

__all__ = ["BPE", "ByteLevelBPE", "Piece", "Tokenizer", "Unigram", "WordPiece"]
