"""`python -m infra diff` in a real git repo: two commits that differ in dev's config."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fixtures.plan import stack_file

ROOT = Path(__file__).resolve().parents[2]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def two_commit_repo(tmp_path):
    """A copy of this project in its own git repo; commit A = as shipped, working tree = edited dev config."""
    repo = tmp_path / "repo"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    for rel in tracked:
        if rel.startswith(("app/", "tests/", "bench/", ".github/")) or not (ROOT / rel).is_file():
            continue
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    shutil.copy2(stack_file("dev"), repo / "Pulumi.dev.yaml")  # the test copy, not the one a user edits
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "add", "-A")
    _git(repo, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "A")
    return repo


def test_diff_of_dev_names_exactly_the_config_changes(two_commit_repo):
    stack_file = two_commit_repo / "Pulumi.dev.yaml"
    header, _, _ = stack_file.read_text().partition("\n")
    config = yaml.safe_load(stack_file.read_text())
    config["config"]["ai-service:workers"] = [
        {"name": "documents", "queues": ["document_processing"], "replicas": 1},
        {"name": "cleanup", "queues": ["cleanup_tasks"], "replicas": 1},
    ]
    config["config"]["ai-service:sshAllowedCidrs"] = ["203.0.113.0/24", "198.51.100.0/24"]
    config["config"]["ai-service:database"] = {"size": "db-s-1vcpu-2gb"}
    config["config"]["ai-service:budgetMonthlyUsd"] = 100
    stack_file.write_text(header + "\n" + yaml.safe_dump(config, sort_keys=False))
    result = subprocess.run(
        [sys.executable, "-m", "infra", "diff", "dev", "--base", "main"],
        cwd=two_commit_repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    markdown = result.stdout
    changed = {
        row.split("|")[2].strip(" `").rsplit(":", 1)[-1]: row
        for row in markdown.splitlines()
        if row.startswith("| ~ |")
    }
    assert set(changed) == {"Firewall", "DatabaseCluster", "BucketObjectv2"}, markdown
    assert "198.51.100.0/24" in changed["Firewall"]
    assert "`size`: `db-s-1vcpu-1gb` → `db-s-1vcpu-2gb`" in changed["DatabaseCluster"]
    assert "`-  worker-documents-2:`" in changed["BucketObjectv2"]  # the release manifest: one fewer worker
    assert "0 to add, 0 to remove, 3 to change" in markdown
    cost = re.search(r"\*\*Monthly cost:\*\* \$([\d.]+) → \$([\d.]+) \(\+\$([\d.]+)\)", markdown)
    assert cost, markdown
    before, after, delta = map(float, cost.groups())
    assert (after - before, delta) == (15.0, 15.0)  # db-s-1vcpu-1gb $15 -> db-s-1vcpu-2gb $30
    # docs/operations/pr-review.md shows this diff's cost line as its example
    assert cost.group(0) in (ROOT / "docs" / "operations" / "pr-review.md").read_text()
