"""Every page's settings live in the URL: a link opens the page with the same settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.catalog import available_pages
from app.components.url_state import decode, encode
from tests.app.conftest import ENTRY, no_problems, open_tab

PAGES = available_pages()


def open_link(page: str, params: dict[str, str]) -> AppTest:
    """A new session opened from a link: the query parameters, then the page."""
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    return at


@pytest.mark.parametrize("value", ["plain text", "50", "true", "null", "[1, 2]", "", "naïve ☃ <b>", 50, 0.25, True,
                                   ["a", "b"], [1, 2]])
def test_values_round_trip_through_the_url(value):
    assert decode(encode(value)) == value
    assert encode("hello world") == "hello world"  # readable links


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_a_link_reopens_the_page_with_the_same_settings(info):
    first = open_link(info.path, {})
    no_problems(first)
    params = dict(first.query_params)
    assert params and all(key.startswith(info.state_prefix) for key in params)
    again = open_link(info.path, params)
    no_problems(again)
    assert dict(again.query_params) == params


def test_a_linked_text_setting_and_tab_are_shown():
    at = open_link("views/metrics.py", {"met_hyp": "a linked sentence", "met_tok": "char", "met_stem": "false",
                                        "met_tab": "ROUGE"})
    no_problems(at)
    assert [len(tab.children) > 0 for tab in at.tabs] == [False, True, False, False]  # only ROUGE drawn
    assert at.toggle(key="met_stem").value is False
    assert at.text_area(key="met_hyp").value == "a linked sentence"
    assert at.selectbox(key="met_tok").value == "char"
    at.text_area(key="met_hyp").set_value("changed here").run()
    linked = at.query_params["met_hyp"]
    assert (linked[0] if isinstance(linked, list) else linked) == "changed here"


def test_a_link_that_no_longer_fits_opens_with_defaults():
    at = open_link("views/metrics.py", {"met_tok": "no-such-tokenizer", "met_hyp": "kept?"})
    assert not at.exception
    assert at.selectbox(key="met_tok").value != "no-such-tokenizer"


def test_settings_in_a_closed_tab_stay_in_the_session_and_the_link():
    at = open_link("views/metrics.py", {})
    open_tab(at, "met_tab", "ROUGE")
    at.toggle(key="met_stem").set_value(False).run()
    open_tab(at, "met_tab", "Perplexity")
    open_tab(at, "met_tab", "BLEU")  # two runs without the toggle drawn
    assert at.query_params["met_stem"] in ("false", ["false"]) and at.query_params["met_tab"] in ("BLEU", ["BLEU"])
    open_tab(at, "met_tab", "ROUGE")
    assert at.toggle(key="met_stem").value is False
