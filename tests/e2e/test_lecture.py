"""Lecture features in the real browser: links that reopen a demo, presenter mode, hidden controls,
and charts downloaded as PNG and SVG without a network."""

from __future__ import annotations

import re

import pytest

from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e


def test_a_link_reopens_the_demo_in_presenter_mode_and_hides_chosen_controls(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(page)
    page.goto(f"{server}/metrics?met_hyp=hello%20from%20a%20link&met_lower=true&present=1&hide=met_tok")
    watch.settle()
    assert page.locator(".st-key-met_hyp textarea").input_value() == "hello from a link"
    assert page.locator(".st-key-met_lower input").is_checked()
    assert page.locator(".st-key-met_tok").count() == 1 and not page.locator(".st-key-met_tok").is_visible()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "21px"
    page.locator(".st-key-met_hyp textarea").fill("typed by the lecturer")
    page.keyboard.press("Control+Enter")
    watch.settle()
    page.wait_for_url(re.compile(r"met_hyp=typed\+by\+the\+lecturer"))
    assert "present=1" in page.url and "hide=met_tok" in page.url
    page.goto(f"{server}/metrics?hide=met_tok%7D*%7Bdisplay:none")  # not a key: never reaches the style sheet
    watch.settle()
    assert page.locator('[data-testid="stMain"] h1').is_visible()
    watch.assert_clean()
    page.close()


def test_charts_download_as_png_and_svg_offline(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch = PageWatch(page)
    page.goto(f"{server}/anatomy")
    watch.settle()
    for fmt, magic in (("PNG", b"\x89PNG"), ("SVG", b"<svg")):
        page.locator(f'[data-testid="stSidebar"] label:has-text("{fmt}")').click()
        watch.settle()
        chart = page.locator(".st-key-an_memory .js-plotly-plot")
        chart.hover()
        button = page.locator(".st-key-an_memory .modebar-btn[data-title^='Download plot']")
        with page.expect_download() as download:
            button.click()
        assert download.value.suggested_filename == f"nlp-playground-flash-extra-memory.{fmt.lower()}"
        with open(download.value.path(), "rb") as handle:
            assert handle.read(4096).find(magic) >= 0
    watch.assert_clean()
    page.close()
