"""The job machinery: keys, the atomic on-disk store, dedup, cancel, and several processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from core.errors import JobCancelled, UnknownName
from core.jobs import ArtifactStore, JobManager, JobSpec, JobState
from core.jobs.store import META, TENSORS
from core.progress import Progress
from core.users import User
from tests.jobkinds import bigram_spec, register_test_kind

ROOT = Path(__file__).resolve().parents[2]
RUNNER = """
import json, sys
from tests.jobkinds import bigram_spec, register_test_kind
from core.jobs import ArtifactStore, JobManager
register_test_kind()
job = JobManager(ArtifactStore(sys.argv[2]), workers=1).run(bigram_spec(**json.loads(sys.argv[1])))
print(json.dumps({"state": job.state.value, "from_cache": job.from_cache}))
"""


@pytest.fixture(autouse=True)
def test_kind():
    register_test_kind()


def run_in_process(settings: dict, store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(settings), str(store)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)


def trainings(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_key_is_deterministic_and_depends_on_everything():
    assert bigram_spec(a=1, b=2.0).key == bigram_spec(b=2.0, a=1).key
    keys = {bigram_spec(a=1).key, bigram_spec(a=2).key, bigram_spec("udhr", a=1).key,
            JobSpec.of("test-bigrams", 2, "tinyshakespeare", {"a": 1}).key}
    assert len(keys) == 4  # the kind's version is part of the key
    spec = bigram_spec(a=1)
    assert JobSpec.from_dict(json.loads(json.dumps(spec.as_dict()))) == spec


def test_progress_reports_eta_and_cancels():
    events = []
    tracker = Progress(lambda e: events.append(e) or len(events) < 3, total=10, min_interval_s=0.0)
    tracker.update(1, "one {step}/{steps}", loss=2.0)
    tracker.update(2, "two {thing}", fields={"thing": "x"})
    assert events[0].metrics == {"loss": 2.0} and events[1].fraction == pytest.approx(0.2)
    assert events[0].render() == "one 1/10" and events[1].render() == "two x"
    assert events[1].eta_s is not None and events[1].eta_s >= 0
    with pytest.raises(JobCancelled):
        tracker.update(3, "three")


def test_store_round_trip_and_corruption_is_detected(tmp_path):
    store = ArtifactStore(tmp_path)
    spec = bigram_spec(max_chars=100)
    store.save(spec, {"w": torch.arange(6.0).reshape(2, 3)}, {"words": ["a", "b"]})
    tensors, data = store.load(spec)
    assert torch.equal(tensors["w"], torch.arange(6.0).reshape(2, 3)) and data == {"words": ["a", "b"]}
    with open(store.path(spec) / TENSORS, "r+b") as handle:  # flip one byte of the tensor data
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last[0] ^ 0xFF]))
    assert store.load(spec) is None and not store.path(spec).exists()


@pytest.mark.parametrize("damage", ["meta of another version", "wrong data", "missing tensors", "not json"])
def test_any_artifact_that_fails_to_load_is_a_miss_and_is_trained_again(tmp_path, damage):
    log = tmp_path / "log"
    store = ArtifactStore(tmp_path / "cache")
    spec = bigram_spec(log=str(log))
    assert JobManager(store, workers=1).run(spec, timeout=30).state is JobState.DONE
    meta_path = store.path(spec) / META
    meta = json.loads(meta_path.read_text())
    if damage == "meta of another version":
        meta["spec"]["version"] = 0
    elif damage == "wrong data":
        meta["data"] = {"unexpected": True}  # readable, checksummed, but the kind cannot load it
    elif damage == "missing tensors":
        (store.path(spec) / TENSORS).unlink()
    meta_path.write_text("{" if damage == "not json" else json.dumps(meta))
    fresh = JobManager(store, workers=1)
    assert fresh.lookup(spec) is None and not store.path(spec).exists()
    again = fresh.run(spec, timeout=30)
    assert again.state is JobState.DONE and not again.from_cache and trainings(log) == 2


def test_store_evicts_least_recently_used_but_never_pinned(tmp_path):
    store = ArtifactStore(tmp_path, max_bytes=3000)
    specs = [bigram_spec(n=n) for n in range(4)]
    store.save(specs[0], {"w": torch.zeros(200)}, {})
    store.pin(specs[0])
    for spec in specs[1:]:
        time.sleep(0.02)
        store.save(spec, {"w": torch.zeros(200)}, {})
    assert store.has(specs[0]) and not store.has(specs[1]) and store.has(specs[3])


def test_a_users_own_artifacts_beyond_their_quota_go_first(tmp_path):
    store = ArtifactStore(tmp_path, max_bytes=10**9, user_quota=2500)
    host = bigram_spec(n=-1)
    store.save(host, {"w": torch.zeros(200)}, {})
    mine = [bigram_spec(n=n) for n in range(3)]
    for spec in mine:
        time.sleep(0.02)
        store.save(spec, {"w": torch.zeros(200)}, {}, owner="alice")
    assert store.has(host) and not store.has(mine[0]) and store.has(mine[2])


def test_size_cap_counts_uploads_and_temporary_folders(tmp_path):
    store = ArtifactStore(tmp_path, max_bytes=5000)
    store.save(bigram_spec(n=0), {"w": torch.zeros(200)}, {})
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "big.txt").write_bytes(b"x" * 4000)
    store.save(bigram_spec(n=1), {"w": torch.zeros(200)}, {})
    assert not store.has(bigram_spec(n=0))  # evicted: the upload counts toward the cap


def test_temporary_folders_of_dead_writers_are_cleaned_at_start(tmp_path):
    from core.jobs.store import HOST

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / "tmp" / f"{'0' * 32}-{HOST}-{dead.stdout.strip()}-abcdef12"
    alive = tmp_path / "tmp" / f"{'1' * 32}-{HOST}-{os.getpid()}-abcdef12"
    leftover.mkdir(parents=True)
    alive.mkdir()
    ArtifactStore(tmp_path)
    assert not leftover.exists() and alive.exists()


def test_same_spec_trains_once_and_is_shared(tmp_path):
    log = tmp_path / "log"
    manager = JobManager(ArtifactStore(tmp_path / "cache"), workers=2)
    spec = bigram_spec(log=str(log), delay_s=0.02)
    first, second = manager.submit(spec), manager.submit(spec, User("bob"))
    assert first is second and first.waiters == {"host", "bob"}
    assert first.wait(30) and first.state is JobState.DONE
    assert trainings(log) == 1 and first.result["counts"].sum() > 0
    assert len(first.events) == 10 and first.events[-1].fraction == 1.0


def test_cancel_withdraws_only_your_wait(tmp_path):
    store = ArtifactStore(tmp_path)
    manager = JobManager(store, workers=1)
    alice, bob = User("alice"), User("bob")
    spec = bigram_spec(steps=200, delay_s=0.02)
    job = manager.submit(spec, alice)
    manager.submit(spec, bob)
    while not job.events:
        time.sleep(0.01)
    manager.withdraw(job, bob)  # bob gives up: alice still waits, the job goes on
    time.sleep(0.2)
    assert job.state is JobState.RUNNING and not job.cancel_requested
    with pytest.raises(Exception, match="Only a lecturer"):
        manager.cancel(job, bob)
    manager.withdraw(job, alice)  # nobody waits any more: it stops
    assert job.wait(10) and job.state is JobState.CANCELLED
    assert not store.has(spec) and job.error
    again = manager.submit(spec, alice)  # a cancelled job can be started again
    assert again is not job and again.state in (JobState.QUEUED, JobState.RUNNING)
    manager.cancel(again, User("teacher", "lecturer"))  # a lecturer stops it for everyone
    assert again.wait(10) and again.state is JobState.CANCELLED


def test_a_queued_job_withdrawn_is_cancelled_at_once(tmp_path):
    manager = JobManager(ArtifactStore(tmp_path), workers=1)
    blocker = manager.submit(bigram_spec(steps=100, delay_s=0.02), User("a"))
    queued = manager.submit(bigram_spec(n=1), User("b"))
    assert queued.state is JobState.QUEUED
    manager.withdraw(queued, User("b"))
    assert queued.state is JobState.CANCELLED and queued.finished is not None
    manager.cancel(blocker, User("t", "lecturer"))


def test_students_are_limited_and_served_in_turn(tmp_path):
    from core.jobs import Limits

    manager = JobManager(ArtifactStore(tmp_path), workers=1, limits=Limits(jobs_per_user=2, max_queue=4,
                                                                           budget_s=60))
    lecturer = User("t", "lecturer")
    blocker = manager.submit(bigram_spec(steps=400, delay_s=0.02), lecturer)
    while blocker.state is not JobState.RUNNING:
        time.sleep(0.01)
    hog, other = User("hog"), User("other")
    first = [manager.submit(bigram_spec(n=n), hog) for n in range(2)]
    with pytest.raises(Exception, match="limit is 2"):
        manager.submit(bigram_spec(n=2), hog)
    with pytest.raises(Exception, match="up to 1 min"):
        manager.submit(bigram_spec(n=3, seconds=600), other)  # estimated at 10 minutes
    manager.submit(bigram_spec(n=3, seconds=600), lecturer)  # a lecturer has no budget
    late = manager.submit(bigram_spec(n=4), other)
    order = [entry.user for entry in manager._queue.order()]
    assert order[:3] == ["t", "hog", "other"]  # lecturer first, then in turn: not behind all of hog's
    assert manager.position(late).ahead == 3  # the running job counts
    assert manager.position(blocker).ahead == 0 and manager.position(late).starts_in_s > 0
    with pytest.raises(Exception, match="queue is full"):
        manager.submit(bigram_spec(n=5), User("third"))
    manager.submit(bigram_spec(n=1), User("third"))  # joining a queued job costs nothing: always allowed
    for job in [blocker, *first, late]:
        manager.cancel(job, lecturer)


def test_a_dependency_is_its_own_cached_job_trained_once(tmp_path):
    log = tmp_path / "log"
    store = ArtifactStore(tmp_path / "cache")
    manager = JobManager(store, workers=1)
    needed = bigram_spec(log=str(log), n="base")
    parents = [bigram_spec(needs=needed.as_dict(), n=n) for n in range(2)]
    for spec in parents:
        assert manager.run(spec, timeout=30).state is JobState.DONE
    assert trainings(log) == 1 and store.has(needed)  # trained inside the first, cached, reused
    assert manager.lookup(needed).state is JobState.DONE


def test_failure_is_reported_not_raised(tmp_path):
    manager = JobManager(ArtifactStore(tmp_path), workers=1)
    job = manager.run(bigram_spec("no-such-corpus"), timeout=10)
    assert job.state is JobState.FAILED and isinstance(job.error, UnknownName)
    assert "no-such-corpus" in str(job.error)


def test_out_of_memory_fails_with_a_clear_message_and_the_queue_keeps_serving(tmp_path):
    """A real allocation the device cannot satisfy (1 PiB: beyond any address space)."""
    manager = JobManager(ArtifactStore(tmp_path), workers=1)
    failed = manager.run(bigram_spec(alloc_bytes=2**50), timeout=30)
    assert failed.state == JobState.FAILED
    assert str(failed.error).startswith(f"The model did not fit in {manager.device.type.upper()} memory.")
    assert "Choose a smaller model" in str(failed.error) and "unexpectedly" not in str(failed.error)
    after = manager.run(bigram_spec(steps=2), timeout=30)
    assert after.state == JobState.DONE and after.error is None


def test_unwritable_cache_still_trains_and_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    manager = JobManager(ArtifactStore(blocker / "cache"), workers=1)
    assert not manager.store.writable
    job = manager.run(bigram_spec(), timeout=30)
    assert job.state is JobState.DONE and "could not be cached" in str(job.warning)


def test_estimates_learn_from_the_jobs_that_ran(tmp_path):
    store = ArtifactStore(tmp_path)
    manager = JobManager(store, workers=1)
    spec = bigram_spec(delay_s=0.1, seconds=0.01)  # declares 0.01 s, takes about 1 s
    first = manager.estimate(spec)
    assert not first.measured and first.seconds == pytest.approx(0.01)
    manager.run(spec, timeout=30)
    learned = JobManager(store, workers=1).estimate(bigram_spec(delay_s=0.1, seconds=0.01, n=1))
    assert learned.measured and learned.seconds > 0.5  # another process reads what this one learned


def test_waiting_for_another_process_stops_with_a_cancel_not_a_timeout(tmp_path):
    store = ArtifactStore(tmp_path)
    spec = bigram_spec()
    with store.lock(spec):
        other = ArtifactStore(tmp_path)
        with pytest.raises(JobCancelled):
            with other.lock(spec, should_stop=lambda: True, poll_s=0.01):
                pass


def test_second_process_loads_from_disk_without_training(tmp_path):
    log, store = tmp_path / "log", tmp_path / "cache"
    settings = {"log": str(log)}
    outputs = [json.loads(run_in_process(settings, store).communicate(timeout=120)[0]) for _ in range(2)]
    assert outputs == [{"state": "done", "from_cache": False}, {"state": "done", "from_cache": True}]
    assert trainings(log) == 1


def test_killed_job_leaves_no_half_written_artifact(tmp_path):
    log, store_dir = tmp_path / "log", tmp_path / "cache"
    settings = {"log": str(log), "steps": 100, "delay_s": 0.05}
    process = run_in_process(settings, store_dir)
    deadline = time.time() + 60
    while trainings(log) == 0 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    store = ArtifactStore(store_dir)
    assert not store.has(bigram_spec(**settings)) and store.load(bigram_spec(**settings)) is None
    assert not list(store_dir.glob(f"artifacts/*/*/{META}"))
    assert not list(store_dir.glob("tmp/*"))  # nothing half-written left anywhere
    job = JobManager(store, workers=1).run(bigram_spec(**settings), timeout=60)
    assert job.state is JobState.DONE and not job.from_cache and trainings(log) == 2


def test_two_processes_sharing_a_cache_train_a_key_once(tmp_path):
    log, store = tmp_path / "log", tmp_path / "cache"
    settings = {"log": str(log), "steps": 20, "delay_s": 0.05}
    processes = [run_in_process(settings, store) for _ in range(2)]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in processes]
    assert trainings(log) == 1
    assert sorted(o["from_cache"] for o in outputs) == [False, True]
