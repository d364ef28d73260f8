"""The server's shared things a page asks for: the job manager, the device, the trained models.

Models are trained and kept by `core.jobs` (shared across sessions, bounded, on disk). Listings
of trained models come from the store's index (rebuilt only when an artifact appears or goes), and
show a user the models trained on shipped corpora and the ones trained on their own uploads, never
another user's.
"""

from __future__ import annotations

import streamlit as st

from app.i18n import t
from app.identity import current_user
from core.corpora import UPLOAD_PREFIX
from core.device import device_words
from core.jobs import JobManager, JobSpec, default_manager
from core.views.decoding import lm_names


def manager() -> JobManager:
    """The process-wide job manager (one queue and one cache for every session)."""
    return default_manager()


def model_names(options: list[JobSpec]) -> dict[str, str]:
    """Each language model's key and its name in a picker, in the session's language."""
    return {key: t(template, **{**fields, "corpus": t(fields["corpus"])})
            for key, (template, fields) in lm_names(options).items()}


@st.cache_data(show_spinner=False)
def _device_words() -> tuple[str, dict]:
    return device_words(manager().device)


def device_description() -> str:
    """The training device in the session's language."""
    template, fields = _device_words()
    return t(template, **fields)


def _visible(entry: dict) -> bool:
    """Another user's uploads (and what was trained on them) are theirs alone."""
    if not entry["corpus"].startswith(UPLOAD_PREFIX):
        return True
    user = current_user()
    return user is not None and (user.privileged or entry["owner"] == user.id)


def trained_specs(kind: str) -> list[JobSpec]:
    """Specs of every artifact of `kind` this user may see, most recently used first."""
    return [JobSpec.from_dict(entry) for entry in manager().store.entries(kind) if _visible(entry)]
