"""Locate the real validators and servers the tests drive.

In CI (CI=true) a missing tool fails the test: a silent skip would hide an
unchecked artifact. On a laptop the test skips and says how to install it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
TOOLS_DIR = Path(__file__).resolve().parents[2] / ".tools"  # tools with their own virtualenvs (.ci/tools.sh)


def require_tool(name: str, install: str) -> str:
    """Return the absolute path of executable `name`, or fail/skip with `install` as the remedy."""
    found = shutil.which(name) or shutil.which(name, path=f"{VENV_BIN}:{TOOLS_DIR / name / 'bin'}")
    if found:
        return found
    message = f"{name} not found; install it with: {install}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
