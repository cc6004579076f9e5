"""database.url / redis.url on the cluster: nothing is created for them, their cost leaves the plan,
the pods may reach the URL's port outside, and the URL travels only as a Pulumi secret."""

from __future__ import annotations

import json

import pytest
import yaml

from infra.tooling.values import Secret, unwrapped
from tests.kubernetes.test_network_policies import INTERNET, PODS, can_reach

DATABASE_URL = "postgresql://app:sentinel-db-pw-41c@db.example.net:6543/app?sslmode=require"  # e.g. a Supabase pooler
REDIS_URL = "rediss://:sentinel-redis-pw-9a7@cache.example.net:6380/0"
MANAGED_POSTGRES = (
    "databaseCluster:DatabaseCluster",
    "databaseDb:DatabaseDb",
    "databaseUser:DatabaseUser",
    "databaseFirewall:DatabaseFirewall",
)
MANAGED_REDIS = [
    ("StatefulSet", "statefulset-redis"),
    ("Service", "service-redis"),
    ("PodDisruptionBudget", "poddisruptionbudget-redis"),
    ("NetworkPolicy", "networkpolicy-redis-ingress"),
    ("Secret", "secret-ai-service-redis"),
    ("ServiceMonitor", "servicemonitor-redis"),
]


@pytest.fixture(scope="module")
def own_database(plan_stack):
    return plan_stack("prod", database=Secret({"url": DATABASE_URL}))


@pytest.fixture(scope="module")
def own_redis(plan_stack):
    return plan_stack("prod", redis=Secret({"url": REDIS_URL}))


def _items(plan) -> dict[str, float]:
    return {item.resource: item.monthly_usd for item in plan.cost.items}


def _policies(plan) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(plan.artifacts["kubernetes/network-policies.yaml"]) if doc]


def _env_secret(plan) -> dict:
    secret = plan.one("kubernetes:core/v1:Secret", "secret-ai-service-env")
    return secret.inputs["stringData"]


def test_own_database_creates_no_managed_postgres_and_drops_its_cost(prod, own_database):
    assert not own_database.problems
    for suffix in MANAGED_POSTGRES:
        assert prod.find(suffix), suffix  # the managed one exists without database.url …
        assert not own_database.find(suffix), suffix  # … and nothing of it with
    gone = _items(prod).keys() - _items(own_database).keys()
    assert gone == {"ai-service-prod-db"}
    assert prod.cost.monthly_usd - own_database.cost.monthly_usd == pytest.approx(_items(prod)["ai-service-prod-db"])
    assert own_database.cost.monthly_usd == pytest.approx(prod.cost.monthly_usd - 15.0)


def test_own_database_url_reaches_the_service_and_migrate_as_a_secret(own_database):
    data = _env_secret(own_database)
    assert isinstance(data, Secret) or isinstance(data["DATABASE_URL"], Secret)
    assert unwrapped(data)["DATABASE_URL"] == DATABASE_URL
    migrate = own_database.one("kubernetes:core/v1:Secret", "secret-ai-service-migrate-env").inputs["stringData"]
    assert unwrapped(migrate) == {"MIGRATE_DATABASE_URL": DATABASE_URL}
    printed = json.dumps(own_database.as_dict()) + "\n".join(str(v) for v in own_database.artifacts.values())
    assert "sentinel-db-pw" not in printed


def test_own_database_port_is_open_outside_for_the_service_only(own_database):
    policies = _policies(own_database)
    for component in ("api", "worker", "migrate", "schedule"):
        assert can_reach(policies, PODS[component], INTERNET, 6543), component
    assert not can_reach(policies, PODS["redis"], INTERNET, 6543)


def test_own_redis_creates_no_redis_and_drops_its_volume_cost(prod, own_redis):
    assert not own_redis.problems
    for kind, name in MANAGED_REDIS:
        assert prod.find(kind, name), name
        assert not own_redis.find(kind, name), name
    assert "kubernetes/redis.yaml" not in own_redis.artifacts
    gone = _items(prod).keys() - _items(own_redis).keys()
    assert gone == {"statefulset-redis"}
    assert prod.cost.monthly_usd - own_redis.cost.monthly_usd == pytest.approx(0.50)  # its 5 GiB claim


def test_own_redis_url_is_the_service_secret_and_its_port_is_open_outside(own_redis):
    assert unwrapped(_env_secret(own_redis))["REDIS_URL"] == REDIS_URL
    policies = _policies(own_redis)
    egress = next(p for p in policies if p["metadata"]["name"] == "app-egress")["spec"]["egress"]
    assert not any("podSelector" in peer for rule in egress for peer in rule["to"])  # no in-cluster redis rule left
    for component in ("api", "worker", "schedule"):
        assert can_reach(policies, PODS[component], INTERNET, 6380), component
    printed = json.dumps(own_redis.as_dict()) + "\n".join(str(v) for v in own_redis.artifacts.values())
    assert "sentinel-redis-pw" not in printed
