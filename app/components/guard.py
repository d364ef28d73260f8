"""Turn `core`'s typed errors into messages on the page, never tracebacks."""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

import streamlit as st

from core.errors import PlaygroundError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def user_errors(what: str = "") -> Iterator[None]:
    """Show a `PlaygroundError`'s message (and log anything else) instead of raising.

    Streamlit's own control flow (`st.rerun`, `st.stop`) derives from BaseException and passes.
    """
    try:
        yield
    except PlaygroundError as err:
        st.error(f"{what}: {err}" if what else str(err), icon=":material/error:")
    except Exception:
        log.exception("unexpected error %s", what)
        st.error("Something went wrong here. It was logged; try other settings.", icon=":material/error:")


class PageEnd(BaseException):
    """Raised by `end_page`; the entry file catches it. A BaseException so that `user_errors`
    and other `except Exception` blocks let it pass, as they let `st.stop` pass."""


def end_page() -> None:
    """Stop drawing this page here (nothing trained yet, say), like `st.stop()`, but letting the
    entry file finish its own work afterwards (the URL's settings, the sidebar), which `st.stop()`
    would cut off."""
    raise PageEnd
