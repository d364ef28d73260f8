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

import tests.jobkinds  # noqa: F401  (registers the "test-bigrams" kind)
from core.errors import JobCancelled
from core.jobs import ArtifactStore, JobManager, JobSpec, JobState, Progress
from core.jobs.store import META, TENSORS

ROOT = Path(__file__).resolve().parents[2]
RUNNER = """
import json, sys
import tests.jobkinds
from core.jobs import ArtifactStore, JobManager, JobSpec
spec = JobSpec.of("test-bigrams", "tinyshakespeare", json.loads(sys.argv[1]))
job = JobManager(ArtifactStore(sys.argv[2]), workers=1).run(spec)
print(json.dumps({"state": job.state.value, "from_cache": job.from_cache}))
"""


def spec_of(**settings) -> JobSpec:
    return JobSpec.of("test-bigrams", "tinyshakespeare", settings)


def run_in_process(settings: dict, store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(settings), str(store)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)


def trainings(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_key_is_deterministic_and_depends_on_everything():
    assert spec_of(a=1, b=2.0).key == JobSpec.of("test-bigrams", "tinyshakespeare", {"b": 2.0, "a": 1}).key
    keys = {spec_of(a=1).key, spec_of(a=2).key, JobSpec.of("test-bigrams", "udhr", {"a": 1}).key}
    assert len(keys) == 3


def test_progress_reports_eta_and_cancels():
    events = []
    tracker = Progress(lambda e: events.append(e) or len(events) < 3, total=10, min_interval_s=0.0)
    tracker.update(1, "one", loss=2.0)
    tracker.update(2, "two")
    assert events[0].metrics == {"loss": 2.0} and events[1].fraction == pytest.approx(0.2)
    assert events[1].eta_s is not None and events[1].eta_s >= 0
    with pytest.raises(JobCancelled):
        tracker.update(3, "three")


def test_store_round_trip_and_corruption_is_detected(tmp_path):
    store = ArtifactStore(tmp_path)
    spec = spec_of(max_chars=100)
    store.save(spec, {"w": torch.arange(6.0).reshape(2, 3)}, {"words": ["a", "b"]})
    tensors, data = store.load(spec)
    assert torch.equal(tensors["w"], torch.arange(6.0).reshape(2, 3)) and data == {"words": ["a", "b"]}
    with open(store.path(spec) / TENSORS, "r+b") as handle:  # flip one byte of the tensor data
        handle.seek(-1, os.SEEK_END)
        last = handle.read(1)
        handle.seek(-1, os.SEEK_END)
        handle.write(bytes([last[0] ^ 0xFF]))
    assert store.load(spec) is None and not store.path(spec).exists()


def test_store_evicts_least_recently_used(tmp_path):
    store = ArtifactStore(tmp_path, max_bytes=3000)
    specs = [spec_of(n=n) for n in range(3)]
    for spec in specs:
        store.save(spec, {"w": torch.zeros(200)}, {})
        time.sleep(0.02)
    assert not store.has(specs[0]) and store.has(specs[2])


def test_same_spec_trains_once_and_is_shared(tmp_path):
    log = tmp_path / "log"
    manager = JobManager(ArtifactStore(tmp_path / "cache"), workers=2)
    spec = spec_of(log=str(log), delay_s=0.02)
    first, second = manager.submit(spec), manager.submit(spec)
    assert first is second
    assert first.wait(30) and first.state is JobState.DONE
    assert trainings(log) == 1 and first.result["counts"].sum() > 0
    assert len(first.events) == 10 and first.events[-1].fraction == 1.0


def test_cancel_stops_training_and_saves_nothing(tmp_path):
    store = ArtifactStore(tmp_path)
    manager = JobManager(store, workers=1)
    spec = spec_of(steps=200, delay_s=0.02)
    job = manager.submit(spec)
    while not job.events:
        time.sleep(0.01)
    job.cancel()
    assert job.wait(10) and job.state is JobState.CANCELLED
    assert not store.has(spec) and job.error
    again = manager.submit(spec)  # a cancelled job can be started again
    assert again is not job and again.state in (JobState.QUEUED, JobState.RUNNING)
    again.cancel()


def test_failure_is_reported_not_raised(tmp_path):
    manager = JobManager(ArtifactStore(tmp_path), workers=1)
    job = manager.run(JobSpec.of("test-bigrams", "no-such-corpus", {}), timeout=10)
    assert job.state is JobState.FAILED and "no-such-corpus" in job.error


def test_out_of_memory_fails_with_a_clear_message_and_the_queue_keeps_serving(tmp_path):
    """A real allocation the device cannot satisfy (1 PiB: beyond any address space)."""
    manager = JobManager(ArtifactStore(tmp_path), workers=1)
    failed = manager.run(spec_of(alloc_bytes=2**50), timeout=30)
    assert failed.state == JobState.FAILED
    assert failed.error.startswith(f"The model did not fit in {manager.device.type.upper()} memory.")
    assert "Choose a smaller model" in failed.error and "unexpectedly" not in failed.error
    after = manager.run(spec_of(steps=2), timeout=30)
    assert after.state == JobState.DONE and after.error is None


def test_unwritable_cache_still_trains_and_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    manager = JobManager(ArtifactStore(blocker / "cache"), workers=1)
    assert not manager.store.writable
    job = manager.run(spec_of(), timeout=30)
    assert job.state is JobState.DONE and "could not be cached" in job.warning


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
    assert not store.has(spec_of(**settings)) and store.load(spec_of(**settings)) is None
    assert not list(store_dir.glob(f"artifacts/*/*/{META}"))
    job = JobManager(store, workers=1).run(spec_of(**settings), timeout=60)
    assert job.state is JobState.DONE and not job.from_cache and trainings(log) == 2


def test_two_processes_sharing_a_cache_train_a_key_once(tmp_path):
    log, store = tmp_path / "log", tmp_path / "cache"
    settings = {"log": str(log), "steps": 20, "delay_s": 0.05}
    processes = [run_in_process(settings, store) for _ in range(2)]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in processes]
    assert trainings(log) == 1
    assert sorted(o["from_cache"] for o in outputs) == [False, True]
