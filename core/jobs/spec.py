"""What a training job is: a kind (at a code version), a corpus and settings, and the key they hash to.

A spec is built by its kind (`JobKind.spec(corpus, settings)`), which stamps the kind's version
into it, so the key needs no registry lookup: two equal specs are the same job and the same
artifact, and a kind whose code changed (a new version) never loads an old artifact.
"""

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
    version: int  # the kind's code version when the spec was made
    corpus: str  # a corpus name from `core.corpora` ("tinyshakespeare", "upload:<digest>"), or "none"
    settings_json: str  # canonical JSON of the settings

    @classmethod
    def of(cls, kind: str, version: int, corpus: str, settings: Mapping[str, Any] | None = None) -> "JobSpec":
        return cls(kind, version, corpus, canonical_json(dict(settings or {})))

    @property
    def settings(self) -> dict[str, Any]:
        return json.loads(self.settings_json)

    @cached_property
    def key(self) -> str:
        """A deterministic key: the kind, its code version, the corpus and the settings."""
        text = f"{self.kind}\n{self.version}\n{self.corpus}\n{self.settings_json}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    @property
    def label(self) -> str:
        """A short description for logs and the command line."""
        shown = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return f"{self.kind} on {self.corpus}" + (f" ({shown})" if shown else "")

    def as_dict(self) -> dict[str, Any]:
        """The spec as plain JSON data (stored beside its artifact, sent to remote workers)."""
        return {"kind": self.kind, "version": self.version, "corpus": self.corpus, "settings": self.settings}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "JobSpec":
        return cls.of(data["kind"], int(data["version"]), data["corpus"], data["settings"])
