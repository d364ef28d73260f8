"""The word-embeddings page in AppTest, on vectors trained briefly from Tiny Shakespeare through
the real job queue: every tab opens clean, a change in the session equals a fresh link, and the
issue's fixes show."""

from __future__ import annotations

import json

import pytest

from app.components.training import _metrics_frame
from core.jobs import default_manager
from core.views import embeddings as view
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab
from tests.app.session_vs_link import check_every_control
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401 (one cache for the module)

PAGE = "views/embeddings.py"
SETTINGS = dict(dim=50, window=5, min_count=5, epochs=1, glove_epochs=25)
START = {view.CORPUS.key: "tinyshakespeare", view.DIM.key: "50", view.EPOCHS.key: "1",
         view.SIDE.key: '["cbow", "svd"]'}


@pytest.fixture(scope="module", autouse=True)
def small_vectors(request):
    """CBOW and SVD vectors, trained once into the module's cache folder (`tests.app.shared_cache`)."""
    request.getfixturevalue("module_cache")
    jobs = {}
    for model in ("cbow", "svd"):
        jobs[model] = default_manager().run(view.spec_of(model, "tinyshakespeare", **SETTINGS), timeout=600)
        assert jobs[model].error is None, jobs[model].error
    return jobs


def test_every_tab_renders_and_answers(open_page):
    at = open_page(PAGE, query=START)
    no_problems(at)
    assert at.metric[0].value.endswith("words")
    every_tab_opens_clean(at, view.TAB.key, view.TAB.options)
    open_tab(at, view.TAB.key, "neighbours")
    at.text_input(key=view.WORD.key).set_value("queen").run()
    open_tab(at, view.TAB.key, "projection")
    at.radio(key=view.METHOD.key).set_value("tsne").run()
    no_problems(at)


def test_bad_words_get_messages_not_tracebacks(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "neighbours"})
    at.text_input(key=view.WORD.key).set_value("kingg").run()
    assert any("Did you mean" in e.value for e in at.error)
    open_tab(at, view.TAB.key, "analogies")
    at.text_input(key=view.WORD_B.key).set_value("man").run()
    assert any("different words" in e.value for e in at.error)
    assert not at.exception


def test_the_parallelogram_comes_from_core(open_page):
    at = open_page(PAGE, query=START)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "The four words by PCA"
    assert chart["data"][0]["text"][:3] == ["man", "king", "woman"]
    assert sum(a.get("text") == "b − a" for a in chart["layout"]["annotations"]) == 2  # not said by colour alone


def test_projections_name_the_words_they_leave_out_and_state_the_label_rule(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "projection", view.EXTRA.key: "king zzzq"})
    no_problems(at)
    assert any("zzzq" in i.value and "not drawn" in i.value for i in at.info)
    assert any("is labelled unless" in c.value for c in at.caption)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {trace["name"] for trace in chart["data"]} == {"family", "capitals", "your words"}
    assert len({trace["marker"]["symbol"] for trace in chart["data"]}) == 3  # groups not by colour alone
    assert at.text_input(key=view.EXTRA.key).proto.max_chars == view.EXTRA.max_chars


def test_svd_has_no_epochs_and_glove_has_its_own(open_page):
    at = open_page(PAGE, query={**START, view.MODEL.key: "svd"})
    no_problems(at)
    assert not [s for s in at.slider if s.key in (view.EPOCHS.key, view.GLOVE_EPOCHS.key)]
    assert any("has no epochs" in c.value for c in at.caption)
    at.selectbox(key=view.MODEL.key).set_value("glove").run()
    glove = at.slider(key=view.GLOVE_EPOCHS.key)
    assert (glove.value, glove.min, glove.max) == (25, 5, 100)
    at.selectbox(key=view.MODEL.key).set_value("svd").run()
    assert at.metric[0].value.endswith("words")  # the SVD vectors of the fixture: epochs changed no key


def test_watch_it_learn_labels_its_checkpoints_and_plots_the_loss_alone(open_page, small_vectors):
    at = open_page(PAGE, query={**START, view.TAB.key: "learn"})
    no_problems(at)
    assert list(at.dataframe[0].value.columns) == ["random start", "after 33% of training", "after 67% of training",
                                                   "final"]
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in chart["data"]] == ["loss"]
    assert chart["layout"]["yaxis"]["title"]["text"] == "mean loss per prediction (nats)"
    assert list(_metrics_frame(small_vectors["cbow"]).columns) == ["training loss"]  # the live panel too


def test_models_side_by_side_are_titled_with_their_names(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "side"})
    no_problems(at)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    titles = [a["text"] for a in chart["layout"]["annotations"]]
    assert titles == ["word2vec CBOW, negative sampling", "PPMI + SVD (count-based)"]
    assert "model=" not in json.dumps(chart)
    assert list(at.dataframe[0].value.iloc[:, 0]) == titles


def test_evaluation_speaks_in_words(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "evaluation"})
    no_problems(at)
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "plural nouns" in bars["data"][0]["x"] and not any("gram" in x for x in bars["data"][0]["x"])
    assert bars["layout"]["xaxis"]["title"]["text"] == "kind of analogy"


OWN_SETTINGS = {"analogies": 3, "neighbours": 2, "projection": 4, "evaluation": 0, "inside": 2, "learn": 1, "side": 1,
                "download": 0}


@pytest.mark.parametrize("tab", view.TAB.options)
def test_a_change_in_the_session_equals_a_fresh_link(tab):
    """Each tab's own settings, then the six of the model (which every tab shares)."""
    assert check_every_control(PAGE, view.PARAMS, START, (view.TAB.key, tab)) == OWN_SETTINGS[tab] + 6


def test_a_change_equals_a_fresh_link_with_glove_epochs():
    """GloVe's own epochs control in place of the others (nothing trained: the controls above the
    Train button)."""
    start = {**START, view.MODEL.key: "glove", view.CORPUS.key: "gutenberg"}
    assert check_every_control(PAGE, view.PARAMS, start, (view.TAB.key, "side")) == 6
