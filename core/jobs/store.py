"""The artifact cache on disk: safetensors + JSON, written atomically, checked on load, bounded.

Layout: `<root>/artifacts/<kind>/<key>/{tensors.safetensors, meta.json, spec.json}`. An artifact is
written into `<root>/tmp/` and renamed into place in one step, so a reader sees a whole artifact or
none, even if the writer is killed midway. `meta.json` records the SHA-256 of the tensors file; an
artifact that does not verify (or cannot be read for any reason) is deleted and reported missing,
so the job trains again instead of loading garbage.

A file lock per key (`<root>/locks/<key>.lock`) lets several server processes that share one
cache folder train each key exactly once: the others wait on the lock and then load the result.

The size cap counts everything the app writes under the root (artifacts, temporary folders,
locks, uploads, downloads) and the per-host compiled-kernel folder. Above it the least recently
used artifacts are evicted, except pinned ones (the models `python -m core warm` prepared for a
lecture); a user whose own artifacts exceed their quota loses their own oldest first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import torch
from safetensors.torch import load_file, save_file

from core import settings
from core.errors import JobCancelled
from core.jobs.spec import JobSpec

log = logging.getLogger(__name__)
TENSORS = "tensors.safetensors"
META = "meta.json"
SPEC = "spec.json"  # a small copy of the spec and facts: listing the cache never parses the data
PINNED = "pinned"  # an empty file: never evicted
STALE_TMP_S = 3600.0  # temp folders older than this were left by a killed writer on another host
HOST = socket.gethostname().replace("-", "_")


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


def folder_bytes(folder: Path) -> int:
    """Bytes of every file below `folder` (0 if it does not exist)."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ArtifactStore:
    """Trained artifacts on disk, keyed by `JobSpec.key`."""

    def __init__(self, root: Path | None = None, max_bytes: int | None = None, user_quota: int | None = None):
        self.root = Path(root) if root is not None else settings.cache_dir()
        self.max_bytes = settings.cache_max_bytes() if max_bytes is None else max_bytes
        self.user_quota = settings.user_quota_bytes() if user_quota is None else user_quota
        self._prune_lock = threading.Lock()
        self._listing: tuple[tuple, list[dict]] | None = None
        self.clean_temporary()

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
        """The artifact's tensors and metadata, or None if absent or unreadable (then deleted).

        Every failure is a miss: a checksum that does not match, JSON of the wrong shape, a file
        evicted by another process between the check and the read."""
        folder = self.path(spec)
        if not (folder / META).is_file():
            return None
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
            if meta["spec"] != spec.as_dict() or _sha256(folder / TENSORS) != meta["checksum"]:
                raise ValueError("artifact does not match its spec or checksum")
            tensors = load_file(str(folder / TENSORS), device="cpu")
            data = meta["data"]
        except Exception as err:  # noqa: BLE001 (whatever broke, the cure is to train again)
            log.warning("cached artifact %s (%s) unreadable (%s): removed", spec.label, spec.key, err)
            self.discard(spec)
            return None
        with contextlib.suppress(OSError):
            os.utime(folder / META)  # last use, for least-recently-used eviction
        return tensors, data

    def discard(self, spec: JobSpec) -> None:
        shutil.rmtree(self.path(spec), ignore_errors=True)
        self._listing = None

    def save(self, spec: JobSpec, tensors: dict[str, torch.Tensor], data: dict, *, owner: str = "host",
             **facts: object) -> Path:
        """Write an artifact atomically; raises `OSError` if the cache cannot be written.

        `owner` is the user it was trained for (for their quota); `facts` (training time, device)
        are kept beside the data for the cache listing."""
        final = self.path(spec)
        tmp = self.root / "tmp" / f"{spec.key}-{HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        try:
            tensors = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
            save_file(tensors, str(tmp / TENSORS))
            with open(tmp / TENSORS, "rb+") as handle:
                os.fsync(handle.fileno())
            meta = {"spec": spec.as_dict(), "checksum": _sha256(tmp / TENSORS), "created": time.time(),
                    "owner": owner, "facts": facts, "data": data}
            _fsync_write(tmp / META, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
            summary = {key: meta[key] for key in ("spec", "created", "owner", "facts")}
            _fsync_write(tmp / SPEC, json.dumps(summary, ensure_ascii=False).encode("utf-8"))
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(tmp, final)
            except OSError:
                if not self.has(spec):  # anything but "another process saved it first"
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._listing = None
        self.prune(owner)
        return final

    def pin(self, spec: JobSpec) -> None:
        """Never evict `spec`'s artifact (if it exists)."""
        with contextlib.suppress(OSError):
            if self.has(spec):
                (self.path(spec) / PINNED).touch()

    @contextlib.contextmanager
    def lock(self, spec: JobSpec, *, should_stop: Callable[[], bool] = lambda: False,
             poll_s: float = 0.2) -> Iterator[bool]:
        """Hold the key's cross-process lock; yields False (no lock) if the cache is unwritable.

        Waits while another process holds it, polling `should_stop` so a cancelled job stops waiting
        (it then raises `JobCancelled`)."""
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
                        raise JobCancelled("Cancelled while another server process was training this model.") from None
                    time.sleep(poll_s)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def entries(self, kind: str | None = None) -> list[dict]:
        """Every stored artifact's spec, owner, size and age, newest use first (for listings).

        The listing is rebuilt only when an artifact folder appeared or went (the kind folders'
        modification times), not on every page rerun."""
        base = self.root / "artifacts"
        with contextlib.suppress(OSError):
            stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in base.iterdir()))
            if self._listing is None or self._listing[0] != stamp:
                self._listing = (stamp, self._scan(base))
        found = self._listing[1] if self._listing else []
        return [entry for entry in found if kind is None or entry["kind"] == kind]

    def _scan(self, base: Path) -> list[dict]:
        found = []
        for spec_path in base.glob(f"*/*/{SPEC}"):
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                summary = json.loads(spec_path.read_text(encoding="utf-8"))
                folder = spec_path.parent
                found.append({**summary["spec"], "owner": summary.get("owner", "host"), "bytes": folder_bytes(folder),
                              "used": (folder / META).stat().st_mtime, "facts": summary.get("facts", {}),
                              "pinned": (folder / PINNED).exists(), "path": folder})
        return sorted(found, key=lambda entry: -entry["used"])

    def used_bytes(self) -> int:
        """Everything the app keeps: this root and the per-host compiled-kernel folder."""
        return folder_bytes(self.root) + folder_bytes(settings.compiled_cache_dir())

    def prune(self, owner: str | None = None) -> None:
        """Evict least recently used artifacts: first `owner`'s own beyond their quota (not the
        host's), then anyone's while the whole cache is above `max_bytes`; pinned ones stay."""
        with self._prune_lock:
            self._listing = None
            entries = [e for e in self.entries() if not e["pinned"]]
            if owner is not None and owner != "host":
                own = [e for e in entries if e["owner"] == owner]
                mine = sum(e["bytes"] for e in own)
                while mine > self.user_quota and len(own) > 1:
                    oldest = own.pop()
                    self._evict(oldest)
                    entries.remove(oldest)
                    mine -= oldest["bytes"]
            total = self.used_bytes()
            while total > self.max_bytes and len(entries) > 1:
                oldest = entries.pop()
                self._evict(oldest)
                total -= oldest["bytes"]

    def _evict(self, entry: dict) -> None:
        log.info("evicting %s artifact %s (%d bytes)", entry["kind"], entry["path"].name, entry["bytes"])
        shutil.rmtree(entry["path"], ignore_errors=True)
        self._listing = None

    def clean_temporary(self) -> None:
        """Remove temporary folders left by killed writers: this host's whose process is gone,
        anyone's older than an hour (replicas on other hosts share the folder)."""
        now = time.time()
        with contextlib.suppress(OSError):
            for tmp in (self.root / "tmp").iterdir():
                parts = tmp.name.rsplit("-", 3)
                own = len(parts) == 4 and parts[1] == HOST and parts[2].isdigit()
                with contextlib.suppress(OSError):
                    dead = own and not _pid_alive(int(parts[2]))
                    if dead or now - tmp.stat().st_mtime > STALE_TMP_S:
                        shutil.rmtree(tmp, ignore_errors=True)
