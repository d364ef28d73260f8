"""Training on a Ray cluster, when a department outgrows one server (`NLP_PLAYGROUND_RAY_ADDRESS`).

The same rules as the in-process queue hold across every app replica, because one named, detached
actor holds the queue for the whole cluster (`Scheduler`): per-user limits, the queue's bound and
round-robin between users (`core.jobs.fairness`) are applied there, and each key is one job there
whichever replica asked. The scheduler starts at most as many jobs as the cluster has room for
(CPUs per job, or a fraction of a GPU per job when jobs train on CUDA), each as a Ray task that
requests those resources; Ray places it on a worker. The task trains exactly as a job in the
server's own queue does (`core.jobs.manager.train_or_load`) into the shared cache folder every node
mounts (atomic writes, checksums, a file lock per key), and reports progress to the scheduler;
replicas poll the scheduler and load the artifact from the shared folder when it is done.

Cancel is cooperative first (the task's next progress report is told to stop), then forced
(`ray.cancel(force=True)` kills the worker process) if it does not stop within `STOP_GRACE_S`. A
worker that dies mid-job is retried elsewhere by Ray (`max_retries`), or the job fails with a
sentence; nothing half-written is ever loaded, since an artifact appears only by an atomic rename.

Ray is optional (`pip install .[cluster]`); nothing imports this module unless the setting is made.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import ray
import torch

from core import settings
from core.errors import JobCancelled, PlaygroundError, Refused
from core.jobs.estimate import SpeedBook, measure_flop_rate
from core.jobs.fairness import Entry, FairQueue, start_times
from core.jobs.manager import (ENDED, Job, JobManager, JobState, Limits, Position, admit, failure_of,
                               load_artifact, train_or_load)
from core.jobs.spec import JobSpec
from core.jobs.store import ArtifactStore
from core.progress import ProgressEvent
from core.users import User

log = logging.getLogger(__name__)
NAMESPACE = "nlp-playground"
SCHEDULER = "scheduler"
POLL_S = 0.5  # how often a replica asks the scheduler about the jobs its pages show
REPORT_S = 0.5  # how often a task reports progress (and hears whether to stop)
STOP_GRACE_S = 5.0  # a task told to stop that has not stopped after this is killed
MAX_EVENTS = 600


def _error_data(err: PlaygroundError) -> dict:
    return {"template": err.template, "fields": {k: str(v) if not isinstance(v, (int, float)) else v
                                                 for k, v in err.fields.items()}, "type": type(err).__name__}


def _error_of(data: dict | None) -> PlaygroundError | None:
    if not data:
        return None
    kind = {"Refused": Refused, "JobCancelled": JobCancelled}.get(data.get("type"), PlaygroundError)
    return kind(data["template"], **data.get("fields", {}))


def _event_data(event: ProgressEvent) -> dict:
    return {"step": event.step, "total": event.total, "message": event.message, "elapsed_s": event.elapsed_s,
            "metrics": dict(event.metrics), "fields": {k: v for k, v in event.fields.items()
                                                       if isinstance(v, (int, float, str))}}


@ray.remote(max_retries=2)
def run_job(spec_data: dict, owner: str, root: str, device_name: str, scheduler) -> dict:
    """One job on a cluster worker: train (or find) the artifact in the shared folder.

    Returns the outcome as plain data ({"state": "done" | "failed" | "cancelled", "error": ...})."""
    spec = JobSpec.from_dict(spec_data)
    device = torch.device(device_name)
    store = ArtifactStore(root)
    stop = threading.Event()
    last = [0.0]

    def report(event: ProgressEvent) -> bool:
        now = time.monotonic()
        if now - last[0] >= REPORT_S or event.fraction >= 1.0:
            last[0] = now
            if not ray.get(scheduler.report.remote(spec.key, _event_data(event))):
                stop.set()
        return not stop.is_set()

    def require(dependency: JobSpec) -> Any:
        return train_or_load(dependency, store, device, report, require, owner=owner, should_stop=stop.is_set,
                             speeds=None, load=lambda s: load_artifact(store, s)).artifact

    try:
        outcome = train_or_load(spec, store, device, report, require, owner=owner, should_stop=stop.is_set,
                                speeds=SpeedBook(device, store.root / "speed"), load=lambda s: load_artifact(store, s))
    except JobCancelled as err:
        return {"state": "cancelled", "error": _error_data(err)}
    except PlaygroundError as err:
        return {"state": "failed", "error": _error_data(err)}
    except Exception as err:  # a bug or out of memory, as a sentence
        return {"state": "failed", "error": _error_data(failure_of(err, device, spec))}
    return {"state": "done", "from_cache": outcome.from_cache, "seconds": outcome.seconds,
            "warning": _error_data(outcome.warning) if outcome.warning else None}


@ray.remote(num_cpus=0)
def calibrate(device_name: str) -> float:
    """This cluster's worker speed (see `core.jobs.estimate.measure_flop_rate`)."""
    return measure_flop_rate(torch.device(device_name))


@ray.remote(num_cpus=0)
class Scheduler:
    """The cluster's one queue: admission, round-robin, dispatch within the cluster's room."""

    def __init__(self, root: str, limits: dict, device: str, request: dict):
        self.root, self.limits, self.device, self.request = root, Limits(**limits), device, request
        self.jobs: dict[str, dict] = {}
        self.queue = FairQueue()

    # ---- asked by replicas -----------------------------------------------------------------------
    async def submit(self, spec_data: dict, user: dict, estimate_s: float) -> dict:
        key = JobSpec.from_dict(spec_data).key
        job = self.jobs.get(key)
        if job is not None and job["state"] in ("queued", "running"):
            job["waiters"].add(user["id"])
            return {"ok": True}
        who = User(**user)
        own = sum(1 for j in self.jobs.values() if j["state"] in ("queued", "running") and j["owner"] == who.id
                  and who.id in j["waiters"])
        try:
            admit(self.limits, who, estimate_s, own, len(self.queue))
        except Refused as refused:
            return {"refused": _error_data(refused)}
        self.jobs[key] = {"spec": spec_data, "owner": who.id, "waiters": {who.id}, "state": "queued", "events": [],
                          "error": None, "estimate_s": estimate_s, "ref": None, "started": None, "stop": False,
                          "outcome": None, "launches": 0}
        self.queue.push(Entry(key, who.id, who.priority, estimate_s))
        self._dispatch()
        return {"ok": True}

    async def withdraw(self, key: str, user_id: str, everyone: bool = False) -> None:
        job = self.jobs.get(key)
        if job is None or job["state"] not in ("queued", "running"):
            return
        job["waiters"] = set() if everyone else job["waiters"] - {user_id}
        if job["waiters"]:
            return
        if job["state"] == "queued":
            self.queue.remove(key)
            self._finish(key, {"state": "cancelled", "error": _error_data(JobCancelled("Cancelled before it started."))})
            return
        job["stop"] = True
        asyncio.get_running_loop().call_later(STOP_GRACE_S, self._force_stop, key)

    def status(self, keys: list[str]) -> dict[str, dict]:
        running = [(k, j) for k, j in self.jobs.items() if j["state"] == "running"]
        order = self.queue.order()
        starts = start_times([self._left(j) for _, j in running], order, max(1, self._slots()))
        place = {entry.key: i for i, entry in enumerate(order)}
        out = {}
        for key in keys:
            job = self.jobs.get(key)
            if job is None:
                continue
            ahead = len(running) + place[key] if key in place else 0
            start = starts.get(key, 0.0 if job["state"] == "running" else None)
            out[key] = {"state": job["state"], "events": job["events"][-MAX_EVENTS:], "error": job["error"],
                        "outcome": job["outcome"], "waiters": sorted(job["waiters"]), "ahead": ahead,
                        "launches": job["launches"],
                        "starts_in_s": start, "done_in_s": None if start is None else start + self._left(job)}
        return out

    def active(self) -> list[str]:
        return [k for k, j in self.jobs.items() if j["state"] in ("queued", "running")]

    # ---- asked by tasks --------------------------------------------------------------------------
    async def report(self, key: str, event: dict) -> bool:
        job = self.jobs.get(key)
        if job is None:
            return False
        job["events"].append(event)
        if len(job["events"]) > MAX_EVENTS:
            job["events"] = job["events"][::2]
        return not job["stop"]

    # ---- inside ----------------------------------------------------------------------------------
    def _slots(self) -> int:
        """How many jobs the cluster has room for now (its resources over what one job asks)."""
        total = ray.cluster_resources()
        if "num_gpus" in self.request:
            return int(total.get("GPU", 0) // self.request["num_gpus"])
        return int(total.get("CPU", 0) // self.request["num_cpus"])

    def _left(self, job: dict) -> float:
        if job["state"] == "running" and job["events"]:
            last = job["events"][-1]
            done = last["step"] / last["total"] if last["total"] else 0
            return last["elapsed_s"] * (1 - done) / done if done > 0 else job["estimate_s"]
        return job["estimate_s"]

    def _dispatch(self) -> None:
        running = sum(1 for j in self.jobs.values() if j["state"] == "running")
        while running < self._slots():
            entry = self.queue.pop()
            if entry is None:
                return
            job = self.jobs[entry.key]
            me = ray.get_runtime_context().current_actor
            job["ref"] = run_job.options(**self.request).remote(job["spec"], job["owner"], self.root, self.device, me)
            job["state"], job["started"] = "running", time.time()
            job["launches"] += 1
            asyncio.get_running_loop().create_task(self._watch(entry.key, job["ref"]))
            running += 1

    async def _watch(self, key: str, ref) -> None:
        try:
            outcome = await ref
        except ray.exceptions.TaskCancelledError:
            outcome = {"state": "cancelled", "error": _error_data(JobCancelled("Training was cancelled."))}
        except ray.exceptions.RayError as err:  # the worker died, and so did every retry
            log.warning("job %s failed on the cluster: %s", key, err)
            outcome = {"state": "failed", "error": _error_data(PlaygroundError(
                "The cluster worker training this model stopped ({reason}). Try again.", reason=type(err).__name__))}
        self._finish(key, outcome)
        self._dispatch()

    def _finish(self, key: str, outcome: dict) -> None:
        job = self.jobs[key]
        job["state"], job["error"], job["outcome"] = outcome["state"], outcome.get("error"), outcome

    def _force_stop(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is not None and job["state"] == "running" and job["ref"] is not None:
            ray.cancel(job["ref"], force=True)


class ClusterManager(JobManager):
    """A `JobManager` whose queue is the cluster's scheduler: pages use it exactly as the local one."""

    def __init__(self, address: str, store: ArtifactStore | None = None, device: str | None = None,
                 limits: Limits | None = None):
        device = torch.device(device or settings.device_setting() or "cpu")
        super().__init__(store, workers=0, device=device, limits=limits)
        self.device = device  # the cluster's workers train here, whatever this replica has
        ray.init(address=address, namespace=NAMESPACE, ignore_reinit_error=True, log_to_driver=False,
                 configure_logging=False)
        request = {"num_gpus": settings.ray_gpu_fraction()} if device.type == "cuda" else {"num_cpus": settings.ray_cpus()}
        limits = self.limits
        self.scheduler = Scheduler.options(name=SCHEDULER, lifetime="detached", get_if_exists=True).remote(
            str(self.store.root), {"jobs_per_user": limits.jobs_per_user, "max_queue": limits.max_queue,
                                   "budget_s": limits.budget_s}, str(device), request)
        self.speeds = SpeedBook(device, self.store.root / "speed",
                                measure=lambda d: ray.get(calibrate.remote(str(d))))
        self._status: dict[str, dict] = {}
        threading.Thread(target=self._poll, name="nlp-playground-cluster-poll", daemon=True).start()

    def lookup(self, spec: JobSpec) -> Job | None:
        job = super().lookup(spec)
        if job is not None:
            return job
        status = ray.get(self.scheduler.status.remote([spec.key])).get(spec.key)
        if status is None or status["state"] not in ("queued", "running"):
            return None
        with self._lock:
            mirror = self._jobs.get(spec.key) or self._remember(Job(spec, User(status["waiters"][0] if status[
                "waiters"] else "host")))
        self._update(mirror, status)
        return mirror

    def submit(self, spec: JobSpec, user: User = User("host", "host")) -> Job:
        job = super().lookup(spec)
        if job is not None and job.state is JobState.DONE:
            return job
        estimate = self.estimate(spec)
        reply = ray.get(self.scheduler.submit.remote(spec.as_dict(), {"id": user.id, "role": user.role,
                                                                      "name": user.name}, estimate.seconds))
        if "refused" in reply:
            raise _error_of(reply["refused"])
        with self._lock:
            existing = self._jobs.get(spec.key)
            job = existing if existing is not None and existing.state not in ENDED else self._remember(
                Job(spec, user, estimate))
            job.waiters.add(user.id)
        return job

    def withdraw(self, job: Job, user: User) -> None:
        ray.get(self.scheduler.withdraw.remote(job.spec.key, user.id))
        job.waiters.discard(user.id)

    def cancel(self, job: Job, user: User) -> None:
        if not user.privileged:
            raise Refused("Only a lecturer can stop a job that others are waiting for; Cancel stops your own wait.")
        ray.get(self.scheduler.withdraw.remote(job.spec.key, user.id, True))

    def position(self, job: Job) -> Position:
        status = self._status.get(job.spec.key)
        if status is None or job.state not in (JobState.QUEUED, JobState.RUNNING):
            return Position(0, None, None)
        return Position(status["ahead"], status["starts_in_s"], status["done_in_s"])

    def _poll(self) -> None:
        while True:
            time.sleep(POLL_S)
            with self._lock:
                watched = {key: job for key, job in self._jobs.items() if job.active}
            if not watched:
                continue
            try:
                statuses = ray.get(self.scheduler.status.remote(list(watched)))
            except ray.exceptions.RayError:
                log.warning("the cluster's scheduler did not answer", exc_info=True)
                continue
            for key, job in watched.items():
                if key in statuses:
                    self._update(job, statuses[key])

    def _update(self, job: Job, status: dict) -> None:
        self._status[job.spec.key] = status
        job.waiters = set(status["waiters"])
        job.events = [ProgressEvent(e["step"], e["total"], e["message"], e["elapsed_s"], e["metrics"], e["fields"])
                      for e in status["events"]]
        if status["state"] == "running" and job.state is JobState.QUEUED:
            job.state, job.started = JobState.RUNNING, time.time()
        elif status["state"] == "done":
            artifact = self._load(job.spec)
            if artifact is None:
                job._finish(JobState.FAILED, error=PlaygroundError(
                    "The cluster trained this model but its artifact could not be read from the shared folder."))
                return
            job.from_cache = bool(status["outcome"].get("from_cache"))
            job.warning = _error_of(status["outcome"].get("warning"))
            job._finish(JobState.DONE, result=artifact)
        elif status["state"] in ("failed", "cancelled"):
            job._finish(JobState.FAILED if status["state"] == "failed" else JobState.CANCELLED,
                        error=_error_of(status["error"]))
