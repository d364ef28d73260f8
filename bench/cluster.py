"""Jobs per minute on a local Ray cluster with one and two workers, against the in-process queue.

    python -m bench.cluster [--jobs toy|tokenizers|both]

The same batch of default jobs (the four toy-task models and the four default tokenizers), each
trained from an empty cache: by the server's own queue (one job at a time), then on a Ray cluster
started on this machine (a head that trains nothing, and one or two worker nodes of one CPU each),
through the cluster manager the app uses. Prints a Markdown table (docs/benchmarks.md#cluster).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import table
from core.jobs import ArtifactStore, JobManager, JobSpec
from core.lm.jobs import toy_spec
from core.tokenizers.jobs import ALGORITHMS, default_spec
from core.users import User
from harness.servers import ROOT, free_port

RAY = str(Path(sys.executable).parent / "ray")


def batch(which: str) -> list[JobSpec]:
    toys = [toy_spec(task) for task in ("copy", "reverse", "sort", "induction")]
    tokenizers = [default_spec(algorithm) for algorithm in ALGORITHMS]
    return {"toy": toys, "tokenizers": tokenizers, "both": toys + tokenizers}[which]


def run_all(manager: JobManager, specs: list[JobSpec]) -> float:
    """Seconds until every job is done (all submitted at once, by different users: round-robin)."""
    start = time.perf_counter()
    jobs = [manager.submit(spec, User(f"student{i}", "lecturer")) for i, spec in enumerate(specs)]
    for job in jobs:
        job.wait()
        assert job.error is None, job.error
    return time.perf_counter() - start


def local(specs: list[JobSpec]) -> float:
    return run_all(JobManager(ArtifactStore(tempfile.mkdtemp(prefix="bench-local-")), workers=1), specs)


def on_cluster(which: str, workers: int) -> float:
    """Start a head and `workers` one-CPU worker nodes, run the batch through a ClusterManager, stop."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    port = free_port()
    temp = tempfile.mkdtemp(prefix="bench-ray-")
    subprocess.run([RAY, "start", "--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false",
                    "--disable-usage-stats", f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    try:
        for _ in range(workers):
            subprocess.run([RAY, "start", f"--address=127.0.0.1:{port}", "--num-cpus=1",
                            "--node-ip-address=127.0.0.1"], env=env, check=True, capture_output=True, cwd=ROOT)
        code = (
            "import sys, time\n"
            "from bench.cluster import batch, run_all\n"
            "from core.jobs import ArtifactStore\n"
            "from core.jobs.cluster import ClusterManager\n"
            f"manager = ClusterManager('127.0.0.1:{port}', store=ArtifactStore(sys.argv[1]), device='cpu')\n"
            "print(run_all(manager, batch(sys.argv[2])))\n")
        out = subprocess.run([sys.executable, "-c", code, tempfile.mkdtemp(prefix="bench-shared-"), which], env=env,
                             check=True, capture_output=True, text=True, cwd=ROOT)
        return float(out.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", choices=["toy", "tokenizers", "both"], default="both")
    which = parser.parse_args(argv).jobs
    specs = batch(which)
    rows = []
    for name, run in (("in-process queue (1 job at a time)", lambda: local(specs)),
                      ("Ray, 1 worker (1 CPU)", lambda: on_cluster(which, 1)),
                      ("Ray, 2 workers (1 CPU each)", lambda: on_cluster(which, 2))):
        seconds = run()
        rows.append({"backend": name, "jobs": len(specs), "seconds": seconds,
                     "jobs per minute": 60 * len(specs) / seconds})
    print(table(rows, ["backend", "jobs", "seconds", "jobs per minute"]))


if __name__ == "__main__":
    main()
