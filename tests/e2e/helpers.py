"""Page-level checks for browser tests: settled, no exception box, no console error, offline."""

from __future__ import annotations

from urllib.parse import urlparse

from harness.servers import is_base_path_probe

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


class PageWatch:
    """Collects console errors and requests to non-local hosts while a page is used."""

    def __init__(self, page, local_hosts: set[str] = frozenset()):
        self.page = page
        self.local_hosts = LOCAL_HOSTS | set(local_hosts)  # names mapped to loopback for a test
        self.console_errors: list[str] = []
        self.remote_requests: list[str] = []
        self.failed: list[str] = []
        page.on("console", self._on_console)
        page.on("response", self._on_response)
        page.on("request", self._on_request)
        page.on("pageerror", lambda err: self.console_errors.append(f"pageerror: {err}"))

    def _on_console(self, message) -> None:
        if message.type == "error" and not is_base_path_probe(message.location.get("url", "")):
            self.console_errors.append(message.text)

    def _on_response(self, response) -> None:
        if response.status >= 400 and not is_base_path_probe(response.url):
            self.failed.append(f"{response.status} {response.url}")

    def _on_request(self, request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in self.local_hosts:
            self.remote_requests.append(request.url)

    def settle(self, timeout_ms: int = 60_000) -> None:
        """Wait until the page's script has drawn its title and stopped running.

        Every page starts with `st.title`, so an `h1` in the main block means the script ran; the
        status widget ("Running...") must then stay away for half a second.
        """
        self.page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
        self.page.evaluate("() => { window.__lastBusy = Date.now(); }")
        self.page.wait_for_function(
            """() => {
                const busy = document.querySelector(
                    '[data-testid="stStatusWidget"], [data-testid="stSkeleton"], [data-stale="true"]');
                const now = Date.now();
                if (busy) { window.__lastBusy = now; return false; }
                return now - window.__lastBusy > 700;
            }""", timeout=timeout_ms, polling=100)

    def assert_clean(self) -> None:
        exceptions = self.page.locator('[data-testid="stException"]')
        assert exceptions.count() == 0, exceptions.all_inner_texts()
        assert not self.failed, self.failed
        assert not self.console_errors, self.console_errors
        assert not self.remote_requests, self.remote_requests
