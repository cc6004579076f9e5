"""The Lambda entry point (Mangum) with INLINE_JOBS=true indexes an upload inside the request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.system


def test_lambda_handler_processes_upload_inline(service_env):
    env = service_env(
        INLINE_JOBS="true",
        APP_ENV="production",
        SECRET_KEY="a-real-random-secret-0123456789",
        API_KEYS="",
        LOG_LEVEL="WARNING",
    )
    env["API_KEYS"] = ""
    script = Path(__file__).with_name("lambda_invoke.py")
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0 and "API_KEYS is required" in result.stderr  # production refuses without keys

    env = {**env, "APP_ENV": "development"}
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    health, upload, search = json.loads(line.removeprefix("RESULT "))
    assert health == {"status": 200, "body": {"status": "ok", "version": "dev"}}
    assert upload["status"] == 202 and upload["body"]["status"] == "indexed"
    assert search["status"] == 200
    assert search["body"]["results"][0]["document_id"] == upload["body"]["id"]
