"""Server-level faults with real server processes: two replicas sharing one cache train a key
once; a server killed mid-training leaves nothing half-written, and its successor retrains."""

from __future__ import annotations

import contextlib
import signal
import time

import pytest

from core.jobs import ArtifactStore
from core.lm.jobs import lm_spec
from harness.servers import free_port, serving
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e

TRAIN_TOKENIZERS = "Train the four tokenizers"
TRAIN_MODEL = "Train the model"


def open_settled(browser, url: str):
    """A new page at `url`, drawn; with its watch."""
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto(url)
    watch.settle()
    return page, watch


def wait_for_results(page, watch: PageWatch, button: str, timeout_s: float = 240) -> None:
    """Until the page has drawn its results in place of the Train button."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        watch.settle(timeout_ms=int(timeout_s * 1000))
        buttons = [page.get_by_role("button", name=name, exact=True).count() for name in (button, "Cancel")]
        if buttons == [0, 0]:
            return
        time.sleep(0.5)
    raise TimeoutError(f"no results after {timeout_s} s")


def test_two_replicas_sharing_a_cache_train_each_key_once(browser, tmp_path):
    cache = tmp_path / "shared-cache"
    logs = [tmp_path / "replica-a.log", tmp_path / "replica-b.log"]
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(serving(cache, log=log))[0] for log in logs]
        opened = [open_settled(browser, f"{url}/tokenizers?tok_vocab=2000") for url in urls]
        for page, _ in opened:  # both classes press Train at once
            page.get_by_role("button", name=TRAIN_TOKENIZERS, exact=True).click()
        for page, watch in opened:
            wait_for_results(page, watch, TRAIN_TOKENIZERS)
            watch.assert_clean()
            page.close()
    text = "".join(log.read_text() for log in logs)
    assert text.count("INFO core.jobs.manager: training tokenizer") == 4, text
    assert text.count("INFO core.jobs.manager: trained tokenizer") == 4, text
    assert "trained by another process" in text, text  # the other replica waited on the lock, then loaded


def test_server_killed_mid_training_leaves_nothing_half_written(browser, tmp_path):
    cache, port, steps = tmp_path / "cache", free_port(), 200
    with serving(cache, port, log=tmp_path / "first.log") as (url, server):
        page, _ = open_settled(browser, f"{url}/attention?lm_steps={steps}")
        page.get_by_role("button", name=TRAIN_MODEL, exact=True).click()
        page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
        time.sleep(3)  # mid-training
        server.send_signal(signal.SIGKILL)
        server.wait(20)
        page.close()
    spec = lm_spec(steps=steps)
    store = ArtifactStore(cache)
    assert not store.has(spec) and store.load(spec) is None
    assert not any((cache / "artifacts").glob("lm/*/meta.json"))
    with serving(cache, port, log=tmp_path / "second.log") as (url, _):
        page, watch = open_settled(browser, f"{url}/attention?lm_steps=20")
        train = page.get_by_role("button", name=TRAIN_MODEL, exact=True)
        assert train.count() == 1  # nothing to load: it offers to train
        train.click()
        wait_for_results(page, watch, TRAIN_MODEL)
        watch.assert_clean()
        page.close()
    assert ArtifactStore(cache).load(lm_spec(steps=20)) is not None
