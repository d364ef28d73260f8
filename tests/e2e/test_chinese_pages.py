"""Every page in Chinese in a real browser: opened with `?lang=zh` on the small models, it settles
clean, its interface text (headings, labels, captions, tabs, messages, buttons, the navigation,
chart titles, axes and legends) reads as Chinese, and a chart's Chinese title is drawn with real CJK
glyphs. A full-page screenshot of each is kept in test-results/zh-<page>.png for review.

What counts as English left in a string is `tests.app.chinese.english_left` (the AppTest check of
the same pages); data (texts, tokens, samples, table cells) is not interface text and is not read.
"""

from __future__ import annotations

import pytest

from app.catalog import available_pages
from harness.servers import ROOT
from tests.app.chinese import CJK, chart_texts, english_left
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-results"
# the visible interface text the page drew, by kind of element; code and links inside it are left out
# (identifiers, and the titles of the papers and sites they name, stay as written)
INTERFACE = """() => {
    const shown = e => e.getClientRects().length > 0;
    const own = e => { const c = e.cloneNode(true); c.querySelectorAll('a, code').forEach(x => x.remove());
                       return c.textContent.trim(); };
    const texts = sel => [...document.querySelectorAll(sel)].filter(shown).map(own).filter(Boolean);
    return {
        heading: texts('[data-testid="stMain"] :is(h1, h2, h3)'),
        label: texts('[data-testid="stWidgetLabel"], [data-testid="stMetricLabel"]'),
        caption: texts('[data-testid="stCaptionContainer"]'),
        tab: texts('[role="tab"]'),
        message: texts('[data-testid="stAlert"]'),
        button: texts('button, summary'),
        navigation: texts('[data-testid="stSidebarNav"] a, [data-testid="stTopNav"] a'),
    };
}"""
CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(e => ({
    layout: e.layout, data: e.data.map(trace => ({name: trace.name, showlegend: trace.showlegend})),
    title: [...e.querySelectorAll('.gtitle')].map(t => ({text: t.textContent, width: t.getBBox().width,
                                                       size: parseFloat(getComputedStyle(t).fontSize)}))[0] || null,
}))"""
# Streamlit scrolls the main block, not the document: the screenshot is taken in a window that tall
CONTENT_HEIGHT = """() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]', 'body']
    .map(sel => document.querySelector(sel)).filter(Boolean).map(e => e.scrollHeight))"""
MAX_SHOT_HEIGHT = 12_000


def interface_texts(page) -> list[str]:
    found = page.evaluate(INTERFACE)
    charts = page.evaluate(CHARTS)
    return [text for texts in found.values() for text in texts] + [
        text for chart in charts for text in chart_texts(chart) if text]


def cjk_titles(page) -> list[dict]:
    """The charts' titles that hold Chinese, with their drawn width and font size."""
    return [chart["title"] for chart in page.evaluate(CHARTS)
            if chart["title"] and CJK.search(chart["title"]["text"])]


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    height = min(MAX_SHOT_HEIGHT, int(page.evaluate(CONTENT_HEIGHT)))
    page.set_viewport_size({"width": 1280, "height": height})
    page.wait_for_timeout(500)  # charts follow the new width of their containers
    page.screenshot(path=SHOTS / f"zh-{name}.png", full_page=True)


@pytest.mark.parametrize("url_path", ["", *[p.url_path for p in available_pages()]], ids=lambda path: path or "home")
def test_the_page_reads_in_chinese_in_the_browser(server, browser, small_models, url_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    query = "&".join(part for part in ("lang=zh", small_models.get(url_path, "")) if part)
    page.goto(f"{server}/{url_path}?{query}")
    watch.settle()
    watch.assert_clean()
    screenshot(page, url_path or "home")  # first: kept for review even when a check below fails
    assert CJK.search(page.locator('[data-testid="stMain"]').inner_text())
    texts = interface_texts(page)
    assert texts and CJK.search(page.locator('[data-testid="stMain"] h1').inner_text())
    english = [text for text in texts if english_left(text)]
    assert not english, english
    for title in cjk_titles(page):  # each Chinese character drawn about an em wide, not as nothing
        assert title["width"] >= 0.8 * title["size"] * len(CJK.findall(title["text"])), title
    if page.locator(".js-plotly-plot").count():
        assert cjk_titles(page), "no chart title in Chinese"
    page.close()
