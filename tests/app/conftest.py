"""AppTest helpers: run the real entry file, on one page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRY = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"


@pytest.fixture
def open_page():
    def _open(page: str, timeout: float = 120) -> AppTest:
        at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
        at.run()
        if page != "views/home.py":
            at.switch_page(page).run()
        return at

    return _open


def no_problems(at: AppTest) -> None:
    """No exception, no error box: what every page test checks after each interaction."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def open_tab(at: AppTest, key: str, label: str) -> AppTest:
    """Open one of a page's tabs, as a click does (only the open tab's code runs; `key` holds its label)."""
    at.session_state[key] = label
    at.run()
    opened = [tab for tab in at.tabs if tab.label == label]
    assert opened and len(opened[0].children) > 0, f"tab {label!r} did not open"
    return at


def every_tab_opens_clean(at: AppTest, key: str) -> None:
    """Open each tab in turn (each one's code runs only when it is open) and check it."""
    for label in [tab.label for tab in at.tabs]:
        open_tab(at, key, label)
        no_problems(at)
