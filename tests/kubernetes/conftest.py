"""The prod stack (target kubernetes) planned once per session, and its rendered files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.plan.values import Secret

SENTINELS = {
    "openaiApiKey": "sentinel-openai-4f1c9a",
    "alertSlackWebhook": "https://hooks.slack.com/services/SENTINEL/SLACK/7d2e",
    "apiKeys": "tenant:sentinel-apikey-88b1",
}


@pytest.fixture(scope="session")
def prod(plan_stack):
    return plan_stack("prod")


@pytest.fixture(scope="session")
def prod_with_secrets(plan_stack):
    """Every secret config key seeded with a sentinel (and Slack on), to grep outputs for leaks."""
    return plan_stack("prod", **{k: Secret(v) for k, v in SENTINELS.items()})


@pytest.fixture(scope="session")
def rendered(prod, tmp_path_factory) -> Path:
    from infra.plan.render import write_artifacts

    root = tmp_path_factory.mktemp("k8s-render")
    write_artifacts(prod, root)
    return root


@pytest.fixture(scope="session")
def objects(rendered) -> list[dict]:
    """Every rendered manifest object, across kubernetes/*.yaml."""
    return [doc for path in sorted((rendered / "kubernetes").glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def find(objs: list[dict], kind: str, name: str | None = None) -> dict:
    matches = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]
