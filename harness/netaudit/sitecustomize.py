"""Imported at start by a Python whose path holds this folder (tests put it on PYTHONPATH): records
every attempt to reach beyond loopback (a socket connect or a name lookup) in the file named by
NLP_PLAYGROUND_NET_AUDIT, through Python's audit hooks (PEP 578), so a test can assert that the
real server made none."""

import os
import sys

_LOG = os.environ.get("NLP_PLAYGROUND_NET_AUDIT")
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0", "")


def _outward(address) -> str | None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
    elif isinstance(address, (str, bytes)):
        return None  # a Unix socket path
    else:
        return None
    return None if host.startswith(_LOCAL) else host


def _hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        host = _outward(args[1])
    elif event == "socket.getaddrinfo":
        host = None if str(args[0]).startswith(_LOCAL) else str(args[0])
    else:
        return
    if host:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(f"{event} {host}\n")


if _LOG:
    sys.addaudithook(_hook)
