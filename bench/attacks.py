"""Each attack docs/hosting.md defends against, run on a live server, and what it costs the others.

    python -m bench.attacks [--quick] [--cache DIR] [--only NAME] [--env NAME=VALUE ...]

Starts the real server (`python -m app.serve`) on loopback in `code` mode (students log in with the
class code, so the queue's per-student rules apply), with outbound traffic pointed at a proxy that
accepts and never answers and an audit hook that records any attempt to reach beyond loopback
(`harness/netaudit`). Trains the small models the pages open on into its cache first (seconds,
through `core.jobs`), and visits every page once (the cold first render is not an attack's cost).

Then, while three other students' sessions rerun light pages (memory, metrics BLEU) over and over
and a thread polls `/_stcore/health` every 100 ms, it runs each attack in turn through Streamlit's
own websocket protocol (`bench.stream_client`, as a browser tab speaks it, or as a modified client
may: widget values past the browser's `max_chars`) and reports per attack: the attack's own server
time (seconds until its rerun finished), the worst health latency and the other sessions' rerun
p50 and max while it ran, and whether the defence held, judged by what the page sent back
(refused / capped / sandboxed / literal). Goals (the issue's): other reruns < 2 s, health < 0.5 s,
attack < 3 s of server time.

The uploaded tokenizer goes through the page's real upload: a `file_urls_request` on the
websocket, an HTTP PUT to `/_stcore/upload_file/<session>/<file>` with the XSRF cookie and header
a browser sends, then the uploader's widget state in the next rerun.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.common import table
from bench.stream_client import FINISHED, StreamSession, Widget
from harness.network import HangingProxy

ROOT = Path(__file__).resolve().parents[1]
CLASS_CODE, LECTURER_CODE = "attack-bench-class", "attack-bench-lecturer"
GOALS = {"attack_s": 3.0, "health_s": 0.5, "others_s": 2.0}
HEALTH_EVERY_S = 0.1
MIN_WINDOW_S = 2.0  # each attack's window lasts at least this long, so the others rerun during it
OTHERS_PAUSE_S = 0.25  # a classmate's pause between reruns
LM_STEPS = 20  # the small language model the attention page opens on (`lm_steps=20`)
TINY_LM = f"lm_steps={LM_STEPS}"

# the attacks' material
REDOS_JSON = (b'{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,'
              b'"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(a|aa)+$"},"behavior":"Isolated","invert":false},'
              b'"post_processor":null,"decoder":null,'
              b'"model":{"type":"WordLevel","vocab":{"a":0,"[UNK]":1},"unk_token":"[UNK]"}}')
REDOS_TEXT = ("a" * 30 + "b") * 60  # 1,800 a's: backtracks far beyond the sandbox's 2 s
PANIC_A = 34  # a's, then a b: the regex engine's retry limit, a Rust panic
INJECTION = "![x](http://attacker.example/t.png)"
HUB_NAME = "bert-base-uncased"
MAX_SETTINGS = "lm_layers=8&lm_width=256&lm_context=256&lm_steps=5000"  # the attention page's largest
OTHERS = (("metrics", "met_hyp", ["the cat sat", "a cat on a mat", "the dog barked", "the cat is on the mat"],
           "met_tab=bleu"),
          ("memory", "mem_batch", [2, 8, 32, 4], ""),
          ("metrics", "met_hyp", ["a dog on a log", "the cat sat on it", "cats sit", "the mat"], "met_tab=bleu"))


def unescaped(markdown: str) -> str:
    """Markdown's backslash escapes removed: the text a reader sees (`app.components.messages.literal`)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def prose(text: str, size: int, seed: int = 0) -> str:
    """`size` characters of varied English-like text (a fresh one per `seed`: no cache answers it)."""
    words = ["the", "cat", "sat", "on", "the", "mat", "while", "a", "dog", "barked", "at", "the", "moon", "and",
             "nobody", "slept", "that", "night", "because", "the", "wind", "kept", "rattling", "every", "window"]
    out, i, length = [], seed, len(text)
    while length < size:
        word = words[i % len(words)] + ("s" if (i * 7 + seed) % 5 == 0 else "")
        out.append(word)
        length += len(word) + 1
        i += 3 + (i % 4)
    return (text + " ".join(out))[:size]


# ---- a browser tab, as the protocol client speaks it, with what the attacks need ---------------------
@dataclass
class Tab(StreamSession):
    """A `StreamSession` that also logs in, uploads a file and keeps what the last run drew:
    alerts (format, body), every Markdown/HTML body, image URLs, bytes received."""

    session_id: str = ""
    alerts: list[tuple[str, str]] = field(default_factory=list)
    bodies: list[tuple[str, str]] = field(default_factory=list)  # ("markdown" | "html", body)
    image_urls: list[str] = field(default_factory=list)
    received: int = 0  # bytes of the last run's messages
    sticky: dict[str, WidgetState] = field(default_factory=dict)  # sent with every run (an uploaded file)
    drawn: set[str] = field(default_factory=set)  # the user keys of the widgets the last run drew
    _pending: dict[str, ForwardMsg] = field(default_factory=dict)

    async def run(self, states: list | None = None, timeout: float = 120) -> float:
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query
        client.page_name = self.page
        merged = {s.id: s for s in [*self.sticky.values(), *(states or [])]}
        client.widget_states.widgets.extend(merged.values())
        self.texts, self.alerts, self.bodies, self.image_urls, self.errors, self.received = [], [], [], [], [], 0
        self.drawn = set()
        start = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        while True:
            forward = await self._receive(start + timeout)
            kind = forward.WhichOneof("type")
            if kind == "delta":
                self._read_delta(forward.delta)
            elif kind == "script_finished" and forward.script_finished == FINISHED:
                return time.perf_counter() - start

    async def _receive(self, deadline: float) -> ForwardMsg:
        raw = await asyncio.wait_for(self._socket.recv(), timeout=max(0.1, deadline - time.perf_counter()))
        self.received += len(raw)
        forward = ForwardMsg()
        forward.ParseFromString(raw)
        kind = forward.WhichOneof("type")
        if kind == "new_session":
            self.session_id = forward.new_session.initialize.session_id
        elif kind == "file_urls_response":
            self._pending[forward.file_urls_response.response_id] = forward
        elif kind == "page_not_found":
            raise LookupError(f"no page {self.page!r}")
        return forward

    def _read_delta(self, delta) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "markdown":
            self.bodies.append(("markdown", element.markdown.body))
            self.texts.append(element.markdown.body)
        elif kind == "html":
            self.bodies.append(("html", element.html.body))
            self.texts.append(element.html.body)
        elif kind == "alert":
            self.alerts.append((Alert.Format.Name(element.alert.format), element.alert.body))
            self.bodies.append(("markdown", element.alert.body))
            if element.alert.format == Alert.ERROR:
                self.errors.append(f"error box: {element.alert.body[:200]}")
        elif kind == "exception":
            self.errors.append(f"exception: {element.exception.message[:200]}")
        elif kind == "imgs":
            self.image_urls += [image.url for image in element.imgs.imgs]
        elif kind == "file_uploader":
            key = element.file_uploader.id.split("-", maxsplit=2)[-1]
            self.widgets[key] = Widget(element.file_uploader.id, kind)
        elif kind == "button" and element.button.is_form_submitter:
            self.widgets["__submit__"] = Widget(element.button.id, "button")
        else:
            super()._read_delta(delta)
        widget = getattr(element, kind, None) if kind else None
        if widget is not None and getattr(widget, "id", "").startswith("$$ID-"):
            self.drawn.add(widget.id.split("-", maxsplit=2)[-1])

    def said(self, pattern: str, kinds: tuple[str, ...] = ("ERROR", "WARNING", "INFO")) -> str | None:
        """The first alert (of `kinds`) whose text, as a reader sees it, matches `pattern`."""
        return next((unescaped(body) for kind, body in self.alerts
                     if kind in kinds and re.search(pattern, unescaped(body))), None)

    def drew(self, pattern: str) -> bool:
        """Whether some Markdown or HTML body of the last run, as a reader sees it, matches `pattern`."""
        return any(re.search(pattern, unescaped(body)) for _, body in self.bodies)

    async def login(self, name: str) -> None:
        """Enter the class code and `name` in the login form (on the home page), as a student."""
        page, query = self.page, self.query
        self.page, self.query = "", ""
        await self.run()
        await self.run([self.state("identity_name", name), self.state("identity_code", CLASS_CODE),
                        self.state("__submit__", True)])
        if self.errors or not any("Signed in" in text for text in self.texts):
            raise RuntimeError(f"login failed: {self.errors or self.texts[:3]}")
        self.page, self.query = page, query

    async def upload(self, key: str, name: str, data: bytes) -> WidgetState:
        """Upload `data` to the file uploader `key` as the browser does; the widget state to send."""
        import requests

        request = BackMsg()
        request_id = uuid.uuid4().hex
        request.file_urls_request.request_id = request_id
        request.file_urls_request.file_names.append(name)
        request.file_urls_request.session_id = self.session_id
        await self._socket.send(request.SerializeToString())
        deadline = time.perf_counter() + 30
        while request_id not in self._pending:
            await self._receive(deadline)
        urls = self._pending.pop(request_id).file_urls_response.file_urls[0]

        def put() -> None:
            token = requests.get(f"{self.url}/_stcore/health", timeout=10).cookies.get("_streamlit_xsrf")
            response = requests.put(f"{self.url}{urls.upload_url}", files={"file": (name, data, "application/json")},
                                    headers={"X-Xsrftoken": token}, cookies={"_streamlit_xsrf": token}, timeout=30)
            response.raise_for_status()

        await asyncio.to_thread(put)
        state = WidgetState(id=self.widgets[key].id)
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        return state


@contextlib.asynccontextmanager
async def student(url: str, name: str, page: str, query: str = ""):
    """A new session, logged in as the student `name`, about to open `page` with the link `query`."""
    async with Tab(url, page, query) as tab:
        await tab.login(name)
        yield tab


# ---- what runs beside the attacks --------------------------------------------------------------
class HealthWatch(threading.Thread):
    """Polls `/_stcore/health` every 100 ms; keeps (start, seconds) of each answer."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.samples, self.stopping = url, [], threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=30) as response:
                    response.read()
            except OSError:
                pass  # a failure counts with the time it took
            self.samples.append((start, time.perf_counter() - start))
            self.stopping.wait(HEALTH_EVERY_S)


@dataclass
class Others:
    """Three other students rerunning light pages, each changing an input after a short pause."""

    url: str
    reruns: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds)
    errors: list[str] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def one(self, index: int, page: str, key: str, values: list, query: str, ready: asyncio.Event) -> None:
        try:
            async with student(self.url, f"classmate {index}", page, query) as tab:
                await tab.run()
                ready.set()
                turn = 0
                while not self.stopping.is_set():
                    start = time.perf_counter()
                    seconds = await tab.run([tab.state(key, values[turn % len(values)])], timeout=60)
                    self.reruns.append((start, seconds))
                    self.errors += tab.errors
                    turn += 1
                    await asyncio.sleep(OTHERS_PAUSE_S)
        except Exception as err:  # noqa: BLE001 (a classmate's timeout is a result, reported)
            self.errors.append(f"{page}: {type(err).__name__}: {str(err)[:160]}")
            ready.set()

    async def start(self) -> list[asyncio.Task]:
        events = [asyncio.Event() for _ in OTHERS]
        tasks = [asyncio.create_task(self.one(i + 1, *spec, events[i])) for i, spec in enumerate(OTHERS)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), timeout=120)
        return tasks


# ---- the attacks --------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one run of an attack cost itself and whether its defence held (judged from the page)."""

    server_s: float  # the slowest of its requests: seconds until its rerun finished
    held: bool
    defence: str  # what was observed: refused / capped / sandboxed / literal, with figures


@dataclass
class Context:
    url: str
    proxy: HangingProxy
    audit_log: Path
    model_root: Path
    outbound: int = 0  # audit lines and proxy connections seen so far

    def new_outbound(self) -> int:
        """Attempts to reach beyond loopback since the last call (audit hook lines + proxy connections)."""
        lines = len(self.audit_log.read_text().splitlines()) if self.audit_log.exists() else 0
        seen, self.outbound = self.outbound, lines + self.proxy.accepted
        return self.outbound - seen


REFUSALS = {"budget": r"a student may start jobs of up to", "own": r"You already have \d+ training jobs",
            "queue": r"The training queue is full"}


def verdict(tab: Tab) -> str:
    """What a press of Train came to: a refusal's reason, "admitted" (queued or training) or "other"."""
    for reason, pattern in REFUSALS.items():
        if tab.said(pattern, kinds=("ERROR",)):
            return reason
    return "admitted" if not tab.errors and "lm_train-cancel" in tab.drawn else "other"


async def queue_flood(ctx: Context, rep: int) -> Outcome:
    """Mallory presses Train three times at the attention page's largest settings, then asks for five
    default-size models with other step counts in five tabs of her own; then a classmate asks for
    the page's default model and reads its place in the queue."""
    times, verdicts = [], []
    async with student(ctx.url, "mallory", "attention", MAX_SETTINGS) as tab:
        times.append(await tab.run())
        for _ in range(3):
            times.append(await tab.run([tab.state("lm_train-train", True)]))
            verdicts.append(verdict(tab))
    for steps in (350, 400, 450, 500, 550):  # her tabs share one allowance
        async with student(ctx.url, "mallory", "attention", f"lm_steps={steps}") as tab:
            times.append(await tab.run())
            times.append(await tab.run([tab.state("lm_train-train", True)]))
            verdicts.append(verdict(tab))
    async with student(ctx.url, "bob", "attention") as bob:
        times.append(await bob.run())
        times.append(await bob.run([bob.state("lm_train-train", True)]))
        queued = bob.said(r"queued, \d+ job\(s\) ahead", kinds=("INFO",))
        ahead = int(re.search(r"queued, (\d+) job", queued).group(1)) if queued else None
        started = ahead is None and verdict(bob) == "admitted"  # nothing ahead of it: it trains at once
    admitted = verdicts.count("admitted")
    # at most the per-student limit (2) admitted, every other press refused with a reason; the
    # classmate's job waits behind at most the running job and one of Mallory's
    held = admitted <= 2 and verdicts.count("other") == 0 and (started or (ahead is not None and ahead <= 2))
    counts = ", ".join(f"{verdicts.count(reason)} {label}" for reason, label in
                       (("budget", "over the student budget"), ("own", "beyond 2 jobs of hers"),
                        ("queue", "queue full"), ("other", "unexplained")) if verdicts.count(reason))
    return Outcome(max(times), held, f"refused: {len(verdicts) - admitted} of {len(verdicts)} presses ({counts}); "
                                     f"classmate's job: {'training at once' if started else f'{ahead} ahead'}")


async def redos_upload(ctx: Context, rep: int) -> Outcome:
    """A tokenizer.json whose Split pattern `(a|aa)+$` backtracks, uploaded, on 1,800 a's."""
    query = urlencode({"tok_tab": "io", "tok_text": REDOS_TEXT[rep:] + "b" * rep})
    async with student(ctx.url, "mallory", "tokenizers", query) as tab:
        await tab.run()
        start = time.perf_counter()
        tab.sticky["upload"] = await tab.upload("tok_upload", "tokenizer.json", REDOS_JSON)
        await tab.run()
        seconds = time.perf_counter() - start
        stopped = tab.said(r"took longer than [\d.]+ s, so it was stopped")
    return Outcome(seconds, bool(stopped), "sandboxed: stopped at the time limit" if stopped
                   else f"not stopped: {tab.alerts[:2]}")


async def rust_panic(ctx: Context, rep: int) -> Outcome:
    """The same upload on a text that makes the regex engine panic in Rust."""
    async with student(ctx.url, "mallory", "tokenizers", "tok_tab=io") as tab:
        await tab.run()
        tab.sticky["upload"] = await tab.upload("tok_upload", "tokenizer.json", REDOS_JSON)
        await tab.run()
        seconds = await tab.run([tab.state("tok_text", "a" * (PANIC_A + rep) + "b")])
        failed = tab.said(r"This tokenizer failed on that text")
    return Outcome(seconds, bool(failed), "sandboxed: the panic is a sentence" if failed
                   else f"no sentence: {tab.alerts[:2]}")


async def redos_folder(ctx: Context, rep: int) -> Outcome:
    """The same file in a folder of the model roots, named by a link (every visitor runs it)."""
    folder = ctx.model_root / "attack-redos"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.json").write_bytes(REDOS_JSON)
    query = urlencode({"tok_tab": "io", "tok_hub_name": "./attack-redos", "tok_text": REDOS_TEXT[rep:] + "b" * rep})
    async with student(ctx.url, "mallory", "tokenizers", query) as tab:
        seconds = await tab.run()
        stopped = tab.said(r"took longer than [\d.]+ s, so it was stopped")
    return Outcome(seconds, bool(stopped), "sandboxed: stopped at the time limit" if stopped
                   else f"not stopped: {tab.alerts[:2]}")


def text_attack(page: str, base: str, key: str, size: int, *, widget: bool, check: Callable[[Tab], str | None]):
    """A `size`-character text for `key`, in the link (`widget` False) or as the widget's value sent
    by a modified client (past the browser's max_chars). `check` says what bounded it, or None."""

    async def attack(ctx: Context, rep: int) -> Outcome:
        text = prose("", size, seed=rep)
        query = base if widget else f"{base}&{urlencode({key: text})}"
        async with student(ctx.url, "mallory", page, query) as tab:
            seconds = await tab.run()
            if widget:
                seconds = await tab.run([tab.state(key, text)])
            bounded = check(tab)
        held = bounded is not None and not tab.errors
        return Outcome(seconds, held, f"capped: {bounded}, {tab.received / 1e3:,.0f} kB sent" if held
                       else f"not capped: {tab.errors[:2] or tab.alerts[:2]}")

    return attack


def surprisal_spans(limit: int) -> Callable[[Tab], str | None]:
    def check(tab: Tab) -> str | None:
        spans = max((body.count("<span") for kind, body in tab.bodies if kind == "html"), default=0)
        capped = tab.said(r"Only the first [\d,]+ of the text's [\d,]+ tokens are scored", kinds=("INFO",))
        if 0 < spans <= limit:
            return f"{spans:,} tokens scored" + (" (with a note)" if capped else "")
        return None
    return check


def chips_bounded(limit: int) -> Callable[[Tab], str | None]:
    def check(tab: Tab) -> str | None:
        counts = [body.count("<span") for kind, body in tab.bodies if kind == "html" and "npchip" in body]
        if len(counts) == 4 and max(counts) <= limit:
            return f"{max(counts):,} chips per tokenizer" + (" (text cut)" if tab.drew("the text was cut") else "")
        return None
    return check


ROUGE_LINK = "met_tab=rouge"
SURPRISE_LINK = f"{TINY_LM}&lm_tab=surprise"


def hypothesis_tokens(tab: Tab) -> int | None:
    """The hypothesis's token count on the ROUGE tab: its chips and the '... and N more' after them."""
    for kind, body in tab.bodies:
        if kind == "html" and "<b>hypothesis:</b>" in body:
            more = re.search(r"and ([\d,]+) more", body)
            return body.count("<span") + (int(more.group(1).replace(",", "")) if more else 0)
    return None


def rouge(total: int, *, widget: bool):
    """A ROUGE pair of `total` characters (half hypothesis, half reference) in the link, or the
    hypothesis alone (`total` characters) sent as its widget's value by a modified client."""

    async def attack(ctx: Context, rep: int) -> Outcome:
        hypothesis = prose("", total if widget else total // 2, rep)
        query = ROUGE_LINK if widget else f"{ROUGE_LINK}&" + urlencode(
            {"met_hyp": hypothesis, "met_refs": prose("x ", total // 2, rep + 1)})
        async with student(ctx.url, "mallory", "metrics", query) as tab:
            seconds = await tab.run()
            if widget:
                seconds = await tab.run([tab.state("met_hyp", hypothesis)])
            tokens = hypothesis_tokens(tab)
            noted = tab.said(r"the text was cut to 1,000 characters", kinds=("INFO",))
        # 1,000 characters hold at most 500 tokens; a link's text is cut with a note
        held = not tab.errors and tokens is not None and tokens <= 500 and (widget or bool(noted))
        how = "Streamlit cuts a widget's value at max_chars" if widget else "cut to 1,000 characters with a note"
        return Outcome(seconds, held, f"capped: {how}, {tokens} hypothesis tokens scored, "
                                      f"{tab.received / 1e3:,.0f} kB sent" if held
                       else f"not capped: {tokens} tokens, {tab.errors[:2] or tab.alerts[:2]}")

    return attack


async def foreign_sockets(ctx: Context, rep: int) -> Outcome:
    """Five websockets from a foreign Origin at once, while outbound traffic hangs."""
    import websockets

    refused = []

    async def one() -> None:
        try:
            async with websockets.connect(ctx.url.replace("http", "ws") + "/_stcore/stream",
                                          origin="http://attacker.example", open_timeout=20):
                refused.append(False)
        except Exception:  # noqa: BLE001 (refused is the expected outcome)
            refused.append(True)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(5)))
    seconds = time.perf_counter() - start
    outbound = ctx.new_outbound()
    held = all(refused) and outbound == 0
    return Outcome(seconds, held, f"refused: {sum(refused)}/5 sockets, {outbound} outbound attempts")


async def hub_name(ctx: Context, rep: int) -> Outcome:
    """A Hub model name in a link: the attention page's saved-model field and the tokenizers page's."""
    times, refused = [], 0
    for page, query in (("attention", urlencode({"lm_saved": HUB_NAME})),
                        ("tokenizers", urlencode({"tok_tab": "io", "tok_hub_name": HUB_NAME}))):
        async with student(ctx.url, "mallory", page, query) as tab:
            times.append(await tab.run())
            refused += bool(tab.said(r"Hugging Face Hub is turned off"))
    outbound = ctx.new_outbound()
    return Outcome(max(times), refused == 2 and outbound == 0,
                   f"refused: {refused}/2 pages, {outbound} outbound attempts")


def image_in(kind: str, body: str) -> bool:
    """Whether a Markdown or HTML body would make the browser fetch the attacker's image or link."""
    if kind == "markdown":
        from markdown_it import MarkdownIt

        body = MarkdownIt("commonmark").render(body)
    return bool(re.search(r"<img|src\s*=|href\s*=\s*[\"']?https?://attacker", body, re.IGNORECASE))


async def markdown_injection(ctx: Context, rep: int) -> Outcome:
    """`![x](http://attacker.example/t.png)` in a link's text fields on three pages."""
    times, literal, images = [], 0, 0
    for page, query in (("tokenizers", {"tok_tab": "io", "tok_hub_name": INJECTION}),  # an error names the path
                        ("attention", {"lm_saved": INJECTION}),  # the same
                        ("metrics", {"met_tab": "bleu", "met_tok": INJECTION, "met_hyp": INJECTION})):  # a note
        async with student(ctx.url, "mallory", page, urlencode(query)) as tab:
            times.append(await tab.run())
            images += sum(image_in(kind, body) for kind, body in tab.bodies) + len(tab.image_urls)
            literal += any(r"!\[x\]\(http\:" in body for _, body in tab.alerts)  # each Markdown character escaped
    return Outcome(max(times), literal == 3 and images == 0,
                   f"literal: escaped in an alert on {literal}/3 pages, {images} images or links")


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    run: Callable[[Context, int], Awaitable[Outcome]]
    once: bool = False  # stateful (the queue): one repetition only
    compact: bool = True  # part of the test's compact set


ATTACKS = [
    Attack("1 queue flood", "a student presses Train 3x at 8 layers, width 256, context 256, 5,000 steps, then "
           "queues 5 default-size models; a classmate asks for the default model", queue_flood, once=True),
    Attack("2 ReDoS upload", "tokenizer.json with a `(a\\|aa)+$` Split uploaded (HTTP PUT), run on 1,800 a's",
           redos_upload),
    Attack("2 Rust panic", "the same upload on 34 a's and a b (regex retry limit: a Rust panic)", rust_panic),
    Attack("2 ReDoS by path", "the same file in a model-root folder named by a link (`tok_hub_name=./...`)",
           redos_folder, compact=False),
    Attack("3 ROUGE 35 kB link", "35 kB of hypothesis and reference in a metrics ROUGE link",
           rouge(35_000, widget=False)),
    Attack("3 ROUGE 460 kB link", "460 kB of hypothesis and reference in a metrics ROUGE link",
           rouge(460_000, widget=False), compact=False),
    Attack("3 ROUGE 460 kB typed", "a 460 kB hypothesis sent as the widget's value (past the browser's max_chars)",
           rouge(460_000, widget=True), compact=False),
    Attack("4 surprisal 200k link", "200,000 characters in the attention page's surprise tab link",
           text_attack("attention", SURPRISE_LINK, "lm_surprise", 200_000, widget=False,
                       check=surprisal_spans(2_000))),
    Attack("4 surprisal 200k typed", "200,000 characters sent as the surprise text's widget value",
           text_attack("attention", SURPRISE_LINK, "lm_surprise", 200_000, widget=True,
                       check=surprisal_spans(4_000))),
    Attack("4 tokens 20k link", "20,000 characters in the tokenizers page's link (four token views)",
           text_attack("tokenizers", "tok_tab=split", "tok_text", 20_000, widget=False,
                       check=chips_bounded(2_000))),
    Attack("4 tokens 20k typed", "20,000 characters sent as the token view's widget value",
           text_attack("tokenizers", "tok_tab=split", "tok_text", 20_000, widget=True,
                       check=chips_bounded(2_000)), compact=False),
    Attack("5 foreign websockets", "5 websockets with Origin attacker.example at once, outbound traffic hanging",
           foreign_sockets),
    Attack("6 Hub name", f"`{HUB_NAME}` in the attention page's saved-model link and the tokenizers page's",
           hub_name),
    Attack("7 Markdown injection", f"`{INJECTION}` in a link's fields on three pages (a folder name, a saved "
           "model, a BLEU tokeniser and hypothesis)", markdown_injection),
]


# ---- measuring ----------------------------------------------------------------------------------
@dataclass
class Row:
    attack: Attack
    outcomes: list[Outcome]
    health_s: float
    others: list[float]

    @property
    def server_s(self) -> float:
        return max(o.server_s for o in self.outcomes)

    @property
    def held(self) -> bool:
        return all(o.held for o in self.outcomes)

    @property
    def others_p50(self) -> float:
        return percentile(self.others, 0.5)

    @property
    def others_max(self) -> float:
        return max(self.others, default=float("nan"))

    def missed(self) -> list[str]:
        """The goals this attack missed (empty: all met)."""
        missed = []
        if self.server_s >= GOALS["attack_s"]:
            missed.append(f"attack {self.server_s:.2f} s")
        if self.health_s >= GOALS["health_s"]:
            missed.append(f"health {self.health_s:.2f} s")
        if not self.others or self.others_max >= GOALS["others_s"]:
            missed.append(f"others {self.others_max:.2f} s" if self.others else "no other reruns measured")
        if not self.held:
            missed.append("defence")
        return missed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def during(samples: list[tuple[float, float]], start: float, end: float) -> list[float]:
    """The durations of the samples that overlap [start, end]."""
    return [seconds for began, seconds in samples if began <= end and began + seconds >= start]


async def measure(attack: Attack, ctx: Context, health: HealthWatch, others: Others, reps: int) -> Row:
    outcomes, health_worst, reruns = [], 0.0, []
    for rep in range(1 if attack.once else reps):
        start = time.perf_counter()
        try:
            outcome = await asyncio.wait_for(attack.run(ctx, rep), timeout=120)
        except Exception as err:  # noqa: BLE001 (a failed attack is a result, not a crash)
            outcome = Outcome(time.perf_counter() - start, False, f"{type(err).__name__}: {str(err)[:160]}")
        end = max(time.perf_counter(), start + MIN_WINDOW_S)
        await asyncio.sleep(max(0.0, end - time.perf_counter()) + 0.3)  # answers that straddle the end
        outcomes.append(outcome)
        health_worst = max([health_worst, *during(health.samples, start, end)])
        reruns += during(others.reruns, start, end)
    return Row(attack, outcomes, health_worst, reruns)


async def baseline(health: HealthWatch, others: Others, seconds: float) -> Row:
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    end = time.perf_counter()

    async def nothing(ctx, rep) -> Outcome:
        return Outcome(0.0, True, "")

    return Row(Attack("0 none", "no attack: the three other sessions alone", nothing),
               [Outcome(0.0, True, "-")], max(during(health.samples, start, end), default=0.0),
               during(others.reruns, start, end))


async def warm(url: str) -> None:
    """Every page the attacks and the others open, once (the cold first render imports and loads)."""
    visits = [("memory", ""), ("metrics", "met_tab=bleu"), ("metrics", "met_tab=rouge"),
              ("attention", SURPRISE_LINK), ("attention", MAX_SETTINGS), ("attention", ""),
              ("tokenizers", "tok_tab=split"), ("tokenizers", "tok_tab=io")]
    for page, query in visits:  # a session of its own each: a session reads a page's link once
        async with student(url, "warm-up", page, query) as tab:
            await tab.run()
            if tab.errors:
                raise RuntimeError(f"warm-up: {page}?{query}: {tab.errors}")
    # a benign upload: the tokenizer workers are started (a class's server has run them before)
    async with student(url, "warm-up", "tokenizers", "tok_tab=io") as tab:
        await tab.run()
        tab.sticky["upload"] = await tab.upload("tok_upload", "tokenizer.json", benign_json())
        await tab.run()
        if tab.errors:
            raise RuntimeError(f"warm-up upload: {tab.errors}")


def benign_json() -> bytes:
    return REDOS_JSON.replace(b'"(a|aa)+$"', b'"\\\\s+"')


async def run_attacks(url: str, ctx: Context, reps: int = 2, compact: bool = False, only: str = "",
                      log: Callable[[str], None] = lambda line: None) -> list[Row]:
    """Warm the pages, start the watchers, run each attack (the queue flood last: its jobs keep
    training until the server stops), and return one row per attack plus a baseline."""
    await warm(url)
    health = HealthWatch(url)
    health.start()
    others = Others(url)
    tasks = await others.start()
    rows = []
    try:
        rows.append(await baseline(health, others, 3.0 if not compact else MIN_WINDOW_S))
        chosen = [a for a in ATTACKS if (a.compact or not compact) and only.lower() in a.name.lower()]
        for attack in sorted(chosen, key=lambda a: a.run is queue_flood):
            log(f"  {attack.name} ...")
            rows.append(await measure(attack, ctx, health, others, reps))
            log(f"    {rows[-1].server_s:.2f} s, {rows[-1].outcomes[-1].defence}")
    finally:
        others.stopping.set()
        health.stopping.set()
        await asyncio.wait(tasks, timeout=60)
        for task in tasks:
            task.cancel()
        health.join(5)
    if others.errors:
        log(f"  errors in the other sessions: {others.errors[:3]}")
    return rows


def report(rows: list[Row]) -> str:
    columns = ["attack", "what it does", "attack server (s)", "health worst (s)", "others p50 (s)",
               "others max (s)", "defence held", "observed", "goals"]
    lines = [{"attack": r.attack.name, "what it does": r.attack.what, "attack server (s)": r.server_s,
              "health worst (s)": r.health_s, "others p50 (s)": r.others_p50, "others max (s)": r.others_max,
              "defence held": "yes" if r.held else "**no**",
              "observed": next((o.defence for o in r.outcomes if not o.held), r.outcomes[-1].defence),
              "goals": "met" if not r.missed() else "**missed: " + ", ".join(r.missed()) + "**"}
             for r in rows]
    return table(lines, columns)


# ---- the server ---------------------------------------------------------------------------------
def prepare_models(cache: Path) -> None:
    """The small models the attacked pages open on, trained into the server's cache (seconds)."""
    from core.jobs import ArtifactStore, JobManager
    from core.lm.jobs import lm_spec
    from core.tokenizers.jobs import ALGORITHMS, default_spec

    manager = JobManager(ArtifactStore(cache), workers=1)
    for spec in [*(default_spec(a, "tinyshakespeare", 1000) for a in ALGORITHMS), lm_spec(steps=LM_STEPS)]:
        job = manager.run(spec, timeout=600)
        if job.error is not None:
            raise RuntimeError(f"{spec.label}: {job.error}")


def server_env(proxy: HangingProxy, audit_log: Path, model_root: Path) -> dict[str, str]:
    """`code` mode (students log in: the queue's per-student rules apply), outbound traffic to a
    proxy that hangs, the network audit hook, and a model root of the benchmark's own."""
    return {"NLP_PLAYGROUND_AUTH": "code", "NLP_PLAYGROUND_CLASS_CODE": CLASS_CODE,
            "NLP_PLAYGROUND_LECTURER_CODE": LECTURER_CODE, "NLP_PLAYGROUND_MODEL_ROOTS": str(model_root),
            "PYTHONPATH": str(ROOT / "harness" / "netaudit"), "NLP_PLAYGROUND_NET_AUDIT": str(audit_log),
            **{name: proxy.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}}


def attack_server(cache: Path, work: Path, reps: int, compact: bool = False, only: str = "",
                  extra_env: dict | None = None,
                  log: Callable[[str], None] = lambda line: None) -> tuple[list[Row], Context]:
    """Start a server on `cache` (models prepared), run the attacks, stop it; rows and the context."""
    from harness.servers import serving

    proxy = HangingProxy()
    model_root = work / "models"
    model_root.mkdir(parents=True, exist_ok=True)
    audit = work / "net.log"
    env = {**server_env(proxy, audit, model_root), **(extra_env or {})}
    try:
        with serving(cache, extra_env=env, log=work / "server.log") as (url, _):
            ctx = Context(url, proxy, audit, model_root)
            log(f"server at {url}; warming the pages and starting the other sessions ...")
            rows = asyncio.run(run_attacks(url, ctx, reps, compact, only, log))
            ctx.outbound = len(audit.read_text().splitlines()) if audit.exists() else 0
            return rows, ctx
    finally:
        proxy.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attacks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each attack once (default: twice, the worst kept)")
    parser.add_argument("--cache", type=Path, help="cache folder (default: a new temporary one)")
    parser.add_argument("--only", default="", help="only the attacks whose name contains this (e.g. surprisal)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the server (to compare settings); repeatable")
    args = parser.parse_args(argv)
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    cache = args.cache or Path(tempfile.mkdtemp(prefix="nlp-playground-attacks-"))
    work = Path(tempfile.mkdtemp(prefix="nlp-playground-attacks-run-"))
    began = time.time()
    print(f"Training the small models into {cache} ...", flush=True)
    prepare_models(cache)
    rows, ctx = attack_server(cache, work, 1 if args.quick else 2, only=args.only,
                              extra_env=dict(item.split("=", 1) for item in args.env),
                              log=lambda line: print(line, flush=True))
    print()
    print(report(rows))
    print()
    print(f"{len(rows) - 1} attacks ({'once' if args.quick else 'twice'} each, the worst kept; the queue flood once) "
          f"against one server process in `code` mode on {os.cpu_count()} cores, while 3 other sessions reran "
          f"memory / metrics BLEU every {OTHERS_PAUSE_S:g} s and /_stcore/health was polled every "
          f"{HEALTH_EVERY_S * 1000:.0f} ms. Outbound attempts over the whole run: {ctx.outbound} "
          f"(audit hook), {ctx.proxy.accepted} (hanging proxy). Whole run: {time.time() - began:.0f} s. "
          f"Server log: {work / 'server.log'}")
    missed = [r for r in rows if r.missed()]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
