"""Parse LogQL with Grafana's grammar (@grafana/lezer-logql via node; installed by .ci/tools.sh)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.tools import TOOLS_DIR, require_tool

SCRIPT = Path(__file__).with_name("logql_check.cjs")
NODE_MODULES = TOOLS_DIR / "logql" / "node_modules"
INSTALL = "bash .ci/tools.sh (npm install --prefix .tools/logql @grafana/lezer-logql)"

# Grafana replaces its variables before the query reaches Loki; substitute what it would.
GRAFANA_VARIABLES = {"$__auto": "1m", "$__interval": "1m", "${__value.raw}": "3f2a9c0d"}


@dataclass(frozen=True)
class Parsed:
    query: str
    errors: tuple[int, ...]  # offsets of error nodes; empty = the grammar accepts the query
    matchers: tuple[tuple[str, str, str], ...]  # stream selector matchers (label, op, quoted value)


def substitute(query: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        query = query.replace(variable, value)
    return query


def parse_logql(queries: list[str]) -> list[Parsed]:
    node = require_tool("node", "apt-get install -y nodejs")
    if not (NODE_MODULES / "@grafana" / "lezer-logql" / "package.json").is_file():
        message = f"@grafana/lezer-logql not installed; install it with: {INSTALL}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    result = subprocess.run(
        [node, str(SCRIPT), str(NODE_MODULES)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [
        Parsed(q, tuple(r["errors"]), tuple(tuple(m) for m in r["matchers"]))
        for q, r in zip(queries, json.loads(result.stdout), strict=True)
    ]
