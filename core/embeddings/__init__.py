"""Word vectors trained from scratch: word2vec, GloVe, fastText, and count-based SVD.

    from core.embeddings import train_word2vec, sentences_of
    vectors = train_word2vec(sentences, arch="skipgram", objective="negative", dim=100)
    vectors.most_similar(positive=["king", "woman"], negative=["man"])
"""

from core.embeddings.text import encode, encode_corpus, sentences_of, words
from core.embeddings.vectors import UnknownWord, WordVectors
from core.embeddings.word2vec import train_word2vec

__all__ = ["UnknownWord", "WordVectors", "encode", "encode_corpus", "sentences_of", "train_word2vec", "words"]
