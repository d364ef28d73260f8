"""Load test: many concurrent sessions on every page while a training job runs.

    python -m bench.load [--client protocol|browser] [--sessions 30] [--rounds 3] [--think 0]
                         [--replicas 1] [--cache DIR] [--url http://127.0.0.1:PORT] [--no-training]

Starts a server on loopback (or uses `--url`, which must be loopback), warms the models the pages
open on (tokenizers, embeddings, language model; cached in `--cache`), visits each page once (the
cold first render: the server imports and loads each page's models once), starts a long training
job from one more session (the anatomy page's positional-encoding experiment, watched by that
session), then opens `--sessions` sessions spread over the pages, all at once. Each records the
time to its first complete render, then changes one input `--rounds` times (`--think` seconds
apart on average) and records each rerun. Reports per page p50/p95 and errors (exception or error boxes,
console errors), and the server's memory per session and CPU. Bounded: a fixed number of
sessions, each action times out.

Two clients: `browser` opens Playwright contexts in one headless Chromium, the whole path with
rendering; on a small machine the renderers compete with the server for its cores, so the
figures are an upper bound. `protocol` (bench.stream_client) speaks Streamlit's websocket protocol
as a browser tab does, without rendering: what a server whose students' browsers run on their own
laptops sees.

`--replicas N` starts N servers on one cache and gives each session one of them in turn, as a
sticky-session proxy would (docs/hosting.md): one Python process runs page scripts one at a time
(the GIL), so on more cores more replicas serve more students.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench.common import table
from bench.stream_client import StreamSession
from harness.servers import is_base_path_probe

ROOT = Path(__file__).resolve().parents[1]
WARM_KINDS = ("tokenizer", "embeddings", "lm")
# page -> (widget key, the values it is given in turn, the query string that opens its tab);
# text is typed and submitted, numbers typed, booleans (a toggle) clicked
INTERACTIONS = {
    "tokenizers": ("tok_text", ["The quick brown fox.", "Unbelievable tokenization!", "naïve café ☃"], ""),
    "embeddings": ("emb_c", ["girl", "queen", "boy"], ""),
    "attention": ("lm_text", ["ROMEO:\nBut soft", "To be, or not", "KING:\nMy lord"], "lm_tab=Attention"),
    "decoding": ("dec_prompt", ["ROMEO:", "JULIET:\nO", "First Citizen:"], ""),
    "memory": ("mem_batch", [2, 8, 32], ""),
    "metrics": ("met_hyp", ["the cat sat", "a cat on a mat", "the dog barked"], ""),
    "anatomy": ("an_causal", [False, True, False], ""),
}
TRAINING_PAGE, TRAINING_BUTTON = "anatomy", "an_positions-train"
PAUSES = random.Random(0)  # a student's pause before each interaction: uniform in [0, 2 x --think]
SETTLE_JS = """async () => {
    const start = Date.now(); let lastBusy = Date.now();
    while (Date.now() - start < 120000) {
        const busy = document.querySelector(
            '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-stale="true"]');
        if (busy || !document.querySelector('[data-testid="stMain"] h1')) lastBusy = Date.now();
        else if (Date.now() - lastBusy > 700) return lastBusy;
        await new Promise(r => setTimeout(r, 50));
    }
    return -1;
}"""


@dataclass
class Session:
    page: str
    first_render_s: float | None = None
    reruns_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def settled_at(page) -> float:
    """Wall time (s) at which the page was last busy before 0.7 s of quiet."""
    last_busy_ms = await page.evaluate(SETTLE_JS)
    if last_busy_ms < 0:
        raise TimeoutError("the page never settled")
    return last_busy_ms / 1000


def training_query() -> str:
    """The anatomy page's positional-encoding experiment, with a seed chosen so that it is never
    already cached (minutes of training)."""
    return f"an_tab=Positional+encodings&an_positions_seed={int(time.time()) % 9000 + 1000}"


class BrowserClient:
    """Playwright contexts in one headless Chromium."""

    def __init__(self, browser, url: str):
        self.browser, self.url = browser, url

    async def session(self, name: str, rounds: int, think: float, url: str | None = None) -> Session:
        key, values, query = INTERACTIONS[name]
        session = Session(name)
        url = url or self.url
        context = await self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.on("console", lambda m: session.errors.append(m.text)
                if m.type == "error" and not is_base_path_probe(m.location.get("url", "")) else None)
        page.on("pageerror", lambda e: session.errors.append(str(e)))
        try:
            start = time.time()
            await page.goto(f"{url}/{name}?{query}", timeout=120_000)
            session.first_render_s = await settled_at(page) - start
            for value in values[:rounds]:
                await asyncio.sleep(PAUSES.uniform(0, 2 * think))
                start = time.time()
                await self._set(page, key, value)
                session.reruns_s.append(max(0.0, await settled_at(page) - start))
            boxes = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
            if boxes:
                session.errors.append(f"{boxes} error box(es)")
        except Exception as err:  # a timeout or a closed page is a result, not a crash of the benchmark
            session.errors.append(f"{type(err).__name__}: {err}")
        finally:
            await context.close()
        return session

    @staticmethod
    async def _set(page, key: str, value) -> None:
        if isinstance(value, bool):
            await page.locator(f".st-key-{key} label").first.click()
            return
        box = page.locator(f".st-key-{key} textarea, .st-key-{key} input").first
        await box.fill(str(value), timeout=120_000)
        await box.press("Control+Enter" if await box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")

    async def start_training(self):
        context = await self.browser.new_context()
        page = await context.new_page()
        await page.goto(f"{self.url}/{TRAINING_PAGE}?{training_query()}")
        await settled_at(page)
        await page.locator(f".st-key-{TRAINING_BUTTON} button").first.click()
        await page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
        return context


class ProtocolClient:
    """Sessions speaking Streamlit's websocket protocol (bench.stream_client), nothing rendered."""

    def __init__(self, url: str):
        self.url = url

    async def session(self, name: str, rounds: int, think: float, url: str | None = None) -> Session:
        key, values, query = INTERACTIONS[name]
        session = Session(name)
        try:
            async with StreamSession(url or self.url, name, query) as stream:
                session.first_render_s = await stream.run()
                for value in values[:rounds]:
                    await asyncio.sleep(PAUSES.uniform(0, 2 * think))
                    session.reruns_s.append(await stream.run([stream.state(key, value)]))
                session.errors += stream.errors
        except Exception as err:  # a timeout or a closed socket is a result, not a crash of the benchmark
            session.errors.append(f"{type(err).__name__}: {err}")
        return session

    async def start_training(self):
        """Press Train, then keep the session open and read what it is sent (its progress panel
        refreshes every second), as a lecturer's open tab does."""
        stream = StreamSession(self.url, TRAINING_PAGE, training_query())
        await stream.__aenter__()
        await stream.run()
        await stream.run([stream.state(TRAINING_BUTTON, True)])
        drain = asyncio.create_task(stream.drain())

        class Watching:
            async def close(self) -> None:
                drain.cancel()
                await stream.__aexit__(None, None, None)

        return Watching()


async def load(client, urls: list[str], sessions: int, rounds: int, think: float, server_pids: list[int],
               training: bool) -> str:
    cold = {}
    for url in urls:  # a lecturer's server has served each page before the class arrives
        for name in INTERACTIONS:
            visit = await client.session(name, 1, 0.0, url)
            if url == urls[0]:  # the other replicas are warmed the same way; one figure reported
                cold[name] = visit.first_render_s
    trainer = await client.start_training() if training else None
    rss_before = sum(rss_bytes(pid) for pid in server_pids)
    cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
    names = [list(INTERACTIONS)[i % len(INTERACTIONS)] for i in range(sessions)]
    started = time.time()
    results = await asyncio.gather(*(client.session(name, rounds, think, urls[i % len(urls)])
                                     for i, name in enumerate(names)))
    elapsed = time.time() - started
    rss_after = sum(rss_bytes(pid) for pid in server_pids)
    server_cpu = sum(cpu_seconds(pid) for pid in server_pids) - cpu_before
    if trainer is not None:
        await trainer.close()
    rows = []
    for name in INTERACTIONS:
        mine = [s for s in results if s.page == name]
        firsts = [s.first_render_s for s in mine if s.first_render_s is not None]
        reruns = [r for s in mine for r in s.reruns_s]
        rows.append({"page": name, "sessions": len(mine), "cold first render (s)": cold[name],
                     "first render p50 (s)": percentile(firsts, 0.5),
                     "first render p95 (s)": percentile(firsts, 0.95), "rerun p50 (s)": percentile(reruns, 0.5),
                     "rerun p95 (s)": percentile(reruns, 0.95), "errors": sum(len(s.errors) for s in mine)})
    every_rerun = [r for s in results for r in s.reruns_s]
    report = [table(rows, list(rows[0])), ""]
    during = "while a training job ran" if training else "with no training job"
    report.append(f"{type(client).__name__}: {sessions} sessions x {rounds} interactions ({think:g} s apart on average) "
                  f"on {len(urls)} server process(es) "
                  f"in {elapsed:.0f} s, {during}. All reruns: p50 {percentile(every_rerun, 0.5) or 0:.2f} s, "
                  f"p95 {percentile(every_rerun, 0.95) or 0:.2f} s, max {max(every_rerun, default=0):.2f} s.")
    if server_pids:
        report.append(f"Server memory: {rss_before / 2**20:.0f} MiB before the sessions, {rss_after / 2**20:.0f} MiB "
                      f"with them: {(rss_after - rss_before) / max(1, sessions) / 2**20:.1f} MiB per session.")
        report.append(f"Server CPU: {server_cpu:.0f} s over {elapsed:.0f} s of wall time on {os.cpu_count()} cores "
                      f"({server_cpu / (elapsed * (os.cpu_count() or 1)):.0%} of the machine).")
    for s in results:
        for error in s.errors[:2]:
            report.append(f"- error on {s.page}: {error[:200]}")
    return "\n".join(report)


async def run_load(urls: list[str], kind: str, sessions: int, rounds: int, think: float, server_pids: list[int],
                   training: bool) -> str:
    if kind == "protocol":
        return await load(ProtocolClient(urls[0]), urls, sessions, rounds, think, server_pids, training)
    from playwright.async_api import async_playwright

    from harness.browser import ARGS, system_chromium

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(headless=True, executable_path=system_chromium(),
                                                   args=ARGS + (["--no-sandbox"] if os.geteuid() == 0 else []))
        try:
            return await load(BrowserClient(browser, urls[0]), urls, sessions, rounds, think, server_pids, training)
        finally:
            await browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", choices=["protocol", "browser"], default="browser",
                        help="browser: Playwright contexts (rendering included); protocol: websocket sessions")
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions (at most 100)")
    parser.add_argument("--rounds", type=int, default=3, help="interactions per session (at most 3)")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds before each interaction (0-30; 0: all at once)")
    parser.add_argument("--replicas", type=int, default=1, help="server processes on one cache (1-8)")
    parser.add_argument("--cache", type=Path, help="cache folder (default: a new temporary one)")
    parser.add_argument("--url", help="an already running server on loopback")
    parser.add_argument("--no-training", action="store_true", help="measure without the concurrent training job")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100 or not 1 <= args.rounds <= 3 or not 0 <= args.think <= 30 \
            or not 1 <= args.replicas <= 8:
        parser.error("--sessions must be 1..100, --rounds 1..3, --think 0..30 and --replicas 1..8")
    if args.url and args.replicas != 1:
        parser.error("--replicas starts its own servers: leave out --url")
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address: this script never loads a server it does not own")
    cache = args.cache or Path(tempfile.mkdtemp(prefix="nlp-playground-load-"))
    env = {**os.environ, "NLP_PLAYGROUND_CACHE": str(cache)}
    print(f"Warming {', '.join(WARM_KINDS)} into {cache} ...", flush=True)
    subprocess.run([sys.executable, "-m", "core", "warm", *[f"--kind={k}" for k in WARM_KINDS]], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    from harness.servers import serving

    with contextlib.ExitStack() as stack:
        if args.url:
            urls, pids = [args.url], []
        else:
            servers = [stack.enter_context(serving(cache, log=cache / f"server{i}.log")) for i in range(args.replicas)]
            urls, pids = [url for url, _ in servers], [process.pid for _, process in servers]
        print(asyncio.run(run_load(urls, args.client, args.sessions, args.rounds, args.think, pids,
                                   not args.no_training)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
