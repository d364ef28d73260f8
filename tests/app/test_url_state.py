"""Every page's settings live in the URL: a link opens the page with the same settings."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.catalog import available_pages
from app.components.url_state import decode, encode
from tests.app.conftest import ENTRY, no_problems

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
