"""Tokenizers trained elsewhere: a `tokenizer.json` (uploaded, in a local folder, or on the Hub).

They are wrapped so the page can show them like its own (pieces with spans, ids, decode). The
file is untrusted: it is parsed and run only in a worker process under time and memory limits
(`core.sandbox`: a regular expression that backtracks, a normalizer that multiplies the text or a
Rust panic cost that worker, never the server). Local folders are confined to the model roots and
told apart from Hub names by their shape alone; the Hub is off unless the host allows it
(`core.hub`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterable

from core import hub
from core.errors import InvalidSetting, InvalidText, Refused, Unsafe
from core.paths import confined, looks_like_path, shown
from core.sandbox import Sandbox, WorkerFailed, plain
from core.tokenizers.base import Piece

MAX_JSON_BYTES = 20 * 2**20  # Llama 3's tokenizer.json is 9 MB; a 5 MB one parses in 0.2 s
MAX_TEXT_CHARS = 100_000  # characters (or ids) per call: a page's text, not a corpus
SANDBOX = Sandbox("core.sandbox:HF_TOKENIZER")

_FAILURES = {  # WorkerFailed.reason -> (error type, sentence)
    "timeout": (Unsafe, "This tokenizer took longer than {seconds:g} s, so it was stopped: its rules are too "
                        "slow to run here (a regular expression that backtracks, say). Try a shorter text or "
                        "another tokenizer."),
    "memory": (Unsafe, "This tokenizer needed more than {megabytes:,} MB of memory, so it was stopped: its rules "
                       "make the text grow without end, or it is too large for this server."),
    "crash": (Unsafe, "This tokenizer crashed the process that runs it. Try another text or another tokenizer."),
    "error": (InvalidText, "This tokenizer failed on that text: {detail}."),
    "busy": (Refused, "Every tokenizer worker is busy with other requests; try again in a few seconds."),
}


class ExternalTokenizer:
    """A HuggingFace `tokenizers.Tokenizer`, parsed and run in a worker, behind this package's
    read-only interface (`pieces`, `encode`, `decode`, `name`, `algorithm`, `vocab_size`)."""

    def __init__(self, data: bytes, name: str):
        self.name = plain(name, 100) or "tokenizer.json"  # the page shows it as markdown
        self._data = data
        self._key = hashlib.sha256(data).hexdigest()  # the worker's cache key: a rerun parses nothing
        info = self._run("describe")
        self.algorithm = "hf-" + plain(str(info["model"]), 20).lower()
        self.vocab_size = int(info["vocab_size"])

    def pieces(self, text: str) -> list[Piece]:
        return [Piece(int(i), str(t), int(a), int(b)) for i, t, a, b in self._run("pieces", _bounded(text))]

    def encode(self, text: str) -> list[int]:
        return [int(i) for i in self._run("encode", _bounded(text))]

    def decode(self, ids: Iterable[int]) -> str:
        ids = [int(i) for i in ids]
        if len(ids) > MAX_TEXT_CHARS or not all(0 <= i < 2**32 for i in ids):
            raise InvalidSetting("Give at most {limit:,} token ids, none negative.", limit=MAX_TEXT_CHARS)
        return str(self._run("decode", ids))

    def _run(self, method: str, *args: Any) -> Any:
        try:
            return SANDBOX.run(self._key, self._data, method, *args)
        except WorkerFailed as failure:
            kind, template = _FAILURES.get(failure.reason, _FAILURES["crash"])
            raise kind(template, seconds=failure.seconds, megabytes=failure.megabytes,
                       detail=failure.detail or "no reason given") from None


def _bounded(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidText("The text must be a string, not {kind}.", kind=type(text).__name__)
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidText("This text has {length:,} characters; an uploaded tokenizer splits at most {limit:,} "
                          "at a time.", length=len(text), limit=MAX_TEXT_CHARS)
    return text


def from_json_bytes(data: bytes, name: str = "uploaded tokenizer.json") -> ExternalTokenizer:
    """The tokenizer in `data`; every way it can fail is a typed error with a sentence."""
    if len(data) > MAX_JSON_BYTES:
        raise InvalidText("This tokenizer.json is {size:.1f} MB; the largest accepted is {limit} MB.",
                          size=len(data) / 2**20, limit=MAX_JSON_BYTES // 2**20)
    return ExternalTokenizer(bytes(data), name)


def from_pretrained(name_or_path: str) -> ExternalTokenizer:
    """A `tokenizer.json` (or a folder holding one) inside the model roots, or a Hub name.

    Which one is decided from the text's shape (`looks_like_path`), never by asking the disk."""
    text = name_or_path.strip()
    if not text:
        raise InvalidSetting("Give a folder (starting with ./ or /), a tokenizer.json path or a Hub name.")
    if not looks_like_path(text):
        return from_json_bytes(hub.file_bytes(text, "tokenizer.json", MAX_JSON_BYTES), text)
    path = confined(text)
    if path.is_dir():
        path = confined(path / "tokenizer.json")
    return from_json_bytes(read_file(path, MAX_JSON_BYTES), path.name)


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of a confined file, refusing a folder or a file over `limit` before reading it."""
    if not path.is_file():
        raise InvalidSetting("`{path}` is a folder, not a file.", path=shown(path))
    if path.stat().st_size > limit:
        raise InvalidText("`{path}` is larger than {limit} MB.", path=shown(path), limit=limit // 2**20)
    return path.read_bytes()
