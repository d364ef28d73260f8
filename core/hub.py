"""When and what this server fetches from the Hugging Face Hub.

Why: a name typed (or arriving in a shared link) used to download a whole repository (a 30 MB
BERT, before the "only GPT-2 and Llama" check) into a folder outside the cache's size cap. Now the
Hub is off unless the host sets `NLP_PLAYGROUND_HUB=1`; a name must have a repository's shape
and be on the allow-list (`NLP_PLAYGROUND_HUB_ALLOW`) before anything is asked of the network;
then the file list with sizes is read (`HfApi.model_info(files_metadata=True)`), the download
is checked against a cap (`NLP_PLAYGROUND_HUB_MAX_MB`, and the cache's own cap), `config.json`
is read and checked before any weights, only `safetensors` weights are taken (a pickled `.bin`
can run code), and everything lands in `settings.cache_dir() / "hub"`, pinned to the revision
whose sizes were checked. The endpoint is `HF_ENDPOINT`, read on every call (tests point it at a
local socket to see whether anything connects).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable

from core import settings
from core.errors import InvalidSetting, Refused
from core.settings import _float_env

ENV_HUB = "NLP_PLAYGROUND_HUB"  # 1 / true / yes / on: names may be fetched from the Hub (default off)
ENV_HUB_ALLOW = "NLP_PLAYGROUND_HUB_ALLOW"  # comma-separated repository names that may be fetched
ENV_HUB_MAX_MB = "NLP_PLAYGROUND_HUB_MAX_MB"  # the Hub folder's size cap (default 1024)
DEFAULT_ALLOW = ("gpt2", "openai-community/gpt2", "distilgpt2", "distilbert/distilgpt2", "HuggingFaceTB/SmolLM2-135M",
                 "HuggingFaceTB/SmolLM2-135M-Instruct")  # GPT-2 and Llama, 550 MB or less each
REPO_ID = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,37}[A-Za-z0-9])?/)?"  # an optional owner/
                     r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9])?")  # the Hub's rules: 96 characters
TIMEOUT_S = 10.0  # per request: an offline server answers with a sentence, not a hang
MODEL_FILES = ("config.json", "tokenizer.json", "generation_config.json", "model.safetensors.index.json")


def enabled() -> bool:
    return os.environ.get(ENV_HUB, "").strip().lower() in ("1", "true", "yes", "on")


def allowed() -> list[str]:
    raw = os.environ.get(ENV_HUB_ALLOW)
    names = [n.strip() for n in raw.split(",")] if raw is not None else list(DEFAULT_ALLOW)
    return [n for n in names if REPO_ID.fullmatch(n)]


def max_bytes() -> int:
    """The Hub folder's cap: the host's setting, never more than the whole cache's."""
    return min(int(_float_env(ENV_HUB_MAX_MB, 1024.0) * 2**20), settings.cache_max_bytes())


def folder() -> Path:
    return settings.cache_dir() / "hub"


def checked_name(text: str) -> str:
    """The allow-list's spelling of `text`, after its shape, the switch and the list are checked
    (in that order, and before any network or disk access)."""
    name = text.strip()
    if not REPO_ID.fullmatch(name) or "--" in name or ".." in name:
        raise InvalidSetting("That is neither a Hub name (like gpt2 or openai-community/gpt2) nor a folder "
                             "path (starting with ./ or /).")
    if not enabled():
        raise Refused("The Hugging Face Hub is turned off on this server. Upload a tokenizer.json instead, or give "
                      "a folder inside the server's model folders, starting with ./ (for example ./my-model).")
    spelled = {n.lower(): n for n in allowed()}
    if name.lower() not in spelled:
        raise Refused("{name} is not one of the Hub models this server may fetch ({names}). Pick one of those, "
                      "or upload a tokenizer.json.", name=name, names=", ".join(spelled.values()) or "none")
    return spelled[name.lower()]


def model_files(sizes: dict[str, int]) -> list[str]:
    """The files a causal LM needs from a repository listing {file: bytes}: its JSON files and its
    safetensors weights (one file or shards), refusing a repository that has only pickles."""
    weights = [f for f in sizes if "/" not in f and f.endswith(".safetensors")]
    if not weights:
        raise InvalidSetting("This Hub model has no safetensors weights; pickled weights are not loaded here.")
    if "config.json" not in sizes or "tokenizer.json" not in sizes:
        raise InvalidSetting("This Hub model has no config.json and tokenizer.json, so it cannot be shown here.")
    return [f for f in MODEL_FILES if f in sizes] + sorted(weights)


def check_size(needed: int, used: int, cap: int | None = None) -> None:
    """Refuse a download of `needed` bytes when the Hub folder already holds `used` of its cap."""
    cap = max_bytes() if cap is None else cap
    if used + needed > cap:
        raise Refused("This download needs {needed:,.0f} MB, and the server's Hub folder may hold {cap:,.0f} MB "
                      "({used:,.0f} MB used). Ask the host to raise {setting}, or pick a smaller model.",
                      needed=needed / 2**20, cap=cap / 2**20, used=used / 2**20, setting=ENV_HUB_MAX_MB)


def file_bytes(text: str, filename: str, limit: int) -> bytes:
    """One file of an allowed repository (a tokenizer.json), its size checked before it is fetched."""
    name = checked_name(text)
    revision, sizes = _listing(name)
    if filename not in sizes:
        raise InvalidSetting("{name} has no {filename}.", name=name, filename=filename)
    if sizes[filename] > limit:
        raise Refused("The {filename} of {name} is {size:.1f} MB; the largest accepted is {limit:.0f} MB.",
                      filename=filename, name=name, size=sizes[filename] / 2**20, limit=limit / 2**20)
    check_size(_missing_bytes(name, revision, {filename: sizes[filename]}), _used_bytes())
    return _download(name, revision, filename).read_bytes()


def model_folder(text: str, check_config: Callable[[dict[str, Any]], None]) -> Path:
    """The local snapshot of an allowed model: sizes checked, then `check_config(config.json)`,
    then the weights."""
    name = checked_name(text)
    revision, sizes = _listing(name)
    files = model_files(sizes)
    check_size(_missing_bytes(name, revision, {f: sizes[f] for f in files}), _used_bytes())
    config = _download(name, revision, "config.json")
    check_config(json.loads(config.read_text(encoding="utf-8")))
    for filename in files:
        _download(name, revision, filename)
    return config.parent


# ---- network and disk ------------------------------------------------------------------------
def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"


def _unreachable(name: str) -> InvalidSetting:
    return InvalidSetting("Could not fetch {name} from the Hugging Face Hub: this server may have no internet "
                          "access. Upload its tokenizer.json instead.", name=name)


def _listing(name: str) -> tuple[str, dict[str, int]]:
    """The current revision of `name` and its files' sizes, without downloading any."""
    from huggingface_hub import HfApi

    try:
        info = HfApi(endpoint=_endpoint()).model_info(name, files_metadata=True, timeout=TIMEOUT_S)
    except Exception:  # offline, unknown repository, gated: the same advice
        raise _unreachable(name) from None
    return str(info.sha), {s.rfilename: int(s.size or 0) for s in info.siblings or []}


def _download(name: str, revision: str, filename: str) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(name, filename, revision=revision, cache_dir=folder(), endpoint=_endpoint(),
                                    etag_timeout=TIMEOUT_S))
    except Exception:
        raise _unreachable(name) from None


def _used_bytes() -> int:
    return sum(p.stat().st_size for p in folder().rglob("*") if p.is_file() and not p.is_symlink())


def _missing_bytes(name: str, revision: str, sizes: dict[str, int]) -> int:
    snapshot = folder() / ("models--" + name.replace("/", "--")) / "snapshots" / revision
    return sum(size for f, size in sizes.items() if not (snapshot / f).is_file())
