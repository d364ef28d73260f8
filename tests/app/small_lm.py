"""A small causal LM trained through the real job queue, once per test module, for the pages that
decode or score text with one (decoding, metrics). A module imports the fixtures it needs:

    from tests.app.small_lm import SMALL, isolated_cache, module_cache, small_lm  # noqa: F401
"""

from __future__ import annotations

import pytest

from core.jobs import default_manager
from core.lm.config import LMConfig
from core.lm.jobs import lm_spec
from tests.app.shared_cache import isolated_cache, module_cache  # noqa: F401  (re-exported fixtures)

SMALL = lm_spec(steps=20, config=LMConfig(n_layer=2, n_embd=64))  # seconds to train; characters, context 64


@pytest.fixture(scope="module", autouse=True)
def small_lm(request):
    """The small model, trained once into the module's cache folder (`tests.app.shared_cache`)."""
    request.getfixturevalue("module_cache")
    job = default_manager().run(SMALL, timeout=600)
    assert job.error is None, job.error
