"""Command line: `python -m core info`, `python -m core warm` and `python -m core train KIND`.

Run `warm` before a lecture so that every page opens on a trained model instantly; the models it
prepares are pinned (never evicted by students' experiments). `train` trains one spec (a kind's
default, with settings changed by `--set key=value`) through whichever backend is configured and
prints its key.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.corpora import shipped_corpora
from core.device import describe_device
from core.errors import PlaygroundError
from core.jobs import JobManager, JobSpec, all_kinds, get_kind
from core.progress import ProgressEvent


def _bar(label: str, event: ProgressEvent, width: int = 30) -> str:
    filled = int(event.fraction * width)
    eta = f", {event.eta_s:.0f} s left" if event.eta_s is not None else ""
    metrics = "".join(f", {k} {v:.3g}" for k, v in event.metrics.items())
    return f"\r{label[:40]:40} [{'#' * filled}{'.' * (width - filled)}] {event.fraction:4.0%}{eta}{metrics}"


def _run(manager: JobManager, specs: list[JobSpec], *, pin: bool) -> int:
    """Train (or find cached) each spec with a progress bar; returns the number that failed."""
    failures = 0
    for index, spec in enumerate(specs, 1):
        label = f"{index}/{len(specs)} {spec.kind} on {spec.corpus}"
        job = manager.submit(spec)
        while not job.wait(0.5):
            if job.latest is not None:
                sys.stdout.write(_bar(label, job.latest))
                sys.stdout.flush()
        status = "cached" if job.from_cache else job.state.value
        print(f"\r{label[:40]:40} {status}{': ' + str(job.error) if job.error else ''}{' ' * 40}")
        print(f"  key {spec.key}")
        failures += job.error is not None
        if pin and job.error is None:
            manager.pin(spec)
    return failures


def warm(kinds: list[str] | None = None) -> int:
    """Train (or find cached) and pin every default spec; returns the number that failed."""
    manager = JobManager()
    specs = [s for k in all_kinds() if not kinds or k.name in kinds for s in k.defaults()]
    total = sum(manager.estimate(spec).seconds for spec in specs if manager.lookup(spec) is None)
    print(f"Warming {len(specs)} models on {describe_device(manager.device)} into {manager.store.root} "
          f"(about {total / 60:.0f} min for those not cached yet)")
    return _run(manager, specs, pin=True)


def spec_from_arguments(kind_name: str, corpus: str | None, assignments: list[str]) -> JobSpec:
    """A kind's default spec with `key=value` changes (values are JSON, or plain strings)."""
    kind = get_kind(kind_name)
    defaults = kind.defaults()
    if not defaults:
        raise PlaygroundError("The kind {kind} has no default to start from.", kind=kind_name)
    base = defaults[0]
    settings = base.settings
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep:
            raise PlaygroundError("Write each setting as key=value, not {text!r}.", text=assignment)
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        target = settings
        *path, last = name.split(".")
        for part in path:  # config.n_layer=2 reaches into nested settings
            target = target.setdefault(part, {})
        target[last] = value
    return kind.spec(corpus or base.corpus, settings)


def info() -> None:
    manager = JobManager(workers=1)
    print(f"Device: {describe_device(manager.device)}")
    print(f"Cache:  {manager.store.root} ({'writable' if manager.store.writable else 'NOT writable'})")
    for corpus in shipped_corpora():
        print(f"Corpus: {corpus.name:16} {corpus.size_bytes / 2**20:6.1f} MB  {corpus.title}")
    for kind in all_kinds():
        print(f"Kind:   {kind.name:16} {len(kind.defaults())} default(s)  {kind.description}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="device, cache folder, corpora and job kinds")
    warm_parser = sub.add_parser("warm", help="train, cache and pin every page's default models")
    warm_parser.add_argument("--kind", action="append", help="only this job kind (repeatable)")
    train_parser = sub.add_parser("train", help="train one spec and print its key")
    train_parser.add_argument("kind", help="a job kind (python -m core info lists them)")
    train_parser.add_argument("--corpus", help="a corpus name (default: the kind's default)")
    train_parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                              help="change a setting of the kind's default spec (config.n_layer=2)")
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            info()
            return 0
        if args.command == "warm":
            return 1 if warm(args.kind) else 0
        spec = spec_from_arguments(args.kind, args.corpus, args.set)
        return 1 if _run(JobManager(), [spec], pin=False) else 0
    except PlaygroundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
