"""One registry of the text the playground trains on: shipped corpora and a user's own text.

Shipped corpora live in `assets/corpora/<name>/` beside their `SOURCE.md`. A corpus is a list of
documents (books, plays, languages) whose lines are streamed, never loaded whole unless asked, so
a 57 MB corpus costs no memory until a trainer reads it.

A user's text is validated (size cap, UTF-8, not binary), stored under the cache folder by its
SHA-256, and then behaves like any shipped corpus under the name `upload:<digest>`; that name is
what training-job keys are built from, so the same text gives the same cached model.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from core import settings
from core.errors import InvalidText, UnknownName

CORPORA_DIR = settings.ASSETS_DIR / "corpora"
UPLOAD_PREFIX = "upload:"


@dataclass(frozen=True)
class Document:
    """One file of a corpus: a book, a play collection, one language of the UDHR."""

    id: str
    title: str
    path: Path
    language: str = "en"

    def lines(self) -> Iterator[str]:
        """Stream the document's lines without their line ends."""
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield line.rstrip("\r\n")

    def text(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class Corpus:
    """A named collection of documents with the facts a page shows about it."""

    name: str
    title: str
    language: str
    licence: str
    description: str
    documents: tuple[Document, ...] = field(repr=False)
    source: Path | None = None  # the SOURCE.md that documents origin and licence

    @property
    def size_bytes(self) -> int:
        """Size on disk (compressed size for gzipped books)."""
        return sum(doc.path.stat().st_size for doc in self.documents)

    def lines(self) -> Iterator[str]:
        """Stream every line of every document, in registry order."""
        for doc in self.documents:
            yield from doc.lines()

    def text(self, max_chars: int | None = None) -> str:
        """The corpus as one string, cut at `max_chars` (at a line end where possible)."""
        parts: list[str] = []
        total = 0
        for line in self.lines():
            if max_chars is not None and total + len(line) + 1 > max_chars:
                if not parts:
                    parts.append(line[:max_chars])
                break
            parts.append(line)
            total += len(line) + 1
        return "\n".join(parts)

    def document(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        raise UnknownName("Corpus {name!r} has no document {doc_id!r}.", name=self.name, doc_id=doc_id)


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _shakespeare() -> Corpus:
    root = CORPORA_DIR / "tinyshakespeare"
    return Corpus(
        name="tinyshakespeare",
        title="Tiny Shakespeare",
        language="en",
        licence="Public domain text (char-rnn repository: MIT)",
        description="Extracts from Shakespeare's plays, 1.1 MB: the classic character-level LM corpus.",
        documents=(Document("input", "Tiny Shakespeare", root / "input.txt"),),
        source=root / "SOURCE.md",
    )


def _gutenberg() -> Corpus:
    root = CORPORA_DIR / "english_gutenberg"
    docs = tuple(
        Document(row["file"].split("/")[-1].removesuffix(".txt.gz"), f"{row['title']} ({row['author']})",
                 root / row["file"])
        for row in _read_tsv(root / "manifest.tsv")
    )
    return Corpus(
        name="gutenberg",
        title="English Gutenberg books",
        language="en",
        licence="Public domain (USA), Project Gutenberg boilerplate stripped",
        description=f"{len(docs)} English books, 10.1M words: word vectors and analogies need this much.",
        documents=docs,
        source=root / "SOURCE.md",
    )


def udhr_languages() -> list[dict[str, str]]:
    """Rows of the UDHR's `languages.tsv`: code, language, script, file, bytes, chars, lines."""
    return _read_tsv(CORPORA_DIR / "udhr" / "languages.tsv")


def _udhr() -> Corpus:
    root = CORPORA_DIR / "udhr"
    docs = tuple(
        Document(row["code"], f"{row['language']} ({row['script']})", root / row["file"], row["code"])
        for row in udhr_languages()
    )
    return Corpus(
        name="udhr",
        title="Universal Declaration of Human Rights",
        language="multilingual",
        licence="Public domain",
        description=f"The same text in {len(docs)} languages and 28 scripts: tokenizer efficiency across languages.",
        documents=docs,
        source=root / "SOURCE.md",
    )


def _chinese() -> Corpus:
    root = CORPORA_DIR / "chinese_gutenberg"
    return Corpus(
        name="chinese",
        title="Chinese classics (Lu Xun, Hong Lou Meng)",
        language="zh",
        licence="Public domain (USA; Project Gutenberg)",
        description="Lu Xun's Call to Arms and Dream of the Red Chamber ch. 1-10, 167k characters.",
        documents=(
            Document("nahan", "吶喊 (Lu Xun)", root / "pg27166_nahan_luxun.txt", "zh"),
            Document("hongloumeng", "紅樓夢 ch. 1-10", root / "pg24264_hongloumeng_ch01-10.txt", "zh"),
        ),
        source=root / "SOURCE.md",
    )


_SHIPPED = {"tinyshakespeare": _shakespeare, "gutenberg": _gutenberg, "udhr": _udhr, "chinese": _chinese}
_loaded: dict[str, Corpus] = {}


def shipped_corpora() -> list[Corpus]:
    """Every corpus in `assets/`, in the order pages list them."""
    return [get_corpus(name) for name in _SHIPPED]


def get_corpus(name: str) -> Corpus:
    """A shipped corpus by name, or a user's stored text by its `upload:<digest>` name."""
    if name in _SHIPPED:
        if name not in _loaded:
            _loaded[name] = _SHIPPED[name]()
        return _loaded[name]
    if name.startswith(UPLOAD_PREFIX):
        for path in _upload_paths(name.removeprefix(UPLOAD_PREFIX)):
            if path.is_file():
                return _upload_corpus(name, path)
        raise UnknownName("The uploaded text {name!r} is no longer on the server: upload it again.", name=name)
    known = ", ".join(_SHIPPED)
    raise UnknownName("No corpus named {name!r}. Pick one of: {known}, or upload your own text.", name=name,
                      known=known)


def decode_user_text(data: bytes | str) -> str:
    """Validate a user's text and return it as `str` with `\\n` line ends.

    Raises `InvalidText` with a message a user can act on: empty, over the size cap, binary,
    or not UTF-8 (with the offending byte and its position).
    """
    cap = settings.max_text_bytes()
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > cap:
        raise InvalidText("The text is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB. Use a smaller file or a "
                          "part of it.", size_mb=size / 2**20, limit_mb=cap / 2**20)
    if isinstance(data, bytes):
        if b"\x00" in data[:8192]:
            raise InvalidText("This looks like a binary file, not text. Upload a plain-text (.txt) file.")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InvalidText("The file is not UTF-8 text (byte 0x{byte:02x} at position {start}). Save it as UTF-8 "
                              "and upload it again.", byte=err.object[err.start], start=err.start) from None
    text = data.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidText("The text is empty. Type, paste or upload some text first.")
    return text


def _upload_paths(digest: str) -> list[Path]:
    """Where an upload is kept: the cache folder, else (unwritable cache) a temporary folder."""
    if not digest.isalnum():
        raise UnknownName("{digest!r} is not an uploaded text's name.", digest=digest)
    folders = [settings.cache_dir() / "uploads", Path(tempfile.gettempdir()) / "nlp-playground-uploads"]
    return [folder / f"{digest}.txt" for folder in folders]


def _upload_corpus(name: str, path: Path) -> Corpus:
    return Corpus(
        name=name,
        title="Your text",
        language="unknown",
        licence="Yours",
        description=f"Text you supplied, {path.stat().st_size:,} bytes.",
        documents=(Document("text", "Your text", path, "unknown"),),
    )


def user_corpus(data: bytes | str) -> Corpus:
    """Validate a user's text, store it under its SHA-256 and return it as a corpus.

    Storing it makes the corpus name stable across reruns and processes, so training jobs on it
    are cached like jobs on shipped corpora. If the cache folder is not writable the text is kept
    in a temporary folder for this process instead.
    """
    text = decode_user_text(data)
    encoded = text.encode("utf-8")
    digest = hashlib.sha256(encoded).hexdigest()[:24]
    name = UPLOAD_PREFIX + digest
    candidates = _upload_paths(digest)
    for path in candidates:
        if path.is_file():
            return _upload_corpus(name, path)
    for path in candidates:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, encoded)
            return _upload_corpus(name, path)
        except OSError:
            continue
    raise InvalidText("The server could not store the text (no writable folder). Tell the administrator.")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
