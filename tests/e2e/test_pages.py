"""The real server in a real Chromium: every page opens clean and fully offline."""

from __future__ import annotations

import pytest

from app.catalog import available_pages
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("url_path", ["", *[p.url_path for p in available_pages()]])
def test_page_opens_clean(server, browser, url_path):
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto(f"{server}/{url_path}")
    watch.settle()
    watch.assert_clean()
    assert "Device:" in page.locator('[data-testid="stSidebar"]').inner_text()
    page.close()
