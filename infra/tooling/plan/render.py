"""Write a plan's generated artifacts to a directory (`--render DIR`)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.tooling.plan.plan import PlanResult


def write_artifacts(result: PlanResult, directory: Path) -> list[Path]:
    written: list[Path] = []
    for relative, content in sorted(result.artifacts.items()):
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text if text.endswith("\n") else text + "\n")
        if relative.startswith("deploy/"):
            path.chmod(0o755)  # scripts run on hosts
        written.append(path)
    return written
