"""Process-wide settings read from environment variables, in one place.

A lab server sets these once (see docs/hosting.md); tests point them at temporary folders.
They are read on every call rather than at import, so a test (or a CLI flag) can change them.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_CACHE_DIR = "NLP_PLAYGROUND_CACHE"  # where trained artifacts and uploads live
ENV_CACHE_MAX_MB = "NLP_PLAYGROUND_CACHE_MAX_MB"  # artifact cache size before eviction
ENV_DEVICE = "NLP_PLAYGROUND_DEVICE"  # auto | cpu | cuda | cuda:N | mps
ENV_WORKERS = "NLP_PLAYGROUND_WORKERS"  # training jobs that run at the same time
ENV_MAX_TEXT_MB = "NLP_PLAYGROUND_MAX_TEXT_MB"  # cap on uploaded or pasted text
ENV_MODEL_ROOTS = "NLP_PLAYGROUND_MODEL_ROOTS"  # folders local models may be loaded from
ENV_JOBS_PER_USER = "NLP_PLAYGROUND_JOBS_PER_USER"  # a student's queued + running jobs at most
ENV_MAX_QUEUE = "NLP_PLAYGROUND_MAX_QUEUE"  # queued jobs on the whole server at most
ENV_STUDENT_BUDGET_MIN = "NLP_PLAYGROUND_STUDENT_BUDGET_MIN"  # longest job a student may start (estimated)
ENV_USER_QUOTA_MB = "NLP_PLAYGROUND_USER_QUOTA_MB"  # cache space one user's own artifacts may take
ENV_COMPILED_CACHE = "NLP_PLAYGROUND_COMPILED_CACHE"  # per-host folder for compiled kernels (never shared)
ENV_RAY_ADDRESS = "NLP_PLAYGROUND_RAY_ADDRESS"  # empty: the in-process queue; else a Ray cluster trains
ENV_RAY_GPU_FRACTION = "NLP_PLAYGROUND_RAY_GPU_FRACTION"  # the share of a GPU a CUDA job asks the cluster for
ENV_RAY_CPUS = "NLP_PLAYGROUND_RAY_CPUS"  # the CPUs a CPU job asks the cluster for

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        return default


def cache_dir() -> Path:
    """The artifact cache folder (created on first use by the store)."""
    raw = os.environ.get(ENV_CACHE_DIR, "").strip()
    if raw:
        return Path(raw).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "nlp-playground"


def cache_max_bytes() -> int:
    """Soft cap on the artifact cache; the least recently used artifacts are evicted above it."""
    return int(_float_env(ENV_CACHE_MAX_MB, 2048.0) * 2**20)


def workers() -> int:
    """How many training jobs may run at once (1 on a small server: jobs queue, pages don't)."""
    return max(1, int(_float_env(ENV_WORKERS, 1)))


def max_text_bytes() -> int:
    """Largest user text accepted (upload or paste)."""
    return int(_float_env(ENV_MAX_TEXT_MB, 10.0) * 2**20)


def jobs_per_user() -> int:
    """How many jobs one student may have queued or running at once."""
    return max(1, int(_float_env(ENV_JOBS_PER_USER, 2)))


def max_queue() -> int:
    """How many jobs may wait in the queue; beyond it new work is refused with a message."""
    return max(1, int(_float_env(ENV_MAX_QUEUE, 20)))


def student_budget_s() -> float:
    """The longest job (estimated on this server's device) a student may start; lecturers have none."""
    return _float_env(ENV_STUDENT_BUDGET_MIN, 10.0) * 60


def user_quota_bytes() -> int:
    """Cache space a user's own artifacts may take before that user's least recently used go."""
    return int(_float_env(ENV_USER_QUOTA_MB, 256.0) * 2**20)


def compiled_cache_dir() -> Path:
    """Where numba keeps compiled kernels: per host and per user, never the shared cache folder
    (its cache files are pickles: whoever could write them would run code in every replica)."""
    raw = os.environ.get(ENV_COMPILED_CACHE, "").strip()
    if raw:
        return Path(raw).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "nlp-playground-kernels"


def device_setting() -> str:
    """The device named by NLP_PLAYGROUND_DEVICE ("" or "auto": choose automatically)."""
    raw = os.environ.get(ENV_DEVICE, "").strip().lower()
    return "" if raw == "auto" else raw


def ray_address() -> str:
    """The Ray cluster that trains (`ray://head:10001` or `head:6379`), or "" for the in-process queue."""
    return os.environ.get(ENV_RAY_ADDRESS, "").strip()


def ray_gpu_fraction() -> float:
    return min(1.0, max(0.01, _float_env(ENV_RAY_GPU_FRACTION, 0.25)))


def ray_cpus() -> float:
    return max(0.1, _float_env(ENV_RAY_CPUS, 1.0))


def model_roots() -> list[Path]:
    """Folders from which a saved `transformers` model or tokenizer may be loaded.

    Defaults to the cache folder's `models/`; a server adds more with `os.pathsep`-separated paths.
    """
    raw = os.environ.get(ENV_MODEL_ROOTS, "").strip()
    roots = [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]
    return roots or [cache_dir() / "models"]
