"""Run an untrusted parser in worker processes, each call under a wall-time and a memory limit.

Why: an uploaded `tokenizer.json` is a program in disguise. On the lab server a 332-byte one
(`Split` on `(a|aa)+$`) held the interpreter for 8.9 s (the Rust call keeps the GIL: every page
froze), `Replace` normalizers can multiply the text without end, and a bad `Precompiled` charsmap
panics in Rust (pyo3's `PanicException`, a BaseException). The server never runs such code: it
sends bytes down a pipe and reads back size-capped JSON (never pickle: a subverted worker cannot
run code in the server).

A worker is a fresh `python -I` process with a bare environment (one Rust thread, no core dumps),
an address-space limit (RLIMIT_AS, `NLP_PLAYGROUND_SANDBOX_MB`) and a CPU-seconds backstop per
request (RLIMIT_CPU, should the server die mid-call). It keeps `CACHE_ENTRIES` parsed objects by
key (the SHA-256 of the bytes), so a rerun parses nothing; the server mirrors that cache to send
bytes only when needed. A call past its wall time (`NLP_PLAYGROUND_SANDBOX_SECONDS`; parsing gets
`PARSE_FACTOR` times as long) is answered by SIGKILL, and the next call starts a new worker
(50 ms). Threads share a pool (`NLP_PLAYGROUND_SANDBOX_WORKERS`), one call per worker at a time.

A `Handler(parse, methods)`, named "module:attribute", says what a worker may do; its module
must import without torch (torch alone outgrows the memory limit), which is why the one for
`tokenizer.json` is at the end of this file and not in `core.tokenizers`. This isolates
resources; it is no boundary against code execution (the worker runs as the server's user).
References: the `subprocess` and `resource` docs; `multiprocessing.Pool(maxtasksperchild=)`.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from core import errors
from core.settings import _float_env

ENV_SECONDS = "NLP_PLAYGROUND_SANDBOX_SECONDS"  # wall time of one call (default 2)
ENV_MEMORY_MB = "NLP_PLAYGROUND_SANDBOX_MB"  # address space of one worker (default 1024)
ENV_WORKERS = "NLP_PLAYGROUND_SANDBOX_WORKERS"  # workers per pool (default 2)
PARSE_FACTOR = 4  # parsing may take this many call times: a 5 MB, 128k-token BPE parses in 0.2 s
CACHE_ENTRIES = 4  # parsed objects per worker (that BPE takes 60 MB parsed)
MAX_FRAME = 64 * 2**20  # largest message either side accepts
BUSY_FACTOR = 5  # how many call times to wait for a free worker before refusing
_HEADER = struct.Struct(">II")  # frame: JSON length, payload length
ROOT = Path(__file__).resolve().parent.parent
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from core.sandbox import serve; serve(*sys.argv[2:])"
_ENV = {"PATH": os.defpath, "LANG": "C.UTF-8", "RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def call_seconds() -> float:
    return max(0.1, _float_env(ENV_SECONDS, 2.0))


def memory_mb() -> int:
    return max(64, int(_float_env(ENV_MEMORY_MB, 1024)))


def pool_size() -> int:
    return max(1, int(_float_env(ENV_WORKERS, 2)))


@dataclass(frozen=True)
class Handler:
    """What a worker may do: build an object from bytes, then call `methods[name](obj, *args)`.

    Both may raise `core.errors` types; the server re-raises them with their template and fields.
    """

    parse: Callable[[bytes], Any]
    methods: dict[str, Callable[..., Any]]


class WorkerFailed(Exception):
    """A call with no answer. `reason`: "timeout", "memory", "crash", "busy", or "error" (the
    parser raised: `detail` is its message as plain text). `seconds`, `megabytes`: the limits."""

    def __init__(self, reason: str, *, seconds: float = 0.0, detail: str = ""):
        super().__init__(reason)
        self.reason, self.seconds, self.detail, self.megabytes = reason, seconds, detail, memory_mb()


def plain(text: str, limit: int = 160) -> str:
    """Untrusted text (a library's error, a file name) reduced to characters that cannot be markup."""
    kept = "".join(ch if ch.isalnum() or ch in " .,;'=+-_/" else " " for ch in text)
    return " ".join(kept.split())[:limit]


# ---- frames: the only thing that crosses the pipe ------------------------------------------
def _wait(fd: int, event: int, deadline: float | None) -> None:
    """Block until `fd` is ready or `deadline` passes (`poll`: a server's fds pass select's 1024)."""
    if deadline is not None:
        poller = select.poll()
        poller.register(fd, event)
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            raise TimeoutError


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    data = bytearray()
    while len(data) < size:
        _wait(fd, select.POLLIN, deadline)
        chunk = os.read(fd, min(size - len(data), 2**20))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def _write_all(fd: int, data: bytes, deadline: float | None) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, select.POLLOUT, deadline)
        view = view[os.write(fd, view[: 2**20]):]


def _read_frame(fd: int, deadline: float | None) -> tuple[dict, bytes]:
    header_size, payload_size = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if header_size + payload_size > MAX_FRAME:
        raise ValueError("frame too large")
    header = json.loads(_read_exact(fd, header_size, deadline))
    return header, _read_exact(fd, payload_size, deadline)


def _write_frame(fd: int, header: dict, payload: bytes = b"", deadline: float | None = None) -> None:
    encoded = json.dumps(header, default=str).encode("utf-8")
    _write_all(fd, _HEADER.pack(len(encoded), len(payload)) + encoded + payload, deadline)


# ---- the worker process ----------------------------------------------------------------------
def serve(handler_path: str, megabytes: str, cpu_seconds: str) -> None:
    """The worker's loop: limits first, then the handler's import, then one request at a time."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = int(megabytes) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    module, _, attribute = handler_path.partition(":")
    handler: Handler = getattr(importlib.import_module(module), attribute)
    replies = os.dup(1)
    os.dup2(2, 1)  # a stray print goes to the log, not into a reply
    cache: OrderedDict[str, Any] = OrderedDict()
    while True:
        try:
            header, payload = _read_frame(0, None)
        except EOFError:  # the server closed the pipe (or died)
            return
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        resource.setrlimit(resource.RLIMIT_CPU, (int(used + float(cpu_seconds)) + 1, resource.RLIM_INFINITY))
        _write_frame(replies, _answer(handler, cache, header, payload))


def _answer(handler: Handler, cache: OrderedDict[str, Any], header: dict, payload: bytes) -> dict:
    key = header["key"]
    try:
        if header["op"] == "load":
            cache[key] = handler.parse(payload)
            while len(cache) > CACHE_ENTRIES:
                cache.popitem(last=False)
            return {"ok": None}
        if key not in cache:
            return {"missing": True}
        cache.move_to_end(key)
        return {"ok": handler.methods[header["method"]](cache[key], *header["args"])}
    except errors.PlaygroundError as err:
        return {"error": type(err).__name__, "template": err.template, "fields": err.fields}
    except MemoryError:
        cache.clear()
        return {"failed": "memory"}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # a Rust panic arrives as pyo3's PanicException, a BaseException
        return {"failed": "error", "detail": plain(str(err))}


# ---- the server side -------------------------------------------------------------------------
_ERRORS = {cls.__name__: cls for cls in (errors.InvalidSetting, errors.InvalidText, errors.Unsafe,
                                         errors.UnknownName, errors.Refused)}


class _Worker:
    """One worker process seen from the server, with a mirror of the keys it holds parsed."""

    def __init__(self, handler: str):
        self.handler = handler
        self.process: subprocess.Popen | None = None
        self.keys: OrderedDict[str, None] = OrderedDict()
        self.log: Any = None  # the worker's stderr (a temporary file), read to explain a death

    def start(self) -> None:
        seconds = call_seconds() * PARSE_FACTOR
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, str(ROOT), self.handler, str(memory_mb()), str(seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=_ENV, start_new_session=True)
        os.set_blocking(self.process.stdin.fileno(), False)
        self.keys.clear()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process.stdin.close()
            self.process.stdout.close()
            self.log.close()
            self.process = None

    def run(self, key: str, data: bytes, method: str, args: list) -> Any:
        seconds = call_seconds()
        for _ in range(2):  # a second round only if the worker lost the key (a restart)
            if key not in self.keys:
                self._result(self._exchange({"op": "load", "key": key}, data, seconds * PARSE_FACTOR))
                self.keys[key] = None
                while len(self.keys) > CACHE_ENTRIES:
                    self.keys.popitem(last=False)
            reply = self._exchange({"op": "call", "key": key, "method": method, "args": args}, b"", seconds)
            if not reply.get("missing"):
                self.keys.move_to_end(key)
                return self._result(reply)
            self.keys.pop(key, None)
        raise WorkerFailed("crash")

    def _exchange(self, header: dict, payload: bytes, seconds: float) -> dict:
        if self.process is None or self.process.poll() is not None:
            self.stop()
            self.start()
        self.log.seek(0)
        self.log.truncate()  # the worker shares this file offset: it writes from the start again
        deadline = time.monotonic() + seconds
        try:
            _write_frame(self.process.stdin.fileno(), header, payload, deadline)
            return _read_frame(self.process.stdout.fileno(), deadline)[0]
        except TimeoutError:
            self.stop()
            raise WorkerFailed("timeout", seconds=seconds) from None
        except (EOFError, OSError, ValueError):  # it died, or wrote something that is not a frame
            reason = self._death_reason()
            self.stop()
            raise WorkerFailed(reason, seconds=seconds) from None

    def _death_reason(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "crash"
        self.log.seek(0)
        said = self.log.read()[-4000:]  # Rust: "memory allocation of N bytes failed", then abort
        if code == -signal.SIGXCPU:
            return "timeout"
        out_of_memory = code == -signal.SIGKILL or b"memory allocation" in said or b"MemoryError" in said
        return "memory" if out_of_memory else "crash"

    def _result(self, reply: dict) -> Any:
        if "ok" in reply:
            return reply["ok"]
        if "error" in reply:
            raise _ERRORS.get(reply["error"], errors.Unsafe)(str(reply["template"]), **dict(reply["fields"]))
        if reply.get("failed") == "memory":
            self.keys.clear()
        raise WorkerFailed(str(reply.get("failed")), detail=plain(str(reply.get("detail", ""))))


class Sandbox:
    """A pool of workers for one handler; `run` is safe to call from many threads at once."""

    def __init__(self, handler: str, workers: int | None = None):
        self.handler = handler
        self._workers = [_Worker(handler) for _ in range(workers or pool_size())]
        self._idle = list(self._workers)
        self._changed = threading.Condition()
        atexit.register(self.close)

    def run(self, key: str, data: bytes, method: str, *args: Any) -> Any:
        """`method(parse(data), *args)` in a worker; `key` names `data` (its SHA-256) for the cache.

        Raises the handler's typed errors, or `WorkerFailed` when no answer came in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._idle, timeout=BUSY_FACTOR * call_seconds()):
                raise WorkerFailed("busy", seconds=BUSY_FACTOR * call_seconds())
            worker = next((w for w in self._idle if key in w.keys), self._idle[0])
            self._idle.remove(worker)
        try:
            return worker.run(key, data, method, list(args))
        finally:
            with self._changed:
                self._idle.append(worker)
                self._changed.notify()

    def close(self) -> None:
        """Stop the idle workers (a later `run` starts them again)."""
        with self._changed:
            for worker in self._idle:
                worker.stop()


# ---- the handler for HuggingFace tokenizer.json ------------------------------------------------
MAX_UNIGRAM_PIECE = 256  # characters: Unigram's lattice grows with the longest piece (T5's is 16)


def _parse_tokenizer(data: bytes) -> Any:
    from tokenizers import Tokenizer

    try:
        text = data.decode("utf-8")
        spec = json.loads(text)
    except (ValueError, RecursionError) as err:  # bad UTF-8, bad JSON, or JSON nested too deep
        raise errors.InvalidText("This is not a tokenizer.json: {detail}.", detail=plain(str(err))) from None
    model = spec.get("model") if isinstance(spec, dict) else None
    if isinstance(model, dict) and model.get("type") == "Unigram":
        longest = max((len(str(p[0])) for p in model.get("vocab") or [] if isinstance(p, list) and p), default=0)
        if longest > MAX_UNIGRAM_PIECE:
            raise errors.Unsafe("This Unigram tokenizer has a piece of {length:,} characters; pieces longer than "
                                "{limit} make encoding slow (the lattice grows with them), so it is refused.",
                                length=longest, limit=MAX_UNIGRAM_PIECE)
    try:
        tokenizer = Tokenizer.from_str(text)
    except Exception as err:  # the library's own message: which field it could not read
        raise errors.InvalidText("This is not a HuggingFace tokenizer.json that can be read here: {detail}.",
                                 detail=plain(str(err))) from None
    tokenizer.no_padding()  # the page shows the text's own tokens; padding could ask for 2**31 of them
    return tokenizer


def _pieces(tokenizer: Any, text: str) -> list[tuple[int, str, int, int]]:
    encoding = tokenizer.encode(text, add_special_tokens=False)
    return [(i, t, a, b) for i, t, (a, b) in zip(encoding.ids, encoding.tokens, encoding.offsets)]


HF_TOKENIZER = Handler(parse=_parse_tokenizer, methods={
    "describe": lambda tok: {"model": type(tok.model).__name__, "vocab_size": tok.get_vocab_size()},
    "pieces": _pieces,
    "encode": lambda tok, text: tok.encode(text, add_special_tokens=False).ids,
    "decode": lambda tok, ids: tok.decode(ids),
})
