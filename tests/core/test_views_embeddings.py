"""The word-embeddings page's computations: the parallelogram, projections that name what they
leave out, labels that do not pile up, checkpoints from the random start, the epochs each model
really uses, human names, the caps."""

from __future__ import annotations

import numpy as np
import pytest

from core.embeddings import train_word2vec
from core.embeddings.analysis import ANALOGIES, neighbour_drift, project
from core.embeddings.counts import train_svd
from core.embeddings.jobs import MODELS
from core.embeddings.text import encode_corpus
from core.embeddings.vectors import UnknownWord
from core.views import embeddings as view
from core.views.params import Text


@pytest.fixture(scope="module")
def corpus():
    return encode_corpus("tinyshakespeare", 5)


@pytest.fixture(scope="module")
def events():
    return []


@pytest.fixture(scope="module")
def cbow(corpus, events):
    return train_word2vec(None, arch="cbow", dim=30, epochs=2, checkpoints=3, corpus=corpus, progress=events.append)


@pytest.fixture(scope="module")
def svd(corpus):
    return train_svd(corpus=corpus, dim=30)


def test_the_parallelogram_is_computed_here(cbow):
    result = view.analogy(cbow, " Man", "king", "WOMAN ")
    assert result.words[:3] == ["man", "king", "woman"] and result.words[3] == result.add[0][0]
    assert result.add == cbow.analogy("man", "king", "woman", method="add")
    assert result.mul == cbow.analogy("man", "king", "woman", method="mul")
    expected = project(np.stack([cbow.vector(w) for w in result.words]), "pca", 2)
    assert np.allclose(result.points, expected) and np.shape(result.points) == (4, 2)


def test_watch_it_learn_starts_from_random_vectors_and_ends_on_the_final_ones(cbow):
    result = view.learning(cbow, "cbow", "King ")  # spaces and capitals: was a raw KeyError
    assert result.checkpoints == [("random start", {}), ("after {percent}% of training", {"percent": 33}),
                                  ("after {percent}% of training", {"percent": 67}), ("final", {})]
    assert len(result.neighbours) == 4 and result.neighbours[0] != result.neighbours[-1]
    assert not np.allclose(cbow.snapshots[-1], cbow.vectors)  # the last checkpoint is not the final vectors
    assert result.neighbours[-1] == [w for w, _ in cbow.most_similar(["king"], topn=8)]
    assert result.epochs == [1, 2] and len(result.losses) == 2 and result.loss_name == view.DEFAULT_LOSS
    assert neighbour_drift(cbow, "King ") == result.neighbours
    with pytest.raises(UnknownWord, match="not in this model's vocabulary"):
        neighbour_drift(cbow, "kingg")


def test_progress_reports_the_loss_alone_and_the_speed_in_words(events):
    assert events and all(set(e.metrics) == {"loss"} for e in events)
    assert "words/s" in events[-1].message and events[-1].fields["speed"] > 0
    assert "words/s" in events[-1].render()


def test_models_without_snapshots_or_epochs_say_so(svd):
    result = view.learning(svd, "svd", "anything at all")
    assert result.epochs == [] and result.neighbours == [] and result.checkpoints == []


def test_projection_names_the_words_it_leaves_out(cbow):
    result = view.projection(cbow, ["family"], "king zzzq qqqz King", "pca", 2)
    assert result.typed.unknown == ["zzzq", "qqqz"] and result.typed.known == ["king"] and not result.typed.cut
    assert result.groups.count("yours") <= 1 and "king" in result.words
    assert len(result.points) == len(result.words) == len(result.labelled)
    assert result.csv().splitlines()[0] == "word,group,x,y"
    many = " ".join(cbow.words[:50])
    assert view.projection(cbow, [], many, "pca", 3).typed.cut
    assert view.projection(cbow, [], "", "pca", 2).points == []  # nothing to project: the page says so


def test_labels_do_not_pile_up():
    points = np.array([[0.0, 0.0], [0.01, 0.0], [1.0, 0.0], [0.5, 0.5]])
    assert view.label_mask(points, ranks=[3, 0, 1, 2]) == [False, True, True, True]  # the frequent one wins
    assert view.label_mask(np.zeros((0, 2)), ranks=[]) == []
    assert "{gap:.0%}" in view.LABEL_RULE


def test_each_model_gets_only_the_epochs_it_uses():
    settings = dict(dim=50, window=5, min_count=5)
    svd = [view.spec_of("svd", "tinyshakespeare", **settings, epochs=e, glove_epochs=25) for e in (1, 7)]
    assert svd[0].key == svd[1].key and "epochs" not in svd[0].settings and view.epochs_setting("svd") is None
    glove = [view.spec_of("glove", "tinyshakespeare", **settings, epochs=e, glove_epochs=25) for e in (1, 7)]
    assert glove[0].key == glove[1].key and glove[0].settings["epochs"] == 25
    assert view.epochs_setting("glove") is view.GLOVE_EPOCHS and view.GLOVE_EPOCHS.default == 25
    assert view.GLOVE_EPOCHS.high > view.EPOCHS.high
    cbow = view.spec_of("cbow", "tinyshakespeare", **settings, epochs=2, glove_epochs=50)
    assert cbow.settings["epochs"] == 2 and view.epochs_setting("cbow") is view.EPOCHS


def test_names_are_human(cbow):
    sections = [line[1:].strip() for line in ANALOGIES.read_text().splitlines() if line.startswith(":")]
    assert set(sections) == set(view.SECTIONS)
    names = [s["name"] for s in view.evaluation(cbow).sections]
    assert names == [view.SECTIONS[s] for s in sections] and not any("gram" in n or "-" in n for n in names)
    assert all(" " in name or name == "GloVe" for name in MODELS.values())
    assert set(view.GROUPS) >= set(view.CHOSEN.options) | {"yours"}


def test_every_typed_list_has_a_cap(cbow):
    assert all(p.max_chars <= 1_500 for p in view.PARAMS if isinstance(p, Text))
    typed = view.typed_words(cbow, " ".join(cbow.words[:40]), view.MAX_COOC_WORDS)
    assert len(typed.known) == view.MAX_COOC_WORDS and typed.cut
    passage = view.subsampling(cbow, "the " * 300 + "zzzq")
    assert len(passage.words) == view.MAX_PASSAGE_WORDS and passage.cut
    short = view.subsampling(cbow, "the zzzq")
    assert short.keep[1] is None and short.opacity[1] == 0.3 and 0 < short.keep[0] < 1


def test_downloads_are_named_after_their_content_and_settings():
    spec = view.spec_of("cbow", "tinyshakespeare", dim=50, window=5, min_count=5, epochs=1, glove_epochs=25)
    assert view.download_name(spec, "vectors", "txt") == "cbow-tinyshakespeare-d50-w5-min5-e1-vectors.txt"
    svd = view.spec_of("svd", "gutenberg", dim=100, window=2, min_count=3, epochs=1, glove_epochs=25)
    assert view.download_name(svd, "projection-pca-2d", "csv") == "svd-gutenberg-d100-w2-min3-projection-pca-2d.csv"


def test_models_side_by_side_share_their_words(cbow, svd):
    facets = view.side_by_side([("cbow", cbow), ("svd", svd)])
    assert [f.model for f in facets] == ["cbow", "svd"] and facets[0].words
    assert all(len(f.points) == len(f.words) == len(f.labelled) for f in facets)
    rows = view.scores(["cbow", "svd"], [view.evaluation(cbow), view.evaluation(svd)])
    assert set(rows[0]) == {"model", "analogies", "wordsim", "simlex"}


def test_the_insides_and_cooccurrences(cbow):
    inside = view.inside(cbow)
    assert inside.ranks[0] == 1 and len(inside.code_lengths) == len(inside.ranks) == len(inside.keep)
    assert inside.code_lengths[0] <= inside.code_lengths[-1] and inside.glove_f[-1] == 1.0
    heat = np.array(view.cooccurrence("tinyshakespeare", 5, ["king", "queen", "crown"]))
    assert heat.shape == (3, 3) and np.allclose(heat, heat.T) and heat.max() > 0


def test_books_nearest_each_way():
    similarities = {"titles": ["A", "B", "C"], "tfidf": np.array([[1, 0.2, 0.9], [0.2, 1, 0.1], [0.9, 0.1, 1]]),
                    "dense": np.array([[1, 0.8, 0.3], [0.8, 1, 0.5], [0.3, 0.5, 1]])}
    result = view.book_neighbours(similarities, "A")
    assert result.tfidf == [("C", 0.9), ("B", 0.2)] and result.dense == [("B", 0.8), ("C", 0.3)]
