"""One process-wide queue of training jobs, shared by every session of the app.

When thirty students press Train at once, jobs run a few at a time (`NLP_PLAYGROUND_WORKERS`,
default 1) on background threads while pages keep rendering; identical requests share one job;
a finished artifact is saved to the `ArtifactStore` and any later request for the same spec, in
this process or another, loads it instead of training.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections import OrderedDict
from typing import Any

import torch

from core import settings
from core.device import pick_device
from core.errors import JobCancelled, PlaygroundError
from core.jobs.kinds import get_kind
from core.jobs.progress import ProgressEvent
from core.jobs.spec import JobSpec
from core.jobs.store import ArtifactStore

log = logging.getLogger(__name__)
MAX_EVENTS = 600  # events kept per job for the live chart; older ones are thinned out
KEEP_FINISHED = 24  # finished jobs (and their loaded models) kept in memory, least recent evicted


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Job:
    """A training request and what became of it. Read by pages; written by one worker thread."""

    def __init__(self, spec: JobSpec):
        self.spec = spec
        self.state = JobState.QUEUED
        self.events: list[ProgressEvent] = []
        self.result: Any = None
        self.error: str | None = None  # a message for the user when FAILED
        self.warning: str | None = None  # e.g. "not cached": the job succeeded with a caveat
        self.from_cache = False  # loaded from disk rather than trained
        self.created = time.time()
        self.finished: float | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()

    @property
    def latest(self) -> ProgressEvent | None:
        return self.events[-1] if self.events else None

    @property
    def finished_ok(self) -> bool:
        return self.state is JobState.DONE

    @property
    def active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    def cancel(self) -> None:
        """Ask the job to stop at its next progress report (or before it starts)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; True if it did within `timeout`."""
        return self._done.wait(timeout)

    def on_progress(self, event: ProgressEvent) -> bool:
        """The callback handed to the trainer: record the event; False asks it to stop."""
        if len(self.events) >= MAX_EVENTS:
            self.events = self.events[::2]
        self.events.append(event)
        return not self._cancel.is_set()

    def _finish(self, state: JobState, *, result: Any = None, error: str | None = None) -> None:
        self.result, self.error, self.state = result, error, state
        self.finished = time.time()
        self._done.set()


class JobManager:
    """Submit, deduplicate, queue, run, cache and look up training jobs."""

    def __init__(self, store: ArtifactStore | None = None, workers: int | None = None,
                 device: torch.device | str | None = None):
        self.store = store or ArtifactStore()
        self.device = pick_device(device)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        for index in range(workers or settings.workers()):
            threading.Thread(target=self._work, name=f"nlp-playground-job-{index}", daemon=True).start()

    def lookup(self, spec: JobSpec) -> Job | None:
        """The job for `spec` in memory (in any state, so a failure can be shown), else a cached
        artifact loaded from disk as a finished job, else None. Never trains."""
        with self._lock:
            job = self._jobs.get(spec.key)
            if job is not None:
                self._jobs.move_to_end(spec.key)
                return job
        loaded = self.store.load(spec)
        if loaded is None:
            return None
        job = Job(spec)
        job.from_cache = True
        job._finish(JobState.DONE, result=get_kind(spec.kind).load(*loaded))
        with self._lock:
            self._remember(job)
        return job

    def submit(self, spec: JobSpec) -> Job:
        """The job for `spec`: a live or finished one if any (memory or disk), else a new queued
        one. A failed or cancelled job is replaced by a new attempt."""
        job = self.lookup(spec)
        if job is not None and job.state not in (JobState.FAILED, JobState.CANCELLED):
            return job
        with self._lock:
            existing = self._jobs.get(spec.key)
            if existing is not None and existing.state not in (JobState.FAILED, JobState.CANCELLED):
                return existing  # submitted by another thread meanwhile
            job = Job(spec)
            self._remember(job)
            self._queue.put(job)
        return job

    def run(self, spec: JobSpec, timeout: float | None = None) -> Job:
        """Submit and wait: for the command line and tests."""
        job = self.submit(spec)
        job.wait(timeout)
        return job

    def queue_position(self, job: Job) -> int:
        """How many jobs will start before this one (0 once it runs)."""
        if job.state is not JobState.QUEUED:
            return 0
        with self._lock:
            waiting = [j for j in self._jobs.values() if j.state is JobState.QUEUED]
        return sum(1 for j in waiting if j.created < job.created)

    def active_jobs(self) -> list[Job]:
        with self._lock:
            return [job for job in self._jobs.values() if job.active]

    def _remember(self, job: Job) -> None:
        self._jobs[job.spec.key] = job
        self._jobs.move_to_end(job.spec.key)
        finished = [key for key, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            finally:
                self._queue.task_done()

    def _run(self, job: Job) -> None:
        if job.cancel_requested:
            job._finish(JobState.CANCELLED, error="Cancelled before it started.")
            return
        job.state = JobState.RUNNING
        kind = get_kind(job.spec.kind)
        try:
            with self.store.lock(job.spec, should_stop=lambda: job.cancel_requested) as locked:
                loaded = self.store.load(job.spec) if locked else None
                if loaded is not None:  # another process trained it while we waited
                    log.info("loaded %s (%s), trained by another process", job.spec.label, job.spec.key)
                    job.from_cache = True
                    job._finish(JobState.DONE, result=kind.load(*loaded))
                    return
                started = time.perf_counter()
                log.info("training %s (%s) on %s", job.spec.label, job.spec.key, self.device)
                result = kind.train(job.spec, job.on_progress, self.device)
                self._save(job, kind, result, time.perf_counter() - started)
                log.info("trained %s (%s) in %.1f s", job.spec.label, job.spec.key, time.perf_counter() - started)
                job._finish(JobState.DONE, result=result)
        except (JobCancelled, TimeoutError):
            log.info("cancelled %s (%s)", job.spec.label, job.spec.key)
            job._finish(JobState.CANCELLED, error="Training was cancelled.")
        except PlaygroundError as err:
            log.warning("%s (%s) refused: %s", job.spec.label, job.spec.key, err)
            job._finish(JobState.FAILED, error=str(err))
        except Exception as err:
            if out_of_memory(err):
                log.warning("%s (%s) ran out of %s memory", job.spec.label, job.spec.key, self.device)
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()  # hand back what the failed job held, for the next one
                job._finish(JobState.FAILED, error=(
                    f"The model did not fit in {self.device.type.upper()} memory. Choose a smaller model, batch or "
                    "context" + (", or train on the CPU (NLP_PLAYGROUND_DEVICE=cpu)." if self.device.type != "cpu"
                                 else ".")))
                return
            # a bug: keep serving, tell the user, log the traceback
            log.exception("training job %s failed", job.spec.label)
            job._finish(JobState.FAILED, error=f"Training failed unexpectedly ({type(err).__name__}: {err}).")

    def _save(self, job: Job, kind: Any, result: Any, seconds: float) -> None:
        tensors, data = kind.dump(result)
        try:
            self.store.save(job.spec, tensors, data, train_seconds=round(seconds, 2), device=str(self.device))
        except OSError as err:
            job.warning = f"The result could not be cached ({err.strerror or err}); it lasts until the server restarts."


def out_of_memory(err: BaseException) -> bool:
    """A failed allocation: CUDA raises `torch.OutOfMemoryError`, the CPU allocator a plain
    RuntimeError that says so."""
    return isinstance(err, torch.OutOfMemoryError) or (
        isinstance(err, RuntimeError) and "can't allocate memory" in str(err))


_default: JobManager | None = None
_default_lock = threading.Lock()


def default_manager() -> JobManager:
    """The process-wide manager every page uses (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = JobManager()
        return _default
