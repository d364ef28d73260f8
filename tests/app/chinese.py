"""What "the page is in Chinese" means to the tests: every piece of interface text (titles, labels,
captions, messages, tab and column names, chart titles, axes and legends) reads as Chinese; English
left in it shows as a run of English function words. Data (texts typed or shipped, tokens, words,
model samples) is not interface text and is not checked."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ENGLISH_WORDS = re.compile(r"\b(the|of|and|to|is|are|with|for|this|that|from|each|by|not|or|at|on|in|it|be|as|an|"
                           r"when|which|what|how|your|you|its|than|into|one|has|have)\b")
# code, a link's text (papers keep their titles) and address, placeholders, icons
IGNORED = re.compile(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|https?://\S+|\{[^}]*\}|:material/[a-z_]+:")


def english_left(text: str) -> bool:
    """True for a string that is still an English sentence (two function words or more, and hardly
    any Chinese), whatever technical names it holds."""
    plain = IGNORED.sub(" ", text)
    words = ENGLISH_WORDS.findall(plain.lower())
    letters = len(re.findall(r"[A-Za-z]", plain))
    chinese = len(CJK.findall(plain))
    return len(words) >= 2 and chinese < 0.25 * max(1, letters)


def chart_texts(spec: dict) -> Iterable[str]:
    """A Plotly figure's interface text: its title, axis titles, colour-bar titles, legend names."""
    layout = spec.get("layout", {})
    for key, value in layout.items():
        if isinstance(value, dict) and "title" in value:
            title = value["title"]
            yield title.get("text", "") if isinstance(title, dict) else str(title)
    for trace in spec.get("data", []):
        if trace.get("showlegend", True) is not False and isinstance(trace.get("name"), str):
            yield trace["name"]


def interface_texts(at: Any) -> list[str]:
    """Every interface string an AppTest run drew (main area and sidebar)."""
    texts: list[str] = []
    for block in (at.main, at.sidebar):
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
            texts += [str(e.value) for e in block.get(kind)]
        texts += [e.label for e in block.get("metric")]
        for kind in ("selectbox", "select_slider", "slider", "number_input", "text_input", "text_area", "toggle",
                     "radio", "multiselect", "checkbox", "button", "download_button", "expander"):
            texts += [str(getattr(e, "label", "") or "") for e in block.get(kind)]
        texts += [str(column) for e in block.get("dataframe") for column in e.value.columns]
        texts += [t for e in block.get("plotly_chart") for t in chart_texts(json.loads(e.proto.spec))]
    texts += [tab.label for tab in at.tabs]
    return [t for t in texts if t and t.strip()]


def untranslated(at: Any) -> list[str]:
    return [text for text in interface_texts(at) if english_left(text)]
