"""Word vectors: sampling pieces, planted structure, evaluation equal to gensim, export, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from core.embeddings import UnknownWord, WordVectors, encode, train_word2vec
from core.embeddings.analysis import ANALOGIES, WORDSIM, align
from core.embeddings.counts import cooccurrence, ppmi, train_svd
from core.embeddings.fasttext import fnv1a, ngrams, train_fasttext
from core.embeddings.glove import train_glove
from core.embeddings.sampling import huffman_codes, keep_probability, negative_table
from core.embeddings.text import encode_corpus, sentences_of
from core.errors import InvalidSetting, InvalidText

MODELS = [dict(arch="skipgram", objective="negative"), dict(arch="cbow", objective="negative"),
          dict(arch="skipgram", objective="hierarchical"), dict(arch="cbow", objective="hierarchical")]


def planted_corpus(seed: int = 0, sentences: int = 3000) -> list[list[str]]:
    """Animals appear with eating words, tools with building words: two clusters to recover."""
    rng = np.random.default_rng(seed)
    groups = {"animals": (["cat", "dog", "horse", "cow", "sheep"], ["eats", "grass", "meat", "hungry", "feeds"]),
              "tools": (["hammer", "saw", "drill", "wrench", "chisel"], ["builds", "wood", "nails", "repair", "bench"])}
    out = []
    for _ in range(sentences):
        members, context = groups["animals" if rng.random() < 0.5 else "tools"]
        out.append([str(rng.choice(members))] + [str(w) for w in rng.choice(context, 4)] + [str(rng.choice(members))])
    return out


def recovers_structure(vectors: WordVectors) -> bool:
    within = np.mean([vectors.similarity(a, b) for a, b in [("cat", "dog"), ("horse", "cow"), ("saw", "drill"),
                                                            ("hammer", "wrench")]])
    across = np.mean([vectors.similarity(a, b) for a, b in [("cat", "saw"), ("dog", "hammer"), ("cow", "drill")]])
    return within > across + 0.3


def test_huffman_tree_is_a_prefix_code_with_short_codes_for_frequent_words():
    counts = np.array([500, 200, 120, 90, 40, 20, 10, 5, 2, 1])
    codes, points = huffman_codes(counts)
    strings = ["".join(map(str, c)) for c in codes]
    assert not any(a != b and b.startswith(a) for a in strings for b in strings)
    assert all(len(codes[i]) <= len(codes[i + 1]) for i in range(len(codes) - 1))
    assert all(0 <= p < len(counts) - 1 for path in points for p in path) and all(path[0] == len(counts) - 2 for path in points)


def test_negative_table_follows_unigram_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1])
    table = negative_table(counts)
    observed = np.bincount(table, minlength=4) / len(table)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(observed, expected, atol=1 / len(table))  # within one slot
    assert table.dtype == np.int32 and len(table) == 2**20
    assert keep_probability(np.array([10_000, 10]), 1e-3)[0] < keep_probability(np.array([10_000, 10]), 1e-3)[1] == 1


@pytest.mark.parametrize("settings", MODELS, ids=lambda s: f"{s['arch']}-{s['objective']}")
@pytest.mark.parametrize("device", ["cpu", "torch"])
def test_word2vec_recovers_planted_structure(settings, device):
    corpus = planted_corpus()
    if device == "torch":  # the batched path GPUs use, run here on the CPU
        from core.embeddings import word2vec

        original = word2vec._cpu_epoch
        word2vec._cpu_epoch = word2vec._torch_epoch
        try:
            vectors = train_word2vec(corpus, dim=20, window=3, min_count=1, epochs=5, subsample=0, **settings)
        finally:
            word2vec._cpu_epoch = original
    else:
        vectors = train_word2vec(corpus, dim=20, window=3, min_count=1, epochs=5, subsample=0, **settings)
    assert recovers_structure(vectors)
    assert vectors.history[-1]["loss"] < vectors.history[0]["loss"] * 1.05


@pytest.mark.parametrize("train", [lambda c: train_fasttext(c, dim=20, window=3, min_count=1, epochs=5, subsample=0,
                                                            buckets=5000),
                                   lambda c: train_glove(c, dim=20, window=3, min_count=1, epochs=30, x_max=10),
                                   lambda c: train_svd(c, dim=5, window=3, min_count=1)],
                         ids=["fasttext", "glove", "svd"])
def test_other_models_recover_planted_structure(train):
    assert recovers_structure(train(planted_corpus()))


def test_fasttext_composes_out_of_vocabulary_words():
    vectors = train_fasttext(planted_corpus() + [["horses", "horsey"]] * 5, dim=20, window=3, min_count=1, epochs=5,
                             buckets=5000)
    unseen = vectors.vector("horsy")
    assert "horsy" not in vectors.index and unseen.shape == (20,)
    assert vectors.most_similar(["horsy"], topn=3)
    assert ngrams("cat") == ["<ca", "cat", "at>", "<cat", "cat>", "<cat>"] and fnv1a("a") == 0xE40C292C


@pytest.fixture(scope="module")
def shakespeare_vectors() -> WordVectors:
    return train_word2vec(None, corpus=encode_corpus("tinyshakespeare", 3), dim=50, epochs=2)


def test_save_word2vec_format_round_trips_through_gensim(shakespeare_vectors, tmp_path):
    shakespeare_vectors.save_word2vec_format(tmp_path / "v.txt")
    loaded = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert loaded.index_to_key == shakespeare_vectors.words
    np.testing.assert_allclose(loaded.vectors, shakespeare_vectors.vectors, rtol=1e-5, atol=1e-6)
    ours = shakespeare_vectors.most_similar(["king"], topn=5)
    assert [w for w, _ in loaded.most_similar("king", topn=5)] == [w for w, _ in ours]


def test_evaluations_equal_gensims_on_the_same_vectors(shakespeare_vectors, tmp_path):
    shakespeare_vectors.save_word2vec_format(tmp_path / "v.txt")
    loaded = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    same = WordVectors(loaded.index_to_key, loaded.vectors)  # the numbers gensim read (6 significant digits)
    ours = same.evaluate_analogies(ANALOGIES, restrict_vocab=5000)
    score, sections = loaded.evaluate_word_analogies(str(ANALOGIES), restrict_vocab=5000)
    assert ours["accuracy"] == pytest.approx(score) and ours["total"] > 100
    similarity = same.evaluate_similarity(WORDSIM)
    (_, _), (rho, _), oov = loaded.evaluate_word_pairs(str(WORDSIM))
    assert similarity["spearman"] == pytest.approx(rho, abs=1e-6)
    assert similarity["coverage"] == pytest.approx(1 - oov / 100)


def test_analogy_methods_and_projector_export(shakespeare_vectors):
    add = shakespeare_vectors.analogy("king", "queen", "man", topn=5)
    mul = shakespeare_vectors.analogy("king", "queen", "man", method="mul", topn=5)
    assert len(add) == len(mul) == 5 and not {"king", "queen", "man"} & {w for w, _ in add + mul}
    rows, metadata = shakespeare_vectors.projector_tsv(limit=10)
    assert len(rows.splitlines()) == 10 and len(rows.splitlines()[0].split("\t")) == 50
    assert metadata.splitlines()[0] == "word\tcount" and len(metadata.splitlines()) == 11


def test_alignment_is_a_rotation_that_keeps_cosines(shakespeare_vectors):
    other = train_word2vec(None, corpus=encode_corpus("tinyshakespeare", 3), dim=50, epochs=2, seed=1)
    aligned = align(shakespeare_vectors, other)
    assert aligned.similarity("king", "queen") == pytest.approx(other.similarity("king", "queen"), abs=1e-5)
    before = np.mean([other.unit[other.index[w]] @ shakespeare_vectors.unit[shakespeare_vectors.index[w]]
                      for w in shakespeare_vectors.words[:200]])
    after = np.mean([aligned.unit[aligned.index[w]] @ shakespeare_vectors.unit[shakespeare_vectors.index[w]]
                     for w in shakespeare_vectors.words[:200]])
    assert after > before + 0.3


def test_cooccurrence_and_ppmi_hand_worked():
    corpus = encode([["a", "b", "c"], ["a", "b"]], min_count=1)
    counts = cooccurrence(corpus, window=2, harmonic=True).toarray()
    a, b, c = (corpus.vocab.index[w] for w in "abc")
    assert counts[a, b] == 2 and counts[a, c] == 0.5 and counts[b, c] == 1 and np.allclose(counts, counts.T)
    assert (ppmi(cooccurrence(corpus, 2)).data > 0).all()


def test_bad_input_gets_clear_messages(shakespeare_vectors):
    with pytest.raises(InvalidText, match="no words"):
        train_word2vec([[], []])
    with pytest.raises(InvalidText, match="min_count"):
        train_word2vec([["one", "two"]], min_count=5)
    with pytest.raises(InvalidSetting, match="arch"):
        train_word2vec([["a", "b"]] * 10, arch="glove", min_count=1)
    with pytest.raises(InvalidSetting, match="dim"):
        train_word2vec([["a", "b"]] * 10, dim="big", min_count=1)
    with pytest.raises(UnknownWord, match="Did you mean king"):
        shakespeare_vectors.vector("kingg")
    with pytest.raises(InvalidSetting, match="different words"):
        shakespeare_vectors.analogy("king", "king", "queen")


def test_sentences_are_paragraphs_of_lowercase_words():
    lines = ["Don't stop,", "1984 Believing!", "", "Second paragraph"]
    assert list(sentences_of(lines)) == [["don't", "stop", "believing"], ["second", "paragraph"]]


def test_cooccurrence_among_chosen_words_and_tfidf():
    from core.embeddings.counts import cooccurrence_among, tfidf_documents

    corpus = encode([["a", "b", "c"], ["a", "b"]], min_count=1)
    heat = cooccurrence_among(corpus, ["a", "c", "zzz"], window=2)
    assert heat.tolist() == [[0.0, 0.5], [0.5, 0.0]]
    matrix = tfidf_documents([("one", ["a", "a", "b"]), ("two", ["b", "c"])], {"a": 0, "b": 1, "c": 2}).toarray()
    assert matrix[0, 1] == 0 and matrix[1, 1] == 0  # a word in every document carries no weight
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0)


def test_a_sentence_longer_than_any_buffer_trains_without_crashing():
    """A 60,000-word sentence used to overrun the kernels' fixed 10,000-slot buffer (a segfault)."""
    from core.embeddings.text import MAX_SENTENCE, encode

    sentence = [["alpha", "beta", "gamma", "delta"][i % 4] for i in range(60_000)]
    corpus = encode([sentence], 1)
    assert max(b - a for a, b in zip(corpus.sentence_starts, corpus.sentence_starts[1:])) <= MAX_SENTENCE
    for arch in ("skipgram", "cbow"):
        vectors = train_word2vec([sentence], arch=arch, dim=8, min_count=1, epochs=1)
        assert vectors.vectors.shape == (4, 8)
