"""What the home page shows: the corpora, and which pages are ready before a lecture."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from core.corpora import shipped_corpora
from core.jobs import JobManager
from core.views.params import Params

PARAMS = Params("home_", [])


def corpora() -> list[dict]:
    """One row per shipped corpus (the page translates the column names)."""
    return [{"corpus": c.name, "title": c.title, "language": c.language, "MB": round(c.size_bytes / 2**20, 1),
             "licence": c.licence, "what for": c.description} for c in shipped_corpora()]


@dataclass(frozen=True)
class Readiness:
    view: str  # the page's view module
    trained: int  # of the page's first models, how many are cached
    needed: int
    seconds: float  # the estimated time to train the rest on this server

    @property
    def ready(self) -> bool:
        return self.trained == self.needed


def readiness(manager: JobManager, views: list[str]) -> list[Readiness]:
    """For each page, whether the models it opens on are trained (`python -m core warm` trains them
    all), and if not how long they would take here."""
    rows = []
    for view in views:
        specs = getattr(importlib.import_module(view), "first_models", lambda: [])()
        missing = [spec for spec in specs if not manager.store.has(spec)]
        rows.append(Readiness(view, len(specs) - len(missing), len(specs),
                              sum(manager.estimate(spec).seconds for spec in missing)))
    return rows
