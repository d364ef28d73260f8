"""The server never reaches outside the machine on its own, even when a browser from elsewhere
connects and outbound traffic hangs (#15: Streamlit looked up its public IP on the event loop)."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from app.catalog import available_pages
from harness.network import HangingProxy
from harness.servers import ROOT, serving
from tests.e2e.helpers import PageWatch

pytestmark = pytest.mark.e2e
AUDIT = {"PYTHONPATH": str(ROOT / "harness" / "netaudit")}


def health_latency(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=30) as response:
        assert response.read() == b"ok"
    return time.perf_counter() - start


async def foreign_sockets(url: str, count: int) -> None:
    """`count` websockets from a foreign origin, at once (the server may refuse them: it must not stall)."""
    async def one() -> None:
        try:
            async with websockets.connect(url.replace("http", "ws") + "/_stcore/stream",
                                          origin="http://attacker.example", open_timeout=20):
                pass
        except Exception:  # noqa: BLE001 (refused is the expected outcome)
            pass

    await asyncio.gather(*(one() for _ in range(count)))


def test_foreign_origins_never_make_the_server_look_itself_up(tmp_path):
    proxy = HangingProxy()
    env = {**AUDIT, "NLP_PLAYGROUND_NET_AUDIT": str(tmp_path / "net.log"), "HTTP_PROXY": proxy.url,
           "HTTPS_PROXY": proxy.url, "http_proxy": proxy.url, "https_proxy": proxy.url}
    with serving(tmp_path / "cache", extra_env=env, log=tmp_path / "server.log") as (url, _):
        worst = []
        attack = threading.Thread(target=lambda: asyncio.run(foreign_sockets(url, 5)))
        attack.start()
        while attack.is_alive():
            worst.append(health_latency(url))
        attack.join()
    assert proxy.accepted == 0, "the server tried to reach the outside world"
    assert max(worst) < 0.5, worst
    log = tmp_path / "net.log"
    assert not log.exists() or not log.read_text(), log.read_text()


def test_starting_and_opening_every_page_makes_no_outbound_connection(tmp_path, browser):
    log: Path = tmp_path / "net.log"
    env = {**AUDIT, "NLP_PLAYGROUND_NET_AUDIT": str(log)}
    with serving(tmp_path / "cache", extra_env=env, log=tmp_path / "server.log") as (url, _):
        page = browser.new_page()
        watch = PageWatch(page)
        for info in [None, *available_pages()]:
            page.goto(f"{url}/{info.url_path if info else ''}")
            watch.settle()
        watch.assert_clean()
        page.close()
    assert not log.exists() or not log.read_text(), log.read_text()
