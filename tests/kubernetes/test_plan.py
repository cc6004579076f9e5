"""The prod plan as a whole: CLI, migrate-before-rollout, secrets, Helm releases, cluster
variants, cost and config errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infra.render.kubernetes import charts
from infra.render.kubernetes import logs as k8s_logs
from infra.settings import ConfigError
from infra.tooling.values import Secret, masked, unwrapped
from tests.fixtures.plan import plan_with, run_cli, stack_file
from tests.kubernetes.conftest import SENTINELS

KEYS_DIR = Path(__file__).parent / "chart_keys"
RELEASE = "kubernetes:helm.sh/v3:Release"


def test_cli_plan_json_exits_zero_and_renders_manifests_and_values(tmp_path):
    result = run_cli("plan", "prod", "--config-file", str(stack_file("prod")), "--json", "--render", str(tmp_path))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"] == "kubernetes"
    assert not report["policy"]["violations"]
    assert sorted(p.name for p in (tmp_path / "kubernetes").glob("*.yaml")) == [
        "dashboards.yaml",
        "gateway.yaml",
        "logs.yaml",
        "monitoring.yaml",
        "namespace.yaml",
        "network-policies.yaml",
        "redis.yaml",
        "schedules.yaml",
        "service.yaml",
    ]
    assert sorted(p.name for p in (tmp_path / "helm").glob("*.yaml")) == [
        "alloy.values.yaml",
        "cert-manager.values.yaml",
        "envoy-gateway.values.yaml",
        "kube-prometheus-stack.values.yaml",
        "loki.values.yaml",
    ]


def test_deployments_roll_out_only_after_the_migrate_job(prod):
    job = prod.one("kubernetes:batch/v1:Job", "migrate")
    deployments = [r for r in prod.resources if r.type == "kubernetes:apps/v1:Deployment"]
    assert len(deployments) == 3
    for deployment in deployments:
        assert job.urn in deployment.dependencies, deployment.name
    assert job.inputs["spec"]["ttlSecondsAfterFinished"] > 0


def _job_and_image(plan) -> tuple[str, str]:
    job = plan.one("kubernetes:batch/v1:Job", "migrate")
    return job.inputs["metadata"]["name"], job.inputs["spec"]["template"]["spec"]["containers"][0]["image"]


def test_migrate_job_name_follows_the_image_digest(prod, plan_stack):
    digest = "a" * 64
    pinned = plan_stack("prod", image=f"registry.digitalocean.com/ai-service/ai-service@sha256:{digest}")
    name, image = _job_and_image(pinned)
    assert (name, image.rpartition(":")[2]) == (f"ai-service-migrate-{digest[:12]}", digest)
    built_name, built_image = _job_and_image(prod)  # built from app/: the pushed image's digest
    assert built_name == f"ai-service-migrate-{built_image.rpartition(':')[2][:12]}" != name


def test_secret_values_are_pulumi_secrets_and_never_rendered(prod_with_secrets):
    secrets = [r for r in prod_with_secrets.resources if r.type == "kubernetes:core/v1:Secret"]
    names = {r.inputs["metadata"]["name"] for r in secrets}
    assert {
        "ai-service-env",
        "ai-service-migrate-env",
        "ai-service-redis",
        "ai-service-registry",
        "grafana-admin",
        "alertmanager-slack",
    } <= names
    for secret in secrets:
        data = secret.inputs["stringData"]
        # The engine marks the whole map secret when any value is; otherwise each value must be.
        if not isinstance(data, Secret):
            assert all(isinstance(v, Secret) for k, v in data.items() if k != "admin-user"), secret.name
    env = next(r for r in secrets if r.inputs["metadata"]["name"] == "ai-service-env")
    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "API_KEYS",
        "AWS_SECRET_ACCESS_KEY",
        "OPENAI_API_KEY",
    } <= unwrapped(env.inputs["stringData"]).keys()
    provider = prod_with_secrets.one("pulumi:providers:kubernetes", "k8s")
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    printed = json.dumps(masked([r.inputs for r in prod_with_secrets.resources])) + json.dumps(
        masked(prod_with_secrets.outputs)
    )
    rendered = "\n".join(str(v) for v in prod_with_secrets.artifacts.values())
    for sentinel in SENTINELS.values():
        assert sentinel not in printed
        assert sentinel not in rendered
    assert "sentinel" not in rendered


def test_slack_webhook_reaches_alertmanager_as_a_mounted_file(prod_with_secrets):
    values = yaml.safe_load(prod_with_secrets.artifacts["helm/kube-prometheus-stack.values.yaml"])
    slack = next(r for r in values["alertmanager"]["config"]["receivers"] if r["name"] == "slack")
    assert slack["slack_configs"][0]["api_url_file"] == charts.SLACK_WEBHOOK_FILE
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == [charts.SLACK_SECRET]
    first = values["alertmanager"]["config"]["route"]["routes"][0]
    assert first["receiver"] == "null" and "Watchdog" in first["matchers"][0]


def _leaf_paths(value, prefix=""):
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from _leaf_paths(child, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix


def _documented(path: str, keys: set[str]) -> bool:
    if path in keys:
        return True
    parts = path.split(".")
    return any(".".join(parts[:i]) + ".*" in keys for i in range(1, len(parts)))


@pytest.mark.parametrize(
    "chart",
    [
        charts.KUBE_PROMETHEUS_STACK,
        charts.CERT_MANAGER,
        charts.ENVOY_GATEWAY,
        k8s_logs.LOKI_CHART,
        k8s_logs.ALLOY_CHART,
    ],
    ids=lambda c: c.release,
)
def test_helm_release_is_pinned_and_sets_only_documented_keys(prod, chart):
    release = prod.one(RELEASE, chart.release)
    inputs = unwrapped(release.inputs)
    assert inputs["version"] == chart.version and chart.version[0] in "v0123456789"
    assert inputs["namespace"] == chart.namespace
    chart_name = chart.chart.rsplit("/", 1)[-1]
    keys_file = KEYS_DIR / f"{chart_name}-{chart.version}.txt"
    assert keys_file.exists(), f"bumped {chart_name} to {chart.version}: add {keys_file.name} from its values.yaml"
    keys = {line.strip() for line in keys_file.read_text().splitlines() if line.strip() and not line.startswith("#")}
    unknown = [p for p in _leaf_paths(inputs["values"]) if not _documented(p, keys)]
    assert not unknown, f"{chart.release} values the chart does not document: {unknown}"


def test_keys_check_catches_a_misspelled_value():
    keys = {"prometheus.prometheusSpec.retention", "prometheus.prometheusSpec.resources.*"}
    assert _documented("prometheus.prometheusSpec.resources.limits.memory", keys)
    assert not _documented("prometheus.prometheusSpec.retension", keys)


def test_prometheus_selects_our_objects_by_release_label(objects):
    monitors = [o for o in objects if o["kind"] in ("ServiceMonitor", "PrometheusRule")]
    assert {o["kind"] for o in monitors} == {"ServiceMonitor", "PrometheusRule"}
    for obj in monitors:
        assert obj["metadata"]["labels"]["release"] == charts.KUBE_PROMETHEUS_STACK.release
    in_monitoring = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["namespace"] == "monitoring"]
    dashboards = [o for o in in_monitoring if o["metadata"]["labels"].get("grafana_dashboard") == "1"]
    assert len(dashboards) == 4  # overview, workers, resources + logs (central logs are on by default)


def test_prometheus_rule_spec_is_the_shared_rule_groups(objects):
    from infra.render.observability.rules import rule_groups

    rule = next(o for o in objects if o["kind"] == "PrometheusRule")
    assert rule["spec"] == rule_groups()


@pytest.fixture(scope="module")
def existing_cluster(plan_stack):
    """An existing cluster with bring-your-own Postgres and Redis, and S3 instead of Spaces."""
    kubeconfig = "apiVersion: v1\nkind: Config\n# sentinel-kubeconfig-31c\n"
    return plan_stack(
        "prod",
        kubernetes=Secret(
            {"cluster": {"create": False}, "kubeconfig": kubeconfig, "context": "gke_prod", "storageProvider": "s3"}
        ),
        database=Secret({"url": "postgresql://app:pw@db.invalid:5432/app"}),
        redis=Secret({"url": "rediss://:pw@cache.invalid:6380/0"}),
        **{"aws:region": "eu-west-1"},
    )


def test_existing_cluster_from_a_kubeconfig_secret(existing_cluster):
    plan = existing_cluster
    types = {r.type for r in plan.resources}
    assert "digitalocean:index/kubernetesCluster:KubernetesCluster" not in types
    assert "digitalocean:index/databaseCluster:DatabaseCluster" not in types
    provider = plan.one("pulumi:providers:kubernetes", "k8s")
    assert isinstance(provider.inputs["kubeconfig"], Secret)
    assert provider.inputs["context"] == "gke_prod"
    assert "sentinel-kubeconfig" not in json.dumps(masked(plan.outputs))


def test_s3_storage_gets_a_bucket_scoped_key_and_no_endpoint(existing_cluster):
    assert existing_cluster.find("s3/bucket:Bucket")
    assert not existing_cluster.find("spacesBucket:SpacesBucket")
    config = existing_cluster.one("ConfigMap", "configmap-ai-service-config").inputs["data"]
    assert (config["S3_REGION"], config["S3_ENDPOINT_URL"]) == ("eu-west-1", "")
    assert existing_cluster.find("iam/accessKey:AccessKey")


def test_bring_your_own_redis_drops_the_statefulset(existing_cluster):
    plan = existing_cluster
    assert not plan.find("StatefulSet", "statefulset-redis")
    assert not plan.find("ServiceMonitor", "servicemonitor-redis")


def test_database_is_reachable_only_from_the_cluster(prod):
    firewall = prod.one("databaseFirewall:DatabaseFirewall", "ai-service-prod-db")
    cluster = prod.one("kubernetesCluster:KubernetesCluster", "ai-service-prod")
    assert unwrapped(firewall.inputs)["rules"] == [{"type": "k8s", "value": f"{cluster.name}-placeholder-id"}]


def test_cluster_autoscales_with_the_configured_pool(prod):
    cluster = unwrapped(prod.one("kubernetesCluster:KubernetesCluster", "ai-service-prod").inputs)
    pool = cluster["nodePool"]
    assert (pool["size"], pool["minNodes"], pool["maxNodes"], pool["autoScale"]) == ("s-2vcpu-4gb", 3, 5, True)
    assert cluster["version"].startswith("1.33.")
    assert cluster["registryIntegration"] is True and cluster["ha"] is False


def test_default_prod_monthly_cost(prod, plan_stack):
    # 3 nodes x $24 + LB $12 + Postgres $15 + Spaces $5 + (5 + 20 + 10 Loki) GiB volumes x $0.10
    assert prod.cost.monthly_usd == pytest.approx(107.50)
    ha = plan_stack("prod", kubernetes={"cluster": {"haControlPlane": True}, "workerHpaMax": 6})
    assert ha.cost.monthly_usd - prod.cost.monthly_usd == pytest.approx(40.0)


@pytest.mark.parametrize(
    "overrides,key",
    [
        ({"kubernetes": {"cluster": {"create": False}}}, "ai-service:kubernetes.kubeconfig"),
        ({"domain": None}, "ai-service:domain"),
        ({"kubernetes": {"hpaMax": 2}}, "ai-service:kubernetes.hpaMax"),
        ({"kubernetes": {"cluster": {"minNodes": 4}}}, "ai-service:kubernetes"),
        ({"kubernetes": {"storageProvider": "gcs"}}, "ai-service:kubernetes"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(overrides, key):
    with pytest.raises(ConfigError) as error:
        plan_with("prod", **overrides)
    assert any(line.startswith(key) for line in str(error.value).splitlines()), str(error.value)


def test_an_outside_uptime_check_watches_the_public_health_endpoint(prod):
    check = unwrapped(prod.one("uptimeCheck:UptimeCheck", "uptime").inputs)
    assert check["target"] == "https://api.example.com/health"
    alert = unwrapped(prod.one("uptimeAlert:UptimeAlert", "uptime-down").inputs)
    assert alert["notifications"][0]["emails"] == ["ops@example.com"]


def test_readme_cost_table_matches_the_plan(prod):
    page = (Path(__file__).resolve().parents[2] / "docs" / "targets" / "kubernetes.md").read_text()
    section = page.split("<!-- section:kubernetes:start -->")[1].split("<!-- section:kubernetes:end -->")[0]
    total = next(line for line in section.splitlines() if line.startswith("| **total**"))
    assert f"**{prod.cost.monthly_usd:.2f}**" in total
    assert prod.cost.monthly_usd <= 150  # budgetMonthlyUsd of the prod stack file


def test_secret_objects_come_back_secret_from_the_provider(prod):
    for secret in (r for r in prod.resources if r.type == "kubernetes:core/v1:Secret"):
        assert isinstance(secret.outputs["stringData"], Secret), secret.name
    assert prod.one(RELEASE, "cert-manager").outputs["status"]["version"] == charts.CERT_MANAGER.version
