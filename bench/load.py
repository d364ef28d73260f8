"""Load test: many concurrent browser sessions on every page while a training job runs.

    python -m bench.load [--sessions 30] [--rounds 3] [--cache DIR] [--url http://127.0.0.1:PORT]

Starts a server on loopback (or uses `--url`, which must be loopback), warms the models the pages
open on (tokenizers, embeddings, language model; cached in `--cache`), starts a long training job
from one more session (the anatomy page's positional-encoding experiment), then opens
`--sessions` Playwright contexts spread over the pages, all at once (after one visit to each page,
reported as the cold first render: the server imports and loads each page's models once). Each records the time to
its first settled render, then changes one input `--rounds` times and records each settled
rerun. Reports per page p50/p95 and errors (exception boxes, console errors), and the server's
resident memory per session. Bounded: a fixed number of sessions, each action times out.

The browsers run on the same machine as the server, so on a small CPU their rendering competes
with it: the figures are an upper bound on what remote students would see.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bench.common import table
from tests.e2e.helpers import is_base_path_probe

ROOT = Path(__file__).resolve().parents[1]
WARM_KINDS = ("tokenizer", "embeddings", "lm")
# page -> (widget key, new values to type in turn, the tab holding it); the input is filled and submitted
INTERACTIONS = {
    "tokenizers": ("tok_text", ["The quick brown fox.", "Unbelievable tokenization!", "naïve café ☃"], None),
    "embeddings": ("emb_c", ["girl", "queen", "boy"], None),
    "attention": ("lm_text", ["ROMEO:\nBut soft", "To be, or not", "KING:\nMy lord"], "Attention"),
    "decoding": ("dec_prompt", ["ROMEO:", "JULIET:\nO", "First Citizen:"], None),
    "memory": ("mem_batch", ["2", "8", "32"], None),
    "metrics": ("met_hyp", ["the cat sat", "a cat on a mat", "the dog barked"], None),
    "anatomy": ("an_causal", None, None),  # a toggle: clicked
}
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


async def interact(page, name: str, value: str | None) -> None:
    key = INTERACTIONS[name][0]
    if value is None:
        await page.locator(f".st-key-{key} label").first.click()
        return
    field_ = page.locator(f".st-key-{key} textarea, .st-key-{key} input").first
    await field_.fill(value, timeout=120_000)
    await field_.press("Control+Enter" if await field_.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")


async def run_session(browser, url: str, name: str, rounds: int) -> Session:
    session = Session(name)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("console", lambda m: session.errors.append(m.text)
            if m.type == "error" and not is_base_path_probe(m.location.get("url", "")) else None)
    page.on("pageerror", lambda e: session.errors.append(str(e)))
    try:
        start = time.time()
        await page.goto(f"{url}/{name}", timeout=120_000)
        session.first_render_s = await settled_at(page) - start
        _, values, tab = INTERACTIONS[name]
        values = values or [None] * rounds
        if tab:
            await page.get_by_role("tab", name=tab, exact=True).click()
        for value in values[:rounds]:
            start = time.time()
            await interact(page, name, value)
            session.reruns_s.append(max(0.0, await settled_at(page) - start))
        boxes = await page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        if boxes:
            session.errors.append(f"{boxes} error box(es)")
    except Exception as err:  # a timeout or a closed page is a result, not a crash of the benchmark
        session.errors.append(f"{type(err).__name__}: {err}")
    finally:
        await context.close()
    return session


async def start_training(browser, url: str):
    """One more session presses Train on the anatomy page's positions experiment (minutes of work),
    with a seed chosen so that it is never already cached."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{url}/anatomy?an_positions_seed={int(time.time()) % 9000 + 1000}")
    await settled_at(page)
    await page.get_by_role("tab", name="Positional encodings").click()
    await page.locator(".st-key-an_positions-train button").first.click()
    await page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    return context


async def load(url: str, sessions: int, rounds: int, server_pid: int | None, training: bool = True) -> str:
    from playwright.async_api import async_playwright

    from tests.e2e.browser import ARGS, system_chromium

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(headless=True, executable_path=system_chromium(),
                                                   args=ARGS + (["--no-sandbox"] if os.geteuid() == 0 else []))
        cold = {}
        for name in INTERACTIONS:  # a lecturer's server has served each page before the class arrives
            primed = await run_session(browser, url, name, 1)
            cold[name] = primed.first_render_s
        trainer = await start_training(browser, url) if training else None
        rss_before = rss_bytes(server_pid) if server_pid else 0
        cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
        names = [list(INTERACTIONS)[i % len(INTERACTIONS)] for i in range(sessions)]
        started = time.time()
        results = await asyncio.gather(*(run_session(browser, url, name, rounds) for name in names))
        elapsed = time.time() - started
        rss_after = rss_bytes(server_pid) if server_pid else 0
        server_cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
        training_still_running = trainer is not None and await trainer.pages[0].locator(
            '[data-testid="stProgress"]').count() > 0
        if trainer is not None:
            await trainer.close()
        await browser.close()
    rows = []
    for name in INTERACTIONS:
        mine = [s for s in results if s.page == name]
        firsts = [s.first_render_s for s in mine if s.first_render_s is not None]
        reruns = [r for s in mine for r in s.reruns_s]
        rows.append({"page": name, "sessions": len(mine), "cold first render (s)": cold[name],
                     "first render p50 (s)": percentile(firsts, 0.5),
                     "first render p95 (s)": percentile(firsts, 0.95), "rerun p50 (s)": percentile(reruns, 0.5),
                     "rerun p95 (s)": percentile(reruns, 0.95), "errors": sum(len(s.errors) for s in mine)})
    report = [table(rows, list(rows[0])), ""]
    during = (f"while a training job ran ({'still running at the end' if training_still_running else 'finished meanwhile'})"
              if training else "with no training job")
    report.append(f"{sessions} sessions x {rounds} interactions in {elapsed:.0f} s, {during}.")
    if server_pid:
        report.append(f"Server memory: {rss_before / 2**20:.0f} MiB before the sessions, {rss_after / 2**20:.0f} MiB "
                      f"with them: {(rss_after - rss_before) / max(1, sessions) / 2**20:.1f} MiB per session.")
        report.append(f"Server CPU: {server_cpu:.0f} s over {elapsed:.0f} s of wall time on {os.cpu_count()} cores "
                      f"({server_cpu / (elapsed * (os.cpu_count() or 1)):.0%} of the machine; the browsers had the rest).")
    for s in results:
        for error in s.errors[:2]:
            report.append(f"- error on {s.page}: {error[:200]}")
    return "\n".join(report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent browser sessions (at most 100)")
    parser.add_argument("--rounds", type=int, default=3, help="interactions per session (at most 3)")
    parser.add_argument("--cache", type=Path, help="cache folder (default: a new temporary one)")
    parser.add_argument("--url", help="an already running server on loopback")
    parser.add_argument("--no-training", action="store_true", help="measure without the concurrent training job")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 100 or not 1 <= args.rounds <= 3:
        parser.error("--sessions must be 1..100 and --rounds 1..3")
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address: this script never loads a server it does not own")
    cache = args.cache or Path(tempfile.mkdtemp(prefix="nlp-playground-load-"))
    env = {**os.environ, "NLP_PLAYGROUND_CACHE": str(cache)}
    print(f"Warming {', '.join(WARM_KINDS)} into {cache} ...", flush=True)
    subprocess.run([sys.executable, "-m", "core", "warm", *[f"--kind={k}" for k in WARM_KINDS]], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    from tests.e2e.conftest import serving

    own = serving(cache, log=cache / "server.log") if args.url is None else contextlib.nullcontext((args.url, None))
    with own as (url, server):
        print(asyncio.run(load(url, args.sessions, args.rounds, server.pid if server else None, not args.no_training)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
