"""AppTest helpers: run the real entry file, on one page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


@pytest.fixture
def open_page():
    def _open(page: str, timeout: float = 180, query: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page != "views/home.py":
            at.switch_page(page).run()
        return at

    return _open


def no_problems(at: AppTest) -> None:
    """No exception, no error box: what every page test checks after each interaction."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_tab(at: AppTest, key: str, tab: str) -> AppTest:
    """Open one of a page's tabs (by id), as a click does: only the open tab's code runs."""
    at.session_state[key] = tab
    at.run()
    opened = [t for t in at.tabs if len(t.children) > 0]
    assert len(opened) == 1, f"tab {tab!r} did not open"
    return at


def every_tab_opens_clean(at: AppTest, key: str, tabs) -> None:
    """Open each tab in turn (each one's code runs only when it is open) and check it."""
    for tab in tabs:
        open_tab(at, key, tab)
        no_problems(at)
