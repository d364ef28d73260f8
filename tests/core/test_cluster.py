"""Training on a real local Ray cluster (a head and one worker process on this machine): artifacts
appear in the shared folder and load, progress arrives, cancel stops the remote work, two
replicas asking for one key train it once, and a killed worker leaves the store sound."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is the optional cluster extra: pip install .[cluster]")

from core.jobs import ArtifactStore, JobState  # noqa: E402
from core.lm.config import LMConfig  # noqa: E402
from core.lm.jobs import lm_spec  # noqa: E402
from core.users import User  # noqa: E402
from harness.servers import ROOT, free_port  # noqa: E402

pytestmark = pytest.mark.slow
TINY = LMConfig(n_layer=1, n_head=2, n_embd=32, block_size=32, batch_size=8, eval_interval=20, sample_interval=1000,
                snapshot_interval=1000)
RAY = str(Path(sys.executable).parent / "ray")


def tiny_lm(steps: int, seed: int = 0):
    return lm_spec(steps=steps, config=TINY.replace(seed=seed))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """`ray start` a head (no CPU for jobs) and one worker node (2 CPUs), on loopback."""
    temp = tmp_path_factory.mktemp("ray")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    head = [RAY, "start", "--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false",
            "--disable-usage-stats", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"]
    subprocess.run(head, env=env, check=True, capture_output=True, cwd=ROOT)
    subprocess.run([RAY, "start", f"--address=127.0.0.1:{port}", "--num-cpus=2", "--node-ip-address=127.0.0.1"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    yield f"127.0.0.1:{port}"
    subprocess.run([RAY, "stop", "--force"], capture_output=True)


@pytest.fixture(scope="module")
def manager(cluster, tmp_path_factory):
    from core.jobs.cluster import ClusterManager

    store = ArtifactStore(tmp_path_factory.mktemp("shared"))
    yield ClusterManager(cluster, store=store, device="cpu")
    ray.shutdown()


def test_a_job_trains_on_the_cluster_with_progress_and_loads(manager):
    steps = 1200  # several seconds here: reports (every 0.5 s) and polls (every 0.5 s) meet more than once
    spec = tiny_lm(steps)
    job = manager.submit(spec, User("alice"))
    running_steps = set()
    while not job.wait(0.1):
        running_steps |= {event.step for event in job.events if event.step < steps}
    assert job.state is JobState.DONE, job.error
    assert len(running_steps) >= 2 and job.events[-1].step == steps  # progress arrived while it ran
    assert job.result.config.n_layer == 1 and manager.store.has(spec)
    assert manager.lookup(spec).state is JobState.DONE


def test_cancel_stops_the_remote_work(manager):
    spec = tiny_lm(50_000, seed=1)
    job = manager.submit(spec, User("alice"))
    while not job.events:
        time.sleep(0.2)
    started = time.time()
    manager.withdraw(job, User("alice"))
    assert job.wait(30) and job.state is JobState.CANCELLED
    assert time.time() - started < 15 and not manager.store.has(spec)


def test_two_replicas_asking_for_one_key_train_it_once(manager, cluster):
    spec = tiny_lm(60, seed=2)
    other = subprocess.Popen([sys.executable, "-c", (
        "import sys; from core.jobs.cluster import ClusterManager; from core.jobs import ArtifactStore\n"
        "from core.lm.jobs import lm_spec; from core.lm.config import LMConfig; from core.users import User\n"
        f"m = ClusterManager({cluster!r}, store=ArtifactStore({str(manager.store.root)!r}), device='cpu')\n"
        "spec = lm_spec(steps=60, config=LMConfig(n_layer=1, n_head=2, n_embd=32, block_size=32, batch_size=8,"
        " eval_interval=20, sample_interval=1000, snapshot_interval=1000, seed=2))\n"
        "job = m.submit(spec, User('bob')); job.wait(300); print(job.state.value)")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    job = manager.submit(spec, User("alice"))
    assert job.wait(300) and job.state is JobState.DONE
    assert other.communicate(timeout=300)[0].strip().endswith("done")
    status = ray.get(manager.scheduler.status.remote([spec.key]))[spec.key]
    assert status["launches"] == 1 and set(status["waiters"]) <= {"alice", "bob"}


def test_the_cluster_applies_the_class_rules(manager):
    from core.jobs import Limits

    strict = {"jobs_per_user": 1, "max_queue": 20, "budget_s": 1e9}
    assert Limits(**strict)
    first = manager.submit(tiny_lm(30_000, seed=3), User("carol"))
    with pytest.raises(Exception, match="limit is 2"):
        for seed in (4, 5):
            manager.submit(tiny_lm(30_000, seed=seed), User("carol"))
    for seed in (3, 4):
        job = manager.lookup(tiny_lm(30_000, seed=seed))
        if job is not None:
            manager.cancel(job, User("teacher", "lecturer"))
    assert first.wait(30)


def test_a_killed_worker_does_not_corrupt_the_store(manager):
    spec = tiny_lm(3_000, seed=6)
    job = manager.submit(spec, User("dave"))
    while not job.events or job.events[-1].step < 20:
        time.sleep(0.2)
    pids = subprocess.run(["pgrep", "-f", "ray::run_job"], capture_output=True, text=True).stdout.split()
    assert pids, "no worker is running the job"
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    assert job.wait(600), "the job neither finished after a retry nor failed"
    assert job.state in (JobState.DONE, JobState.FAILED)
    if job.state is JobState.FAILED:
        assert "stopped" in str(job.error)
    fresh = ArtifactStore(manager.store.root)  # a new replica: temporary leftovers are cleaned at start
    assert not list(fresh.root.glob("tmp/*"))
    if job.state is JobState.DONE:
        assert fresh.load(spec) is not None  # checksummed: what is there is whole
    assert shutil.which("pgrep")
