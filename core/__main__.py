"""Command line: `python -m core info` and `python -m core warm` (train every page's defaults).

Run `warm` before a lecture so that every page opens on a trained model instantly.
"""

from __future__ import annotations

import argparse
import sys

from core.corpora import shipped_corpora
from core.device import describe_device
from core.jobs import JobManager, JobSpec, all_kinds
from core.jobs.progress import ProgressEvent


def _bar(label: str, event: ProgressEvent, width: int = 30) -> str:
    filled = int(event.fraction * width)
    eta = f", {event.eta_s:.0f} s left" if event.eta_s is not None else ""
    metrics = "".join(f", {k} {v:.3g}" for k, v in event.metrics.items())
    return f"\r{label[:40]:40} [{'#' * filled}{'.' * (width - filled)}] {event.fraction:4.0%}{eta}{metrics}"


def warm(kinds: list[str] | None = None) -> int:
    """Train (or find cached) every default spec; returns the number that failed."""
    manager = JobManager()
    specs: list[JobSpec] = [s for k in all_kinds() if not kinds or k.name in kinds for s in k.defaults]
    print(f"Warming {len(specs)} models on {describe_device(manager.device)} into {manager.store.root}")
    failures = 0
    for index, spec in enumerate(specs, 1):
        label = f"{index}/{len(specs)} {spec.kind} on {spec.corpus}"
        job = manager.submit(spec)
        while not job.wait(0.5):
            if job.latest is not None:
                sys.stdout.write(_bar(label, job.latest))
                sys.stdout.flush()
        status = "cached" if job.from_cache else job.state.value
        print(f"\r{label[:40]:40} {status}{': ' + job.error if job.error else ''}{' ' * 40}")
        failures += job.error is not None
    return failures


def info() -> None:
    manager = JobManager(workers=1)
    print(f"Device: {describe_device(manager.device)}")
    print(f"Cache:  {manager.store.root} ({'writable' if manager.store.writable else 'NOT writable'})")
    for corpus in shipped_corpora():
        print(f"Corpus: {corpus.name:16} {corpus.size_bytes / 2**20:6.1f} MB  {corpus.title}")
    for kind in all_kinds():
        print(f"Kind:   {kind.name:16} {len(kind.defaults)} default(s)  {kind.description}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="device, cache folder, corpora and job kinds")
    warm_parser = sub.add_parser("warm", help="train and cache every page's default models")
    warm_parser.add_argument("--kind", action="append", help="only this job kind (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "info":
        info()
        return 0
    return 1 if warm(args.kind) else 0


if __name__ == "__main__":
    sys.exit(main())
