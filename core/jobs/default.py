"""The process-wide manager every page uses: the server's own queue, or a Ray cluster's.

A module of its own so that the manager and the cluster module (which builds on it) do not import
each other.
"""

from __future__ import annotations

import threading

from core import settings
from core.jobs.manager import JobManager

_defaults: dict[str, JobManager] = {}
_default_lock = threading.Lock()


def default_manager() -> JobManager:
    """The process-wide manager every page uses, one per cache folder (created on first use): the
    server's own queue, or a Ray cluster's when `NLP_PLAYGROUND_RAY_ADDRESS` names one."""
    root = str(settings.cache_dir())
    with _default_lock:
        if root not in _defaults:
            address = settings.ray_address()
            if address:
                from core.jobs.cluster import ClusterManager  # Ray is optional: imported only when asked for

                _defaults[root] = ClusterManager(address)
            else:
                _defaults[root] = JobManager()
        return _defaults[root]
