"""Trained word vectors and what one asks of them: neighbours, analogies, evaluations, export.

Similarities are cosines. `most_similar` and the analogy evaluation follow gensim's
`KeyedVectors` (the mean of unit vectors, +1 for positive and -1 for negative words; the question
words excluded from the answers; evaluation restricted to the most frequent words, questions with
other words skipped) so figures compare with gensim's. 3CosMul is Levy & Goldberg's (2014).
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from core.embeddings.text import words as tokenize
from core.errors import UnknownName, require


class UnknownWord(UnknownName):
    """A word the model has no vector for; the message offers close spellings."""


@dataclass
class WordVectors:
    words: list[str]
    vectors: np.ndarray  # (V, d) float32, the input ("syn0") vectors
    counts: np.ndarray | None = None  # corpus frequency of each word
    context_vectors: np.ndarray | None = None  # (V, d) the output vectors, where the model has them
    history: list[dict] = field(default_factory=list)  # per-epoch loss and speed
    snapshots: list[np.ndarray] = field(default_factory=list)  # vectors at checkpoints during training
    info: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}

    @cached_property
    def unit(self) -> np.ndarray:
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return (self.vectors / np.maximum(norms, 1e-12)).astype(np.float32)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def close_spellings(self, word: str, n: int = 5) -> list[str]:
        return difflib.get_close_matches(word, self.words[:50_000], n=n, cutoff=0.75)

    def vector(self, word: str) -> np.ndarray:
        """The word's vector; `UnknownWord` (with suggestions) if it has none."""
        word = word.strip().lower()
        if word not in self.index:
            near = self.close_spellings(word)
            if near:
                raise UnknownWord("{word!r} is not in this model's vocabulary of {size:,} words. Did you mean "
                                  "{near}?", word=word, size=len(self.words), near=", ".join(near))
            raise UnknownWord("{word!r} is not in this model's vocabulary of {size:,} words.", word=word,
                              size=len(self.words))
        return self.vectors[self.index[word]]

    def _unit_vector(self, word: str) -> np.ndarray:
        v = self.vector(word)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def similarity(self, first: str, second: str) -> float:
        return float(self._unit_vector(first) @ self._unit_vector(second))

    def most_similar(self, positive: list[str] = (), negative: list[str] = (), topn: int = 10,
                     restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """Nearest words to the mean of the positive unit vectors minus the negative ones."""
        positive, negative = [w.strip().lower() for w in positive], [w.strip().lower() for w in negative]
        require(positive or negative, "Give at least one word.")
        mean = np.mean([self._unit_vector(w) for w in positive] + [-self._unit_vector(w) for w in negative], axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        limit = restrict_vocab or len(self.words)
        scores = self.unit[:limit] @ mean
        exclude = {self.index[w] for w in positive + negative if w in self.index}
        return self._top(scores, exclude, topn)

    def _top(self, scores: np.ndarray, exclude: set[int], topn: int) -> list[tuple[str, float]]:
        best = np.argpartition(-scores, min(len(scores) - 1, topn + len(exclude)))[: topn + len(exclude)]
        best = best[np.argsort(-scores[best])]
        return [(self.words[i], float(scores[i])) for i in best if i not in exclude][:topn]

    def analogy(self, a: str, b: str, c: str, *, method: str = "add", topn: int = 10,
                restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """a : b :: c : ? by 3CosAdd (b - a + c) or 3CosMul (cos(b) cos(c) / (cos(a) + eps))."""
        words = [w.strip().lower() for w in (a, b, c)]
        require(len(set(words)) == 3, "The three analogy words must be different words.")
        require(method in ("add", "mul"), "method must be 'add' or 'mul', not {method!r}.", method=method)
        if method == "add":
            return self.most_similar(positive=words[1:], negative=words[:1], topn=topn, restrict_vocab=restrict_vocab)
        limit = restrict_vocab or len(self.words)
        sims = [(self.unit[:limit] @ self._unit_vector(w) + 1) / 2 for w in words]  # cosines moved to [0, 1]
        scores = sims[1] * sims[2] / (sims[0] + 1e-3)
        return self._top(scores, {self.index[w] for w in words}, topn)

    def evaluate_analogies(self, path: str | Path, restrict_vocab: int = 30_000, method: str = "add") -> dict:
        """Accuracy on a Google-format analogy file, overall and per section.

        Questions are answered in batches (one matrix product per thousand questions); the answer
        is the best word other than the three question words, as in `analogy`.
        """
        vocab = {w: i for i, w in enumerate(self.words[:restrict_vocab])}
        sections, questions = [], []
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(":"):
                sections.append({"section": line[1:].strip(), "correct": 0, "incorrect": 0})
                continue
            parts = line.lower().split()
            if len(parts) == 4 and sections and all(w in vocab for w in parts):
                questions.append((len(sections) - 1, *(vocab[w] for w in parts)))
        unit = self.unit[:restrict_vocab]
        for lo in range(0, len(questions), 1000):
            batch = np.array(questions[lo:lo + 1000], dtype=np.int64)
            a, b, c = unit[batch[:, 1]], unit[batch[:, 2]], unit[batch[:, 3]]
            if method == "add":
                query = b - a + c
                scores = (query / np.linalg.norm(query, axis=1, keepdims=True)) @ unit.T
            else:
                scores = ((b @ unit.T + 1) / 2) * ((c @ unit.T + 1) / 2) / ((a @ unit.T + 1) / 2 + 1e-3)
            rows = np.arange(len(batch))[:, None]
            scores[rows, batch[:, 1:4]] = -np.inf
            predicted = scores.argmax(1)
            for (section, *_, expected), guess in zip(batch, predicted):
                sections[section]["correct" if guess == expected else "incorrect"] += 1
        for s in sections:
            s["total"] = s["correct"] + s["incorrect"]
            s["accuracy"] = s["correct"] / s["total"] if s["total"] else 0.0
        correct, total = sum(s["correct"] for s in sections), sum(s["total"] for s in sections)
        return {"accuracy": correct / total if total else 0.0, "correct": correct, "total": total, "sections": sections}

    def evaluate_similarity(self, path: str | Path) -> dict:
        """Spearman's rho between human scores and cosines (tab-separated pairs; # comments skipped)."""
        pairs, skipped = [], 0
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            first, second, score = line.split("\t")[:3]
            first, second = first.lower(), second.lower()
            if first in self.index and second in self.index:
                pairs.append((first, second, float(score), self.similarity(first, second)))
            else:
                skipped += 1
        human, model = [p[2] for p in pairs], [p[3] for p in pairs]
        rho = float(stats.spearmanr(human, model).statistic) if len(pairs) > 2 else float("nan")
        return {"spearman": rho, "coverage": len(pairs) / max(1, len(pairs) + skipped), "pairs": pairs}

    def save_word2vec_format(self, path: str | Path) -> None:
        """The word2vec text format (`V d` then one `word v1 ... vd` line per word)."""
        Path(path).write_text(self.word2vec_text(), encoding="utf-8")

    def word2vec_text(self) -> str:
        out = io.StringIO()
        out.write(f"{len(self.words)} {self.vectors.shape[1]}\n")
        for word, row in zip(self.words, self.vectors):
            out.write(word + " " + " ".join(f"{x:.6g}" for x in row) + "\n")
        return out.getvalue()

    def projector_tsv(self, limit: int = 10_000) -> tuple[str, str]:
        """(vectors.tsv, metadata.tsv) for the TensorFlow Embedding Projector."""
        rows = "\n".join("\t".join(f"{x:.6g}" for x in row) for row in self.vectors[:limit])
        metadata = "word\tcount\n" + "\n".join(
            f"{w}\t{int(self.counts[i]) if self.counts is not None else ''}" for i, w in enumerate(self.words[:limit]))
        return rows + "\n", metadata + "\n"

    def sentence_vector(self, text: str) -> np.ndarray:
        """The mean vector of a text's known words (zeros if none)."""
        known = [self.index[w] for w in tokenize(text) if w in self.index]
        return self.vectors[known].mean(0) if known else np.zeros(self.vectors.shape[1], dtype=np.float32)

    # ---- persistence -----------------------------------------------------------------------
    def to_artifact(self) -> tuple[dict, dict]:
        import torch

        tensors = {"vectors": torch.from_numpy(np.ascontiguousarray(self.vectors))}
        if self.counts is not None:
            tensors["counts"] = torch.from_numpy(np.asarray(self.counts, dtype=np.int64))
        if self.context_vectors is not None:
            tensors["context_vectors"] = torch.from_numpy(np.ascontiguousarray(self.context_vectors))
        for i, snap in enumerate(self.snapshots):
            tensors[f"snapshot.{i}"] = torch.from_numpy(np.ascontiguousarray(snap))
        return tensors, {"words": self.words, "history": self.history, "info": self.info,
                         "snapshots": len(self.snapshots), "type": type(self).__name__}

    @classmethod
    def from_artifact(cls, tensors: dict, data: dict) -> "WordVectors":
        arrays = {k: v.numpy() for k, v in tensors.items()}
        return cls(data["words"], arrays["vectors"], **cls._artifact_fields(arrays, data))

    @staticmethod
    def _artifact_fields(arrays: dict, data: dict) -> dict:
        """The optional parts every kind of vectors saves (subclasses add their own)."""
        return dict(counts=arrays.get("counts"), context_vectors=arrays.get("context_vectors"),
                    history=data["history"], info=data["info"],
                    snapshots=[arrays[f"snapshot.{i}"] for i in range(data["snapshots"])])
