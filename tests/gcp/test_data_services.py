"""Cloud SQL, Memorystore and the bucket are private and protected."""

from __future__ import annotations

import pytest

from infra.tooling.values import Secret, unwrapped
from tests.gcp.conftest import envs, pod, workloads


def test_cloud_sql_is_private_encrypted_and_backed_up(gcp):
    db = gcp.one("DatabaseInstance")
    props = unwrapped(db.inputs)
    settings = props["settings"]
    ip = settings["ipConfiguration"]
    assert ip["ipv4Enabled"] is False and ip["privateNetwork"]
    assert ip["sslMode"] == "ENCRYPTED_ONLY"
    assert props["databaseVersion"] == "POSTGRES_16" and settings["edition"] == "ENTERPRISE"
    assert settings["tier"] == "db-g1-small"
    backups = settings["backupConfiguration"]
    assert backups["enabled"] and backups["pointInTimeRecoveryEnabled"]
    peering = gcp.one("servicenetworking/connection:Connection")
    assert peering.urn in db.dependencies  # private service access exists before the instance
    # One user through the API (the owner); the app role is created by migrate (API users are cloudsqlsuperuser).
    assert [unwrapped(u.inputs)["name"] for u in gcp.find("sql/user:User")] == ["ai_service_admin"]
    assert unwrapped(gcp.one("sql/user:User", "db-admin").inputs)["instance"] == "ai-service-gcp"


def test_memorystore_uses_private_service_access_auth_and_tls(gcp):
    redis = unwrapped(gcp.one("redis/instance:Instance").inputs)
    assert redis["connectMode"] == "PRIVATE_SERVICE_ACCESS" and redis["authorizedNetwork"]
    assert redis["authEnabled"] is True
    assert redis["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
    url = unwrapped(gcp.one("SecretVersion", "secret-redis-url").inputs)["secretData"]
    assert url.startswith("rediss://:placeholder-redis-auth-") and url.endswith(":6378/0")


def test_workloads_egress_into_the_vpc_subnet(gcp):
    subnet = gcp.one("Subnetwork")
    for workload in workloads(gcp):
        access = pod(workload)["vpcAccess"]
        assert access["egress"] == "PRIVATE_RANGES_ONLY"
        assert access["networkInterfaces"][0]["subnetwork"] == subnet.outputs.get("id", f"{subnet.name}-placeholder-id")


def test_database_url_points_at_the_private_ip_with_tls(gcp):
    url = unwrapped(gcp.one("SecretVersion", "secret-database-url").inputs)["secretData"]
    assert url.startswith("postgresql://ai_service_app:") and "@192.0.2.10:5432/ai_service?sslmode=require" in url


def test_bucket_is_private_versioned_and_expires_tmp(gcp):
    bucket = gcp.one("storage/bucket:Bucket")
    props = unwrapped(bucket.inputs)
    assert props["uniformBucketLevelAccess"] is True
    assert props["publicAccessPrevention"] == "enforced"
    assert props["versioning"] == {"enabled": True}
    tmp = [r for r in props["lifecycleRules"] if r["condition"].get("matchesPrefixes") == ["tmp/"]]
    assert tmp and tmp[0]["condition"]["age"] == 1 and tmp[0]["action"]["type"] == "Delete"
    assert bucket.protect is True and props["forceDestroy"] is False


def test_storage_goes_through_the_s3_api_with_the_roles_hmac_key(gcp):
    api = gcp.one("cloudrunv2/service:Service")
    env = {e["name"]: e.get("value") for e in envs(api)}
    assert env["S3_ENDPOINT_URL"] == "https://storage.googleapis.com"
    assert env["S3_BUCKET"] == "ai-service-gcp-my-gcp-project"
    api_key = gcp.one("HmacKey", "bucket-api")
    assert env["AWS_ACCESS_KEY_ID"] == api_key.outputs["accessId"]
    assert unwrapped(api_key.inputs)["serviceAccountEmail"] == gcp.one("Account", "sa-api").outputs["email"]


def test_deletion_protection_follows_protect(gcp, plan_stack):
    unprotected = plan_stack("gcp", protect=False)
    for plan, expected in ((gcp, True), (unprotected, False)):
        for workload in workloads(plan):
            assert unwrapped(workload.inputs)["deletionProtection"] is expected, workload.name
        db = plan.one("DatabaseInstance")
        assert db.protect is expected and plan.one("storage/bucket:Bucket").protect is expected
        assert unwrapped(db.inputs)["deletionProtection"] is expected
        assert unwrapped(db.inputs)["settings"]["deletionProtectionEnabled"] is expected


def test_bring_your_own_database_and_redis(plan_stack, gcp):
    import json

    db_url = "postgresql://app:SENTINEL-byo-db-4b1d@db.example.com:5432/ai?sslmode=require"
    redis_url = "rediss://:SENTINEL-byo-redis-9e2c@cache.example.com:6380/0"
    plan = plan_stack("gcp", database=Secret({"url": db_url}), redis=Secret({"url": redis_url}))
    assert not plan.find("DatabaseInstance") and not plan.find("redis/instance:Instance")
    assert not plan.find("projects/iAMMember:IAMMember")  # no cloudsql.client without Cloud SQL
    stored = {r.name: unwrapped(r.inputs["secretData"]) for r in plan.find("SecretVersion")}
    assert stored["secret-database-url"] == stored["secret-migrate-database-url"] == db_url
    assert stored["secret-redis-url"] == redis_url and "secret-redis-ca" not in stored
    api_env = {e["name"] for e in envs(plan.one("cloudrunv2/service:Service"))}
    assert "REDIS_CA_CERT" not in api_env and {"DATABASE_URL", "REDIS_URL"} <= api_env
    text = json.dumps(plan.as_dict()) + "".join(map(str, plan.artifacts.values()))
    assert "SENTINEL" not in text
    assert {p.name for p in plan.find("AlertPolicy")} >= {"monitoring-api-down"}
    assert not plan.find("AlertPolicy", "monitoring-database-disk")
    # Their cost leaves the plan: no Cloud SQL or Memorystore line, and the total drops by exactly those lines.
    managed = ("gcp:sql/databaseInstance:DatabaseInstance", "gcp:redis/instance:Instance")
    assert not [i for i in plan.cost.items if i.type in managed]
    gone = {(i.resource, i.type) for i in gcp.cost.items} - {(i.resource, i.type) for i in plan.cost.items}
    assert {r for r, t in gone if t in managed} == {"db", "redis"} and {r for r, t in gone if t not in managed} == {
        "secret-redis-ca"
    }
    dropped = sum(i.monthly_usd for i in gcp.cost.items if (i.resource, i.type) in gone)
    assert dropped > 50 and gcp.cost.monthly_usd - plan.cost.monthly_usd == pytest.approx(dropped, abs=0.02)
    assert not [v for v in plan.violations if v.blocking]  # policies still hold for what is created
