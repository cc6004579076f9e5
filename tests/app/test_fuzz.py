"""Schemathesis fuzzes the live OpenAPI schema: no input may produce a 5xx."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.tools import require_tool

pytestmark = pytest.mark.system


def test_no_server_errors_from_generated_requests(service_env, start_api, tmp_path):
    schemathesis = require_tool("schemathesis", "uv sync (schemathesis is in the dev group)")
    api = start_api(service_env(MAX_UPLOAD_BYTES="65536"))
    result = subprocess.run(
        [
            schemathesis,
            "run",
            f"{api.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-deterministic",
            "--request-timeout",
            "10",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert generated and int(generated.group(1)) >= 50 and generated.group(1) == generated.group(2), result.stdout[
        -2000:
    ]
