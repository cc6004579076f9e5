"""What a reviewer checks in .github/workflows: actions pinned by commit, no long-lived cloud keys,
OIDC tokens only where credentials are exchanged, deploy only after CI passed on the same commit.
(zizmor and actionlint run over the same files in bin/lint.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*\s*$")
CREDENTIAL_ACTIONS = ("aws-actions/configure-aws-credentials@", "google-github-actions/auth@")


def load(name: str) -> dict:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def uses(job: dict) -> list[str]:
    return [step.get("uses", "") for step in job.get("steps", [])]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path):
    for line in path.read_text().splitlines():
        if re.match(r"^\s*(-\s+)?uses:\s+[^.]", line):
            assert PINNED.match(line), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_long_lived_cloud_keys(path):
    text = path.read_text()
    for key in ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "GOOGLE_CREDENTIALS", "credentials_json"):
        assert key not in text, f"{path.name} uses {key}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_token_permissions_are_granted_per_job_and_oidc_only_where_credentials_are_exchanged(path):
    doc = load(path.name)
    assert doc["permissions"] == {}, "workflow-level permissions must be empty; jobs ask for what they need"
    for name, job in doc["jobs"].items():
        perms = job.get("permissions")
        assert perms is not None, f"{path.name}:{name} has no explicit permissions"
        if perms.get("id-token") == "write":
            assert job.get("uses", "").endswith("/deploy.yml") or any(
                u.startswith(CREDENTIAL_ACTIONS) for u in uses(job)
            ), name
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{path.name}:{name}"


def test_deploy_runs_only_from_ci_after_tests_and_plans_on_main():
    deploy = load("deploy.yml")
    assert set(deploy["on"]) == {"workflow_call"}, "deploy.yml must have no trigger of its own"
    caller = load("ci.yml")["jobs"]["deploy"]
    assert caller["uses"] == "./.github/workflows/deploy.yml"
    assert set(caller["needs"]) == {"test", "plan"}
    assert "github.event_name == 'push'" in caller["if"] and "refs/heads/main" in caller["if"]
    assert "inherit" not in str(caller.get("secrets"))
    assert deploy["jobs"]["prod"]["environment"] == "production" and deploy["jobs"]["prod"]["needs"] == "dev"
    for job in deploy["jobs"].values():
        role = next(
            s["with"]["role-to-assume"] for s in job["steps"] if s.get("uses", "").startswith(CREDENTIAL_ACTIONS[0])
        )
        assert (
            role == "${{ vars.AWS_DEPLOY_ROLE_ARN }}" and job["environment"]
        )  # an environment variable: per environment


def test_previews_use_read_only_identities_and_same_repo_branches_only():
    preview = load("preview.yml")["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "environment" not in preview  # the deploy roles trust only dev/production environment tokens
    text = (WORKFLOWS / "preview.yml").read_text()
    assert "AWS_PREVIEW_ROLE_ARN" in text and "GCP_PREVIEW_SERVICE_ACCOUNT" in text
    assert "AWS_DEPLOY_ROLE_ARN" not in text and "secrets.DIGITALOCEAN_TOKEN" not in text


def test_pr_comment_takes_nothing_but_markdown_from_the_artifact():
    doc = load("pr-comment.yml")
    job = doc["jobs"]["comment"]
    assert set(job["permissions"]) == {"contents", "actions", "pull-requests"}
    assert not any(
        u.startswith("actions/checkout@") and s.get("with", {}).get("ref")
        for s in job["steps"]
        for u in [s.get("uses", "")]
    )
    ci_review = (WORKFLOWS / "ci.yml").read_text()
    assert "pr-number" not in ci_review and "pr-number" not in (WORKFLOWS / "pr-comment.yml").read_text()
