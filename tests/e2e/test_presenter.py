"""Presenter mode in a real browser, as a lecturer uses it: switched on from the sidebar (chart fonts
grow without a reload, axis text turns black), pages still reachable, a button to leave it, and a
chart on the first screen of a 1280x720 projector."""

from __future__ import annotations

import pytest

from app.components.presenter import CHART_FONT
from harness.servers import ROOT
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e

CHART = ".st-key-mem_stack .js-plotly-plot"
FONT_SIZE = "sel => document.querySelector(sel)._fullLayout.font.size"
# the fill of every piece of axis text the chart drew (tick labels and axis titles)
AXIS_FILLS = """sel => [...document.querySelector(sel).querySelectorAll(
    '.xtick text, .ytick text, .g-xtitle text, .g-ytitle text')].map(e => getComputedStyle(e).fill)"""
PROJECTOR = {"width": 1280, "height": 720}


def test_switching_presenter_mode_on_enlarges_charts_and_blackens_axes_without_reload(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(page)
    page.goto(f"{server}/memory")
    watch.settle()
    assert page.evaluate(FONT_SIZE, CHART) == CHART_FONT[False]
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    page.locator('[data-testid="stSidebar"] summary').filter(has_text="Lecture").click()
    page.locator(".st-key-presenter label").click()
    page.wait_for_url(lambda url: "present=1" in url)
    page.wait_for_function("([sel, size]) => document.querySelector(sel)?._fullLayout?.font.size === size",
                           arg=[CHART, CHART_FONT[True]], timeout=30_000)
    watch.settle()
    assert page.evaluate("() => window.__sameDocument === true")
    fills = page.evaluate(AXIS_FILLS, CHART)
    assert fills and set(fills) == {"rgb(0, 0, 0)"}, fills
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "21px"
    watch.assert_clean()
    page.close()


def test_presenter_mode_keeps_the_pages_reachable_and_a_button_to_leave(server, browser):
    page = browser.new_page(viewport=PROJECTOR)
    watch = PageWatch(page)
    page.goto(f"{server}/memory?present=1")
    watch.settle()
    assert not page.locator('[data-testid="stSidebar"]').is_visible()  # collapsed: the room sees the page
    assert page.locator('[data-testid="stExpandSidebarButton"]').is_visible()  # the sidebar can still be opened
    nav = page.locator('[data-testid="stTopNav"]')
    assert nav.is_visible()
    nav.get_by_role("link", name="Tokenizers").click()
    page.wait_for_url(lambda url: "/tokenizers" in url)
    watch.settle()
    assert "present=1" in page.url
    assert page.locator('[data-testid="stMain"] h1').inner_text() == "Tokenizers"
    leave = page.get_by_role("button", name="Leave presenter mode")
    assert leave.is_visible()
    leave.click()
    page.wait_for_url(lambda url: "present=" not in url)
    watch.settle()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
    assert page.get_by_role("button", name="Leave presenter mode").count() == 0
    assert page.locator('[data-testid="stSidebar"] [data-testid="stSidebarNav"]').is_visible()  # back in the sidebar
    watch.assert_clean()
    page.close()


@pytest.mark.parametrize("url_path, tab", [
    ("memory", ""),
    ("anatomy", ""),
    # the BLEU tab (the page's first) shows n-gram chips and tables, no chart: the perplexity tab's
    ("metrics", "met_tab=perplexity"),
])
def test_a_chart_is_above_the_fold_on_a_projector(server, browser, small_models, url_path, tab):
    page = browser.new_page(viewport=PROJECTOR)
    watch = PageWatch(page)
    query = "&".join(part for part in ("present=1", small_models.get(url_path, ""), tab) if part)
    page.goto(f"{server}/{url_path}?{query}")
    watch.settle()
    tops = page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                         ".map(e => e.getBoundingClientRect().top)")
    assert tops and min(tops) < PROJECTOR["height"] - 60, tops  # its title at least shows
    (ROOT / "test-results").mkdir(exist_ok=True)
    page.screenshot(path=ROOT / "test-results" / f"presenter-{url_path}.png")  # what the room sees, for review
    watch.assert_clean()
    page.close()
