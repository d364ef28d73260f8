"""Shared fixtures: every test gets its own cache folder, so nothing touches a user's cache."""

from __future__ import annotations

import os
import tempfile

import pytest

from core import settings


def pytest_configure(config):
    """A cache folder for the whole run, set before any fixture: module-scoped fixtures (and the
    process-wide job manager they create) must not fall back to the user's ~/.cache."""
    os.environ[settings.ENV_CACHE_DIR] = tempfile.mkdtemp(prefix="nlp-playground-tests-")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(settings.ENV_CACHE_DIR, str(folder))
    return folder


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` need a CUDA device: skipped (with the reason) on machines without one."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (run on a GPU server: pytest -m gpu)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
