"""Typed errors raised at the boundary of `core`.

Every message names the argument at fault and how to fix it, so the app can show the message as
it is (never a traceback). They subclass `ValueError`/`KeyError` so plain Python callers can catch
them the usual way.
"""


class PlaygroundError(Exception):
    """Base class of every error that `core` means a user to read."""


class InvalidSetting(PlaygroundError, ValueError):
    """A setting is out of range, of the wrong type, or inconsistent with another setting."""


class InvalidText(PlaygroundError, ValueError):
    """Input text is empty, too large, binary or not UTF-8."""


class UnknownName(PlaygroundError, KeyError):
    """A name (corpus, word, model, job kind) is not known.

    `KeyError` quotes its argument in `str()`; this class keeps the message readable.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class JobCancelled(PlaygroundError):
    """Training stopped because its progress callback returned False or its job was cancelled."""


def require(condition: bool, message: str) -> None:
    """Raise `InvalidSetting(message)` unless `condition` holds: one-line boundary checks."""
    if not condition:
        raise InvalidSetting(message)
