"""What a training job is: a kind, a corpus and settings, and the key they hash to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal settings give equal strings (tuples as lists)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class JobSpec:
    """A request to train something. Two equal specs are the same job and the same artifact."""

    kind: str  # a registered job kind, e.g. "word2vec"
    corpus: str  # a corpus name from `core.corpora` ("tinyshakespeare", "upload:<digest>")
    settings_json: str  # canonical JSON of the settings; build with `JobSpec.of`

    @classmethod
    def of(cls, kind: str, corpus: str, settings: Mapping[str, Any] | None = None) -> "JobSpec":
        return cls(kind, corpus, canonical_json(dict(settings or {})))

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads(self.settings_json)

    @cached_property
    def key(self) -> str:
        """A deterministic key: the kind, its code version, the corpus and the settings."""
        from core.jobs.kinds import get_kind  # the kind's version invalidates old artifacts

        version = get_kind(self.kind).version
        text = f"{self.kind}\n{version}\n{self.corpus}\n{self.settings_json}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    @property
    def label(self) -> str:
        """A short description for progress panels and the job list."""
        shown = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return f"{self.kind} on {self.corpus}" + (f" ({shown})" if shown else "")
