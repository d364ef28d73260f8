"""The artifact cache on disk: safetensors + JSON, written atomically, checked on load.

Layout: `<root>/artifacts/<kind>/<key>/{tensors.safetensors, meta.json}`. An artifact is written
into `<root>/tmp/` and renamed into place in one step, so a reader sees a whole artifact or none,
even if the writer is killed midway. `meta.json` records the SHA-256 of the tensors file; an
artifact whose checksum or JSON does not verify is deleted and reported missing, so the job
trains again instead of loading garbage.

A file lock per key (`<root>/locks/<key>.lock`) lets several server processes that share one
cache folder train each key exactly once: the others wait on the lock and then load the result.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import torch
from safetensors.torch import load_file, save_file

from core import settings
from core.jobs.spec import JobSpec

TENSORS = "tensors.safetensors"
META = "meta.json"
SPEC = "spec.json"  # a small copy of the spec and facts: listing the cache never parses the data
STALE_TMP_S = 3600.0  # temp folders older than this were left by a killed writer


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class ArtifactStore:
    """Trained artifacts on disk, keyed by `JobSpec.key`."""

    def __init__(self, root: Path | None = None, max_bytes: int | None = None):
        self.root = Path(root) if root is not None else settings.cache_dir()
        self.max_bytes = settings.cache_max_bytes() if max_bytes is None else max_bytes
        self._prune_lock = threading.Lock()

    def path(self, spec: JobSpec) -> Path:
        return self.root / "artifacts" / spec.kind / spec.key

    @property
    def writable(self) -> bool:
        """Whether artifacts can be saved (the app says so when they cannot)."""
        try:
            (self.root / "tmp").mkdir(parents=True, exist_ok=True)
            probe = self.root / "tmp" / f".probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
            return True
        except OSError:
            return False

    def has(self, spec: JobSpec) -> bool:
        return (self.path(spec) / META).is_file()

    def load(self, spec: JobSpec) -> tuple[dict[str, torch.Tensor], dict] | None:
        """The artifact's tensors and metadata, or None if absent or corrupted (then deleted)."""
        folder = self.path(spec)
        if not (folder / META).is_file():
            return None
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            if _sha256(folder / TENSORS) != meta["checksum"]:
                raise ValueError("checksum mismatch")
            tensors = load_file(str(folder / TENSORS), device="cpu")
        except (OSError, ValueError, KeyError, TypeError):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(folder / META)  # last use, for least-recently-used eviction
        return tensors, meta["data"]

    def save(self, spec: JobSpec, tensors: dict[str, torch.Tensor], data: dict, **facts: object) -> Path:
        """Write an artifact atomically; raises `OSError` if the cache cannot be written.

        `facts` (training time, device, ...) are kept beside the data for the cache listing.
        """
        final = self.path(spec)
        tmp = self.root / "tmp" / f"{spec.key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            tensors = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
            save_file(tensors, str(tmp / TENSORS))
            with open(tmp / TENSORS, "rb+") as handle:
                os.fsync(handle.fileno())
            meta = {"spec": {"kind": spec.kind, "corpus": spec.corpus, "settings": spec.settings},
                    "checksum": _sha256(tmp / TENSORS), "created": time.time(), "facts": facts, "data": data}
            _fsync_write(tmp / META, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
            summary = {key: meta[key] for key in ("spec", "created", "facts")}
            _fsync_write(tmp / SPEC, json.dumps(summary, ensure_ascii=False).encode("utf-8"))
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(tmp, final)
            except OSError:
                if not self.has(spec):  # anything but "another process saved it first"
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.prune()
        return final

    @contextlib.contextmanager
    def lock(self, spec: JobSpec, *, should_stop: Callable[[], bool] = lambda: False,
             poll_s: float = 0.2) -> Iterator[bool]:
        """Hold the key's cross-process lock; yields False (no lock) if the cache is unwritable.

        Waits while another process holds it, polling `should_stop` so a cancelled job stops waiting
        (then raises `TimeoutError`).
        """
        try:
            (self.root / "locks").mkdir(parents=True, exist_ok=True)
            handle = open(self.root / "locks" / f"{spec.key}.lock", "a+b")
        except OSError:
            yield False
            return
        with handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if should_stop():
                        raise TimeoutError("stopped waiting for another process") from None
                    time.sleep(poll_s)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def entries(self) -> list[dict]:
        """Every stored artifact's spec, size and age, newest use first (for the cache listing)."""
        found = []
        for spec_path in (self.root / "artifacts").glob(f"*/*/{SPEC}"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                summary = json.loads(spec_path.read_text(encoding="utf-8"))
                folder = spec_path.parent
                size = sum(p.stat().st_size for p in folder.iterdir())
                found.append({**summary["spec"], "bytes": size, "used": (folder / META).stat().st_mtime,
                              "facts": summary.get("facts", {}), "path": folder})
        return sorted(found, key=lambda entry: -entry["used"])

    def prune(self) -> None:
        """Evict least recently used artifacts above `max_bytes`; clear stale temp folders."""
        with self._prune_lock:
            now = time.time()
            for tmp in (self.root / "tmp").glob("*"):
                with contextlib.suppress(OSError):
                    if now - tmp.stat().st_mtime > STALE_TMP_S:
                        shutil.rmtree(tmp, ignore_errors=True)
            entries = self.entries()
            total = sum(entry["bytes"] for entry in entries)
            while total > self.max_bytes and len(entries) > 1:
                oldest = entries.pop()
                shutil.rmtree(oldest["path"], ignore_errors=True)
                total -= oldest["bytes"]
