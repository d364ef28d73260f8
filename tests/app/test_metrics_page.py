"""The metrics page in AppTest: every tab, the example selector, Chinese defaults, one set of settings
for every BLEU table, chips that say what they mean, the corpus tab's paired test, perplexity on a
small model trained through the real job queue, and a change in the session equals a fresh link."""

from __future__ import annotations

import json

import pytest

from core.views import metrics as view
from tests.app.chinese import CJK
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab
from tests.app.session_vs_link import check_every_control, open_link
from tests.app.small_lm import SMALL, isolated_cache, module_cache, small_lm  # noqa: F401

PAGE = "views/metrics.py"
ON_SMALL = {"met_model": SMALL.key}


def html_of(at) -> str:
    return "".join(str(element.proto) for element in at.get("html"))


def table(at, index: int) -> list[dict]:
    return at.dataframe[index].value.to_dict("records")


@pytest.mark.parametrize("query", [ON_SMALL, {"lang": "zh"}], ids=["en", "zh"])
def test_every_tab_opens_clean(open_page, query):
    at = open_page(PAGE, query=query)  # in Chinese, the Chinese model (not trained here: its training panel)
    no_problems(at)
    every_tab_opens_clean(at, view.TAB.key, view.TAB.options)


def test_choosing_an_example_refills_the_texts(open_page):
    """The selector did nothing after the page loaded."""
    at = open_page(PAGE)
    at.selectbox(key="met_example").set_value("short").run()
    assert at.text_area(key="met_hyp").value == "the cat"
    assert at.text_area(key="met_refs").value == "the cat is sitting on the mat"
    at.selectbox(key="met_example").set_value("order").run()
    assert at.text_area(key="met_hyp").value == "mat the on sat cat the"
    no_problems(at)


def test_a_link_with_an_example_shows_it_unless_the_texts_are_in_the_link():
    at = open_link(PAGE, {"met_example": "short"})
    assert (at.text_area(key="met_hyp").value, at.text_area(key="met_refs").value) == (
        "the cat", "the cat is sitting on the mat")
    at = open_link(PAGE, {"met_example": "short", "met_hyp": "a linked sentence"})
    assert at.text_area(key="met_hyp").value == "a linked sentence"
    assert at.text_area(key="met_refs").value == "the cat is sitting on the mat"


def test_in_chinese_the_page_starts_from_a_chinese_pair_with_the_zh_tokenizer():
    at = open_link(PAGE, {"lang": "zh"})
    no_problems(at)
    assert at.text_area(key="met_hyp").value == view.EXAMPLES["chinese"][1]
    assert at.session_state["met_tok"] == "zh" and at.session_state["met_example"] == "chinese"
    assert any("zh" in i.value and CJK.search(i.value) for i in at.info)  # the note, in Chinese
    assert float(at.metric[0].value) > 20
    open_tab(at, view.TAB.key, "rouge")
    assert at.toggle(key="met_unicode").value is True
    assert at.info and all(CJK.search(i.value) for i in at.info)


def test_chinese_text_under_13a_suggests_zh_and_rouge_says_why_it_scores_nothing():
    at = open_link(PAGE, {"met_example": "chinese"})
    assert float(at.metric[0].value) == 0.0 and any("Choose zh" in i.value for i in at.info)
    open_tab(at, view.TAB.key, "rouge")
    assert any("deleted before counting" in i.value for i in at.info)


def test_every_bleu_table_uses_the_headline_settings():
    """Lowercase was left out of the tables: headline 36.79, table 10.12."""
    at = open_link(PAGE, {"met_hyp": "The Cat sat on THE mat", "met_refs": "the cat is sitting on the mat",
                          "met_lower": "true", "met_smooth": "floor", "met_tok": "char"})
    no_problems(at)
    headline = round(float(at.metric[0].value), 2)
    smoothing = {row["smoothing"]: row["BLEU"] for row in table(at, 1)}
    tokenisation = {row["tokenisation"]: row["BLEU"] for row in table(at, 2)}
    assert round(smoothing["floor (0.1 of a match)"], 2) == headline
    assert round(tokenisation["char (every character)"], 2) == headline


def test_precisions_are_given_raw_and_smoothed_and_labelled():
    at = open_link(PAGE, {"met_hyp": "the cat sat", "met_refs": "the cat is here"})
    rows = table(at, 0)
    assert rows[2]["precision as counted %"] == 0.0 and rows[2]["precision BLEU uses %"] == pytest.approx(50.0)
    assert rows[2]["how"] == "smoothed: exp (halve each time)" and rows[0]["how"] == "as counted"
    assert rows[3]["how"] == "not used: no 4-grams"
    assert "geometric mean of orders 1..n %" in rows[0]


def test_chips_say_what_they_mean_by_a_symbol_and_user_text_is_escaped():
    at = open_link(PAGE, {"met_hyp": "the the <script>alert(1)</script>", "met_refs": "the cat"})
    html = html_of(at)
    assert "✓ the" in html and "⊘ the" in html and "✗" in html
    assert "&lt;" in html and "<script" not in html
    assert any("✓ matched in a reference" in c.value and "⊘ clipped" in c.value for c in at.caption)


def test_the_signature_and_chrf_breakdown_are_shown():
    at = open_link(PAGE, {})
    assert at.code[0].value == "nrefs:2|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0"
    open_tab(at, view.TAB.key, "chrf")
    at.radio(key="met_chrf").set_value(2).run()
    no_problems(at)
    assert at.metric[0].label == "chrF2++" and "nw:2" in at.code[0].value and len(table(at, 0)) == 8
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"].startswith("chrF2++")


def test_the_corpus_tab_tests_two_systems_and_explains_bad_lines():
    at = open_link(PAGE, {"met_tab": "corpus"})
    no_problems(at)
    assert [m.label for m in at.metric][:3] == ["Corpus BLEU (system A)", "Mean of sentence BLEUs (system A)",
                                                "Corpus chrF (system A)"]
    paired = table(at, 0)
    assert [row["metric"] for row in paired] == ["BLEU", "chrF"] and all(0 < row["p-value"] <= 1 for row in paired)
    assert len(at.get("plotly_chart")) == 1 and any("bs:1000|seed:12345" in c.value for c in at.code)
    at.text_area(key="met_corpus").input("only one side").run()
    assert any("Line 1 has 1 part(s): write every line as hypothesis ||| reference" in e.value.replace("\\", "")
               for e in at.error)


def test_perplexity_on_a_trained_model_and_the_default_first(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "met_tab": "perplexity"})
    no_problems(at)
    box = at.selectbox(key="met_model")
    assert box.options[0].startswith("Default") and len(box.options) == 3 and box.value == SMALL.key
    assert [m.label for m in at.metric] == ["Perplexity", "Mean surprisal H", "e^H = 2^(H in bits)"]
    assert "nats" in at.metric[1].value and len(at.get("plotly_chart")) == 1
    at.text_area(key="met_ppl_text").input("x").run()
    assert any("at least two tokens" in e.value for e in at.error)
    box.select_index(0).run()  # the default model, not trained here: its training panel
    no_problems(at)
    assert at.button(key="met_train-train")


def test_every_text_setting_is_capped():
    at = open_link(PAGE, {})
    assert at.text_area(key="met_hyp").max_chars == view.HYPOTHESIS.max_chars == 1_000
    assert at.text_area(key="met_refs").max_chars == 4_000


# ---- moved from tests/app/test_url_state.py ----------------------------------------------------
def test_a_linked_text_setting_and_tab_are_shown():
    at = open_link(PAGE, {"met_hyp": "a linked sentence", "met_tok": "char", "met_stem": "false", "met_tab": "rouge"})
    no_problems(at)
    assert [len(tab.children) > 0 for tab in at.tabs] == [False, False, True, False, False]  # only ROUGE drawn
    assert at.toggle(key="met_stem").value is False
    assert at.text_area(key="met_hyp").value == "a linked sentence"
    at.text_area(key="met_hyp").input("changed here").run()
    linked = at.query_params["met_hyp"]
    assert (linked[0] if isinstance(linked, list) else linked) == "changed here"
    open_tab(at, view.TAB.key, "bleu")
    assert at.selectbox(key="met_tok").value == "char"


def test_a_link_that_no_longer_fits_opens_with_defaults():
    at = open_link(PAGE, {"met_tok": "no-such-tokenizer", "met_hyp": "kept?"})
    no_problems(at)
    assert at.selectbox(key="met_tok").value == "13a" and at.text_area(key="met_hyp").value == "kept?"
    assert any("could not be read" in i.value or "not available" in i.value for i in at.info)


def test_settings_in_a_closed_tab_stay_in_the_session_and_the_link():
    at = open_link(PAGE, {})
    open_tab(at, view.TAB.key, "rouge")
    at.toggle(key="met_stem").set_value(False).run()
    open_tab(at, view.TAB.key, "perplexity")
    open_tab(at, view.TAB.key, "bleu")  # two runs without the toggle drawn
    assert at.query_params["met_stem"] in ("false", ["false"]) and at.query_params["met_tab"] in ("bleu", ["bleu"])
    open_tab(at, view.TAB.key, "rouge")
    assert at.toggle(key="met_stem").value is False


@pytest.mark.parametrize(("tab", "start", "settings"), [
    ("bleu", {}, 6), ("bleu", {"lang": "zh"}, 6), ("chrf", {}, 5), ("rouge", {}, 5), ("corpus", {}, 4),
    ("perplexity", ON_SMALL, 2)])
def test_a_change_in_the_session_equals_a_fresh_link(tab, start, settings):
    assert check_every_control(PAGE, view.PARAMS, start, (view.TAB.key, tab)) == settings
