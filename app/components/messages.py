"""Messages on the page that may hold user text, shown literally.

`st.error`, `st.warning` and `st.info` render Markdown: a word typed by a student inside an error
(`![x](http://host/t.png)`) would become an image every visitor's browser fetches, or a link that
looks like the app's own. Every message goes through here, and every character Markdown gives a
meaning to is escaped, so the text shows exactly as it was typed.
"""

from __future__ import annotations

import re

import streamlit as st

from app.i18n import error_text
from core.errors import PlaygroundError

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def literal(text: str) -> str:
    """Markdown that renders as exactly `text` (no link, image, emphasis, HTML or math)."""
    return _MARKDOWN.sub(r"\\\1", str(text)).replace("\n", "  \n")


def _show(kind, message: str | PlaygroundError, icon: str) -> None:
    text = error_text(message) if isinstance(message, PlaygroundError) else message
    kind(literal(text), icon=icon)


def error(message: str | PlaygroundError) -> None:
    _show(st.error, message, ":material/error:")


def warning(message: str | PlaygroundError) -> None:
    _show(st.warning, message, ":material/warning:")


def info(message: str | PlaygroundError) -> None:
    _show(st.info, message, ":material/info:")


NOTE_ICON = ":material/auto_fix_high:"  # marks a note about a value changed to fit (tests look for it)


def note(message: str) -> None:
    """A quiet remark under a control (a value that was changed to fit)."""
    st.caption(f"{NOTE_ICON} {literal(message)}")
