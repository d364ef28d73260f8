"""Start the real server on a free loopback port and a real Chromium for the browser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.lm.jobs import lm_spec
from harness.browser import launch
from harness.servers import serving


@pytest.fixture(scope="session")
def server_cache(tmp_path_factory) -> Path:
    """The browser tests' server's cache folder (tests may train into it before opening pages)."""
    return tmp_path_factory.mktemp("e2e-cache")


@pytest.fixture(scope="session")
def server(server_cache):
    with serving(server_cache) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


LM_STEPS = 20
VECTORS = dict(dim=50, window=5, min_count=5, epochs=1)
# the query string that opens each page on the small models of `small_models` (settings live in the URL)
SMALL_MODELS_QUERY = {
    "tokenizers": "tok_corpus=tinyshakespeare&tok_vocab=1000",
    "embeddings": "emb_model=cbow&emb_corpus=tinyshakespeare&emb_dim=50&emb_epochs=1",
    "attention": f"lm_corpus=tinyshakespeare&lm_steps={LM_STEPS}",  # in Chinese the page starts on a Chinese corpus
    "decoding": f"dec_model={lm_spec(steps=LM_STEPS).key}",  # a model picker's options are job keys
    "metrics": f"met_model={lm_spec(steps=LM_STEPS).key}",
}


@pytest.fixture(scope="session")
def small_models(server_cache) -> dict[str, str]:
    """Small models trained into the server's cache (seconds, not the defaults' minutes), so every
    page draws its tabs; returns the query string that opens each page on them."""
    from core.embeddings.jobs import embedding_spec
    from core.jobs import ArtifactStore, JobManager
    from core.lm.jobs import lm_spec
    from core.tokenizers.jobs import ALGORITHMS, default_spec

    manager = JobManager(ArtifactStore(server_cache), workers=1)
    specs = [default_spec(algorithm, "tinyshakespeare", 1000) for algorithm in ALGORITHMS]
    specs += [lm_spec(steps=LM_STEPS), embedding_spec("cbow", "tinyshakespeare", **VECTORS)]
    for spec in specs:
        job = manager.run(spec, timeout=600)
        assert job.error is None, job.error
    return SMALL_MODELS_QUERY
