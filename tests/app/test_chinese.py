"""Every page and tab opened with `?lang=zh` shows Chinese throughout (interface text; data stays what
it is), and switching the language keeps the page's settings."""

from __future__ import annotations

import re

import pytest

from app.catalog import available_pages
from core.embeddings.jobs import embedding_spec
from core.jobs import default_manager
from core.lm.jobs import lm_spec, mlm_spec, toy_spec
from core.tokenizers.jobs import ALGORITHMS, default_spec
from tests.app.chinese import CJK, interface_texts, untranslated
from tests.app.conftest import no_problems
from tests.app.session_vs_link import open_link
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401 (one cache for the module)

STEPS = 20
# links that open each page on the small models trained below (the pages' own defaults in Chinese
# start on Chinese corpora and would show their Train buttons: those are checked too, on the home page)
SMALL = {  # the language-model pages on small models of the Chinese corpus, as they open in Chinese
    "tokenizers": {"tok_corpus": "tinyshakespeare", "tok_vocab": "1000"},
    "embeddings": {"emb_model": "cbow", "emb_corpus": "tinyshakespeare", "emb_dim": "50", "emb_epochs": "1"},
    "attention": {"lm_corpus": "chinese", "lm_steps": str(STEPS), "lm_mlm_steps": str(STEPS)},
    "decoding": {"dec_model": lm_spec("chinese", steps=STEPS).key},
    "metrics": {"met_model": lm_spec("chinese", steps=STEPS).key},
}


@pytest.fixture(scope="module", autouse=True)
def small_models(module_cache):
    manager = default_manager()
    specs = [default_spec(algorithm, "tinyshakespeare", 1000) for algorithm in ALGORITHMS]
    specs += [lm_spec("chinese", steps=STEPS), mlm_spec("chinese", steps=STEPS), toy_spec("copy"),
              embedding_spec("cbow", "tinyshakespeare", dim=50, epochs=1)]
    for spec in specs:
        job = manager.run(spec, timeout=900)
        assert job.error is None, job.error


def tabs_of(info) -> list[tuple[str, str]]:
    tab = next((p for p in info.params if p.key.endswith("_tab")), None)
    return [(tab.key, option) for option in tab.options] if tab is not None else [("", "")]


CASES = [(info, key, tab) for info in available_pages() for key, tab in tabs_of(info)]


@pytest.mark.parametrize(("info", "key", "tab"), CASES, ids=[f"{i.url_path}-{t}" for i, _, t in CASES])
def test_every_tab_reads_in_chinese(info, key, tab):
    query = {"lang": "zh", **SMALL.get(info.url_path, {}), **({key: tab} if key else {})}
    at = open_link(info.path, query)
    no_problems(at)
    texts = interface_texts(at)
    assert sum(bool(CJK.search(text)) for text in texts) >= 0.5 * len(texts), texts  # the rest: names, numbers
    assert not untranslated(at), untranslated(at)


def test_the_home_page_reads_in_chinese():
    at = open_link("views/home.py", {"lang": "zh"})
    no_problems(at)
    assert re.search(CJK, at.title[0].value) and not untranslated(at), untranslated(at)


def test_switching_the_language_keeps_the_settings():
    at = open_link("views/memory.py", {"mem_preset": "Mistral 7B", "mem_tab": "paged", "mem_p_requests": "5"})
    assert at.slider(key="mem_p_requests").value == 5
    at.sidebar.radio(key="lang").set_value("zh").run()
    no_problems(at)
    assert at.slider(key="mem_p_requests").value == 5 and at.session_state["mem_preset"] == "Mistral 7B"
    assert at.query_params["lang"] in ("zh", ["zh"]) and at.query_params["mem_tab"] in ("paged", ["paged"])
    assert CJK.search(at.slider(key="mem_p_requests").label)
