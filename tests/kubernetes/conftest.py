"""The prod stack (target kubernetes) planned once per session, and its rendered files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.tooling.values import Secret

SENTINELS = {
    "openaiApiKey": "sentinel-openai-4f1c9a",
    "alertSlackWebhook": "https://hooks.slack.com/services/SENTINEL/SLACK/7d2e",
    "apiKeys": "tenant:sentinel-apikey-88b1",
}
ACCESSORY_SECRET = "sentinel-wa-token-5e1"
# A public third-party gateway with a persistent volume and a secret that calls the API, a private HTTP accessory,
# and a portless background one; plus a second schedule next to the default cleanup.
ACCESSORIES = [
    {
        "name": "whatsapp",
        "image": "ghcr.io/example/wa-gateway:1.4.2",
        "port": 3000,
        "env": {"LOG_LEVEL": "info"},
        "secretEnv": {"WA_TOKEN": ACCESSORY_SECRET},
        "volumes": [{"name": "sessions", "path": "/app/sessions", "sizeGi": 2}],
        "memory": 512,
        "cpu": 0.5,
        "public": True,
        "callsApi": True,  # the bot's webhook
    },
    {"name": "helpdesk", "image": "ghcr.io/example/helpdesk:3.1.0", "port": 8080, "command": ["serve", "--quiet"]},
    {"name": "sync", "image": "ghcr.io/example/sync@sha256:" + "b" * 64},
]
SCHEDULES = [
    {"name": "cleanup", "cron": "0 * * * *", "command": ["enqueue-cleanup"]},
    {"name": "reindex", "cron": "30 3 * * 0", "command": ["reindex"]},
]
# Your own app: an image that is not the reference service, described by config only.
OWN_SECRET_ENV = {
    "ANTHROPIC_API_KEY": "sentinel-anthropic-3b9e",
    "SENTRY_DSN": "https://sentinel-dsn-61a0@sentry.example",
}
OWN_APP = {
    "env": {"DEFAULT_MODEL": "claude-sonnet-4-5", "SENTRY_ENVIRONMENT": "prod"},
    "commands": {
        "api": ["python", "-m", "invoices", "serve"],
        "worker": ["invoices-worker", "--queues={queues}", "--burst-off"],
        "migrate": ["alembic", "upgrade", "head"],
        "task": ["invoices", "task"],
    },
    "port": 8080,
    "health": {"liveness": "/livez", "readiness": "/readyz"},
    "requestTimeoutS": 300,
}


@pytest.fixture(scope="session")
def prod(plan_stack):
    return plan_stack("prod")


@pytest.fixture(scope="session")
def prod_with_secrets(plan_stack):
    """Every secret config key seeded with a sentinel (and Slack on), to grep outputs for leaks."""
    return plan_stack("prod", **{k: Secret(v) for k, v in SENTINELS.items()})


@pytest.fixture(scope="session")
def prod_extras(plan_stack):
    """Accessories (their secretEnv set like `pulumi config set --secret --path`) and two schedules."""
    return plan_stack("prod", accessories=Secret(ACCESSORIES), schedules=SCHEDULES)


@pytest.fixture(scope="session")
def prod_own_app(plan_stack):
    """prod with the service contract set (`env`, `secretEnv` like `pulumi config set --secret --path`,
    `commands`, `port`, `health`, `requestTimeoutS`) and the accessories and schedules of prod_extras."""
    return plan_stack(
        "prod", secretEnv=Secret(OWN_SECRET_ENV), accessories=Secret(ACCESSORIES), schedules=SCHEDULES, **OWN_APP
    )


def _render(plan, tmp_path_factory) -> Path:
    from infra.tooling.plan.render import write_artifacts

    root = tmp_path_factory.mktemp("k8s-render")
    write_artifacts(plan, root)
    return root


def _objects(root: Path) -> list[dict]:
    return [
        doc
        for path in sorted((root / "kubernetes").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


@pytest.fixture(scope="session")
def rendered(prod, tmp_path_factory) -> Path:
    return _render(prod, tmp_path_factory)


@pytest.fixture(scope="session")
def objects(rendered) -> list[dict]:
    """Every rendered manifest object, across kubernetes/*.yaml."""
    return _objects(rendered)


@pytest.fixture(scope="session")
def rendered_extras(prod_extras, tmp_path_factory) -> Path:
    return _render(prod_extras, tmp_path_factory)


@pytest.fixture(scope="session")
def extras_objects(rendered_extras) -> list[dict]:
    return _objects(rendered_extras)


def find(objs: list[dict], kind: str, name: str | None = None) -> dict:
    matches = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


@pytest.fixture(scope="session")
def rendered_own_app(prod_own_app, tmp_path_factory) -> Path:
    return _render(prod_own_app, tmp_path_factory)


@pytest.fixture(scope="session")
def own_app_objects(rendered_own_app) -> list[dict]:
    return _objects(rendered_own_app)
