"""Script injected through any text input never runs and is shown as text, on every page."""

from __future__ import annotations

import pytest

from app.catalog import available_pages
from core.jobs import ArtifactStore, JobManager
from core.tokenizers.jobs import ALGORITHMS, default_spec
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>"]


@pytest.fixture(scope="module")
def trained_tokenizers(server_cache):
    """The tokenizers page's default models, so its text inputs are on screen."""
    manager = JobManager(ArtifactStore(server_cache), workers=1)
    for algorithm in ALGORITHMS:
        assert manager.run(default_spec(algorithm, "tinyshakespeare", 1000), timeout=300).error is None


@pytest.mark.parametrize("url_path", [p.url_path for p in available_pages()])
def test_injected_markup_is_inert(server, browser, trained_tokenizers, url_path):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    watch = PageWatch(page)
    page.goto(f"{server}/{url_path}")
    watch.settle()
    fields = page.locator('[data-testid="stMain"] textarea, [data-testid="stMain"] [data-testid="stTextInput"] input')
    for index in range(fields.count()):
        field = fields.nth(index)
        if not field.is_visible() or not field.is_editable():
            continue
        field.fill(PAYLOADS[index % len(PAYLOADS)])
        field.press("Tab")
        watch.settle()
    assert not dialogs, dialogs
    assert page.locator('[data-testid="stMain"] img[src="x"], [data-testid="stMain"] svg[onload]').count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
