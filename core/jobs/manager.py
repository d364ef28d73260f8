"""One process-wide queue of training jobs, shared by every session of the app, fair to every user.

When thirty students press Train at once, jobs run a few at a time (`NLP_PLAYGROUND_WORKERS`,
default 1) on background threads while pages keep rendering. Identical requests share one job
(each requester is one of its waiters); a finished artifact is saved to the `ArtifactStore` and
any later request for the same spec, in this process or another, loads it instead of training.

The rules that keep one student from stalling the class (each tested):
- a student may have `jobs_per_user` jobs queued or running, and may not start a job estimated
  (on this device, `core.jobs.estimate`) to take longer than the student budget;
- the queue holds at most `max_queue` jobs; beyond that new work is refused with a message;
- queued jobs start by priority (lecturer, host) and then round-robin between users
  (`core.jobs.fairness`), not first come first served;
- Cancel withdraws only the caller's wait: a job stops when nobody waits for it any more, or when
  a lecturer stops it.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch

from core import settings
from core.device import pick_device
from core.errors import JobCancelled, PlaygroundError, Refused
from core.jobs.context import JobContext
from core.jobs.estimate import Estimate, SpeedBook
from core.jobs.fairness import Entry, FairQueue, start_times
from core.jobs.kinds import get_kind
from core.jobs.spec import JobSpec
from core.jobs.store import ArtifactStore
from core.progress import ProgressEvent
from core.users import HOST, User

log = logging.getLogger(__name__)
MAX_EVENTS = 600  # events kept per job for the live chart; older ones are thinned out
KEEP_FINISHED = 24  # finished jobs (and their loaded models) kept in memory, least recent evicted


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ENDED = (JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class Limits:
    """What a student may ask of the server (lecturers and the host are not limited)."""

    jobs_per_user: int
    max_queue: int
    budget_s: float

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(settings.jobs_per_user(), settings.max_queue(), settings.student_budget_s())


@dataclass(frozen=True)
class Position:
    """Where a job stands: how many jobs start or run before it, and when it should be done."""

    ahead: int  # jobs running now plus queued jobs that start first
    starts_in_s: float | None
    done_in_s: float | None


def admit(limits: Limits, user: User, seconds: float, own_active: int, queued: int) -> None:
    """Raise `Refused` when `user` may not add a job of `seconds` now, having `own_active` jobs
    queued or running with `queued` jobs in the queue (the server's or the cluster's)."""
    if user.privileged:
        return
    if seconds > limits.budget_s:
        raise Refused("This would train for about {minutes:.0f} min on this server; a student may start jobs of up "
                      "to {budget:.0f} min. Choose fewer steps or a smaller model, or ask your lecturer.",
                      minutes=seconds / 60, budget=limits.budget_s / 60)
    if own_active >= limits.jobs_per_user:
        raise Refused("You already have {count} training jobs queued or running (the limit is {limit}). Wait for one "
                      "to finish or cancel it.", count=own_active, limit=limits.jobs_per_user)
    if queued >= limits.max_queue:
        raise Refused("The training queue is full ({count} jobs waiting). Try again in a few minutes.", count=queued)


class Job:
    """A training request and what became of it. Read by pages; written by one worker thread."""

    def __init__(self, spec: JobSpec, owner: User, estimate: Estimate | None = None):
        self.spec = spec
        self.owner = owner
        self.waiters: set[str] = {owner.id}
        self.estimate = estimate
        self.state = JobState.QUEUED
        self.events: list[ProgressEvent] = []
        self.result: Any = None
        self.error: PlaygroundError | None = None  # why it FAILED or was CANCELLED, for the user
        self.warning: PlaygroundError | None = None  # e.g. "not cached": it succeeded with a caveat
        self.from_cache = False  # loaded from disk rather than trained
        self.created = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self.parent: Job | None = None  # the job this one was trained for, as a dependency
        self.dependency: Job | None = None  # the job this one waits for now
        self._cancel = threading.Event()
        self._done = threading.Event()

    @property
    def latest(self) -> ProgressEvent | None:
        return self.events[-1] if self.events else None

    @property
    def active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    def cancel(self) -> None:
        """Ask the job to stop at its next progress report (or before it starts)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set() or (self.parent is not None and self.parent.cancel_requested)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; True if it did within `timeout`."""
        return self._done.wait(timeout)

    def on_progress(self, event: ProgressEvent) -> bool:
        """The callback handed to the trainer: record the event; False asks it to stop."""
        if len(self.events) >= MAX_EVENTS:
            self.events = self.events[::2]
        self.events.append(event)
        return not self.cancel_requested

    def seconds_left(self) -> float | None:
        """The trainer's own extrapolation once it reports, else what the estimate leaves."""
        if self.latest is not None and self.latest.eta_s is not None:
            return self.latest.eta_s
        if self.estimate is None:
            return None
        spent = time.time() - self.started if self.started else 0.0
        return max(0.0, self.estimate.seconds - spent)

    def _finish(self, state: JobState, *, result: Any = None, error: PlaygroundError | None = None) -> None:
        self.result, self.error, self.state = result, error, state
        self.finished = time.time()
        self._done.set()


class JobManager:
    """Submit, deduplicate, queue fairly, run, cache and look up training jobs."""

    def __init__(self, store: ArtifactStore | None = None, workers: int | None = None,
                 device: torch.device | str | None = None, limits: Limits | None = None):
        self.store = store or ArtifactStore()
        self.device = pick_device(device)
        self.workers = settings.workers() if workers is None else workers
        self.limits = limits or Limits.from_settings()
        self.speeds = SpeedBook(self.device, self.store.root / "speed")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queue = FairQueue()
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        for index in range(self.workers):
            threading.Thread(target=self._work, name=f"nlp-playground-job-{index}", daemon=True).start()

    # ---- asking -------------------------------------------------------------------------------
    def lookup(self, spec: JobSpec) -> Job | None:
        """The job for `spec` in memory (in any state, so a failure can be shown), else a cached
        artifact loaded from disk as a finished job, else None. Never trains."""
        with self._lock:
            job = self._jobs.get(spec.key)
            if job is not None:
                self._jobs.move_to_end(spec.key)
                return job
        artifact = self._load(spec)
        if artifact is None:
            return None
        job = Job(spec, HOST)
        job.from_cache = True
        job._finish(JobState.DONE, result=artifact)
        with self._lock:
            return self._jobs.get(spec.key) or self._remember(job)

    def estimate(self, spec: JobSpec) -> Estimate:
        """How long `spec` would train on this server's device (see `core.jobs.estimate`)."""
        kind = get_kind(spec.kind)
        return self.speeds.estimate(kind.name, kind.work(spec))

    def submit(self, spec: JobSpec, user: User = HOST) -> Job:
        """The job for `spec` with `user` among its waiters: a live or finished one if any (memory
        or disk), else a new queued one. A failed or cancelled job is replaced by a new attempt.
        Raises `Refused` when the user's limits or the queue's bound forbid new work."""
        job = self.lookup(spec)
        if job is not None and job.state not in ENDED:
            with self._lock:
                job.waiters.add(user.id)
            return job
        estimate = self.estimate(spec)
        with self._lock:
            existing = self._jobs.get(spec.key)
            if existing is not None and existing.state not in ENDED:  # submitted by another thread meanwhile
                existing.waiters.add(user.id)
                return existing
            self._admit(user, estimate)
            job = self._remember(Job(spec, user, estimate))
            self._queue.push(Entry(spec.key, user.id, user.priority, estimate.seconds))
            self._wake.notify()
        log.info("queued %s (%s) for %s, about %.0f s", spec.label, spec.key, user.id, estimate.seconds)
        return job

    def run(self, spec: JobSpec, timeout: float | None = None, user: User = HOST) -> Job:
        """Submit and wait: for the command line and tests."""
        job = self.submit(spec, user)
        job.wait(timeout)
        return job

    def waiting(self, job: Job, user: User) -> bool:
        return user.id in job.waiters

    def withdraw(self, job: Job, user: User) -> None:
        """`user` stops waiting for `job`; when nobody waits any more, the job stops."""
        with self._lock:
            job.waiters.discard(user.id)
            if not job.waiters and job.active:
                self._stop(job)

    def cancel(self, job: Job, user: User) -> None:
        """Stop a job for everyone: only a lecturer or the host may."""
        if not user.privileged:
            raise Refused("Only a lecturer can stop a job that others are waiting for; Cancel stops your own wait.")
        with self._lock:
            job.waiters.clear()
            if job.active:
                self._stop(job)

    def position(self, job: Job) -> Position:
        """How many jobs start or run before `job` (the running ones counted), and when it
        should start and finish, from the estimates and the running jobs' progress."""
        with self._lock:
            if job.state is JobState.RUNNING:
                return Position(0, 0.0, job.seconds_left())
            if job.state is not JobState.QUEUED:
                return Position(0, None, None)
            running = [j for j in self._jobs.values() if j.state is JobState.RUNNING and j.parent is None]
            order = self._queue.order()
        keys = [entry.key for entry in order]
        if job.spec.key not in keys:
            return Position(len(running), None, None)
        left = [j.seconds_left() or 0.0 for j in running]
        start = start_times(left, order, self.workers)[job.spec.key]
        own = job.estimate.seconds if job.estimate else 0.0
        return Position(len(running) + keys.index(job.spec.key), start, start + own)

    def active_jobs(self) -> list[Job]:
        with self._lock:
            return [job for job in self._jobs.values() if job.active]

    def pin(self, spec: JobSpec) -> None:
        """Keep `spec`'s artifact through evictions (the models a lecture was warmed with)."""
        self.store.pin(spec)

    # ---- rules --------------------------------------------------------------------------------
    def _admit(self, user: User, estimate: Estimate) -> None:
        """Refuse work the user may not add now (called under the lock)."""
        own = sum(1 for j in self._jobs.values() if j.active and j.owner.id == user.id and user.id in j.waiters)
        admit(self.limits, user, estimate.seconds, own, len(self._queue))

    def _stop(self, job: Job) -> None:
        job.cancel()
        if job.state is JobState.QUEUED and self._queue.remove(job.spec.key) is not None:
            job._finish(JobState.CANCELLED, error=JobCancelled("Cancelled before it started."))
            log.info("cancelled %s (%s) before it started", job.spec.label, job.spec.key)

    def _remember(self, job: Job) -> Job:
        self._jobs[job.spec.key] = job
        self._jobs.move_to_end(job.spec.key)
        finished = [key for key, j in self._jobs.items() if not j.active]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]
        return job

    # ---- running ------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._wake:
                entry = self._queue.pop()
                while entry is None:
                    self._wake.wait()
                    entry = self._queue.pop()
                job = self._jobs.get(entry.key)
                if job is None or job.state is not JobState.QUEUED:
                    continue
                job.state, job.started = JobState.RUNNING, time.time()
            self._execute(job)

    def _load(self, spec: JobSpec) -> Any | None:
        return load_artifact(self.store, spec)

    def _require(self, spec: JobSpec, parent: Job) -> Any:
        """`spec`'s artifact for `parent`'s training: cached, or trained now in this worker as its
        own job (so it is cached and shared), or awaited if another worker is training it."""
        while True:
            found = self.lookup(spec)
            if found is not None and found.state is JobState.DONE:
                return found.result
            with self._lock:
                job = self._jobs.get(spec.key)
                elsewhere = job is not None and job.state is JobState.RUNNING
                if not elsewhere:
                    if job is not None and job.state is JobState.QUEUED:
                        self._queue.remove(spec.key)
                    job = self._remember(Job(spec, parent.owner))
                    job.waiters |= parent.waiters
                    job.parent, job.state, job.started = parent, JobState.RUNNING, time.time()
            parent.dependency = job
            try:
                if elsewhere:
                    while not job.wait(0.2):
                        if parent.cancel_requested:
                            raise JobCancelled("Training was cancelled.")
                    continue
                self._execute(job)
            finally:
                parent.dependency = None
            if job.state is JobState.DONE:
                return job.result
            raise job.error or JobCancelled("Training was cancelled.")

    def _execute(self, job: Job) -> None:
        try:
            outcome = train_or_load(job.spec, self.store, self.device, job.on_progress,
                                    lambda spec: self._require(spec, job), owner=job.owner.id,
                                    should_stop=lambda: job.cancel_requested,
                                    speeds=self.speeds if job.parent is None else None, load=self._load)
        except JobCancelled as err:
            log.info("cancelled %s (%s)", job.spec.label, job.spec.key)
            job._finish(JobState.CANCELLED, error=err)
        except PlaygroundError as err:
            log.warning("%s (%s) refused: %s", job.spec.label, job.spec.key, err)
            job._finish(JobState.FAILED, error=err)
        except Exception as err:
            job._finish(JobState.FAILED, error=failure_of(err, self.device, job.spec))
        else:
            job.from_cache, job.warning = outcome.from_cache, outcome.warning
            job._finish(JobState.DONE, result=outcome.artifact)


def load_artifact(store: ArtifactStore, spec: JobSpec) -> Any | None:
    """The artifact from disk, or None. Any failure to load is a miss: the artifact is removed
    (and logged) so the job trains again, rather than breaking the page for everyone."""
    loaded = store.load(spec)
    if loaded is None:
        return None
    try:
        return stamped(get_kind(spec.kind).load(*loaded), spec)
    except Exception:  # a meta.json readable but wrong, an artifact from other code: retrain
        log.warning("artifact %s (%s) did not load; removed to be trained again", spec.label, spec.key, exc_info=True)
        store.discard(spec)
        return None


@dataclass
class Outcome:
    artifact: Any
    from_cache: bool
    seconds: float = 0.0
    warning: PlaygroundError | None = None


def train_or_load(spec: JobSpec, store: ArtifactStore, device: torch.device, progress, require, *, owner: str,
                  should_stop, speeds: SpeedBook | None, load) -> Outcome:
    """Under the key's cross-process lock: the artifact another process saved meanwhile, or train
    it, save it (a warning if the cache cannot be written) and tell `speeds` how long it took.
    The one place a job runs, in the server's queue and on a cluster worker alike."""
    kind = get_kind(spec.kind)
    with store.lock(spec, should_stop=should_stop) as locked:
        artifact = load(spec) if locked else None
        if artifact is not None:
            log.info("loaded %s (%s), trained by another process", spec.label, spec.key)
            return Outcome(artifact, True)
        log.info("training %s (%s) on %s", spec.label, spec.key, device)
        started = time.perf_counter()
        result = stamped(kind.train(spec, JobContext(device, progress, require)), spec)
        seconds = time.perf_counter() - started
        tensors, data = kind.dump(result)
        warning = None
        try:
            store.save(spec, tensors, data, owner=owner, train_seconds=round(seconds, 2), device=str(device))
        except OSError as err:
            warning = PlaygroundError("The result could not be cached ({reason}); it lasts until the server "
                                      "restarts.", reason=err.strerror or type(err).__name__)
        if speeds is not None:  # a dependency's time is counted in its own kind only
            speeds.observe(kind.name, kind.work(spec), seconds)
        log.info("trained %s (%s) in %.1f s", spec.label, spec.key, seconds)
        return Outcome(result, False, seconds, warning)


def failure_of(err: Exception, device: torch.device, spec: JobSpec) -> PlaygroundError:
    """A sentence for a job that failed with an exception that is not the user's to read."""
    if out_of_memory(err):
        log.warning("%s (%s) ran out of %s memory", spec.label, spec.key, device)
        if device.type == "cuda":
            torch.cuda.empty_cache()  # hand back what the failed job held, for the next one
            return PlaygroundError("The model did not fit in {device} memory. Choose a smaller model, batch or "
                                   "context, or train on the CPU (NLP_PLAYGROUND_DEVICE=cpu).",
                                   device=device.type.upper())
        return PlaygroundError("The model did not fit in {device} memory. Choose a smaller model, batch or "
                               "context.", device=device.type.upper())
    log.exception("training job %s failed", spec.label)  # a bug: keep serving, tell the user
    return PlaygroundError("Training failed unexpectedly ({kind}). It was logged; try other settings.",
                           kind=type(err).__name__)


def stamped(artifact: Any, spec: JobSpec) -> Any:
    """An artifact that carries a `key` (a model pages derive things from) learns its spec's, so
    caches of what is derived from it are keyed by the model actually used."""
    for part in (artifact, getattr(artifact, "lm", None)):
        if part is not None and hasattr(part, "key") and not isinstance(part, dict):
            part.key = spec.key
    return artifact


def out_of_memory(err: BaseException) -> bool:
    """A failed allocation: CUDA raises `torch.OutOfMemoryError`, the CPU allocator a plain
    RuntimeError that says so."""
    return isinstance(err, torch.OutOfMemoryError) or (
        isinstance(err, RuntimeError) and "can't allocate memory" in str(err))
