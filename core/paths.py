"""Local model folders may only be read from the configured roots (no `..` escapes)."""

from __future__ import annotations

from pathlib import Path

from core import settings
from core.errors import InvalidSetting


def confined(path: str | Path) -> Path:
    """`path` resolved (relative paths against the first root) if it lies inside a model root.

    Resolving follows symbolic links and `..`, so neither can reach outside the roots.
    """
    roots = [root.expanduser().resolve() for root in settings.model_roots()]
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    resolved = candidate.resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise InvalidSetting(f"{path} is outside the folders models may be loaded from ({allowed}). "
                             f"Copy it there, or ask the administrator to add its folder to {settings.ENV_MODEL_ROOTS}.")
    if not resolved.exists():
        raise InvalidSetting(f"There is no file or folder at {resolved}.")
    return resolved
