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
    modules = sorted(str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
                     for p in (ROOT / "core").rglob("*.py") if p.name != "__main__.py")
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
