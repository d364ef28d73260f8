"""Training jobs for word vectors: one kind, the model named in the settings.

A spec holds exactly the settings its model uses (`settings_for`): word2vec's three variants take
`dim`, `window`, `min_count`, `epochs`, `max_words` and `checkpoints`; fastText and GloVe the same
without checkpoints; PPMI-SVD has no epochs at all. So a control that does not apply to a model
cannot make a new job key for the same vectors.
"""

from __future__ import annotations

from typing import Any

from core.corpora import get_corpus
from core.embeddings.counts import train_svd
from core.embeddings.fasttext import FastTextVectors, train_fasttext
from core.embeddings.glove import train_glove
from core.embeddings.text import encode_corpus
from core.embeddings.vectors import WordVectors
from core.embeddings.word2vec import train_word2vec
from core.errors import InvalidSetting
from core.i18n import N_
from core.jobs import JobContext, JobKind, JobSpec, Work, register

MODELS = {  # id: its name on the page (English, translated where shown)
    "sgns": N_("word2vec skip-gram, negative sampling"),
    "cbow": N_("word2vec CBOW, negative sampling"),
    "sghs": N_("word2vec skip-gram, hierarchical softmax"),
    "fasttext": N_("fastText skip-gram with character n-grams"),
    "glove": N_("GloVe"),
    "svd": N_("PPMI + SVD (count-based)"),
}
WORD2VEC = ("sgns", "cbow", "sghs")
DEFAULTS = {"dim": 100, "window": 5, "min_count": 5, "epochs": 3, "max_words": 10_200_000, "checkpoints": 3}
GLOVE_EPOCHS = 25  # GloVe needs many passes on a corpus this small (docs/benchmarks.md)
# seconds per word and epoch relative to CBOW, measured on the 10M-word corpus (docs/benchmarks.md)
RELATIVE_COST = {"cbow": 1.0, "sgns": 4.4, "sghs": 2.4, "fasttext": 9.0, "glove": 1.1, "svd": 2.3}
READING_COST = 0.5  # tokenising and counting the corpus, per word, in the same unit
CORPUS_WORDS = {"gutenberg": 10_100_000, "tinyshakespeare": 200_000}


def settings_for(model: str, **given: Any) -> dict[str, Any]:
    """The settings `model` uses, from `given` (others ignored) and the defaults."""
    if model not in MODELS:
        raise InvalidSetting("model must be one of {choices}, not {model!r}.", choices=", ".join(MODELS), model=model)
    used = ["dim", "window", "min_count", "max_words"]
    if model != "svd":
        used.append("epochs")
    if model in WORD2VEC:
        used.append("checkpoints")
    defaults = {**DEFAULTS, "epochs": GLOVE_EPOCHS if model == "glove" else DEFAULTS["epochs"]}
    return {"model": model, **{name: given.get(name, defaults[name]) for name in used}}


def embedding_spec(model: str = "cbow", corpus: str = "gutenberg", **settings: Any) -> JobSpec:
    return EMBEDDINGS.spec(corpus, settings_for(model, **settings))


def train_model(corpus_name: str, settings: dict[str, Any], context: JobContext) -> WordVectors:
    s = {**DEFAULTS, **settings}
    model = s["model"]
    corpus = encode_corpus(corpus_name, s["min_count"], s["max_words"])
    common = {"dim": s["dim"], "window": s["window"], "corpus": corpus, "progress": context.progress}
    if model in WORD2VEC:
        return train_word2vec(None, arch="cbow" if model == "cbow" else "skipgram",
                              objective="hierarchical" if model == "sghs" else "negative", epochs=s["epochs"],
                              checkpoints=s["checkpoints"], device=context.device, **common)
    if model == "fasttext":
        return train_fasttext(epochs=s["epochs"], **common)
    if model == "glove":
        return train_glove(epochs=s["epochs"], **common)
    return train_svd(**common)


def corpus_words(corpus: str) -> int:
    """Words in a corpus, for estimates: known for the shipped ones, else from its size."""
    if corpus in CORPUS_WORDS:
        return CORPUS_WORDS[corpus]
    return sum(doc.path.stat().st_size for doc in get_corpus(corpus).documents) // 6


def _work(spec: JobSpec) -> Work:
    s = spec.settings
    words = min(s["max_words"], corpus_words(spec.corpus))
    passes = s.get("epochs", 1)
    return Work(words * (READING_COST + RELATIVE_COST[s["model"]] * passes * s["dim"] / 100), "word")


def _load(tensors, data) -> WordVectors:
    kind = FastTextVectors if data.get("type") == "FastTextVectors" else WordVectors
    return kind.from_artifact(tensors, data)


EMBEDDINGS = register(JobKind(
    name="embeddings", version=4,  # 3: specs hold only the settings each model uses; 4: snapshots where they fall
    train=lambda spec, context: train_model(spec.corpus, spec.settings, context),
    dump=lambda vectors: vectors.to_artifact(), load=_load, work=_work,
    description="word vectors: word2vec, fastText, GloVe or PPMI-SVD",
    defaults=lambda: (embedding_spec("cbow"), embedding_spec("sgns")),
))
