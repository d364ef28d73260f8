"""Shared fixtures: every test gets its own cache folder, so nothing touches a user's cache."""

from __future__ import annotations

import pytest

from core import settings


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv(settings.ENV_CACHE_DIR, str(folder))
    return folder
