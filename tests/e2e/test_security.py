"""Script injected through any text input never runs and is shown as text, on every page."""

from __future__ import annotations

import pytest

from app.catalog import available_pages
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e
NO_TEXT_INPUTS = {"memory", "anatomy"}  # numbers, sliders and toggles only
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg onload=alert(1)>"]


@pytest.mark.parametrize("url_path", [p.url_path for p in available_pages()])
def test_injected_markup_is_inert(server, browser, small_models, url_path):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    watch = PageWatch(page)
    page.goto(f"{server}/{url_path}?{small_models.get(url_path, '')}")
    watch.settle()
    tabs = page.locator('[data-testid="stMain"] [role="tab"]').all_inner_texts()
    filled = 0
    for tab in tabs or [None]:  # a tab's inputs exist only while it is open
        if tab is not None:
            page.locator('[data-testid="stMain"]').get_by_role("tab", name=tab, exact=True).click()
            watch.settle()
        fields = page.locator('[data-testid="stMain"] textarea, [data-testid="stMain"] [data-testid="stTextInput"] input')
        for index in range(fields.count()):
            field = fields.nth(index)
            if not field.is_visible() or not field.is_editable():
                continue
            field.fill(PAYLOADS[filled % len(PAYLOADS)])
            field.press("Tab")
            watch.settle()
            filled += 1
    assert not dialogs, dialogs
    assert page.locator('[data-testid="stMain"] img[src="x"], [data-testid="stMain"] svg[onload]').count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert (filled > 0) != (url_path in NO_TEXT_INPUTS)
    page.close()
