"""Training jobs for word vectors: one kind, the model named in the settings.

Settings: `model` (sgns, cbow, sghs, fasttext, glove, svd), `dim`, `window`, `min_count`,
`epochs`, `max_words` (how much of the corpus to read), and `checkpoints` for word2vec.
"""

from __future__ import annotations

from typing import Any


from core.embeddings.counts import train_svd
from core.embeddings.fasttext import train_fasttext
from core.embeddings.glove import train_glove
from core.embeddings.text import encode_corpus
from core.embeddings.vectors import WordVectors
from core.embeddings.word2vec import train_word2vec
from core.errors import InvalidSetting
from core.jobs import JobKind, JobSpec, ProgressCallback, register

MODELS = {
    "sgns": "word2vec skip-gram, negative sampling",
    "cbow": "word2vec CBOW, negative sampling",
    "sghs": "word2vec skip-gram, hierarchical softmax",
    "fasttext": "fastText skip-gram with character n-grams",
    "glove": "GloVe",
    "svd": "PPMI + SVD (count-based)",
}
DEFAULTS = {"dim": 100, "window": 5, "min_count": 5, "epochs": 3, "max_words": 10_200_000, "checkpoints": 3}


def train_model(corpus_name: str, settings: dict[str, Any], progress: ProgressCallback | None = None,
                device=None) -> WordVectors:
    s = {**DEFAULTS, **settings}
    model = s["model"]
    if model not in MODELS:
        raise InvalidSetting(f"model must be one of {', '.join(MODELS)}, not {model!r}.")
    corpus = encode_corpus(corpus_name, s["min_count"], s["max_words"])
    common = {"dim": s["dim"], "window": s["window"], "corpus": corpus, "progress": progress}
    if model in ("sgns", "cbow", "sghs"):
        return train_word2vec(None, arch="cbow" if model == "cbow" else "skipgram",
                              objective="hierarchical" if model == "sghs" else "negative", epochs=s["epochs"],
                              checkpoints=s["checkpoints"], device=device, **common)
    if model == "fasttext":
        return train_fasttext(epochs=s["epochs"], **common)
    if model == "glove":
        return train_glove(epochs=s.get("glove_epochs", 25), **common)
    return train_svd(**common)


def embedding_spec(model: str = "cbow", corpus: str = "gutenberg", **settings: Any) -> JobSpec:
    return JobSpec.of("embeddings", corpus, {"model": model, **{**DEFAULTS, **settings}})


register(JobKind(
    name="embeddings", version=2,  # 2: a 2^20 int32 negative-sampling table
    train=lambda spec, progress, device: train_model(spec.corpus, spec.settings, progress,
                                                     None if device.type == "cpu" else device),
    dump=lambda vectors: vectors.to_artifact(), load=WordVectors.from_artifact,
    description="word vectors: word2vec, fastText, GloVe or PPMI-SVD",
    defaults=(embedding_spec("cbow"), embedding_spec("sgns")),
))
