"""One version of each component everywhere: the images every target runs (rendered files and planned
resources of every shipped stack) and the Postgres major of every database, self-run or managed.

Managed caches (ElastiCache Valkey, Memorystore for Redis) are other products whose engine versions the
provider patches; they are not compared with the Redis image."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

STACKS = ("dev", "prod", "local", "aws", "gcp", "serverless")
# component -> image repository as written in the code (Docker Hub short forms)
IMAGES = {
    "redis": "redis",
    "nginx": "nginx",
    "prometheus": "prom/prometheus",
    "alertmanager": "prom/alertmanager",
    "node-exporter": "prom/node-exporter",
    "grafana": "grafana/grafana",
    "loki": "grafana/loki",
    "alloy": "grafana/alloy",
    "redis_exporter": "oliver006/redis_exporter",
    "pgvector": "pgvector/pgvector",
}
POSTGRES_MAJOR = {  # planned database resource type -> how its Postgres major is written
    "digitalocean:index/databaseCluster:DatabaseCluster": lambda i: i["version"] if i.get("engine") == "pg" else None,
    "aws:rds/instance:Instance": lambda i: (
        str(i["engineVersion"]).split(".")[0] if i.get("engine") == "postgres" else None
    ),
    "gcp:sql/databaseInstance:DatabaseInstance": lambda i: i["databaseVersion"].removeprefix("POSTGRES_"),
}


def image_versions(text: str) -> dict[str, set[str]]:
    """component -> the version tags (variant suffix such as -alpine dropped) found in `text`."""
    found: dict[str, set[str]] = defaultdict(set)
    for component, repo in IMAGES.items():
        pattern = rf"(?<![\w./-])(?:docker\.io/)?(?:library/)?{re.escape(repo)}:(v?\d[\w.]*(?:-pg\d+)?)"
        for match in re.finditer(pattern, text):
            found[component].add(match.group(1))
    return found


def inventory(plans) -> dict[str, dict[str, set[str]]]:
    """component -> version -> the stacks that run it."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for plan in plans:
        texts = [json.dumps(plan.artifacts, default=str)] + [json.dumps(r.inputs, default=str) for r in plan.resources]
        for text in texts:
            for component, versions in image_versions(text).items():
                for version in versions:
                    seen[component][version].add(plan.stack)
                    if component == "pgvector":  # pgvector/pgvector:0.8.0-pg16 runs Postgres 16
                        seen["postgres-major"][version.rsplit("-pg", 1)[1]].add(plan.stack)
        for resource in plan.resources:
            major = POSTGRES_MAJOR.get(resource.type, lambda _: None)(resource.inputs)
            if major:
                seen["postgres-major"][str(major)].add(plan.stack)
    return seen


@pytest.fixture(scope="module")
def shipped(plan_stack):
    return inventory([plan_stack(stack) for stack in STACKS])


def test_every_component_runs_one_version_on_every_target(shipped):
    mixed = {c: {v: sorted(s) for v, s in versions.items()} for c, versions in shipped.items() if len(versions) > 1}
    assert not mixed, f"components with different versions across targets: {mixed}"


def test_the_inventory_sees_the_self_run_services_of_each_family(shipped):
    assert {"redis", "nginx", "prometheus", "redis_exporter", "pgvector", "postgres-major"} <= set(shipped)
    assert set().union(*shipped["redis"].values()) >= {"dev", "local", "prod"}  # docker hosts and Kubernetes
    assert set().union(*shipped["postgres-major"].values()) >= {"dev", "prod", "local", "aws", "gcp"}


def test_patched_redis_and_the_nginx_stable_line(shipped):
    (redis,) = shipped["redis"]
    assert tuple(map(int, redis.split("."))) >= (7, 4, 6)  # CVE-2025-49844 fixed in 7.4.6
    (nginx,) = shipped["nginx"]
    assert nginx.startswith("1.30.")


def test_a_second_version_is_reported():
    text = "image: redis:7.4.11-alpine\n---\n{'image': 'docker.io/library/redis:7.4.2-alpine'}"
    assert image_versions(text)["redis"] == {"7.4.11", "7.4.2"}
