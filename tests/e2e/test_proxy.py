"""The app served through the repository's nginx configuration (deploy/nginx/nginx.conf), on
loopback, under a host name other than localhost, with TLS, as a lab server runs it: the page and
its websocket work, framing is refused, and the identity comes from the proxy (a browser cannot
forge it)."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
import urllib.request
from pathlib import Path

import pytest

from harness.browser import launch
from harness.servers import ROOT, free_port, serving
from tests.e2e.helpers import PageWatch

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")]
HOST = "playground.test"
CONFIG = ROOT / "deploy" / "nginx" / "nginx.conf"


def render(tmp: Path, app_port: int, tls_port: int, plain_port: int) -> Path:
    """The shipped configuration with this machine's ports, paths and name (each replacement must
    apply: the test fails if the file drifts from what it checks)."""
    text = CONFIG.read_text()
    replacements = {
        "playground.example.edu": HOST,
        "server 127.0.0.1:8501;\n        server 127.0.0.1:8502;": f"server 127.0.0.1:{app_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{tls_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{plain_port};",
        "/etc/ssl/playground/": f"{tmp}/",
        "/etc/nginx/playground.htpasswd": f"{tmp}/htpasswd",
        "/run/nginx-playground.pid": f"{tmp}/nginx.pid",
        "/var/log/nginx/": f"{tmp}/",
        "/var/lib/nginx/": f"{tmp}/",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/nginx.conf no longer contains {old!r}"
        text = text.replace(old, new)
    rendered = tmp / "nginx.conf"
    rendered.write_text(text)
    return rendered


def credentials(tmp: Path, users: dict[str, str]) -> None:
    lines = [f"{user}:{subprocess.check_output(['openssl', 'passwd', '-apr1', password], text=True).strip()}"
             for user, password in users.items()]
    (tmp / "htpasswd").write_text("\n".join(lines) + "\n")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    f"/CN={HOST}", "-keyout", str(tmp / "privkey.pem"), "-out", str(tmp / "fullchain.pem")],
                   check=True, capture_output=True)


def visit(port: int) -> tuple[str, int, dict]:
    """Open the memory page through the proxy as alice, with a forged identity header; return the
    sidebar's text, the metrics drawn and the response headers."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, extra_args=[f"--host-resolver-rules=MAP {HOST} 127.0.0.1"])
        context = browser.new_context(ignore_https_errors=True, http_credentials={
            "username": "alice", "password": "wonderland"}, extra_http_headers={"X-Forwarded-User": "teacher"})
        page = context.new_page()
        watch = PageWatch(page, local_hosts={HOST})
        response = page.goto(f"https://{HOST}:{port}/memory")
        watch.settle()
        watch.assert_clean()
        result = (page.locator('[data-testid="stSidebar"]').inner_text(),
                  page.locator('[data-testid="stMetric"]').count(), dict(response.headers))
        browser.close()
        return result


def test_the_app_through_the_shipped_nginx_configuration(tmp_path):
    credentials(tmp_path, {"alice": "wonderland", "teacher": "chalk"})
    tls_port, plain_port = free_port(), free_port()
    env = {"NLP_PLAYGROUND_AUTH": "proxy", "NLP_PLAYGROUND_LECTURERS": "teacher",
           "NLP_PLAYGROUND_PUBLIC_URL": f"https://{HOST}:{tls_port}"}
    with serving(tmp_path / "cache", extra_env=env, log=tmp_path / "app.log") as (app_url, _):
        config = render(tmp_path, int(app_url.rsplit(":", 1)[1]), tls_port, plain_port)
        # as root, nginx's workers would run as nobody, who cannot read the test's private folder
        workers = " user root;" if os.geteuid() == 0 else ""
        nginx = subprocess.Popen(["nginx", "-c", str(config), "-p", str(tmp_path), "-g", f"daemon off;{workers}"],
                                 stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            assert nginx.poll() is None, nginx.stderr.read()
            insecure = ssl.create_default_context()
            insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
            with pytest.raises(urllib.error.HTTPError, match="401"):
                urllib.request.urlopen(f"https://127.0.0.1:{tls_port}/", context=insecure, timeout=10)
            # in a thread of its own: the session's browser fixture may already drive Playwright in this one
            with ThreadPoolExecutor(1) as pool:
                sidebar, metrics, headers = pool.submit(visit, tls_port).result(timeout=180)
            assert headers["x-frame-options"] == "SAMEORIGIN"
            assert "frame-ancestors 'self'" in headers["content-security-policy"]
            assert "Signed in as alice (student)" in sidebar  # the forged header was overwritten
            assert metrics >= 2  # the page ran over the websocket
        finally:
            nginx.terminate()
            nginx.wait(10)
