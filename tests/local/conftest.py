"""One `python -m infra plan local --json --render DIR` run (a fresh interpreter, as a user runs it) per session."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures.plan import run_cli, stack_file


@pytest.fixture(scope="session")
def local_cli(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("local-render")
    return run_cli("plan", "local", "--config-file", str(stack_file("local")), "--json", "--render", str(out)), out
