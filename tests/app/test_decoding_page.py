"""The decoding page in AppTest on a small model trained through the real job queue: every tab and
method, the notes about lengths, and a change in the session equals a fresh link."""

from __future__ import annotations

import json

import pytest

from core.lm.jobs import lm_spec
from core.views import decoding as view
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab
from tests.app.session_vs_link import check_every_control
from tests.app.small_lm import SMALL, isolated_cache, module_cache, small_lm  # noqa: F401

PAGE = "views/decoding.py"
ON_SMALL = {"dec_model": SMALL.key}


def shown_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "text") for e in at.main.get(kind)]
    parts += [str(m.value) for m in at.metric] + [e.proto.spec for e in at.main.get("plotly_chart")]
    return "\n".join(parts)


@pytest.mark.parametrize("method", ["greedy", "beam", "sampling"])
def test_every_tab_and_method_opens_clean(open_page, method):
    at = open_page(PAGE, query={**ON_SMALL, "dec_method": method})
    no_problems(at)
    every_tab_opens_clean(at, view.TAB.key, view.TAB.options)
    open_tab(at, view.TAB.key, "generate")
    at.slider(key="dec_new").set_value(1).run()  # a single step: nothing to step through, no error
    no_problems(at)
    assert "-0.000" not in shown_text(at)


def test_the_caption_counts_three_methods_and_the_picker_lists_trained_models(open_page):
    at = open_page(PAGE, query=ON_SMALL)
    assert "continued three ways" in at.caption[0].value and "four" not in at.caption[0].value
    box = at.selectbox(key="dec_model")
    assert box.options[0].startswith("Default") and len(box.options) == 3 and box.value == SMALL.key
    box.select_index(0).run()  # the default model is not trained here: the training panel, no error
    no_problems(at)
    assert at.button(key="dec_train-train")


def test_in_chinese_the_page_starts_from_the_chinese_model_and_a_chinese_prompt(open_page):
    at = open_page(PAGE, query={"lang": "zh"})
    no_problems(at)
    assert at.selectbox(key="dec_model").value == lm_spec("chinese").key
    assert at.button(key="dec_train-train")  # not trained in this test: its training panel
    at = open_page(PAGE, query={**ON_SMALL, "lang": "zh"})
    assert at.text_input(key="dec_prompt").value == view.PROMPT.default_in("zh") == "我在年青時候"


def test_a_prompt_longer_than_the_context_is_cut_with_a_note(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "dec_prompt": ("ROMEO: " * 20)[:128], "dec_new": "40"})
    no_problems(at)
    notes = [i.value.replace("\\", "") for i in at.info]
    assert any("The prompt has 128 tokens and the model reads at most 64: only its last 63 tokens are used" in n
               for n in notes), notes
    assert any("generating 1 instead of 40" in n for n in notes) and not any("-64" in n for n in notes)


def test_an_empty_prompt_and_temperature_zero_are_explained(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "dec_method": "sampling"})
    at.slider(key="dec_temp").set_value(0.0).run()
    assert any("greedy" in i.value for i in at.info)
    at.text_input(key="dec_prompt").input("").run()
    assert any("empty" in e.value for e in at.error)


def test_the_two_temperatures_have_their_own_labels(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "dec_method": "sampling"})
    assert at.slider(key="dec_temp").label == "Sampling temperature"
    open_tab(at, view.TAB.key, "temperature")
    assert at.slider(key="dec_live_temp").label == "Temperature for this picture"
    assert len(at.get("plotly_chart")) == 2 and "500 draws with seed 0" in at.caption[1].value


def test_the_beam_tree_is_a_tree_with_a_legend_opening_on_the_first_steps(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "dec_method": "beam"})
    no_problems(at)
    assert at.slider(key="dec_tree_step").value == view.TREE_FIRST_STEPS
    tree = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "Beam search" in c.proto.spec)
    legend = {trace["name"] for trace in tree["data"] if trace.get("name")}
    assert {"kept", "pruned", "prompt"} <= legend
    markers = {trace["name"]: trace["marker"]["symbol"] for trace in tree["data"] if trace.get("name")}
    assert len(set(markers.values())) == len(markers)  # a marker of its own, not colour alone
    xs = {x for trace in tree["data"] for x in trace["x"] if x is not None}
    assert xs == set(range(view.TREE_FIRST_STEPS + 2))  # x is the step: the prompt, then steps 0..3
    assert tree["layout"]["xaxis"]["title"]["text"] == "step"


def test_sampling_marks_the_drawn_token_by_a_label_too(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "dec_method": "sampling"})
    last = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert "▼ sampled" in last["data"][0]["text"]


def test_compare_methods_measures_words_across_samples(open_page):
    at = open_page(PAGE, query={**ON_SMALL, "dec_tab": "compare", "dec_new": "12"})
    no_problems(at)
    table = at.dataframe[0].value
    assert len(table) == 6 and "self-BLEU" in table.columns and "distinct words (distinct-1)" in table.columns
    assert "on words" in at.caption[1].value and len(at.text) == 6


@pytest.mark.parametrize(("tab", "method", "settings"), [
    ("generate", "greedy", 4), ("generate", "beam", 8), ("generate", "sampling", 10), ("temperature", "greedy", 4),
    ("compare", "greedy", 3)])
def test_a_change_in_the_session_equals_a_fresh_link(tab, method, settings):
    """Every setting drawn (the model's too, last: the default one is not trained here)."""
    checked = check_every_control(PAGE, view.PARAMS, {**ON_SMALL, "dec_method": method}, (view.TAB.key, tab))
    assert checked == settings
