"""A page's settings, declared once: their names (also the link's parameters), defaults and ranges.

A page lists its shareable settings as `Param`s in its view module (`core.views.<page>`). The app
draws each widget from its `Param` (`app.components.controls`), so the widget's range is the one
declared here; a value from a link is parsed and checked here before it reaches a widget; and a
value that no longer fits (a tile beyond the last tile after the block size grew) is replaced, with
a note saying so. Nothing is shareable unless declared: a button never ends up in a link.

Labels and help texts are English, marked with `N_` for the catalogues; the app translates them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from core.errors import InvalidSetting
from core.i18n import N_

MAX_LINK_CHARS = 2_000  # no value read from a link is longer, whatever its declared cap


@dataclass(frozen=True)
class Fitted:
    """A value made to fit, and why it changed (None when it already fitted)."""

    value: Any
    note: str | None = None  # an English template, translated where shown, with `fields`
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """One setting of a page."""

    key: str  # the widget's key and the link's parameter, prefixed by the page's prefix
    default: Any
    label: str  # English, N_-marked
    help: str = ""
    localized: Mapping[str, Any] = field(default_factory=dict)  # language -> its own default (a Chinese example)

    def default_in(self, language: str) -> Any:
        """The default in `language` (a page starts from Chinese examples in Chinese)."""
        return self.localized.get(language, self.default)

    def parse(self, raw: Any) -> Any:
        """A value as read from a link (JSON-decoded where it was JSON); `InvalidSetting` if it is
        not of this setting's type."""
        raise NotImplementedError

    def fit(self, value: Any, **bounds: Any) -> Fitted:
        """`value` made to fit the current bounds (fixed ones, or the `bounds` a page computes)."""
        raise NotImplementedError

    def encode(self, value: Any) -> str:
        """How the value is written in a link: text as it is (readable), the rest as JSON."""
        return value if isinstance(value, str) and not _looks_json(value) else json.dumps(value, ensure_ascii=False)


def _looks_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def decode(text: str) -> Any:
    """A link's value: JSON where it is JSON (numbers, lists, true/false), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _bad(param: Param, raw: Any) -> InvalidSetting:
    return InvalidSetting("{value!r} is not a value {label!r} can take.", value=str(raw)[:40], label=param.label)


@dataclass(frozen=True)
class Choice(Param):
    """One of a list of options (a select box, radio or select slider). Options are ids; the app
    shows `names[id]` (translated) when given, else the id itself."""

    options: tuple = ()  # empty: the page supplies the options when it draws (trained models)
    names: Mapping[Any, str] = field(default_factory=dict)

    def parse(self, raw: Any) -> Any:
        if not isinstance(raw, (str, int, float, bool)) or (isinstance(raw, str) and len(raw) > MAX_LINK_CHARS):
            raise _bad(self, raw)
        return raw

    def fit(self, value: Any, options: Sequence[Any] | None = None, **_: Any) -> Fitted:
        if options is None and not self.options:  # options known only when the page draws it
            return Fitted(value)
        options = list(self.options if options is None else options)
        if value in options:
            return Fitted(value)
        fallback = self.default if self.default in options else (options[0] if options else None)
        return Fitted(fallback, N_("{label}: {value!r} is not available here; showing {fallback!r}."),
                      {"label": self.label, "value": str(value)[:40], "fallback": self.names.get(fallback, fallback)})


@dataclass(frozen=True)
class Many(Param):
    """Several of a list of options (a multiselect)."""

    options: tuple = ()
    names: Mapping[Any, str] = field(default_factory=dict)

    def parse(self, raw: Any) -> Any:
        if not isinstance(raw, list) or len(raw) > 100 or not all(isinstance(v, (str, int, float)) for v in raw):
            raise _bad(self, raw)
        return list(raw)

    def fit(self, value: Any, options: Sequence[Any] | None = None, **_: Any) -> Fitted:
        if options is None and not self.options:
            return Fitted(list(value) if isinstance(value, (list, tuple)) else list(self.default))
        options = list(self.options if options is None else options)
        kept = [v for v in value if v in options] if isinstance(value, (list, tuple)) else list(self.default)
        if isinstance(value, (list, tuple)) and len(kept) == len(value):
            return Fitted(list(value))
        return Fitted(kept, N_("{label}: some choices are not available here and were left out."),
                      {"label": self.label})


@dataclass(frozen=True)
class Number(Param):
    """A number between `low` and `high` (a slider or a number box); whole unless `integer` is False."""

    low: float = 0
    high: float = 1
    step: float = 1
    integer: bool = True

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise _bad(self, raw)
        if self.integer and raw != int(raw):
            raise _bad(self, raw)
        return int(raw) if self.integer else float(raw)

    def fit(self, value: Any, low: float | None = None, high: float | None = None, **_: Any) -> Fitted:
        low = self.low if low is None else low
        high = self.high if high is None else high
        try:
            number = self.parse(value)
        except InvalidSetting:
            default = min(max(self.default, low), high)
            return Fitted(default, N_("{label}: {value!r} is not a number it can take; showing {fallback}."),
                          {"label": self.label, "value": str(value)[:40], "fallback": default})
        if low <= number <= high:
            return Fitted(number)
        clamped = min(max(number, low), high)
        clamped = int(clamped) if self.integer else clamped
        return Fitted(clamped, N_("{label}: {value} is outside {low}..{high} here; showing {fallback}."),
                      {"label": self.label, "value": number, "low": low, "high": high, "fallback": clamped})


@dataclass(frozen=True)
class Flag(Param):
    """On or off (a toggle or checkbox)."""

    def parse(self, raw: Any) -> Any:
        if not isinstance(raw, bool):
            raise _bad(self, raw)
        return raw

    def fit(self, value: Any, **_: Any) -> Fitted:
        return Fitted(value) if isinstance(value, bool) else Fitted(self.default)


@dataclass(frozen=True)
class Text(Param):
    """Text typed by a user, at most `max_chars` characters (enforced by the widget and for links)."""

    max_chars: int = 200

    def parse(self, raw: Any) -> Any:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = json.dumps(raw)  # "50" in a link is the text "50"
        if not isinstance(raw, str):
            raise _bad(self, raw)
        return raw

    def fit(self, value: Any, **_: Any) -> Fitted:
        if not isinstance(value, str):
            return Fitted(self.default)
        if len(value) <= self.max_chars:
            return Fitted(value)
        return Fitted(value[:self.max_chars], N_("{label}: the text was cut to {limit:,} characters."),
                      {"label": self.label, "limit": self.max_chars})

    def encode(self, value: Any) -> str:
        return value if not _looks_json(value) else json.dumps(value, ensure_ascii=False)


class Params:
    """A page's declared settings, by key."""

    def __init__(self, prefix: str, params: Iterable[Param]):
        self.prefix = prefix
        self.by_key: dict[str, Param] = {}
        for param in params:
            if not param.key.startswith(prefix):
                raise ValueError(f"{param.key} does not start with the page's prefix {prefix}")
            if param.key in self.by_key:
                raise ValueError(f"{param.key} is declared twice")
            self.by_key[param.key] = param

    def __iter__(self):
        return iter(self.by_key.values())

    def __contains__(self, key: str) -> bool:
        return key in self.by_key

    def __getitem__(self, key: str) -> Param:
        return self.by_key[key]

    def from_link(self, query: Mapping[str, str]) -> tuple[dict[str, Any], list[Fitted]]:
        """The page's values in a link's parameters (others ignored), each parsed and made to
        fit its fixed bounds; a value that cannot be read is left out with a note."""
        values, notes = {}, []
        for key, text in query.items():
            param = self.by_key.get(key)
            if param is None:
                continue
            try:
                fitted = param.fit(param.parse(decode(str(text)[:MAX_LINK_CHARS])))
            except InvalidSetting:
                notes.append(Fitted(param.default, N_("The link's value for {label} could not be read; showing the "
                                                      "default."), {"label": param.label}))
                continue
            values[key] = fitted.value
            if fitted.note:
                notes.append(fitted)
        return values, notes
