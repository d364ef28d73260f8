"""Accessibility in a real browser: axe-core (through axe-playwright-python) on every page and every
tab, opened on small models so that the tabs draw what they show, in the default view and in
presenter mode; nothing it finds may be 'serious' or 'critical'. axe does not read inside charts
(SVG), so each chart drawn is checked here too: it has a title, its legend is clear of the title,
its series differ by more than colour (a dash, a marker, a hatching or a symbol in the name; WCAG
1.4.1), and its log ticks read 0.001 or 1k, never 1m (milli, read as million).

What the audit found and how it was fixed (so that a regression says which rule came back):
- `list`/`listitem`: navigation sections are drawn as <div>s inside the list of pages: the
  navigation is one flat list (app/streamlit_app.py);
- `color-contrast`: captions at 60% opacity (3.9:1), code in captions (3.0:1), token chips on their
  deepest shade (4.4:1): an opaque caption colour (app.components.presenter.READABLE_CSS) and
  shades capped for dark text (app.components.tokens).
Nothing inside Streamlit's own frontend had to be excluded; a rule that must be (a component we
cannot style) is listed here with the reason and a link to the component.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.catalog import available_pages
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e

BLOCKING = ("serious", "critical")
SMALL_SI = re.compile(r"[−-]?[\d.]+\s?[mµunp]")  # a tick such as 100m or 10µ
CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(e => {
    const box = el => { const r = el && el.getBoundingClientRect(); return r && r.width ? r.toJSON() : null; };
    return {
        key: (e.closest('[class*="st-key-"]')?.className.match(/st-key-\\S+/) || [''])[0],
        title: (e.querySelector('.gtitle') || {}).textContent || '',
        title_box: box(e.querySelector('.gtitle')), legend_box: box(e.querySelector('.legend')),
        ticks: [...e.querySelectorAll('.xtick text, .ytick text')].map(t => t.textContent),
        series: e._fullData.filter(d => d.showlegend && d.visible === true).map(d => ({name: d.name,
            look: JSON.stringify([d.type, d.mode, d.line?.dash, d.marker?.symbol, d.marker?.pattern?.shape])})),
    };
})"""
STREAMLIT_OWN: dict[str, str] = {}  # axe rule id -> why it cannot be fixed from the app, and where


def _tabs() -> list:
    """(page, tab query) for every tab of every page, and the home page."""
    found = [pytest.param("", "", id="home")]
    for info in available_pages():
        tab = next(param for param in info.params if param.key.endswith("_tab"))
        found += [pytest.param(info.url_path, f"{tab.key}={option}", id=f"{info.url_path}-{option}")
                  for option in tab.options]
    return found


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def overlap(a: dict | None, b: dict | None) -> bool:
    return bool(a and b) and a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] \
        and b["top"] < a["bottom"]


def chart_problems(chart: dict) -> list[str]:
    looks = {s["name"]: (s["look"], re.match(r"[^\w\s]*", s["name"] or "").group()) for s in chart["series"]}
    problems = [] if chart["title"] else ["no title"]
    problems += ["legend over the title"] if overlap(chart["title_box"], chart["legend_box"]) else []
    problems += [f"series told by colour alone: {sorted(looks)}"] if len(set(looks.values())) < len(looks) else []
    problems += [f"ticks {tick}" for tick in chart["ticks"] if SMALL_SI.fullmatch(tick)]
    return [f"{chart['key']} {chart['title']!r}: {problem}" for problem in problems]


def audit(server, browser, axe, link: str) -> list[str]:
    """The blocking violations and the charts' problems on the page at `link`, once it has settled
    (and opened clean)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    page.goto(f"{server}/{link}")
    watch.settle()
    watch.assert_clean()
    violations = axe.run(page).response["violations"]
    charts = page.evaluate(CHARTS)
    page.close()
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes'][:3]]}"
            for v in violations if v["impact"] in BLOCKING and v["id"] not in STREAMLIT_OWN] + [
        problem for chart in charts for problem in chart_problems(chart)]


@pytest.mark.parametrize("url_path, query", _tabs())
def test_no_serious_violation_on_any_tab(server, browser, small_models, axe, url_path, query):
    link = "&".join(part for part in (small_models.get(url_path, ""), query) if part)
    assert audit(server, browser, axe, f"{url_path}?{link}") == []


@pytest.mark.parametrize("url_path", ["", *[p.url_path for p in available_pages()]], ids=lambda path: path or "home")
def test_no_serious_violation_in_presenter_mode(server, browser, small_models, axe, url_path):
    """Its own colours, the pages as a bar across the top, the button that leaves it."""
    link = "&".join(part for part in ("present=1", small_models.get(url_path, "")) if part)
    assert audit(server, browser, axe, f"{url_path}?{link}") == []
