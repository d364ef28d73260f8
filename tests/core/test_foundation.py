"""Importing core stays free of Streamlit; the device choice; the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core import settings
from core.device import describe_device, pick_device

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_streamlit():
    import importlib.util

    optional = {"core.jobs.cluster"} if importlib.util.find_spec("ray") is None else set()  # the cluster extra
    modules = sorted(str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
                     for p in (ROOT / "core").rglob("*.py") if p.name != "__main__.py")
    modules = [m for m in modules if m not in optional]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_device_override_and_fallback(monkeypatch):
    monkeypatch.setenv(settings.ENV_DEVICE, "cpu")
    assert pick_device() == torch.device("cpu")
    monkeypatch.setenv(settings.ENV_DEVICE, "cuda:7" if not torch.cuda.is_available() else "mps")
    assert pick_device().type in {"cpu", "cuda", "mps"}  # an absent device falls back, never fails
    assert pick_device("cpu") == torch.device("cpu")
    assert describe_device(torch.device("cpu")).startswith("CPU")


@pytest.mark.parametrize("command", [["info"]])
def test_command_line_runs(command):
    out = subprocess.run([sys.executable, "-m", "core", *command], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert "Device:" in out and "tinyshakespeare" in out


def test_command_line_trains_one_spec_and_prints_its_key(tmp_path):
    env = {**__import__("os").environ, settings.ENV_CACHE_DIR: str(tmp_path)}
    command = [sys.executable, "-m", "core", "train", "tokenizer", "--set", "vocab_size=300",
               "--set", "max_chars=20000", "--set", "algorithm=bpe"]
    first = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    again = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    key = first.split("key ")[-1].split()[0]
    assert len(key) == 32 and "done" in first and "cached" in again and key in again
    bad = subprocess.run([sys.executable, "-m", "core", "train", "tokenizer", "--set", "nonsense"], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "key=value" in bad.stderr
