"""The load script's protocol client against the real server: sessions run pages and change inputs
as browser tabs do, concurrently, and see their own results."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.stream_client import StreamSession

pytestmark = pytest.mark.e2e


async def visit(url: str, page: str, query: str, key: str, value) -> StreamSession:
    async with StreamSession(url, page, query) as session:
        assert await session.run() > 0
        assert key in session.widgets, sorted(session.widgets)
        assert await session.run([session.state(key, value)]) > 0
        return session


def test_concurrent_protocol_sessions_each_see_their_own_input(server):
    async def main():
        return await asyncio.gather(*(
            visit(server, "metrics", "", "met_hyp", f"the quokka number {i} sat") for i in range(4)),
            visit(server, "memory", "", "mem_batch", 32),
            visit(server, "anatomy", "an_tab=flash", "an_causal", False))

    # in a thread of its own: the session's Playwright browser already runs an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        *metrics, memory, anatomy = pool.submit(asyncio.run, main()).result(timeout=300)
    for i, session in enumerate(metrics):
        assert not session.errors, session.errors
        drawn = " ".join(session.texts).replace("·", " ")  # token chips show spaces as ·
        assert f"number {i} sat" in drawn and not any(f"number {j} " in drawn for j in range(4) if j != i)
    assert memory.widgets["mem_batch"].number_is_int and not memory.errors
    assert not anatomy.errors
