"""Turn `core`'s typed errors into sentences on the page, never tracebacks, never Markdown."""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from app.components import messages
from app.i18n import t
from core.errors import PlaygroundError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Show a `PlaygroundError`'s sentence (translated, literally) and log anything else instead of
    raising. Streamlit's own control flow (`st.rerun`, `st.stop`) derives from BaseException and
    passes; so do `PageEnd` and the Rust `PanicException`, which are handled where they can occur."""
    try:
        yield
    except PlaygroundError as err:
        messages.error(err)
    except Exception:
        log.exception("unexpected error in a page")
        messages.error(t("Something went wrong here. It was logged; try other settings."))


class PageEnd(BaseException):
    """Raised by `end_page`; the entry file catches it. A BaseException so that `user_errors`
    and other `except Exception` blocks let it pass, as they let `st.stop` pass."""


def end_page() -> None:
    """Stop drawing this page here (nothing trained yet, say), like `st.stop()`, but letting the
    entry file finish its own work afterwards (the URL's settings, the sidebar), which `st.stop()`
    would cut off."""
    raise PageEnd
