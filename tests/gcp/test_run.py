"""Cloud Run workloads: API service, worker pools, the migration job, rendered specs."""

from __future__ import annotations

import json

import pytest

from infra.components.gcp.run import execution_token
from infra.render.gcp.specs import SecretEnv, Workload, service_template
from infra.settings.gcp import INGRESS_VALUES
from infra.tooling.values import unwrapped
from tests.gcp.conftest import envs, pod, workloads

IMAGE_A = "us-docker.pkg.dev/p/r/ai-service@sha256:" + "a" * 64
IMAGE_B = "us-docker.pkg.dev/p/r/ai-service@sha256:" + "b" * 64


def test_api_service_shape(gcp):
    api = gcp.one("cloudrunv2/service:Service")
    props = unwrapped(api.inputs)
    template = props["template"]
    container = template["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    assert template["timeout"] == "300s"
    assert template["scaling"] == {"minInstanceCount": 1, "maxInstanceCount": 4}
    assert template["maxInstanceRequestConcurrency"] == 80
    assert container["ports"] == {"containerPort": 8000}
    # A revision takes traffic once ready; a running instance restarts only when its process stops serving.
    assert container["startupProbe"]["httpGet"] == {"path": "/health/ready", "port": 8000}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": 8000}
    assert props["ingress"] == "INGRESS_TRAFFIC_ALL"
    assert container["image"] == gcp.outputs["image"] and "@sha256:" in container["image"]


def test_port_is_never_in_env(gcp):
    for workload in workloads(gcp):
        assert "PORT" not in {e["name"] for e in envs(workload)}, workload.name
    with pytest.raises(ValueError, match="PORT"):
        service_template(
            Workload("img", ("api",), "1", "1Gi", "sa", "net", "sub", env={"PORT": "8080"}),
            min_instances=0,
            max_instances=1,
            concurrency=1,
        )


def test_one_worker_pool_per_group_without_url(gcp, plan_stack):
    pools = {p.name: unwrapped(p.inputs) for p in gcp.find("cloudrunv2/workerPool:WorkerPool")}
    assert set(pools) == {"worker-documents", "worker-cleanup"}
    documents = pools["worker-documents"]
    assert documents["scaling"] == {"scalingMode": "MANUAL", "manualInstanceCount": 2}
    container = documents["template"]["containers"][0]
    assert container["args"] == ["worker", "--queues", "document_processing"]
    assert "ports" not in container and "startupProbe" not in container
    # Worker pools start at 1 vCPU / 512 MiB: smaller groups are raised, larger ones kept.
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    custom = plan_stack(
        "gcp",
        workers=[
            {
                "name": "heavy",
                "queues": ["document_processing", "cleanup_tasks"],
                "replicas": 3,
                "cpu": 2,
                "memory": 4096,
            }
        ],
    )
    (heavy,) = custom.find("cloudrunv2/workerPool:WorkerPool")
    limits = unwrapped(heavy.inputs)["template"]["containers"][0]["resources"]["limits"]
    assert heavy.name == "worker-heavy" and limits == {"cpu": "2", "memory": "4096Mi"}
    assert unwrapped(heavy.inputs)["template"]["containers"][0]["args"][-1] == "document_processing,cleanup_tasks"


def test_migration_job_runs_before_the_new_revision(gcp):
    job = gcp.one("cloudrunv2/job:Job", "migrate")
    api = gcp.one("cloudrunv2/service:Service", "api")
    assert job.urn in api.dependencies
    props = unwrapped(job.inputs)
    assert props["template"]["template"]["containers"][0]["args"] == ["migrate"]
    assert props["runExecutionToken"] == execution_token(gcp.outputs["image"])
    assert {e["name"] for e in envs(job)} >= {"DATABASE_URL", "MIGRATE_DATABASE_URL"}
    assert "S3_BUCKET" not in {e["name"] for e in envs(job)}  # migrate touches only the database


def test_a_new_image_means_one_new_migration_execution(plan_stack):
    first, second, again = (plan_stack("gcp", image=i) for i in (IMAGE_A, IMAGE_B, IMAGE_A))

    def token(plan):
        return unwrapped(plan.one("cloudrunv2/job:Job", "migrate").inputs)["runExecutionToken"]

    assert token(first) != token(second)
    assert token(first) == token(again)  # same image: no re-run
    assert not first.find("docker-build:index:Image")  # a prebuilt image is not rebuilt
    assert pod(first.one("cloudrunv2/service:Service"))["containers"][0]["image"] == IMAGE_A


def test_internal_ingress(plan_stack):
    plan = plan_stack("gcp", cloudrun={"ingress": "internal-and-cloud-load-balancing"})
    api = unwrapped(plan.one("cloudrunv2/service:Service").inputs)
    assert api["ingress"] == INGRESS_VALUES["internal-and-cloud-load-balancing"]


def test_domain_mapping_and_scale_to_zero(plan_stack):
    plan = plan_stack("gcp", domain="api.example.com", cloudrun={"public": False, "minInstances": 0})
    api = unwrapped(plan.one("cloudrunv2/service:Service").inputs)
    assert api["template"]["scaling"]["minInstanceCount"] == 0
    mapping = unwrapped(plan.one("cloudrun/domainMapping:DomainMapping").inputs)
    assert mapping["name"] == "api.example.com"
    assert mapping["spec"]["routeName"] == "ai-service-gcp"
    assert mapping["metadata"]["namespace"] == "my-gcp-project"
    hosts = {e["name"]: e.get("value") for e in envs(plan.one("cloudrunv2/service:Service"))}["ALLOWED_HOSTS"]
    assert hosts.split(",") == ["api.example.com", "*.run.app"]
    assert plan.outputs["url"] == "https://api.example.com"


def test_rendered_specs_are_what_the_resources_receive(gcp):
    assert {p for p in gcp.artifacts if p.startswith("cloudrun/")} == {
        "cloudrun/api.json",
        "cloudrun/migrate.json",
        "cloudrun/worker-documents.json",
        "cloudrun/worker-cleanup.json",
        "cloudrun/schedule-cleanup.json",
    }
    api = json.loads(gcp.artifacts["cloudrun/api.json"])
    deployed = unwrapped(gcp.one("cloudrunv2/service:Service").inputs)["template"]
    assert [e["name"] for e in api["containers"][0]["envs"]] == [e["name"] for e in deployed["containers"][0]["envs"]]
    assert api["service_account"] == deployed["serviceAccount"]
    assert api["scaling"] == {"min_instance_count": 1, "max_instance_count": 4}
    job = json.loads(gcp.artifacts["cloudrun/migrate.json"])
    assert job["template"]["containers"][0]["args"] == ["migrate"]


def test_secret_env_builder_keeps_only_references():
    template = service_template(
        Workload("img", ("api",), "1", "1Gi", "sa", "net", "sub", secrets=(SecretEnv("API_KEYS", "s-api-keys", "3"),)),
        min_instances=0,
        max_instances=1,
        concurrency=1,
    )
    (env,) = template["containers"][0]["envs"]
    assert env == {"name": "API_KEYS", "value_source": {"secret_key_ref": {"secret": "s-api-keys", "version": "3"}}}


def test_long_stack_names_keep_role_names_distinct_and_within_limits():
    from infra.components.gcp.common import suffixed_name
    from infra.components.gcp.run import JOB_NAME_LIMIT, TOKEN_LENGTH

    stack = "customer-acceptance-environment-eu"
    accounts = {suffixed_name(f"ais-{stack}", role, 30) for role in ("api", "worker", "migrate")}
    assert len(accounts) == 3 and all(6 <= len(a) <= 30 for a in accounts)
    job = suffixed_name(f"ai-service-{stack}", "migrate", JOB_NAME_LIMIT)
    assert job.endswith("-migrate") and len(job) + len(execution_token(IMAGE_A)) < 63
    assert len(execution_token(IMAGE_A)) == TOKEN_LENGTH
