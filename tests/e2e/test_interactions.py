"""Interactions that only a browser exercises: clicking a chart, and downloads written on click."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import LM_STEPS
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e


def test_clicking_a_thumbnail_of_the_model_view_opens_that_head(server, browser, small_models):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(page)
    page.goto(f"{server}/attention?lm_steps={LM_STEPS}&lm_tab=attention&lm_text=To%20be%2C%20or%20not")
    watch.settle()
    n_tokens, layers, heads = len("To be, or not"), 4, 4
    size = n_tokens + 1  # each thumbnail and the gap after it
    page.locator(".st-key-lm_modelview").scroll_into_view_if_needed()
    plot = page.locator(".st-key-lm_modelview .nsewdrag").first.bounding_box()
    width, height = heads * size - 1, layers * size - 1  # the mosaic's cells, gaps included
    layer, head = 2, 3
    page.mouse.click(plot["x"] + (head * size + n_tokens / 2) / width * plot["width"],  # the thumbnail's centre
                     plot["y"] + (layer * size + n_tokens / 2) / height * plot["height"])
    page.wait_for_url(lambda url: f"lm_layer={layer}" in url and f"lm_head={head}" in url, timeout=30_000)
    watch.settle()
    assert page.get_by_text(f"layer {layer}, head {head}").count() > 0  # the large heatmap's title
    watch.assert_clean()
    page.close()


def download(page, key: str, folder: Path) -> Path:
    """Click the download button with widget key `key` and keep the file it sends."""
    with page.expect_download(timeout=60_000) as started:
        page.locator(f".st-key-{key} button").click()
    path = folder / started.value.suggested_filename
    started.value.save_as(path)
    return path


def test_vectors_and_tokenizers_download_in_formats_their_libraries_read(server, browser, small_models, tmp_path):
    from gensim.models import KeyedVectors
    from tokenizers import Tokenizer

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch = PageWatch(page)
    page.goto(f"{server}/embeddings?{small_models['embeddings']}&emb_tab=download")
    watch.settle()
    vectors = KeyedVectors.load_word2vec_format(str(download(page, "emb_dl_w2v", tmp_path)), binary=False)
    assert vectors.vector_size == 50 and "king" in vectors.key_to_index
    page.goto(f"{server}/tokenizers?{small_models['tokenizers']}&tok_tab=io")
    watch.settle()
    assert Tokenizer.from_file(str(download(page, "tok_export_wordpiece", tmp_path))).encode("To be, or not").tokens
    watch.assert_clean()
    page.close()
