"""Training jobs: a key per request, a cache on disk, progress events, cancel, one fair queue.

    from core.jobs import default_manager
    from core.lm.jobs import lm_spec
    job = default_manager().submit(lm_spec(steps=300))
    job.wait(); model = job.result
"""

from core.jobs.context import JobContext
from core.jobs.kinds import JobKind, Work, all_kinds, get_kind, register
from core.jobs.default import default_manager
from core.jobs.manager import Job, JobManager, JobState, Limits, Position
from core.jobs.spec import JobSpec
from core.jobs.store import ArtifactStore

__all__ = [
    "ArtifactStore", "Job", "JobContext", "JobKind", "JobManager", "JobSpec", "JobState", "Limits", "Position",
    "Work", "all_kinds", "default_manager", "get_kind", "register",
]
