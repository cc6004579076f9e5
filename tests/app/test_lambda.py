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


def test_lambda_image_config_entry_point_and_handler_resolve_from_the_locked_image(service_env):
    """The function's ImageConfig (python -m awslambdaric + our handler) must work in the image built from
    app/uv.lock."""
    import importlib.util
    import tomllib

    from infra.render.aws.aws_lambda import ENTRY_POINT, HANDLER

    lock = tomllib.loads((Path(__file__).resolve().parents[2] / "app" / "uv.lock").read_text())
    service = next(p for p in lock["package"] if p["name"] == "ai-service")
    assert ENTRY_POINT[-1] in {d["name"] for d in service["dependencies"]}, (
        "the runtime interface client is not in the image"
    )
    assert importlib.util.find_spec(f"{ENTRY_POINT[-1]}.__main__") is not None  # `python -m awslambdaric` runs
    env = service_env(INLINE_JOBS="true", APP_ENV="development", LOG_LEVEL="WARNING")
    script = f"import awslambdaric.bootstrap as b; print('HANDLER', callable(b._get_handler({HANDLER!r})))"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "HANDLER True" in result.stdout
