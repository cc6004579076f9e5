"""The dev stack (target droplet) under the offline plan: what gets provisioned and how it is guarded."""

from __future__ import annotations

import json

import pytest

from infra.settings import ConfigError
from infra.tooling.values import Secret, masked, unwrapped
from tests.fixtures.plan import plan_with, run_cli, stack_file

SENTINELS = {
    "openaiApiKey": "sk-SENTINEL-openai-7f3a",
    "apiKeys": "acme:SENTINEL-apikey-91c2",
    "alertSlackWebhook": "https://hooks.slack.com/services/SENTINEL-webhook-55d1",
}
IMAGE_A = "registry.digitalocean.com/ai-service/ai-service@sha256:" + "a" * 64
IMAGE_B = "registry.digitalocean.com/ai-service/ai-service@sha256:" + "b" * 64


@pytest.fixture(scope="module")
def dev(plan_stack):
    return plan_stack("dev")


def _inputs(resource) -> dict:
    return unwrapped(resource.inputs)


def test_cli_plan_exits_zero_within_budget_without_violations():
    result = run_cli("plan", "dev", "--config-file", str(stack_file("dev")), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["target"] == "droplet"
    assert 0 < report["cost"]["monthly_usd"] <= 41
    # The droplet's AWS key is the one waived exception (policy/waivers.yaml: no AWS workload identity off AWS).
    assert [(v["policy"], bool(v.get("waiver"))) for v in report["policy"]["violations"]] == [("long-lived-keys", True)]


def test_cost_lines(dev):
    by_type = {}
    for item in dev.cost.items:
        by_type[item.type.rsplit(":", 1)[-1]] = by_type.get(item.type.rsplit(":", 1)[-1], 0) + item.monthly_usd
    assert by_type["Droplet"] == 24
    assert by_type["DatabaseCluster"] == 15
    assert by_type["ContainerRegistry"] == 0
    assert by_type["ReservedIp"] == 0


def test_droplet_backups_add_twenty_percent(plan_stack):
    result = plan_stack("dev", droplet={"region": "nyc3", "size": "s-2vcpu-4gb", "backups": True})
    droplet_cost = sum(i.monthly_usd for i in result.cost.items if i.type.endswith("Droplet"))
    assert droplet_cost == pytest.approx(24 * 1.2)
    assert any("budgetMonthlyUsd" in p for p in result.problems)  # $41 has no slack for backups


def test_cloud_firewall_opens_only_web_to_world_and_ssh_to_cidrs(dev):
    rules = _inputs(dev.one("index/firewall:Firewall"))["inboundRules"]
    by_port = {r["portRange"]: r["sourceAddresses"] for r in rules}
    assert set(by_port) == {"80", "443", "22"}
    assert by_port["80"] == by_port["443"] == ["0.0.0.0/0", "::/0"]
    assert by_port["22"] == ["203.0.113.0/24"]


def test_firewall_covers_the_droplet(dev):
    droplet = dev.one("index/droplet:Droplet")
    firewall = _inputs(dev.one("index/firewall:Firewall"))
    assert firewall["dropletIds"] == [droplet.outputs.get("id", f"{droplet.name}-placeholder-id")]


def test_ssh_open_to_world_is_rejected_by_config():
    with pytest.raises(ConfigError, match="sshAllowedCidrs"):
        plan_with("dev", sshAllowedCidrs=["0.0.0.0/0"])
    with pytest.raises(ConfigError, match="sshAllowedCidrs"):
        plan_with("dev", sshAllowedCidrs=None)


def test_droplet_settings(dev):
    droplet = _inputs(dev.one("index/droplet:Droplet"))
    assert droplet["size"] == "s-2vcpu-4gb" and droplet["region"] == "nyc3"
    assert droplet["image"] == "ubuntu-24-04-x64"
    assert droplet["monitoring"] is True and droplet["backups"] is False
    assert "ai-service" in droplet["tags"]
    assert isinstance(dev.one("index/droplet:Droplet").inputs["userData"], Secret)  # holds the bucket key
    assert dev.find("ReservedIpAssignment") and dev.find("index/vpc:Vpc")


def test_generated_ssh_key_is_a_secret_output(dev):
    assert isinstance(dev.outputs["sshPrivateKey"], Secret)
    assert dev.find("tls:index/privateKey:PrivateKey")


def test_provided_ssh_key_is_used_and_nothing_generated(plan_stack):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholderKeyForTestsOnly0000000000000 ops@example"
    result = plan_stack("dev", droplet={"region": "nyc3", "size": "s-2vcpu-4gb", "sshPublicKey": key})
    assert not result.find("tls:index/privateKey:PrivateKey")
    # The key travels with the release (the agent installs it), not in user_data.
    assert unwrapped(result.artifacts["host/authorized_keys"]) == key + "\n"
    assert key not in result.artifacts["cloud-init.yaml"] and not result.find("index/sshKey:SshKey")


def test_database_is_private_and_firewalled_to_the_droplet(dev):
    cluster = dev.one("index/databaseCluster:DatabaseCluster")
    props = _inputs(cluster)
    assert props["engine"] == "pg" and props["version"] == "16" and props["size"] == "db-s-1vcpu-1gb"
    assert props["privateNetworkUuid"]
    assert cluster.protect
    rules = _inputs(dev.one("index/databaseFirewall:DatabaseFirewall"))["rules"]
    assert {r["type"] for r in rules} == {"droplet", "ip_addr"}
    assert [r["value"] for r in rules if r["type"] == "ip_addr"] == ["10.10.0.0/20"]  # the VPC only


def test_connection_budget_fails_the_plan():
    with pytest.raises(ConfigError, match="database.poolSize.*allows 22"):
        plan_with("dev", apiReplicas=4, database={"poolSize": 10})


def test_memory_budget_fails_the_plan_naming_each_container():
    with pytest.raises(ConfigError, match=r"droplet.size: .*over 90% of s-2vcpu-4gb.*api-1 384"):
        plan_with("dev", apiReplicas=6)


def test_bucket_is_private_encrypted_with_lifecycle(dev):
    block = _inputs(dev.one("BucketPublicAccessBlock"))
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    sse = _inputs(dev.one("BucketServerSideEncryptionConfiguration"))
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    rules = {r["id"]: r for r in _inputs(dev.one("BucketLifecycleConfiguration"))["rules"]}
    assert rules["expire-tmp"]["filter"]["prefix"] == "tmp/" and rules["expire-tmp"]["expiration"]["days"] == 1
    assert rules["expire-backups"]["expiration"]["days"] == 7
    assert _inputs(dev.one("BucketVersioning"))["versioningConfiguration"]["status"] == "Enabled"


def test_iam_key_touches_only_this_bucket(dev):
    bucket = dev.one("s3/bucket:Bucket").outputs["arn"]
    policy = json.loads(_inputs(dev.one("iam/userPolicy:UserPolicy"))["policy"])
    resources = {
        r for s in policy["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert resources == {bucket, f"{bucket}/*"}
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert all(a.startswith("s3:") and "*" not in a for a in actions)
    assert isinstance(dev.one("iam/accessKey:AccessKey").outputs["secret"], Secret)


def test_release_manifest_holds_digest_and_files_secrets_are_separate(dev):
    objects = {(_inputs(o)["key"]): o for o in dev.find("BucketObjectv2")}
    assert set(objects) == {"releases/manifest.json", "releases/secrets.json"}
    manifest = json.loads(objects["releases/manifest.json"].inputs["content"])
    assert "@sha256:" in manifest["image"]
    assert manifest["image"] in manifest["files"]["compose.yaml"]
    assert {"compose.yaml", "nginx/nginx.conf", "deploy/rollout.sh", "prometheus/prometheus.yml"} <= set(
        manifest["files"]
    )
    assert "API_SERVICES='api-1 api-2'" in manifest["release_env"]
    assert isinstance(objects["releases/secrets.json"].inputs["content"], Secret)


@pytest.fixture(scope="module")
def sentinel_plan():
    return plan_with("dev", **{k: Secret(v) for k, v in SENTINELS.items()})


def test_secrets_never_leave_their_secret_wrappers(sentinel_plan):
    assert not sentinel_plan.problems, sentinel_plan.problems
    published = json.dumps(masked(sentinel_plan.as_dict()))
    for value in SENTINELS.values():
        assert value not in published
        for path, text in sentinel_plan.artifacts.items():
            assert value not in str(text), f"{value} leaked into {path}"
    secrets_object = next(
        o for o in sentinel_plan.find("BucketObjectv2") if _inputs(o)["key"] == "releases/secrets.json"
    )
    files = json.loads(unwrapped(secrets_object.inputs["content"]))["files"]
    assert "OPENAI_API_KEY='sk-SENTINEL-openai-7f3a'" in files["secrets/app.env"]
    assert "API_KEYS='acme:SENTINEL-apikey-91c2'" in files["secrets/app.env"]
    assert files["secrets/slack-webhook-url"] == SENTINELS["alertSlackWebhook"]


def test_generated_secrets_stay_out_of_artifacts(dev):
    generated = [unwrapped(r.outputs["result"]) for r in dev.find("RandomPassword")]
    admin = unwrapped(dev.one("DatabaseCluster").outputs["password"])
    for value in [*generated, admin]:
        for path, text in dev.artifacts.items():
            assert value not in str(text), f"a generated secret leaked into {path}"


def test_image_change_updates_the_release_not_the_droplet():
    a = plan_with("dev", image=IMAGE_A)
    b = plan_with("dev", image=IMAGE_B)
    droplet_a, droplet_b = a.one("index/droplet:Droplet"), b.one("index/droplet:Droplet")
    assert unwrapped(droplet_a.inputs) == unwrapped(droplet_b.inputs)
    assert a.artifacts["cloud-init.yaml"] == b.artifacts["cloud-init.yaml"]

    def manifest(p):
        return json.loads(
            next(o for o in p.find("BucketObjectv2") if _inputs(o)["key"] == "releases/manifest.json").inputs["content"]
        )

    assert manifest(a)["image"] == IMAGE_A and manifest(b)["image"] == IMAGE_B
    assert manifest(a)["version"] != manifest(b)["version"]
    assert not a.find("docker-build:index:Image")  # a given image is used as-is


def test_config_change_does_not_touch_the_droplet():
    a = plan_with("dev", image=IMAGE_A)
    b = plan_with("dev", image=IMAGE_A, apiReplicas=1, logLevel="DEBUG")
    assert unwrapped(a.one("index/droplet:Droplet").inputs) == unwrapped(b.one("index/droplet:Droplet").inputs)


def test_domain_adds_dns_record_tls_and_https_uptime_check(plan_stack):
    result = plan_stack("dev", domain="api.example.com", letsencryptEmail="ops@example.com", appEnv="production")
    record = _inputs(result.one("DnsRecord"))
    assert (record["domain"], record["name"], record["type"]) == ("example.com", "api", "A")
    assert record["value"] == "203.0.113.10"  # the reserved IP
    assert "listen 443 ssl default_server;" in result.artifacts["nginx/nginx.conf"]
    assert _inputs(result.one("UptimeCheck"))["target"] == "https://api.example.com/health"
    assert result.find("UptimeAlert")


def test_production_without_domain_is_a_config_error():
    with pytest.raises(ConfigError, match="ai-service:domain"):
        plan_with("dev", appEnv="production")


def test_shared_registry_is_referenced_not_created(plan_stack):
    result = plan_stack("dev", droplet={"region": "nyc3", "size": "s-2vcpu-4gb", "createRegistry": False})
    assert not result.find("ContainerRegistry")
    assert result.find("ContainerRegistryDockerCredentials")


def test_memory_budget_is_stated_per_container_and_fits(dev):
    memory = dev.outputs["memoryLimitsMiB"]
    assert memory["allowed"] == int(4096 * 0.9)
    containers = {k: v for k, v in memory.items() if k not in {"total", "allowed"}}
    assert {"nginx", "api-1", "api-2", "redis", "migrate", "prometheus", "grafana"} <= set(containers)
    assert memory["total"] == sum(containers.values()) <= memory["allowed"]


def test_policy_flags_extra_public_ports_and_unguarded_databases():
    from infra.tooling.policy.digitalocean import DO_RULES
    from infra.tooling.policy.engine import evaluate
    from infra.tooling.resources import PlannedResource

    def resource(type_: str, name: str, inputs: dict) -> PlannedResource:
        return PlannedResource(type_, name, f"urn:{name}", "", True, False, inputs)

    resources = [
        resource("digitalocean:index/droplet:Droplet", "web", {}),
        resource(
            "digitalocean:index/firewall:Firewall",
            "web",
            {
                "dropletIds": ["1"],
                "inboundRules": [{"protocol": "tcp", "portRange": "6379", "sourceAddresses": ["0.0.0.0/0"]}],
            },
        ),
        resource("digitalocean:index/databaseCluster:DatabaseCluster", "db", {}),
    ]
    found = {(v.policy, v.resource) for v in evaluate(resources, DO_RULES)}
    assert found == {("firewall-only-web-public", "web"), ("database-has-firewall", "db")}
    open_db = resource(
        "digitalocean:index/databaseFirewall:DatabaseFirewall",
        "db",
        {"rules": [{"type": "ip_addr", "value": "0.0.0.0/0"}]},
    )
    found = {(v.policy, v.resource) for v in evaluate([*resources[2:], open_db], DO_RULES)}
    assert found == {("database-firewall-private", "db")}


def test_image_must_be_a_digest():
    with pytest.raises(ConfigError, match="ai-service:image: .*digest"):
        plan_with("dev", image="registry.digitalocean.com/ai-service/ai-service:latest")


def test_protect_false_lifts_protection_from_database_and_bucket(plan_stack):
    result = plan_stack("dev", protect=False)
    assert not result.one("index/databaseCluster:DatabaseCluster").protect
    assert not result.one("s3/bucket:Bucket").protect
    assert _inputs(result.one("s3/bucket:Bucket"))["forceDestroy"] is True
