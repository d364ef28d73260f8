"""The server's entry point: `python -m app.serve [streamlit options]` runs the app with Streamlit,
configured so that the server never reaches outside the machine on its own.

Streamlit looks up the machine's public IP address (`checkip.amazonaws.com`, two blocking attempts
of 1 s, remembered only when they succeed) at every start of a headless server, and again on the
event loop for every websocket whose `Origin` is not the server itself, to see whether that origin
is the server's public address. Behind a firewall that drops outbound traffic five such sockets
stalled the health endpoint for 10 s; the start also told a third party the server exists. Here
the answers are given before Streamlit starts (and the imports every page needs are loaded and
frozen out of the garbage collector's way, see `freeze_imports`): the public address is the host of
`NLP_PLAYGROUND_PUBLIC_URL` (set it to the address students use, e.g. https://nlp.example.edu;
it also becomes `browser.serverAddress`, so pages served under that name are same-origin), or
none, and the internal address is loopback. Nothing is looked up, at start or per connection.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ENV_PUBLIC_URL = "NLP_PLAYGROUND_PUBLIC_URL"
ENTRY = Path(__file__).resolve().parent / "streamlit_app.py"
NOBODY = "0.0.0.0"  # an address no Origin header carries: the origin check compares with it and moves on


def public_host() -> str | None:
    """The host name of NLP_PLAYGROUND_PUBLIC_URL, if set."""
    raw = os.environ.get(ENV_PUBLIC_URL, "").strip()
    if not raw:
        return None
    return urlparse(raw if "://" in raw else f"https://{raw}").hostname


def pin_addresses() -> None:
    """Give Streamlit its addresses so it never asks the network for them."""
    from streamlit import net_util

    host = public_host()
    net_util._external_ip = host or NOBODY  # noqa: SLF001 (Streamlit offers no setting to skip the lookup)
    net_util._internal_ip = "127.0.0.1"  # noqa: SLF001 (otherwise a UDP socket "connects" to 8.8.8.8)
    if host:
        os.environ.setdefault("STREAMLIT_BROWSER_SERVER_ADDRESS", host)


def freeze_imports() -> None:
    """Import what every page uses, then move it all out of the garbage collector's reach.

    The server's heap is half a million objects after torch, transformers, plotly and the pages'
    modules load, and every full collection walked all of them while holding the interpreter lock:
    0.2-0.36 s measured (in the attack benchmark, each health check over 0.25 s coincided with one).
    Objects that live as long as the process need no collecting: `gc.freeze` puts them in the
    permanent generation, and a full collection then takes well under a millisecond."""
    import gc
    import importlib

    import plotly.graph_objects  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401

    from app.catalog import available_pages

    for page in available_pages():
        importlib.import_module(page.view)
    for kind in ("core.lm.jobs", "core.embeddings.jobs", "core.tokenizers.jobs", "core.anatomy.jobs"):
        importlib.import_module(kind)
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> None:
    pin_addresses()
    freeze_imports()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ENTRY), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
