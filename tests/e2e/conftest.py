"""Start the real server on a free loopback port and a real Chromium for the browser tests."""

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

import pytest

from core import settings
from tests.e2e.browser import launch

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(cache: Path, port: int, extra_env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    """A real server on loopback; its stderr goes to `log` when given (a pipe nobody reads could
    fill up and stall a long-running server), else to a pipe read if it dies at start."""
    env = {**os.environ, settings.ENV_CACHE_DIR: str(cache), **(extra_env or {})}
    stderr = open(log, "w") if log is not None else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
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


@pytest.fixture(scope="session")
def server_cache(tmp_path_factory) -> Path:
    """The browser tests' server's cache folder (tests may train into it before opening pages)."""
    return tmp_path_factory.mktemp("e2e-cache")


@contextlib.contextmanager
def serving(cache: Path, port: int | None = None, log: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """A healthy server on loopback for the block, stopped after it (unless a test killed it)."""
    port = port or free_port()
    process = start_server(cache, port, log=log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(20)


@pytest.fixture(scope="session")
def server(server_cache):
    with serving(server_cache) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


LM_STEPS = 20
VECTORS = dict(dim=50, window=5, min_count=5, epochs=1)
# the query string that opens each page on the small models of `small_models` (settings live in the URL)
SMALL_MODELS_QUERY = {
    "tokenizers": "tok_corpus=tinyshakespeare&tok_vocab=1000",
    "embeddings": "emb_model=cbow&emb_corpus=tinyshakespeare&emb_dim=50&emb_epochs=1",
    "attention": f"lm_steps={LM_STEPS}",
    "decoding": f"dec_model=tinyshakespeare, {LM_STEPS} steps",
    "metrics": f"met_model=tinyshakespeare, {LM_STEPS} steps",
}


@pytest.fixture(scope="session")
def small_models(server_cache) -> dict[str, str]:
    """Small models trained into the server's cache (seconds, not the defaults' minutes), so every
    page draws its tabs; returns the query string that opens each page on them."""
    from core.embeddings.jobs import embedding_spec
    from core.jobs import ArtifactStore, JobManager
    from core.lm.jobs import lm_spec
    from core.tokenizers.jobs import ALGORITHMS, default_spec

    manager = JobManager(ArtifactStore(server_cache), workers=1)
    specs = [default_spec(algorithm, "tinyshakespeare", 1000) for algorithm in ALGORITHMS]
    specs += [lm_spec(steps=LM_STEPS), embedding_spec("cbow", "tinyshakespeare", **VECTORS)]
    for spec in specs:
        job = manager.run(spec, timeout=600)
        assert job.error is None, job.error
    return SMALL_MODELS_QUERY
