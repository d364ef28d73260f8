"""Every page's settings live in the URL: a link opens the page with the same settings; only
declared settings are written; values that do not fit open with the defaults and a note."""

from __future__ import annotations

import pytest

from app.catalog import available_pages
from core.views.params import Choice, Flag, Number, Params, Text, decode
from tests.app.conftest import no_problems
from tests.app.session_vs_link import open_link

PAGES = available_pages()


@pytest.mark.parametrize("value", ["plain text", "50", "true", "null", "[1, 2]", "", "naïve ☃ <b>"])
def test_texts_round_trip_through_the_url(value):
    text = Text("x_text", "", "Text", max_chars=100)
    assert text.fit(text.parse(decode(text.encode(value)))).value == value
    assert text.encode("hello world") == "hello world"  # readable links


@pytest.mark.parametrize("param, raw, expected", [
    (Number("x_n", 5, "n", low=1, high=10), "abc", None), (Number("x_n", 5, "n", low=1, high=10), "99", 10),
    (Number("x_n", 5, "n", low=1, high=10), "2.5", None), (Flag("x_f", False, "f"), "yes", None),
    (Choice("x_c", "a", "c", options=("a", "b")), "b", "b"), (Choice("x_c", "a", "c", options=("a", "b")), "z", "a"),
    (Text("x_t", "", "t", max_chars=3), "abcdef", "abc"),
])
def test_link_values_are_parsed_and_fitted(param, raw, expected):
    values, notes = Params("x_", [param]).from_link({param.key: raw, "x_unknown": "1", "other": "2"})
    assert values.get(param.key) == expected
    assert set(values) <= {param.key}
    assert bool(notes) == (expected != raw)  # a note whenever the link's value was not taken as it was


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_a_link_reopens_the_page_with_the_same_settings(info):
    first = open_link(info.path, {})
    no_problems(first)
    params = {key: (value[0] if isinstance(value, list) else value) for key, value in first.query_params.items()}
    declared = info.params
    assert params.pop("lang") == "en"  # the session's language travels in every link
    assert params and all(key in declared for key in params), set(params) - set(declared.by_key)
    again = open_link(info.path, params)
    no_problems(again)
    assert {k: (v[0] if isinstance(v, list) else v) for k, v in again.query_params.items()} == {**params, "lang": "en"}


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_a_link_with_nonsense_opens_the_page_with_notes(info):
    junk = {param.key: "%%%" if not isinstance(param, Text) else "x" * 100_000 for param in info.params}
    at = open_link(info.path, junk)
    assert not at.exception, [e.value for e in at.exception]
    assert all(len(str(at.session_state[key])) <= 2_000 for key in junk if key in at.session_state)
