"""One cache folder for a whole test module, for pages whose models a module fixture trains.

`tests/conftest.py` gives every test a cache folder of its own, and the process keeps one job
manager per cache folder (`core.jobs.default_manager`), so a model trained by a module fixture
would be invisible to the tests after it. A module that imports both fixtures below trains once
into its own folder and lets every test (and every fresh session they open) find the models:

    from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401
"""

from __future__ import annotations

import pytest

from core import settings


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("module-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.ENV_CACHE_DIR, str(folder))
        yield folder


@pytest.fixture(autouse=True)
def isolated_cache(module_cache, monkeypatch):
    """Overrides `tests/conftest.py`'s: the module's folder instead of one per test."""
    monkeypatch.setenv(settings.ENV_CACHE_DIR, str(module_cache))
    return module_cache
