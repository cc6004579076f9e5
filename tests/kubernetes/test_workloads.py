"""The service's pods: probes, restricted security context, resources, rollout, PDB/HPA, workers."""

from __future__ import annotations

import pytest

from infra.settings.model import DEFAULT_WORKERS
from tests.kubernetes.conftest import find

RESTRICTED = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


def _pods(objects):
    pods = [(o, o["spec"]["template"]["spec"]) for o in objects if o["kind"] in WORKLOAD_KINDS]
    return pods + [(o, o["spec"]["jobTemplate"]["spec"]["template"]["spec"]) for o in objects if o["kind"] == "CronJob"]


def test_api_probes_hit_health_and_readiness(objects):
    api = find(objects, "Deployment", "ai-service-api")["spec"]["template"]["spec"]["containers"][0]
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert api["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert api["startupProbe"]["httpGet"]["path"] == "/health"
    # Startup allows a slow first boot before liveness may kill the pod.
    assert api["startupProbe"]["periodSeconds"] * api["startupProbe"]["failureThreshold"] >= 60


def test_every_container_is_restricted_with_limits(objects):
    pods = _pods(objects)
    assert len(pods) == 2 + len(DEFAULT_WORKERS) + 1 + 1  # api, migrate, workers, redis, the cleanup schedule
    for obj, pod in pods:
        assert pod["automountServiceAccountToken"] is False, obj["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert not {"hostNetwork", "hostPID", "hostIPC"} & pod.keys()
        for c in pod["containers"]:
            assert RESTRICTED.items() <= c["securityContext"].items(), (obj["metadata"]["name"], c["name"])
            assert c["securityContext"]["runAsUser"] >= 10000  # no clash with host uids
            assert {"cpu", "memory"} <= c["resources"]["limits"].keys()
            assert c["resources"]["requests"]["memory"] == c["resources"]["limits"]["memory"]


def test_read_only_root_gets_a_writable_tmp_for_multiprocess_metrics(objects):
    api = find(objects, "Deployment", "ai-service-api")["spec"]["template"]["spec"]
    container = api["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert "emptyDir" in next(v for v in api["volumes"] if v["name"] == "tmp")


def test_api_rolls_25_percent_and_spreads_over_nodes(objects):
    spec = find(objects, "Deployment", "ai-service-api")["spec"]
    # Surge only: a new pod is ready before an old one goes, so a failed rollout leaves every old pod serving,
    # and it fails (ProgressDeadlineExceeded, `pulumi up` errors) instead of hanging; the startup allowance fits.
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    startup = spec["template"]["spec"]["containers"][0]["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] < spec["progressDeadlineSeconds"] <= 600
    keys = {c["topologyKey"] for c in spec["template"]["spec"]["topologySpreadConstraints"]}
    assert "kubernetes.io/hostname" in keys


def test_hpa_owns_the_api_replica_count(objects):
    deployment = find(objects, "Deployment", "ai-service-api")
    hpa = find(objects, "HorizontalPodAutoscaler", "ai-service-api")
    assert "replicas" not in deployment["spec"]  # otherwise every `pulumi up` resets what the HPA chose
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ai-service-api"}
    assert hpa["spec"]["minReplicas"] == 3  # Pulumi.prod.yaml apiReplicas
    assert hpa["spec"]["maxReplicas"] == 10
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in hpa["spec"]["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}


def test_pdbs_allow_one_pod_down_so_drains_proceed(objects):
    pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    assert {p["metadata"]["name"] for p in pdbs} == {
        "ai-service-api",
        "redis",
        *(f"ai-service-worker-{w.name}" for w in DEFAULT_WORKERS),
    }
    for pdb in pdbs:
        assert pdb["spec"] == {"maxUnavailable": 1, "selector": pdb["spec"]["selector"]}


def test_one_worker_deployment_per_group_with_grace_beyond_the_job_timeout(objects, prod):
    timeout = 600  # kubernetes.jobTimeoutS default
    for worker in DEFAULT_WORKERS:
        spec = find(objects, "Deployment", f"ai-service-worker-{worker.name}")["spec"]
        pod = spec["template"]["spec"]
        container = pod["containers"][0]
        assert spec["replicas"] == worker.replicas
        assert container["command"] == ["ai-service"]
        assert container["args"] == ["worker", "--queues", ",".join(worker.queues)]
        assert pod["terminationGracePeriodSeconds"] >= timeout
        env = {e["name"]: e["value"] for e in container["env"]}
        assert int(env["JOB_TIMEOUT_SECONDS"]) <= pod["terminationGracePeriodSeconds"]
        assert container["resources"]["limits"]["memory"] == f"{worker.memory}Mi"


def test_worker_hpa_replaces_fixed_replicas_when_enabled(plan_stack):
    plan = plan_stack(
        "prod", kubernetes={"cluster": {"haControlPlane": True}, "workerHpaMax": 6}
    )  # shared with the cost test
    deployment = plan.one("Deployment", "deployment-ai-service-worker-documents")
    hpa = plan.one("HorizontalPodAutoscaler", "horizontalpodautoscaler-ai-service-worker-documents")
    assert "replicas" not in deployment.inputs["spec"]
    assert hpa.inputs["spec"]["minReplicas"] == 2 and hpa.inputs["spec"]["maxReplicas"] == 6


def test_images_are_pinned_by_digest_and_pulled_with_a_secret(objects):
    for obj, pod in _pods(objects):
        for c in pod["containers"]:
            image = c["image"]
            if obj["metadata"]["name"] == "redis":
                assert ":latest" not in image and ":" in image.rsplit("/", 1)[-1]
            else:
                assert "@sha256:" in image
                assert pod["imagePullSecrets"] == [{"name": "ai-service-registry"}]


def test_namespace_enforces_restricted_pod_security(objects):
    labels = find(objects, "Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_service_is_cluster_ip_and_config_is_a_config_map(objects):
    service = find(objects, "Service", "ai-service-api")
    assert service["spec"]["type"] == "ClusterIP"
    config = find(objects, "ConfigMap", "ai-service-config")["data"]
    assert config["APP_ENV"] == "production" and config["ALLOWED_HOSTS"] == "api.example.com"
    api = find(objects, "Deployment", "ai-service-api")["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": "ai-service-env"}} in api["envFrom"]
    assert {"configMapRef": {"name": "ai-service-config"}} in api["envFrom"]


@pytest.mark.parametrize("memory,expected", [("256Mi", "204mb"), ("1Gi", "819mb")])
def test_redis_keeps_headroom_under_its_limit(memory, expected):
    from infra.render.kubernetes import redis

    container = redis.statefulset("ns", memory, 5)["spec"]["template"]["spec"]["containers"][0]
    args = container["args"]
    assert args[args.index("--maxmemory") + 1] == expected
    assert args[args.index("--appendonly") + 1] == "yes"
    assert "$(REDIS_PASSWORD)" in args  # expanded by the kubelet from the secret, never literal


def test_redis_persists_to_a_claim(objects):
    sts = find(objects, "StatefulSet", "redis")
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    mounts = sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": "/data"} in mounts
