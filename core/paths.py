"""Local model folders may only be read from the configured roots (no `..` or link escapes).

A user's path is first checked against the roots by its text alone (`os.path.normpath`), so
nothing outside them is ever looked up: answering "no such file" for `/etc/shadow` would say
whether it exists. Only then is it resolved (following links) and checked again. Messages show a
path relative to its root (`shown`), never the server's own folders.
"""

from __future__ import annotations

import os
from pathlib import Path

from core import settings
from core.errors import InvalidSetting


def looks_like_path(text: str) -> bool:
    """Whether the user means a local path rather than a Hub name, judged by its shape alone:
    it starts with `/`, `.` or `~`, ends with `.json`, or holds a backslash or two `/`."""
    return text.startswith(("/", ".", "~")) or text.endswith(".json") or "\\" in text or text.count("/") > 1


def _roots() -> tuple[list[Path], list[Path]]:
    """The roots as configured (absolute, normalised) and as resolved (links followed)."""
    given = [Path(os.path.abspath(root.expanduser())) for root in settings.model_roots()]
    return given, [root.resolve() for root in given]


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def confined(path: str | Path) -> Path:
    """`path` resolved (relative paths against the first root) if it lies inside a model root.

    Raises `InvalidSetting` for a path outside the roots (by its text, then after following
    links) or one that does not exist; the messages name no server folder.
    """
    given, resolved_roots = _roots()
    text = str(path)
    candidate = Path.home() / text[2:] if text == "~" or text.startswith("~/") else Path(text)
    if not candidate.is_absolute():
        candidate = resolved_roots[0] / candidate
    lexical = Path(os.path.normpath(candidate))
    if "\x00" in text or not _inside(lexical, given + resolved_roots):
        raise _outside()
    try:
        resolved = lexical.resolve()
    except (OSError, RuntimeError):  # a loop of links inside a root
        raise InvalidSetting("`{path}` is a loop of links.", path=shown(lexical)) from None
    if not _inside(resolved, resolved_roots):  # a link inside a root that points out of it
        raise _outside()
    if not resolved.exists():
        raise InvalidSetting("There is no file or folder at `{path}` in the model folders.", path=shown(lexical))
    return resolved


def _outside() -> InvalidSetting:
    return InvalidSetting("That path is outside the folders models may be loaded from. Copy the model into one "
                          "of them, or ask the administrator to add its folder to {setting}.",
                          setting=settings.ENV_MODEL_ROOTS)


def shown(path: Path) -> str:
    """`path` as a user may see it: relative to the model root holding it (`.` for the root)."""
    given, resolved_roots = _roots()
    root = next((root for root in resolved_roots + given if _inside(path, [root])), None)
    if root is None:
        return "that path"
    relative = path.relative_to(root).as_posix()
    return "".join(ch for ch in relative if ch.isprintable() and ch != "`")[:200] or "."
