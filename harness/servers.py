"""Start the real server (`python -m app.serve`) on a free loopback port, and stop it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

from core import settings

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(cache: Path, port: int, extra_env: dict | None = None, log: Path | None = None,
                 options: tuple[str, ...] = ()) -> subprocess.Popen:
    """A real server on loopback; its stderr goes to `log` when given (a pipe nobody reads could
    fill up and stall a long-running server), else to a pipe read if it dies at start."""
    env = {**os.environ, settings.ENV_CACHE_DIR: str(cache), **(extra_env or {})}
    stderr = open(log, "w") if log is not None else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "app.serve", "--server.port", str(port), "--server.address", "127.0.0.1", *options],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read() if process.stderr else process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


@contextlib.contextmanager
def serving(cache: Path, port: int | None = None, log: Path | None = None, extra_env: dict | None = None,
            options: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """A healthy server on loopback for the block, stopped after it (unless a test killed it)."""
    port = port or free_port()
    process = start_server(cache, port, extra_env=extra_env, log=log, options=options)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)


def is_base_path_probe(url: str) -> bool:
    """Opened at a page's URL (/tokenizers), Streamlit's frontend first probes
    /tokenizers/_stcore/{health,host-config} to find its base path: those 404s are expected."""
    from urllib.parse import urlparse

    return urlparse(url).path.rsplit("/_stcore/", 1)[-1] in ("health", "host-config")
