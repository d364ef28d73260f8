"""Typed errors raised at the boundary of `core`.

Every message names the argument at fault and how to fix it, so the app can show the message as
it is (never a traceback). They subclass `ValueError`/`KeyError` so plain Python callers can catch
them the usual way.

A message is a template with named fields, `InvalidSetting("steps must be positive, not
{steps!r}.", steps=steps)`, never an f-string: the template is what the translation catalogues
hold (see `core.i18n`), and the fields are filled in after translating. `str(error)` is the
English sentence.
"""

from __future__ import annotations

from typing import Any, Callable


class PlaygroundError(Exception):
    """Base class of every error that `core` means a user to read."""

    def __init__(self, message: str = "", /, **fields: Any):
        super().__init__(message)
        self.template = message
        self.fields = fields

    def __str__(self) -> str:
        return self.render(lambda text: text)

    def render(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language `gettext` translates into (English with the identity). A
        field that is itself a marked phrase ("the 256 bytes plus the special tokens") is
        translated too; other values (numbers, names, what a user typed) are left as they are."""
        template = gettext(self.template) if self.template else self.template
        fields = {name: gettext(value) if isinstance(value, str) else value for name, value in self.fields.items()}
        return template.format(**fields) if fields else template


class InvalidSetting(PlaygroundError, ValueError):
    """A setting is out of range, of the wrong type, or inconsistent with another setting."""


class InvalidText(PlaygroundError, ValueError):
    """Input text is empty, too large, binary or not UTF-8."""


class UnknownName(PlaygroundError, KeyError):
    """A name (corpus, word, model, job kind) is not known.

    `KeyError` quotes its argument in `str()`; this class keeps the message readable.
    """

    def __str__(self) -> str:
        return PlaygroundError.__str__(self)


class JobCancelled(PlaygroundError):
    """Training stopped because its progress callback returned False or its job was cancelled."""


class Refused(PlaygroundError):
    """A request the server will not run for this user now (a queue limit, a budget, a quota)."""


class Unsafe(PlaygroundError, ValueError):
    """An input (an uploaded file, a name) that cannot be processed without risk to the server."""


def require(condition: bool, message: str, /, **fields: Any) -> None:
    """Raise `InvalidSetting(message, **fields)` unless `condition` holds: one-line boundary checks."""
    if not condition:
        raise InvalidSetting(message, **fields)
