"""Which Chromium the browser tests drive: the system's if there is one, else Playwright's own.

`python -m harness.browser --ensure` (part of `make test`) installs Playwright's Chromium only
when no system Chromium exists, so CI and lab machines never download a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

SYSTEM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without these, Chromium phones home at start-up; on an offline machine those calls fail noisily.
ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", "--disable-gpu"]


def system_chromium() -> str | None:
    for name in SYSTEM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def launch(playwright, extra_args: list[str] | None = None):
    """A headless Chromium browser (Playwright `Browser`)."""
    args = ARGS + (["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []) + (extra_args or [])
    return playwright.chromium.launch(headless=True, executable_path=system_chromium(), args=args)


def ensure() -> None:
    if system_chromium():
        return
    subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=True)


if __name__ == "__main__":
    if "--ensure" in sys.argv:
        ensure()
    print(system_chromium() or "playwright's own chromium")
