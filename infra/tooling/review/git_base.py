"""Plan a stack as it was at a git ref, in a throwaway worktree, with the current environment."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


class BaseRefError(Exception):
    """The ref cannot be checked out; one line."""


def plan_at_ref(root: Path, ref: str, stack: str) -> tuple[dict | None, str]:
    """(plan JSON at `ref`, note). None with a note when the stack did not plan there (new stack, config error)."""
    with tempfile.TemporaryDirectory(prefix="ai-service-base-") as tmp:
        worktree = Path(tmp) / "base"
        added = subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(worktree), ref],
            cwd=root,
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            raise BaseRefError(
                f"--base {ref}: {added.stderr.strip().splitlines()[-1] if added.stderr.strip() else 'cannot check out'}"
            )
        try:
            result = subprocess.run(
                [sys.executable, "-m", "infra", "plan", stack, "--json"],
                cwd=worktree,
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=root, capture_output=True)
    if result.stdout.strip().startswith("{"):
        # Where the base was checked out is not part of its desired state (build contexts are paths).
        return json.loads(result.stdout.replace(str(worktree), str(root))), ""
    reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
    return None, f"the base did not plan ({reason}); everything counts as added"
