"""The tokenizers page in AppTest, on real tokenizers trained once through the real job queue:
every tab opens clean, a change in the session equals a fresh link, and the issue's fixes show."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from app.figures import tokenizers as figures
from core import settings
from core.jobs import default_manager
from core.tokenizers.analysis import cost_by_language
from core.views import tokenizers as view
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab
from tests.app.session_vs_link import check_every_control
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401 (one cache for the module)
from tests.core.test_untrusted import REDOS

PAGE = "views/tokenizers.py"
START = {view.VOCAB.key: "300"}  # the small tokenizers the fixture trains


@pytest.fixture(scope="module", autouse=True)
def trained_tokenizers(request):
    """The four small tokenizers, trained once into the module's cache folder (`tests.app.shared_cache`)."""
    request.getfixturevalue("module_cache")
    for spec in view.specs("tinyshakespeare", 300, False):
        job = default_manager().run(spec, timeout=300)
        assert job.error is None, job.error
    return {spec.settings["algorithm"]: default_manager().run(spec).result
            for spec in view.specs("tinyshakespeare", 300, False)}


def html_of(at) -> str:
    return "".join(str(element.proto) for element in at.get("html"))


def test_every_tab_opens_clean_and_shows_the_legend(open_page):
    at = open_page(PAGE, query=START)
    no_problems(at)
    assert sum("vocabulary 300" in m.value for m in at.markdown) == 4
    assert sum("characters per token" in c.value for c in at.caption) == 4
    assert any("is a space" in c.value and "⟨e4 bd⟩" in c.value for c in at.caption)  # the legend
    every_tab_opens_clean(at, view.TAB.key, view.TAB.options)


def test_spaces_are_one_mark_in_every_tab(open_page):
    at = open_page(PAGE, query={**START, view.TEXT.key: "the king 你"})
    assert "·king" in html_of(at) and "Ġ" not in html_of(at) and "⟨e4" in html_of(at)
    for tab in ("compare", "bytes"):
        open_tab(at, view.TAB.key, tab)
        assert "·" in html_of(at) and "Ġ" not in html_of(at), tab
    open_tab(at, view.TAB.key, "replay")
    at.radio(key=view.REPLAY_ALGORITHM.key).set_value("byte_bpe").run()
    at.slider(key=view.REPLAY_STEP.key).set_value(60).run()
    new_tokens = at.dataframe[0].value.iloc[:, 3].tolist()
    assert any(token.startswith("·") for token in new_tokens) and not any("Ġ" in token for token in new_tokens)


def test_user_text_is_escaped_in_chips(open_page):
    at = open_page(PAGE, query=START)
    at.text_area(key=view.TEXT.key).set_value("<script>alert(1)</script> <img src=x onerror=alert(1)>").run()
    no_problems(at)
    markup = html_of(at)
    assert "&lt;" in markup and "<script" not in markup and "<img" not in markup


def test_long_texts_draw_a_stated_number_of_chips(open_page):
    at = open_page(PAGE, query=START)
    assert at.text_area(key=view.TEXT.key).proto.max_chars == view.TEXT.max_chars
    at.text_area(key=view.TEXT.key).set_value(" a" * 2500).run()
    no_problems(at)
    assert html_of(at).count("npchip npchip") == 4 * view.MAX_CHIPS
    assert sum("Only the first 2,000 of" in c.value for c in at.caption) == 4


def test_unknown_characters_are_unk_in_the_lattice_too(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "lattice", view.LATTICE_TEXT.key: "日本"})
    no_problems(at)
    assert at.dataframe[0].value.iloc[0, 0] == "▁ | <unk>"  # as encoding writes it, not ▁ | 日 | 本
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    dashed = [trace for trace in spec["data"] if trace.get("line", {}).get("dash") == "dash"]
    assert dashed and "&lt;unk&gt;" in dashed[0]["text"][0]


def test_wordpiece_merges_say_where_berts_vocabulary_came_from(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "replay"})
    at.radio(key=view.REPLAY_ALGORITHM.key).set_value("wordpiece").run()
    at.slider(key=view.REPLAY_STEP.key).set_value(5).run()
    no_problems(at)
    assert any("after 5 merges" in m.value for m in at.markdown)
    assert any("Wikipedia" in i.value for i in at.info) and any("speakers" in i.value for i in at.info)
    at.radio(key=view.REPLAY_ALGORITHM.key).set_value("bpe").run()
    assert not any("Wikipedia" in i.value for i in at.info)


def test_yours_is_compared_with_gpt4_and_gpt4o(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "compare", view.TEXT.key: "你好，世界！ Hello world"})
    no_problems(at)
    labels = [m.label for m in at.metric]
    assert len(labels) == 3 and "cl100k" in labels[1] and "o200k" in labels[2]
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "Tokens for this text"


def test_the_languages_chart_speaks_in_words(trained_tokenizers):
    rows = cost_by_language(trained_tokenizers["byte_bpe"])
    fig = figures.language_costs(view.language_costs(rows, rows), names=["English books only", "every language"],
                                 title="Tokens per character", x_title="language", y_title="tokens per character",
                                 legend_title="trained on", hover="{script} {bytes}")
    assert isinstance(fig, go.Figure) and fig.layout.xaxis.title.text == "language"
    assert fig.layout.yaxis.title.text == "tokens per character" and fig.layout.legend.title.text == "trained on"
    assert fig.layout.title.text == "Tokens per character" and "tokens_per_char" not in fig.to_json()
    assert [trace.marker.pattern.shape for trace in fig.data] == ["", "/"]  # told apart without colour


def test_efficiency_charts_wait_for_their_own_training(open_page):
    at = open_page(PAGE, query={**START, view.TAB.key: "efficiency"})
    no_problems(at)
    assert at.button(key="tok_sweep-train") and at.button(key="tok_lang-train")
    assert any("Characters per token against vocabulary size on Tiny Shakespeare" in s.value for s in at.subheader)


def test_the_chinese_page_starts_on_chinese(open_page):
    at = open_page(PAGE, query={"lang": "zh"})
    no_problems(at)
    assert at.selectbox(key=view.CORPUS.key).value == "chinese"
    assert at.select_slider(key=view.VOCAB.key).value == 8000
    assert view.TEXT.default_in("zh") != view.TEXT.default


def test_empty_text_hub_names_and_paths_get_messages(open_page):
    at = open_page(PAGE, query=START)
    at.text_area(key=view.TEXT.key).set_value("   ").run()
    assert any("Type some text" in i.value for i in at.info)
    open_tab(at, view.TAB.key, "io")
    assert any("Hub is off" in c.value for c in at.caption)
    at.text_input(key=view.SOURCE.key).set_value("gpt2").run()
    assert any("turned off" in e.value for e in at.error)
    at.text_input(key=view.SOURCE.key).set_value("../../etc/passwd").run()
    assert any("outside the folders" in e.value for e in at.error)
    assert not at.exception


def test_an_uploaded_tokenizer_that_runs_too_long_is_a_sentence(open_page):
    folder = settings.cache_dir() / "models" / "redos"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.json").write_bytes(REDOS)
    at = open_page(PAGE, query={**START, view.TAB.key: "io", view.SOURCE.key: str(folder)})
    at.text_area(key=view.TEXT.key).set_value(("a" * 30 + "b") * 60).run()
    assert any("longer than" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("Something went wrong" in e.value for e in at.error)
    at.text_area(key=view.TEXT.key).set_value("a a").run()
    no_problems(at)
    assert any("tokenizer\\.json \\(hf\\-wordlevel\\)" in m.value for m in at.markdown)


OWN_SETTINGS = {"split": 1, "compare": 2, "replay": 3, "efficiency": 0, "lattice": 2, "bytes": 1, "io": 1}


@pytest.mark.parametrize("tab", view.TAB.options)
def test_a_change_in_the_session_equals_a_fresh_link(tab):
    """Each tab's own settings, then the corpus, vocabulary size and NFKC (which every tab shares)."""
    assert check_every_control(PAGE, view.PARAMS, START, (view.TAB.key, tab)) == OWN_SETTINGS[tab] + 3
