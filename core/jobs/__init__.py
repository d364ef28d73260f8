"""Training jobs: a key per request, a cache on disk, progress events, cancel, one queue.

    from core.jobs import JobSpec, default_manager
    job = default_manager().submit(JobSpec.of("word2vec", "gutenberg", {"dim": 100}))
    job.wait(); vectors = job.result
"""

from core.jobs.kinds import JobKind, all_kinds, get_kind, register
from core.jobs.manager import Job, JobManager, JobState, default_manager
from core.jobs.progress import Progress, ProgressCallback, ProgressEvent
from core.jobs.spec import JobSpec
from core.jobs.store import ArtifactStore

__all__ = [
    "ArtifactStore", "Job", "JobKind", "JobManager", "JobSpec", "JobState", "Progress",
    "ProgressCallback", "ProgressEvent", "all_kinds", "default_manager", "get_kind", "register",
]
