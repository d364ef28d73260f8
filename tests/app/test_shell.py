"""Every page renders in AppTest without an exception; the shell shows the device."""

from __future__ import annotations

import pytest

from app.catalog import available_pages
from tests.app.conftest import no_problems


@pytest.mark.parametrize("page", ["views/home.py", *[p.path for p in available_pages()]])
def test_page_renders_without_errors(open_page, page):
    at = open_page(page)
    no_problems(at)
    assert any("Device:" in c.value for c in at.sidebar.caption)


def test_home_lists_every_page_and_corpus(open_page):
    at = open_page("views/home.py")
    assert "NLP Playground" in at.title[0].value
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 4
    assert len(at.get("page_link")) == len(available_pages())


def test_the_device_is_described_in_the_sessions_language(open_page):
    at = open_page("views/home.py", query={"lang": "zh"})
    assert any(c.value.startswith("设备：CPU（") and "个线程）" in c.value for c in at.sidebar.caption)
