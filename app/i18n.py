"""The session's language and the one translating call every page uses: `t("English text", **fields)`.

The language comes from the link (`?lang=zh`), else the sidebar's choice kept in the session, else
the browser's language on the first visit (`st.context.locale`). It is a global setting like the
presenter options: switching it keeps every page setting (settings hold language-neutral ids, never
translated labels).
"""

from __future__ import annotations

from typing import Any, Iterable

import streamlit as st

from core.errors import PlaygroundError
from core.i18n import LANGUAGES, SOURCE_LANGUAGE, translator
from core.progress import ProgressEvent

KEY = "lang"  # the session key and the link's parameter


def language() -> str:
    """The session's language code ("en" or "zh")."""
    chosen = st.session_state.get(KEY)
    if chosen in LANGUAGES:
        return chosen
    linked = st.query_params.get(KEY, "")
    if linked in LANGUAGES:
        return linked
    browser = (st.context.locale or "").lower()
    return "zh" if browser.startswith("zh") else SOURCE_LANGUAGE


def t(text: str, **fields: Any) -> str:
    """`text` in the session's language, its named fields filled in after translating."""
    translated = translator(language())(text)
    return translated.format(**fields) if fields else translated


def enumeration(items: Iterable[str]) -> str:
    """Items listed as the language writes a list: 'a, b, c' in English, '甲、乙、丙' in Chinese."""
    return t(", ").join(items)


def error_text(error: PlaygroundError) -> str:
    """A core error's sentence in the session's language."""
    return error.render(translator(language()))


def progress_text(event: ProgressEvent) -> str:
    return event.render(translator(language()))
