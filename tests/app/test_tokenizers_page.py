"""The tokenizers page on real trained tokenizers (trained once through the real job queue)."""

from __future__ import annotations

import pytest

from core.jobs import default_manager
from core.tokenizers.jobs import ALGORITHMS, default_spec
from tests.app.conftest import every_tab_opens_clean, no_problems, open_tab

PAGE = "views/tokenizers.py"


@pytest.fixture(scope="module", autouse=True)
def trained_tokenizers():
    for algorithm in ALGORITHMS:
        job = default_manager().run(default_spec(algorithm, "tinyshakespeare", 300), timeout=300)
        assert job.error is None, job.error


def open_trained(open_page):
    at = open_page(PAGE)
    at.select_slider(key="tok_vocab").set_value(300).run()
    return at


def html_of(at) -> str:
    return "".join(str(element.proto) for element in at.get("html"))


def test_split_text_shows_every_tokenizer_with_counts(open_page):
    at = open_trained(open_page)
    no_problems(at)
    headers = [m.value for m in at.markdown if "vocabulary" in m.value]
    assert len(headers) == 4
    assert sum("tokens ·" in c.value for c in at.caption) == 4
    every_tab_opens_clean(at, "tok_tab")


def test_user_text_is_escaped_in_chips(open_page):
    at = open_trained(open_page)
    at.text_area(key="tok_text").set_value("<script>alert(1)</script> <img src=x onerror=alert(1)>").run()
    no_problems(at)
    markup = html_of(at)
    assert "&lt;" in markup and "<script" not in markup and "<img" not in markup


def test_replay_and_lattice_and_bytes_respond(open_page):
    at = open_trained(open_page)
    open_tab(at, "tok_tab", "Training replay")
    at.radio(key="tok_replay_algo").set_value("wordpiece").run()
    at.slider(key="tok_replay_step").set_value(5).run()
    assert any("after 5 merges" in m.value for m in at.markdown)
    open_tab(at, "tok_tab", "Unigram lattice")
    at.text_input(key="tok_lattice_text").set_value("lowliness").run()
    at.slider(key="tok_alpha").set_value(0.5).run()
    open_tab(at, "tok_tab", "Bytes")
    at.text_input(key="tok_bytes_text").set_value("你好 ☃").run()
    no_problems(at)


def test_empty_text_and_bad_upload_name_get_messages(open_page):
    at = open_trained(open_page)
    at.text_area(key="tok_text").set_value("   ").run()
    assert any("Type some text" in i.value for i in at.info)
    open_tab(at, "tok_tab", "Import / export")
    at.text_input(key="tok_hub_name").set_value("../../etc/passwd").run()
    assert any("outside the folders" in e.value for e in at.error)
