"""Widgets drawn from a page's declared settings (`core.views.params`), in the session's language.

Every widget of a page goes through here, so that:
- its range and options are the declared ones (or the bounds the page computes now, e.g. a tile
  slider whose last tile depends on the block size);
- a value that no longer fits is replaced before the widget is drawn, with a note under it, never
  an exception (Streamlit refuses a slider whose value is beyond its maximum);
- a value the page derives from another setting (a preset's layers) is filled in (`forced`), so
  the session shows exactly what a fresh visit to the page's link shows;
- labels and help are translated, and options are language-neutral ids shown by name.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import streamlit as st

from app.components.messages import note
from app.i18n import language, t
from core.i18n import translator
from core.views.params import Choice, Flag, Many, Number, Param, Text


def _prepare(param: Param, forced: Any = None, **bounds: Any) -> None:
    """Put the value the widget must show into the session before it is drawn."""
    current = st.session_state.get(param.key, param.default_in(language()))
    fitted = param.fit(current if forced is None else forced, **bounds)
    if param.key not in st.session_state or st.session_state[param.key] != fitted.value:
        st.session_state[param.key] = fitted.value
    if fitted.note and forced is None:
        note(t(fitted.note, **{k: t(v) if k == "label" else v for k, v in fitted.fields.items()}))


def _common(param: Param, disabled: bool) -> dict[str, Any]:
    return {"label": t(param.label), "key": param.key, "help": t(param.help) if param.help else None,
            "disabled": disabled}


def _namer(param: Choice | Many, names: dict | None) -> Callable[[Any], str]:
    """How options are shown, in the language of this run, fixed now: Streamlit also calls it
    outside the script run (to match a value to its label), where the session cannot be read."""
    gettext = translator(language())
    shown = {value: gettext(name) for value, name in {**param.names, **(names or {})}.items()}
    return lambda value: shown.get(value, str(value))


def select(param: Choice, *, options: Sequence[Any] | None = None, names: dict | None = None, forced: Any = None,
           disabled: bool = False, on_change: Callable[[], None] | None = None, where=st) -> Any:
    """A select box of the param's options (or `options`, computed by the page); `on_change` runs
    before the next rerun when the user picks another (to refill the settings that depend on it)."""
    options = list(param.options if options is None else options)
    _prepare(param, forced, options=options)
    return where.selectbox(options=options, format_func=_namer(param, names), on_change=on_change,
                           **_common(param, disabled))


def radio(param: Choice, *, options: Sequence[Any] | None = None, names: dict | None = None, forced: Any = None,
          disabled: bool = False, where=st) -> Any:
    options = list(param.options if options is None else options)
    _prepare(param, forced, options=options)
    return where.radio(options=options, format_func=_namer(param, names), horizontal=True,
                       **_common(param, disabled))


def steps(param: Choice, *, options: Sequence[Any] | None = None, names: dict | None = None, forced: Any = None,
          disabled: bool = False, where=st) -> Any:
    """A select slider over ordered options (sizes, budgets)."""
    options = list(param.options if options is None else options)
    _prepare(param, forced, options=options)
    if len(options) < 2:  # Streamlit refuses a slider over one value: nothing to choose
        return options[0] if options else None
    return where.select_slider(options=options, format_func=_namer(param, names), **_common(param, disabled))


def slider(param: Number, *, low: float | None = None, high: float | None = None, forced: Any = None,
           disabled: bool = False, where=st) -> Any:
    low = param.low if low is None else low
    high = param.high if high is None else high
    _prepare(param, forced, low=low, high=high)
    if high <= low:  # a single possible value: nothing to slide
        return low
    kind = int if param.integer else float
    return where.slider(min_value=kind(low), max_value=kind(high), step=kind(param.step), **_common(param, disabled))


def number(param: Number, *, low: float | None = None, high: float | None = None, forced: Any = None,
           disabled: bool = False, where=st) -> Any:
    low = param.low if low is None else low
    high = param.high if high is None else high
    _prepare(param, forced, low=low, high=high)
    kind = int if param.integer else float
    return where.number_input(min_value=kind(low), max_value=kind(high), step=kind(param.step),
                              **_common(param, disabled))


def toggle(param: Flag, *, forced: Any = None, disabled: bool = False, where=st) -> bool:
    _prepare(param, forced)
    return where.toggle(**_common(param, disabled))


def text(param: Text, *, forced: Any = None, disabled: bool = False, placeholder: str | None = None,
         where=st) -> str:
    _prepare(param, forced)
    return where.text_input(max_chars=param.max_chars, placeholder=placeholder, **_common(param, disabled))


def area(param: Text, *, forced: Any = None, disabled: bool = False, height: int | None = None, where=st) -> str:
    _prepare(param, forced)
    return where.text_area(max_chars=param.max_chars, height=height, **_common(param, disabled))


def many(param: Many, *, options: Sequence[Any] | None = None, names: dict | None = None, where=st) -> list:
    options = list(param.options if options is None else options)
    _prepare(param, options=options)
    return where.multiselect(options=options, format_func=_namer(param, names), **_common(param, False))


def tabs(param: Choice, sections: dict[str, Callable[[], None]]) -> None:
    """Tabs that run only the open tab's code (measured: a page's hidden tabs cost most of its
    rerun, see "What a rerun costs" in docs/benchmarks.md). The open tab is a setting like any
    other (in the link), stored as its id; the tab widget itself holds the translated label under
    a key of its own."""
    ids = list(sections)
    labels = [t(param.names.get(i, i)) for i in ids]
    widget, drawn = f"{param.key}__open", f"{param.key}__drawn"
    clicked = st.session_state.get(widget)
    if clicked in labels and clicked != st.session_state.get(drawn):  # the user opened another tab
        st.session_state[param.key] = ids[labels.index(clicked)]
    fitted = param.fit(st.session_state.get(param.key, param.default), options=ids)
    st.session_state[param.key] = fitted.value
    st.session_state[widget] = st.session_state[drawn] = labels[ids.index(fitted.value)]
    for tab, draw in zip(st.tabs(labels, key=widget, on_change="rerun"), sections.values()):
        if tab.open:
            with tab:
                draw()
