"""The word-embeddings page on vectors trained (briefly) from Tiny Shakespeare."""

from __future__ import annotations

import pytest

from core.embeddings.jobs import embedding_spec
from core.jobs import default_manager
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab

SETTINGS = dict(dim=50, window=5, min_count=5, epochs=1)


@pytest.fixture(scope="module", autouse=True)
def small_vectors():
    for model in ("cbow", "svd"):
        job = default_manager().run(embedding_spec(model, "tinyshakespeare", **SETTINGS), timeout=600)
        assert job.error is None, job.error


def open_trained(open_page):
    at = open_page("views/embeddings.py")
    at.selectbox(key="emb_corpus").set_value("tinyshakespeare").run()
    at.select_slider(key="emb_dim").set_value(50).run()
    at.slider(key="emb_epochs").set_value(1).run()
    return at


def test_every_tab_renders_and_answers(open_page):
    at = open_trained(open_page)
    no_problems(at)
    assert at.metric[0].value.endswith("words")
    every_tab_opens_clean(at, "emb_tab")
    open_tab(at, "emb_tab", "Neighbours")
    at.text_input(key="emb_word").set_value("queen").run()
    open_tab(at, "emb_tab", "Projection")
    at.radio(key="emb_method").set_value("tsne").run()
    open_tab(at, "emb_tab", "Watch it learn")
    at.text_input(key="emb_drift").set_value("king").run()
    no_problems(at)


def test_bad_words_get_messages_not_tracebacks(open_page):
    at = open_trained(open_page)
    open_tab(at, "emb_tab", "Neighbours")
    at.text_input(key="emb_word").set_value("kingg").run()
    assert any("Did you mean" in e.value for e in at.error)
    open_tab(at, "emb_tab", "Analogies")
    at.text_input(key="emb_b").set_value("man").run()
    assert any("different words" in e.value for e in at.error)
    assert not at.exception


def test_models_side_by_side(open_page):
    at = open_trained(open_page)
    open_tab(at, "emb_tab", "Models side by side")
    at.multiselect(key="emb_side").set_value(["cbow", "svd"]).run()
    no_problems(at)
