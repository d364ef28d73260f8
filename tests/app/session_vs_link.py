"""The general check of every page: a change in the session equals a fresh link.

For a page and one of its tabs, each declared setting drawn there is changed in a running session
(to another value it can take); the page is then compared with a fresh session opened on the link
the first one wrote. "What the page shows" is every text, number, table and chart in the main area
and every declared setting's value; notes that explain a value changed to fit are left out (a fresh
link has nothing to explain).
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from core.views.params import Choice, Flag, Many, Number, Param, Params, Text
from tests.app.conftest import ENTRY

NOTE = ":material/auto_fix_high:"  # what app.components.messages.note starts with
SHOWN = ("title", "subheader", "header", "markdown", "caption", "metric", "dataframe", "table", "text", "code",
         "info", "warning", "error", "success", "json", "latex")


def open_link(page: str, query: dict[str, str], timeout: float = 180) -> AppTest:
    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    return at


def _value(element: Any) -> Any:
    if element.type == "metric":
        return (element.label, element.value, str(element.proto.delta))
    if element.type in ("dataframe", "table"):
        return element.value.to_csv()
    return str(element.value)


def shown(at: AppTest, params: Params) -> dict[str, Any]:
    """Everything the page's main area shows, and its settings."""
    seen: dict[str, Any] = {}
    for kind in SHOWN:
        values = [_value(e) for e in at.main.get(kind)]
        seen[kind] = [v for v in values if not (isinstance(v, str) and v.startswith(NOTE))]
    seen["charts"] = [json.loads(e.proto.spec) for e in at.main.get("plotly_chart")]
    seen["settings"] = {p.key: at.session_state[p.key] for p in params if p.key in at.session_state}
    return seen


def other_value(param: Param, element: Any) -> Any:
    """A value `param` can take that differs from the element's current one (None: no other)."""
    current = element.value
    if isinstance(param, Flag):
        return not current
    if isinstance(param, Text):
        return "a changed text" if current != "a changed text" else "another text"
    if isinstance(param, Number):
        low = getattr(element, "min", None) if getattr(element, "min", None) is not None else param.low
        high = getattr(element, "max", None) if getattr(element, "max", None) is not None else param.high
        candidate = low if current != low else min(high, low + param.step)
        return None if candidate == current else (int(candidate) if param.integer else float(candidate))
    if isinstance(param, (Choice, Many)):
        options = list(param.options) or None
        if isinstance(param, Many):
            return [] if current else list((options or [])[:1])
        if options is None:  # options the page computed: pick by position
            return ("index", (element.index + 1) % len(element.options)) if len(element.options) > 1 else None
        others = [o for o in options if o != current]
        return others[0] if others else None
    return None


def set_value(element: Any, value: Any) -> None:
    if isinstance(value, tuple) and value and value[0] == "index":
        element.select_index(value[1])
    elif element.type in ("text_input", "text_area"):
        element.input(value)
    else:
        element.set_value(value)


def drawn_params(at: AppTest, params: Params) -> list[tuple[Param, Any]]:
    """The page's declared settings whose widgets this run drew, enabled."""
    found = []
    for param in params:
        try:
            element = at.main.get_by_key(param.key) if hasattr(at.main, "get_by_key") else at.get_by_key(param.key)
        except (KeyError, ValueError):
            continue
        if element is not None and not getattr(element.proto, "disabled", False):
            found.append((param, element))
    return found


def check_every_control(page: str, params: Params, base_query: dict[str, str], tab: tuple[str, str] | None) -> int:
    """Change each drawn setting of the page (with `tab` = (key, id) open) in a session and compare
    with the link it wrote; returns how many settings were checked."""
    query = dict(base_query)
    if tab:
        query[tab[0]] = tab[1]
    session = open_link(page, query)
    assert not session.exception, [e.value for e in session.exception]
    checked = 0
    for param, _ in drawn_params(session, params):
        try:
            element = session.get_by_key(param.key)
        except (KeyError, ValueError):
            continue  # an earlier change removed it (another method's settings)
        if element is None or getattr(element.proto, "disabled", False):
            continue  # an earlier change disabled it (a preset's fields)
        value = other_value(param, element)
        if value is None:
            continue
        set_value(element, value)
        session.run()
        assert not session.exception, (param.key, [e.value for e in session.exception])
        link = {key: (v[0] if isinstance(v, list) else v) for key, v in session.query_params.items()}
        fresh = open_link(page, link)
        assert not fresh.exception, (param.key, [e.value for e in fresh.exception])
        mine, theirs = shown(session, params), shown(fresh, params)
        for part in mine:
            assert mine[part] == theirs[part], (f"after changing {param.key}: {part} differs", mine[part],
                                                theirs[part])
        checked += 1
    return checked
